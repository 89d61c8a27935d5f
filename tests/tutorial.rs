//! The tutorial and the code cannot drift: checks of the book in `tutorial/` against the
//! programs in `examples/`.
//!
//! Run it with `cargo test --test tutorial`. It needs no mdBook; sessions that use curl,
//! nc or ss are skipped, visibly, where those are missing.
//!
//! What is checked, and why:
//!
//! - **Code is included, never pasted.** Every `{{#include path}}` (or
//!   `{{#include path:anchor}}`) in `tutorial/src/*.md` names a file that exists, and an
//!   anchor that exists in it; a `rust` code block holds nothing but includes; every
//!   `examples/chNN_*.rs` is included by some chapter, so no example is left out of the
//!   book; every example opens with a `//!` comment that says how to run it.
//! - **The table of contents is complete.** Every chapter file is linked from
//!   `SUMMARY.md`, and every link there points at a file. (Chapters that are only planned
//!   appear as mdBook drafts, `- [Title]()`, with no file and no link.)
//! - **Transcripts are true.** A chapter marks a transcript with an HTML comment on the
//!   line before its fenced block, which mdBook does not render:
//!
//!   ```text
//!   <!-- transcript: EXAMPLE curl -->      the output of `curl -v`, as a terminal shows it
//!   <!-- transcript: EXAMPLE server -->    the command that ran EXAMPLE, then its stdout
//!   ```
//!
//!   For each such pair the test builds the example, runs it on `127.0.0.1:0`, sends it
//!   exactly the bytes of curl's `>` lines (so the request, `User-Agent` included, is the
//!   one in the book), and compares the answer with curl's `<` lines and body, and what the
//!   program printed with the server transcript. Port numbers are the only thing allowed to
//!   differ; curl's `*` lines are curl talking about itself and are not checked.
//!
//! - **Sessions are true, and start only what the page shows.** Everything else a
//!   chapter shows of a shell is run as the reader runs it, page by page, in order. A
//!   server is started by a console block the reader sees, of one `$ ` line:
//!
//!   ````text
//!   ```console
//!   $ RUST_LOG=debug cargo run --example ch08_mio 127.0.0.1:8090 always-writable
//!   ```
//!   ````
//!
//!   (or `cargo run --release -- ARGS`, or `hostecho ARGS`, for hostecho). The test
//!   starts exactly that program, with that environment and those arguments, and keeps
//!   it running, as the reader's terminal does, until a later start on the same address
//!   replaces it (the reader stopped it with Ctrl-C first) or the page ends. A program
//!   started without an address gets its default, 127.0.0.1:8090 (checked by
//!   `every_example_listens_on_the_books_first_port_by_default`). Then a *session* is
//!   what the reader types in a second terminal while those servers run:
//!
//!   ````text
//!   <!-- session -->
//!   ```console
//!   $ curl -s -i http://127.0.0.1:8090/
//!   HTTP/1.1 200 OK
//!   ...
//!   $ printf 'GET / HTTP/1.1\r\n' | nc -N 127.0.0.1 8090
//!   ```
//!   <!-- session-server -->
//!   ```text
//!   [INFO  ch08_mio] 127.0.0.1:52190 "GET / HTTP/1.1" 200
//!   ...
//!   ```
//!   ````
//!
//!   The marker is only a label: it starts nothing and takes no arguments (one that does
//!   is refused, as a hidden start command). `every_start_and_command_is_visible_in_the_built_book`
//!   builds the book with mdBook and checks that each start and each `$ ` command is on
//!   the rendered page. Each `$ ` command (a line ending in ` \` continues on the next)
//!   runs with `bash -c` in a fresh temporary directory, stdin empty, in a terminal
//!   that script(1) provides (so curl prints what it prints to a learner's terminal, not
//!   what it prints into a pipe), stderr and stdout merged in the order written, and is
//!   killed with anything it left running after `COMMAND_PATIENCE` (30 s, in
//!   `tests/support/transcript.rs`, which this test shares with `tests/nginx.rs`). Its
//!   output must equal the lines that follow, up to the next `$ `. The optional
//!   `<!-- session-server -->` block (blank lines may come before it) is what the server
//!   started last printed since the previous session ended (its `listening on` line, for
//!   the first session after its start); `<!-- session-server: ADDR -->` names another
//!   running server by the address it was started on.
//!
//!   The chapters' programs use ports 8090–8099 (the exercises 8093–8102 and the
//!   capstone 8110, as the introduction promises and
//!   `every_port_a_command_names_is_one_the_introduction_promises` checks; sessions use
//!   only 8090–8099, the exercise's 8093 included). For a run each is mapped to a free
//!   four-digit port (the same width, so `ss` lines up the same), in ARGS, the
//!   environment and the commands, and back in the output. Before comparing, both
//!   sides are normalised, of what truly varies from run to run only: an HTTP date
//!   (`Date:` values) or RFC 3339 time stamp becomes `DATE`; `curl/7.88.1` becomes
//!   `curl/VERSION`; in curl's own remarks (`*` lines, `curl: (N)` errors) durations
//!   (`after 0 ms`) become `N ms`; a port after an address that is not a book port (a
//!   client's ephemeral port, the one the OS chose for port 0) becomes `PORT`; a
//!   `Content-Length` that differs by exactly what those changed in the lines after it
//!   (an echoed `User-Agent: curl/…` one digit longer) is accepted; trailing
//!   white space (and the `\r` of raw HTTP) is dropped, and so are a terminal's style
//!   sequences (curl -i prints header names in bold). A line that is exactly `...`
//!   matches any number of lines: use it only where the prose says the output is
//!   trimmed.
//!
//!   Additions to the brief's format: a command may start a program as the learner
//!   would from the repository, `cargo run --quiet --example NAME ARGS` (or
//!   `cargo run --quiet [--release] -- ARGS` for hostecho); the test runs the executable
//!   cargo built instead, so no cargo runs inside the test. A program a command starts
//!   in the background (`&`) is killed when that command's shell exits. Set
//!   `TUTORIAL_PAGES=ch04` (a substring of page names, comma-separated) to run only some
//!   pages' sessions while writing a chapter.
//!
//!   A command that names a tool which is not installed (curl, nc, ss, nginx,
//!   chromium, python3, wrk) makes its whole session print `skipped: TOOL not
//!   installed` to stderr and pass, except under `CI=true`, where it fails. The line is
//!   written to the stderr handle, which libtest does not capture, so a plain
//!   `cargo test` shows it.
//!
//!   A page whose starts or commands name a wildcard address (`0.0.0.0`, `[::]`, or
//!   Python's `""` host) runs, servers and commands, in a private network namespace that
//!   has only loopback: `unshare -n` holds it, `nsenter --net` enters it.
//!   A wildcard bind there reaches nobody beyond the machine, and `ss` sees only the
//!   session's sockets. Without `unshare -n` such a session is skipped, visibly, and
//!   fails under `CI=true`. Outside a namespace the ports are probed on loopback only.
//!
//!   The README's sessions (`README.md`) are run the same way, by
//!   `readme_sessions_match_what_hostecho_does`; every README `console` block that shows
//!   output must be a session or a `hostecho check` transcript.
//! - **The course reads as a reader meets it.** Every example listens on 127.0.0.1:8090
//!   when given no address (run in a private network namespace); every crate of
//!   `course/Cargo.toml` is named by the chapter whose program first uses it; every
//!   chapter opens with what the reader will be able to do by its end; a page that
//!   writes files moves to a scratch directory in `/tmp` first; and chapter 13's nginx
//!   markers (run by `tests/nginx.rs`) start what the page shows.
//! - **Links hold.** Every relative link in the book names a file in `tutorial/src`
//!   (what mdBook publishes), and every `#anchor` a heading of the page it points to.
//!
//! The example is run as a program (built with `cargo build --example`), not called as a
//! function, so what is checked is exactly what a learner runs. `cargo test` has released
//! its build lock by the time tests run, so building from inside a test is fine.

use std::collections::BTreeSet;
use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;

#[path = "tutorial/links.rs"]
mod links;
#[path = "tutorial/session.rs"]
mod session;
mod support;
#[path = "support/transcript.rs"]
mod transcript;

use support::{build_example, run_within};
use transcript::{PATIENCE, diff};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn book_src() -> PathBuf {
    root().join("tutorial/src")
}

/// A markdown file of the book: its name relative to `tutorial/src` and its text.
struct Page {
    name: String,
    text: String,
}

/// Every `*.md` in `tutorial/src`, SUMMARY.md included, sorted by name.
fn pages() -> Vec<Page> {
    let mut pages: Vec<Page> = fs::read_dir(book_src())
        .expect("tutorial/src exists")
        .map(|entry| entry.expect("readable directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "md"))
        .map(|path| Page {
            name: path
                .file_name()
                .expect("a file name")
                .to_string_lossy()
                .into_owned(),
            text: fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
        })
        .collect();
    pages.sort_by(|a, b| a.name.cmp(&b.name));
    assert!(!pages.is_empty(), "no chapters in {}", book_src().display());
    pages
}

/// The chapter-numbered examples, `examples/chNN_*.rs`, by name without `.rs`.
fn chapter_examples() -> BTreeSet<String> {
    fs::read_dir(root().join("examples"))
        .expect("examples/ exists")
        .map(|entry| {
            entry
                .expect("readable directory entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter_map(|name| name.strip_suffix(".rs").map(str::to_owned))
        .filter(|name| {
            let bytes = name.as_bytes();
            name.starts_with("ch")
                && bytes.len() > 5
                && bytes[2].is_ascii_digit()
                && bytes[3].is_ascii_digit()
                && bytes[4] == b'_'
        })
        .collect()
}

/// The exercises' example names (`ex03_response`), as `course/Cargo.toml` declares them.
fn exercise_names() -> BTreeSet<String> {
    let manifest = fs::read_to_string(root().join("course/Cargo.toml")).expect("course/Cargo.toml");
    manifest
        .split("[[example]]")
        .skip(1)
        .filter(|block| block.contains("\"../exercises/"))
        .filter_map(|block| {
            let line = block.lines().find(|l| l.trim_start().starts_with("name"))?;
            Some(line.split('"').nth(1)?.to_owned())
        })
        .collect()
}

/// One `{{#include path}}` or `{{#include path:selector}}` directive in a page.
#[derive(Debug)]
struct Include {
    page: String,
    line: usize,
    path: String,
    /// An anchor name, or a line range such as `3:10`.
    selector: Option<String>,
}

/// Finds the include directives in a page, as mdBook does: `{{#include …}}` and
/// `{{#rustdoc_include …}}`, anywhere (fenced code blocks included), except when escaped
/// with a backslash.
fn includes(page: &Page) -> Vec<Include> {
    let mut found = Vec::new();
    for (index, line) in page.text.lines().enumerate() {
        let mut rest = line;
        while let Some(start) = rest.find("{{#") {
            let escaped = rest[..start].ends_with('\\');
            let after = &rest[start + 3..];
            let Some(end) = after.find("}}") else { break };
            let directive = &after[..end];
            rest = &after[end + 2..];
            if escaped {
                continue;
            }
            let Some(argument) = directive
                .strip_prefix("include ")
                .or_else(|| directive.strip_prefix("rustdoc_include "))
            else {
                continue; // {{#title}}, {{#playground}}…: not about examples
            };
            let argument = argument.trim();
            let (path, selector) = match argument.split_once(':') {
                Some((path, selector)) => (path, Some(selector.to_owned())),
                None => (argument, None),
            };
            found.push(Include {
                page: page.name.clone(),
                line: index + 1,
                path: path.to_owned(),
                selector,
            });
        }
    }
    found
}

#[test]
fn every_include_names_an_existing_file_and_anchor() {
    let mut problems = Vec::new();
    for page in pages() {
        for include in includes(&page) {
            let at = format!("tutorial/src/{}:{}", include.page, include.line);
            let file = book_src().join(&include.path);
            let Ok(source) = fs::read_to_string(&file) else {
                problems.push(format!(
                    "{at}: includes {}, which does not exist",
                    include.path
                ));
                continue;
            };
            match include.selector.as_deref() {
                None => {}
                // A line range (`5`, `5:`, `:9`, `5:9`): the first line must exist.
                Some(range) if range.starts_with(|c: char| c.is_ascii_digit() || c == ':') => {
                    let first: usize = range
                        .split(':')
                        .next()
                        .filter(|s| !s.is_empty())
                        .map_or(Ok(1), str::parse)
                        .unwrap_or(0);
                    if first == 0 || first > source.lines().count() {
                        problems.push(format!(
                            "{at}: line range {range} is not inside {}",
                            include.path
                        ));
                    }
                }
                Some(anchor) => {
                    let begin = anchor_line(&source, "ANCHOR", anchor);
                    let end = anchor_line(&source, "ANCHOR_END", anchor);
                    match (begin, end) {
                        (Some(begin), Some(end)) if begin < end => {}
                        (Some(_), Some(_)) => problems.push(format!("{at}: ANCHOR_END: {anchor} comes before ANCHOR: {anchor} in {}", include.path)),
                        _ => problems.push(format!("{at}: {} has no `// ANCHOR: {anchor}` … `// ANCHOR_END: {anchor}` pair", include.path)),
                    }
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "broken includes:\n{}",
        problems.join("\n")
    );
}

#[test]
fn rust_code_in_chapters_is_included_not_pasted() {
    // A pasted copy compiles nowhere and drifts silently; an include is the example
    // itself, which cargo builds. Short illustrations belong in inline code or a `text`
    // block.
    let mut pasted = Vec::new();
    for page in pages() {
        let mut in_rust_block = None;
        for (index, line) in page.text.lines().enumerate() {
            let at = format!("tutorial/src/{}:{}", page.name, index + 1);
            if let Some(info) = line.trim_start().strip_prefix("```") {
                in_rust_block = match in_rust_block {
                    Some(_) => None,
                    None => Some(info.trim().starts_with("rust")),
                };
            } else if in_rust_block == Some(true) {
                let directive = line.trim();
                let is_include = (directive.starts_with("{{#include ")
                    || directive.starts_with("{{#rustdoc_include "))
                    && directive.ends_with("}}");
                if !directive.is_empty() && !is_include {
                    pasted.push(format!("{at}: {line}"));
                }
            }
        }
    }
    assert!(
        pasted.is_empty(),
        "rust code blocks in the book may only `{{{{#include}}}}` code from examples/, \
         never hold a copy:\n{}",
        pasted.join("\n")
    );
}

/// The line number of `// KIND: name` in a source file, as mdBook's anchors are written.
fn anchor_line(source: &str, kind: &str, name: &str) -> Option<usize> {
    source.lines().position(|line| {
        // `//` in Rust; `#` in the nginx configurations of examples/nginx/.
        let line = line.trim_start();
        line.strip_prefix("//")
            .or_else(|| line.strip_prefix('#'))
            .and_then(|comment| comment.trim_start().strip_prefix(kind))
            .and_then(|rest| rest.strip_prefix(':'))
            .is_some_and(|rest| rest.trim() == name)
    })
}

#[test]
fn every_example_is_included_by_a_chapter() {
    let included: BTreeSet<PathBuf> = pages()
        .iter()
        .flat_map(includes)
        .filter_map(|include| book_src().join(&include.path).canonicalize().ok())
        .collect();
    let missing: Vec<String> = chapter_examples()
        .into_iter()
        .filter(|name| {
            let path = root().join("examples").join(format!("{name}.rs"));
            !included.contains(&path.canonicalize().expect("the example exists"))
        })
        .collect();
    assert!(
        missing.is_empty(),
        "examples no chapter includes (add `{{{{#include ../../examples/NAME.rs}}}}` to its chapter): {missing:?}"
    );
}

#[test]
fn every_example_opens_with_how_to_run_it() {
    for name in chapter_examples() {
        let source = fs::read_to_string(root().join("examples").join(format!("{name}.rs")))
            .expect("readable example");
        assert!(
            source.starts_with("//!"),
            "examples/{name}.rs must open with a `//!` comment saying what it shows"
        );
        let command = format!("cargo run --example {name}");
        let doc: Vec<&str> = source
            .lines()
            .take_while(|line| line.starts_with("//!"))
            .collect();
        assert!(
            doc.iter().any(|line| line.contains(&command)),
            "the `//!` comment of examples/{name}.rs must say how to run it: `{command}`"
        );
    }
}

#[test]
fn summary_lists_every_chapter_and_only_existing_ones() {
    let pages = pages();
    let summary = pages
        .iter()
        .find(|page| page.name == "SUMMARY.md")
        .expect("tutorial/src/SUMMARY.md exists");
    // Every `[title](target)`; a draft chapter has an empty target and no file.
    let mut linked = BTreeSet::new();
    for part in summary.text.split("](").skip(1) {
        let target = part.split(')').next().unwrap_or_default().trim();
        if !target.is_empty() {
            linked.insert(target.to_owned());
        }
    }
    let files: BTreeSet<String> = pages
        .iter()
        .map(|page| page.name.clone())
        .filter(|name| name != "SUMMARY.md")
        .collect();
    let dangling: Vec<_> = linked.difference(&files).collect();
    let orphans: Vec<_> = files.difference(&linked).collect();
    assert!(
        dangling.is_empty(),
        "SUMMARY.md links to files that do not exist: {dangling:?}"
    );
    assert!(
        orphans.is_empty(),
        "chapter files SUMMARY.md does not list (mdBook would not render them): {orphans:?}"
    );
}

/// A transcript block of the book, found by its `<!-- transcript: EXAMPLE KIND -->` marker.
struct Transcript {
    /// Where its marker is, as `tutorial/src/PAGE:LINE`.
    at: String,
    example: String,
    kind: String,
    /// The lines inside the fenced block.
    lines: Vec<String>,
}

/// Every marked transcript in the book. Panics on a marker that is malformed or not
/// followed by a fenced block: a transcript the test cannot find is a transcript nobody
/// checks.
fn transcripts() -> Vec<Transcript> {
    let mut found = Vec::new();
    for page in pages() {
        let lines: Vec<&str> = page.text.lines().collect();
        for (index, line) in lines.iter().enumerate() {
            let Some(marker) = line.trim().strip_prefix("<!-- transcript:") else {
                continue;
            };
            let at = format!("tutorial/src/{}:{}", page.name, index + 1);
            let words: Vec<&str> = marker.trim_end_matches("-->").split_whitespace().collect();
            let [example, kind] = words[..] else {
                panic!(
                    "{at}: a transcript marker is `<!-- transcript: EXAMPLE curl|server -->`, not {line:?}"
                );
            };
            let fence = lines.get(index + 1).filter(|next| next.starts_with("```"));
            assert!(
                fence.is_some(),
                "{at}: a transcript marker must be followed at once by a fenced code block"
            );
            let body: Vec<String> = lines[index + 2..]
                .iter()
                .take_while(|line| !line.starts_with("```"))
                .map(ToString::to_string)
                .collect();
            assert!(
                index + 2 + body.len() < lines.len(),
                "{at}: the transcript's fenced block is never closed"
            );
            found.push(Transcript {
                at,
                example: example.to_owned(),
                kind: kind.to_owned(),
                lines: body,
            });
        }
    }
    found
}

#[test]
fn every_transcript_marker_is_one_the_tests_check() {
    let examples = chapter_examples();
    let transcripts = transcripts();
    for t in &transcripts {
        assert!(
            examples.contains(&t.example),
            "{}: transcript of examples/{}.rs, which does not exist",
            t.at,
            t.example
        );
        assert!(
            t.kind == "curl" || t.kind == "server",
            "{}: unknown transcript kind {:?} (curl or server)",
            t.at,
            t.kind
        );
        let same = transcripts
            .iter()
            .filter(|u| u.example == t.example && u.kind == t.kind)
            .count();
        assert_eq!(
            same, 1,
            "{}: more than one {} transcript of {}; this test checks one exchange per example",
            t.at, t.kind, t.example
        );
        let other = if t.kind == "curl" { "server" } else { "curl" };
        assert!(
            transcripts
                .iter()
                .any(|u| u.example == t.example && u.kind == other),
            "{}: a {} transcript of {} needs its {other} transcript: the two show one exchange",
            t.at,
            t.kind,
            t.example
        );
    }
}

/// The transcripts of one exchange: curl's side and the server's.
fn exchange(example: &str) -> Option<(Transcript, Transcript)> {
    let mut all = transcripts();
    let curl = all
        .iter()
        .position(|t| t.example == example && t.kind == "curl")?;
    let curl = all.swap_remove(curl);
    let server = all
        .into_iter()
        .find(|t| t.example == example && t.kind == "server")?;
    Some((curl, server))
}

#[test]
fn chapter_1_has_a_checked_transcript() {
    // Guards the check below against a marker that was deleted or renamed: without this,
    // the book could lose its transcript check and every test would still pass.
    assert!(
        exchange("ch01_blocking_server").is_some(),
        "chapter 1 lost its `<!-- transcript: ch01_blocking_server … -->` markers"
    );
}

#[test]
fn transcripts_match_what_the_programs_do() {
    let examples: BTreeSet<String> = transcripts().into_iter().map(|t| t.example).collect();
    let mut failures = Vec::new();
    for example in examples {
        let (curl, server) =
            exchange(&example).expect("checked by every_transcript_marker_is_one_the_tests_check");
        failures.extend(check_exchange(&example, &curl, &server));
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n\n"));
}

/// Replays the exchange of a curl transcript against the example, returning one message
/// per transcript that differs from what the program does now.
///
/// The contract for an example with a transcript: it takes the address to listen on as
/// its first argument, prints `listening on http://ADDR` first, and has printed
/// everything it prints for a request by the time its answer is complete.
fn check_exchange(example: &str, curl: &Transcript, server: &Transcript) -> Vec<String> {
    let request = curl_request(curl);
    assert!(
        curl.lines
            .first()
            .is_some_and(|line| line.starts_with("$ curl")),
        "{}: curl's transcript must open with the `$ curl …` command that produced it",
        curl.at
    );
    let (server_command, expected_stdout) = server
        .lines
        .split_first()
        .unwrap_or_else(|| panic!("{}: empty transcript", server.at));
    assert!(
        server_command.starts_with("$ cargo run")
            && server_command.contains(&format!("--example {example}")),
        "{}: the server transcript must open with the `$ cargo run … --example {example}` that started it",
        server.at
    );

    let mut program = Program::start(&build_example(example), &["127.0.0.1:0"]);
    let mut stream =
        TcpStream::connect_timeout(&program.addr, PATIENCE).expect("connect to the example");
    stream
        .set_read_timeout(Some(PATIENCE))
        .expect("set a read timeout");
    stream
        .set_write_timeout(Some(PATIENCE))
        .expect("set a write timeout");
    stream
        .write_all(&request)
        .expect("send the request from the transcript");
    let answer = read_answer(&mut stream);
    let (stdout, stderr) = program.stop();

    let mut failures = Vec::new();
    let expected_curl = curl_view(&curl.lines);
    let actual_curl = answer_as_curl_shows_it(&answer);
    if let Some(diff) = compare(&expected_curl, &actual_curl) {
        failures.push(format!(
            "{}: the answer of examples/{example}.rs is not the one in the book (`<` lines and body; - book, + program):\n{diff}",
            curl.at
        ));
    }
    let expected_stdout: Vec<String> = expected_stdout.to_vec();
    if let Some(diff) = compare(&expected_stdout, &stdout) {
        failures.push(format!(
            "{}: what examples/{example}.rs prints is not what the book shows (- book, + program; ports shown as PORT):\n{diff}",
            server.at
        ));
    }
    if !stderr.is_empty() {
        failures.push(format!(
            "{}: examples/{example}.rs wrote to stderr, which the transcript does not show:\n{}",
            server.at,
            stderr.join("\n")
        ));
    }
    if !failures.is_empty() {
        failures.push(format!(
            "If the program changed on purpose, capture the exchange again (`cargo run --quiet --example {example}` \
             in one terminal, `curl -v …` in another) and paste both into the chapter."
        ));
    }
    failures
}

/// The request curl sent, rebuilt from its `>` lines: curl ends each with CRLF, and the
/// last one, empty, ends the head.
fn curl_request(curl: &Transcript) -> Vec<u8> {
    let sent: Vec<&str> = curl
        .lines
        .iter()
        .filter_map(|line| line.strip_prefix('>'))
        // curl writes `> ` before each line; an editor may strip the space after a lone `>`.
        .map(|line| line.strip_prefix(' ').unwrap_or(line))
        .collect();
    assert!(
        !sent.is_empty(),
        "{}: curl's transcript has no `>` lines (the request it sent)",
        curl.at
    );
    assert_eq!(
        sent.last(),
        Some(&""),
        "{}: the request's last `>` line must be the empty one that ends its head",
        curl.at
    );
    let mut request = sent.join("\r\n");
    request.push_str("\r\n");
    request.into_bytes()
}

/// The lines of a curl transcript that show the answer: the `<` lines and the body.
/// The command line, curl's `*` remarks and the `>` request are left out.
fn curl_view(lines: &[String]) -> Vec<String> {
    lines
        .iter()
        .skip(1) // `$ curl -v …`
        .filter(|line| !line.starts_with('*') && !line.starts_with('>'))
        .cloned()
        .collect()
}

/// An answer as `curl -v` prints it: each line of its head after `< `, then the body.
fn answer_as_curl_shows_it(answer: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(answer);
    let Some((head, body)) = text.split_once("\r\n\r\n") else {
        return vec![format!(
            "(no complete head in {} bytes: {text:?})",
            answer.len()
        )];
    };
    let mut lines: Vec<String> = head.split("\r\n").map(|line| format!("< {line}")).collect();
    lines.push("< ".to_owned());
    lines.extend(body.lines().map(str::to_owned));
    lines
}

/// Reads one answer: its head, then a body of `Content-Length` bytes, or everything
/// until the server closes if it sends no length.
fn read_answer(stream: &mut TcpStream) -> Vec<u8> {
    let mut answer = Vec::new();
    let mut chunk = [0; 4096];
    loop {
        let text = String::from_utf8_lossy(&answer);
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text[..end].lines().find_map(|line| {
                let (name, value) = line.split_once(':')?;
                name.eq_ignore_ascii_case("content-length")
                    .then(|| value.trim().parse::<usize>().ok())?
            });
            if length.is_some_and(|length| answer.len() >= end + 4 + length) {
                return answer;
            }
        }
        match stream.read(&mut chunk) {
            Ok(0) => return answer,
            Ok(n) => answer.extend_from_slice(&chunk[..n]),
            Err(e) => panic!(
                "reading the answer failed after {} bytes ({e}): {:?}",
                answer.len(),
                String::from_utf8_lossy(&answer)
            ),
        }
    }
}

/// Compares two transcripts line by line after normalising ports; `None` when they agree,
/// else a diff.
fn compare(expected: &[String], actual: &[String]) -> Option<String> {
    let expected: Vec<String> = expected.iter().map(|line| normalise(line)).collect();
    let actual: Vec<String> = actual.iter().map(|line| normalise(line)).collect();
    (expected != actual).then(|| diff(&expected, &actual))
}

/// Replaces what changes from one run to the next: the port after `127.0.0.1:` (chosen by
/// the OS) and curl's version in `User-Agent: curl/X.Y.Z`. Trailing spaces are dropped, as
/// editors do.
fn normalise(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    loop {
        // (prefix, what replaces the volatile part, whether dots belong to it)
        let next = [("127.0.0.1:", "PORT", false), ("curl/", "VERSION", true)]
            .into_iter()
            .filter_map(|(prefix, word, dots)| rest.find(prefix).map(|at| (at, prefix, word, dots)))
            .min();
        let Some((at, prefix, word, dots)) = next else {
            break;
        };
        out.push_str(&rest[..at + prefix.len()]);
        rest = &rest[at + prefix.len()..];
        let volatile = rest
            .find(|c: char| !(c.is_ascii_digit() || (dots && c == '.')))
            .unwrap_or(rest.len());
        if volatile > 0 {
            out.push_str(word);
            rest = &rest[volatile..];
        }
    }
    out.push_str(rest);
    out.trim_end().to_owned()
}

/// A running example. Killed when dropped, so a failing test leaves no server behind.
struct Program {
    child: Child,
    addr: SocketAddr,
    stdout: mpsc::Receiver<String>,
    stderr: mpsc::Receiver<String>,
}

impl Program {
    /// Starts the program and waits for its `listening on http://ADDR` line.
    fn start(executable: &Path, args: &[&str]) -> Program {
        let mut child = Command::new(executable)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", executable.display()));
        let stdout = lines_of(child.stdout.take().expect("piped stdout"));
        let stderr = lines_of(child.stderr.take().expect("piped stderr"));
        let first = stdout.recv_timeout(PATIENCE).unwrap_or_else(|_| {
            let _ = child.kill();
            panic!(
                "{} printed no `listening on` line within {PATIENCE:?}",
                executable.display()
            )
        });
        let addr = first
            .strip_prefix("listening on http://")
            .and_then(|addr| addr.parse().ok())
            .unwrap_or_else(|| {
                panic!("the first line must be `listening on http://ADDR`, not {first:?}")
            });
        // Put the first line back in front of the rest, for the comparison.
        let (sender, rest) = mpsc::channel();
        sender.send(first).expect("the receiver is alive");
        thread::spawn(move || stdout.into_iter().try_for_each(|line| sender.send(line)));
        Program {
            child,
            addr,
            stdout: rest,
            stderr,
        }
    }

    /// Kills the program and returns every line it wrote to stdout and to stderr.
    fn stop(&mut self) -> (Vec<String>, Vec<String>) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // With the process gone its pipes close, so the readers reach the end.
        let drain = |lines: &mpsc::Receiver<String>| {
            let mut all = Vec::new();
            while let Ok(line) = lines.recv_timeout(PATIENCE) {
                all.push(line);
            }
            all
        };
        (drain(&self.stdout), drain(&self.stderr))
    }
}

impl Drop for Program {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads lines (CRLF or LF) on a thread and hands them over a channel, which closes when
/// the stream ends.
fn lines_of(stream: impl Read + Send + 'static) -> mpsc::Receiver<String> {
    let (sender, receiver) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            if sender
                .send(line.unwrap_or_else(|e| format!("(unreadable output: {e})")))
                .is_err()
            {
                break;
            }
        }
    });
    receiver
}

#[test]
fn every_session_marker_is_well_formed() {
    // A page may also start an exercise (`exercises/`, `cargo run --example exNN_…`), to
    // show what `hostecho grade` says of it; tests/exercises.rs checks those.
    let mut examples = chapter_examples();
    examples.extend(exercise_names());
    let problems: Vec<String> = session::scripts()
        .iter()
        .chain([&session::readme_script()])
        .filter_map(|s| s.validate(&examples).err())
        .collect();
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

#[test]
fn every_chapter_has_a_checked_transcript() {
    // A chapter's claims about what programs print are only as good as the check behind
    // them: each chapter shows at least one session or transcript that cargo test runs.
    let sessions = session::by_page();
    let transcripts: BTreeSet<String> = transcripts()
        .into_iter()
        .filter_map(|t| {
            t.at.strip_prefix("tutorial/src/")
                .and_then(|at| at.split(':').next())
                .map(str::to_owned)
        })
        .collect();
    let unchecked: Vec<String> = pages()
        .into_iter()
        .map(|page| page.name)
        .filter(|name| name.starts_with("ch"))
        .filter(|name| !sessions.contains_key(name) && !transcripts.contains(name))
        .collect();
    assert!(
        unchecked.is_empty(),
        "chapters with no `<!-- session -->` or `<!-- transcript: … -->` block: {unchecked:?}"
    );
}

#[test]
fn sessions_match_what_the_programs_do() {
    let only: Option<Vec<String>> = std::env::var("TUTORIAL_PAGES")
        .ok()
        .map(|v| v.split(',').map(|s| s.trim().to_owned()).collect());
    let scripts: Vec<session::Script> = session::scripts()
        .into_iter()
        .filter(|s| {
            only.as_ref()
                .is_none_or(|only| only.iter().any(|o| s.page.contains(o.as_str())))
        })
        .collect();
    run_scripts(&scripts);
}

#[test]
fn readme_sessions_match_what_hostecho_does() {
    let readme = session::readme_script();
    assert!(
        readme.sessions().count() >= 2,
        "README.md: its curl transcripts are sessions"
    );
    run_scripts(&[readme]);
}

#[test]
fn every_readme_transcript_is_checked() {
    // A `console` block that shows output is a transcript, and a transcript nobody runs
    // drifts: each must be a session or a `hostecho check` transcript (tests/check.rs).
    // A block of commands alone (what to type, no output) is `sh`.
    let readme = fs::read_to_string(root().join("README.md")).expect("read README.md");
    let lines: Vec<&str> = readme.lines().collect();
    let mut unchecked = Vec::new();
    let mut index = 0;
    while index < lines.len() {
        if lines[index].trim_end() == "```console" {
            let end = lines[index + 1..]
                .iter()
                .position(|l| l.trim_end() == "```")
                .map_or(lines.len(), |n| index + 1 + n);
            let shows_output = lines[index + 1..end].iter().any(|l| !l.starts_with("$ "));
            let marker = index
                .checked_sub(1)
                .map(|i| lines[i].trim())
                .unwrap_or_default();
            let checked = marker == "<!-- session -->" || marker == "<!-- check-transcript -->";
            if shows_output && !checked {
                unchecked.push(format!("README.md:{}", index + 1));
            }
            index = end;
        }
        index += 1;
    }
    assert!(
        unchecked.is_empty(),
        "console blocks with output but no `<!-- session -->` marker: {unchecked:?}"
    );
}

/// Runs pages one after another, each page's sessions in order, and fails with every
/// difference found.
fn run_scripts(scripts: &[session::Script]) {
    let in_ci = std::env::var("CI").as_deref() == Ok("true");
    let mut failures = Vec::new();
    let mut count = 0;
    for script in scripts {
        for (at, outcome) in script.run() {
            count += 1;
            match outcome {
                session::Outcome::Passed => {}
                session::Outcome::Skipped(tool) if in_ci => failures.push(format!(
                    "{at}: {tool} is not installed, and CI=true needs every session checked \
                     (Debian package {}; .ci/run installs it)",
                    session::package_of(&tool)
                )),
                session::Outcome::Skipped(tool) => {
                    // To the stderr handle: libtest hides what `eprintln!` prints in a
                    // passing test, and a skip must show in a plain `cargo test`.
                    let _ = writeln!(std::io::stderr(), "skipped: {tool} not installed ({at})");
                }
                session::Outcome::Failed(messages) => failures.extend(messages),
            }
        }
    }
    eprintln!("{count} sessions run");
    assert!(failures.is_empty(), "\n{}", failures.join("\n\n"));
}

#[test]
fn no_internal_link_is_broken() {
    let pages = pages();
    let mut broken = Vec::new();
    for page in &pages {
        for link in links::links(page) {
            if links::is_external(&link.target) {
                continue;
            }
            if let Err(problem) = links::check(page, &link.target, &pages) {
                broken.push(format!("{}: {problem}", link.at));
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

#[test]
fn every_example_names_the_address_it_cannot_bind_in_one_line() {
    // A learner's first error is usually "the port is taken": a previous run still
    // going in another terminal. Each example must say which address and why, in one
    // line, and exit non-zero, with no backtrace even when RUST_BACKTRACE=1 asks for
    // one (anyhow's `Error: …` from `main` would print one).
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    let addr = taken.local_addr().expect("its address");
    let mut problems = Vec::new();
    for name in chapter_examples() {
        let mut command = Command::new(build_example(&name));
        command
            .arg(addr.to_string())
            .env("RUST_BACKTRACE", "1")
            .env_remove("RUST_LOG")
            .stdin(Stdio::null());
        let output = run_within(command, PATIENCE);
        let stderr = String::from_utf8_lossy(&output.stderr);
        let expected = format!("error: cannot bind {addr}: Address already in use (os error 98)\n");
        if output.status.success() || stderr != expected {
            problems.push(format!(
                "{name}: exit {:?}, stderr {stderr:?} (expected {expected:?})",
                output.status.code()
            ));
        }
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

#[test]
fn every_start_and_command_is_visible_in_the_built_book() {
    // What the reader sees is the rendered page, not the Markdown: a start command in an
    // HTML comment, or in a block mdBook does not render, would be one the test runs and
    // the reader never meets. So build the book, and find every start and every `$ `
    // command of every session on its page, as text.
    let in_ci = std::env::var("CI").as_deref() == Ok("true");
    if !support::installed("mdbook") {
        assert!(!in_ci, "CI=true needs mdbook (.ci/run installs it)");
        let _ = writeln!(
            std::io::stderr(),
            "skipped: mdbook not installed (every_start_and_command_is_visible_in_the_built_book)"
        );
        return;
    }
    let out = transcript::TempDir::new("book");
    let mut command = Command::new("mdbook");
    command
        .arg("build")
        .arg(root().join("tutorial"))
        .arg("--dest-dir")
        .arg(out.path());
    let output = run_within(command, std::time::Duration::from_secs(300));
    assert!(
        output.status.success(),
        "mdbook build tutorial failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut missing = Vec::new();
    let scripts = session::scripts();
    assert!(!scripts.is_empty(), "the book has no sessions");
    for script in &scripts {
        let html_path = out.path().join(script.page.replace(".md", ".html"));
        let html = fs::read_to_string(&html_path)
            .unwrap_or_else(|e| panic!("{}: {e}", html_path.display()));
        let text = visible_text(&html);
        let commands = script
            .starts()
            .map(|s| (s.at.clone(), s.command.clone()))
            .chain(script.sessions().flat_map(|s| {
                s.steps.iter().map(|step| {
                    (
                        format!("{}:{}", script.file, step.line),
                        step.command.clone(),
                    )
                })
            }));
        for (at, command) in commands {
            if !command.lines().all(|line| text.contains(line)) {
                missing.push(format!("{at}: `$ {command}` is not on the rendered page"));
            }
        }
    }
    assert!(missing.is_empty(), "\n{}", missing.join("\n"));
}

/// The text a browser shows of an HTML page: comments dropped, tags removed, the
/// entities mdBook writes decoded.
fn visible_text(html: &str) -> String {
    let mut without_comments = String::new();
    let mut rest = html;
    while let Some(start) = rest.find("<!--") {
        without_comments.push_str(&rest[..start]);
        rest = rest[start..]
            .find("-->")
            .map_or("", |end| &rest[start + end + 3..]);
    }
    without_comments.push_str(rest);
    let mut text = String::new();
    let mut in_tag = false;
    for c in without_comments.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&amp;", "&")
}

#[test]
fn a_comment_hides_what_it_holds_from_the_reader() {
    let html = "<p>shown</p><!--\n<pre><code>$ cargo run --example hidden</code></pre>\n--><code>a &amp;&amp; b &lt;x&gt;</code>";
    let text = visible_text(html);
    assert!(text.contains("shown") && text.contains("a && b <x>"));
    assert!(!text.contains("hidden"));
}

#[test]
fn every_example_listens_on_the_books_first_port_by_default() {
    // `cargo run --example NAME` with no address must reach the port its chapter curls:
    // the book's first, 8090. Each example runs in a private network namespace, where
    // 8090 is free whatever else this machine runs.
    let in_ci = std::env::var("CI").as_deref() == Ok("true");
    if !session::private_network_available() {
        assert!(!in_ci, "CI=true needs unshare -n (util-linux, as root)");
        let _ = writeln!(
            std::io::stderr(),
            "skipped: unshare not available (every_example_listens_on_the_books_first_port_by_default)"
        );
        return;
    }
    let dir = transcript::TempDir::new("defaults");
    let mut wrong = Vec::new();
    for name in chapter_examples() {
        let mut command = Command::new("unshare");
        command
            .args(["-n", "sh", "-c", "ip link set lo up && exec \"$0\""])
            .arg(build_example(&name));
        let mut running = transcript::Running::start(command, dir.path());
        running.wait_for_line("listening on http://");
        let printed = running.stop();
        let expected = format!("listening on http://{}", session::DEFAULT_ADDR);
        if printed.iter().find(|l| l.starts_with("listening on")) != Some(&expected) {
            wrong.push(format!("{name}: {printed:?}"));
        }
    }
    assert!(
        wrong.is_empty(),
        "examples that do not listen on {} when given no address:\n{}",
        session::DEFAULT_ADDR,
        wrong.join("\n")
    );
}

#[test]
fn every_crate_of_the_course_is_named_where_it_is_first_used() {
    // A reader meets `socket2::Socket` in chapter 2's code: the chapter must say what
    // socket2 is. For each dependency of course/Cargo.toml, the chapter that includes the
    // first example (in chapter order) using it names it.
    let manifest =
        fs::read_to_string(root().join("course/Cargo.toml")).expect("read course/Cargo.toml");
    let crates: Vec<String> = manifest
        .lines()
        .skip_while(|line| line.trim() != "[dependencies]")
        .skip(1)
        .take_while(|line| !line.starts_with('['))
        .filter_map(|line| line.split_once('=').map(|(name, _)| name.trim().to_owned()))
        .filter(|name| !name.is_empty() && !name.starts_with('#'))
        .collect();
    assert!(crates.len() >= 5, "course/Cargo.toml lists {crates:?}");
    let pages = pages();
    let mut unnamed = Vec::new();
    for name in &crates {
        let path = format!("{}::", name.replace('-', "_"));
        let first = chapter_examples().into_iter().find(|example| {
            fs::read_to_string(root().join("examples").join(format!("{example}.rs")))
                .is_ok_and(|source| source.contains(&path))
        });
        let Some(example) = first else {
            unnamed.push(format!(
                "{name}: no example uses it; drop it from course/Cargo.toml"
            ));
            continue;
        };
        let include = format!("../../examples/{example}.rs");
        let page = pages
            .iter()
            .find(|page| page.name.starts_with("ch") && page.text.contains(&include))
            .unwrap_or_else(|| panic!("no chapter includes examples/{example}.rs"));
        if !page.text.contains(name.as_str()) {
            unnamed.push(format!(
                "{name}: first used by examples/{example}.rs, but tutorial/src/{} never names it",
                page.name
            ));
        }
    }
    assert!(unnamed.is_empty(), "\n{}", unnamed.join("\n"));
}

#[test]
fn every_chapter_opens_with_what_the_reader_will_be_able_to_do() {
    let missing: Vec<String> = pages()
        .into_iter()
        .filter(|page| page.name.starts_with("ch"))
        .filter(|page| {
            let opening: String = page.text.lines().take(20).collect::<Vec<_>>().join(" ");
            !(opening.contains("By the end of this chapter")
                || opening.contains("At the end of this chapter"))
        })
        .map(|page| page.name)
        .collect();
    assert!(
        missing.is_empty(),
        "chapters that do not open with \"By the end of this chapter you will be able to …\": {missing:?}"
    );
}

#[test]
fn nginx_markers_run_what_chapter_13_shows() {
    // tests/nginx.rs runs chapter 13's nginx sessions from their markers,
    // `<!-- nginx: CONF | hostecho ARGS | … -->`, which the reader never sees. What the
    // reader sees must start the same things: above each marker, the last nginx command
    // the page shows uses examples/nginx/CONF, and each hostecho of the marker is the
    // one the page last started on its address, with the same arguments.
    let page = pages()
        .into_iter()
        .find(|page| page.name == "ch13-proxies.md")
        .expect("chapter 13 exists");
    let lines: Vec<&str> = page.text.lines().collect();
    let visible = session::visible_lines(&lines);
    let mut problems = Vec::new();
    let mut markers = 0;
    for (index, line) in lines.iter().enumerate() {
        let Some(spec) = transcript::comment(line).and_then(|c| c.strip_prefix("nginx:")) else {
            continue;
        };
        markers += 1;
        let at = format!("tutorial/src/ch13-proxies.md:{}", index + 1);
        let mut parts = spec.split('|').map(str::trim);
        let conf = parts.next().unwrap_or_default();
        // The commands the page shows above the marker, each with its line, continued
        // lines joined.
        let mut shown: Vec<String> = Vec::new();
        let mut continued = false;
        for (i, l) in lines[..index].iter().enumerate() {
            if !visible[i] {
                continue;
            }
            if continued {
                let last = shown.last_mut().expect("a command to continue");
                last.push('\n');
                last.push_str(l);
            } else if let Some(command) = l.strip_prefix("$ ") {
                shown.push(command.to_owned());
            } else {
                continue;
            }
            continued = l.ends_with(" \\");
        }
        let nginx = shown.iter().rev().find(|c| {
            session::shell_words(c)
                .first()
                .is_some_and(|w| w == "nginx")
        });
        if !nginx.is_some_and(|c| c.contains(&format!("examples/nginx/{conf}"))) {
            problems.push(format!(
                "{at}: runs nginx with {conf}, but the last nginx command the page shows above it is {nginx:?}"
            ));
        }
        for server in parts {
            let args = server.strip_prefix("hostecho ").unwrap_or(server);
            let wanted = session::start_of(&format!("hostecho {args}"), &at)
                .expect("`hostecho ARGS` is a start");
            let started = shown
                .iter()
                .rev()
                .filter_map(|c| session::start_of(c, &at))
                .find(|s| s.program == "hostecho" && s.addr == wanted.addr);
            let same = started
                .as_ref()
                .is_some_and(|s| hostecho_args(&s.args) == hostecho_args(&wanted.args));
            if !same {
                problems.push(format!(
                    "{at}: runs `hostecho {args}`, but the page last started hostecho on {} with {:?}",
                    wanted.addr,
                    started.map(|s| s.command)
                ));
            }
        }
    }
    assert!(markers >= 4, "chapter 13 lost its nginx markers");
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

/// hostecho's arguments in one spelling, order aside: `--bind` as `-b`,
/// `--allowed-hosts` as `-a`, `--flag=value` as two words.
fn hostecho_args(args: &[String]) -> Vec<String> {
    let mut words: Vec<String> = args
        .iter()
        .flat_map(|a| match a.split_once('=') {
            Some((flag, value)) if a.starts_with("--") => vec![flag.to_owned(), value.to_owned()],
            _ => vec![a.clone()],
        })
        .map(|w| match w.as_str() {
            "--bind" => "-b".to_owned(),
            "--allowed-hosts" => "-a".to_owned(),
            _ => w,
        })
        .collect();
    // Pair each flag with its value, so that sorting keeps them together.
    let mut pairs = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let takes_value = words[i].starts_with('-')
            && words.get(i + 1).is_some_and(|next| !next.starts_with('-'));
        if takes_value {
            pairs.push(format!("{} {}", words[i], words[i + 1]));
            i += 2;
        } else {
            pairs.push(std::mem::take(&mut words[i]));
            i += 1;
        }
    }
    pairs.sort();
    pairs
}

#[test]
fn files_the_book_writes_go_to_a_scratch_directory() {
    // The reader types these commands in a terminal opened in the repository, and the
    // files a command writes (`printf … > start`) would land there. So a page that writes
    // a file moves to a scratch directory first: `mkdir -p /tmp/… && cd /tmp/…`.
    let mut problems = Vec::new();
    for script in session::scripts().iter().chain([&session::readme_script()]) {
        let mut in_scratch = false;
        for step in script.sessions().flat_map(|s| &s.steps) {
            if step.command.starts_with("mkdir -p /tmp/") && step.command.contains("&& cd /tmp/") {
                in_scratch = true;
            }
            let words = session::shell_words(&step.command);
            let writes = words.windows(2).any(|pair| {
                (pair[0] == ">" || pair[0] == ">>")
                    && !pair[1].starts_with('/')
                    && !pair[1].starts_with('&')
            }) || words.iter().any(|w| {
                w.strip_prefix('>')
                    .is_some_and(|file| !file.is_empty() && !file.starts_with(['/', '&', '>']))
            });
            if writes && !in_scratch {
                problems.push(format!(
                    "{}:{}: `$ {}` writes a file where the reader stands (the repository): \
                     `mkdir -p /tmp/hostecho-chNN && cd /tmp/hostecho-chNN` first",
                    script.file, step.line, step.command
                ));
            }
        }
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

/// The ports a `$ ` command names on a loopback or wildcard address: `127.0.0.1:8090`,
/// `localhost:8090`, `[::1]:8092`, `http://0.0.0.0:8091/`, and nc's `127.0.0.1 8090`.
fn ports_named(command: &str) -> Vec<u16> {
    let is_local = |host: &str| {
        let host = host
            .rsplit(['/', '@', '\'', '"', '('])
            .next()
            .unwrap_or(host);
        host == "localhost"
            || host.ends_with(".localhost")
            || host.parse::<std::net::Ipv4Addr>().is_ok()
            || host
                .strip_prefix('[')
                .and_then(|h| h.strip_suffix(']'))
                .is_some_and(|h| h.parse::<std::net::Ipv6Addr>().is_ok())
    };
    let port = |digits: &str| -> Option<u16> {
        let run: String = digits.chars().take_while(char::is_ascii_digit).collect();
        let rest = &digits[run.len()..];
        let ends = rest
            .chars()
            .next()
            .is_none_or(|c| !c.is_ascii_alphanumeric());
        (run.len() >= 4 && ends).then(|| run.parse().ok()).flatten()
    };
    let words: Vec<&str> = command.split_whitespace().collect();
    let mut ports = Vec::new();
    for (i, word) in words.iter().enumerate() {
        // `host:port`, anywhere in the word (a URL, a printf'd Host line).
        for (at, _) in word.match_indices(':') {
            if is_local(&word[..at]) {
                ports.extend(port(&word[at + 1..]));
            }
        }
        // nc's two words, `HOST PORT`.
        if i > 0 && is_local(words[i - 1]) {
            ports.extend(port(word));
        }
    }
    ports
}

#[test]
fn every_port_a_command_names_is_one_the_introduction_promises() {
    // The introduction promises: the chapters' programs on 8090–8099, the exercises on
    // 8093–8102 (8090 plus the chapter), the capstone on 8110. A reader who keeps to
    // those ports knows what else may be running; a command outside them is a broken
    // promise. Chapters 13 and 14 are checked too: they are part of the same book.
    let programs = 8090..=8099;
    let exercises = 8093..=8102;
    let capstone = 8110;
    let mut wrong = Vec::new();
    for page in pages() {
        let lines: Vec<&str> = page.text.lines().collect();
        let mut index = 0;
        while index < lines.len() {
            let Some((block, end)) = transcript::fenced_block(&lines, index) else {
                index += 1;
                continue;
            };
            if !block.first().is_some_and(|line| line.starts_with("$ ")) {
                index = end;
                continue;
            }
            let at = format!("{}:{}", page.name, index + 1);
            for step in transcript::steps_of(&block, index + 2, &at) {
                // `hostecho check` is given Host values to judge, not addresses to reach.
                if step.command.contains("-- check ") || step.command.contains("hostecho check ") {
                    continue;
                }
                let command = &step.command;
                let exercise = command.contains("--example ex")
                    || command.contains("--example capstone")
                    || command.contains("-- grade ")
                    || command.contains("hostecho grade ");
                let program = !exercise
                    && (command.contains("--example ch")
                        || command.contains("cargo run --release --")
                        || command.starts_with("hostecho "));
                for port in ports_named(command) {
                    let promised = if exercise {
                        exercises.contains(&port) || port == capstone
                    } else if program {
                        programs.contains(&port)
                    } else {
                        programs.contains(&port) || exercises.contains(&port) || port == capstone
                    };
                    if !promised {
                        wrong.push(format!(
                            "tutorial/src/{}:{}: port {port} in `{}`",
                            page.name, step.line, step.command
                        ));
                    }
                }
            }
            index = end.max(index + 1);
        }
    }
    assert!(
        wrong.is_empty(),
        "commands on ports the introduction does not promise (programs 8090–8099, \
         exercises 8093–8102, capstone 8110):\n{}",
        wrong.join("\n")
    );
}

#[test]
fn ports_named_finds_addresses_and_nc_ports_only() {
    assert_eq!(
        ports_named("curl -s 'http://localhost:8090/x' http://[::1]:8092/ 127.0.0.1:8091"),
        [8090, 8092, 8091]
    );
    assert_eq!(
        ports_named("printf 'Host: a.localhost:8093\\r\\n' | nc -N 127.0.0.1 8094"),
        [8093, 8094]
    );
    assert_eq!(
        ports_named("check example.com:8080 Content-Length: 8192"),
        Vec::<u16>::new()
    );
}

/// Every `fn NAME` in the files a reader may be pointed at: the library, its tests, the
/// examples and the exercises.
fn function_names() -> BTreeSet<String> {
    fn walk(dir: &Path, names: &mut BTreeSet<String>) {
        let Ok(entries) = fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, names);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                let text = fs::read_to_string(&path).unwrap_or_default();
                for (at, _) in text.match_indices("fn ") {
                    let name: String = text[at + 3..]
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    names.insert(name);
                }
            }
        }
    }
    let mut names = BTreeSet::new();
    for dir in ["src", "tests", "examples", "exercises"] {
        walk(&root().join(dir), &mut names);
    }
    names
}

#[test]
fn every_test_the_book_names_exists() {
    // A chapter that sends the reader to hostecho's test `a_long_name_like_this` must
    // name one that exists: a test renamed since teaches the reader to look for nothing.
    // A name in backticks with three underscores or more, in lower case, is taken for a
    // function's name (nginx's module names aside).
    let names = function_names();
    let mut missing = Vec::new();
    for page in pages() {
        for span in page.text.split('`').skip(1).step_by(2) {
            // nginx's modules (`ngx_http_proxy_module`) are named the same way.
            let looks_like_fn = span.matches('_').count() >= 3
                && !span.starts_with("ngx_")
                && span
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if looks_like_fn && !names.contains(span) {
                missing.push(format!("tutorial/src/{}: `{span}`", page.name));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "functions the book names that no file in src/, tests/, examples/ or exercises/ defines:\n{}",
        missing.join("\n")
    );
}
