//! The peers answer like echo servers should, before anyone trusts their timings.
//!
//! `cargo test --manifest-path benches/load/Cargo.toml`: starts `hyper_echo` and
//! `mio_echo` on 127.0.0.1:0, speaks raw bytes to them, and runs `idle_hold` against
//! one. Nothing here is timed.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A peer started on port 0; killed on drop.
struct Peer {
    child: Child,
    addr: String,
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(exe: &str) -> Peer {
    let mut child = Command::new(exe)
        .arg("127.0.0.1:0")
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the peer");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("piped stdout"))
        .read_line(&mut line)
        .expect("read its first line");
    let addr = line
        .trim()
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| panic!("first line {line:?}"))
        .to_owned();
    Peer { child, addr }
}

fn connect(peer: &Peer) -> TcpStream {
    let stream = TcpStream::connect(&peer.addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("set timeout");
    stream
}

/// Reads one response (head and Content-Length body); returns (status line, body).
fn read_response(stream: &mut TcpStream) -> (String, String) {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        let n = stream.read(&mut byte).expect("read head");
        assert_eq!(
            n,
            1,
            "connection closed mid-head: {:?}",
            String::from_utf8_lossy(&buf)
        );
        buf.push(byte[0]);
    }
    let head = String::from_utf8(buf).expect("ASCII head");
    let length: usize = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().ok())?
        })
        .expect("Content-Length");
    let mut body = vec![0u8; length];
    stream.read_exact(&mut body).expect("read body");
    (
        head.lines().next().unwrap_or("").to_owned(),
        String::from_utf8(body).expect("UTF-8 body"),
    )
}

fn echoes_request_line_and_headers(exe: &str) {
    let peer = start(exe);
    let mut stream = connect(&peer);
    // Two requests on one connection (keep-alive), the second with a body to skip, then
    // two pipelined in one write.
    stream
        .write_all(b"GET /a?x=1 HTTP/1.1\r\nHost: h\r\nX-Test: one\r\n\r\n")
        .expect("write");
    let (status, body) = read_response(&mut stream);
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert_eq!(
        body.to_ascii_lowercase(),
        "get /a?x=1 http/1.1\nhost: h\nx-test: one\n"
    );

    stream
        .write_all(b"POST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello")
        .expect("write");
    let (status, body) = read_response(&mut stream);
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert!(body.starts_with("POST /b HTTP/1.1\n"), "{body}");

    stream
        .write_all(b"GET /c HTTP/1.1\r\nHost: h\r\n\r\nGET /d HTTP/1.1\r\nHost: h\r\n\r\n")
        .expect("write");
    assert!(read_response(&mut stream).1.starts_with("GET /c "));
    assert!(read_response(&mut stream).1.starts_with("GET /d "));

    // HTTP/1.0 without keep-alive: answered, then closed.
    let mut stream = connect(&peer);
    stream
        .write_all(b"GET /e HTTP/1.0\r\nHost: h\r\n\r\n")
        .expect("write");
    assert!(
        read_response(&mut stream)
            .1
            .starts_with("GET /e HTTP/1.0\n")
    );
    let mut rest = Vec::new();
    stream.read_to_end(&mut rest).expect("read to the close");
    assert!(rest.is_empty());
}

#[test]
fn hyper_peer_echoes() {
    echoes_request_line_and_headers(env!("CARGO_BIN_EXE_hyper_echo"));
}

#[test]
fn mio_floor_echoes() {
    echoes_request_line_and_headers(env!("CARGO_BIN_EXE_mio_echo"));
}

#[test]
fn mio_floor_keeps_header_case() {
    let peer = start(env!("CARGO_BIN_EXE_mio_echo"));
    let mut stream = connect(&peer);
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: h\r\nX-MiXeD: v\r\n\r\n")
        .expect("write");
    assert_eq!(
        read_response(&mut stream).1,
        "GET / HTTP/1.1\nHost: h\nX-MiXeD: v\n"
    );
}

#[test]
fn idle_hold_reports_memory_per_connection() {
    let peer = start(env!("CARGO_BIN_EXE_mio_echo"));
    let out = Command::new(env!("CARGO_BIN_EXE_idle_hold"))
        .args([&peer.addr, "50", "--pid", &peer.child.id().to_string()])
        .output()
        .expect("run idle_hold");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.starts_with("idle: conns=50 ok=50 "), "{stdout}");
    assert!(stdout.contains(" bytes_per_conn="), "{stdout}");
}

#[test]
fn idle_hold_refuses_addresses_off_loopback() {
    let out = Command::new(env!("CARGO_BIN_EXE_idle_hold"))
        .args(["192.0.2.1:80", "1"])
        .output()
        .expect("run idle_hold");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("only connects to 127.0.0.0/8"));
}
