//! The echo over a real socket: each format, chosen by `Accept`, snapshotted whole.
//!
//! Volatile values are redacted before snapshotting: the `Date` header, the server's
//! port, and the client's ephemeral port.

mod support;

use std::io::Write;
use std::net::TcpStream;

use support::{Response, TestServer, read_response};

/// Sends `request` (with `{port}` replaced by the server's port) and returns the
/// response and the whole response as redacted text for a snapshot.
fn exchange(server: &TestServer, request: &str) -> (Response, String) {
    let port = server.addr().port();
    let mut stream: TcpStream = server.connect();
    let client_port = stream.local_addr().unwrap().port();
    stream
        .write_all(request.replace("{port}", &port.to_string()).as_bytes())
        .unwrap();
    let r = read_response(&mut stream);
    let mut whole = format!("{}{}", r.head, r.text());
    if let Some(date) = r.header("date") {
        whole = whole.replace(date, "[DATE]");
    }
    // Longest first, so a port that is a prefix of the other is not half-replaced.
    let mut ports = [(client_port, "[CLIENT_PORT]"), (port, "[PORT]")];
    ports.sort_by_key(|(p, _)| std::cmp::Reverse(p.to_string().len()));
    for (p, name) in ports {
        whole = whole.replace(&p.to_string(), name);
    }
    // Content-Length depends on how many digits the ports had.
    let whole = whole
        .lines()
        .map(|l| {
            if l.starts_with("Content-Length: ") {
                "Content-Length: [LEN]"
            } else {
                l
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    (r, whole)
}

const CURL: &str = "GET /index.html?name=jack&age=18 HTTP/1.1\r\nHost: localhost:{port}\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n";

#[test]
fn curl_gets_plain_text() {
    let server = TestServer::start(&[]);
    let (r, whole) = exchange(&server, CURL);
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("text/plain; charset=utf-8"));
    let text = r.text();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("GET /index.html?name=jack&age=18 HTTP/1.1")
    );
    assert!(text.contains("User-Agent: curl/8.5.0\n"));
    assert!(text.contains("jack") && text.contains("18"));
    insta::assert_snapshot!("text_echo", whole);
}

#[test]
fn no_accept_gets_plain_text() {
    let server = TestServer::start(&[]);
    let (r, _) = exchange(&server, "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
    assert_eq!(r.header("content-type"), Some("text/plain; charset=utf-8"));
}

#[test]
fn headers_are_echoed_in_wire_order_with_case_and_duplicates() {
    let server = TestServer::start(&[]);
    let (r, _) = exchange(
        &server,
        "GET / HTTP/1.1\r\nhOsT: localhost\r\nX-Dup: one\r\nx-custom: mid\r\nX-Dup: two\r\n\r\n",
    );
    let text = r.text();
    let block: Vec<&str> = text.lines().skip(1).take_while(|l| !l.is_empty()).collect();
    assert_eq!(
        block,
        [
            "hOsT: localhost",
            "X-Dup: one",
            "x-custom: mid",
            "X-Dup: two"
        ]
    );
}

#[test]
fn scripts_get_json_with_every_key() {
    let server = TestServer::start(&[]);
    let (r, whole) = exchange(
        &server,
        "POST /a%20b/c?name=jack&age=18&name=jill&q=a+b HTTP/1.1\r\nHost: LocalHost.:{port}\r\nAccept: application/json\r\nContent-Length: 5\r\n\r\nhello",
    );
    assert_eq!(r.header("content-type"), Some("application/json"));
    let json = r.json();
    // serde_json's Map sorts keys, so their order is read off the text itself.
    let text = r.text();
    let keys = [
        "method",
        "target",
        "path",
        "query",
        "version",
        "headers",
        "host",
        "port",
        "peer",
        "local",
        "body",
        "body_length",
    ];
    let positions: Vec<usize> = keys
        .iter()
        .map(|k| {
            text.find(&format!("\n  \"{k}\": "))
                .unwrap_or_else(|| panic!("no {k} in {text}"))
        })
        .collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "keys out of order: {text}"
    );
    assert_eq!(json.as_object().unwrap().len(), keys.len());
    assert_eq!(json["method"], "POST");
    assert_eq!(json["target"], "/a%20b/c?name=jack&age=18&name=jill&q=a+b");
    assert_eq!(json["path"], "/a b/c");
    assert_eq!(
        json["query"],
        serde_json::json!([
            ["name", "jack"],
            ["age", "18"],
            ["name", "jill"],
            ["q", "a b"]
        ])
    );
    assert_eq!(json["version"], "HTTP/1.1");
    assert_eq!(json["headers"][0][0], "Host");
    assert_eq!(json["host"], "localhost");
    assert_eq!(json["port"], server.addr().port());
    assert_eq!(json["local"], server.addr().to_string());
    assert!(json["peer"].as_str().unwrap().starts_with("127.0.0.1:"));
    assert_eq!(json["body"], "hello");
    assert_eq!(json["body_length"], 5);
    insta::assert_snapshot!("json_echo", whole);
}

#[test]
fn json_port_is_null_without_one() {
    let server = TestServer::start(&[]);
    let (r, _) = exchange(
        &server,
        "GET / HTTP/1.1\r\nHost: localhost\r\nAccept: application/json\r\n\r\n",
    );
    assert!(r.json()["port"].is_null());
}

#[test]
fn browsers_get_html() {
    let server = TestServer::start(&[]);
    let chrome = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8";
    let (r, whole) = exchange(
        &server,
        &format!(
            "GET /index.html?name=jack&age=18 HTTP/1.1\r\nHost: localhost:{{port}}\r\nAccept: {chrome}\r\n\r\n"
        ),
    );
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    assert!(r.text().to_lowercase().starts_with("<!doctype html>"));
    insta::assert_snapshot!("html_echo", whole);
}

#[test]
fn q_values_decide_between_formats() {
    let server = TestServer::start(&[]);
    let (r, _) = exchange(
        &server,
        "GET / HTTP/1.1\r\nHost: localhost\r\nAccept: text/html;q=0.5, application/json\r\n\r\n",
    );
    assert_eq!(r.header("content-type"), Some("application/json"));
    let (r, _) = exchange(
        &server,
        "GET / HTTP/1.1\r\nHost: localhost\r\nAccept: text/html, application/json;q=0.1\r\n\r\n",
    );
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
}

#[test]
fn html_escapes_every_value() {
    let server = TestServer::start(&[]);
    let (r, _) = exchange(
        &server,
        "POST /<script>?x=<b> HTTP/1.1\r\nHost: localhost\r\nAccept: text/html\r\nX-Evil: <script>alert(1)</script>\r\nContent-Length: 8\r\n\r\n<i>hi</i",
    );
    let html = r.text();
    assert!(!html.contains("<script>"), "{html}");
    assert!(!html.contains("<i>"), "{html}");
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{html}"
    );
}
