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

/// A program a page starts in a console block of its own, one `$ ` line and nothing else:
///
/// ```text
/// $ [VAR=value…] cargo run [--quiet] [--release] --example NAME [--] [ARGS…]
/// $ [VAR=value…] cargo run [--quiet] --release [-- ARGS…]       (hostecho)
/// $ [VAR=value…] hostecho [ARGS…]                               (hostecho, installed)
/// ```
///
/// The reader types that line in a terminal of its own and leaves the server running; the
/// test starts exactly that program, with that environment and those arguments.
pub struct Start {
    /// `PAGE:LINE` of its `$ ` line.
    pub at: String,
    /// The command as the page shows it.
    pub command: String,
    pub env: Vec<(String, String)>,
    /// An example's name, or `hostecho`.
    pub program: String,
    /// Its arguments as the page shows them (shell quotes removed).
    pub args: Vec<String>,
    /// The address it listens on, as the page gives it or by default (127.0.0.1:8090):
    /// a later start on the same address replaces it, as the reader must stop one server
    /// (Ctrl-C) before starting another on its port.
    pub addr: String,
    /// Whether `addr` is the program's default, which the page does not spell out: the
    /// test then passes it (mapped to a free port), as the default would be.
    pub default_addr: bool,
}

/// One `<!-- session -->` block of the book: commands typed in a second terminal while
/// the servers the page started above it run, with the optional block of what a server
/// printed meanwhile.
pub struct Session {
    /// `tutorial/src/PAGE:LINE` (or `README.md:LINE`) of the marker.
    pub at: String,
    pub steps: Vec<Step>,
    /// The `<!-- session-server [ADDR] -->` block: its line, the server it shows (the
    /// one started last when no address is given) and its expected lines.
    pub server: Option<(usize, Option<String>, Vec<String>)>,
}

/// A start or a session, in page order.
pub enum Item {
    Start(Start),
    Session(Session),
}

/// The starts and sessions of one page, run in order as a reader would: each server
/// runs from its start until a start on its address replaces it, or the page ends.
pub struct Script {
    /// The page's file name.
    pub page: String,
    /// The page's path from the repository's root, for the messages of each command.
    pub file: String,
    pub items: Vec<Item>,
}

impl Script {
    pub fn sessions(&self) -> impl Iterator<Item = &Session> {
        self.items.iter().filter_map(|item| match item {
            Item::Session(s) => Some(s),
            Item::Start(_) => None,
        })
    }

    pub fn starts(&self) -> impl Iterator<Item = &Start> {
        self.items.iter().filter_map(|item| match item {
            Item::Start(s) => Some(s),
            Item::Session(_) => None,
        })
    }
}

/// Every page of the book with a session, as a script. Panics, naming the page and line,
/// on a marker that is not in the documented form: a session the test cannot read is one
/// nobody checks.
pub fn scripts() -> Vec<Script> {
    pages()
        .iter()
        .map(|page| script_of(page, "tutorial/src/"))
        .filter(|script| script.sessions().next().is_some())
        .collect()
}

/// The README as a script: it shows what hostecho prints the same way, and is checked
/// the same way. Panics as [`scripts`] does.
pub fn readme_script() -> Script {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
    let page = Page {
        name: "README.md".to_owned(),
        text: fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
    };
    script_of(&page, "")
}

/// The lines of a page that mdBook shows, by index: everything but HTML comments, which a
/// reader never sees (a fenced block inside a comment included).
pub fn visible_lines(lines: &[&str]) -> Vec<bool> {
    let mut visible = Vec::with_capacity(lines.len());
    let mut in_comment = false;
    let mut fence: Option<String> = None;
    for line in lines {
        if let Some(open) = &fence {
            visible.push(true);
            if line.trim_start().starts_with(open.as_str()) {
                fence = None;
            }
            continue;
        }
        let trimmed = line.trim_start();
        if in_comment {
            visible.push(false);
            in_comment = !line.contains("-->");
            continue;
        }
        if trimmed.starts_with("<!--") {
            visible.push(false);
            in_comment = !trimmed.contains("-->");
            continue;
        }
        let ticks: String = trimmed.chars().take_while(|&c| c == '`').collect();
        if ticks.len() >= 3 {
            fence = Some(ticks);
        }
        visible.push(true);
    }
    visible
}

/// The script of one page, whose path from the repository's root is `dir` + its name.
fn script_of(page: &Page, dir: &str) -> Script {
    let lines: Vec<&str> = page.text.lines().collect();
    let visible = visible_lines(&lines);
    let file = format!("{dir}{}", page.name);
    let at = |index: usize| format!("{file}:{}", index + 1);
    let mut items = Vec::new();
    // The blocks that belong to a session, so that a stray server block can be reported.
    let mut claimed = BTreeSet::new();
    let mut index = 0;
    while index < lines.len() {
        let line = lines[index];
        if let Some(marker) = comment(line).filter(|c| c.starts_with("session")) {
            if marker.starts_with("session-server") {
                assert!(
                    claimed.contains(&index),
                    "{}: `<!-- session-server -->` must come right after a session's block \
                     (only blank lines between)",
                    at(index)
                );
                index += 1;
                continue;
            }
            assert!(
                marker == "session",
                "{}: {line:?}: a session marker is `<!-- session -->`, nothing more. The \
                 servers it talks to are the ones the page starts above it, in a console \
                 block the reader sees (`$ cargo run --example NAME ARGS`); a marker never \
                 starts one",
                at(index)
            );
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
                Some(text) if text.starts_with("session-server") => {
                    let addr = text["session-server".len()..].trim();
                    let addr = match addr.strip_prefix(':') {
                        Some(addr) => Some(addr.trim().to_owned()),
                        None if addr.is_empty() => None,
                        None => panic!(
                            "{}: a server block's marker is `<!-- session-server -->` or \
                             `<!-- session-server: ADDR -->`, not {text:?}",
                            at(next)
                        ),
                    };
                    claimed.insert(next);
                    let (block, end) = fenced_block(&lines, next + 1).unwrap_or_else(|| {
                        panic!(
                            "{}: `<!-- session-server -->` must be followed at once by a fenced code block",
                            at(next)
                        )
                    });
                    next = end;
                    Some((next_line(next, &block), addr, block))
                }
                _ => {
                    next = after;
                    None
                }
            };
            items.push(Item::Session(Session {
                at: at(index),
                steps,
                server,
            }));
            index = next;
            continue;
        }
        // A visible console block of one `$ ` line that starts a server.
        if visible[index]
            && line.trim_end() == "```console"
            && let Some((block, after)) = fenced_block(&lines, index)
        {
            // One command (` \` continues it on the next line) and no output.
            let joined = block.join("\n");
            if block.first().is_some_and(|l| l.starts_with("$ "))
                && block[..block.len() - 1].iter().all(|l| l.ends_with(" \\"))
                && let Some(start) = start_of(&joined[2..], &at(index + 1))
            {
                items.push(Item::Start(start));
            }
            index = after;
            continue;
        }
        index += 1;
    }
    Script {
        page: page.name.clone(),
        file,
        items,
    }
}

/// The page line (from 1) of a server block's first line, given the index after its
/// closing fence.
fn next_line(after: usize, block: &[String]) -> usize {
    after - block.len()
}

/// The server a command starts, if it is one of the forms of [`Start`].
pub fn start_of(command: &str, at: &str) -> Option<Start> {
    let words = shell_words(command);
    let first_non_env = words.iter().position(|w| !is_env_assignment(w))?;
    let env: Vec<(String, String)> = words[..first_non_env]
        .iter()
        .filter_map(|w| w.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    let rest = &words[first_non_env..];
    let (program, args): (String, Vec<String>) = match rest {
        [hostecho, args @ ..] if hostecho == "hostecho" => ("hostecho".to_owned(), args.to_vec()),
        [cargo, run, rest @ ..] if cargo == "cargo" && run == "run" => {
            let mut rest = rest;
            let mut example = None;
            let mut release = false;
            loop {
                match rest {
                    [flag, more @ ..] if flag == "--quiet" || flag == "-q" => rest = more,
                    [flag, more @ ..] if flag == "--release" => {
                        release = true;
                        rest = more;
                    }
                    [flag, name, more @ ..] if flag == "--example" => {
                        example = Some(name.clone());
                        rest = more;
                    }
                    _ => break,
                }
            }
            let args = match rest {
                [dashes, args @ ..] if dashes == "--" => args.to_vec(),
                [] => Vec::new(),
                args if example.is_some() => args.to_vec(),
                _ => return None,
            };
            match example {
                Some(name) => (name, args),
                // `cargo run` of hostecho itself, the only binary: `cargo run --release`,
                // or with arguments after `--`.
                None if release || rest.first().is_some_and(|w| w == "--") => {
                    ("hostecho".to_owned(), args)
                }
                None => return None,
            }
        }
        _ => return None,
    };
    let given = if program == "hostecho" {
        bind_of_hostecho(&args).or_else(|| {
            env.iter()
                .find(|(k, _)| k == "HOSTECHO_BIND")
                .map(|(_, v)| v.split(',').next().unwrap_or_default().to_owned())
        })
    } else {
        args.first()
            .filter(|a| a.parse::<std::net::SocketAddr>().is_ok())
            .cloned()
    };
    Some(Start {
        at: at.to_owned(),
        command: command.to_owned(),
        env,
        program,
        args,
        default_addr: given.is_none(),
        addr: given.unwrap_or_else(|| DEFAULT_ADDR.to_owned()),
    })
}

/// Where the course's programs and hostecho listen when not told: the first of the
/// book's ports (`every_example_listens_on_its_chapters_address_by_default` checks the
/// examples).
pub const DEFAULT_ADDR: &str = "127.0.0.1:8090";

/// hostecho's first `-b ADDR`, `--bind ADDR` or `--bind=ADDR`.
fn bind_of_hostecho(args: &[String]) -> Option<String> {
    args.iter().enumerate().find_map(|(i, a)| {
        if a == "-b" || a == "--bind" {
            args.get(i + 1)
                .map(|v| v.split(',').next().unwrap_or_default().to_owned())
        } else {
            a.strip_prefix("--bind=").map(str::to_owned)
        }
    })
}

/// Splits a command line into words as a shell does for the simple commands the book
/// shows: white space separates, single quotes keep everything, double quotes keep all
/// but `\"`, a backslash outside quotes keeps the next character.
pub fn shell_words(command: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = command.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                for c in chars.by_ref() {
                    if c == '\'' {
                        break;
                    }
                    word.push(c);
                }
            }
            '"' => {
                in_word = true;
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => word.extend(chars.next()),
                        c => word.push(c),
                    }
                }
            }
            // A backslash before a newline continues the line; before anything else, it
            // keeps that character.
            '\\' => match chars.next() {
                Some('\n') | None => {}
                Some(c) => {
                    in_word = true;
                    word.push(c);
                }
            },
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    words
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

/// A server of a script while it runs.
struct Live {
    addr: String,
    program: String,
    running: Running,
    /// How many of its lines earlier sessions have shown (or passed by).
    seen: usize,
}

impl Script {
    /// Whether the page binds a wildcard address (`0.0.0.0`, `[::]`, or Python's
    /// `""` host): then its servers and commands run in a private network namespace.
    ///
    /// A socket bound to a wildcard takes connections to every address of the machine,
    /// its network addresses included, so for as long as the page runs anyone on the
    /// network could reach it. In a fresh namespace the only interface is loopback, so
    /// the same commands show the same behaviour and nothing outside can connect.
    pub fn needs_private_network(&self) -> bool {
        self.starts().any(|s| {
            s.args.iter().any(|a| names_wildcard(a)) || s.env.iter().any(|(_, v)| names_wildcard(v))
        }) || self
            .sessions()
            .flat_map(|s| &s.steps)
            .any(|s| names_wildcard(&s.command))
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
        for step in self.sessions().flat_map(|s| &s.steps) {
            for (tool, _) in TOOLS {
                if names_tool(&step.command, tool) && !installed(tool) {
                    missing.insert(tool.to_owned());
                }
            }
        }
        missing.into_iter().collect()
    }

    /// Everything the page shows of its runs (starts, commands and output), where the
    /// ports to map are found.
    fn text(&self) -> String {
        let mut text = String::new();
        for item in &self.items {
            match item {
                Item::Start(start) => {
                    text.push('\n');
                    text.push_str(&start.command);
                    text.push(' ');
                    text.push_str(&start.addr);
                }
                Item::Session(session) => {
                    for step in &session.steps {
                        text.push('\n');
                        text.push_str(&step.command);
                        for line in &step.expected {
                            text.push('\n');
                            text.push_str(line);
                        }
                    }
                    for line in session.server.iter().flat_map(|(_, _, lines)| lines) {
                        text.push('\n');
                        text.push_str(line);
                    }
                }
            }
        }
        text
    }

    /// Checks the structure: every start names a program that exists, every server block
    /// a server that runs, every `cargo run --example` an example.
    pub fn validate(&self, examples: &BTreeSet<String>) -> Result<(), String> {
        let mut live: Vec<&Start> = Vec::new();
        for item in &self.items {
            match item {
                Item::Start(start) => {
                    if start.program != "hostecho" && !examples.contains(&start.program) {
                        return Err(format!(
                            "{}: `{}` starts {:?}, which is neither an example in examples/ nor hostecho",
                            start.at, start.command, start.program
                        ));
                    }
                    live.retain(|s| s.addr != start.addr);
                    live.push(start);
                }
                Item::Session(session) => {
                    for step in &session.steps {
                        for name in cargo_run_examples(&step.command) {
                            if !examples.contains(&name) {
                                return Err(format!(
                                    "{}:{}: `cargo run --example {name}`: no such example",
                                    self.file, step.line
                                ));
                            }
                        }
                    }
                    if let Some((line, addr, _)) = &session.server {
                        let found = match addr {
                            None => !live.is_empty(),
                            Some(addr) => live.iter().any(|s| &s.addr == addr),
                        };
                        if !found {
                            return Err(format!(
                                "{}:{line}: a server block, but the page started no server{} above it \
                                 (`$ cargo run --example NAME ADDR` in a console block of its own)",
                                self.file,
                                addr.as_ref()
                                    .map(|a| format!(" on {a}"))
                                    .unwrap_or_default()
                            ));
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// Runs the page as a reader would, in order: each start in a terminal of its own,
    /// each session's commands in another, and compares everything with the page. One
    /// outcome per session.
    pub fn run(&self) -> Vec<(String, Outcome)> {
        let sessions: Vec<String> = self.sessions().map(|s| s.at.clone()).collect();
        let all = |outcome: &dyn Fn() -> Outcome| {
            sessions
                .iter()
                .map(|at| (at.clone(), outcome()))
                .collect::<Vec<_>>()
        };
        if let Some(tool) = self.missing_tools().into_iter().next() {
            return all(&|| Outcome::Skipped(tool.clone()));
        }
        let network = if self.needs_private_network() {
            match Namespace::new() {
                Ok(network) => Some(network),
                Err(why) => {
                    let message = format!(
                        "{}: binds a wildcard address, and a private network namespace for it \
                         could not be made: {why}",
                        self.file
                    );
                    return all(&|| Outcome::Failed(vec![message.clone()]));
                }
            }
        } else {
            None
        };
        let ports = PortMap::for_text(&self.text(), network.is_some());
        let dir = TempDir::new("session");
        let mut live: Vec<Live> = Vec::new();
        let mut outcomes = Vec::new();
        // A start that failed fails every session after it, once.
        let mut broken: Vec<String> = Vec::new();

        // Servers started after the last session serve nothing the test checks.
        let last_session = self
            .items
            .iter()
            .rposition(|item| matches!(item, Item::Session(_)))
            .map_or(0, |at| at + 1);
        for item in &self.items[..last_session] {
            match item {
                Item::Start(start) => {
                    // The reader stopped the server on this address (Ctrl-C) first.
                    live.retain(|l| l.addr != start.addr);
                    let executable = if start.program == "hostecho" {
                        PathBuf::from(env!("CARGO_BIN_EXE_hostecho"))
                    } else {
                        build_example(&start.program)
                    };
                    let mut command = inside(network.as_ref(), executable.as_os_str());
                    if start.default_addr {
                        if start.program == "hostecho" {
                            command.args(["-b", &ports.to_run(&start.addr)]);
                        } else {
                            command.arg(ports.to_run(&start.addr));
                        }
                    }
                    command
                        .args(start.args.iter().map(|a| ports.to_run(a)))
                        .envs(start.env.iter().map(|(k, v)| (k, ports.to_run(v))));
                    match Running::start_server(command, dir.path()) {
                        Ok(running) => live.push(Live {
                            addr: start.addr.clone(),
                            program: start.program.clone(),
                            running,
                            seen: 0,
                        }),
                        Err(output) => broken.push(format!(
                            "{}: `$ {}` printed no `listening on` line within {PATIENCE:?}; it printed:\n{}",
                            start.at,
                            start.command,
                            output.join("\n")
                        )),
                    }
                }
                Item::Session(session) => {
                    let mut failures = std::mem::take(&mut broken);
                    failures.extend(self.run_session(
                        session,
                        network.as_ref(),
                        &ports,
                        &dir,
                        &mut live,
                    ));
                    let outcome = if failures.is_empty() {
                        Outcome::Passed
                    } else {
                        Outcome::Failed(failures)
                    };
                    outcomes.push((session.at.clone(), outcome));
                }
            }
        }
        for mut server in live {
            server.running.stop();
        }
        outcomes
    }

    fn run_session(
        &self,
        session: &Session,
        network: Option<&Namespace>,
        ports: &PortMap,
        dir: &TempDir,
        live: &mut [Live],
    ) -> Vec<String> {
        let mut failures = Vec::new();
        for step in &session.steps {
            let at = format!("{}:{}", self.file, step.line);
            let script = ports.to_run(&rewrite_cargo_run(&step.command));
            // script(1) gives the command a terminal, as the learner's has: curl -v
            // then prints the body where a terminal shows it, not `{ [14 bytes data]`
            // after the fact, and shows no progress meter. It runs `$SHELL -c`.
            let mut command = inside(network, "script".as_ref());
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
            if let Some(diff) = compare(&step.expected, &output, ports) {
                failures.push(format!(
                    "{at}: the output of `$ {}` is not the one in the book (- book, + now):\n{diff}",
                    step.command,
                ));
            }
        }
        if let Some((line, addr, expected)) = &session.server {
            let server = match addr {
                Some(addr) => live.iter_mut().find(|l| &l.addr == addr),
                None => live.last_mut(),
            };
            match server {
                Some(server) => {
                    // A server may log a request just after answering it: wait for the
                    // lines the page shows (a few seconds at most), then compare.
                    let printed =
                        server
                            .running
                            .printed_until(server.seen, SERVER_PATIENCE, |lines| {
                                compare(expected, lines, ports).is_none()
                            });
                    server.seen += printed.len();
                    if let Some(diff) = compare(expected, &printed, ports) {
                        failures.push(format!(
                            "{}:{line}: what `{}` on {} printed during this session is not what the book shows (- book, + now):\n{diff}",
                            self.file, server.program, server.addr,
                        ));
                    }
                }
                None => failures.push(format!(
                    "{}:{line}: no server {} is running here (did its start fail?)",
                    self.file,
                    addr.as_deref().unwrap_or("at all")
                )),
            }
        }
        // What the servers print after this, the next session's server block shows:
        // let what this session's commands made them print arrive first.
        for server in live.iter_mut() {
            server.seen = server
                .running
                .settled(SETTLE_QUIET, SERVER_PATIENCE)
                .max(server.seen);
        }
        failures
    }
}

/// How long a server may take to print what a session's commands made it print.
const SERVER_PATIENCE: std::time::Duration = std::time::Duration::from_secs(5);

/// How long a server must have printed nothing for its output to count as complete.
const SETTLE_QUIET: std::time::Duration = std::time::Duration::from_millis(200);

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
pub fn private_network_available() -> bool {
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
    scripts()
        .into_iter()
        .map(|script| (script.page.clone(), script.sessions().count()))
        .collect()
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
        let scripts = scripts();
        let ch02 = scripts
            .iter()
            .find(|s| s.page == "ch02-where-you-bind.md")
            .expect("chapter 2 has sessions");
        assert!(ch02.starts().any(|s| s.addr.starts_with("0.0.0.0:")));
        assert!(ch02.needs_private_network());
        assert!(scripts.iter().any(|s| !s.needs_private_network()));
    }

    #[test]
    fn words_are_split_as_a_shell_splits_them() {
        assert_eq!(
            shell_words(r#"cargo run --example x -- 127.0.0.1:8090 '*.example.net' "a b" c\ d"#),
            [
                "cargo",
                "run",
                "--example",
                "x",
                "--",
                "127.0.0.1:8090",
                "*.example.net",
                "a b",
                "c d"
            ]
        );
    }

    #[test]
    fn a_backslash_at_the_end_of_a_line_continues_it() {
        assert_eq!(
            shell_words("cargo run --release -- -b 127.0.0.1:8091 \\\n    --use-x-forwarded-host"),
            [
                "cargo",
                "run",
                "--release",
                "--",
                "-b",
                "127.0.0.1:8091",
                "--use-x-forwarded-host"
            ]
        );
    }

    #[test]
    fn a_start_is_the_program_its_command_runs() {
        let start = start_of(
            "RUST_LOG=debug cargo run --quiet --example ch08_mio 127.0.0.1:8091 always-writable",
            "here",
        )
        .expect("a start");
        assert_eq!(start.env, [("RUST_LOG".to_owned(), "debug".to_owned())]);
        assert_eq!(start.program, "ch08_mio");
        assert_eq!(start.args, ["127.0.0.1:8091", "always-writable"]);
        assert_eq!(
            (start.addr.as_str(), start.default_addr),
            ("127.0.0.1:8091", false)
        );

        let start = start_of("cargo run --example ch01_blocking_server", "here").expect("a start");
        assert_eq!(
            (start.addr.as_str(), start.default_addr),
            (DEFAULT_ADDR, true)
        );

        let start = start_of(
            "cargo run --release -- -b 127.0.0.1:8092 -a example.com",
            "here",
        )
        .expect("a start");
        assert_eq!(start.program, "hostecho");
        assert_eq!(start.addr, "127.0.0.1:8092");
        let start = start_of("cargo run --release", "here").expect("a start");
        assert_eq!(
            (start.program.as_str(), start.default_addr),
            ("hostecho", true)
        );

        for not_a_start in [
            "cargo test",
            "cargo run --example",
            "mdbook serve tutorial",
            "curl x",
        ] {
            assert!(start_of(not_a_start, "here").is_none(), "{not_a_start}");
        }
    }

    #[test]
    fn what_a_comment_holds_is_invisible() {
        let lines = [
            "a",
            "<!--",
            "```console",
            "$ cargo run --release",
            "```",
            "-->",
            "```",
            "<!-- x -->",
            "```",
            "b",
        ];
        assert_eq!(
            visible_lines(&lines),
            [
                true, false, false, false, false, false, true, true, true, true
            ]
        );
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
