//! Session transcripts: what the learner types in a shell, and what comes back, checked
//! by running it.
//!
//! The format is described in the module doc of `tests/tutorial.rs`. This module parses
//! the markers ([`sessions`]) and runs them ([`Session::run`]); what a session shares
//! with chapter 13's nginx sessions (reading the commands of a block, mapping ports,
//! normalising and comparing output, running processes) is in
//! `tests/support/transcript.rs`.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use super::support::{build_example, installed};
use super::transcript::{
    COMMAND_PATIENCE, PATIENCE, PortMap, Running, Step, TempDir, comment, compare, fenced_block,
    steps_of,
};
use super::{Page, pages};

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
        let steps = steps_of(&block, index + 3, &at(index));

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

    /// Everything the book shows of the session (arguments, environment, commands and
    /// output), where the ports to map are found.
    fn text(&self) -> String {
        let mut text = self.args.join(" ");
        for (_, v) in &self.env {
            text.push(' ');
            text.push_str(v);
        }
        for step in &self.steps {
            text.push('\n');
            text.push_str(&step.command);
            for line in &step.expected {
                text.push('\n');
                text.push_str(line);
            }
        }
        for line in self.server.iter().flat_map(|(_, lines)| lines) {
            text.push('\n');
            text.push_str(line);
        }
        text
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
        let ports = PortMap::for_text(&self.text(), network.is_some());
        let dir = TempDir::new("session");
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
                match Running::start_server(command, dir.path()) {
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
            let (output, status) = Running::start(command, dir.path()).finish(COMMAND_PATIENCE);
            let Some(_status) = status else {
                failures.push(format!(
                    "{at}: `$ {}` did not finish within {COMMAND_PATIENCE:?}; it printed:\n{}",
                    step.command,
                    output.join("\n")
                ));
                continue;
            };
            if let Some(diff) = compare(&step.expected, &output, &ports) {
                failures.push(format!(
                    "{at}: the output of `$ {}` is not the one in the book (- book, + now):\n{diff}",
                    step.command,
                ));
            }
        }

        if let Some(mut running) = server.take() {
            let printed = running.stop();
            if let Some((line, expected)) = &self.server
                && let Some(diff) = compare(expected, &printed, &ports)
            {
                failures.push(format!(
                    "{}:{line}: what `{}` printed is not what the book shows (- book, + now):\n{diff}",
                    self.file, self.program,
                ));
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
}
