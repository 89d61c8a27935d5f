//! `--health-path`: the real binary on 127.0.0.1:0, raw bytes. A `GET` or `HEAD` of
//! exactly the path is answered `200 ok` whatever its Host (or none), before the Host
//! check; everything else is checked as before. (`src/health.rs` has the rules and
//! why only a constant answer may skip the check; `tests/proxies.rs` has HAProxy,
//! Apache and Caddy health-checking it.)

mod support;

use std::io::Write;

use support::{Response, TestServer, is_closed, read_head_response, read_response, run_cli};

/// hostecho allowing only example.com, with `/healthz` as its health path.
fn server() -> TestServer {
    TestServer::start(&[
        "--allowed-hosts",
        "example.com",
        "--health-path",
        "/healthz",
    ])
}

/// The parts of a response that may not depend on the request: status, headers but
/// `Date`, body.
fn constant_parts(response: &Response) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let headers = response
        .headers
        .iter()
        .filter(|(name, _)| !name.eq_ignore_ascii_case("date"))
        .cloned()
        .collect();
    (response.status, headers, response.body.clone())
}

#[test]
fn the_health_path_is_answered_ok_with_any_host_or_none_in_any_version() {
    let server = server();
    let requests: [&[u8]; 6] = [
        // HAProxy's `option httpchk GET /healthz`: HTTP/1.0, no header at all.
        b"GET /healthz HTTP/1.0\r\n\r\n",
        // Apache's hcheck and Caddy's: the backend's own address.
        b"GET /healthz HTTP/1.0\r\nHost: 127.0.0.1:8091\r\n\r\n",
        b"GET /healthz HTTP/1.1\r\nHost: 10.0.3.17:8091\r\nUser-Agent: ELB-HealthChecker/2.0\r\nConnection: close\r\n\r\n",
        // A Host hostecho would refuse on any other path, and attacks on it.
        b"GET /healthz HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n",
        b"GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: close\r\n\r\n",
        b"GET /healthz HTTP/1.1\r\nHost: <script>\r\nX-Forwarded-Host: evil.example\r\nConnection: close\r\n\r\n",
    ];
    let answers: Vec<Response> = requests.iter().map(|r| server.send(r)).collect();
    for (request, answer) in requests.iter().zip(&answers) {
        assert_eq!(
            (answer.status, answer.text().as_str()),
            (200, "ok\n"),
            "{}",
            String::from_utf8_lossy(request)
        );
        assert_eq!(
            answer.header("content-type"),
            Some("text/plain; charset=utf-8")
        );
    }
    // Nothing of the request shows in the answer: the same bytes for every one (the
    // HTTP/1.0 ones aside, which close without saying so).
    for answer in &answers[2..] {
        assert_eq!(constant_parts(answer), constant_parts(&answers[2]));
    }
}

#[test]
fn head_of_the_health_path_has_the_length_and_no_body() {
    let server = server();
    let mut stream = server.connect();
    stream
        .write_all(b"HEAD /healthz HTTP/1.1\r\nHost: evil.example\r\n\r\n")
        .unwrap();
    let answer = read_head_response(&mut stream);
    assert_eq!(answer.status, 200);
    assert_eq!(answer.header("content-length"), Some("3"));
    // Kept alive: the next request on the connection is a new one, and is Host-checked.
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: evil.example\r\n\r\n")
        .unwrap();
    let next = read_response(&mut stream);
    assert_eq!(next.status, 400, "{}", next.text());
    assert!(is_closed(&mut stream));
}

#[test]
fn every_other_target_and_method_goes_through_the_host_check() {
    let server = server();
    for request in [
        "GET /healthz/x HTTP/1.1\r\nHost: evil.example\r\n\r\n",
        "GET /healthz? HTTP/1.1\r\nHost: evil.example\r\n\r\n",
        "GET /healthz?x HTTP/1.1\r\nHost: evil.example\r\n\r\n",
        "GET /healthzz HTTP/1.1\r\nHost: evil.example\r\n\r\n",
        "GET /health%7a HTTP/1.1\r\nHost: evil.example\r\n\r\n",
        "GET http://evil.example/healthz HTTP/1.1\r\nHost: evil.example\r\n\r\n",
        "OPTIONS /healthz HTTP/1.1\r\nHost: evil.example\r\n\r\n",
        "POST /healthz HTTP/1.1\r\nHost: evil.example\r\nContent-Length: 2\r\n\r\nhi",
        "GET /healthz HTTP/1.1\r\nHost: evil.example\r\nContent-Length: 2\r\n\r\nhi",
        // HTTP/1.1 without Host is refused everywhere else.
        "GET /healthz/ HTTP/1.1\r\n\r\n",
    ] {
        let answer = server.send(request.as_bytes());
        assert_eq!(answer.status, 400, "{request:?}: {}", answer.text());
        assert_ne!(answer.text(), "ok\n");
    }
    // The allowed host still gets the echo on every path but the health path.
    let answer = server.send(b"GET /healthz?x HTTP/1.1\r\nHost: example.com\r\n\r\n");
    assert_eq!(answer.status, 200);
    assert!(
        answer.text().starts_with("GET /healthz?x HTTP/1.1"),
        "{}",
        answer.text()
    );
}

#[test]
fn health_checks_are_logged_at_debug_only() {
    let quiet = TestServer::start_with(
        &[
            "--allowed-hosts",
            "example.com",
            "--health-path",
            "/healthz",
        ],
        &[("RUST_LOG", "info")],
    );
    quiet.send(b"GET /healthz HTTP/1.0\r\n\r\n");
    quiet.send(b"GET / HTTP/1.1\r\nHost: example.com\r\n\r\n");
    let log = quiet.wait_for_log("\"GET / HTTP/1.1\" 200");
    assert!(!log.contains("/healthz HTTP"), "{log}");
    assert!(
        log.contains("health path: GET and HEAD of exactly /healthz are answered 200"),
        "the start-up log says it is on: {log}"
    );

    let loud = server();
    loud.send(b"GET /healthz HTTP/1.0\r\n\r\n");
    let log = loud.wait_for_log("\"GET /healthz HTTP/1.0\" 200");
    assert!(
        log.contains("health check: answered 200 without a Host check"),
        "{log}"
    );
}

#[test]
fn without_the_flag_there_is_no_health_path() {
    let server = TestServer::start(&["--allowed-hosts", "example.com"]);
    let answer = server.send(b"GET /healthz HTTP/1.1\r\nHost: evil.example\r\n\r\n");
    assert_eq!(answer.status, 400);
    let log = server.wait_for_log("rejected");
    assert!(!log.contains("health path"), "{log}");
}

#[test]
fn the_environment_variable_sets_it_too() {
    let server = TestServer::start_with(
        &["--allowed-hosts", "example.com"],
        &[("HOSTECHO_HEALTH_PATH", "/-/ready"), ("RUST_LOG", "debug")],
    );
    let answer = server.send(b"GET /-/ready HTTP/1.0\r\n\r\n");
    assert_eq!((answer.status, answer.text().as_str()), (200, "ok\n"));
}

#[test]
fn a_bad_health_path_is_a_one_line_error() {
    for (value, needle) in [
        ("healthz", "must start with /"),
        ("/", "must not be / alone"),
        ("/healthz?full=1", "without ? or #"),
        ("/a//b", "segments"),
        ("/a b", "contains ' '"),
    ] {
        for (args, env) in [
            (vec!["--health-path", value], vec![]),
            (vec![], vec![("HOSTECHO_HEALTH_PATH", value)]),
        ] {
            let (code, out, err) = run_cli(&args, &env);
            assert_eq!(code, 2, "{value:?}: {err}");
            assert!(out.is_empty(), "{out}");
            assert_eq!(err.trim_end().lines().count(), 1, "{err}");
            assert!(
                err.starts_with("error: ") && err.contains("--health-path") && err.contains(needle),
                "{value:?}: {err}"
            );
        }
    }
}
