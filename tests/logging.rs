//! The log a learner reads: access lines at info, headers at debug, raw bytes at trace,
//! rejections at warn.

mod support;

use support::TestServer;

const GET: &[u8] =
    b"GET /index.html?name=jack HTTP/1.1\r\nHost: localhost\r\nUser-Agent: curl/8.5.0\r\n\r\n";

#[test]
fn info_logs_one_access_line_per_response() {
    let server = TestServer::start_with(&[], &[("RUST_LOG", "info")]);
    let r = server.send(GET);
    let log = server.wait_for_log("\"GET /index.html?name=jack HTTP/1.1\" 200");
    let line = log.lines().find(|l| l.contains("\" 200 ")).unwrap();
    assert!(line.contains("127.0.0.1:"), "{line}");
    assert!(line.contains(&format!(" 200 {} ", r.body.len())), "{line}");
    assert!(line.contains("host=localhost"), "{line}");
    assert!(
        !log.contains("User-Agent"),
        "headers are debug, not info:\n{log}"
    );
}

#[test]
fn access_line_counts_the_body_bytes_sent_so_none_for_head() {
    // The size in the access line is what went on the wire: a HEAD response carries
    // the GET's Content-Length but no body, so it logs 0.
    let server = TestServer::start_with(&[], &[("RUST_LOG", "info")]);
    let mut stream = server.connect();
    std::io::Write::write_all(
        &mut stream,
        b"HEAD /head HTTP/1.1\r\nHost: localhost\r\n\r\n",
    )
    .unwrap();
    let r = support::read_head_response(&mut stream);
    let length: usize = r.header("content-length").unwrap().parse().unwrap();
    assert!(length > 0);
    let log = server.wait_for_log("\"HEAD /head HTTP/1.1\" 200");
    let line = log.lines().find(|l| l.contains("\"HEAD /head")).unwrap();
    assert!(line.contains("\" 200 0 host=localhost"), "{line}");
}

#[test]
fn debug_logs_every_header_of_every_request() {
    let server = TestServer::start_with(&[], &[("RUST_LOG", "debug")]);
    server.send(GET);
    let log = server.wait_for_log("User-Agent: curl/8.5.0");
    assert!(
        log.contains("> GET /index.html?name=jack HTTP/1.1"),
        "{log}"
    );
    assert!(log.contains("> Host: localhost"), "{log}");
}

#[test]
fn trace_logs_raw_bytes_escaped() {
    let server = TestServer::start_with(&[], &[("RUST_LOG", "hostecho=trace")]);
    server.send(GET);
    let log = server.wait_for_log("read ");
    assert!(log.contains("Host: localhost\\r\\n"), "{log}");
    server.wait_for_log("wrote ");
}

#[test]
fn warn_logs_every_rejection_with_its_reason() {
    let server = TestServer::start_with(&[], &[("RUST_LOG", "warn")]);
    assert_eq!(
        server
            .send(b"GET / HTTP/1.1\r\nHost: evil.example\r\n\r\n")
            .status,
        400
    );
    let log = server.wait_for_log("Invalid HTTP_HOST header: 'evil.example'");
    assert!(log.contains("WARN"), "{log}");
    assert!(log.contains("127.0.0.1:"), "{log}");
    assert_eq!(
        server
            .send(b"GET / HTTP/9.9\r\nHost: localhost\r\n\r\n")
            .status,
        505
    );
    server.wait_for_log("HTTP/9.9");
}

#[test]
fn default_level_is_info() {
    let server = TestServer::start_with(&[], &[]);
    server.send(GET);
    let log = server.wait_for_log("\" 200 ");
    assert!(log.contains("INFO"), "{log}");
    assert!(!log.contains("DEBUG"), "{log}");
}

#[test]
fn trace_is_hostechos_alone_unless_rust_log_names_another_crate() {
    // At trace, mio logs every registration with its poller ("registering event source
    // with poller: token=Token(…)"), which buries the raw bytes a learner came for.
    let server = TestServer::start_with(&[], &[("RUST_LOG", "trace")]);
    server.send(GET);
    let log = server.wait_for_log("wrote ");
    assert!(log.contains("Host: localhost\\r\\n"), "{log}");
    let others: Vec<&str> = log.lines().filter(|l| !l.contains(" hostecho")).collect();
    assert!(
        others.is_empty(),
        "lines from other crates:\n{}",
        others.join("\n")
    );

    // Named, mio's trace is there.
    let server = TestServer::start_with(&[], &[("RUST_LOG", "info,mio=trace")]);
    server.send(GET);
    server.wait_for_log("\" 200 ");
    server.wait_for_log(" mio::");
}
