//! Test support: start the real `hostecho` binary on 127.0.0.1 port 0 and talk raw bytes to it.
//!
//! Every integration test goes through the same door a user does: the binary, its
//! command line, the `listening on` line on stdout, and the log on stderr. Servers bind
//! loopback only and are killed when the [`TestServer`] is dropped.
//!
//! Also here, for the tests that run other programs: building the book's examples
//! ([`build_example`]), finding a tool ([`installed`], [`chromium`]), and saying that a
//! test is skipped for want of one ([`skip`]). What the book's shell transcripts need
//! beyond that is in `transcript.rs`, beside this file.

#![allow(dead_code)] // each test file uses a different part of this module

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// How long any single wait in a test may take before the test fails instead of hanging.
pub const PATIENCE: Duration = Duration::from_secs(10);

/// A running `hostecho` process.
pub struct TestServer {
    child: Child,
    /// Every address it printed in a `listening on` line.
    pub addrs: Vec<SocketAddr>,
    log: Arc<Mutex<String>>,
}

/// The hostecho binary, as a command to start.
fn hostecho() -> Command {
    Command::new(env!("CARGO_BIN_EXE_hostecho"))
}

impl TestServer {
    /// Starts the server on `127.0.0.1:0` with extra arguments, at log level `debug`.
    pub fn start(args: &[&str]) -> TestServer {
        TestServer::start_with(args, &[("RUST_LOG", "debug")])
    }

    /// Starts the server with extra arguments and environment. `--bind 127.0.0.1:0` is
    /// added unless `args` binds something itself.
    pub fn start_with(args: &[&str], env: &[(&str, &str)]) -> TestServer {
        TestServer::start_in(hostecho(), args, env)
    }

    /// Starts the server under a lowered descriptor limit (`ulimit -n`, soft and hard),
    /// set by `sh` for the child alone before it `exec`s hostecho (same process id).
    pub fn start_with_nofile(limit: u32, args: &[&str], env: &[(&str, &str)]) -> TestServer {
        let mut cmd = Command::new("sh");
        cmd.args([
            "-c",
            &format!("ulimit -n {limit} && exec \"$0\" \"$@\""),
            env!("CARGO_BIN_EXE_hostecho"),
        ]);
        TestServer::start_in(cmd, args, env)
    }

    /// Starts `cmd` (hostecho, or a wrapper that execs it) with the arguments and env,
    /// adding `--bind 127.0.0.1:0` unless they bind something themselves.
    fn start_in(cmd: Command, args: &[&str], env: &[(&str, &str)]) -> TestServer {
        // How many `listening on` lines to wait for: one per address bound.
        let from_args: usize = args
            .windows(2)
            .filter(|w| w[0] == "--bind" || w[0] == "-b")
            .map(|w| w[1].split(',').count())
            .sum();
        let from_env = env
            .iter()
            .find(|(k, _)| *k == "HOSTECHO_BIND")
            .map(|(_, v)| v.split(',').count());
        match (from_args, from_env) {
            (0, Some(n)) => TestServer::start_expecting_in(cmd, args, env, n),
            (0, None) => {
                let mut args = args.to_vec();
                args.extend(["--bind", "127.0.0.1:0"]);
                TestServer::start_expecting_in(cmd, &args, env, 1)
            }
            (n, _) => TestServer::start_expecting_in(cmd, args, env, n),
        }
    }

    /// Starts the server with exactly these arguments and environment, and waits for
    /// `expected` `listening on` lines (a name in `--bind` may stand for several).
    pub fn start_expecting(args: &[&str], env: &[(&str, &str)], expected: usize) -> TestServer {
        TestServer::start_expecting_in(hostecho(), args, env, expected)
    }

    /// [`TestServer::start_expecting`], running `cmd` (hostecho, or a wrapper that execs it).
    fn start_expecting_in(
        mut cmd: Command,
        args: &[&str],
        env: &[(&str, &str)],
        expected: usize,
    ) -> TestServer {
        cmd.args(args)
            .env_remove("RUST_LOG")
            .env("RUST_LOG_STYLE", "never")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for var in [
            "HOSTECHO_BIND",
            "HOSTECHO_ALLOWED_HOSTS",
            "HOSTECHO_TRUSTED_PROXIES",
        ] {
            if !env.iter().any(|(k, _)| *k == var) {
                cmd.env_remove(var);
            }
        }
        let mut child = cmd.spawn().expect("start hostecho");

        // Collect the log in the background, so a chatty server never blocks on a full pipe.
        let log = Arc::new(Mutex::new(String::new()));
        let stderr = child.stderr.take().expect("stderr is piped");
        let sink = Arc::clone(&log);
        thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let mut log = sink.lock().expect("log lock");
                log.push_str(&line);
                log.push('\n');
            }
        });

        // One `listening on` line per bound address, then the server is serving.
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout is piped"));
        let mut addrs = Vec::new();
        while addrs.len() < expected {
            let mut line = String::new();
            if stdout.read_line(&mut line).expect("read stdout") == 0 {
                let _ = child.wait();
                thread::sleep(Duration::from_millis(100));
                panic!(
                    "hostecho exited before listening; log:\n{}",
                    log.lock().expect("log lock")
                );
            }
            let url = line
                .trim()
                .strip_prefix("listening on http://")
                .expect("a listening line");
            addrs.push(url.parse().expect("an address"));
        }
        TestServer { child, addrs, log }
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends a signal by name (`TERM`, `INT`) with `kill(1)`.
    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([&format!("-{name}"), &self.pid().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -{name} failed");
    }

    /// Waits at most `limit` for the server to exit; its exit code (`128 + n` for a
    /// death by signal n), or `None` if it is still running.
    pub fn wait_exit(&mut self, limit: Duration) -> Option<i32> {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("wait for hostecho") {
                use std::os::unix::process::ExitStatusExt;
                return Some(
                    status
                        .code()
                        .or_else(|| status.signal().map(|s| 128 + s))
                        .unwrap_or(-1),
                );
            }
            if start.elapsed() > limit {
                return None;
            }
            thread::sleep(Duration::from_millis(10));
        }
    }

    /// Resident memory of the server, in KiB: `VmRSS` (now) or `VmHWM` (the peak so
    /// far), from `/proc/PID/status`.
    pub fn memory_kib(&self, field: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()))
            .expect("read /proc/PID/status");
        status
            .lines()
            .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("a memory line")
    }

    /// CPU time the server has used (user + system), from `/proc/PID/stat`.
    pub fn cpu_time(&self) -> Duration {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid()))
            .expect("read /proc/PID/stat");
        // Fields after the command name (which is in parentheses and may hold spaces):
        // utime and stime are the 14th and 15th fields, in clock ticks (USER_HZ, 100).
        let after = &stat[stat.rfind(')').expect("a command name") + 2..];
        let fields: Vec<u64> = after.split(' ').map(|f| f.parse().unwrap_or(0)).collect();
        Duration::from_millis((fields[11] + fields[12]) * 10)
    }

    /// The first bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addrs[0]
    }

    /// A fresh connection, with read and write time-outs so no test can hang.
    pub fn connect(&self) -> TcpStream {
        connect(self.addr())
    }

    /// Sends `request` on a new connection and reads one response.
    pub fn send(&self, request: &[u8]) -> Response {
        let mut stream = self.connect();
        stream.write_all(request).expect("write request");
        read_response(&mut stream)
    }

    /// Everything logged so far.
    pub fn log(&self) -> String {
        self.log.lock().expect("log lock").clone()
    }

    /// Waits until the log contains `needle`, and returns the log; panics after [`PATIENCE`].
    pub fn wait_for_log(&self, needle: &str) -> String {
        let start = Instant::now();
        loop {
            let log = self.log();
            if log.contains(needle) {
                return log;
            }
            assert!(
                start.elapsed() < PATIENCE,
                "log never contained {needle:?}; log:\n{log}"
            );
            thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Connects to `addr` with time-outs set.
pub fn connect(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(PATIENCE))
        .expect("read timeout");
    stream
        .set_write_timeout(Some(PATIENCE))
        .expect("write timeout");
    stream.set_nodelay(true).expect("nodelay");
    stream
}

/// One response as read off the wire.
#[derive(Debug, Clone)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// The header lines, in order, as (name, value).
    pub headers: Vec<(String, String)>,
    /// The body (empty for 1xx, and for responses to HEAD).
    pub body: Vec<u8>,
    /// The head as text, status line to blank line.
    pub head: String,
}

impl Response {
    /// The first header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body parsed as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }
}

/// Reads one response: the head up to the blank line, then `Content-Length` bytes.
pub fn read_response(stream: &mut TcpStream) -> Response {
    read_response_to(stream, false)
}

/// Reads the response to a `HEAD` request: `Content-Length` is there, the body is not.
pub fn read_head_response(stream: &mut TcpStream) -> Response {
    read_response_to(stream, true)
}

fn read_response_to(stream: &mut TcpStream, head_request: bool) -> Response {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(0) => panic!(
                "connection closed mid-head after {:?}",
                String::from_utf8_lossy(&head)
            ),
            Ok(_) => head.push(byte[0]),
            Err(e) => panic!(
                "reading head failed ({e}) after {:?}",
                String::from_utf8_lossy(&head)
            ),
        }
    }
    let head = String::from_utf8(head).expect("an ASCII head");
    let mut lines = head.split("\r\n");
    let status_line = lines.next().expect("a status line");
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status code");
    let headers: Vec<(String, String)> = lines
        .filter(|l| !l.is_empty())
        .map(|l| {
            let (n, v) = l.split_once(':').expect("name: value");
            (n.to_owned(), v.trim().to_owned())
        })
        .collect();
    let mut response = Response {
        status,
        headers,
        body: Vec::new(),
        head,
    };
    if status >= 200 && !head_request {
        let len: usize = response
            .header("content-length")
            .expect("Content-Length")
            .parse()
            .expect("a length");
        response.body = vec![0; len];
        stream.read_exact(&mut response.body).expect("read body");
    }
    response
}

/// Whether the server has closed the connection: a read returns end-of-file (or a reset)
/// within [`PATIENCE`], with no bytes.
pub fn is_closed(stream: &mut TcpStream) -> bool {
    let mut buf = [0u8; 64];
    match stream.read(&mut buf) {
        Ok(0) => true,
        Ok(n) => panic!(
            "expected close, got {:?}",
            String::from_utf8_lossy(&buf[..n])
        ),
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => true,
        Err(e) => panic!("expected close, got {e}"),
    }
}

/// Runs the binary with arguments to completion and returns (exit code, stdout,
/// stderr). A run that has not ended within [`PATIENCE`] is killed and fails the test:
/// a command that was expected to exit but started serving must not hang the suite.
pub fn run_cli(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_hostecho"))
        .args(args)
        .env_remove("RUST_LOG")
        .env("RUST_LOG_STYLE", "never")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run hostecho");
    let start = Instant::now();
    while child.try_wait().expect("wait for hostecho").is_none() {
        if start.elapsed() > PATIENCE {
            let _ = child.kill();
            let out = child.wait_with_output().expect("collect output");
            panic!(
                "hostecho {args:?} did not exit; stdout: {}; stderr: {}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        thread::sleep(Duration::from_millis(10));
    }
    let out = child.wait_with_output().expect("collect output");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Whether the tests run under CI (`CI=true`), where every test must really run.
pub fn in_ci() -> bool {
    std::env::var("CI").as_deref() == Ok("true")
}

/// Says that a test is skipped, and why (`"chromium not installed"`), where a plain
/// `cargo test` shows it; under `CI=true` fails the test instead, naming `fix`.
///
/// libtest captures what a test prints with `print!` and `eprint!`, and shows it only
/// if the test fails, so an `eprintln!("skipped: …")` in a passing test is never seen.
/// A write to the `std::io::stderr()` handle itself is not captured: it reaches the
/// terminal at once, among the `test … ok` lines.
pub fn skip(why: &str, fix: &str) {
    assert!(!in_ci(), "{why}, and CI=true needs this test to run: {fix}");
    let _ = writeln!(std::io::stderr(), "skipped: {why}");
}

/// Whether `tool` is on the `PATH`, as bash's `command -v` finds it.
pub fn installed(tool: &str) -> bool {
    Command::new("bash")
        .args(["-c", &format!("command -v {tool}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The Chromium binary, if one is installed and runs (`--version` succeeds).
pub fn chromium() -> Option<&'static str> {
    ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|bin| {
            Command::new(bin)
                .arg("--version")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        })
}

/// How long `cargo build --example` may take. Everything is normally built already by
/// `cargo test`, but a cold `cargo test --test tutorial` may compile the library first.
const BUILD_PATIENCE: Duration = Duration::from_secs(600);

/// Builds an example with cargo and returns the path of its executable, as cargo reports
/// it (so `CARGO_TARGET_DIR` and `build.target-dir` are respected). `cargo test` has
/// released its build lock by the time tests run, so building from a test is fine.
pub fn build_example(name: &str) -> PathBuf {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| env!("CARGO").into());
    let mut command = Command::new(cargo);
    command
        .args([
            "build",
            "--offline",
            "--quiet",
            "--message-format=json-render-diagnostics",
            "--example",
            name,
            "--manifest-path",
        ])
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"));
    // Build with the profile this test was built with (`cargo test --release` has no
    // debug assertions), so the example reuses the library that is already compiled.
    if !cfg!(debug_assertions) {
        command.arg("--release");
    }
    let output = run_within(command, BUILD_PATIENCE);
    assert!(
        output.status.success(),
        "cargo build --example {name} failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // One JSON message per line; the one we want is the artifact of our example.
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|message| {
            message["reason"] == "compiler-artifact" && message["target"]["name"] == name
        })
        .find_map(|message| message["executable"].as_str().map(PathBuf::from))
        .unwrap_or_else(|| panic!("cargo build --example {name} reported no executable"))
}

/// Runs a command to completion, but gives up (and kills it) after `patience`.
pub fn run_within(mut command: Command, patience: Duration) -> Output {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("start {command:?}: {e}"));
    // Drain both pipes on threads, or a chatty child blocks on a full pipe and never exits.
    let mut stdout = child.stdout.take().expect("piped stdout");
    let mut stderr = child.stderr.take().expect("piped stderr");
    let out = thread::spawn(move || {
        let mut bytes = Vec::new();
        stdout.read_to_end(&mut bytes).map(|_| bytes)
    });
    let err = thread::spawn(move || {
        let mut bytes = Vec::new();
        stderr.read_to_end(&mut bytes).map(|_| bytes)
    });
    let deadline = Instant::now() + patience;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for the command") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{command:?} took longer than {patience:?}");
        }
        thread::sleep(Duration::from_millis(50));
    };
    Output {
        status,
        stdout: out.join().expect("stdout reader").expect("read stdout"),
        stderr: err.join().expect("stderr reader").expect("read stderr"),
    }
}
