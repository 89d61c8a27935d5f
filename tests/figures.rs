//! The book's figures are drawn, and its quizzes shown, in a real browser.
//!
//! The figures are Mermaid sources (`tutorial/figures/*.md`, each a
//! `<pre class="mermaid">`), each pulled into a chapter by one
//! `{{#include ../figures/NAME.md}}` line; Mermaid's JavaScript
//! (`tutorial/mermaid.min.js`, named in `book.toml`) replaces each with an SVG when the
//! page loads. Nothing checks that but a browser: a typo in
//! a source, or a script left out of `book.toml`, leaves the source text on the page. So
//! this test builds the book with `mdbook build` into a temporary directory, opens every
//! chapter that has a figure in headless Chromium, and looks at the page as Chromium made
//! it: each figure must be an `<svg>` with shapes in it, and no Mermaid source may be
//! left as text. It also finds chapter 12's quiz drawn by mdbook-quiz, not left as a
//! placeholder.
//!
//! Needs `mdbook` and `mdbook-quiz` (`.ci/run` installs them, at the versions
//! `tutorial/book.toml` names) and Debian's `chromium`. Without them it says
//! `skipped: …` on the terminal, except under `CI=true`, where it fails.

mod support;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// How long mdBook may take to build the book, and Chromium to load and draw a page.
const BUILD_PATIENCE: Duration = Duration::from_secs(300);
const BROWSER_PATIENCE: Duration = Duration::from_secs(90);

/// A temporary directory, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(label: &str) -> TempDir {
        let path =
            std::env::temp_dir().join(format!("hostecho-figures-{label}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path).expect("create a temporary directory");
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn tutorial() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tutorial")
}

/// The chapters that include figures, with how many each includes.
fn chapters_with_figures() -> Vec<(String, usize)> {
    let mut found: Vec<(String, usize)> = fs::read_dir(tutorial().join("src"))
        .expect("tutorial/src")
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            let name = path.file_name()?.to_string_lossy().into_owned();
            let text = fs::read_to_string(&path).ok()?;
            let figures = text
                .lines()
                .filter(|l| l.trim().starts_with("{{#include ../figures/"))
                .count();
            (name.ends_with(".md") && figures > 0).then_some((name, figures))
        })
        .collect();
    found.sort();
    found
}

/// The page as Chromium made it, after its scripts ran: `--dump-dom` prints the DOM
/// once the page has loaded and the virtual-time budget (time Chromium fast-forwards
/// while scripts have work queued) is spent, so Mermaid's asynchronous drawing is done.
fn rendered(chromium: &str, page: &Path, profile: &Path) -> String {
    let mut command = Command::new(chromium);
    command
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--allow-file-access-from-files",
            "--virtual-time-budget=10000",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("file://{}", page.display()))
        .stderr(Stdio::null());
    let output = support::run_within(command, BROWSER_PATIENCE);
    assert!(
        output.status.success(),
        "chromium failed on {}",
        page.display()
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The `<pre class="mermaid">` elements of a page, each with what it holds.
fn mermaid_blocks(dom: &str) -> Vec<&str> {
    dom.match_indices("<pre class=\"mermaid\"")
        .map(|(at, _)| {
            let rest = &dom[at..];
            let end = rest
                .find("</pre>")
                .map_or(rest.len(), |e| e + "</pre>".len());
            &rest[..end]
        })
        .collect()
}

#[test]
fn every_figure_is_drawn_in_chromium() {
    let tools = ["mdbook", "mdbook-quiz"];
    if let Some(missing) = tools.iter().find(|t| !support::installed(t)) {
        support::skip(
            &format!("{missing} not installed (tests/figures.rs)"),
            "install mdbook and mdbook-quiz as .ci/run does",
        );
        return;
    }
    let Some(chromium) = support::chromium() else {
        support::skip(
            "chromium not installed (tests/figures.rs)",
            "install chromium (.ci/run does)",
        );
        return;
    };

    let out = TempDir::new("book");
    let mut build = Command::new("mdbook");
    build.arg("build").arg(tutorial()).arg("-d").arg(&out.0);
    let built = support::run_within(build, BUILD_PATIENCE);
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&built.stdout),
        String::from_utf8_lossy(&built.stderr)
    );
    assert!(built.status.success(), "mdbook build failed:\n{log}");
    assert!(
        !log.contains("WARN") && !log.contains("ERROR"),
        "mdbook build reported problems:\n{log}"
    );

    let chapters = chapters_with_figures();
    let figures: usize = chapters.iter().map(|(_, n)| n).sum();
    assert!(
        figures >= 7,
        "the book includes {figures} figures, fewer than seven"
    );
    let profile = TempDir::new("profile");
    let mut problems = Vec::new();
    for (chapter, expected) in &chapters {
        let page = out.0.join(chapter.replace(".md", ".html"));
        let dom = rendered(chromium, &page, &profile.0);
        let blocks = mermaid_blocks(&dom);
        if blocks.len() != *expected {
            problems.push(format!(
                "{chapter}: {expected} figures included, {} Mermaid blocks on the page",
                blocks.len()
            ));
        }
        for (index, block) in blocks.iter().enumerate() {
            // Drawn: Mermaid replaced the source with an SVG that has shapes in it, and
            // marks the block as processed. Not drawn: the source is still there as text,
            // or the SVG is Mermaid's picture of a bomb saying "Syntax error in text"
            // (which has shapes too).
            let drawn = block.contains("data-processed=\"true\"")
                && block.contains("<svg")
                && ["<rect", "<path", "<polygon", "<line"]
                    .iter()
                    .any(|shape| block.contains(shape))
                && !block.contains("Syntax error")
                && !block.contains("aria-roledescription=\"error\"");
            let source_left = [
                "flowchart ",
                "sequenceDiagram",
                "stateDiagram-v2",
                "accTitle:",
            ]
            .iter()
            .any(|word| block.contains(word));
            if !drawn || source_left {
                let start: String = block.chars().take(300).collect();
                problems.push(format!(
                    "{chapter}: figure {} is not drawn: {start}…",
                    index + 1
                ));
            }
        }
    }

    // The quiz of chapter 12, drawn by mdbook-quiz's script (a "Quiz" header that counts
    // the questions, and a Start button) rather than left as the placeholder the
    // preprocessor writes.
    let questions = fs::read_to_string(tutorial().join("quizzes/ch12.toml"))
        .expect("tutorial/quizzes/ch12.toml")
        .lines()
        .filter(|l| l.trim() == "[[questions]]")
        .count();
    let page = out.0.join("ch12-allowed-hosts.html");
    let dom = rendered(chromium, &page, &profile.0);
    let counter = format!("<div class=\"counter\">{questions} questions</div>");
    if !dom.contains("<div class=\"mdbook-quiz\">")
        || !dom.contains(&counter)
        || !dom.contains("class=\"start\"")
    {
        problems.push(format!(
            "ch12-allowed-hosts.html: no quiz of {questions} questions drawn on the page"
        ));
    }

    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}
