//! The floor: the least a mio + httparse server can do to give the same echo.
//!
//! Run: `cargo run --release --bin mio_echo -- 127.0.0.1:0`, then
//! `curl http://127.0.0.1:PORT/`. It prints `listening on http://ADDR` first.
//!
//! One thread, one `Poll`, one scratch read buffer shared by every connection; the echo
//! is the request line and headers as received (`Name: value`, original case), with a
//! `Date` formatted at most once a second, as hostecho does. What it leaves out is the
//! point: no Host policy, no size or count limits, no timeouts, no access log, no
//! chunked bodies (answered 501, then closed). Whatever hostecho spends above this is
//! the price of its checks and its structure, which is what the "≤ 1.05× the floor"
//! goal bounds.
//!
//! Not a server to expose: without limits, a client can grow a connection's buffer
//! without end. It binds where it is told, and the harness only tells it loopback.

use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant, SystemTime};

use anyhow::Context as _;
use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token};
use slab::Slab;

/// The listening socket's token; connections use their slab index, which never reaches it.
const LISTENER: Token = Token(usize::MAX);

/// One client: its socket, a partial request carried over between reads, and output the
/// socket would not take yet. Both buffers stay empty (unallocated) while idle.
struct Conn {
    stream: TcpStream,
    pending: Vec<u8>,
    out: Vec<u8>,
    /// Bytes of a request body still to skip (from Content-Length).
    skip: u64,
    /// Close once `out` drains (HTTP/1.0, `Connection: close`, or a request we refuse).
    close_after: bool,
    /// Whether WRITABLE is in the registered interest, so we change it only when needed
    /// (each change is an `epoll_ctl` system call).
    wants_write: bool,
}

/// The `Date` header value, rebuilt when the second changes.
struct DateCache {
    value: String,
    at: Instant,
}

impl DateCache {
    fn get(&mut self) -> &str {
        if self.at.elapsed() >= Duration::from_secs(1) {
            self.value = httpdate::fmt_http_date(SystemTime::now());
            self.at = Instant::now();
        }
        &self.value
    }
}

/// What parsing the front of a buffer gave.
enum Parsed {
    /// Not a whole head yet.
    Partial,
    /// A head of `used` bytes, answered into `out`.
    Answered { used: usize },
    /// Not HTTP: the connection is closed.
    Invalid,
}

/// Parses one request head at the front of `buf` and appends its answer to `conn.out`.
fn answer_one(buf: &[u8], conn: &mut Conn, date: &mut DateCache) -> Parsed {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut request = httparse::Request::new(&mut headers);
    let used = match request.parse(buf) {
        Ok(httparse::Status::Complete(used)) => used,
        Ok(httparse::Status::Partial) => return Parsed::Partial,
        // Also "more than 64 headers": the floor has no 431, it just hangs up.
        Err(_) => return Parsed::Invalid,
    };
    let minor = request.version.unwrap_or(1);
    let mut body = Vec::with_capacity(256);
    body.extend_from_slice(request.method.unwrap_or("").as_bytes());
    body.push(b' ');
    body.extend_from_slice(request.path.unwrap_or("").as_bytes());
    body.extend_from_slice(if minor == 0 {
        b" HTTP/1.0\n"
    } else {
        b" HTTP/1.1\n"
    });
    let mut keep_alive = minor == 1;
    let mut status = "200 OK";
    for header in request.headers.iter() {
        body.extend_from_slice(header.name.as_bytes());
        body.extend_from_slice(b": ");
        body.extend_from_slice(header.value);
        body.push(b'\n');
        if header.name.eq_ignore_ascii_case("content-length") {
            conn.skip = std::str::from_utf8(header.value)
                .ok()
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
        } else if header.name.eq_ignore_ascii_case("transfer-encoding") {
            status = "501 Not Implemented";
            keep_alive = false;
        } else if header.name.eq_ignore_ascii_case("connection") {
            let value = header.value.to_ascii_lowercase();
            if value == b"close" {
                keep_alive = false;
            } else if value == b"keep-alive" {
                keep_alive = true;
            }
        }
    }
    let head = format!(
        "HTTP/1.1 {status}\r\nDate: {}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\n{}\r\n",
        date.get(),
        body.len(),
        if keep_alive {
            ""
        } else {
            "Connection: close\r\n"
        },
    );
    conn.out.extend_from_slice(head.as_bytes());
    conn.out.extend_from_slice(&body);
    conn.close_after |= !keep_alive;
    Parsed::Answered { used }
}

/// Answers every whole request in `buf`; returns how many bytes were used, or `None`
/// when the connection must close.
fn answer_all(mut buf: &[u8], conn: &mut Conn, date: &mut DateCache) -> Option<usize> {
    let mut used_total = 0;
    loop {
        if conn.skip > 0 {
            let n = usize::try_from(conn.skip)
                .unwrap_or(usize::MAX)
                .min(buf.len());
            conn.skip -= n as u64;
            buf = &buf[n..];
            used_total += n;
        }
        if buf.is_empty() || conn.close_after {
            return Some(used_total);
        }
        match answer_one(buf, conn, date) {
            Parsed::Partial => return Some(used_total),
            Parsed::Invalid => return None,
            Parsed::Answered { used } => {
                buf = &buf[used..];
                used_total += used;
            }
        }
    }
}

/// Writes as much of `conn.out` as the socket takes. `Ok(true)`: all of it.
fn flush(conn: &mut Conn) -> io::Result<bool> {
    let mut written = 0;
    while written < conn.out.len() {
        match conn.stream.write(&conn.out[written..]) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => written += n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    conn.out.drain(..written);
    if conn.out.is_empty() {
        // Give the memory back: an idle connection holds no buffer.
        conn.out = Vec::new();
        return Ok(true);
    }
    Ok(false)
}

/// Handles readiness on one connection. `Ok(false)`: close it.
fn ready(
    conn: &mut Conn,
    scratch: &mut [u8],
    date: &mut DateCache,
    poll: &Poll,
    token: Token,
) -> io::Result<bool> {
    // Edge-triggered: read until WouldBlock, or readiness is not reported again.
    loop {
        match conn.stream.read(scratch) {
            Ok(0) => return Ok(false),
            Ok(n) => {
                let used = if conn.pending.is_empty() {
                    let Some(used) = answer_all(&scratch[..n], conn, date) else {
                        return Ok(false);
                    };
                    conn.pending.extend_from_slice(&scratch[used..n]);
                    continue;
                } else {
                    conn.pending.extend_from_slice(&scratch[..n]);
                    let pending = std::mem::take(&mut conn.pending);
                    let Some(used) = answer_all(&pending, conn, date) else {
                        return Ok(false);
                    };
                    conn.pending = pending;
                    used
                };
                conn.pending.drain(..used);
                if conn.pending.is_empty() {
                    conn.pending = Vec::new();
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return Ok(false),
        }
    }
    let drained = flush(conn)?;
    if drained && conn.close_after {
        return Ok(false);
    }
    // Ask for WRITABLE only while output is waiting; otherwise every write would wake us.
    if conn.wants_write == drained {
        conn.wants_write = !drained;
        let interest = if drained {
            Interest::READABLE
        } else {
            Interest::READABLE | Interest::WRITABLE
        };
        poll.registry()
            .reregister(&mut conn.stream, token, interest)?;
    }
    Ok(true)
}

fn main() -> anyhow::Result<()> {
    let arg = std::env::args().nth(1);
    let addr: SocketAddr = arg
        .as_deref()
        .unwrap_or("127.0.0.1:8090")
        .parse()
        .context("the first argument is the address to listen on, like 127.0.0.1:0")?;
    let mut listener = match TcpListener::bind(addr) {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("error: cannot bind {addr}: {e}");
            std::process::exit(1);
        }
    };
    println!("listening on http://{}", listener.local_addr()?);

    let mut poll = Poll::new()?;
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)?;
    let mut events = Events::with_capacity(1024);
    let mut conns: Slab<Conn> = Slab::new();
    let mut scratch = vec![0u8; 64 * 1024];
    let mut date = DateCache {
        value: httpdate::fmt_http_date(SystemTime::now()),
        at: Instant::now(),
    };

    loop {
        if let Err(e) = poll.poll(&mut events, None) {
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e.into());
        }
        for event in events.iter() {
            if event.token() == LISTENER {
                loop {
                    match listener.accept() {
                        Ok((mut stream, _)) => {
                            let _ = stream.set_nodelay(true);
                            let entry = conns.vacant_entry();
                            let token = Token(entry.key());
                            poll.registry()
                                .register(&mut stream, token, Interest::READABLE)?;
                            entry.insert(Conn {
                                stream,
                                pending: Vec::new(),
                                out: Vec::new(),
                                skip: 0,
                                close_after: false,
                                wants_write: false,
                            });
                        }
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                        // EMFILE and friends: try again at the next readiness event.
                        Err(e) => {
                            eprintln!("accept: {e}");
                            break;
                        }
                    }
                }
                continue;
            }
            let token = event.token();
            let Some(conn) = conns.get_mut(token.0) else {
                continue;
            };
            let keep = ready(conn, &mut scratch, &mut date, &poll, token).unwrap_or(false);
            if !keep {
                let mut conn = conns.remove(token.0);
                let _ = poll.registry().deregister(&mut conn.stream);
            }
        }
    }
}
