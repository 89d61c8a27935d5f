//! The exercises cannot drift: checks of `exercises/` against the chapters that set them,
//! and of what `hostecho grade` says about them.
//!
//! Run it with `cargo test --test exercises`. What is checked, and why:
//!
//! - **Every exercise is a target, and shown by its chapter.** Each `exercises/*.rs` is
//!   declared as an example (so `cargo run --example exNN_…` runs it and `cargo test`
//!   builds it), its `//!` comment says that command, and every `todo!()` in it sits
//!   inside an anchor that its chapter's page includes: a learner reads in the chapter
//!   every part left to write.
//! - **Every chapter from 3 to 12 ends with "Your turn"**, which shows the command that
//!   runs the exercise and the `grade` command that checks it: the exercise's default
//!   address is the one graded, 8090 plus the chapter's number.
//! - **The part to write is the reference's part.** Each function an exercise leaves to
//!   write is declared as in the chapter's example, inside an anchor of the same name, so
//!   the example's code can take its place.
//! - **A taken port is one line.** Each exercise, started on an address in use, says
//!   which and why in one line and exits non-zero, as the chapters' examples do.
//! - **An untouched skeleton starts, listens, and leaves each connection unanswered.**
//!   Its `todo!()` is hit by the first request, and the panic ends that connection, not
//!   the server: a second connection is accepted, and closed unanswered too.
//! - **The commands the book shows are true.** For every pair of commands in a "Your
//!   turn" section or the capstone — run an exercise, grade it — the test runs the
//!   exercise as shown (on `127.0.0.1:0` rather than its port) and the real `hostecho
//!   grade` with the same chapter and flags: the untouched skeleton fails, and the report
//!   says its connections closed without an answer (or were reset); the chapter's
//!   reference program, run the same way, passes.

use std::collections::BTreeMap;
use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

mod support;

use support::{PATIENCE, build_example, run_within};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// How long one `hostecho grade` run may take: chapter 9's stall check waits for the
/// head time-out the command gives, and every other check is bounded well below this.
const GRADE_PATIENCE: Duration = Duration::from_secs(120);

/// The port an exercise listens on: 8090 plus its chapter, 8110 for the capstone.
fn port_of(chapter: u8) -> u16 {
    8090 + u16::from(chapter)
}

/// The capstone's place among the ports.
const CAPSTONE_PORT: u16 = 8110;

/// An exercise as its manifest declares it: the example's name and its file.
#[derive(Debug, Clone)]
struct Exercise {
    name: String,
    /// The file, relative to the repository's root (`exercises/ch04_tcp_stream.rs`).
    file: String,
}

/// Every `[[example]]` whose path is in `exercises/`, from the manifests that may
/// declare them.
fn exercises() -> Vec<Exercise> {
    let mut found = Vec::new();
    for manifest in ["Cargo.toml", "course/Cargo.toml"] {
        let path = root().join(manifest);
        let Ok(text) = fs::read_to_string(&path) else {
            continue;
        };
        let base = path.parent().expect("a manifest's directory");
        for block in text.split("[[example]]").skip(1) {
            let block = block.split("\n[").next().unwrap_or_default();
            let value = |key: &str| {
                block.lines().find_map(|line| {
                    let (k, v) = line.split_once('=')?;
                    (k.trim() == key).then(|| v.trim().trim_matches('"').to_owned())
                })
            };
            let (Some(name), Some(file)) = (value("name"), value("path")) else {
                continue;
            };
            let file = base.join(file);
            let Ok(file) = file.canonicalize() else {
                panic!(
                    "{manifest}: example {name}'s path {} does not exist",
                    file.display()
                );
            };
            let Ok(relative) = file.strip_prefix(root().canonicalize().expect("the root")) else {
                continue;
            };
            let relative = relative.to_string_lossy().into_owned();
            if relative.starts_with("exercises/") {
                found.push(Exercise {
                    name,
                    file: relative,
                });
            }
        }
    }
    found
}

/// The book's pages, by file name.
fn pages() -> BTreeMap<String, String> {
    fs::read_dir(root().join("tutorial/src"))
        .expect("tutorial/src exists")
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "md"))
        .map(|path| {
            let name = path
                .file_name()
                .expect("a name")
                .to_string_lossy()
                .into_owned();
            let text = fs::read_to_string(&path).expect("a readable page");
            (name, text)
        })
        .collect()
}

/// The chapter's page, `chNN-….md`.
fn chapter_page(pages: &BTreeMap<String, String>, chapter: u8) -> (&str, &str) {
    let prefix = format!("ch{chapter:02}-");
    pages
        .iter()
        .find(|(name, _)| name.starts_with(&prefix))
        .map(|(name, text)| (name.as_str(), text.as_str()))
        .unwrap_or_else(|| panic!("no page {prefix}*.md"))
}

#[test]
fn every_exercise_is_a_target_that_says_how_to_run_it() {
    let exercises = exercises();
    let on_disk: Vec<String> = fs::read_dir(root().join("exercises"))
        .expect("exercises/ exists")
        .map(|entry| entry.expect("a directory entry").file_name())
        .map(|name| format!("exercises/{}", name.to_string_lossy()))
        .filter(|name| name.ends_with(".rs"))
        .collect();
    assert!(
        on_disk.len() >= 9,
        "at least eight skeletons and the capstone: {on_disk:?}"
    );
    for file in &on_disk {
        let exercise = exercises
            .iter()
            .find(|e| &e.file == file)
            .unwrap_or_else(|| {
                panic!("{file} is not declared as an [[example]]: nobody can run it")
            });
        let source = fs::read_to_string(root().join(file)).expect("a readable exercise");
        let command = format!("cargo run --example {}", exercise.name);
        assert!(
            source.starts_with("//!")
                && source
                    .lines()
                    .take_while(|l| l.starts_with("//!"))
                    .any(|l| l.contains(&command)),
            "{file}'s `//!` comment must say how to run it: `{command}`"
        );
        assert!(
            source.contains("todo!("),
            "{file} leaves nothing to write: an exercise has a todo!()"
        );
    }
}

/// The `{{#include path:anchor}}` directives of every page, as (page, path, anchor).
fn includes(pages: &BTreeMap<String, String>) -> Vec<(String, String, String)> {
    let mut found = Vec::new();
    for (page, text) in pages {
        for line in text.lines() {
            let Some(start) = line.find("{{#include ") else {
                continue;
            };
            let rest = &line[start + "{{#include ".len()..];
            let Some(end) = rest.find("}}") else { continue };
            let (path, anchor) = rest[..end]
                .trim()
                .split_once(':')
                .unwrap_or((&rest[..end], ""));
            found.push((page.clone(), path.to_owned(), anchor.to_owned()));
        }
    }
    found
}

#[test]
fn every_todo_is_shown_by_a_chapter() {
    // A part the learner must write that the chapter does not show is a part they find
    // only by reading the whole file, or by the panic.
    let pages = pages();
    let includes = includes(&pages);
    for exercise in exercises() {
        let source = fs::read_to_string(root().join(&exercise.file)).expect("readable");
        // `exercises/ch04_….rs` belongs to `ch04-….md`; the capstone to its own page.
        let page = match exercise.file.strip_prefix("exercises/ch") {
            Some(rest) => format!("ch{}-", &rest[..2]),
            None => "capstone-".to_owned(),
        };
        let shown: Vec<&str> = includes
            .iter()
            .filter(|(from, path, _)| from.starts_with(&page) && path.ends_with(&exercise.file))
            .map(|(_, _, anchor)| anchor.as_str())
            .collect();
        assert!(
            !shown.is_empty(),
            "{} is not included by its page, {page}*.md",
            exercise.file
        );
        let mut open: Vec<&str> = Vec::new();
        for (index, line) in source.lines().enumerate() {
            let comment = line.trim_start().strip_prefix("//").map(str::trim_start);
            if let Some(name) = comment.and_then(|c| c.strip_prefix("ANCHOR:")) {
                open.push(name.trim());
            } else if let Some(name) = comment.and_then(|c| c.strip_prefix("ANCHOR_END:")) {
                open.retain(|n| *n != name.trim());
            } else if line.trim_start().starts_with("todo!(") {
                assert!(
                    open.iter().any(|anchor| shown.contains(anchor)),
                    "{}:{}: this todo!() is in no anchor a chapter includes (included: {shown:?})",
                    exercise.file,
                    index + 1
                );
            }
        }
    }
}

/// The lines between `// ANCHOR: name` and `// ANCHOR_END: name` in a source file.
fn anchor<'a>(source: &'a str, name: &str) -> Option<Vec<&'a str>> {
    let is = |line: &str, kind: &str| {
        line.trim_start()
            .strip_prefix("//")
            .and_then(|c| c.trim_start().strip_prefix(kind))
            .is_some_and(|rest| rest.trim() == name)
    };
    let lines: Vec<&str> = source.lines().collect();
    let start = lines.iter().position(|l| is(l, "ANCHOR:"))?;
    let end = lines.iter().position(|l| is(l, "ANCHOR_END:"))?;
    Some(lines[start + 1..end].to_vec())
}

#[test]
fn every_part_to_write_has_the_reference_s_signature() {
    // The chapter's example is the reference solution: what the learner writes in an
    // anchor must be able to take the place of the example's anchor of the same name,
    // so every function in it is declared as the example declares it (the example may
    // have helpers more).
    for exercise in exercises() {
        let (reference, _) = reference(&exercise.name);
        let example = root().join(format!("examples/{reference}.rs"));
        let example =
            fs::read_to_string(&example).unwrap_or_else(|e| panic!("{}: {e}", example.display()));
        let source = fs::read_to_string(root().join(&exercise.file)).expect("readable");
        let signatures = |lines: Vec<&str>| -> Vec<String> {
            lines
                .iter()
                .map(|l| l.trim())
                .filter(|l| l.starts_with("fn ") || l.starts_with("impl "))
                .map(str::to_owned)
                .collect()
        };
        let mut compared = 0;
        for name in source
            .lines()
            .filter_map(|l| l.trim().strip_prefix("// ANCHOR: "))
        {
            let Some(theirs) = anchor(&example, name) else {
                continue;
            };
            let ours = anchor(&source, name).expect("an anchor the loop just found");
            let theirs = signatures(theirs);
            for signature in signatures(ours) {
                assert!(
                    theirs.contains(&signature),
                    "{}: anchor {name} declares `{signature}`, which examples/{reference}.rs's \
                     does not: the reference could not take its place",
                    exercise.file
                );
            }
            compared += 1;
        }
        // Chapter 7's exercise writes a function the example inlines in its accept loop.
        if exercise.name != "ex07_slow_client" {
            assert!(
                compared > 0,
                "{}: no anchor shared with examples/{reference}.rs",
                exercise.file
            );
        }
    }
}

/// One `$ ` command of a console block, split into words as bash would split these
/// (single quotes only: the book's commands use no other quoting).
fn words(command: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut quoted = false;
    for c in command.chars() {
        match c {
            '\'' => {
                quoted = !quoted;
                in_word = true;
            }
            c if c.is_whitespace() && !quoted => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                }
                in_word = false;
            }
            c => {
                word.push(c);
                in_word = true;
            }
        }
    }
    assert!(!quoted, "an unclosed quote in {command:?}");
    if in_word {
        words.push(word);
    }
    words
}

/// `[VAR=value…] cargo run --example NAME [--] [ARGS…]`: a program to start.
#[derive(Debug, Clone, PartialEq)]
struct Run {
    env: Vec<(String, String)>,
    example: String,
    args: Vec<String>,
}

/// `cargo run [--release] -- grade CHAPTER ADDR [FLAGS…]`.
#[derive(Debug, Clone, PartialEq)]
struct Grade {
    chapter: u8,
    addr: SocketAddr,
    flags: Vec<String>,
}

fn parse_run(command: &str) -> Option<Run> {
    let words = words(command);
    let at = words.iter().position(|w| w == "cargo")?;
    let env = words[..at]
        .iter()
        .map(|w| {
            let (k, v) = w.split_once('=').expect("VAR=value before cargo");
            (k.to_owned(), v.to_owned())
        })
        .collect();
    let rest = &words[at..];
    if rest.len() < 4 || rest[1] != "run" || rest[2] != "--example" {
        return None;
    }
    let mut args: Vec<String> = rest[4..].to_vec();
    if args.first().is_some_and(|a| a == "--") {
        args.remove(0);
    }
    Some(Run {
        env,
        example: rest[3].clone(),
        args,
    })
}

fn parse_grade(command: &str) -> Option<Grade> {
    // `…; echo "exit $?"`: only the first command is the grade.
    let words = words(command.split(';').next().unwrap_or_default());
    let rest = words.strip_prefix(&["cargo".to_owned(), "run".to_owned()])?;
    // `cargo run [--quiet] [--release] -- grade …`: hostecho, however it is built.
    let at = rest.iter().position(|w| w == "--")?;
    if !rest[..at]
        .iter()
        .all(|w| ["--quiet", "-q", "--release"].contains(&w.as_str()))
    {
        return None;
    }
    let [grade, chapter, addr, flags @ ..] = &rest[at + 1..] else {
        return None;
    };
    (grade == "grade").then(|| Grade {
        chapter: chapter.parse().expect("a chapter number"),
        addr: addr.parse().expect("an address"),
        flags: flags.to_vec(),
    })
}

/// The `console` blocks of a page's text, each as its `$ ` commands.
fn console_blocks(text: &str) -> Vec<Vec<String>> {
    let mut blocks = Vec::new();
    let mut current: Option<Vec<String>> = None;
    for line in text.lines() {
        match (&mut current, line.trim_end()) {
            (None, "```console") => current = Some(Vec::new()),
            (Some(_), "```") => blocks.extend(current.take()),
            (Some(block), line) => {
                if let Some(command) = line.strip_prefix("$ ") {
                    block.push(command.to_owned());
                }
            }
            (None, _) => {}
        }
    }
    blocks
}

/// The "Your turn" section of a chapter: from its heading to the end of the page.
fn your_turn(page: &str, text: &str) -> String {
    let start = text
        .find("\n## Your turn\n")
        .unwrap_or_else(|| panic!("{page} has no `## Your turn` section"));
    let section = &text[start + 1..];
    assert!(
        !section["## Your turn".len()..].contains("\n## "),
        "{page}: `## Your turn` must be the chapter's last section"
    );
    section.to_owned()
}

/// What a page asks the learner to run and grade, paired: a grade command goes with the
/// exercise its block runs, or, in a block that runs none, the one run last above it
/// (the program still running in the reader's other terminal); without either, with
/// the only exercise the page runs.
fn pairs(page: &str, text: &str) -> Vec<(Run, Grade)> {
    let blocks = console_blocks(text);
    let runs_of = |block: &Vec<String>| -> Vec<Run> {
        block
            .iter()
            .filter_map(|c| parse_run(c))
            .filter(|r| r.example.starts_with("ex"))
            .collect()
    };
    let all: Vec<Run> = blocks.iter().flat_map(runs_of).collect();
    let mut last: Option<Run> = None;
    let mut found = Vec::new();
    for block in &blocks {
        let own = runs_of(block);
        for grade in block.iter().filter_map(|c| parse_grade(c)) {
            let run = match (own.as_slice(), &last, all.as_slice()) {
                ([run], _, _) | ([], Some(run), _) | ([], None, [run]) => run.clone(),
                _ => panic!(
                    "{page}: which program does `grade {}` grade?",
                    grade.chapter
                ),
            };
            found.push((run, grade));
        }
        if let Some(run) = own.last() {
            last = Some(run.clone());
        }
    }
    found
}

/// The address an exercise listens on when it is given none, as its source says.
fn default_port(exercise: &Exercise) -> u16 {
    let source = fs::read_to_string(root().join(&exercise.file)).expect("readable");
    let at = source
        .find("unwrap_or_else(|| \"127.0.0.1:")
        .unwrap_or_else(|| panic!("{}: no default address", exercise.file));
    let rest = &source[at + "unwrap_or_else(|| \"127.0.0.1:".len()..];
    rest[..rest.find('"').expect("a closing quote")]
        .parse()
        .expect("a port")
}

#[test]
fn every_chapter_from_3_to_12_ends_with_your_turn_and_its_two_commands() {
    let pages = pages();
    let exercises = exercises();
    for chapter in 3..=12 {
        let (page, text) = chapter_page(&pages, chapter);
        let section = your_turn(page, text);
        let pairs = pairs(page, &section);
        let port = port_of(chapter);
        let (run, grade) = pairs
            .iter()
            .find(|(_, grade)| grade.chapter == chapter)
            .unwrap_or_else(|| panic!("{page}: Your turn shows no `grade {chapter}` command"));
        let exercise = exercises
            .iter()
            .find(|e| e.name == run.example)
            .unwrap_or_else(|| panic!("{page}: `{}` is not an exercise", run.example));
        assert_eq!(
            default_port(exercise),
            port,
            "{}: listens on 8090 + {chapter}",
            exercise.file
        );
        assert_eq!(grade.addr.port(), port, "{page}: grades 127.0.0.1:{port}");
        assert!(
            section.contains(&format!("{{{{#include ../../{}:", exercise.file)),
            "{page}: Your turn shows the part of {} to write",
            exercise.file
        );
        // `cargo test --example NAME`: an exercise with unit tests of its own.
        for command in console_blocks(&section).iter().flatten() {
            let Some(name) = command.strip_prefix("cargo test --example ") else {
                continue;
            };
            let tested = exercises
                .iter()
                .find(|e| e.name == name.trim())
                .unwrap_or_else(|| panic!("{page}: `{command}`: no such exercise"));
            let source = fs::read_to_string(root().join(&tested.file)).expect("readable");
            assert!(
                source.contains("#[test]"),
                "{page}: `{command}`: it has no tests"
            );
        }
    }
    let capstone = &pages["capstone-host-check.md"];
    let graded: Vec<u8> = pairs("capstone-host-check.md", capstone)
        .iter()
        .map(|(run, grade)| {
            assert_eq!(grade.addr.port(), CAPSTONE_PORT);
            let exercise = exercises
                .iter()
                .find(|e| e.name == run.example)
                .expect("the capstone's exercise");
            assert_eq!(default_port(exercise), CAPSTONE_PORT);
            grade.chapter
        })
        .collect();
    assert_eq!(
        graded,
        [10, 11, 12],
        "the capstone is graded on chapters 10 to 12"
    );
}

/// A program started for a test, killed when dropped.
struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `program` with `args` (the address replaced by `127.0.0.1:0`) and `env`, and
/// waits for its `listening on` line.
fn start(program: &Path, args: &[String], env: &[(String, String)], port: u16) -> Server {
    let mut args = args.to_vec();
    let book_addr = format!("127.0.0.1:{port}");
    match args.first() {
        Some(first) if *first == book_addr => args[0] = "127.0.0.1:0".to_owned(),
        Some(first) if first.contains(':') => panic!("{first}: not the book's {book_addr}"),
        _ => args.insert(0, "127.0.0.1:0".to_owned()),
    }
    let mut child = Command::new(program)
        .args(&args)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .env("RUST_BACKTRACE", "0")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("start {}: {e}", program.display()));
    let stdout = child.stdout.take().expect("piped stdout");
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut lines = BufReader::new(stdout).lines().map_while(Result::ok);
        for line in lines.by_ref() {
            if let Some(url) = line.strip_prefix("listening on http://") {
                let _ = tx.send(url.to_owned());
                break;
            }
        }
        // Keep reading, so that a chatty program never blocks on a full pipe.
        for _ in lines {}
    });
    let url = rx.recv_timeout(PATIENCE).unwrap_or_else(|_| {
        panic!(
            "{} {args:?} printed no `listening on` line",
            program.display()
        )
    });
    Server {
        child,
        addr: url.parse().expect("an address"),
    }
}

#[test]
fn an_untouched_skeleton_listens_and_closes_each_connection_unanswered() {
    for exercise in exercises() {
        let program = build_example(&exercise.name);
        let server = start(&program, &[], &[], default_port(&exercise));
        // Two connections: the first request's panic must not have ended the server.
        for attempt in 1..=2 {
            let mut stream = TcpStream::connect(server.addr)
                .unwrap_or_else(|e| panic!("{}: connection {attempt}: {e}", exercise.name));
            stream.set_read_timeout(Some(PATIENCE)).expect("a time-out");
            stream
                .write_all(b"GET / HTTP/1.1\r\nHost: a.localhost\r\nConnection: close\r\n\r\n")
                .expect("send a request");
            let mut answer = Vec::new();
            match stream.read_to_end(&mut answer) {
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {}
                Err(e) => panic!("{}: connection {attempt}: {e}", exercise.name),
            }
            assert!(
                answer.is_empty(),
                "{}: an untouched skeleton answered: {:?}",
                exercise.name,
                String::from_utf8_lossy(&answer)
            );
        }
    }
}

#[test]
fn an_exercise_whose_port_is_taken_says_so_in_one_line() {
    // An exercise listens on a fixed port, and the learner's first error is usually that
    // it is taken: by the previous run, still going in another terminal. As the
    // chapters' examples do, each says which address and why, in one line, and exits
    // non-zero, without a backtrace.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    let addr = taken.local_addr().expect("its address");
    for exercise in exercises() {
        let mut command = Command::new(build_example(&exercise.name));
        command
            .arg(addr.to_string())
            .env("RUST_BACKTRACE", "1")
            .env_remove("RUST_LOG");
        let output = run_within(command, PATIENCE);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{}: exited 0", exercise.name);
        assert_eq!(
            stderr,
            format!("error: cannot bind {addr}: Address already in use (os error 98)\n"),
            "{}",
            exercise.name
        );
    }
}

/// Runs `hostecho grade` as `grade` says, against `addr`: (exit code, stdout).
fn run_grade(grade: &Grade, addr: SocketAddr) -> (i32, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_hostecho"));
    command
        .arg("grade")
        .arg(grade.chapter.to_string())
        .arg(addr.to_string())
        .args(&grade.flags)
        .env_remove("RUST_LOG");
    let output = run_within(command, GRADE_PATIENCE);
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned()
            + &String::from_utf8_lossy(&output.stderr),
    )
}

/// The reference solution of an exercise, and the arguments that select the mode the
/// exercise asks for (chapter 7's `threads`, chapter 11's `checked`), put after its
/// address.
fn reference(exercise: &str) -> (String, &'static [&'static str]) {
    let name = match exercise.strip_prefix("ex_") {
        Some(rest) => rest.to_owned(),
        None => format!(
            "ch{}",
            exercise.strip_prefix("ex").expect("an exercise's name")
        ),
    };
    let mode: &[&str] = match name.as_str() {
        "ch07_slow_client" => &["threads"],
        "ch11_host_attacks" => &["checked"],
        _ => &[],
    };
    (name, mode)
}

#[test]
fn the_book_s_grade_commands_fail_the_skeleton_and_pass_the_reference() {
    let pages = pages();
    let mut all: Vec<(String, Run, Grade)> = Vec::new();
    for chapter in 3..=12 {
        let (page, text) = chapter_page(&pages, chapter);
        for (run, grade) in pairs(page, &your_turn(page, text)) {
            all.push((page.to_owned(), run, grade));
        }
    }
    for (run, grade) in pairs("capstone-host-check.md", &pages["capstone-host-check.md"]) {
        all.push(("capstone-host-check.md".to_owned(), run, grade));
    }
    for (page, run, grade) in all {
        let what = format!("{page}: `grade {}` of {}", grade.chapter, run.example);
        let port = grade.addr.port();

        let skeleton = start(&build_example(&run.example), &run.args, &run.env, port);
        let (code, report) = run_grade(&grade, skeleton.addr);
        drop(skeleton);
        assert_eq!(
            code, 1,
            "{what}: an untouched skeleton must fail:\n{report}"
        );
        assert!(
            report.contains("closed without an answer") || report.contains("was reset"),
            "{what}: the report must say the server did not answer:\n{report}"
        );

        let (name, mode) = reference(&run.example);
        let mut args = run.args.clone();
        if args.is_empty() {
            args.push(format!("127.0.0.1:{port}"));
        }
        args.extend(mode.iter().map(|m| m.to_string()));
        let solution = start(&build_example(&name), &args, &run.env, port);
        let (code, report) = run_grade(&grade, solution.addr);
        assert_eq!(
            code, 0,
            "{what}: the reference, {name} {args:?}, must pass:\n{report}"
        );
    }
}

#[test]
fn the_references_read_an_absolute_target_s_scheme_in_any_case() {
    // Chapter 10 teaches that `HTTP://b.localhost/` is the same target as
    // `http://b.localhost/` (RFC 3986 §3.1: schemes are case-insensitive), and that a
    // check which knew only the lowercase form would believe Host instead: the bypass a
    // Host check exists to stop. Each reference a learner copies from must refuse a
    // target naming a foreign host in capitals, however good its Host.
    let cases: [(&str, &[&str], &str, u16); 3] = [
        ("ch10_host_header", &[], "a.localhost", 8090),
        ("ch11_host_attacks", &["checked"], "example.com", 8090),
        ("capstone_host_check", &[], "example.com", CAPSTONE_PORT),
    ];
    for (example, args, allowed, port) in cases {
        let program = build_example(example);
        let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
        let server = start(&program, &args, &[], port);
        for scheme in ["http", "HTTP", "Http"] {
            let mut stream = TcpStream::connect(server.addr).expect("connect");
            stream.set_read_timeout(Some(PATIENCE)).expect("a time-out");
            let request = format!(
                "GET {scheme}://evil.example/ HTTP/1.1\r\nHost: {allowed}\r\nConnection: close\r\n\r\n"
            );
            stream
                .write_all(request.as_bytes())
                .expect("send a request");
            let mut answer = Vec::new();
            let _ = stream.read_to_end(&mut answer);
            let answer = String::from_utf8_lossy(&answer);
            let status = answer.split(' ').nth(1).unwrap_or("none");
            // Refused *for the target's host*: a 404 for a path `HTTP://evil.example/`
            // on the Host's site is the bypass, answered politely.
            let body = answer.split("\r\n\r\n").nth(1).unwrap_or_default();
            assert!(
                matches!(status, "400" | "421") && body.contains("evil.example"),
                "{example}: `GET {scheme}://evil.example/` with `Host: {allowed}` was not refused \
                 for evil.example:\n{answer}"
            );
        }
    }
}
