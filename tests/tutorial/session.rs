//! Session transcripts: what the learner types in a shell, and what comes back, checked
//! by running it.
//!
//! The format is described in the module doc of `tests/tutorial.rs`. This module parses
//! the markers ([`sessions`]) and runs them ([`Session::run`]).

use std::collections::{BTreeMap, BTreeSet};
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

use super::{PATIENCE, Page, build_example, diff, pages};

/// How long one `$ ` command may run before it is killed and the session fails. Long
/// enough for a deliberately slow client (`sleep` between writes), short enough that a
/// command waiting for something that never comes does not hang `cargo test`.
const COMMAND_PATIENCE: Duration = Duration::from_secs(30);

/// The ports the book uses. Each is replaced by a free port for a run.
const BOOK_PORTS: std::ops::RangeInclusive<u16> = 8090..=8099;

/// Tools a command may need that are not always installed, with the Debian package that
/// has them. A command that names one that is missing is skipped (and fails under CI).
const TOOLS: [(&str, &str); 7] = [
    ("curl", "curl"),
    ("nc", "netcat-openbsd"),
    ("ss", "iproute2"),
    ("nginx", "nginx-light"),
    ("chromium", "chromium"),
    ("python3", "python3"),
    ("wrk", "wrk"),
];

/// One `<!-- session: … -->` block of the book, with its optional server block.
pub struct Session {
    /// `tutorial/src/PAGE:LINE` (or `README.md:LINE`) of the marker.
    pub at: String,
    /// The page's file name.
    pub page: String,
    /// The page's path from the repository's root, for the messages of each command.
    pub file: String,
    /// `NAME=value` words before the program.
    pub env: Vec<(String, String)>,
    /// An example name, `hostecho`, or `-` for no server.
    pub program: String,
    pub args: Vec<String>,
    pub steps: Vec<Step>,
    /// The `<!-- session-server -->` block: its line and expected lines.
    pub server: Option<(usize, Vec<String>)>,
}

/// One `$ ` command and the output the book shows for it.
pub struct Step {
    /// The page line of its `$ `.
    pub line: usize,
    /// The command as the book shows it, continuation lines joined with newlines.
    pub command: String,
    pub expected: Vec<String>,
}

/// Every session in the book. Panics, naming the page and line, on a marker that is not
/// in the documented form: a session the test cannot read is one nobody checks.
pub fn sessions() -> Vec<Session> {
    pages()
        .iter()
        .flat_map(|page| sessions_of(page, "tutorial/src/"))
        .collect()
}

/// The sessions of the README, which shows what hostecho prints the same way, and is
/// checked the same way. Panics as [`sessions`] does.
pub fn readme_sessions() -> Vec<Session> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
    let page = Page {
        name: "README.md".to_owned(),
        text: fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
    };
    sessions_of(&page, "")
}

/// The HTML comment on a line, if the line is only one: `<!-- text -->` gives `text`.
fn comment(line: &str) -> Option<&str> {
    line.trim()
        .strip_prefix("<!--")?
        .strip_suffix("-->")
        .map(str::trim)
}

/// The sessions of one page, whose path from the repository's root is `dir` + its name.
fn sessions_of(page: &Page, dir: &str) -> Vec<Session> {
    let lines: Vec<&str> = page.text.lines().collect();
    let file = format!("{dir}{}", page.name);
    let at = |index: usize| format!("{file}:{}", index + 1);
    let mut found = Vec::new();
    // The server blocks that belong to a session, so that a stray one can be reported.
    let mut claimed = BTreeSet::new();
    for (index, line) in lines.iter().enumerate() {
        let Some(marker) = comment(line).and_then(|c| c.strip_prefix("session:")) else {
            continue;
        };
        let words: Vec<&str> = marker.split_whitespace().collect();
        let first_non_env = words
            .iter()
            .position(|w| !is_env_assignment(w))
            .unwrap_or_else(|| {
                panic!(
                    "{}: a session marker is `<!-- session: [VAR=value…] PROGRAM ARGS… -->`, \
                     with PROGRAM an example, `hostecho` or `-`; this one names no program",
                    at(index)
                )
            });
        let env = words[..first_non_env]
            .iter()
            .filter_map(|w| w.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        let program = words[first_non_env].to_owned();
        let args: Vec<String> = words[first_non_env + 1..]
            .iter()
            .map(ToString::to_string)
            .collect();
        let (block, after) = fenced_block(&lines, index + 1).unwrap_or_else(|| {
            panic!(
                "{}: a session marker must be followed at once by a fenced code block (```console)",
                at(index)
            )
        });
        let steps = steps_of(&block, index + 2, &at(index));

        // An optional server block: blank lines, the marker, its fenced block.
        let mut next = after;
        while lines.get(next).is_some_and(|l| l.trim().is_empty()) {
            next += 1;
        }
        let server = match lines.get(next).and_then(|l| comment(l)) {
            Some("session-server") => {
                claimed.insert(next);
                let (block, _) = fenced_block(&lines, next + 1).unwrap_or_else(|| {
                    panic!(
                        "{}: `<!-- session-server -->` must be followed at once by a fenced code block",
                        at(next)
                    )
                });
                Some((next + 1, block))
            }
            _ => None,
        };
        found.push(Session {
            at: at(index),
            page: page.name.clone(),
            file: file.clone(),
            env,
            program,
            args,
            steps,
            server,
        });
    }
    for (index, line) in lines.iter().enumerate() {
        let Some(text) = comment(line) else { continue };
        if text.starts_with("session-server") {
            assert!(
                text == "session-server" && claimed.contains(&index),
                "{}: `<!-- session-server -->` must come right after a session's block \
                 (only blank lines between), and take no arguments",
                at(index)
            );
        } else if text.starts_with("session") && !text.starts_with("session:") {
            panic!(
                "{}: {line:?} looks like a session marker but is not `<!-- session: … -->`",
                at(index)
            );
        }
    }
    found
}

/// `NAME=value`, as a shell reads an assignment before a command.
fn is_env_assignment(word: &str) -> bool {
    word.split_once('=').is_some_and(|(name, _)| {
        !name.is_empty()
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !name.starts_with(|c: char| c.is_ascii_digit())
    })
}

/// The lines of the fenced block that opens at `lines[start]`, and the index just after
/// its closing fence. `None` if `lines[start]` is not a fence or the block never closes.
fn fenced_block(lines: &[&str], start: usize) -> Option<(Vec<String>, usize)> {
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
/// the output lines up to the next `$ `.
fn steps_of(block: &[String], first_line: usize, at: &str) -> Vec<Step> {
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

/// What became of a session.
pub enum Outcome {
    /// Everything matched.
    Passed,
    /// A tool it needs is absent: the tool's name.
    Skipped(String),
    /// One message per difference, each naming the page and line.
    Failed(Vec<String>),
}

impl Session {
    /// Whether the session binds a wildcard address (`0.0.0.0`, `[::]`, or Python's
    /// `""` host): then its server and commands run in a private network namespace.
    ///
    /// A socket bound to a wildcard takes connections to every address of the machine,
    /// its network addresses included, so for as long as the session runs anyone on the
    /// network could reach it. In a fresh namespace the only interface is loopback, so
    /// the same commands show the same behaviour and nothing outside can connect.
    pub fn needs_private_network(&self) -> bool {
        self.args.iter().any(|a| names_wildcard(a))
            || self.env.iter().any(|(_, v)| names_wildcard(v))
            || self.steps.iter().any(|s| names_wildcard(&s.command))
    }

    /// The tools its commands name that are not installed here.
    pub fn missing_tools(&self) -> Vec<String> {
        let mut missing = BTreeSet::new();
        if self.needs_private_network() && !private_network_available() {
            missing.insert("unshare".to_owned());
        }
        // Every command runs in a terminal that script(1) (util-linux) provides.
        if !installed("script") {
            missing.insert("script".to_owned());
        }
        for step in &self.steps {
            for (tool, _) in TOOLS {
                if names_tool(&step.command, tool) && !installed(tool) {
                    missing.insert(tool.to_owned());
                }
            }
        }
        missing.into_iter().collect()
    }

    /// Checks the session: structure here, then everything against the real programs.
    pub fn validate(&self, examples: &BTreeSet<String>) -> Result<(), String> {
        if self.program != "-" && self.program != "hostecho" && !examples.contains(&self.program) {
            return Err(format!(
                "{}: session of {:?}, which is neither an example in examples/, `hostecho` nor `-`",
                self.at, self.program
            ));
        }
        if self.program == "-" && (self.server.is_some() || !self.args.is_empty()) {
            return Err(format!(
                "{}: a session without a server (`-`) takes no arguments and has no server block",
                self.at
            ));
        }
        for step in &self.steps {
            for name in cargo_run_examples(&step.command) {
                if !examples.contains(&name) {
                    return Err(format!(
                        "{}:{}: `cargo run --example {name}`: no such example",
                        self.file, step.line
                    ));
                }
            }
        }
        Ok(())
    }

    /// Runs the session and compares everything it printed with the book.
    pub fn run(&self) -> Outcome {
        if let Some(tool) = self.missing_tools().into_iter().next() {
            return Outcome::Skipped(tool);
        }
        let network = if self.needs_private_network() {
            match Namespace::new() {
                Ok(network) => Some(network),
                Err(why) => {
                    return Outcome::Failed(vec![format!(
                        "{}: binds a wildcard address, and a private network namespace for it \
                         could not be made: {why}",
                        self.at
                    )]);
                }
            }
        } else {
            None
        };
        let ports = PortMap::for_session(self, network.is_some());
        let dir = TempDir::new();
        let mut failures = Vec::new();

        let mut server = match self.program.as_str() {
            "-" => None,
            program => {
                let executable = if program == "hostecho" {
                    PathBuf::from(env!("CARGO_BIN_EXE_hostecho"))
                } else {
                    build_example(program)
                };
                let mut command = inside(network.as_ref(), executable.as_os_str());
                command
                    .args(self.args.iter().map(|a| ports.to_run(a)))
                    .envs(self.env.iter().map(|(k, v)| (k, ports.to_run(v))));
                match Running::start(command, dir.path(), true) {
                    Ok(running) => Some(running),
                    Err(output) => {
                        return Outcome::Failed(vec![format!(
                            "{}: `{program} {}` printed no `listening on` line within {PATIENCE:?}; it printed:\n{}",
                            self.at,
                            self.args.join(" "),
                            output.join("\n")
                        )]);
                    }
                }
            }
        };

        for step in &self.steps {
            let at = format!("{}:{}", self.file, step.line);
            let script = ports.to_run(&rewrite_cargo_run(&step.command));
            // script(1) gives the command a terminal, as the learner's has: curl -v
            // then prints the body where a terminal shows it, not `{ [14 bytes data]`
            // after the fact, and shows no progress meter. It runs `$SHELL -c`.
            let mut command = inside(network.as_ref(), "script".as_ref());
            command
                .args(["--quiet", "--return", "--command"])
                .arg(&script)
                .arg("/dev/null")
                .env("SHELL", "/bin/bash");
            let (output, status) = match Running::start(command, dir.path(), false) {
                Ok(mut running) => running.finish(COMMAND_PATIENCE),
                Err(output) => (output, None),
            };
            let Some(_status) = status else {
                failures.push(format!(
                    "{at}: `$ {}` did not finish within {COMMAND_PATIENCE:?}; it printed:\n{}",
                    step.command,
                    output.join("\n")
                ));
                continue;
            };
            let expected: Vec<String> = step
                .expected
                .iter()
                .map(|l| normalise(l, &ports, false))
                .collect();
            let mut actual: Vec<String> =
                output.iter().map(|l| normalise(l, &ports, true)).collect();
            accept_lengths_that_follow(&step.expected, &output, &expected, &mut actual);
            if !matches(&expected, &actual) {
                failures.push(format!(
                    "{at}: the output of `$ {}` is not the one in the book (- book, + now):\n{}",
                    step.command,
                    diff(&expected, &actual)
                ));
            }
        }

        if let Some(mut running) = server.take() {
            let printed = running.stop();
            if let Some((line, expected)) = &self.server {
                let expected: Vec<String> = expected
                    .iter()
                    .map(|l| normalise(l, &ports, false))
                    .collect();
                let actual: Vec<String> =
                    printed.iter().map(|l| normalise(l, &ports, true)).collect();
                if !matches(&expected, &actual) {
                    failures.push(format!(
                        "{}:{line}: what `{}` printed is not what the book shows (- book, + now):\n{}",
                        self.file,
                        self.program,
                        diff(&expected, &actual)
                    ));
                }
            }
        }
        if failures.is_empty() {
            Outcome::Passed
        } else {
            Outcome::Failed(failures)
        }
    }
}

/// The Debian package that has `tool`, for messages.
pub fn package_of(tool: &str) -> &str {
    TOOLS.iter().find(|(name, _)| *name == tool).map_or(
        match tool {
            "script" => "bsdutils",
            "unshare" => "util-linux, run as root",
            other => other,
        },
        |(_, package)| package,
    )
}

/// Whether `text` names a wildcard address: `0.0.0.0` (not the end of `10.0.0.0`),
/// `[::]`, or Python's empty host in `bind(("", …))`.
fn names_wildcard(text: &str) -> bool {
    let ipv4 = text.match_indices("0.0.0.0").any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + "0.0.0.0".len()..].chars().next();
        before.is_none_or(|c| !(c.is_ascii_digit() || c == '.'))
            && after.is_none_or(|c| !(c.is_ascii_digit() || c == '.' || c == '/'))
    });
    ipv4 || text.contains("[::]") || text.contains("bind((\"\"") || text.contains("bind(('',")
}

/// Whether this machine can make a private network namespace: `unshare -n` (root, or a
/// user namespace) and `ip` to bring its loopback up.
fn private_network_available() -> bool {
    Command::new("unshare")
        .args(["-n", "ip", "link", "set", "lo", "up"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
        && installed("nsenter")
}

/// A private network namespace with loopback only, held open by a `sleep` that
/// `unshare -n` started in it, for as long as a session runs; programs enter it with
/// `nsenter --net` ([`inside`]). The `sleep` ends by itself after ten minutes if the
/// test is killed before it can stop it.
pub struct Namespace {
    holder: Child,
}

impl Namespace {
    fn new() -> Result<Namespace, String> {
        let mut holder = Command::new("unshare")
            .args([
                "-n",
                "sh",
                "-c",
                "ip link set lo up && echo up && exec sleep 600",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("unshare: {e}"))?;
        // `up` once loopback is up; nothing (and an error on stderr) if it failed.
        let mut line = String::new();
        let stdout = holder.stdout.take().expect("stdout is piped");
        let _ = BufReader::new(stdout).read_line(&mut line);
        if line.trim() != "up" {
            let _ = holder.kill();
            let output = holder.wait_with_output().map_err(|e| e.to_string())?;
            return Err(String::from_utf8_lossy(&output.stderr).trim().to_owned());
        }
        Ok(Namespace { holder })
    }
}

impl Drop for Namespace {
    fn drop(&mut self) {
        let _ = self.holder.kill();
        let _ = self.holder.wait();
    }
}

/// A command that runs `program` in `network`, or here when there is none. nsenter
/// enters the namespace and then execs `program`, so the process is `program` itself.
fn inside(network: Option<&Namespace>, program: &std::ffi::OsStr) -> Command {
    match network {
        None => Command::new(program),
        Some(network) => {
            let mut command = Command::new("nsenter");
            command
                .arg(format!("--net=/proc/{}/ns/net", network.holder.id()))
                .arg("--")
                .arg(program);
            command
        }
    }
}

/// Whether a shell command runs `tool`: the name as a word of its own, where a command
/// can start (after a space, `|`, `;`, `&`, `(` or at the start).
fn names_tool(command: &str, tool: &str) -> bool {
    command.match_indices(tool).any(|(at, _)| {
        let before = command[..at].chars().next_back();
        let after = command[at + tool.len()..].chars().next();
        before.is_none_or(|c| " |;&(\n".contains(c)) && after.is_none_or(|c| c == ' ' || c == '\n')
    })
}

fn installed(tool: &str) -> bool {
    Command::new("bash")
        .args(["-c", &format!("command -v {tool}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The examples a command starts with `cargo run --quiet --example NAME`.
fn cargo_run_examples(command: &str) -> Vec<String> {
    command
        .match_indices("--example ")
        .map(|(at, m)| {
            command[at + m.len()..]
                .split(|c: char| c.is_whitespace() || c == ';' || c == '&' || c == '|')
                .next()
                .unwrap_or_default()
                .to_owned()
        })
        .collect()
}

/// Replaces what a learner types to start a program from the repository
/// (`cargo run --quiet --example NAME`, `cargo run --quiet [--release] --`) by the
/// program cargo built, so a command can start a second server (to show a bind error,
/// say) without running cargo inside the test.
fn rewrite_cargo_run(command: &str) -> String {
    let mut out = command.to_owned();
    for name in cargo_run_examples(command) {
        for form in ["cargo run --quiet --example ", "cargo run -q --example "] {
            let from = format!("{form}{name}");
            if out.contains(&from) {
                let to = build_example(&name).display().to_string();
                out = out.replace(&from, &to);
            }
        }
    }
    let hostecho = env!("CARGO_BIN_EXE_hostecho");
    for form in [
        "cargo run --quiet --release --",
        "cargo run --quiet --",
        "cargo run -q --release --",
        "cargo run -q --",
    ] {
        out = out.replace(form, hostecho);
    }
    out
}

/// Book ports (8090–8099) and the free ports that stand for them in one run.
pub struct PortMap {
    pairs: Vec<(u16, u16)>,
}

impl PortMap {
    /// Picks a free port for each book port the session mentions. The ports are four
    /// digits, like the book's, so the columns of `ss` line up the same, and are never a
    /// number the session's text contains, so that mapping them back cannot touch a byte
    /// count. A port is free when nothing (a listener, a connection, a socket in
    /// TIME-WAIT) uses it on loopback or a wildcard: it can be bound without
    /// `SO_REUSEADDR` on both loopback addresses. (Bound, never listened on: nothing can connect to these
    /// probes.) In a private network namespace every port is free, and nothing is probed.
    fn for_session(session: &Session, private_network: bool) -> PortMap {
        let mut text = session.args.join(" ");
        for (_, v) in &session.env {
            text.push(' ');
            text.push_str(v);
        }
        for step in &session.steps {
            text.push('\n');
            text.push_str(&step.command);
            for line in &step.expected {
                text.push('\n');
                text.push_str(line);
            }
        }
        for line in session.server.iter().flat_map(|(_, lines)| lines) {
            text.push('\n');
            text.push_str(line);
        }
        let numbers: BTreeSet<u64> = digit_runs(&text)
            .filter_map(|(_, run)| run.parse().ok())
            .collect();
        let used: Vec<u16> = BOOK_PORTS
            .filter(|p| numbers.contains(&u64::from(*p)))
            .collect();
        // Spread the starting point so parallel runs rarely probe the same ports.
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let seed = std::process::id() as usize * 7919 + NEXT.fetch_add(101, Ordering::Relaxed);
        let mut candidates = (0..7000).map(|i| 2000 + ((seed + i * 37) % 7000) as u16);
        let mut pairs = Vec::new();
        for book in used {
            let port = candidates
                .find(|&p| {
                    !BOOK_PORTS.contains(&p)
                        && !numbers.contains(&u64::from(p))
                        && !pairs.iter().any(|&(_, q)| q == p)
                        && (private_network || port_is_free(p))
                })
                .expect("a free four-digit port");
            pairs.push((book, port));
        }
        PortMap { pairs }
    }

    /// A book text with each book port replaced by its port for this run.
    fn to_run(&self, text: &str) -> String {
        replace_numbers(text, |n, _| {
            self.pairs
                .iter()
                .find(|&&(book, _)| u64::from(book) == n)
                .map(|&(_, port)| port.to_string())
        })
    }

    /// Output of this run with each run port shown as the book port it stands for.
    fn to_book(&self, text: &str) -> String {
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
fn normalise(line: &str, ports: &PortMap, from_run: bool) -> String {
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

/// Whether `actual` matches `expected`, where an `expected` line that is exactly `...`
/// matches any number of lines (none included).
fn matches(expected: &[String], actual: &[String]) -> bool {
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

/// A fresh, empty directory for one session's commands; removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        static COUNT: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "hostecho-session-{}-{}",
            std::process::id(),
            COUNT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path).expect("create a temporary directory");
        TempDir(path)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// A process (a server, or `bash -c` with a command) in a process group of its own,
/// stdout and stderr in one pipe, as a terminal shows them: in the order written.
struct Running {
    child: Child,
    output: Arc<(Mutex<Output>, Condvar)>,
}

#[derive(Default)]
struct Output {
    lines: Vec<String>,
    closed: bool,
}

impl Running {
    /// Starts `command` in `dir`. With `wait_for_listening`, waits for its
    /// `listening on http://` line and returns everything printed if it never comes.
    fn start(
        mut command: Command,
        dir: &Path,
        wait_for_listening: bool,
    ) -> Result<Running, Vec<String>> {
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
        let mut running = Running { child, output };
        if wait_for_listening && !running.wait_for_line("listening on http://") {
            return Err(running.stop());
        }
        Ok(running)
    }

    fn wait_for_line(&self, needle: &str) -> bool {
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

    /// Waits for the process to exit (at most `patience`), then stops anything it left
    /// running in its group, and returns everything printed, with its status (`None`
    /// if it had to be killed).
    fn finish(&mut self, patience: Duration) -> (Vec<String>, Option<ExitStatus>) {
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
    fn stop(&mut self) -> Vec<String> {
        kill_group(self.child.id());
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
        kill_group(self.child.id());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sends SIGKILL to the process group `id` (the group a [`Running`] started). Without
/// `unsafe` there is no `killpg` in std, so this asks kill(1).
fn kill_group(id: u32) {
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{id}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// The sessions of each page, for the structural tests.
pub fn by_page() -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for session in sessions() {
        *counts.entry(session.page).or_insert(0) += 1;
    }
    counts
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
    fn wildcards_are_recognised_and_other_addresses_are_not() {
        for text in [
            "0.0.0.0:8091",
            "--bind 0.0.0.0:0",
            "[::]:8090",
            "HOSTECHO_BIND=127.0.0.1:8090,0.0.0.0:8090",
            "python3 -c 's.bind((\"\", 0))'",
        ] {
            assert!(names_wildcard(text), "{text}");
        }
        for text in [
            "10.0.0.0/8",
            "127.0.0.1:8090",
            "[::1]:8092",
            "0.0.0.0/0",
            "100.0.0.0",
        ] {
            assert!(!names_wildcard(text), "{text}");
        }
    }

    #[test]
    fn the_book_binds_wildcards_only_in_private_networks() {
        let ch02: Vec<Session> = sessions()
            .into_iter()
            .filter(|s| s.page == "ch02-where-you-bind.md")
            .collect();
        assert!(
            ch02.iter()
                .any(|s| s.args.iter().any(|a| a.starts_with("0.0.0.0:"))
                    && s.needs_private_network())
        );
        assert!(ch02.iter().any(|s| !s.needs_private_network()));
    }

    #[test]
    fn a_private_network_has_loopback_and_nothing_else() {
        if !private_network_available() {
            let _ = std::io::Write::write_all(
                &mut std::io::stderr(),
                b"skipped: unshare not available (tests/tutorial/session.rs)\n",
            );
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "CI=true needs unshare -n (util-linux, as root)"
            );
            return;
        }
        let network = Namespace::new().expect("a private network namespace");
        let output = inside(Some(&network), "ip".as_ref())
            .args(["-o", "link"])
            .output()
            .expect("run ip link in the namespace");
        let links = String::from_utf8_lossy(&output.stdout);
        assert_eq!(links.lines().count(), 1, "{links}");
        assert!(links.contains(": lo: ") && links.contains("UP"), "{links}");
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
