//! The questions in the book are checked: every chapter has its quiz, every answer says
//! why and points to the section that teaches it, and every predict-the-output answer
//! is what the program really prints today.
//!
//! Run it with `cargo test --test questions`. It needs no mdBook.
//!
//! Each chapter `tutorial/src/chNN-*.md` (or `chNNb-*.md`, a chapter inserted after
//! chapter NN) pulls in its questions with one line,
//! `{{#quiz ../quizzes/chNN.toml}}`, which the mdbook-quiz preprocessor turns into a
//! quiz the reader answers in the page. The file is mdbook-quiz's TOML (its schema is the
//! `mdbook-quiz-schema` crate): `[[questions]]` with an `id`, a `type`
//! (`MultipleChoice` or `ShortAnswer`), a `prompt`, an `answer` and a `context`, the
//! explanation shown once the reader has answered.
//!
//! A *predict-the-output* question shows, in its prompt, a `console` block: what the
//! learner types after `$ `, as in the book's sessions, with the output of every command
//! but the last. Its answer is the output of the last command, as a fenced block (or, for
//! a `ShortAnswer`, one line). Two keys, which mdbook-quiz ignores, tell this test how to
//! run it:
//!
//! ```toml
//! session = "RUST_LOG=debug ch08_mio 127.0.0.1:8090"  # a session marker's words
//! output = "server"  # optional: the answer is what the server printed, not the command
//! ```
//!
//! `session` is `[VAR=value…] PROGRAM ARGS…`, PROGRAM an example, `hostecho` or `-` for
//! none, and the prompt must show the learner the command that starts that program
//! (`cargo run --quiet --example PROGRAM -- ARGS…`), which is what the test starts. The
//! question then runs exactly as a chapter's session does (`tests/tutorial/session.rs`, whose
//! format `tests/tutorial.rs` documents): the same program, port mapping, terminal and
//! normalisation of dates and ports. With `output = "server"` the answer is compared
//! with everything the program printed, its `listening on` line first.
//!
//! A question whose prompt shows a `console` block without a `session` key fails the
//! test: a predicted output nobody runs is one that drifts. Set `QUESTIONS=ch04` (chapter
//! numbers, comma-separated) to run only some chapters' questions while writing them.

mod support;
#[path = "support/transcript.rs"]
mod transcript;
// The runner of the book's sessions, reused as it is: a question is a session whose
// last output the reader predicts. It reads the book's pages through `pages`, below.
#[allow(dead_code)]
#[path = "tutorial/session.rs"]
mod session;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use transcript::{Step, steps_of};

/// At least this many questions in all, and in each chapter.
const AT_LEAST_IN_ALL: usize = 40;
const AT_LEAST_PER_CHAPTER: usize = 3;

/// A page of the book, as `tests/tutorial/session.rs` reads it.
pub struct Page {
    pub name: String,
    pub text: String,
}

fn book_src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tutorial/src")
}

fn quiz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tutorial/quizzes")
}

/// Every `*.md` in `tutorial/src`, sorted by name.
pub fn pages() -> Vec<Page> {
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
    pages
}

/// The chapters: `chNN-*.md`, by `chNN`, and a chapter inserted after one, such as
/// `ch13b-*.md`, by `chNNb`.
fn chapters() -> BTreeMap<String, Page> {
    pages()
        .into_iter()
        .filter_map(|page| {
            let number = page.name.split('-').next()?.to_owned();
            let digits = number
                .strip_prefix("ch")?
                .trim_end_matches(|c: char| c.is_ascii_lowercase());
            let letters = number.len() - 2 - digits.len();
            (digits.len() == 2 && digits.chars().all(|c| c.is_ascii_digit()) && letters <= 1)
                .then_some((number, page))
        })
        .collect()
}

/// One question of a quiz file, with what the test needs of it.
struct Question {
    /// `tutorial/quizzes/chNN.toml`, and the question's position in it (from 1).
    at: String,
    id: String,
    kind: String,
    prompt: String,
    /// The correct answer's text, as the reader sees it once answered.
    answer: String,
    distractors: Vec<String>,
    context: String,
    /// The `session` key: the program to run, as a session marker's words.
    session: Option<String>,
    /// Whether the answer is what the server printed (`output = "server"`).
    server_output: bool,
}

fn string(table: &toml::Table, dotted: &str, at: &str) -> String {
    let mut value: &toml::Value = table
        .get(dotted.split('.').next().unwrap_or_default())
        .unwrap_or_else(|| panic!("{at}: no `{dotted}`"));
    for key in dotted.split('.').skip(1) {
        value = value
            .get(key)
            .unwrap_or_else(|| panic!("{at}: no `{dotted}`"));
    }
    value
        .as_str()
        .unwrap_or_else(|| panic!("{at}: `{dotted}` is not a string"))
        .to_owned()
}

/// The questions of one quiz file.
fn questions(chapter: &str) -> Vec<Question> {
    let path = quiz_dir().join(format!("{chapter}.toml"));
    let file = format!("tutorial/quizzes/{chapter}.toml");
    let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{file}: {e}"));
    let quiz: toml::Table = text
        .parse()
        .unwrap_or_else(|e| panic!("{file}: not TOML: {e}"));
    let list = quiz
        .get("questions")
        .and_then(toml::Value::as_array)
        .unwrap_or_else(|| panic!("{file}: no [[questions]]"));
    list.iter()
        .enumerate()
        .map(|(index, value)| {
            let at = format!("{file}, question {}", index + 1);
            let table = value
                .as_table()
                .unwrap_or_else(|| panic!("{at}: not a table"));
            let kind = string(table, "type", &at);
            let answer = match table.get("answer").and_then(|a| a.get("answer")) {
                Some(toml::Value::String(s)) => s.clone(),
                Some(toml::Value::Array(all)) => all
                    .iter()
                    .filter_map(toml::Value::as_str)
                    .collect::<Vec<_>>()
                    .join("\n"),
                _ => panic!("{at}: no `answer.answer`"),
            };
            let distractors = table
                .get("prompt")
                .and_then(|p| p.get("distractors"))
                .and_then(toml::Value::as_array)
                .map(|all| {
                    all.iter()
                        .filter_map(toml::Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default();
            let output = table.get("output").and_then(toml::Value::as_str);
            assert!(
                matches!(output, None | Some("server")),
                "{at}: `output` may only be \"server\""
            );
            Question {
                id: string(table, "id", &at),
                prompt: string(table, "prompt.prompt", &at),
                context: table
                    .get("context")
                    .and_then(toml::Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                session: table
                    .get("session")
                    .and_then(toml::Value::as_str)
                    .map(str::to_owned),
                server_output: output == Some("server"),
                at,
                kind,
                answer,
                distractors,
            }
        })
        .collect()
}

/// The fenced blocks of a Markdown text whose info string is `info`: each one's lines,
/// and the line (from 1) of its first line.
fn fenced(text: &str, info: &str) -> Vec<(Vec<String>, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut found = Vec::new();
    let mut index = 0;
    while index < lines.len() {
        if lines[index].trim() == format!("```{info}") {
            let (block, after) = transcript::fenced_block(&lines, index)
                .unwrap_or_else(|| panic!("a ```{info} block that never closes in {text:?}"));
            found.push((block, index + 2));
            index = after;
        } else {
            index += 1;
        }
    }
    found
}

/// The lines an answer shows: those of its one fenced block, or the answer itself.
fn answer_lines(answer: &str) -> Vec<String> {
    let trimmed = answer.trim();
    if trimmed.starts_with("```") {
        let lines: Vec<&str> = trimmed.lines().collect();
        assert!(
            lines.len() >= 2 && lines[lines.len() - 1].trim() == "```",
            "an answer that opens a fenced block must be only that block: {answer:?}"
        );
        lines[1..lines.len() - 1]
            .iter()
            .map(ToString::to_string)
            .collect()
    } else {
        trimmed.lines().map(ToString::to_string).collect()
    }
}

/// What a learner types to start `program` with `args` and `env` from the repository,
/// as the prompt must show it.
fn start_command(env: &[(String, String)], program: &str, args: &[String]) -> String {
    let quote = |arg: &String| {
        if arg.chars().any(|c| "*[]'\" ;&|$".contains(c)) || arg.is_empty() {
            format!("'{arg}'")
        } else {
            arg.clone()
        }
    };
    let mut words: Vec<String> = env.iter().map(|(k, v)| format!("{k}={v}")).collect();
    words.push("cargo run --quiet".to_owned());
    if program != "hostecho" {
        words.push(format!("--example {program}"));
    }
    words.push("--".to_owned());
    words.extend(args.iter().map(quote));
    words.join(" ")
}

/// The session a predict-the-output question stands for: the prompt's commands, the
/// answer as the last command's output (or as the server's).
fn session_of(question: &Question) -> session::Script {
    let Some(marker) = &question.session else {
        panic!(
            "{}: its prompt shows a console block, so it predicts an output, but it has no \
             `session` key: nothing would check that answer",
            question.at
        )
    };
    let words: Vec<&str> = marker.split_whitespace().collect();
    let program_at = words
        .iter()
        .position(|w| !w.contains('='))
        .unwrap_or_else(|| panic!("{}: `session` names no program", question.at));
    let env: Vec<(String, String)> = words[..program_at]
        .iter()
        .filter_map(|w| w.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    let program = words[program_at].to_owned();
    let args: Vec<String> = words[program_at + 1..]
        .iter()
        .map(ToString::to_string)
        .collect();
    let mut items = Vec::new();
    if program != "-" {
        let start = start_command(&env, &program, &args);
        assert!(
            question.prompt.contains(&start),
            "{}: the prompt must show how the server was started, `{start}`",
            question.at
        );
        // The server is started by that command, as a chapter's are by theirs.
        items.push(session::Item::Start(
            session::start_of(&start, &question.at)
                .unwrap_or_else(|| panic!("{}: `{start}` starts no server", question.at)),
        ));
    }
    let blocks = fenced(&question.prompt, "console");
    assert_eq!(
        blocks.len(),
        1,
        "{}: a predict-the-output prompt shows exactly one console block",
        question.at
    );
    let (block, line) = &blocks[0];
    let mut steps: Vec<Step> = steps_of(block, *line, &question.at);
    let predicted = answer_lines(&question.answer);
    let server = if question.server_output {
        Some((0, None, predicted))
    } else {
        let last = steps.last_mut().expect("steps_of returns at least one");
        assert!(
            last.expected.is_empty(),
            "{}: the prompt's last command shows an output: the answer should",
            question.at
        );
        last.expected = predicted;
        None
    };
    items.push(session::Item::Session(session::Session {
        at: question.at.clone(),
        steps,
        server,
    }));
    session::Script {
        page: question.at.clone(),
        file: question.at.clone(),
        items,
    }
}

/// The anchors mdBook gives a page's headings: lowercased, letters, digits, `-` and `_`
/// kept, spaces made `-`, the rest dropped.
fn anchors(page: &Page) -> BTreeSet<String> {
    let mut in_code = false;
    page.text
        .lines()
        .filter(|line| {
            if line.starts_with("```") {
                in_code = !in_code;
            }
            !in_code && line.starts_with('#')
        })
        .map(|line| {
            line.trim_start_matches('#')
                .trim()
                .chars()
                .filter_map(|c| match c {
                    ' ' => Some('-'),
                    c if c.is_alphanumeric() || c == '-' || c == '_' => {
                        Some(c.to_lowercase().next().unwrap_or(c))
                    }
                    _ => None,
                })
                .collect()
        })
        .collect()
}

/// The `(chNN-….html#anchor)` links of a text, as (page, anchor).
fn section_links(text: &str) -> Vec<(String, String)> {
    text.match_indices("](")
        .filter_map(|(at, _)| {
            let target = text[at + 2..].split(')').next()?;
            let (page, anchor) = target.split_once(".html#")?;
            Some((format!("{page}.md"), anchor.to_owned()))
        })
        .collect()
}

#[test]
fn every_chapter_has_questions_that_point_back_to_its_sections() {
    let chapters = chapters();
    let pages = pages();
    let by_name: BTreeMap<&str, &Page> = pages.iter().map(|p| (p.name.as_str(), p)).collect();
    let mut ids = BTreeSet::new();
    let mut total = 0;
    let mut problems = Vec::new();
    for (number, page) in &chapters {
        let line = format!("{{{{#quiz ../quizzes/{number}.toml}}}}");
        let count = page.text.lines().filter(|l| l.trim() == line).count();
        if count != 1 {
            problems.push(format!(
                "{}: must pull in its questions once, with the line `{line}` ({count} found)",
                page.name
            ));
            continue;
        }
        let questions = questions(number);
        if questions.len() < AT_LEAST_PER_CHAPTER {
            problems.push(format!(
                "{}: {} questions, fewer than {AT_LEAST_PER_CHAPTER}",
                page.name,
                questions.len()
            ));
        }
        total += questions.len();
        for q in &questions {
            if !ids.insert(q.id.clone()) || !q.id.starts_with(&format!("{number}-")) {
                // mdbook-quiz writes a fresh id into any question without one, changing
                // the file at every build: each needs its own, named after its chapter.
                problems.push(format!(
                    "{}: id {:?} is not unique or does not start with {number}-",
                    q.at, q.id
                ));
            }
            if !matches!(q.kind.as_str(), "MultipleChoice" | "ShortAnswer") {
                problems.push(format!("{}: type {:?}", q.at, q.kind));
            }
            if q.kind == "MultipleChoice" && q.distractors.is_empty() {
                problems.push(format!("{}: a multiple choice with one choice", q.at));
            }
            if q.distractors.iter().any(|d| d.trim() == q.answer.trim()) {
                problems.push(format!("{}: a distractor is the answer", q.at));
            }
            // The reason, and where the chapter teaches it.
            let links = section_links(&q.context);
            if q.context.trim().is_empty() || links.is_empty() {
                problems.push(format!(
                    "{}: its context must explain the answer and link the section that \
                     teaches it, as [title](chNN-name.html#anchor)",
                    q.at
                ));
            }
            for (target, anchor) in links {
                match by_name.get(target.as_str()) {
                    None => problems.push(format!("{}: links {target}, no such page", q.at)),
                    Some(p) if !anchors(p).contains(&anchor) => problems.push(format!(
                        "{}: links {target}#{anchor}, no such heading",
                        q.at
                    )),
                    Some(_) => {}
                }
            }
        }
    }
    for entry in fs::read_dir(quiz_dir()).expect("tutorial/quizzes exists") {
        let name = entry.expect("an entry").file_name();
        let name = name.to_string_lossy();
        let number = name.trim_end_matches(".toml");
        if !chapters.contains_key(number) {
            problems.push(format!(
                "tutorial/quizzes/{name}: no chapter {number} pulls it in"
            ));
        }
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
    assert!(
        total >= AT_LEAST_IN_ALL,
        "{total} questions in the book, fewer than {AT_LEAST_IN_ALL}"
    );
}

#[test]
fn every_predicted_output_is_what_the_program_prints() {
    let examples: BTreeSet<String> =
        fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples"))
            .expect("examples/ exists")
            .filter_map(|e| {
                let name = e.ok()?.file_name().to_string_lossy().into_owned();
                name.strip_suffix(".rs").map(str::to_owned)
            })
            .collect();
    let only = std::env::var("QUESTIONS").unwrap_or_default();
    let mut sessions = Vec::new();
    for number in chapters().keys() {
        if !only.is_empty() && !only.split(',').any(|o| number.contains(o)) {
            continue;
        }
        for q in questions(number) {
            let predicts = !fenced(&q.prompt, "console").is_empty();
            if !predicts {
                assert!(
                    q.session.is_none(),
                    "{}: a `session` key, but no console block in the prompt to run",
                    q.at
                );
                continue;
            }
            let s = session_of(&q);
            if let Err(problem) = s.validate(&examples) {
                panic!("{problem}");
            }
            sessions.push(s);
        }
    }
    let in_ci = support::in_ci();
    // Two at a time: the machine has two cores, and most of a session is waiting.
    let failures: Vec<String> = std::thread::scope(|scope| {
        let halves: Vec<_> = sessions
            .chunks(sessions.len().div_ceil(2).max(1))
            .map(|part| {
                scope.spawn(move || {
                    let mut failures = Vec::new();
                    for (at, outcome) in part.iter().flat_map(session::Script::run) {
                        match outcome {
                            session::Outcome::Passed => {}
                            session::Outcome::Skipped(tool) if in_ci => failures.push(format!(
                                "{at}: {tool} is not installed, and CI=true needs every \
                                 question checked (Debian package {})",
                                session::package_of(&tool)
                            )),
                            session::Outcome::Skipped(tool) => {
                                // To the stderr handle: libtest hides `eprintln!` output
                                // of a passing test, and a skip must show.
                                let _ = writeln!(
                                    std::io::stderr(),
                                    "skipped: {tool} not installed ({at})"
                                );
                            }
                            session::Outcome::Failed(messages) => failures.extend(messages),
                        }
                    }
                    failures
                })
            })
            .collect();
        halves
            .into_iter()
            .flat_map(|h| h.join().expect("a question runner"))
            .collect()
    });
    eprintln!("{} predict-the-output questions run", sessions.len());
    assert!(failures.is_empty(), "\n{}", failures.join("\n\n"));
}
