//! `scripts/screenshot.sh` works: it makes a real PNG of what headless Chromium shows for
//! chapter 3's server, the "browser access result" the tutorial pictures.
//!
//! Needs Debian's `chromium` (`.ci/run` installs it). Without it the test says
//! "skipped: chromium not installed" — except under `CI=true`, where it fails.

mod support;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use support::build_example;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A running example, killed when dropped.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The width and height of a PNG, from its IHDR chunk, or why it is not a PNG.
fn png_size(bytes: &[u8]) -> Result<(u32, u32), String> {
    // The 8-byte signature, then the first chunk, which must be IHDR: a 4-byte length
    // (13), the type, then width and height as big-endian u32 (PNG spec §11.2.2).
    const SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
    if !bytes.starts_with(SIGNATURE) {
        return Err("no PNG signature".into());
    }
    if bytes.get(12..16) != Some(b"IHDR") {
        return Err("the first chunk is not IHDR".into());
    }
    let field = |at: usize| {
        bytes
            .get(at..at + 4)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
            .ok_or("IHDR is cut short")
    };
    Ok((field(16)?, field(20)?))
}

#[test]
fn png_size_reads_ihdr() {
    let mut png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR".to_vec();
    png.extend_from_slice(&640u32.to_be_bytes());
    png.extend_from_slice(&480u32.to_be_bytes());
    assert_eq!(png_size(&png), Ok((640, 480)));
    assert!(png_size(b"GIF89a").is_err());
    assert!(png_size(&png[..18]).is_err());
}

#[test]
fn screenshot_script_photographs_chapter_3s_server() {
    if support::chromium().is_none() {
        support::skip(
            "chromium not installed (tests/screenshot.rs)",
            "install chromium (.ci/run does)",
        );
        return;
    }
    let mut child = Command::new(build_example("ch03_response"))
        .arg("127.0.0.1:0")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start ch03_response");
    let stdout = child.stdout.take().expect("piped stdout");
    let server = Server(child);
    let mut stdout = BufReader::new(stdout);
    let mut first = String::new();
    stdout
        .read_line(&mut first)
        .expect("read the listening line");
    // Keep reading what it prints: with its stdout closed, its next println! would fail.
    std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
    let addr = first
        .trim()
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| panic!("not a listening line: {first:?}"))
        .to_owned();

    let out = std::env::temp_dir().join(format!("hostecho-screenshot-{}.png", std::process::id()));
    let mut script = Command::new(root().join("scripts/screenshot.sh"));
    script
        .arg(format!("http://{addr}/index.html?name=jack&age=18"))
        .arg(&out)
        .arg("640x480");
    // The script stops Chromium after 60 s itself; this only guards against the script.
    let output = support::run_within(script, Duration::from_secs(90));
    drop(server);
    assert!(
        output.status.success(),
        "scripts/screenshot.sh failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );

    let png = std::fs::read(&out).expect("the screenshot exists");
    let _ = std::fs::remove_file(&out);
    assert_eq!(png_size(&png), Ok((640, 480)), "the screenshot's size");
    // A blank 640×480 page compresses to well under 2 kB; text makes it much larger.
    assert!(
        png.len() > 5_000,
        "a {} byte screenshot is too small to show the page",
        png.len()
    );
}
