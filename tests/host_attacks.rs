//! Host-header attacks over a real socket, one test per technique.
//!
//! Each test sends what an attacker would, byte for byte, and checks that hostecho
//! answers 400 with the Django-style message (or, where the attack relies on a header
//! being *honoured*, that it is ignored).

mod support;

use std::io::Write;
use std::process::Command;

use support::{Response, TestServer, is_closed, read_response};

/// Sends a request and returns the response.
fn send(server: &TestServer, request: &str) -> Response {
    server.send(request.as_bytes())
}

/// Asserts a 400 whose body contains `needle`, with `Connection: close`.
fn assert_refused(r: &Response, needle: &str) {
    assert_eq!(r.status, 400, "{}", r.text());
    assert_eq!(r.header("connection"), Some("close"));
    assert!(
        r.text().contains(needle),
        "{needle:?} not in {:?}",
        r.text()
    );
}

/// The host the echo says it validated (asks for JSON).
fn echoed_host(r: &Response) -> String {
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["host"].as_str().unwrap().to_owned()
}

#[test]
fn arbitrary_host_is_refused_with_the_django_message() {
    let server = TestServer::start(&[]);
    let r = send(&server, "GET / HTTP/1.1\r\nHost: evil.example\r\n\r\n");
    assert_refused(
        &r,
        "Invalid HTTP_HOST header: 'evil.example'. You may need to add 'evil.example' to --allowed-hosts.",
    );
}

#[test]
fn allowed_hosts_are_answered_with_their_port() {
    let server = TestServer::start(&[]);
    for host in [
        "localhost",
        "LOCALHOST:8090",
        "api.localhost",
        "localhost.",
        "127.0.0.1:80",
        "[::1]:8090",
    ] {
        let r = send(
            &server,
            &format!("GET / HTTP/1.1\r\nHost: {host}\r\nAccept: application/json\r\n\r\n"),
        );
        assert_eq!(r.status, 200, "{host}: {}", r.text());
    }
}

#[test]
fn port_injection_is_refused_as_invalid_syntax() {
    let server = TestServer::start(&["--allowed-hosts", "example.com"]);
    for host in [
        "example.com:evil",
        "example.com:80:80",
        "example.com:99999",
        "example.com:",
        "example.com@evil.example",
    ] {
        let r = send(&server, &format!("GET / HTTP/1.1\r\nHost: {host}\r\n\r\n"));
        assert_refused(
            &r,
            "The domain name provided is not valid according to RFC 1034/1035.",
        );
    }
}

#[test]
fn suffix_confusion_is_refused() {
    let server = TestServer::start(&["--allowed-hosts", ".example.com"]);
    let r = send(&server, "GET / HTTP/1.1\r\nHost: evilexample.com\r\n\r\n");
    assert_refused(
        &r,
        "You may need to add 'evilexample.com' to --allowed-hosts.",
    );
    let r = send(
        &server,
        "GET / HTTP/1.1\r\nHost: example.com.evil.example\r\n\r\n",
    );
    assert_refused(&r, "Invalid HTTP_HOST header");
    let r = send(
        &server,
        "GET / HTTP/1.1\r\nHost: deep.sub.example.com\r\nAccept: application/json\r\n\r\n",
    );
    assert_eq!(echoed_host(&r), "deep.sub.example.com");
}

#[test]
fn duplicate_host_is_refused_even_with_equal_values() {
    let server = TestServer::start(&[]);
    let r = send(
        &server,
        "GET / HTTP/1.1\r\nHost: localhost\r\nHost: localhost\r\n\r\n",
    );
    assert_refused(
        &r,
        "duplicate Host header: the request has 2 Host field lines",
    );
    let r = send(
        &server,
        "GET / HTTP/1.1\r\nHost: localhost\r\nHost: evil.example\r\n\r\n",
    );
    assert_refused(
        &r,
        "duplicate Host header: the request has 2 Host field lines",
    );
    let r = send(
        &server,
        "GET / HTTP/1.0\r\nHost: localhost\r\nhost: localhost\r\n\r\n",
    );
    assert_refused(
        &r,
        "duplicate Host header: the request has 2 Host field lines",
    );
}

#[test]
fn missing_host_on_http11_is_refused() {
    let server = TestServer::start(&[]);
    let r = send(&server, "GET / HTTP/1.1\r\n\r\n");
    assert_refused(&r, "missing Host header");
}

#[test]
fn empty_host_is_refused() {
    let server = TestServer::start(&[]);
    let r = send(&server, "GET / HTTP/1.1\r\nHost: \r\n\r\n");
    assert_refused(
        &r,
        "Invalid HTTP_HOST header: ''. The host is empty, and a request for an http URI \
         must name one (RFC 9110, section 4.2.1).",
    );
}

/// An empty Host, an empty authority and an empty X-Forwarded-Host get one wording,
/// naming where the empty value came from when it is not Host.
#[test]
fn every_empty_host_gets_one_message() {
    let server = TestServer::start(&["--use-x-forwarded-host"]);
    let sentence = ". The host is empty, and a request for an http URI must name one \
                    (RFC 9110, section 4.2.1).";
    for (request, from) in [
        ("GET / HTTP/1.1\r\nHost:\r\n\r\n", ""),
        (
            "GET http:///x HTTP/1.1\r\nHost: localhost\r\n\r\n",
            " (from the request target)",
        ),
        (
            "GET / HTTP/1.1\r\nHost: localhost\r\nX-Forwarded-Host: \r\n\r\n",
            " (from X-Forwarded-Host)",
        ),
    ] {
        let r = send(&server, request);
        assert_refused(&r, &format!("Invalid HTTP_HOST header: ''{from}{sentence}"));
    }
}

#[test]
fn a_refusal_and_its_log_line_name_the_request_target() {
    let server = TestServer::start(&[]);
    let r = send(
        &server,
        "GET http://evil.example/ HTTP/1.1\r\nHost: localhost:8090\r\n\r\n",
    );
    let message = "Invalid HTTP_HOST header: 'evil.example' (from the request target). You may \
                   need to add 'evil.example' to --allowed-hosts.";
    assert_refused(&r, message);
    server.wait_for_log(message);
}

/// The nearest proxy's value or none: an empty last X-Forwarded-Host line is refused,
/// not replaced by the line before it, which the client may have written.
#[test]
fn an_empty_last_x_forwarded_host_is_refused() {
    let server = TestServer::start(&[
        "--use-x-forwarded-host",
        "--allowed-hosts",
        "example.com,localhost",
    ]);
    let r = send(
        &server,
        "GET / HTTP/1.1\r\nHost: localhost\r\nX-Forwarded-Host: example.com\r\nX-Forwarded-Host:\r\n\r\n",
    );
    assert_refused(&r, "Invalid HTTP_HOST header: '' (from X-Forwarded-Host).");
}

/// The nearest proxy's element has no host=: it forwarded none, so Host decides, not
/// the client's earlier `host=`.
#[test]
fn a_last_forwarded_element_without_host_leaves_host_in_charge() {
    let server = TestServer::start(&[
        "--use-x-forwarded-host",
        "--allowed-hosts",
        "example.com,localhost",
    ]);
    let r = send(
        &server,
        "GET / HTTP/1.1\r\nHost: localhost\r\nForwarded: host=example.com, for=192.0.2.1\r\nAccept: application/json\r\n\r\n",
    );
    assert_eq!(echoed_host(&r), "localhost");
    assert_eq!(r.json()["host_decision"]["source"], "Host");
}

#[test]
fn http10_without_host_falls_back_to_the_local_address() {
    let server = TestServer::start(&[]);
    let r = send(
        &server,
        "GET / HTTP/1.0\r\nAccept: application/json\r\n\r\n",
    );
    assert_eq!(echoed_host(&r), "127.0.0.1");
    assert_eq!(r.json()["port"], server.addr().port());
}

#[test]
fn absolute_form_authority_wins_over_a_disagreeing_host() {
    let server = TestServer::start(&[]);
    // The target names a host we do not serve; Host names one we do. The target wins
    // (RFC 9112 §3.2.2), so this is refused, and a cache keyed on Host is not fooled.
    let r = send(
        &server,
        "GET http://evil.example/ HTTP/1.1\r\nHost: localhost\r\n\r\n",
    );
    assert_refused(&r, "'evil.example' (from the request target)");
    // And the other way round: the Host value is ignored, the target's authority used.
    let r = send(
        &server,
        "GET http://localhost:9/x HTTP/1.1\r\nHost: evil.example\r\nAccept: application/json\r\n\r\n",
    );
    assert_eq!(echoed_host(&r), "localhost");
    assert_eq!(r.json()["port"], 9);
    assert_eq!(r.json()["path"], "/x");
}

#[test]
fn indented_obs_fold_host_line_is_refused() {
    let server = TestServer::start(&[]);
    let r = send(
        &server,
        "GET / HTTP/1.1\r\nHost: localhost\r\n evil.example\r\n\r\n",
    );
    assert_eq!(r.status, 400, "{}", r.text());
    let r = send(
        &server,
        "GET / HTTP/1.1\r\n Host: evil.example\r\nHost: localhost\r\n\r\n",
    );
    assert_eq!(r.status, 400, "{}", r.text());
}

#[test]
fn forwarding_headers_are_ignored_by_default() {
    let server = TestServer::start(&[]);
    let r = send(
        &server,
        "GET / HTTP/1.1\r\nHost: localhost\r\nX-Forwarded-Host: evil.example\r\nForwarded: host=evil.example\r\nAccept: application/json\r\n\r\n",
    );
    assert_eq!(echoed_host(&r), "localhost");
}

#[test]
fn x_forwarded_host_replaces_host_when_enabled() {
    let server = TestServer::start(&[
        "--use-x-forwarded-host",
        "--allowed-hosts",
        "public.example,localhost",
    ]);
    let r = send(
        &server,
        "GET / HTTP/1.1\r\nHost: localhost\r\nX-Forwarded-Host: evil.example\r\n\r\n",
    );
    assert_refused(&r, "'evil.example'");
    // Several proxies: the last value is the nearest proxy's, and it counts.
    let r = send(
        &server,
        "GET / HTTP/1.1\r\nHost: localhost\r\nX-Forwarded-Host: evil.example, public.example\r\nAccept: application/json\r\n\r\n",
    );
    assert_eq!(echoed_host(&r), "public.example");
    let r = send(
        &server,
        "GET / HTTP/1.1\r\nHost: localhost\r\nX-Forwarded-Host: public.example\r\nX-Forwarded-Host: evil.example\r\n\r\n",
    );
    assert_refused(&r, "'evil.example'");
}

#[test]
fn forwarded_host_replaces_host_when_enabled() {
    let server = TestServer::start(&[
        "--use-x-forwarded-host",
        "--allowed-hosts",
        "public.example,localhost",
    ]);
    let r = send(
        &server,
        "GET / HTTP/1.1\r\nHost: localhost\r\nForwarded: for=192.0.2.1;host=evil.example\r\n\r\n",
    );
    assert_refused(&r, "'evil.example'");
    let r = send(
        &server,
        "GET / HTTP/1.1\r\nHost: localhost\r\nForwarded: host=\"public.example\";proto=http\r\nAccept: application/json\r\n\r\n",
    );
    assert_eq!(echoed_host(&r), "public.example");
}

#[test]
fn x_host_and_friends_are_never_honoured() {
    let server = TestServer::start(&["--use-x-forwarded-host"]);
    for header in ["X-Host", "X-Forwarded-Server", "X-HTTP-Host-Override"] {
        let r = send(
            &server,
            &format!(
                "GET / HTTP/1.1\r\nHost: localhost\r\n{header}: evil.example\r\nAccept: application/json\r\n\r\n"
            ),
        );
        assert_eq!(echoed_host(&r), "localhost", "{header} must be ignored");
    }
}

#[test]
fn forwarding_headers_from_an_untrusted_peer_are_ignored() {
    // The test client is 127.0.0.1, outside 10.0.0.0/8, so it is not a trusted proxy.
    let server = TestServer::start(&["--use-x-forwarded-host", "--trusted-proxies", "10.0.0.0/8"]);
    let r = send(
        &server,
        "GET / HTTP/1.1\r\nHost: localhost\r\nX-Forwarded-Host: evil.example\r\nAccept: application/json\r\n\r\n",
    );
    assert_eq!(echoed_host(&r), "localhost");
    let trusted =
        TestServer::start(&["--use-x-forwarded-host", "--trusted-proxies", "127.0.0.0/8"]);
    let r = send(
        &trusted,
        "GET / HTTP/1.1\r\nHost: localhost\r\nX-Forwarded-Host: evil.example\r\n\r\n",
    );
    assert_refused(&r, "'evil.example'");
}

#[test]
fn bad_second_request_on_a_kept_alive_connection_is_refused() {
    let server = TestServer::start(&[]);
    let mut stream = server.connect();
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .unwrap();
    assert_eq!(read_response(&mut stream).status, 200);
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: evil.example\r\n\r\n")
        .unwrap();
    let r = read_response(&mut stream);
    assert_refused(&r, "'evil.example'");
    assert!(is_closed(&mut stream));
}

#[test]
fn raw_value_is_escaped_in_the_response() {
    let server = TestServer::start(&[]);
    let r = server.send(b"GET / HTTP/1.1\r\nHost: \xc3\xa9vil.example\r\n\r\n");
    assert_eq!(r.status, 400);
    let body = r.text();
    assert!(body.is_ascii(), "{body:?}");
    assert!(body.contains("\\xc3\\xa9vil.example"), "{body:?}");
}

#[test]
fn dns_rebinding_through_curl_resolve_is_refused() {
    if Command::new("curl").arg("--version").output().is_err() {
        support::skip(
            "curl not installed (the DNS-rebinding test in tests/host_attacks.rs)",
            "install curl (.ci/run does)",
        );
        return;
    }
    let server = TestServer::start(&[]);
    let port = server.addr().port();
    // The attacker's name now resolves to 127.0.0.1, so the browser connects to us —
    // but it still sends the attacker's name as Host.
    let out = Command::new("curl")
        .args([
            "-s",
            "-i",
            "--max-time",
            "10",
            "--resolve",
            &format!("evil.example:{port}:127.0.0.1"),
        ])
        .arg(format!("http://evil.example:{port}/secret"))
        .output()
        .expect("run curl");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("HTTP/1.1 400 Bad Request"), "{text}");
    assert!(
        text.contains(&format!(
            "Invalid HTTP_HOST header: 'evil.example:{port}'. You may need to add 'evil.example' to --allowed-hosts."
        )),
        "{text}"
    );
}
