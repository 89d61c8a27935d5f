//! `hostecho check`, as a user runs it: the real binary, its output, its exit status,
//! and the README's `hostecho check` transcripts, which must print what they show.

mod support;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

/// What one run gave back.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs `hostecho ARGS` with `stdin`, without any `HOSTECHO_*` variable from the
/// environment the tests run in, plus `env`.
fn hostecho(args: &[&str], env: &[(&str, &str)], stdin: &[u8]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hostecho"));
    cmd.args(args);
    for (key, _) in std::env::vars() {
        if key.starts_with("HOSTECHO_") {
            cmd.env_remove(key);
        }
    }
    let mut child = cmd
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run hostecho");
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(stdin)
        .expect("write stdin");
    let out = child.wait_with_output().expect("hostecho exits");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn check(args: &[&str]) -> Run {
    let mut all = vec!["check"];
    all.extend_from_slice(args);
    hostecho(&all, &[], b"")
}

#[test]
fn every_value_allowed_exits_0() {
    let run = check(&["-a", ".example.com", "example.com", "a.example.com:80"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "example.com       allowed  host=example.com port=- source=Host matched=.example.com\n\
         a.example.com:80  allowed  host=a.example.com port=80 source=Host matched=.example.com\n"
    );
    assert_eq!(run.stderr, "");
}

#[test]
fn any_value_refused_exits_1() {
    let run = check(&["-a", "example.com", "example.com", "evil.example"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stdout.ends_with(
            "evil.example  refused  Invalid HTTP_HOST header: 'evil.example'. \
             You may need to add 'evil.example' to --allowed-hosts.  hint: 'evil.example' \
             is unlike every allowed pattern and carries no proxy's marks: probably a scanner \
             or a bot; the refusal is working (add it if the name is yours; a proxy's default \
             server can drop these) [scanner]\n"
        ),
        "{}",
        run.stdout
    );
}

#[test]
fn bad_arguments_exit_2_with_one_line() {
    let table: &[&[&str]] = &[
        &["-a", "*example.com", "a"],
        &["-a", "example.com:80", "a"],
        &["--header", "no colon", "a"],
        &["--peer", "not-an-ip", "a"],
        &["--trusted-proxies", "10.0.0.0/33", "a"],
        &["--django-debug", "a"],
        &["--no-host", "a"],
        &["--no-such-flag", "a"],
        &[],
    ];
    for args in table {
        let run = check(args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stdout);
        assert_eq!(run.stdout, "", "{args:?}");
        assert_eq!(run.stderr.lines().count(), 1, "{args:?}: {}", run.stderr);
        assert!(
            run.stderr.starts_with("error: "),
            "{args:?}: {}",
            run.stderr
        );
    }
}

#[test]
fn reads_values_from_stdin() {
    let run = hostecho(
        &["check", "-a", "example.com", "first.example", "-"],
        &[],
        b"example.com\r\n\nEXAMPLE.COM",
    );
    assert_eq!(run.code, 1);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{}", run.stdout);
    assert!(lines[0].starts_with("first.example  refused"));
    assert!(lines[1].starts_with("example.com    allowed"));
    assert!(
        lines[2]
            .starts_with("''             refused  Invalid HTTP_HOST header: ''. The host is empty")
    );
    assert!(lines[3].starts_with("EXAMPLE.COM    allowed  host=example.com"));
}

#[test]
fn takes_the_servers_environment_variables() {
    let env = [
        ("HOSTECHO_ALLOWED_HOSTS", "app.example"),
        ("HOSTECHO_USE_X_FORWARDED_HOST", "yes"),
        ("HOSTECHO_TRUSTED_PROXIES", "10.0.0.0/8"),
    ];
    let args = [
        "check",
        "--peer",
        "10.1.2.3",
        "--header",
        "X-Forwarded-Host: app.example",
        "localhost",
    ];
    let run = hostecho(&args, &env, b"");
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .contains("host=app.example port=- source=X-Forwarded-Host matched=app.example"),
        "{}",
        run.stdout
    );
}

#[test]
fn the_servers_other_variables_do_not_matter() {
    let env = [
        ("HOSTECHO_BIND", "not an address"),
        ("HOSTECHO_MAX_HEADERS", "0"),
    ];
    let run = hostecho(&["check", "-a", "a.example", "a.example"], &env, b"");
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn names_every_source() {
    let table: &[(&[&str], &str)] = &[
        (&["localhost"], "source=Host"),
        (
            &[
                "--use-x-forwarded-host",
                "-H",
                "X-Forwarded-Host: a.localhost",
                "localhost",
            ],
            "source=X-Forwarded-Host",
        ),
        (
            &[
                "--use-x-forwarded-host",
                "-H",
                "Forwarded: host=b.localhost",
                "localhost",
            ],
            "source=Forwarded",
        ),
        (
            &["--target", "http://c.localhost/", "localhost"],
            "source=absolute-form",
        ),
        (
            &["--http10", "--no-host", "--local", "[::1]:8091"],
            "host=[::1] port=8091 source=local-address matched=[::1]",
        ),
    ];
    for (args, want) in table {
        let run = check(args);
        assert_eq!(run.code, 0, "{args:?}: {}", run.stdout);
        assert!(run.stdout.contains(want), "{args:?}: {}", run.stdout);
    }
    let run = check(&["--no-host"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stdout
            .starts_with("(no Host)  refused  missing Host header")
    );
}

#[test]
fn json_lines_for_scripts() {
    let run = check(&[
        "--json",
        "--compare",
        "-a",
        "example.com",
        "Example.com:8080",
        "example.com:evil",
    ]);
    assert_eq!(run.code, 1);
    let lines: Vec<serde_json::Value> = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON"))
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(
        lines[0],
        serde_json::json!({
            "value": "Example.com:8080", "allowed": true, "host": "example.com",
            "port": 8080, "source": "Host", "matched": "example.com", "message": null,
            "hint": null, "django": {"allowed": true, "message": null},
            "starlette": {"allowed": true, "message": null},
        })
    );
    let keys: Vec<&String> = lines[1].as_object().expect("an object").keys().collect();
    assert_eq!(
        keys,
        [
            "allowed",
            "django",
            "hint",
            "host",
            "matched",
            "message",
            "port",
            "source",
            "starlette",
            "value"
        ]
    );
    assert_eq!(lines[1]["starlette"]["message"], "Invalid host header");
    assert_eq!(lines[1]["source"], "Host");
}

/// A refusal says where the refused value came from, in `source` and in the message,
/// unless it was the Host header; `source` is null only when there was no value.
#[test]
fn a_refusal_names_its_source() {
    let json = |args: &[&str]| -> serde_json::Value {
        let run = check(args);
        assert_eq!(run.code, 1, "{}", run.stderr);
        serde_json::from_str(run.stdout.trim()).expect("JSON")
    };
    let line = json(&[
        "--json",
        "--target",
        "http://evil.example/",
        "localhost:8090",
    ]);
    assert_eq!(line["source"], "absolute-form");
    assert_eq!(
        line["message"],
        "Invalid HTTP_HOST header: 'evil.example' (from the request target). You may need to \
         add 'evil.example' to --allowed-hosts."
    );
    let line = json(&[
        "--json",
        "--use-x-forwarded-host",
        "--header",
        "X-Forwarded-Host: example.com",
        "--header",
        "X-Forwarded-Host:",
        "localhost",
    ]);
    assert_eq!(line["source"], "X-Forwarded-Host");
    assert_eq!(
        line["message"],
        "Invalid HTTP_HOST header: '' (from X-Forwarded-Host). The host is empty, and a \
         request for an http URI must name one (RFC 9110, section 4.2.1)."
    );
    let line = json(&["--json", "--target", "http:///x", "localhost"]);
    assert_eq!(line["source"], "absolute-form");
    assert!(
        line["message"].as_str().is_some_and(|m| m.starts_with(
            "Invalid HTTP_HOST header: '' (from the request target). The host is empty"
        )),
        "{line}"
    );
    assert_eq!(
        json(&["--json", "--no-host"])["source"],
        serde_json::Value::Null
    );
    // The text output carries the same message.
    let run = check(&["--target", "http://evil.example/", "localhost"]);
    assert!(
        run.stdout
            .contains("'evil.example' (from the request target)."),
        "{}",
        run.stdout
    );
}

#[test]
fn django_debug_uses_djangos_debug_defaults() {
    let plain = check(&["--json", "--compare", "localhost"]);
    let debug = check(&["--json", "--compare", "--django-debug", "localhost"]);
    let django = |run: &Run| -> serde_json::Value {
        serde_json::from_str::<serde_json::Value>(run.stdout.trim()).expect("JSON")["django"]
            .clone()
    };
    assert_eq!(django(&plain)["allowed"], false);
    assert_eq!(django(&debug)["allowed"], true);
}

#[test]
fn values_are_bytes_not_text() {
    use std::os::unix::ffi::OsStrExt;
    let value = std::ffi::OsStr::from_bytes(b"caf\xe9.example");
    let out = Command::new(env!("CARGO_BIN_EXE_hostecho"))
        .args(["check", "--compare", "--json", "-a", "*"])
        .arg(value)
        .env_remove("HOSTECHO_ALLOWED_HOSTS")
        .output()
        .expect("run hostecho");
    let line: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON line");
    assert_eq!(line["value"], r"caf\xe9.example");
    assert_eq!(line["allowed"], false);
    // Django reads the byte as Latin-1 'é' and quotes it as Python does.
    assert_eq!(
        line["django"]["message"],
        "Invalid HTTP_HOST header: 'café.example'. The domain name provided is not valid according to RFC 1034/1035."
    );
}

/// The README's `<!-- check-transcript -->` blocks: every `$ ` line is run with bash,
/// with the built `hostecho` first on PATH, and must print exactly the lines that
/// follow it.
#[test]
fn readme_check_transcripts_are_true() {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("read README.md");
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_hostecho"))
        .parent()
        .expect("the binary is in a directory");
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut blocks = 0;
    let mut commands = 0;
    let mut rest = readme.as_str();
    while let Some(at) = rest.find("<!-- check-transcript -->\n```console\n") {
        let body = &rest[at..];
        let body = &body[body.find("```console\n").expect("fence") + "```console\n".len()..];
        let end = body.find("\n```").expect("the block is closed");
        let block = &body[..end];
        rest = &body[end..];
        blocks += 1;
        let mut entries: Vec<(String, Vec<&str>)> = Vec::new();
        for line in block.lines() {
            match line.strip_prefix("$ ") {
                Some(command) => entries.push((command.to_string(), Vec::new())),
                None => entries
                    .last_mut()
                    .expect("a block starts with a command")
                    .1
                    .push(line),
            }
        }
        for (command, want) in entries {
            commands += 1;
            let mut cmd = Command::new("bash");
            cmd.arg("-c").arg(&command).env("PATH", &path);
            for (key, _) in std::env::vars() {
                if key.starts_with("HOSTECHO_") {
                    cmd.env_remove(key);
                }
            }
            let out = cmd.output().expect("run bash");
            let got = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            assert_eq!(got.lines().collect::<Vec<_>>(), want, "README: $ {command}");
        }
    }
    assert!(
        blocks >= 3 && commands >= 6,
        "{blocks} blocks, {commands} commands"
    );
}

/// Issue 23: `--explain` tells the decision step by step, exits as `check` does,
/// and is not JSON.
#[test]
fn explain_tells_the_decision_step_by_step() {
    let run = check(&[
        "--explain",
        "-a",
        "app.example",
        "--use-x-forwarded-host",
        "--trusted-proxies",
        "10.0.0.0/8",
        "--peer",
        "192.0.2.1",
        "-H",
        "X-Forwarded-Host: app.example",
        "127.0.0.1:8090",
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "127.0.0.1:8090\n\
         \x20 1. Host lines: 1\n\
         \x20 2. sources present: X-Forwarded-Host 'app.example', Host '127.0.0.1:8090'\n\
         \x20    X-Forwarded-Host: not counted: the peer 192.0.2.1 is not in --trusted-proxies \
         (10.0.0.0/8)\n\
         \x20    counted: Host '127.0.0.1:8090'\n\
         \x20 3. syntax: valid: host 127.0.0.1, port 8090\n\
         \x20 4. patterns, in the order given:\n\
         \x20      app.example  no\n\
         \x20 5. verdict: refused: Invalid HTTP_HOST header: '127.0.0.1:8090'. You may need to \
         add '127.0.0.1' to --allowed-hosts.\n\
         \x20    hint: X-Forwarded-Host carries 'app.example', which --allowed-hosts allows, but \
         it was not read because the peer 192.0.2.1 is not in --trusted-proxies: add the \
         proxy's address or range to --trusted-proxies [forwarding-ignored]\n"
    );
    let run = check(&["--explain", "--json", "localhost"]);
    assert_eq!(run.code, 2);
    let run = check(&["--explain", "localhost"]);
    assert_eq!(run.code, 0);
    assert!(
        run.stdout
            .ends_with("  5. verdict: allowed (host localhost, allowed by .localhost)\n"),
        "{}",
        run.stdout
    );
}

/// Issue 23: `--from-log` reads each framework's refusals, counts each value, most
/// frequent first, and proposes patterns for the legitimate ones only.
#[test]
fn from_log_counts_hints_and_proposes() {
    let log = Path::new(env!("CARGO_TARGET_TMPDIR")).join("refusals.log");
    std::fs::write(
        &log,
        "[2026-12-07 09:00:01,000] ERROR django.security.DisallowedHost: Invalid HTTP_HOST header: '10.0.3.7:8000'. You may need to add '10.0.3.7' to ALLOWED_HOSTS.\n\
         Invalid HTTP_HOST header: '10.0.3.7:8000'. You may need to add '10.0.3.7' to ALLOWED_HOSTS.\n\
         Invalid HTTP_HOST header: '203.0.113.80'. You may need to add '203.0.113.80' to ALLOWED_HOSTS.\r\n\
         [ActionDispatch::HostAuthorization::DefaultResponseApp] Blocked hosts: api.app.example\n\
         Blocked request. This host (\"1a2b.ngrok-free.app\") is not allowed.\n\
         <i> [webpack-dev-server] Invalid Host header\n\
         GET /health 200\n\
         [2026-12-07T09:00:00Z WARN  hostecho::server::connection] 10.0.0.2:4100 rejected: Invalid HTTP_HOST header: 'app_server:8000'. The domain name provided is not valid according to RFC 1034/1035.",
    )
    .unwrap();
    let log = log.to_str().unwrap();
    let run = check(&["--from-log", log, "-a", "app.example"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 7, "{}", run.stdout);
    assert!(
        lines[0].starts_with("2  10.0.3.7:8000        refused  hint: "),
        "{}",
        run.stdout
    );
    assert!(lines[0].ends_with("[health-check]"), "{}", run.stdout);
    for (line, cause) in lines[1..5]
        .iter()
        .zip(["[dev-tunnel]", "[scanner]", "-", "[underscore]"])
    {
        assert!(line.starts_with("1  "), "{line}");
        assert!(line.ends_with(cause), "{line}");
    }
    assert_eq!(
        lines[5],
        "7 refusals in 8 lines: 5 distinct values, 1 without a value (webpack-dev-server's \
         Invalid Host header), 1 line skipped"
    );
    assert_eq!(
        lines[6],
        "propose: --allowed-hosts 'app.example,10.0.3.7,1a2b.ngrok-free.app,api.app.example' \
         (adds 10.0.3.7, 1a2b.ngrok-free.app, api.app.example); left out: 1 value that looks \
         like a scanner's, 1 value no pattern can allow"
    );
    // --json: one object per value, then the summary.
    let run = check(&["--from-log", log, "-a", "app.example", "--json"]);
    let objects: Vec<serde_json::Value> = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON"))
        .collect();
    assert_eq!(objects.len(), 6);
    assert_eq!(objects[0]["value"], "10.0.3.7:8000");
    assert_eq!(objects[0]["count"], 2);
    assert_eq!(objects[0]["allowed"], false);
    assert_eq!(objects[0]["hint"]["cause"], "health-check");
    assert_eq!(objects[3]["hint"], serde_json::Value::Null);
    assert_eq!(objects[5]["summary"]["skipped"], 1);
    assert_eq!(
        objects[5]["summary"]["add"],
        serde_json::json!(["10.0.3.7", "1a2b.ngrok-free.app", "api.app.example"])
    );
    // A file that is not there: one line, exit 2.
    let run = check(&["--from-log", "/nonexistent/refusals.log"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .starts_with("error: opening /nonexistent/refusals.log"),
        "{}",
        run.stderr
    );
}

/// `--from-log` reads every refusal hostecho's own warn lines write, those without a
/// value too: the lines are the server's, captured from a real run with `--compare`
/// (whose `django: refused (Invalid HTTP_HOST header: '…')` names a value the request
/// did not carry), and fed back on stdin. A missing Host and a duplicate Host are
/// counted as such, with the hint the server gave: it read the whole request, which
/// the log does not hold.
#[test]
fn from_log_reads_every_refusal_the_server_logs() {
    let server = support::TestServer::start_with(
        &["--allowed-hosts", "app.example", "--compare"],
        &[("RUST_LOG", "warn")],
    );
    let requests: [&[u8]; 6] = [
        b"GET / HTTP/1.1\r\nHost: evil.example\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: app_server:8000\r\n\r\n",
        b"GET / HTTP/1.1\r\nUser-Agent: curl/8\r\nX-Forwarded-For: 192.0.2.7\r\n\r\n",
        b"GET / HTTP/1.1\r\nUser-Agent: curl/8\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: app.example\r\nHost: app.example\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: app.example\r\nHost: b.example\r\n\r\n",
    ];
    for request in requests {
        assert_eq!(server.send(request).status, 400);
    }
    let mut log = server.log();
    let start = std::time::Instant::now();
    while log.matches(" rejected: ").count() < requests.len() {
        assert!(start.elapsed() < support::PATIENCE, "log:\n{log}");
        std::thread::sleep(std::time::Duration::from_millis(20));
        log = server.log();
    }
    let run = hostecho(
        &["check", "--from-log", "-", "-a", "app.example"],
        &[],
        log.as_bytes(),
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let lines: Vec<&str> = run.stdout.lines().collect();
    let shown = format!("{}\nlog:\n{log}", run.stdout);
    assert_eq!(lines.len(), 7, "{shown}");
    assert!(
        lines[0].starts_with(
            "2  (duplicate Host)  refused  hint: the request has more than one Host line"
        ),
        "{shown}"
    );
    assert!(lines[0].ends_with(" [duplicate-host]"), "{shown}");
    assert!(
        lines[1].starts_with("1  app_server:8000   refused  hint: "),
        "{shown}"
    );
    assert!(lines[1].ends_with(" [underscore]"), "{shown}");
    assert!(
        lines[2].starts_with("1  evil.example      refused  hint: "),
        "{shown}"
    );
    assert!(lines[2].ends_with(" [scanner]"), "{shown}");
    assert_eq!(lines[3], "1  (no Host)         refused  -", "{shown}");
    assert!(
        lines[4].starts_with(
            "1  (no Host)         refused  hint: an HTTP/1.1 request without Host came \
             through a proxy (X-Forwarded-For)"
        ),
        "{shown}"
    );
    assert!(
        lines[4].ends_with(" [missing-host-behind-proxy]"),
        "{shown}"
    );
    // The server wrote nothing else at `warn`: every line is a refusal, counted.
    assert_eq!(log.lines().count(), requests.len(), "{shown}");
    assert_eq!(
        lines[5],
        "6 refusals in 6 lines: 5 distinct values, 0 lines skipped"
    );
    assert_eq!(
        lines[6],
        "propose: nothing to add; left out: 1 value that looks like a scanner's, 4 values \
         no pattern can allow"
    );
    // --json: the same rows, the values without one named as the text names them.
    let run = hostecho(
        &["check", "--from-log", "-", "-a", "app.example", "--json"],
        &[],
        log.as_bytes(),
    );
    let objects: Vec<serde_json::Value> = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON"))
        .collect();
    assert_eq!(objects.len(), 6, "{}", run.stdout);
    assert_eq!(objects[0]["value"], "(duplicate Host)");
    assert_eq!(objects[0]["count"], 2);
    assert_eq!(objects[0]["allowed"], false);
    assert_eq!(objects[0]["hint"]["cause"], "duplicate-host");
    assert_eq!(objects[3]["value"], "(no Host)");
    assert_eq!(objects[3]["hint"], serde_json::Value::Null);
    assert_eq!(objects[4]["value"], "(no Host)");
    assert_eq!(objects[4]["hint"]["cause"], "missing-host-behind-proxy");
    assert_eq!(objects[5]["summary"]["refusals"], 6);
    assert_eq!(objects[5]["summary"]["skipped"], 0);
}
