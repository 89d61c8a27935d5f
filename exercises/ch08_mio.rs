//! Exercise for chapter 8: non-blocking with mio — one thread, one `Poll`, every
//! connection, and every read and write going until the OS says `WouldBlock`.
//!
//! This is the chapter's server with its reading and writing taken out: `read_head`
//! and `write_pending` are yours to write; the event loop, `accept_all` and `drive` are
//! given. Run it, and grade it from another terminal:
//!
//! ```text
//! cargo run --example ex08_mio                             # listens on 127.0.0.1:8098
//! cargo run -- grade 8 127.0.0.1:8098
//! ```
//!
//! Until they are written, each connection reaches a `todo!()` at its first event: the
//! server prints the panic, closes that connection without an answer, and goes on
//! serving. The reference solution is `examples/ch08_mio.rs`.

// Until the `todo!()`s are written, some names go unused. Delete this line when you are
// done: the compiler then tells you about anything you left unused.
#![allow(unused_variables, unused_imports, dead_code)]

use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::panic::{self, AssertUnwindSafe};
use std::process::ExitCode;

use anyhow::Context as _;
use log::{debug, info, warn};
use mio::event::Event;
use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token};
use slab::Slab;

/// The listening socket's token. Connections get `Token(key + 1)`, `key` being their
/// index in the slab, so no connection can ever be mistaken for the listener.
const LISTENER: Token = Token(0);

/// The largest head we read.
const MAX_HEAD_BYTES: usize = 8 * 1024;

/// One client: its socket and what is in flight. Nothing here blocks, so the loop
/// keeps this state between events instead of keeping a thread waiting in `read`.
struct Connection {
    stream: TcpStream,
    peer: SocketAddr,
    /// Bytes of the head read so far.
    read_buf: Vec<u8>,
    /// The response, and how much of it the socket has taken.
    write_buf: Vec<u8>,
    written: usize,
    /// Readiness events received, counted in the log when the connection closes.
    events: u64,
}

fn main() -> ExitCode {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8098".to_string());
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"))
        .format_timestamp(None)
        .init();
    match run(&addr) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
fn run(addr: &str) -> anyhow::Result<()> {
    let parsed: SocketAddr = addr
        .parse()
        .with_context(|| format!("cannot bind {addr}: not an IP address with a port"))?;
    // mio's listener is non-blocking from birth: accept() never waits.
    let mut listener = TcpListener::bind(parsed).with_context(|| format!("cannot bind {addr}"))?;
    println!("listening on http://{}", listener.local_addr()?);

    // A Poll wraps the OS's readiness API (epoll on Linux, kqueue on the BSDs and macOS).
    // We register sockets with it, each under a Token of our choosing, and poll() sleeps
    // until at least one of them is ready, then tells us which, by token.
    let mut poll = Poll::new()?;
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)?;
    let mut events = Events::with_capacity(256);
    let mut connections: Slab<Connection> = Slab::new();

    loop {
        // No time-out: nothing to do until a socket is ready. (Chapter 9 gives poll a
        // time-out, to wake for deadlines.)
        if let Err(e) = poll.poll(&mut events, None) {
            // A signal interrupted the wait: nothing happened, wait again.
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e.into());
        }
        for event in events.iter() {
            match event.token() {
                LISTENER => accept_all(&listener, &poll, &mut connections)?,
                Token(n) => {
                    let key = n - 1;
                    // A stale event, for a connection closed earlier in this batch.
                    let Some(conn) = connections.get_mut(key) else {
                        continue;
                    };
                    // A panic (a `todo!()`, until you write it) ends this connection,
                    // not the server: the grader then finds a connection closed without
                    // an answer, rather than nothing listening at all.
                    let done = panic::catch_unwind(AssertUnwindSafe(|| {
                        drive(conn, event, &poll, Token(n))
                    }));
                    if done.unwrap_or(true) {
                        let mut conn = connections.remove(key);
                        let plural = if conn.events == 1 { "" } else { "s" };
                        info!("{} closed after {} event{plural}", conn.peer, conn.events);
                        // Dropping the stream closes it, and closing removes it from epoll;
                        // deregistering first says so plainly, and works on every OS.
                        poll.registry().deregister(&mut conn.stream)?;
                    }
                }
            }
        }
    }
}

/// Accepts every connection waiting in the backlog. Readiness is edge-triggered: the
/// listener was reported readable once, however many clients are queued, and will not
/// be reported again until another arrives. So accept until the OS says `WouldBlock`.
fn accept_all(
    listener: &TcpListener,
    poll: &Poll,
    connections: &mut Slab<Connection>,
) -> io::Result<()> {
    loop {
        let (mut stream, peer) = match listener.accept() {
            Ok(accepted) => accepted,
            // The backlog is empty: back to poll.
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            // One failed accept (the client reset while queued; out of file
            // descriptors) is no reason to stop the server.
            Err(e) => {
                warn!("accept failed: {e}");
                return Ok(());
            }
        };
        let entry = connections.vacant_entry();
        let token = Token(entry.key() + 1);
        // An HTTP server listens first: the client speaks, we answer. So READABLE, and
        // WRITABLE only when there is something to write.
        poll.registry()
            .register(&mut stream, token, Interest::READABLE)?;
        debug!("{peer} accepted as {token:?}");
        entry.insert(Connection {
            stream,
            peer,
            read_buf: Vec::new(),
            write_buf: Vec::new(),
            written: 0,
            events: 0,
        });
    }
}

/// Handles one readiness event for one connection. Returns true when it is done.
fn drive(conn: &mut Connection, event: &Event, poll: &Poll, token: Token) -> bool {
    conn.events += 1;
    debug!(
        "{} event {}:{}{}",
        conn.peer,
        conn.events,
        if event.is_readable() { " readable" } else { "" },
        if event.is_writable() { " writable" } else { "" },
    );
    // Until the head is complete, read. Whatever the event said: an event is a hint,
    // and a spurious one costs a single WouldBlock.
    if conn.write_buf.is_empty() {
        match read_head(conn) {
            Ok(Some(response)) => conn.write_buf = response,
            Ok(None) => return false,
            Err(e) => {
                debug!("{} read: {e}", conn.peer);
                return true;
            }
        }
    }
    match write_pending(conn) {
        // All written: one request per connection, so we are done.
        Ok(true) => true,
        // The socket's send buffer is full. Ask to hear when it has room again: without
        // WRITABLE interest no event would ever come, and the answer would sit here.
        Ok(false) => want_writable(conn, poll, token),
        Err(e) => {
            debug!("{} write: {e}", conn.peer);
            true
        }
    }
}

/// Asks to hear when the socket has room again. Returns false (not done).
fn want_writable(conn: &mut Connection, poll: &Poll, token: Token) -> bool {
    if let Err(e) = poll
        .registry()
        .reregister(&mut conn.stream, token, Interest::WRITABLE)
    {
        debug!("{} reregister: {e}", conn.peer);
        return true;
    }
    false
}

// ANCHOR: read_head
/// Reads until the socket has nothing more for now. `Ok(Some(response))` once the
/// head is complete; `Ok(None)` when it is not yet (wait for the next event).
fn read_head(conn: &mut Connection) -> io::Result<Option<Vec<u8>>> {
    // Your turn. Loop on `conn.stream.read` into a chunk, appending to `conn.read_buf`.
    // The socket is non-blocking, and readiness is edge-triggered: no new event comes
    // for bytes already waiting, so keep reading until the OS says so:
    // - `Err(e)` with `e.kind() == io::ErrorKind::WouldBlock`: all read for now, `Ok(None)`;
    // - `io::ErrorKind::Interrupted`: a signal, nothing read: read again;
    // - `Ok(0)`: the client closed before its head was complete: an error;
    // - after each read, ask httparse (chapter 5) whether the head is complete; when it
    //   is, keep the head alone in `read_buf` and return `Ok(Some(respond(conn)))`.
    //   A head over `MAX_HEAD_BYTES`, or malformed, is an error (the connection closes).
    todo!("read until WouldBlock, then answer a complete head")
}
/// The echo of the head, as a response.
fn respond(conn: &Connection) -> Vec<u8> {
    let head = String::from_utf8_lossy(&conn.read_buf).replace("\r\n", "\n");
    let request_line = head.lines().next().unwrap_or_default();
    info!("{} \"{}\" 200", conn.peer, request_line.escape_debug());
    format!(
        "HTTP/1.1 200 OK\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\
         Content-Length: {}\r\n\
         Connection: close\r\n\
         \r\n\
         {head}",
        head.len()
    )
    .into_bytes()
}

/// Writes until everything is sent (`Ok(true)`) or the socket is full (`Ok(false)`).
fn write_pending(conn: &mut Connection) -> io::Result<bool> {
    // Your turn. Write `conn.write_buf[conn.written..]` until all of it is sent. A
    // non-blocking write takes what fits, maybe only part: add what it took to
    // `conn.written`. `WouldBlock`: the socket's send buffer is full, `Ok(false)` (drive
    // then asks for WRITABLE). `Interrupted`: write again. `Ok(0)`: the peer is gone,
    // an error (`io::ErrorKind::WriteZero`).
    todo!("write until done or WouldBlock")
}
// ANCHOR_END: read_head
