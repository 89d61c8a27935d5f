//! `hostecho grade`, as a learner runs it: the real binary against real servers on
//! `127.0.0.1:0` — hostecho itself, each chapter's example, and small broken servers
//! written here, each with one mistake a chapter teaches to avoid.
//!
//! Every run passes `--header-timeout 1` (hostecho and chapter 9's example are started
//! with the same), and a one-second `--timeout` where the server is expected to fail,
//! so that a server that never answers costs a second per check, not three.

mod support;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use support::{TestServer, build_example, run_within};

/// Long enough for the slowest run here (chapter 12's corpus, chapter 9's stall), and
/// short enough that a grader that hangs fails the test instead of hanging it.
const RUN_PATIENCE: Duration = Duration::from_secs(90);

/// What one `hostecho grade` run gave back.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
    took: Duration,
}

impl Run {
    /// The names of the checks that failed, in order.
    fn failed(&self) -> Vec<&str> {
        self.stdout
            .lines()
            .filter_map(|l| l.strip_prefix("FAIL  "))
            .collect()
    }

    /// The check lines (`ok …` and `FAIL …`).
    fn checks(&self) -> Vec<&str> {
        self.stdout
            .lines()
            .filter(|l| l.starts_with("ok    ") || l.starts_with("FAIL  "))
            .collect()
    }

    fn show(&self) -> String {
        format!(
            "exit {} after {:?}\nstdout:\n{}\nstderr:\n{}",
            self.code, self.took, self.stdout, self.stderr
        )
    }
}

/// Runs `hostecho grade ARGS`.
fn grade(args: &[&str]) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_hostecho"));
    command.arg("grade").args(args);
    for (key, _) in std::env::vars() {
        if key.starts_with("HOSTECHO_") {
            command.env_remove(key);
        }
    }
    let start = Instant::now();
    let out = run_within(command, RUN_PATIENCE);
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        took: start.elapsed(),
    }
}

/// Grades `addr` on `chapter` with a one-second `--timeout` (and `--header-timeout 1`),
/// plus `extra` arguments: for servers expected to fail, where every check that gets
/// no answer costs that second.
fn grade_quick(chapter: u8, addr: SocketAddr, extra: &[&str]) -> Run {
    grade_within("1", chapter, addr, extra)
}

/// The same with a ten-second `--timeout`: for servers expected to pass, whose answers
/// come at once, so that a machine busy with other tests cannot make them fail. (Chapter
/// 8's hundred round trips share one check's time-out.)
fn grade_patient(chapter: u8, addr: SocketAddr, extra: &[&str]) -> Run {
    grade_within("10", chapter, addr, extra)
}

fn grade_within(timeout: &str, chapter: u8, addr: SocketAddr, extra: &[&str]) -> Run {
    let chapter = chapter.to_string();
    let addr = addr.to_string();
    let mut args = vec![
        chapter.as_str(),
        addr.as_str(),
        "--timeout",
        timeout,
        "--header-timeout",
        "1",
    ];
    args.extend_from_slice(extra);
    grade(&args)
}

fn assert_passes(run: &Run, what: &str) {
    assert!(
        run.code == 0 && run.failed().is_empty() && run.stdout.contains("passed"),
        "{what} should pass:\n{}",
        run.show()
    );
}

/// Asserts that exactly these checks failed (and the run exits 1).
fn assert_fails_exactly(run: &Run, expected: &[&str]) {
    assert_eq!(run.code, 1, "{}", run.show());
    assert_eq!(run.failed(), expected, "{}", run.show());
}

// ---------------------------------------------------------------------------------------
// hostecho itself, and the course's reference programs
// ---------------------------------------------------------------------------------------

#[test]
fn hostecho_passes_every_chapter() {
    let server = TestServer::start(&["--header-timeout", "1"]);
    for chapter in 3..=12 {
        let run = grade_patient(chapter, server.addr(), &[]);
        assert_passes(&run, &format!("hostecho on chapter {chapter}"));
    }
}

#[test]
fn hostecho_passes_the_host_chapters_with_its_own_allow_list() {
    let patterns = "example.com,.example.org,*.example.net,10.0.0.0/8";
    let server = TestServer::start(&["--allowed-hosts", patterns]);
    for chapter in 10..=12 {
        let run = grade_patient(chapter, server.addr(), &["--allowed-hosts", patterns]);
        assert_passes(
            &run,
            &format!("hostecho -a {patterns} on chapter {chapter}"),
        );
    }
    // The same server, graded against the course's default list, disagrees on chapter
    // 12 — and names each value it disagrees on.
    let run = grade_patient(12, server.addr(), &[]);
    assert_eq!(run.code, 1, "{}", run.show());
    assert!(
        run.failed()
            .contains(&"Host: localhost is answered, as hostecho decides"),
        "{}",
        run.show()
    );
    assert!(
        run.stdout.contains(
            "expected:  answered with a 2xx (hostecho: allowed by .localhost), got 400 Bad Request"
        ),
        "{}",
        run.show()
    );
}

/// A chapter's example, running: killed when dropped.
struct Example {
    child: Child,
    addr: SocketAddr,
}

impl Example {
    /// Builds and starts `examples/NAME.rs` on `127.0.0.1:0` with `args` and `env`, and
    /// waits for its `listening on http://ADDR` line.
    fn start(name: &str, args: &[&str], env: &[(&str, &str)]) -> Example {
        let mut child = Command::new(build_example(name))
            .arg("127.0.0.1:0")
            .args(args)
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("start {name}: {e}"));
        let mut lines = BufReader::new(child.stdout.take().expect("piped stdout")).lines();
        let first = lines.next().and_then(Result::ok).unwrap_or_default();
        let addr = first
            .strip_prefix("listening on http://")
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("{name}: no `listening on` line, got {first:?}"));
        // The examples log every request on stdout: keep reading, or a full pipe would
        // stop them.
        thread::spawn(move || lines.for_each(drop));
        Example { child, addr }
    }
}

impl Drop for Example {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn each_chapters_example_passes_its_chapter() {
    // Chapter, example, its arguments after the address, its environment.
    type Case = (
        u8,
        &'static str,
        &'static [&'static str],
        &'static [(&'static str, &'static str)],
    );
    let cases: [Case; 10] = [
        (3, "ch03_response", &[], &[]),
        (4, "ch04_tcp_stream", &[], &[]),
        (5, "ch05_httparse", &[], &[]),
        (6, "ch06_echo_logs", &[], &[]),
        (7, "ch07_slow_client", &["threads"], &[]),
        (8, "ch08_mio", &[], &[]),
        (9, "ch09_state_machine", &[], &[("HEADER_TIMEOUT", "1")]),
        (10, "ch10_host_header", &[], &[]),
        (11, "ch11_host_attacks", &["checked"], &[]),
        (12, "ch12_allowed_hosts", &[], &[]),
    ];
    for (chapter, name, args, env) in cases {
        let example = Example::start(name, args, env);
        let run = grade_patient(chapter, example.addr, &[]);
        assert_passes(&run, &format!("examples/{name}.rs on chapter {chapter}"));
    }
}

#[test]
fn chapter_12s_example_passes_with_the_allow_list_it_is_given() {
    let patterns = ["example.com", ".example.org", "*.example.net", "10.0.0.0/8"];
    let example = Example::start("ch12_allowed_hosts", &patterns, &[]);
    let run = grade_patient(12, example.addr, &["--allowed-hosts", &patterns.join(",")]);
    assert_passes(
        &run,
        "examples/ch12_allowed_hosts.rs with patterns on chapter 12",
    );
}

#[test]
fn the_courses_early_programs_fail_the_chapters_that_fix_them() {
    // Chapter 7's blocking mode is the problem chapters 7 and 8 solve.
    let blocking = Example::start("ch07_slow_client", &[], &[]);
    let run = grade_quick(7, blocking.addr, &[]);
    assert_fails_exactly(
        &run,
        &["a client that sends nothing does not hold up another"],
    );
    assert!(
        run.stdout.contains("got no answer in time"),
        "{}",
        run.show()
    );
    // Chapter 11's naive mode trusts every Host.
    let naive = Example::start("ch11_host_attacks", &["naive"], &[]);
    let run = grade_patient(11, naive.addr, &[]);
    assert_eq!(run.code, 1, "{}", run.show());
    assert_eq!(run.failed().len(), run.checks().len() - 1, "{}", run.show());
}

// ---------------------------------------------------------------------------------------
// Broken servers: each has one mistake, and fails the check that names it
// ---------------------------------------------------------------------------------------

/// A server on `127.0.0.1:0` that gives each connection to `handle`, on a thread of
/// its own when `threaded` (else one connection at a time). It runs until the test
/// process ends.
fn serve(threaded: bool, handle: fn(TcpStream)) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("local address");
    thread::spawn(move || {
        for stream in listener.incoming().map_while(Result::ok) {
            // No test server may wait for ever on a client.
            let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
            if threaded {
                thread::spawn(move || handle(stream));
            } else {
                handle(stream);
            }
        }
    });
    addr
}

/// Reads until the end of a head (or end of file, or 8 KiB); returns what it read.
fn read_head(stream: &mut TcpStream) -> Vec<u8> {
    let mut head = Vec::new();
    let mut chunk = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 8192 {
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => head.extend_from_slice(&chunk[..n]),
        }
    }
    head
}

/// Writes a complete answer: status line, Content-Type, Content-Length, Date (a fixed
/// one: these servers are graded on other things), `Connection: close`, the body.
fn answer(stream: &mut TcpStream, status: &str, body: &[u8]) {
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\
         Date: Mon, 07 Dec 2026 10:00:00 GMT\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(body);
}

/// The correct server these are broken copies of: reads the whole head, echoes it.
fn echo(mut stream: TcpStream) {
    let head = read_head(&mut stream);
    answer(&mut stream, "200 OK", &head);
}

/// Reads once and answers what it got: chapter 4's first mistake.
fn reads_once(mut stream: TcpStream) {
    let mut chunk = [0u8; 1024];
    let n = stream.read(&mut chunk).unwrap_or(0);
    answer(&mut stream, "200 OK", &chunk[..n]);
}

/// Answers without Content-Length, then closes: chapter 3's.
fn no_content_length(mut stream: TcpStream) {
    let head = read_head(&mut stream);
    let _ = stream.write_all(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nDate: Mon, 07 Dec 2026 10:00:00 GMT\r\n\r\n",
    );
    let _ = stream.write_all(&head);
}

/// The Host a request names, by a rule, and whether that host is the course's.
type HostRule = fn(&httparse::Request) -> Option<Vec<u8>>;

/// Parses the head, picks a Host value by `rule`, and answers 200 if it names one of
/// the course's default hosts (checked properly: port digits, whole labels), else 400.
fn host_checked(mut stream: TcpStream, rule: HostRule, allowed: fn(&str) -> bool) {
    let head = read_head(&mut stream);
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut request = httparse::Request::new(&mut headers);
    let verdict = match request.parse(&head) {
        Ok(httparse::Status::Complete(_)) => rule(&request)
            .and_then(|v| String::from_utf8(v).ok())
            .and_then(|v| split_port(&v).map(|name| allowed(&name))),
        _ => None,
    };
    if verdict == Some(true) {
        answer(&mut stream, "200 OK", &head);
    } else {
        answer(&mut stream, "400 Bad Request", b"bad host\n");
    }
}

/// `name[:digits]` → the lowercase name; `None` if the port is not digits.
fn split_port(value: &str) -> Option<String> {
    let value = value.to_ascii_lowercase();
    match value.rsplit_once(':') {
        Some((name, port)) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => {
            Some(name.to_string())
        }
        Some(_) => None,
        None => Some(value),
    }
}

fn host_lines<'a>(request: &'a httparse::Request) -> Vec<&'a [u8]> {
    request
        .headers
        .iter()
        .filter(|h| h.name.eq_ignore_ascii_case("host"))
        .map(|h| h.value)
        .collect()
}

/// Exactly one Host, not empty.
fn the_host(request: &httparse::Request) -> Option<Vec<u8>> {
    match host_lines(request)[..] {
        [value] if !value.is_empty() => Some(value.to_vec()),
        _ => None,
    }
}

/// X-Forwarded-Host if there is one (from anyone), else Host: chapter 11's mistake.
fn forwarded_first(request: &httparse::Request) -> Option<Vec<u8>> {
    request
        .headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case("x-forwarded-host"))
        .map(|h| h.value.to_vec())
        .or_else(|| the_host(request))
}

/// An absolute-form target's authority if the target has one, else the one Host:
/// chapter 10's rule. `any_case` says whether the scheme is read case-insensitively, as
/// RFC 3986 section 3.1 says it must be.
fn authority_or_host(request: &httparse::Request, any_case: bool) -> Option<Vec<u8>> {
    let target = request.path?;
    let rest = match target.get(..7) {
        Some(scheme)
            if scheme == "http://" || (any_case && scheme.eq_ignore_ascii_case("http://")) =>
        {
            &target[7..]
        }
        _ => return the_host(request),
    };
    let authority = rest.split(['/', '?']).next().unwrap_or("");
    (!authority.is_empty()).then(|| authority.as_bytes().to_vec())
}

fn authority_any_case(request: &httparse::Request) -> Option<Vec<u8>> {
    authority_or_host(request, true)
}

/// Recognises only a lowercase `http://`: `GET HTTP://evil.example/` is judged by Host.
fn authority_lowercase_only(request: &httparse::Request) -> Option<Vec<u8>> {
    authority_or_host(request, false)
}

fn course_hosts(name: &str) -> bool {
    name == "localhost" || name.ends_with(".localhost") || name == "127.0.0.1" || name == "[::1]"
}

/// `ends_with("localhost")`: suffix matching without the dot.
fn suffix_match(name: &str) -> bool {
    name.ends_with("localhost") || name == "127.0.0.1" || name == "[::1]"
}

#[test]
fn a_server_that_reads_once_fails_chapter_4s_split_head() {
    let addr = serve(true, reads_once);
    let run = grade_patient(4, addr, &[]);
    assert!(
        run.failed()
            .contains(&"a head sent in three pieces is answered once, and only when complete"),
        "{}",
        run.show()
    );
    assert!(
        run.stdout
            .contains("expected:  no answer before the head was complete, got 200 OK after 18 of "),
        "{}",
        run.show()
    );
    // The same server answers a head sent in one write: chapter 3 is fine.
    assert_passes(
        &grade_patient(3, addr, &[]),
        "a server that reads once, on chapter 3",
    );
}

#[test]
fn a_server_without_content_length_fails_chapter_3() {
    let addr = serve(true, no_content_length);
    let run = grade_patient(3, addr, &[]);
    assert_fails_exactly(&run, &["Content-Length is the body's length"]);
    assert!(
        run.stdout.contains("got no Content-Length; the body ran "),
        "{}",
        run.show()
    );
}

#[test]
fn a_blocking_server_fails_chapters_7_and_8() {
    let addr = serve(false, echo);
    assert_passes(&grade_patient(6, addr, &[]), "a blocking echo on chapter 6");
    let run = grade_quick(7, addr, &[]);
    assert_fails_exactly(
        &run,
        &["a client that sends nothing does not hold up another"],
    );
    let run = grade_quick(8, addr, &[]);
    assert_fails_exactly(
        &run,
        &["100 clients connected at once are all answered, the last to connect first"],
    );
    assert!(
        run.stdout.contains("got 0 of 100 answered; client 100 "),
        "{}",
        run.show()
    );
}

#[test]
fn a_server_without_keep_alive_fails_chapter_9() {
    // A thread per connection, one request each: chapter 8's level.
    let addr = serve(true, echo);
    assert_passes(
        &grade_patient(8, addr, &[]),
        "a thread per connection on chapter 8",
    );
    let run = grade_quick(9, addr, &[]);
    let failed = run.failed();
    assert!(
        failed.contains(&"two requests on one connection are both answered (keep-alive)")
            && failed.contains(&"two requests in one write are answered in order (pipelining)"),
        "{}",
        run.show()
    );
    assert!(
        run.stdout.contains(
            "got for the second request, the connection closed without an answer (the answer \
             before said Connection: close)"
        ),
        "{}",
        run.show()
    );
}

#[test]
fn a_server_without_host_rules_fails_chapter_10() {
    let addr = serve(true, echo);
    let run = grade_patient(10, addr, &[]);
    let failed = run.failed();
    for check in [
        "HTTP/1.1 without Host is refused with 400",
        "two Host lines are refused with 400, even with the same value",
        "an empty Host is refused with 400",
    ] {
        assert!(failed.contains(&check), "{check}:\n{}", run.show());
    }
    assert!(
        run.stdout.contains("expected:  400, got 200 OK"),
        "{}",
        run.show()
    );
}

#[test]
fn a_server_that_trusts_x_forwarded_host_fails_that_check_alone() {
    fn handle(stream: TcpStream) {
        host_checked(stream, forwarded_first, course_hosts);
    }
    let addr = serve(true, handle);
    let run = grade_patient(11, addr, &[]);
    let port = addr.port();
    assert_fails_exactly(
        &run,
        &[&format!(
            "X-Forwarded-Host: localhost:{port} does not let Host: evil.example in"
        )],
    );
}

#[test]
fn a_server_that_matches_suffixes_fails_suffix_confusion() {
    fn handle(stream: TcpStream) {
        host_checked(stream, the_host, suffix_match);
    }
    let addr = serve(true, handle);
    let run = grade_patient(11, addr, &[]);
    assert_fails_exactly(&run, &["suffix confusion: Host: evil-localhost is refused"]);
    let run = grade_patient(12, addr, &[]);
    assert!(
        run.failed()
            .contains(&"Host: evillocalhost is refused, as hostecho decides"),
        "{}",
        run.show()
    );
}

#[test]
fn a_server_that_reads_only_a_lowercase_scheme_fails_chapter_10() {
    fn lowercase_only(stream: TcpStream) {
        host_checked(stream, authority_lowercase_only, course_hosts);
    }
    fn any_case(stream: TcpStream) {
        host_checked(stream, authority_any_case, course_hosts);
    }
    let run = grade_patient(10, serve(true, lowercase_only), &[]);
    assert_eq!(run.code, 1, "{}", run.show());
    let failed = run.failed();
    assert!(
        failed.len() == 1 && failed[0].starts_with("the scheme's case does not matter: HTTP://"),
        "{}",
        run.show()
    );
    assert_passes(
        &grade_patient(10, serve(true, any_case), &[]),
        "chapter 10's rules with the scheme read in any case",
    );
}

#[test]
fn a_server_with_the_right_host_rules_passes_chapter_11() {
    fn handle(stream: TcpStream) {
        host_checked(stream, the_host, course_hosts);
    }
    assert_passes(
        &grade_patient(11, serve(true, handle), &[]),
        "a correct Host check",
    );
}

// ---------------------------------------------------------------------------------------
// Servers that misbehave: the grader says what happened, in bounded time
// ---------------------------------------------------------------------------------------

/// A server's misbehaviour and the words the grader must use for it, on chapter 3.
fn assert_every_check_fails_with(addr: SocketAddr, words: &str) {
    let run = grade_quick(3, addr, &[]);
    assert_eq!(run.code, 1, "{}", run.show());
    assert_eq!(run.failed().len(), 4, "{}", run.show());
    assert_eq!(
        run.stdout.matches(words).count(),
        4,
        "every check should say {words:?}:\n{}",
        run.show()
    );
    // Four checks of a second each, and the first connection: well under a minute on
    // any machine (the grader's own time-outs, not this test, bound it).
    assert!(run.took < RUN_PATIENCE, "{}", run.show());
}

#[test]
fn a_server_that_never_answers_fails_with_no_answer_in_time() {
    let addr = serve(true, |mut stream| {
        read_head(&mut stream);
        thread::sleep(Duration::from_secs(30));
    });
    assert_every_check_fails_with(addr, "got no answer in time");
}

#[test]
fn a_server_that_resets_fails_with_the_reset() {
    let addr = serve(true, |mut stream| {
        read_head(&mut stream);
        // SO_LINGER 0: close sends RST instead of FIN.
        let _ = socket2::SockRef::from(&stream).set_linger(Some(Duration::ZERO));
    });
    assert_every_check_fails_with(addr, "got the connection was reset");
}

#[test]
fn a_server_that_sends_garbage_fails_with_what_it_sent() {
    let addr = serve(true, |mut stream| {
        read_head(&mut stream);
        let _ = stream.write_all(b"hello, world\n");
    });
    assert_every_check_fails_with(addr, "bytes that are not an HTTP response");
}

#[test]
fn a_server_that_closes_without_answering_fails_with_the_close() {
    let addr = serve(true, |mut stream| {
        read_head(&mut stream);
    });
    assert_every_check_fails_with(addr, "got the connection closed without an answer");
}

#[test]
fn a_server_that_dies_during_the_run_fails_with_connection_refused() {
    // It takes the grader's first connection, then stops listening.
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("address");
    thread::spawn(move || {
        let _ = listener.accept();
    });
    // The grader's first check may connect before this thread has dropped the
    // listener: that connection sits in the backlog and is reset when the listener
    // goes. Every later check finds nothing listening.
    let run = grade_quick(3, addr, &[]);
    assert_eq!(run.code, 1, "{}", run.show());
    assert_eq!(run.failed().len(), 4, "{}", run.show());
    let refused = run
        .stdout
        .matches("connection refused (is the server still running?)")
        .count();
    let reset = run.stdout.matches("the connection was reset").count();
    assert!(
        refused >= 3 && refused + reset == 4,
        "every check should say the server is gone (refused, or reset for the first):\n{}",
        run.show()
    );
}

/// A server that answers every request with `reply`, then closes.
fn serve_reply(reply: &'static [u8]) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("local address");
    thread::spawn(move || {
        for mut stream in listener.incoming().map_while(Result::ok) {
            let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
            thread::spawn(move || {
                read_head(&mut stream);
                let _ = stream.write_all(reply);
            });
        }
    });
    addr
}

#[test]
fn malformed_answers_fail_with_a_reason_and_never_crash_the_grader() {
    let cases: [(&[u8], &str); 10] = [
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhello",
            "got more bytes after those 2: 'llo'",
        ),
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: lots\r\n\r\nhi",
            "Content-Length \"lots\" is not a number",
        ),
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n",
            "is not a number",
        ),
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",
            "the connection closed after",
        ),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            "chunk size \"zz\" is not a hex number",
        ),
        (b"HTTP/1.1 2000 OK\r\n\r\n", "not an HTTP response"),
        (
            b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
            "not an HTTP response",
        ),
        (b"\xff\xfe\x00\x01", "it does not start with HTTP/"),
        (
            b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n",
            "the connection closed after",
        ),
        (
            "HTTP/1.1 200 OK\r\nDate: Sun, 06 Nov 1994 08:49:é GMT\r\nContent-Length: 0\r\n\r\n"
                .as_bytes(),
            "Date: Sun, 06 Nov 1994 08:49:é GMT",
        ),
    ];
    for (reply, words) in cases {
        let run = grade_quick(3, serve_reply(reply), &[]);
        assert_eq!(run.code, 1, "{}", run.show());
        assert!(!run.stderr.contains("panicked"), "{}", run.show());
        assert!(
            run.stdout.contains(words),
            "the answer {:?} should fail with {words:?}:\n{}",
            String::from_utf8_lossy(reply),
            run.show()
        );
    }
}

/// A server that records what each connection sends up to the end of its head (or its
/// end), answers `200 OK` with an empty body, and closes.
fn serve_recording() -> (SocketAddr, Arc<Mutex<Vec<Vec<u8>>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("local address");
    let recorded = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&recorded);
    thread::spawn(move || {
        for mut stream in listener.incoming().map_while(Result::ok) {
            let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
            let sink = Arc::clone(&sink);
            thread::spawn(move || {
                let mut head = Vec::new();
                let mut chunk = [0u8; 4096];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut chunk) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => head.extend_from_slice(&chunk[..n]),
                    }
                }
                let _ = stream.write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                );
                sink.lock().expect("lock").push(head);
            });
        }
    });
    (addr, recorded)
}

#[test]
fn each_reproduce_command_sends_the_bytes_its_check_sent() {
    for tool in ["bash", "nc", "head", "tr"] {
        if !support::installed(tool) {
            support::skip(
                &format!("{tool} not installed"),
                "apt-get install bash netcat-openbsd coreutils",
            );
            return;
        }
    }
    // Every chapter whose checks send one request on one connection (chapters 7 to 9
    // hold connections open, or send several; their commands are shell compositions).
    for chapter in [3, 4, 5, 6, 10, 11, 12] {
        let (addr, recorded) = serve_recording();
        let run = grade_patient(chapter, addr, &["--json"]);
        assert!(run.code == 0 || run.code == 1, "{}", run.show());
        let sent_by_grader: Vec<Vec<u8>> = recorded.lock().expect("lock").drain(..).collect();
        for line in run.stdout.lines() {
            let check: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
            let command = check["reproduce"].as_str().expect("a command");
            let mut shell = Command::new("bash");
            shell.args(["-c", command]);
            let out = run_within(shell, Duration::from_secs(30));
            assert!(out.status.success(), "{command}: {out:?}");
            let sent_by_command = {
                let mut all = recorded.lock().expect("lock");
                // The grader's first connection, which only checks that the address
                // answers, sends nothing: its empty record may land at any time.
                all.retain(|bytes| !bytes.is_empty());
                assert_eq!(all.len(), 1, "{command}: one connection");
                all.remove(0)
            };
            assert!(
                !sent_by_command.is_empty() && sent_by_grader.contains(&sent_by_command),
                "chapter {chapter}, {}: the command sent {:?}, which the check did not",
                check["check"],
                String::from_utf8_lossy(&sent_by_command)
            );
        }
    }
}

// ---------------------------------------------------------------------------------------
// The command line
// ---------------------------------------------------------------------------------------

#[test]
fn an_unknown_chapter_is_a_bad_argument() {
    for chapter in ["2", "13", "four"] {
        let run = grade(&[chapter, "127.0.0.1:8094"]);
        assert_eq!(run.code, 2, "{}", run.show());
        assert_eq!(run.stderr.lines().count(), 1, "{}", run.show());
        assert!(
            run.stderr
                .contains("is not a chapter with checks: grade knows chapters 3 to 12"),
            "{}",
            run.show()
        );
    }
}

#[test]
fn an_address_that_refuses_connections_is_a_bad_argument() {
    // A port that was free a moment ago: nothing listens on it.
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let addr = format!("127.0.0.1:{port}");
    let run = grade(&["4", &addr]);
    assert_eq!(run.code, 2, "{}", run.show());
    assert_eq!(
        run.stderr,
        format!(
            "error: cannot connect to {addr}: connection refused; is the server running there?\n"
        )
    );
    assert_eq!(run.stdout, "");
    let run = grade(&["4", "127.0.0.1"]);
    assert_eq!(run.code, 2, "{}", run.show());
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.show());
}

#[test]
fn the_servers_environment_variables_do_not_reach_grade() {
    // HOSTECHO_BIND and the rest are the server's; a bad one must not stop the grader.
    let addr = serve(true, echo).to_string();
    let mut command = Command::new(env!("CARGO_BIN_EXE_hostecho"));
    command
        .args(["grade", "3", &addr])
        .env("HOSTECHO_BIND", "not an address")
        .env("HOSTECHO_MAX_HEADERS", "-1");
    let out = run_within(command, RUN_PATIENCE);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("grading 127.0.0.1:"),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn json_gives_one_object_per_check() {
    let addr = serve(true, no_content_length);
    let run = grade_patient(3, addr, &["--json"]);
    assert_eq!(run.code, 1, "{}", run.show());
    let objects: Vec<serde_json::Value> = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert_eq!(objects.len(), 4, "{}", run.show());
    let failed: Vec<&serde_json::Value> = objects.iter().filter(|o| o["ok"] == false).collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["check"], "Content-Length is the body's length");
    assert_eq!(failed[0]["chapter"], 3);
    assert_eq!(failed[0]["expected"], "a Content-Length equal to the body");
    assert!(
        failed[0]["reproduce"]
            .as_str()
            .is_some_and(|r| r.starts_with("printf 'GET / HTTP/1.1\\r\\n")
                && r.contains("| nc -N 127.0.0.1 ")),
        "{}",
        failed[0]
    );
    assert_eq!(
        failed[0]["section"],
        "tutorial/src/ch03-response.md#what-curl-does-without-content-length"
    );
}

#[test]
fn every_section_a_check_cites_is_a_heading_of_its_chapter() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for section in hostecho::grade::sections() {
        let text = std::fs::read_to_string(root.join("tutorial/src").join(section.file))
            .unwrap_or_else(|e| panic!("{}: {e}", section.file));
        let anchors: BTreeSet<String> = text
            .lines()
            .filter_map(|l| l.strip_prefix('#'))
            .map(|l| hostecho::grade::anchor(l.trim_start_matches('#').trim()))
            .collect();
        assert!(
            anchors.contains(&hostecho::grade::anchor(section.heading)),
            "{} has no heading {:?} (headings: {anchors:?})",
            section.file,
            section.heading
        );
    }
}

#[test]
fn the_help_shows_the_flags_the_course_uses() {
    let run = grade(&["--help"]);
    assert_eq!(run.code, 0, "{}", run.show());
    for flag in [
        "--json",
        "--allowed-hosts <PATTERNS>",
        "--header-timeout <SECONDS>",
        "<CHAPTER>",
        "<ADDR>",
    ] {
        assert!(run.stdout.contains(flag), "{flag}:\n{}", run.stdout);
    }
}
