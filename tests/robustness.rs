//! Robustness: shutting down without losing work, running out of descriptors,
//! connection limits, stalled bodies, lingering close, output backpressure, workers.
//!
//! Each test starts the real binary on loopback, is bounded in count and time, and
//! prints its figures (connections, bytes, descriptors, seconds) so a run shows what
//! was exercised. Nothing here asserts on speed: the bounds only stop a hung test.

mod support;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use support::{TestServer, connect, is_closed, read_response};

/// One response parsed out of a byte buffer: status, whether it says
/// `Connection: close`, and its length on the wire.
struct Parsed {
    status: u16,
    closes: bool,
    len: usize,
}

/// Parses the response at the start of `bytes`, or `None` if it is not all there.
fn parse_one(bytes: &[u8]) -> Option<Parsed> {
    let end = bytes.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let head = std::str::from_utf8(&bytes[..end]).expect("an ASCII head");
    let status = head.get(9..12)?.parse().ok()?;
    let mut length = 0;
    let mut closes = false;
    for line in head.split("\r\n").skip(1) {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        if name.eq_ignore_ascii_case("content-length") {
            length = value.trim().parse().ok()?;
        }
        if name.eq_ignore_ascii_case("connection") && value.trim() == "close" {
            closes = true;
        }
    }
    (bytes.len() >= end + length).then_some(Parsed {
        status,
        closes,
        len: end + length,
    })
}

/// Splits everything a connection received into whole responses; panics on a response
/// cut part-way.
fn parse_all(mut bytes: &[u8]) -> Vec<Parsed> {
    let mut all = Vec::new();
    while !bytes.is_empty() {
        let Some(one) = parse_one(bytes) else {
            panic!(
                "a response was cut off after {} whole ones: {:?}",
                all.len(),
                String::from_utf8_lossy(&bytes[..bytes.len().min(200)])
            );
        };
        bytes = &bytes[one.len..];
        all.push(one);
    }
    all
}

/// Reads until the server closes (or resets) the connection.
fn read_to_close(stream: &mut TcpStream) -> Vec<u8> {
    let mut received = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return received,
            Ok(n) => received.extend_from_slice(&buf[..n]),
            Err(e) => panic!("after {} bytes: {e}", received.len()),
        }
    }
}

/// A client whose receive buffer is small, so that the server's answers back up in
/// the server rather than in the kernel while the client does not read.
fn connect_small_window(addr: SocketAddr) -> TcpStream {
    let socket =
        socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).expect("a socket");
    socket.set_recv_buffer_size(16 * 1024).expect("SO_RCVBUF");
    socket.connect(&addr.into()).expect("connect");
    let stream: TcpStream = socket.into();
    stream
        .set_read_timeout(Some(support::PATIENCE))
        .expect("read timeout");
    stream
        .set_write_timeout(Some(support::PATIENCE))
        .expect("write timeout");
    stream
}

#[test]
fn sigterm_during_a_200_request_pipeline_loses_no_response_and_exits_0() {
    let mut server =
        TestServer::start_with(&["--max-header-bytes", "65536"], &[("RUST_LOG", "info")]);
    let mut stream = connect_small_window(server.addr());
    // 200 requests whose echoes (~60 KB each, ~12 MB in all) cannot all fit in the
    // socket buffers (at most 4 MB each way here): when the signal comes, the server
    // is part-way through them.
    let pad = "p".repeat(30_000);
    let one = format!("GET /pipe HTTP/1.1\r\nHost: localhost\r\nX-Pad: {pad}\r\n\r\n");
    let burst = one.repeat(200).into_bytes();
    let sent = burst.len();
    let mut writer = stream.try_clone().unwrap();
    // The writer may be cut short once the server stops reading: what it could not
    // send is not a request, and the server says so with `Connection: close`.
    let sender = thread::spawn(move || writer.write_all(&burst).is_ok());
    server.wait_for_log("\"GET /pipe HTTP/1.1\" 200");
    thread::sleep(Duration::from_millis(200));

    let start = Instant::now();
    server.signal("TERM");
    server.wait_for_log("shutting down");
    let received = read_to_close(&mut stream);
    drop(stream);
    let all_sent = sender.join().unwrap();
    let code = server.wait_exit(support::PATIENCE);
    let responses = parse_all(&received);
    eprintln!(
        "pipeline: {sent} bytes of 200 requests sent (all: {all_sent}), {} whole responses \
         ({} bytes) received, exit {code:?} {:.3} s after SIGTERM",
        responses.len(),
        received.len(),
        start.elapsed().as_secs_f64()
    );
    assert!(!responses.is_empty());
    assert!(responses.iter().all(|r| r.status == 200));
    let (last, before) = responses.split_last().unwrap();
    assert!(last.closes, "the last response says Connection: close");
    assert!(
        before.iter().all(|r| !r.closes),
        "only the last one says close"
    );
    assert_eq!(code, Some(0), "log:\n{}", server.log());
    let log = server.log();
    assert!(log.contains("drained in"), "{log}");
}

#[test]
fn sigterm_while_a_body_is_half_in_answers_it_and_closes_idle_ones_at_once() {
    let mut server = TestServer::start(&[]);
    let addr = server.addr();
    // An idle keep-alive connection, and one part-way through a body.
    let mut idle = server.connect();
    idle.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .unwrap();
    assert_eq!(read_response(&mut idle).status, 200);
    let mut upload = server.connect();
    upload
        .write_all(b"POST /up HTTP/1.1\r\nHost: localhost\r\nContent-Length: 10\r\n\r\n12345")
        .unwrap();
    server.wait_for_log("> Content-Length: 10");
    thread::sleep(Duration::from_millis(100));

    let start = Instant::now();
    server.signal("TERM");
    server.wait_for_log("shutting down");
    // The idle connection is closed at once, and the port is free for a new server.
    assert!(is_closed(&mut idle));
    let rebound = std::net::TcpListener::bind(addr);
    assert!(rebound.is_ok(), "port still taken: {rebound:?}");
    drop(rebound);
    // The rest of the body arrives after the signal, and is answered.
    upload.write_all(b"67890").unwrap();
    let response = read_response(&mut upload);
    assert_eq!(response.status, 200);
    assert_eq!(response.header("connection"), Some("close"));
    assert!(
        response.text().contains("1234567890"),
        "{}",
        response.text()
    );
    assert!(is_closed(&mut upload));
    let code = server.wait_exit(support::PATIENCE);
    eprintln!(
        "half a body: answered and exited {code:?} {:.3} s after SIGTERM",
        start.elapsed().as_secs_f64()
    );
    assert_eq!(code, Some(0));
    let log = server.log();
    assert!(
        log.contains("1 idle connection(s) closed, 1 to finish"),
        "{log}"
    );
    assert!(
        log.contains("1 finished, 1 request(s) answered during the drain"),
        "{log}"
    );
}

#[test]
fn a_second_sigterm_exits_at_once() {
    let mut server = TestServer::start(&[]);
    // A body that never ends holds the drain open (for the 10 s grace).
    let mut stuck = server.connect();
    stuck
        .write_all(b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 10\r\n\r\n12")
        .unwrap();
    server.wait_for_log("> Content-Length: 10");
    server.signal("TERM");
    server.wait_for_log("shutting down");
    assert_eq!(
        server.wait_exit(Duration::from_millis(300)),
        None,
        "still draining"
    );
    let start = Instant::now();
    server.signal("TERM");
    let code = server.wait_exit(support::PATIENCE);
    eprintln!(
        "second SIGTERM: exit {code:?} after {:.3} s",
        start.elapsed().as_secs_f64()
    );
    assert_eq!(code, Some(128 + 15));
    assert!(server.log().contains("second SIGTERM: exiting at once"));
}

#[test]
fn shutdown_grace_cuts_off_what_is_left_says_what_and_exits_0() {
    let mut server = TestServer::start(&["--shutdown-grace", "1"]);
    let mut stalled = server.connect();
    stalled
        .write_all(b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 10\r\n\r\n12")
        .unwrap();
    server.wait_for_log("> Content-Length: 10");
    let start = Instant::now();
    server.signal("INT");
    let code = server.wait_exit(support::PATIENCE);
    eprintln!(
        "grace 1 s: exit {code:?} after {:.3} s",
        start.elapsed().as_secs_f64()
    );
    assert_eq!(code, Some(0));
    let log = server.log();
    assert!(
        log.contains("--shutdown-grace of 1 s ran out: cutting off 1 connection(s)"),
        "{log}"
    );
    assert!(log.contains("reading a body"), "{log}");
}

#[test]
fn out_of_descriptors_turns_clients_away_without_spinning_then_serves_again() {
    const LIMIT: u32 = 64;
    const CLIENTS: usize = 150;
    let server = TestServer::start_with_nofile(LIMIT, &[], &[("RUST_LOG", "info")]);
    let request = b"GET /fd HTTP/1.1\r\nHost: localhost\r\n\r\n";
    let mut clients: Vec<TcpStream> = Vec::with_capacity(CLIENTS);
    for _ in 0..CLIENTS {
        let mut stream = server.connect();
        stream.write_all(request).unwrap();
        clients.push(stream);
    }
    let (mut served, mut turned_away, mut dropped) = (0, 0, 0);
    // The answers come in one turn of the loop; a client left waiting in the backlog
    // would wait for ever, so all the reads together get one budget.
    let budget = Instant::now() + support::PATIENCE;
    for stream in &mut clients {
        let left = budget.saturating_duration_since(Instant::now());
        stream
            .set_read_timeout(Some(left.max(Duration::from_millis(50))))
            .unwrap();
        let mut head = [0u8; 12];
        match stream.read_exact(&mut head) {
            Ok(()) if &head == b"HTTP/1.1 200" => served += 1,
            Ok(()) if &head == b"HTTP/1.1 503" => turned_away += 1,
            Ok(()) => panic!("unexpected {:?}", String::from_utf8_lossy(&head)),
            // Closed (or reset) without an answer: turned away all the same.
            Err(_) => dropped += 1,
        }
    }
    // All descriptors taken by the connections it serves: the loop must sleep, not spin.
    let cpu_before = server.cpu_time();
    thread::sleep(Duration::from_secs(1));
    let cpu_used = server.cpu_time() - cpu_before;
    eprintln!(
        "ulimit -n {LIMIT}, {CLIENTS} clients: {served} served, {turned_away} answered 503, \
         {dropped} closed without an answer; {} ms CPU in the next second",
        cpu_used.as_millis()
    );
    assert_eq!(served + turned_away + dropped, CLIENTS);
    assert!(
        served > 0 && turned_away + dropped > 0,
        "descriptors ran out"
    );
    assert!(turned_away > 0, "some were told why (503)");
    assert!(
        cpu_used < Duration::from_millis(250),
        "the loop spins: {cpu_used:?}"
    );

    // Free every descriptor; a new client is served, well within the bound.
    drop(clients);
    let start = Instant::now();
    let mut stream = server.connect();
    stream
        .set_read_timeout(Some(Duration::from_secs(3)))
        .unwrap();
    stream.write_all(request).unwrap();
    let response = read_response(&mut stream);
    eprintln!(
        "after freeing: served in {:.3} s",
        start.elapsed().as_secs_f64()
    );
    assert_eq!(response.status, 200);
    assert!(server.log().contains("out of file descriptors"));
}

#[test]
fn max_connections_50_with_60_clients_turns_10_away_and_existing_ones_never_notice() {
    let server = TestServer::start_with(&["--max-connections", "50"], &[("RUST_LOG", "info")]);
    let request = b"GET /limit HTTP/1.1\r\nHost: localhost\r\n\r\n";
    let mut kept: Vec<TcpStream> = (0..50)
        .map(|_| {
            let mut stream = server.connect();
            stream.write_all(request).unwrap();
            assert_eq!(read_response(&mut stream).status, 200);
            stream
        })
        .collect();
    let start = Instant::now();
    for _ in 0..10 {
        let mut stream = server.connect();
        stream.write_all(request).unwrap();
        let response = read_response(&mut stream);
        assert_eq!(response.status, 503);
        assert_eq!(response.header("connection"), Some("close"));
        assert!(response.text().contains("--max-connections"));
        assert!(is_closed(&mut stream));
    }
    let turned_away_in = start.elapsed();
    // Every one of the 50 is still served, on its kept-alive connection.
    for stream in &mut kept {
        stream.write_all(request).unwrap();
        assert_eq!(read_response(stream).status, 200);
    }
    // One leaves; its slot is free for a newcomer (once the server has seen it close).
    drop(kept.pop());
    let mut attempts = 0;
    let status = loop {
        attempts += 1;
        let mut stream = server.connect();
        stream.write_all(request).unwrap();
        let status = read_response(&mut stream).status;
        if status == 200 || attempts == 100 {
            break status;
        }
        thread::sleep(Duration::from_millis(20));
    };
    eprintln!(
        "--max-connections 50, 60 clients: 50 served twice, 10 answered 503 in {:.3} s; \
         a slot freed was taken after {attempts} attempt(s)",
        turned_away_in.as_secs_f64()
    );
    assert_eq!(status, 200);
    assert!(
        server
            .log()
            .contains("50 connections open (--max-connections)")
    );
}

#[test]
fn a_stalled_body_gets_408_at_the_body_timeout() {
    let server = TestServer::start(&["--body-timeout", "1"]);
    let mut stream = server.connect();
    let start = Instant::now();
    stream
        .write_all(b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 10\r\n\r\n12345")
        .unwrap();
    let response = read_response(&mut stream);
    let waited = start.elapsed();
    eprintln!(
        "stalled body (5 of 10 bytes): {} after {:.3} s",
        response.status,
        waited.as_secs_f64()
    );
    assert_eq!(response.status, 408);
    assert_eq!(response.header("connection"), Some("close"));
    assert!(
        response
            .text()
            .contains("body was not received within 1 s (--body-timeout)"),
        "{}",
        response.text()
    );
    assert!(waited >= Duration::from_millis(900), "{waited:?}");
    assert!(is_closed(&mut stream));
}

#[test]
fn a_body_trickling_a_byte_at_a_time_still_hits_the_body_timeout() {
    // The deadline is for the whole body: bytes that keep coming do not move it, or a
    // client sending one byte per idle time-out would hold the connection for ever.
    let server = TestServer::start(&["--body-timeout", "1", "--idle-timeout", "30"]);
    let mut stream = server.connect();
    stream
        .write_all(b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\n")
        .unwrap();
    let mut writer = stream.try_clone().unwrap();
    let answered = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stop = std::sync::Arc::clone(&answered);
    let trickler = thread::spawn(move || {
        let mut sent = 0;
        // At most 40 bytes over 4 s: bounded, and never the whole 100.
        while sent < 40
            && !stop.load(std::sync::atomic::Ordering::SeqCst)
            && writer.write_all(b"x").is_ok()
        {
            sent += 1;
            thread::sleep(Duration::from_millis(100));
        }
        sent
    });
    let start = Instant::now();
    let response = read_response(&mut stream);
    let waited = start.elapsed();
    answered.store(true, std::sync::atomic::Ordering::SeqCst);
    let sent = trickler.join().unwrap();
    eprintln!(
        "trickled body: {} after {:.3} s, {sent} bytes trickled in all",
        response.status,
        waited.as_secs_f64()
    );
    assert_eq!(response.status, 408);
    assert!(sent < 40, "the trickle was cut off by the deadline");
}

/// Sends `first`, waits until the server has refused it, then sends `rest` (the
/// client keeps sending after the error), and only then reads: it must get the whole
/// response. Without a lingering close the server closes with `rest` unread, the
/// kernel answers it with a reset, and the client's write fails.
fn keep_sending_after_the_refusal(
    server: &TestServer,
    first: &[u8],
    rest: &[u8],
) -> support::Response {
    let mut stream = server.connect();
    stream.write_all(first).unwrap();
    server.wait_for_log(" rejected: ");
    thread::sleep(Duration::from_millis(50));
    let start = Instant::now();
    // In pieces, with pauses, as a client on a real network would: a reset sent in
    // answer to the first piece is then seen by the next write.
    for piece in rest.chunks(16 * 1024) {
        if let Err(e) = stream.write_all(piece) {
            panic!("the server reset the connection while the client was still sending: {e}");
        }
        thread::sleep(Duration::from_millis(2));
    }
    let response = read_response(&mut stream);
    assert!(is_closed(&mut stream));
    eprintln!(
        "{} after {} + {} bytes sent: read whole {:.3} s after the refusal was logged",
        response.status,
        first.len(),
        rest.len(),
        start.elapsed().as_secs_f64()
    );
    response
}

#[test]
fn lingering_close_lets_a_client_still_sending_read_its_413() {
    let server = TestServer::start_with(&[], &[("RUST_LOG", "info")]);
    // Over the default 1 MiB limit: refused on the head, with 2 MiB on its way.
    let body = vec![b'b'; 2 << 20];
    let head = format!(
        "POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let response = keep_sending_after_the_refusal(&server, head.as_bytes(), &body);
    assert_eq!(response.status, 413);
    assert_eq!(response.header("connection"), Some("close"));
}

#[test]
fn lingering_close_lets_a_client_still_sending_read_its_431() {
    let server = TestServer::start_with(&[], &[("RUST_LOG", "info")]);
    // A 1 MB head: refused after the first 8 KiB.
    let mut first = b"GET / HTTP/1.1\r\nHost: localhost\r\nX-Big: ".to_vec();
    first.extend(std::iter::repeat_n(b'a', 16 * 1024));
    let mut rest = vec![b'a'; 1 << 20];
    rest.extend_from_slice(b"\r\n\r\n");
    let response = keep_sending_after_the_refusal(&server, &first, &rest);
    assert_eq!(response.status, 431);
}

#[test]
fn lingering_close_lets_a_refused_host_with_an_upload_read_its_400() {
    let server = TestServer::start_with(&[], &[("RUST_LOG", "info")]);
    let body = vec![b'u'; 200 * 1024];
    let head = format!(
        "POST / HTTP/1.1\r\nHost: evil.example\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let response = keep_sending_after_the_refusal(&server, head.as_bytes(), &body);
    assert_eq!(response.status, 400);
    assert!(response.text().contains("Invalid HTTP_HOST header"));
}

#[test]
fn memory_stays_bounded_for_a_client_that_sends_and_never_reads() {
    let server = TestServer::start_with(&[], &[("RUST_LOG", "warn")]);
    let before = server.memory_kib("VmRSS");
    let mut stream = connect_small_window(server.addr());
    stream
        .set_write_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    // Pipelined requests, as fast as the server takes them, for at most 64 MiB or
    // until the server stops reading (the write blocks for half a second).
    let one = b"GET /never-read HTTP/1.1\r\nHost: localhost\r\nX-Pad: padding-padding\r\n\r\n";
    let chunk = one.repeat(1024);
    let mut sent = 0usize;
    let start = Instant::now();
    let mut stopped = None;
    while sent < 64 << 20 && start.elapsed() < Duration::from_secs(5) {
        match stream.write(&chunk) {
            Ok(n) => sent += n,
            Err(e) => {
                stopped = Some(e);
                break;
            }
        }
    }
    thread::sleep(Duration::from_millis(200));
    // The peak, not the present: a server that gave up on the client (and freed what
    // it held) must not pass for one that bounded its memory.
    let after = server.memory_kib("VmHWM");
    eprintln!(
        "never-reading client: {sent} bytes of requests taken in {:.3} s, then {stopped:?}; \
         server RSS {before} KiB before, peak {after} KiB",
        start.elapsed().as_secs_f64()
    );
    let stopped = stopped.expect("the server stopped reading");
    assert!(
        matches!(
            stopped.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        ),
        "the connection was dropped, not held: {stopped}"
    );
    // The server stops reading once its answers back up, so what it holds is bounded
    // by its output high-water mark and the socket buffers, not by what was sent.
    assert!(
        after < before + 16 * 1024,
        "memory grew by {} KiB",
        after - before
    );
    drop(stream);
    assert_eq!(
        server
            .send(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
            .status,
        200
    );
}

#[test]
fn two_workers_both_answer_and_both_drain() {
    let mut server = TestServer::start(&["--workers", "2"]);
    let request = b"GET /w HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
    // SO_REUSEPORT spreads connections by a hash of their addresses: 40 connections
    // all landing on one worker would be a 1 in 2^39 chance.
    for _ in 0..40 {
        assert_eq!(server.send(request).status, 200);
    }
    let log = server.log();
    let suffix = |w: usize| format!(" worker={w}");
    let on = |w: usize| {
        log.lines()
            .any(|l| l.contains("\"GET /w HTTP/1.1\" 200 ") && l.ends_with(&suffix(w)))
    };
    eprintln!(
        "--workers 2: {} answers by worker 1, {} by worker 2",
        log.matches("worker=1").count(),
        log.matches("worker=2").count()
    );
    assert!(on(1) && on(2), "{log}");

    // A body half in on some worker; SIGTERM; every worker drains, the body is answered.
    let mut upload = server.connect();
    upload
        .write_all(b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 4\r\n\r\nab")
        .unwrap();
    server.wait_for_log("> Content-Length: 4");
    server.signal("TERM");
    server.wait_for_log("shutting down");
    upload.write_all(b"cd").unwrap();
    assert_eq!(read_response(&mut upload).status, 200);
    let code = server.wait_exit(support::PATIENCE);
    let log = server.log();
    eprintln!("--workers 2: exit {code:?} after draining");
    assert_eq!(code, Some(0), "{log}");
    assert!(log.contains("worker 1: drained in"), "{log}");
    assert!(log.contains("worker 2: drained in"), "{log}");
}

#[test]
fn two_workers_with_port_0_share_one_port() {
    let server = TestServer::start_with(
        &["--workers", "2", "--bind", "127.0.0.1:0,[::1]:0"],
        &[("RUST_LOG", "info")],
    );
    assert_eq!(server.addrs.len(), 2, "one listening line per address");
    for addr in &server.addrs {
        let mut stream = connect(*addr);
        stream
            .write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
            .unwrap();
        assert_eq!(read_response(&mut stream).status, 200);
    }
    eprintln!("--workers 2 on {:?}", server.addrs);
}

#[test]
fn help_names_each_robustness_flag_with_its_default_and_env_var() {
    let (code, out, _) = support::run_cli(&["--help"], &[]);
    assert_eq!(code, 0);
    for (flag, env, default) in [
        ("--body-timeout", "HOSTECHO_BODY_TIMEOUT", "[default: 30]"),
        (
            "--max-connections",
            "HOSTECHO_MAX_CONNECTIONS",
            "[default: 10000]",
        ),
        (
            "--shutdown-grace",
            "HOSTECHO_SHUTDOWN_GRACE",
            "[default: 10]",
        ),
        ("--workers", "HOSTECHO_WORKERS", "[default: 1]"),
    ] {
        // A flag's entry runs from its line to the next flag's (clap wraps long help).
        let lines: Vec<&str> = out.lines().collect();
        let start = lines
            .iter()
            .position(|l| l.trim_start().starts_with(flag))
            .unwrap_or_else(|| panic!("--help lacks {flag}:\n{out}"));
        let end = lines[start + 1..]
            .iter()
            .position(|l| l.trim_start().starts_with('-'))
            .map_or(lines.len(), |i| start + 1 + i);
        let entry = lines[start..end].join(" ");
        assert!(entry.contains(env), "{flag} lacks {env}:\n{entry}");
        assert!(entry.contains(default), "{flag} lacks {default}:\n{entry}");
    }
}
