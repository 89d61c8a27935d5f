//! The book's shell transcripts, as the tests run them: what a learner types after `$ `,
//! what comes back, and what may differ from run to run.
//!
//! Two test crates run such transcripts and share this module: `tests/tutorial.rs` (its
//! sessions, in `tests/tutorial/session.rs`, whose module doc describes the format) and
//! `tests/nginx.rs` (chapter 13's nginx sessions and recipes). Each includes it beside
//! the common test support, which it uses:
//!
//! ```text
//! mod support;
//! #[path = "support/transcript.rs"]
//! mod transcript;
//! ```
//!
//! What is here: reading a `console` block into commands ([`steps_of`]); the book's
//! ports (8090–8099) and the free ports that stand for them in a run ([`PortMap`]);
//! making a line comparable ([`normalise`]) and comparing ([`compare`], [`diff`]); and
//! running things without leaving any behind: a temporary directory ([`TempDir`]) and a
//! process in a group of its own, with its output ([`Running`]).

#![allow(dead_code)] // each crate uses a different part of this module

use std::collections::BTreeSet;
use std::fs;
use std::io::{BufRead, BufReader};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

pub use super::support::PATIENCE;

/// How long one `$ ` command may run before it is killed and the session fails. Long
/// enough for a deliberately slow client (`sleep` between writes), short enough that a
/// command waiting for something that never comes does not hang `cargo test`.
pub const COMMAND_PATIENCE: Duration = Duration::from_secs(30);

/// The ports the book uses. Each is replaced by a free port for a run.
pub const BOOK_PORTS: std::ops::RangeInclusive<u16> = 8090..=8099;

/// One `$ ` command and the output the book shows for it.
pub struct Step {
    /// The page line of its `$ `.
    pub line: usize,
    /// The command as the book shows it, continuation lines joined with newlines.
    pub command: String,
    pub expected: Vec<String>,
}

/// The HTML comment on a line, if the line is only one: `<!-- text -->` gives `text`.
pub fn comment(line: &str) -> Option<&str> {
    line.trim()
        .strip_prefix("<!--")?
        .strip_suffix("-->")
        .map(str::trim)
}

/// The lines of the fenced block that opens at `lines[start]`, and the index just after
/// its closing fence. `None` if `lines[start]` is not a fence or the block never closes.
pub fn fenced_block(lines: &[&str], start: usize) -> Option<(Vec<String>, usize)> {
    let open = lines.get(start)?;
    let fence: String = open.chars().take_while(|&c| c == '`').collect();
    if fence.len() < 3 {
        return None;
    }
    let body: Vec<String> = lines[start + 1..]
        .iter()
        .take_while(|line| !line.trim_end().starts_with(&fence))
        .map(ToString::to_string)
        .collect();
    let close = start + 1 + body.len();
    (close < lines.len()).then_some((body, close + 1))
}

/// Splits a session block into commands: a `$ ` line (continued by a trailing ` \`), then
/// the output lines up to the next `$ `. `first_line` is the page line (from 1) of the
/// block's first line, and `at` where the block is, for messages.
pub fn steps_of(block: &[String], first_line: usize, at: &str) -> Vec<Step> {
    let mut steps: Vec<Step> = Vec::new();
    let mut continued = false;
    for (offset, line) in block.iter().enumerate() {
        if continued {
            let step = steps.last_mut().expect("a continued command exists");
            step.command.push('\n');
            step.command.push_str(line);
            continued = line.ends_with(" \\");
        } else if let Some(command) = line.strip_prefix("$ ") {
            steps.push(Step {
                line: first_line + offset,
                command: command.to_owned(),
                expected: Vec::new(),
            });
            continued = line.ends_with(" \\");
        } else {
            let Some(step) = steps.last_mut() else {
                panic!("{at}: a session block must open with a `$ ` command line, not {line:?}")
            };
            step.expected.push(line.clone());
        }
    }
    assert!(
        !steps.is_empty(),
        "{at}: a session block with no `$ ` command"
    );
    assert!(
        !continued,
        "{at}: the last command ends in ` \\` but nothing continues it"
    );
    steps
}

/// Book ports (8090–8099) and the free ports that stand for them in one run.
pub struct PortMap {
    pairs: Vec<(u16, u16)>,
}

impl PortMap {
    /// Picks a free port for each book port `text` mentions (all that the book shows of a
    /// run: arguments, commands, output). The ports are four digits, like the book's, so
    /// the columns of `ss` line up the same, and are never a number the text contains, so
    /// that mapping them back cannot touch a byte count. A port is free when nothing (a
    /// listener, a connection, a socket in TIME-WAIT) uses it on loopback or a wildcard:
    /// it can be bound without `SO_REUSEADDR` on both loopback addresses. (Bound, never
    /// listened on: nothing can connect to these probes.) In a private network namespace
    /// every port is free, and nothing is probed. A port is handed out once per test
    /// process: tests run in parallel, and a port probed free may not be bound yet.
    pub fn for_text(text: &str, private_network: bool) -> PortMap {
        let numbers: BTreeSet<u64> = digit_runs(text)
            .filter_map(|(_, run)| run.parse().ok())
            .collect();
        let used: Vec<u16> = BOOK_PORTS
            .filter(|p| numbers.contains(&u64::from(*p)))
            .collect();
        // Spread the starting point so parallel runs rarely probe the same ports.
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        static HANDED_OUT: Mutex<BTreeSet<u16>> = Mutex::new(BTreeSet::new());
        let mut handed_out = HANDED_OUT.lock().unwrap_or_else(|e| e.into_inner());
        let seed = std::process::id() as usize * 7919 + NEXT.fetch_add(101, Ordering::Relaxed);
        let mut candidates = (0..7000).map(|i| 2000 + ((seed + i * 37) % 7000) as u16);
        let mut pairs = Vec::new();
        for book in used {
            let port = candidates
                .find(|&p| {
                    !BOOK_PORTS.contains(&p)
                        && !numbers.contains(&u64::from(p))
                        && !handed_out.contains(&p)
                        && (private_network || port_is_free(p))
                })
                .expect("a free four-digit port");
            handed_out.insert(port);
            pairs.push((book, port));
        }
        PortMap { pairs }
    }

    /// The port that stands for the book port `book` in this run.
    pub fn run_port(&self, book: u16) -> u16 {
        self.pairs
            .iter()
            .find(|&&(b, _)| b == book)
            .map(|&(_, port)| port)
            .unwrap_or_else(|| panic!("port {book} is not used by this run"))
    }

    /// A book text with each book port replaced by its port for this run.
    pub fn to_run(&self, text: &str) -> String {
        replace_numbers(text, |n, _| {
            self.pairs
                .iter()
                .find(|&&(book, _)| u64::from(book) == n)
                .map(|&(_, port)| port.to_string())
        })
    }

    /// Output of this run with each run port shown as the book port it stands for.
    pub fn to_book(&self, text: &str) -> String {
        replace_numbers(text, |n, before| {
            if !matches!(before, Some(':' | ' ')) {
                return None;
            }
            self.pairs
                .iter()
                .find(|&&(_, port)| u64::from(port) == n)
                .map(|&(book, _)| book.to_string())
        })
    }
}

/// Whether `port` can be bound on 127.0.0.1 and on ::1 without `SO_REUSEADDR`: Linux
/// then refuses it if any socket uses it on that address or on a wildcard, TIME-WAIT
/// included. The probes bind loopback only, never a wildcard: a wildcard bind, even
/// without `listen`, would claim the port on every address of the machine.
fn port_is_free(port: u16) -> bool {
    use socket2::{Domain, Socket, Type};
    let v4 = SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, port));
    let v6 = SocketAddr::V6(SocketAddrV6::new(Ipv6Addr::LOCALHOST, port, 0, 0));
    let probe = |addr: SocketAddr, v6only: bool| {
        let Ok(socket) = Socket::new(Domain::for_address(addr), Type::STREAM, None) else {
            return true; // no IPv6 here: nothing can use the port on it
        };
        if v6only && socket.set_only_v6(true).is_err() {
            return true;
        }
        socket.bind(&addr.into()).is_ok()
    };
    probe(v4, false) && probe(v6, true)
}

/// Every maximal run of ASCII digits in `text`, with its byte offset.
fn digit_runs(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let bytes = text.as_bytes();
    let mut at = 0;
    std::iter::from_fn(move || {
        while at < bytes.len() && !bytes[at].is_ascii_digit() {
            at += 1;
        }
        if at == bytes.len() {
            return None;
        }
        let start = at;
        while at < bytes.len() && bytes[at].is_ascii_digit() {
            at += 1;
        }
        Some((start, &text[start..at]))
    })
}

/// Replaces whole digit runs for which `with(number, char before)` says so.
fn replace_numbers(text: &str, with: impl Fn(u64, Option<char>) -> Option<String>) -> String {
    let mut out = String::new();
    let mut last = 0;
    for (at, run) in digit_runs(text) {
        let before = text[..at].chars().next_back();
        if let Some(new) = run.parse().ok().and_then(|n| with(n, before)) {
            out.push_str(&text[last..at]);
            out.push_str(&new);
            last = at + run.len();
        }
    }
    out.push_str(&text[last..]);
    out
}

/// Makes a line comparable: removes what changes from run to run, and nothing else.
///
/// - trailing white space (and the `\r` of a raw HTTP head) is dropped, and so are a
///   terminal's style sequences (`ESC [ 1 m`: curl -i prints header names in bold),
///   which a terminal shows as style, not as characters;
/// - an HTTP date (`Sun, 06 Nov 1994 08:49:37 GMT`) or an RFC 3339 time stamp becomes
///   `DATE`;
/// - `curl/7.88.1` becomes `curl/VERSION`;
/// - in curl's own remarks (lines starting with `*` or `curl: (`), a duration
///   (`after 1001 ms`, `1001 milliseconds`) becomes `N ms`;
/// - in output (`from_run`), each port of the run becomes the book port it stands for;
/// - a port after an address (`127.0.0.1:`, `[::1]:`, `localhost:`, `*:`) that is not a
///   book port — a client's ephemeral port, or one the OS chose for port 0 — becomes
///   `PORT`.
pub fn normalise(line: &str, ports: &PortMap, from_run: bool) -> String {
    let mut line = without_terminal_styles(line.trim_end());
    line = replace_shapes(&line, "Aaa, 00 Aaa 0000 00:00:00 GMT", "DATE");
    line = replace_shapes(&line, "0000-00-00T00:00:00", "DATE");
    line = replace_after(
        &line,
        "curl/",
        |c| c.is_ascii_digit() || c == '.',
        "VERSION",
    );
    if line.starts_with('*') || line.starts_with("curl: (") {
        for unit in [" ms", " milliseconds", " seconds"] {
            line = replace_before(&line, unit, "N");
        }
    }
    if from_run {
        line = ports.to_book(&line);
    }
    port_after_address(&line)
}

/// The line without ANSI SGR sequences (`ESC [` digits and `;` `m`).
fn without_terminal_styles(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(at) = rest.find("\u{1b}[") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 2..];
        let end = after
            .find(|c: char| !(c.is_ascii_digit() || c == ';'))
            .unwrap_or(after.len());
        if after[end..].starts_with('m') {
            rest = &after[end + 1..];
        } else {
            out.push_str("\u{1b}[");
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// Replaces each port after an address that is not a book port with `PORT`. Only ports
/// after an address are volatile: `12:30:45` in a log line is not a port.
fn port_after_address(line: &str) -> String {
    let mut out = String::new();
    let mut last = 0;
    for (at, run) in digit_runs(line) {
        let Some(prefix) = line[..at].strip_suffix(':') else {
            continue;
        };
        let is_book_port = run.parse::<u16>().is_ok_and(|p| BOOK_PORTS.contains(&p));
        if is_book_port || !ends_with_address(prefix) {
            continue;
        }
        out.push_str(&line[last..at]);
        out.push_str("PORT");
        last = at + run.len();
    }
    out.push_str(&line[last..]);
    out
}

/// Whether `text` ends with something a port can follow: an IPv4 address, `]` (IPv6),
/// `localhost` or `*` (ss's wildcard).
fn ends_with_address(text: &str) -> bool {
    if text.ends_with(']') || text.ends_with('*') || text.ends_with("localhost") {
        return true;
    }
    let tail: String = text
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    tail.split('.').count() == 4 && tail.split('.').all(|p| !p.is_empty())
}

/// Replaces every substring of the shape `shape` (`A` a letter, `0` a digit, anything
/// else itself) with `with`. For an RFC 3339 time stamp the fraction and zone that
/// follow the shape are taken too.
fn replace_shapes(line: &str, shape: &str, with: &str) -> String {
    let bytes = line.as_bytes();
    let shape = shape.as_bytes();
    let fits = |at: usize| {
        at + shape.len() <= bytes.len()
            && shape.iter().zip(&bytes[at..]).all(|(s, b)| match s {
                b'A' => b.is_ascii_alphabetic(),
                b'a' => b.is_ascii_lowercase(),
                b'0' => b.is_ascii_digit(),
                other => other == b,
            })
    };
    let mut out = String::new();
    let mut at = 0;
    let mut last = 0;
    while at < bytes.len() {
        if line.is_char_boundary(at) && fits(at) {
            let mut end = at + shape.len();
            if shape.ends_with(b":00") {
                // RFC 3339: `.123456`, then `Z` or `+01:00`.
                while end < bytes.len() && (bytes[end] == b'.' || bytes[end].is_ascii_digit()) {
                    end += 1;
                }
                if bytes.get(end) == Some(&b'Z') {
                    end += 1;
                } else if matches!(bytes.get(end), Some(b'+' | b'-'))
                    && bytes.len() >= end + 6
                    && bytes[end + 3] == b':'
                {
                    end += 6;
                }
            }
            out.push_str(&line[last..at]);
            out.push_str(with);
            last = end;
            at = end;
        } else {
            at += 1;
        }
    }
    out.push_str(&line[last..]);
    out
}

/// Replaces the run of characters matching `part` right after each `prefix`.
fn replace_after(line: &str, prefix: &str, part: impl Fn(char) -> bool, with: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(at) = rest.find(prefix) {
        out.push_str(&rest[..at + prefix.len()]);
        rest = &rest[at + prefix.len()..];
        let end = rest.find(|c: char| !part(c)).unwrap_or(rest.len());
        if end > 0 {
            out.push_str(with);
            rest = &rest[end..];
        }
    }
    out.push_str(rest);
    out
}

/// Replaces the number right before each `suffix` with `with`.
fn replace_before(line: &str, suffix: &str, with: &str) -> String {
    let mut out = String::new();
    let mut last = 0;
    for (at, run) in digit_runs(line) {
        if line[at + run.len()..].starts_with(suffix) {
            out.push_str(&line[last..at]);
            out.push_str(with);
            last = at + run.len();
        }
    }
    out.push_str(&line[last..]);
    out
}

/// Accepts a `Content-Length` that differs from the book's only because of what the
/// normalisation hides in the lines after it (a longer curl version or date in an echoed
/// body): if the two outputs agree line for line but for `Content-Length` lines, and a
/// value differs by exactly the difference in length of the raw lines that follow it,
/// the actual line is taken as the book's. Any other difference in a length still fails.
fn accept_lengths_that_follow(
    expected_raw: &[String],
    actual_raw: &[String],
    expected: &[String],
    actual: &mut [String],
) {
    if expected.len() != actual.len() || expected_raw.len() != actual_raw.len() {
        return;
    }
    let length = |line: &str| -> Option<(String, i64)> {
        let at = line.to_ascii_lowercase().find("content-length:")?;
        let (name, value) = line.split_at(at + "content-length:".len());
        Some((name.to_owned(), value.trim().parse().ok()?))
    };
    let raw_len = |line: &String| line.trim_end().len() as i64;
    for i in 0..expected.len() {
        if expected[i] == actual[i] {
            continue;
        }
        let (Some((name_e, book)), Some((name_a, now))) =
            (length(&expected[i]), length(&actual[i]))
        else {
            continue;
        };
        let grown: i64 = actual_raw[i + 1..].iter().map(raw_len).sum::<i64>()
            - expected_raw[i + 1..].iter().map(raw_len).sum::<i64>();
        if name_e == name_a && now - book == grown {
            actual[i] = expected[i].clone();
        }
    }
}

/// Compares what a run printed with what the book shows after it: both normalised
/// ([`normalise`], the run's ports mapped back), `Content-Length` lines allowed what
/// [`accept_lengths_that_follow`] allows, and `...` lines matching any lines. `None`
/// when they agree, else a diff (`-` book, `+` now).
pub fn compare(book: &[String], printed: &[String], ports: &PortMap) -> Option<String> {
    let expected: Vec<String> = book.iter().map(|l| normalise(l, ports, false)).collect();
    let mut actual: Vec<String> = printed.iter().map(|l| normalise(l, ports, true)).collect();
    accept_lengths_that_follow(book, printed, &expected, &mut actual);
    (!matches(&expected, &actual)).then(|| diff(&expected, &actual))
}

/// A line diff (longest common subsequence): `  ` same, `- ` only expected, `+ ` only actual.
pub fn diff(expected: &[String], actual: &[String]) -> String {
    let (n, m) = (expected.len(), actual.len());
    let mut common = vec![vec![0usize; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            common[i][j] = if expected[i] == actual[j] {
                common[i + 1][j + 1] + 1
            } else {
                common[i + 1][j].max(common[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::new();
    while i < n || j < m {
        if i < n && j < m && expected[i] == actual[j] {
            out.push(format!("  {}", expected[i]));
            (i, j) = (i + 1, j + 1);
        } else if i < n && (j == m || common[i + 1][j] >= common[i][j + 1]) {
            out.push(format!("- {}", expected[i]));
            i += 1;
        } else {
            out.push(format!("+ {}", actual[j]));
            j += 1;
        }
    }
    out.join("\n")
}

/// Whether `actual` matches `expected`, where an `expected` line that is exactly `...`
/// matches any number of lines (none included).
pub fn matches(expected: &[String], actual: &[String]) -> bool {
    // can[i][j]: expected[i..] matches actual[j..].
    let (n, m) = (expected.len(), actual.len());
    let mut can = vec![vec![false; m + 1]; n + 1];
    can[n][m] = true;
    for i in (0..n).rev() {
        for j in (0..=m).rev() {
            can[i][j] = if expected[i] == "..." {
                can[i + 1][j] || (j < m && can[i][j + 1])
            } else {
                j < m && expected[i] == actual[j] && can[i + 1][j + 1]
            };
        }
    }
    can[0][0]
}

/// A fresh, empty directory for one run (its commands' working directory, nginx's
/// prefix); removed when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    /// `hostecho-LABEL-PID-N` in the system's temporary directory.
    pub fn new(label: &str) -> TempDir {
        static COUNT: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "hostecho-{label}-{}-{}",
            std::process::id(),
            COUNT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path).expect("create a temporary directory");
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// A process (a server, nginx, or a shell with a command) in a process group of its own,
/// stdout and stderr in one pipe, as a terminal shows them: in the order written.
pub struct Running {
    child: Child,
    output: Arc<(Mutex<Output>, Condvar)>,
}

#[derive(Default)]
struct Output {
    lines: Vec<String>,
    closed: bool,
}

impl Running {
    /// Starts a server and waits for its `listening on http://` line; if none comes
    /// within [`PATIENCE`], stops it and returns everything it printed.
    pub fn start_server(command: Command, dir: &Path) -> Result<Running, Vec<String>> {
        let mut running = Running::start(command, dir);
        if running.wait_for_line("listening on http://") {
            Ok(running)
        } else {
            Err(running.stop())
        }
    }

    /// Starts `command` in `dir`.
    pub fn start(mut command: Command, dir: &Path) -> Running {
        let (reader, writer) = std::io::pipe().expect("create a pipe");
        // A learner's shell does not log at debug unless told so, and proxies
        // configured for this machine must not see loopback requests. What the
        // session's marker sets (`RUST_LOG=debug PROGRAM`) is kept.
        let set: Vec<std::ffi::OsString> = command
            .get_envs()
            .filter(|(_, value)| value.is_some())
            .map(|(name, _)| name.to_owned())
            .collect();
        for name in [
            "RUST_LOG",
            "RUST_BACKTRACE",
            "RUST_LIB_BACKTRACE",
            "HOSTECHO_BIND",
            "HOSTECHO_ALLOWED_HOSTS",
            "HOSTECHO_TRUSTED_PROXIES",
            "http_proxy",
            "HTTP_PROXY",
            "https_proxy",
            "HTTPS_PROXY",
            "all_proxy",
            "ALL_PROXY",
        ] {
            if !set.iter().any(|s| s == name) {
                command.env_remove(name);
            }
        }
        command
            .current_dir(dir)
            .env("RUST_LOG_STYLE", "never")
            .stdin(Stdio::null())
            .stdout(writer.try_clone().expect("clone the pipe"))
            .stderr(writer)
            // Its own group, so that it and whatever it started can be stopped together.
            .process_group(0);
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("start {command:?}: {e}"));
        // `command` still holds the pipe's write ends: drop them, or the reader never ends.
        drop(command);
        let output = Arc::new((Mutex::new(Output::default()), Condvar::new()));
        let sink = Arc::clone(&output);
        thread::spawn(move || {
            let mut reader = BufReader::new(reader);
            loop {
                let mut bytes = Vec::new();
                let n = reader.read_until(b'\n', &mut bytes).unwrap_or(0);
                let (lock, ready) = &*sink;
                let mut output = lock.lock().expect("output lock");
                if n == 0 {
                    output.closed = true;
                    ready.notify_all();
                    break;
                }
                if bytes.ends_with(b"\n") {
                    bytes.pop();
                }
                output
                    .lines
                    .push(String::from_utf8_lossy(&bytes).into_owned());
                ready.notify_all();
            }
        });
        Running { child, output }
    }

    /// Whether it printed a line containing `needle` within [`PATIENCE`] (`false` at
    /// once if its output ended without one).
    pub fn wait_for_line(&self, needle: &str) -> bool {
        let (lock, ready) = &*self.output;
        let deadline = Instant::now() + PATIENCE;
        let mut output = lock.lock().expect("output lock");
        loop {
            if output.lines.iter().any(|l| l.contains(needle)) {
                return true;
            }
            let now = Instant::now();
            if output.closed || now >= deadline {
                return false;
            }
            output = ready
                .wait_timeout(output, deadline - now)
                .expect("output lock")
                .0;
        }
    }

    /// Waits until the lines it printed from `from` on satisfy `done`, or until `patience`
    /// has passed, and returns those lines either way.
    pub fn printed_until(
        &self,
        from: usize,
        patience: Duration,
        done: impl Fn(&[String]) -> bool,
    ) -> Vec<String> {
        let (lock, ready) = &*self.output;
        let deadline = Instant::now() + patience;
        let mut output = lock.lock().expect("output lock");
        loop {
            let lines = output.lines.get(from..).unwrap_or_default();
            let now = Instant::now();
            if done(lines) || output.closed || now >= deadline {
                return lines.to_vec();
            }
            output = ready
                .wait_timeout(output, deadline - now)
                .expect("output lock")
                .0;
        }
    }

    /// How many lines it has printed once it has printed nothing for `quiet` (waiting at
    /// most `patience`): what a command made it print has then arrived.
    pub fn settled(&self, quiet: Duration, patience: Duration) -> usize {
        let (lock, ready) = &*self.output;
        let deadline = Instant::now() + patience;
        let mut output = lock.lock().expect("output lock");
        loop {
            let seen = output.lines.len();
            let now = Instant::now();
            if output.closed || now >= deadline {
                return seen;
            }
            let (next, timeout) = ready
                .wait_timeout_while(output, quiet.min(deadline - now), |o| {
                    o.lines.len() == seen && !o.closed
                })
                .expect("output lock");
            output = next;
            if timeout.timed_out() {
                return output.lines.len();
            }
        }
    }

    /// Everything it printed so far.
    pub fn printed(&self) -> Vec<String> {
        let (lock, _) = &*self.output;
        lock.lock().expect("output lock").lines.clone()
    }

    /// Whether the process has exited.
    pub fn exited(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(Some(_)))
    }

    /// Sends `signal` (`TERM`, `KILL`) to its process group.
    pub fn signal(&self, signal: &str) {
        kill_group(self.child.id(), signal);
    }

    /// Waits for the process to exit (at most `patience`), then stops anything it left
    /// running in its group, and returns everything printed, with its status (`None`
    /// if it had to be killed).
    pub fn finish(&mut self, patience: Duration) -> (Vec<String>, Option<ExitStatus>) {
        let deadline = Instant::now() + patience;
        let status = loop {
            match self.child.try_wait().expect("wait for a command") {
                Some(status) => break Some(status),
                None if Instant::now() >= deadline => break None,
                None => thread::sleep(Duration::from_millis(10)),
            }
        };
        (self.stop(), status)
    }

    /// Kills the process and its group, and returns everything it printed.
    pub fn stop(&mut self) -> Vec<String> {
        kill_group(self.child.id(), "KILL");
        let _ = self.child.kill();
        let _ = self.child.wait();
        let (lock, ready) = &*self.output;
        let deadline = Instant::now() + PATIENCE;
        let mut output = lock.lock().expect("output lock");
        while !output.closed && Instant::now() < deadline {
            output = ready
                .wait_timeout(output, Duration::from_millis(100))
                .expect("output lock")
                .0;
        }
        output.lines.clone()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        kill_group(self.child.id(), "KILL");
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sends `signal` to the process group `id` (the group a [`Running`] started). Without
/// `unsafe` there is no `killpg` in std, so this asks kill(1).
fn kill_group(id: u32, signal: &str) {
    let _ = Command::new("kill")
        .args([&format!("-{signal}"), "--", &format!("-{id}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(lines: &[&str]) -> Vec<String> {
        lines.iter().map(|l| l.to_string()).collect()
    }

    fn no_ports() -> PortMap {
        PortMap { pairs: Vec::new() }
    }

    #[test]
    fn normalises_only_what_varies() {
        let ports = PortMap {
            pairs: vec![(8090, 4321)],
        };
        let now = |l: &str| normalise(l, &ports, true);
        assert_eq!(now("Date: Wed, 26 Nov 2025 01:24:10 GMT\r"), "Date: DATE");
        assert_eq!(now("User-Agent: curl/8.11.1"), "User-Agent: curl/VERSION");
        assert_eq!(now("Host: 127.0.0.1:4321"), "Host: 127.0.0.1:8090");
        assert_eq!(
            now("* Connected to ::1 port 4321 (#0)"),
            "* Connected to ::1 port 8090 (#0)"
        );
        assert_eq!(
            now("peer 127.0.0.1:51234 and [::1]:40000"),
            "peer 127.0.0.1:PORT and [::1]:PORT"
        );
        assert_eq!(
            now("curl: (7) Failed after 3 ms: x"),
            "curl: (7) Failed after N ms: x"
        );
        assert_eq!(now("\u{1b}[1mDate\u{1b}[0m: x"), "Date: x");
        // Not volatile: a time of day in prose, a byte count, a timing outside curl.
        assert_eq!(now("at 12:30:45, 1234 bytes"), "at 12:30:45, 1234 bytes");
        assert_eq!(now("took 5 ms"), "took 5 ms");
    }

    #[test]
    fn a_diff_marks_what_only_one_side_has() {
        let book = strings(&["a", "b", "c"]);
        let now = strings(&["a", "x", "c", "d"]);
        assert_eq!(diff(&book, &now), "  a\n- b\n+ x\n  c\n+ d");
        assert_eq!(compare(&book, &book, &no_ports()), None);
        assert!(compare(&book, &now, &no_ports()).is_some());
    }

    #[test]
    fn stopping_a_process_stops_what_it_started() {
        // A command's shell may leave a server running in the background (`&`): the
        // whole group goes, or it would hold its port and the output pipe open.
        let dir = TempDir::new("transcript-test");
        let mut bash = Command::new("bash");
        bash.args(["-c", "sleep 600 & echo started; wait"]);
        let mut running = Running::start(bash, dir.path());
        assert!(running.wait_for_line("started"), "bash printed nothing");
        running.stop();
        // The background `sleep` holds the output pipe too: the pipe has closed only if
        // it is gone as well. (`stop` waits up to PATIENCE for that.)
        let (lock, _) = &*running.output;
        assert!(
            lock.lock().expect("output lock").closed,
            "the background sleep outlived its shell"
        );
    }

    #[test]
    fn dots_match_any_lines() {
        let e = strings(&["a", "...", "z"]);
        assert!(matches(&e, &strings(&["a", "z"])));
        assert!(matches(&e, &strings(&["a", "b", "c", "z"])));
        assert!(!matches(&e, &strings(&["a", "b"])));
        assert!(!matches(&strings(&["a"]), &strings(&["a", "b"])));
    }

    #[test]
    fn a_length_may_follow_a_longer_version_and_nothing_else() {
        let ports = no_ports();
        let book = strings(&["Content-Length: 24", "", "User-Agent: curl/7.88.1"]);
        let longer = strings(&["Content-Length: 25", "", "User-Agent: curl/7.188.1"]);
        let wrong = strings(&["Content-Length: 26", "", "User-Agent: curl/7.188.1"]);
        let norm = |lines: &[String]| -> Vec<String> {
            lines.iter().map(|l| normalise(l, &ports, true)).collect()
        };
        let mut actual = norm(&longer);
        accept_lengths_that_follow(&book, &longer, &norm(&book), &mut actual);
        assert_eq!(actual, norm(&book));
        let mut actual = norm(&wrong);
        accept_lengths_that_follow(&book, &wrong, &norm(&book), &mut actual);
        assert_ne!(actual, norm(&book));
    }
}
