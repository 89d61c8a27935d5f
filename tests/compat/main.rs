//! The Django and Starlette models (`src/compat/`) against the real libraries.
//!
//! `tests/compat/compare.py` runs Django 5.2.19 and Starlette 1.10.0 — installed by
//! `tests/compat/venv.sh` into a virtualenv under `target/` — over a corpus of Host
//! values and pattern lists: the reference tables hostecho's unit tests port, and
//! over 2,000 values generated from a seeded grammar (ports, IPv6, dots, case,
//! punycode, underscores, control bytes, percent signs). This test feeds the same
//! bytes to `hostecho check --compare --json` and requires every Django and every
//! Starlette verdict *and message* to be the same.
//!
//! `tests/compat/responses.py` reads every kind of response hostecho sends (each
//! echo format, `HEAD`, the favicon's 204, `100 Continue`, a pipeline, every error
//! status, the 503 past `--max-connections`) with h11, a strict HTTP/1.1 parser from
//! the same virtualenv, so a malformed response cannot land:
//! `cargo test --test compat strict` is the one command.
//!
//! Without python3 (or its venv module, or PyPI) each test prints `skipped: …` and
//! passes; with `CI=true` it fails instead.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use hostecho::compat::{django, starlette};
use serde_json::Value;

#[path = "../support/mod.rs"]
mod support;

/// The number of generated values the corpus must hold at least (the rest are the
/// reference tables).
const MIN_VALUES: usize = 2000;

/// Says why the test cannot run: a visible skip locally, a failure in CI.
fn skip(why: &str) {
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("CI=true, and the comparison cannot run: {why}");
    }
    // Written to the stderr handle, not with eprintln!, which libtest would capture
    // and hide for a passing test (see tests/support/mod.rs, `skip`).
    let _ = std::io::Write::write_all(
        &mut std::io::stderr(),
        format!("skipped: {why} (tests/compat)\n").as_bytes(),
    );
}

fn here() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/compat")
}

/// Makes (or reuses) the virtualenv; returns its python, or why there is none.
///
/// Both tests of this file need it, and libtest runs them at once: two `venv.sh` runs
/// into one directory on a fresh checkout would remove and recreate it under each
/// other (`python3 -m venv` then fails with "… are the same file"). So it is made once
/// per process, and the second test waits for the first's answer.
fn venv_python() -> Result<PathBuf, String> {
    static VENV: std::sync::OnceLock<Result<PathBuf, String>> = std::sync::OnceLock::new();
    VENV.get_or_init(make_venv).clone()
}

fn make_venv() -> Result<PathBuf, String> {
    let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join("compat-venv");
    let out = Command::new("bash")
        .arg(here().join("venv.sh"))
        .arg(&venv)
        .output()
        .map_err(|e| format!("bash not runnable: {e}"))?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let last = stderr.lines().last().unwrap_or("no output").to_string();
        return Err(if out.status.code() == Some(3) {
            last
        } else {
            format!("tests/compat/venv.sh failed (is PyPI reachable?): {last}")
        });
    }
    Ok(venv.join("bin/python"))
}

/// One pattern list as compare.py gives it: the list (or none) and Django's DEBUG.
type Group = (Option<Vec<String>>, bool);

/// What compare.py printed: the verdicts, grouped by pattern list in their order
/// (each value and its `{"django": …, "starlette": …}`), and the two parsers'
/// results for each value.
struct Reference {
    groups: Vec<(Group, Vec<(String, Value)>)>,
    parsers: Vec<Value>,
}

fn run_compare_py(python: &Path) -> Reference {
    let out = Command::new(python)
        .arg(here().join("compare.py"))
        .output()
        .expect("run compare.py");
    assert!(
        out.status.success(),
        "compare.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).expect("compare.py prints UTF-8 JSON");
    let mut groups: Vec<(Group, Vec<(String, Value)>)> = Vec::new();
    let mut parsers = Vec::new();
    for line in stdout.lines() {
        let v: Value = serde_json::from_str(line).expect("a JSON line");
        if v.get("split_domain_port").is_some() {
            parsers.push(v);
            continue;
        }
        let allowed_hosts = v["allowed_hosts"].as_array().map(|list| {
            list.iter()
                .map(|p| p.as_str().expect("a pattern").to_string())
                .collect()
        });
        let group = (allowed_hosts, v["django_debug"].as_bool().expect("a bool"));
        let value = v["value"].as_str().expect("a value").to_string();
        let verdicts = serde_json::json!({"django": v["django"], "starlette": v["starlette"]});
        match groups.last_mut() {
            Some((g, values)) if *g == group => values.push((value, verdicts)),
            _ => groups.push((group, vec![(value, verdicts)])),
        }
    }
    Reference { groups, parsers }
}

/// The models' parsers on one value, in compare.py's shape.
fn model_parsers(value: &str) -> Value {
    let (domain, port) = django::split_domain_port(value);
    let parsed = starlette::parse_host_header(value).map(|p| serde_json::json!([p.host, p.port]));
    serde_json::json!({
        "value": value,
        "split_domain_port": [domain, port],
        "parse_host_header": parsed,
    })
}

/// A value's Latin-1 text back to the bytes a client sent.
fn latin1_bytes(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| u8::try_from(u32::from(c)).expect("compare.py values are Latin-1"))
        .collect()
}

/// `hostecho check --compare --json` on every value of one group, via stdin.
fn hostecho_verdicts(group: &Group, values: &[(String, Value)]) -> Vec<Value> {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hostecho"));
    cmd.args(["check", "--compare", "--json"]);
    if let Some(patterns) = &group.0 {
        cmd.arg("--allowed-hosts").arg(patterns.join(","));
    }
    if group.1 {
        cmd.arg("--django-debug");
    }
    cmd.arg("-");
    for (key, _) in std::env::vars() {
        if key.starts_with("HOSTECHO_") {
            cmd.env_remove(key);
        }
    }
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start hostecho check");
    let mut input = Vec::new();
    for (value, _) in values {
        input.extend(latin1_bytes(value));
        input.push(b'\n');
    }
    // Written from another thread: the output pipe must be drained meanwhile.
    let mut stdin = child.stdin.take().expect("stdin is piped");
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let out = child.wait_with_output().expect("hostecho check runs");
    writer
        .join()
        .expect("writer thread")
        .expect("write values to hostecho check");
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "hostecho check failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("JSON output is UTF-8")
        .lines()
        .map(|line| serde_json::from_str(line).expect("a JSON line"))
        .collect()
}

#[test]
fn django_and_starlette_models_agree_with_the_real_libraries() {
    let python = match venv_python() {
        Ok(python) => python,
        Err(why) => return skip(&why),
    };
    let Reference { groups, parsers } = run_compare_py(&python);
    assert!(
        groups.len() >= 8,
        "compare.py gave {} pattern lists",
        groups.len()
    );

    let mut compared = 0;
    let mut disagreements: BTreeMap<String, usize> = BTreeMap::new();
    let mut shown = Vec::new();
    for (group, values) in &groups {
        assert!(values.len() >= MIN_VALUES, "only {} values", values.len());
        let ours = hostecho_verdicts(group, values);
        assert_eq!(ours.len(), values.len(), "one line per value for {group:?}");
        for ((value, theirs), ours) in values.iter().zip(&ours) {
            for column in ["django", "starlette"] {
                compared += 1;
                if ours[column] != theirs[column] {
                    *disagreements.entry(column.to_string()).or_default() += 1;
                    if shown.len() < 30 {
                        shown.push(format!(
                            "{column} {:?} {value:?}: real {} model {}",
                            group.0, theirs[column], ours[column]
                        ));
                    }
                }
            }
        }
    }
    assert_eq!(
        parsers.len(),
        groups[0].1.len(),
        "parser lines, one per value"
    );
    for theirs in &parsers {
        compared += 1;
        let value = theirs["value"].as_str().expect("a value");
        let ours = model_parsers(value);
        if ours != *theirs {
            *disagreements.entry("parsers".to_string()).or_default() += 1;
            if shown.len() < 30 {
                shown.push(format!("parsers {value:?}: real {theirs} model {ours}"));
            }
        }
    }
    eprintln!(
        "compared {compared}: {} values x {} pattern lists x 2 frameworks, and both \
         parsers on every value; disagreements: {disagreements:?}",
        groups[0].1.len(),
        groups.len(),
    );
    assert!(
        disagreements.is_empty(),
        "the models disagree with the real libraries:\n{}",
        shown.join("\n")
    );
}

/// Every kind of response, read by h11 as a client: a status line, a field or a framing
/// RFC 9110/9112 does not allow (a body on a 204 or a `HEAD`'s answer, a
/// `Content-Length` that is not the body's) fails the test, naming the case.
#[test]
fn every_kind_of_response_passes_a_strict_parser() {
    let python = match venv_python() {
        Ok(python) => python,
        Err(why) => return skip(&why),
    };
    // The 408 needs a head that stops half-way for longer than `--header-timeout`;
    // the 503 a second connection past `--max-connections`.
    let server = support::TestServer::start(&["--header-timeout", "1"]);
    let limited = support::TestServer::start(&["--max-connections", "1"]);
    let mut cmd = Command::new(python);
    cmd.arg(here().join("responses.py"))
        .arg(server.addr().to_string())
        .arg(limited.addr().to_string());
    let out = support::run_within(cmd, std::time::Duration::from_secs(120));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "a response h11 refuses:\n{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let checked = stdout.lines().filter(|l| l.starts_with("ok ")).count();
    assert!(checked >= 40, "only {checked} responses checked:\n{stdout}");
    eprintln!("{}", stdout.lines().last().unwrap_or_default());
}
