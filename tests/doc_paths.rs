//! The docs name files; the files must exist.
//!
//! The README, ARCHITECTURE.md, BENCHMARKS.md, the fuzz README and every chapter of the
//! book point readers at the code by path (`src/server/connection.rs`,
//! `examples/nginx/proxy.conf`). When code moves, a stale path teaches a reader to look
//! for something that is not there. This test finds every such path in backticks or in
//! a Markdown link and checks that it exists in the repository.

use std::fs;
use std::path::Path;

/// The top-level folders whose paths the docs cite.
const ROOTS: &[&str] = &[
    "src/",
    "tests/",
    "examples/",
    "benches/",
    "fuzz/",
    "scripts/",
    "tutorial/",
];

/// Every path-like word in `text` that starts with one of [`ROOTS`]: the text of each
/// backtick span and each link target, cut at the first character that cannot be part
/// of a path. A trailing `/` names a folder. Globs (`*`) and `:line` suffixes are left
/// out: they are not one file.
fn cited_paths(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let candidates = text
        .split('`')
        .skip(1)
        .step_by(2)
        .chain(text.split("](").skip(1).filter_map(|s| s.split(')').next()));
    for candidate in candidates {
        for word in candidate.split_whitespace() {
            let word = word.trim_matches(|c: char| "\"',;()".contains(c));
            if !ROOTS.iter().any(|root| word.starts_with(root)) || word.contains('*') {
                continue;
            }
            let path: String = word
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || "/_.-".contains(*c))
                .collect();
            let path = path.trim_end_matches('.').to_owned();
            found.push(path);
        }
    }
    found
}

#[test]
fn every_path_the_docs_cite_exists() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut docs = vec![
        root.join("README.md"),
        root.join("ARCHITECTURE.md"),
        root.join("BENCHMARKS.md"),
        root.join("fuzz/README.md"),
    ];
    for entry in fs::read_dir(root.join("tutorial/src")).expect("tutorial/src") {
        let path = entry.expect("a directory entry").path();
        if path.extension().is_some_and(|e| e == "md") {
            docs.push(path);
        }
    }
    let mut missing = Vec::new();
    let mut checked = 0;
    for doc in &docs {
        let Ok(text) = fs::read_to_string(doc) else {
            continue;
        };
        for path in cited_paths(&text) {
            checked += 1;
            if !root.join(&path).exists() {
                missing.push(format!("{}: `{path}`", doc.display()));
            }
        }
    }
    assert!(
        checked > 50,
        "only {checked} paths found: is the search broken?"
    );
    assert!(
        missing.is_empty(),
        "paths cited in the docs that do not exist:\n{}",
        missing.join("\n")
    );
}

#[test]
fn finds_paths_in_backticks_and_links_only() {
    let text = "See `src/server/connection.rs` and [the book](tutorial/src/ch01-blocking-server.md), \
                `cargo run -- src/main.rs` counts too, src/bare.rs is prose, \
                `examples/nginx/*.conf` is a glob, and `tests/` a folder.";
    assert_eq!(
        cited_paths(text),
        [
            "src/server/connection.rs",
            "src/main.rs",
            "tests/",
            "tutorial/src/ch01-blocking-server.md"
        ]
    );
}
