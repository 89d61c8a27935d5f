//! The echo over a real socket: each format, chosen by `Accept`, snapshotted whole.
//!
//! Volatile values are redacted before snapshotting: the `Date` header, the server's
//! port, and the client's ephemeral port.

mod support;

use std::io::Write;
use std::net::TcpStream;
use std::process::Command;

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
        "line_endings",
        "headers",
        "host",
        "port",
        "host_decision",
        "peer",
        "local",
        "body",
        "body_length",
        "body_shown",
        "body_base64",
        "form",
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
    assert_eq!(json["body_base64"], serde_json::Value::Null);
    assert_eq!(json["form"], serde_json::Value::Null);
    assert_eq!(json["line_endings"], "CRLF");
    assert_eq!(
        json["host_decision"],
        serde_json::json!({
            "source": "Host",
            "raw": format!("LocalHost.:{}", server.addr().port()),
            "matched": ".localhost",
            "peer_trusted": null,
            "forwarding": [],
        })
    );
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

// ---- why the host was allowed, through a proxy ------------------------------------

/// A request as a reverse proxy on 127.0.0.1 would pass it on: the client asked for
/// `app.example`; the proxy's hop to us says `localhost`.
fn proxied(accept: &str) -> String {
    format!(
        "GET /p HTTP/1.1\r\nHost: localhost:{{port}}\r\nX-Forwarded-For: 192.0.2.7\r\n\
         X-Forwarded-Host: app.example\r\nX-Forwarded-Proto: https\r\nVia: 1.1 proxy\r\n\
         Accept: {accept}\r\n\r\n"
    )
}

/// hostecho behind a proxy on loopback, trusted or not: the test client is 127.0.0.1.
fn behind_a_proxy(trusted: bool) -> TestServer {
    TestServer::start(&[
        "--allowed-hosts",
        "app.example,localhost",
        "--use-x-forwarded-host",
        "--trusted-proxies",
        if trusted { "127.0.0.0/8" } else { "10.0.0.0/8" },
    ])
}

#[test]
fn json_host_decision_through_a_trusted_and_an_untrusted_proxy() {
    let trusted = behind_a_proxy(true);
    let (r, _) = exchange(&trusted, &proxied("application/json"));
    let json = r.json();
    let forwarding = serde_json::json!([
        ["X-Forwarded-For", "192.0.2.7"],
        ["X-Forwarded-Host", "app.example"],
        ["X-Forwarded-Proto", "https"],
        ["Via", "1.1 proxy"],
    ]);
    assert_eq!(json["host"], "app.example");
    assert_eq!(
        json["host_decision"],
        serde_json::json!({
            "source": "X-Forwarded-Host",
            "raw": "app.example",
            "matched": "app.example",
            "peer_trusted": true,
            "forwarding": forwarding,
        })
    );
    let untrusted = behind_a_proxy(false);
    let (r, _) = exchange(&untrusted, &proxied("application/json"));
    let json = r.json();
    assert_eq!(json["host"], "localhost");
    assert_eq!(
        json["host_decision"],
        serde_json::json!({
            "source": "Host",
            "raw": format!("localhost:{}", untrusted.addr().port()),
            "matched": "localhost",
            "peer_trusted": false,
            "forwarding": forwarding,
        })
    );
}

#[test]
fn text_host_decision_through_a_trusted_and_an_untrusted_proxy() {
    let chain = "proxies: X-Forwarded-For: 192.0.2.7\n         \
                 X-Forwarded-Host: app.example\n         \
                 X-Forwarded-Proto: https\n         \
                 Via: 1.1 proxy\n         ";
    let (r, _) = exchange(&behind_a_proxy(true), &proxied("*/*"));
    let text = r.text();
    assert!(
        text.contains("\nhost:    app.example (from X-Forwarded-Host, allowed by app.example)\n"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "{chain}peer 127.0.0.1 is a trusted proxy: its X-Forwarded-Host and Forwarded host= \
             are honoured\nlocal:"
        )),
        "{text}"
    );
    let (r, _) = exchange(&behind_a_proxy(false), &proxied("*/*"));
    let text = r.text();
    assert!(
        text.contains("\nhost:    localhost (from Host, allowed by localhost)\n"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "{chain}peer 127.0.0.1 is not a trusted proxy (not in --trusted-proxies): \
             forwarding headers ignored\nlocal:"
        )),
        "{text}"
    );
}

#[test]
fn html_host_decision_through_a_trusted_and_an_untrusted_proxy() {
    let chain = "X-Forwarded-For: 192.0.2.7<br>X-Forwarded-Host: app.example<br>\
                 X-Forwarded-Proto: https<br>Via: 1.1 proxy<br>";
    let (r, _) = exchange(&behind_a_proxy(true), &proxied("text/html"));
    let html = r.text();
    assert!(
        html.contains(
            "<tbody>\n<tr><th>host</th><td>app.example (from X-Forwarded-Host, allowed by \
             app.example)</td></tr>\n"
        ),
        "{html}"
    );
    assert!(
        html.contains(&format!(
            "<tr><th>proxies</th><td>{chain}peer 127.0.0.1 is a trusted proxy: its \
             X-Forwarded-Host and Forwarded host= are honoured</td></tr>"
        )),
        "{html}"
    );
    let (r, _) = exchange(&behind_a_proxy(false), &proxied("text/html"));
    let html = r.text();
    assert!(
        html.contains(
            "<tbody>\n<tr><th>host</th><td>localhost (from Host, allowed by localhost)</td></tr>\n"
        ),
        "{html}"
    );
    assert!(
        html.contains(&format!(
            "<tr><th>proxies</th><td>{chain}peer 127.0.0.1 is not a trusted proxy (not in \
             --trusted-proxies): forwarding headers ignored</td></tr>"
        )),
        "{html}"
    );
}

#[test]
fn without_forwarding_headers_there_is_no_chain() {
    let server = TestServer::start(&[]);
    let (r, _) = exchange(&server, "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
    assert!(!r.text().contains("proxies:"), "{}", r.text());
    let (r, _) = exchange(
        &server,
        "GET / HTTP/1.1\r\nHost: localhost\r\nAccept: text/html\r\n\r\n",
    );
    assert!(!r.text().contains("<th>proxies</th>"), "{}", r.text());
}

// ---- bodies, line endings, the favicon ------------------------------------------------

#[test]
fn a_form_body_is_decoded_in_every_format() {
    let server = TestServer::start(&[]);
    let form = |accept: &str| {
        format!(
            "POST /f HTTP/1.1\r\nHost: localhost\r\nAccept: {accept}\r\n\
             Content-Type: application/x-www-form-urlencoded; charset=UTF-8\r\n\
             Content-Length: 26\r\n\r\nname=jack+b&age=18&tag=%3C"
        )
    };
    let (r, _) = exchange(&server, &form("application/json"));
    assert_eq!(
        r.json()["form"],
        serde_json::json!([["name", "jack b"], ["age", "18"], ["tag", "<"]])
    );
    let (r, _) = exchange(&server, &form("*/*"));
    assert!(
        r.text().contains(
            "body:    26 bytes\nform:    name = jack b\n         age = 18\n         tag = <\n"
        ),
        "{}",
        r.text()
    );
    let (r, _) = exchange(&server, &form("text/html"));
    assert!(
        r.text()
            .contains("<tr><th>form</th><td>name = jack b<br>age = 18<br>tag = &lt;</td></tr>"),
        "{}",
        r.text()
    );
}

#[test]
fn a_binary_body_comes_as_base64_and_in_hex() {
    let server = TestServer::start(&[]);
    let send = |accept: &str| {
        let mut request = format!(
            "POST / HTTP/1.1\r\nHost: localhost\r\nAccept: {accept}\r\nContent-Length: 9\r\n\r\n"
        )
        .into_bytes();
        request.extend_from_slice(b"\xff\xfe\x00binary");
        server.send(&request)
    };
    let json = send("application/json").json();
    assert_eq!(json["body_base64"], "//4AYmluYXJ5");
    assert_eq!(json["body_length"], 9);
    let text = send("*/*").text();
    assert!(
        text.ends_with(
            "body:    9 bytes (not UTF-8: shown in hex)\n\n\
             0000  ff fe 00 62 69 6e 61 72  79                       |...binary|\n"
        ),
        "{text}"
    );
    let html = send("text/html").text();
    assert!(html.contains("<pre>\n0000  ff fe 00 62"), "{html}");
    assert!(!html.contains('\u{fffd}') && !text.contains('\u{fffd}'));
}

#[test]
fn the_text_echo_says_which_line_endings_the_head_used() {
    let server = TestServer::start(&[]);
    for (request, endings) in [
        ("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n", "CRLF"),
        ("GET / HTTP/1.1\nHost: localhost\n\n", "LF"),
        (
            "GET / HTTP/1.1\r\nHost: localhost\n\r\n",
            "mixed CRLF and LF",
        ),
    ] {
        let (r, _) = exchange(&server, request);
        assert!(
            r.text().contains(&format!("\nendings: {endings}\n")),
            "{request:?}: {}",
            r.text()
        );
    }
}

#[test]
fn the_favicon_gets_a_204_logged_at_debug_only() {
    use std::io::Read;
    let server = TestServer::start_with(&[], &[("RUST_LOG", "info")]);
    let mut stream = server.connect();
    stream
        .write_all(b"GET /favicon.ico HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut whole = String::new();
    stream.read_to_string(&mut whole).unwrap();
    assert!(whole.starts_with("HTTP/1.1 204 No Content\r\n"), "{whole}");
    // No body, so no Content-Length (RFC 9110 §8.6) and no Content-Type.
    assert!(!whole.contains("Content-"), "{whole}");
    assert!(whole.ends_with("Connection: close\r\n\r\n"), "{whole}");
    // The next request's access line shows the favicon's would have been logged by now.
    server.send(b"GET /after HTTP/1.1\r\nHost: localhost\r\n\r\n");
    let log = server.wait_for_log("\"GET /after HTTP/1.1\" 200");
    assert!(!log.contains("favicon"), "{log}");

    let debug = TestServer::start(&[]);
    let mut stream = debug.connect();
    stream
        .write_all(b"GET /favicon.ico HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .unwrap();
    stream.read_to_string(&mut whole).unwrap();
    debug.wait_for_log("\"GET /favicon.ico HTTP/1.1\" 204 0");
}

/// What real curl sends, as the HTML echo shows it: every header has a note.
#[test]
fn every_header_curl_sends_gets_a_note() {
    if Command::new("curl").arg("--version").output().is_err() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "curl is required in CI"
        );
        eprintln!("skipped: curl not installed");
        return;
    }
    let server = TestServer::start(&[]);
    let url = format!("http://localhost:{}/n", server.addr().port());
    for extra in [
        &[][..],
        &[
            "-d",
            "a=1",
            "-u",
            "user:pw",
            "-e",
            "http://localhost/",
            "-b",
            "c=1",
        ],
        &["-r", "0-1", "--compressed", "-T", "-"],
    ] {
        let out = Command::new("curl")
            .args(["-s", "--max-time", "10", "-H", "Accept: text/html"])
            .args(extra)
            .arg(&url)
            .stdin(std::process::Stdio::null())
            .output()
            .expect("run curl");
        let html = String::from_utf8_lossy(&out.stdout);
        let rows = html.matches("<td class=\"note\">").count();
        assert!(rows >= 3, "{extra:?}: {html}");
        assert!(
            !html.contains("<td class=\"note\"></td>"),
            "{extra:?}: {html}"
        );
    }
}

// ---- what caches are told ------------------------------------------------------------

/// The echo is chosen by `Accept` and shows the client's own fields and address: it
/// says `Vary: Accept` (RFC 9110 §12.5.5) and `Cache-Control: no-store` (RFC 9111
/// §5.2.2.5), in every format and to a `HEAD`, so no shared cache hands one client's
/// echo to another. An error and the favicon's 204 say `no-store` too, and no `Vary`:
/// neither is chosen by a request field (the reasons are in `src/http/response.rs`).
#[test]
fn echoes_vary_on_accept_and_nothing_is_stored() {
    let server = TestServer::start(&[]);
    for accept in ["*/*", "application/json", "text/html"] {
        for method in ["GET", "HEAD"] {
            let mut stream = server.connect();
            write!(
                stream,
                "{method} / HTTP/1.1\r\nHost: localhost\r\nAccept: {accept}\r\n\r\n"
            )
            .unwrap();
            let r = if method == "HEAD" {
                support::read_head_response(&mut stream)
            } else {
                read_response(&mut stream)
            };
            assert_eq!(r.status, 200);
            assert_eq!(r.header("vary"), Some("Accept"), "{method} {accept}");
            assert_eq!(r.header("cache-control"), Some("no-store"), "{method}");
        }
    }
    for (request, status) in [
        (
            &b"GET /favicon.ico HTTP/1.1\r\nHost: localhost\r\n\r\n"[..],
            204,
        ),
        (b"GET / HTTP/1.1\r\nHost: evil.example\r\n\r\n", 400),
        (
            b"GET / HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: gzip\r\n\r\n",
            501,
        ),
    ] {
        // A 204 has no Content-Length: its head is all there is to read.
        let mut stream = server.connect();
        stream.write_all(request).unwrap();
        let r = support::read_head_response(&mut stream);
        assert_eq!(r.status, status);
        assert_eq!(r.header("vary"), None, "{status}");
        assert_eq!(r.header("cache-control"), Some("no-store"), "{status}");
    }
}

// ---- a body larger than the echo shows -------------------------------------------------

/// POSTs `body` with `accept` on a new connection and returns the response.
fn post(server: &TestServer, accept: &str, body: &[u8]) -> Response {
    let mut stream = server.connect();
    let head = format!(
        "POST /upload HTTP/1.1\r\nHost: localhost\r\nAccept: {accept}\r\n\
         Content-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    read_response(&mut stream)
}

/// The largest body allowed (1 MiB) is shown up to `--echo-body-bytes` (16 KiB by
/// default) in every format, each giving the whole length and how much is shown; the
/// rest was counted, never kept, so the echo is as long as a 16 KiB body's.
#[test]
fn a_body_over_echo_body_bytes_is_shown_up_to_it_in_every_format() {
    let server = TestServer::start(&[]);
    let body = vec![b'x'; 1 << 20];
    let text = post(&server, "text/plain", &body);
    assert_eq!(text.status, 200);
    let shown = "body:    1048576 bytes (the first 16384 shown: --echo-body-bytes)\n";
    assert!(text.text().contains(shown), "{}", &text.text()[..600]);
    assert!(
        text.text()
            .ends_with("xxxx\n... 1032192 more bytes (--echo-body-bytes)\n")
    );
    let json = post(&server, "application/json", &body).json();
    assert_eq!(json["body_length"], 1 << 20);
    assert_eq!(json["body_shown"], 16384);
    assert_eq!(json["body"].as_str().map(str::len), Some(16384));
    let html = post(&server, "text/html", &body);
    assert!(
        html.text()
            .contains("1048576 bytes (the first 16384 shown: --echo-body-bytes)")
    );
    for r in [&text, &html] {
        assert!(r.body.len() < 16384 + 8192, "{} bytes", r.body.len());
    }
    // Not UTF-8: the JSON echo's base64 holds the bytes shown, not the megabyte.
    let binary = post(&server, "application/json", &vec![0xff; 1 << 20]).json();
    assert_eq!(
        (&binary["body_length"], &binary["body_shown"]),
        (&(1 << 20).into(), &16384.into())
    );
    assert_eq!(
        binary["body_base64"].as_str().map(str::len),
        Some(16384 / 3 * 4 + 4)
    );
}

/// `--echo-body-bytes` sets how much is shown; a body within it is shown whole.
#[test]
fn echo_body_bytes_sets_how_much_of_a_body_is_shown() {
    let server = TestServer::start(&["--echo-body-bytes", "4"]);
    let json = post(&server, "application/json", b"hello").json();
    assert_eq!(
        (&json["body"], &json["body_shown"], &json["body_length"]),
        (&"hell".into(), &4.into(), &5.into())
    );
    let json = post(&server, "application/json", b"hey").json();
    assert_eq!(
        (&json["body"], &json["body_shown"], &json["body_length"]),
        (&"hey".into(), &3.into(), &3.into())
    );
}
