//! A real browser against the real server: headless Chromium asks for a page the way
//! a learner's browser does, and must be given the HTML echo.
//!
//! Needs Debian's `chromium` (`.ci/run` installs it). Without it the test says
//! "skipped: chromium not installed" on the terminal, even in a plain `cargo test` —
//! except under `CI=true`, where it fails.

mod support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::TestServer;

#[test]
fn chromium_gets_the_html_echo() {
    let Some(chromium) = support::chromium() else {
        support::skip(
            "chromium not installed (tests/browser.rs)",
            "install chromium (.ci/run does)",
        );
        return;
    };
    let server = TestServer::start(&[]);
    let url = format!(
        "http://localhost:{}/index.html?name=jack&age=18",
        server.addr().port()
    );
    let profile = std::env::temp_dir().join(format!("hostecho-chromium-{}", std::process::id()));
    // The flags keep Chromium from reaching for the network on its own (this machine
    // has none) and from needing a sandbox, a GPU or a first-run dialog.
    let mut child = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(&url)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromium");
    let start = Instant::now();
    while child.try_wait().expect("wait for chromium").is_none() {
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("chromium did not finish within 60 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let dom = String::from_utf8_lossy(&child.wait_with_output().expect("chromium output").stdout)
        .into_owned();
    let _ = std::fs::remove_dir_all(&profile);

    // The browser's Accept prefers text/html, so it got the page, and rendered it.
    assert!(dom.contains("<h1>hostecho</h1>"), "{dom}");
    assert!(
        dom.contains("GET /index.html?name=jack&amp;age=18 HTTP/1.1"),
        "{dom}"
    );
    // What the browser sent is in the page: its own User-Agent, and the Host it used.
    assert!(dom.contains("HeadlessChrome"), "{dom}");
    assert!(
        dom.contains(&format!("localhost:{}", server.addr().port())),
        "{dom}"
    );
    // Every header Chromium sent on its own has a note saying what it is for.
    assert!(
        dom.matches("<td class=\"note\">").count() >= 5,
        "no header notes: {dom}"
    );
    assert!(
        !dom.contains("<td class=\"note\"></td>"),
        "a header Chromium sent has no note: {dom}"
    );
    let log = server.wait_for_log("\"GET /index.html?name=jack&age=18 HTTP/1.1\" 200");
    assert!(log.contains("host=localhost"), "{log}");
}

#[test]
fn a_skip_shows_in_a_plain_cargo_test() {
    // This test binary, run again as `cargo test` runs it (output captured, no
    // --nocapture) on a PATH where no browser can be found: the skip must be on the
    // terminal, where a learner without Chromium sees it. An `eprintln!` would be
    // captured by libtest and shown only if the test failed.
    let out = Command::new(std::env::current_exe().expect("this test binary"))
        .args([
            "--exact",
            "chromium_gets_the_html_echo",
            "--test-threads",
            "1",
        ])
        .env("PATH", "/nonexistent")
        .env_remove("CI")
        .stdin(Stdio::null())
        .output()
        .expect("run the test binary again");
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{printed}");
    assert!(
        printed.contains("skipped: chromium not installed"),
        "a plain run does not show the skip:\n{printed}"
    );
    assert!(printed.contains("1 passed"), "{printed}");

    // Under CI=true the same run fails: a missing browser is not a pass there.
    let out = Command::new(std::env::current_exe().expect("this test binary"))
        .args(["--exact", "chromium_gets_the_html_echo"])
        .env("PATH", "/nonexistent")
        .env("CI", "true")
        .stdin(Stdio::null())
        .output()
        .expect("run the test binary again");
    assert!(!out.status.success(), "CI=true must fail without chromium");
}
