//! Chapter 8: non-blocking with mio — one thread, one `Poll`, every connection.
//!
//! Run it:
//!
//! ```text
//! RUST_LOG=debug cargo run --example ch08_mio 127.0.0.1:8090                  # WRITABLE only when needed
//! RUST_LOG=debug cargo run --example ch08_mio 127.0.0.1:8090 always-writable  # WRITABLE from the start
//! cargo run --example ch08_mio 127.0.0.1:8090 spin                            # re-arm after every event
//! ```
//!
//! Then, as in chapter 7, hold a connection open and ask for a page meanwhile:
//!
//! ```text
//! nc 127.0.0.1 8090                       # in one terminal, and type nothing
//! curl -m 2 http://127.0.0.1:8090/        # in another: answered at once
//! ```
//!
//! With `RUST_LOG=debug` every readiness event is logged, so you can count them. In
//! `spin` mode, watch the process in `top` while nc holds its connection: it burns a
//! whole core doing nothing, as a level-triggered loop that asks for WRITABLE does.
//!
//! Still one request per connection (`Connection: close`) and no time-outs: chapter 9.

use std::io::{self, Read, Write};
use std::net::SocketAddr;
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

/// When the loop asks for WRITABLE readiness.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// Only while response bytes are waiting for room in the socket: the right way.
    WhenNeeded,
    /// From accept on, as mio's own `tcp_server` example does (a server that speaks
    /// first). Edge-triggered, so no busy loop, but every event also says "writable".
    Always,
    /// Re-register READABLE | WRITABLE after every event. epoll re-checks readiness on
    /// every re-registration, so a writable socket is reported again at once: the loop
    /// never sleeps, as a level-triggered poller (`poll(2)`, `select`) that asks for
    /// WRITABLE never sleeps.
    Spin,
}

// ANCHOR: connection
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
    /// Readiness events received, to show how many each mode costs.
    events: u64,
}
// ANCHOR_END: connection

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:8090".to_string());
    let mode = match args.next().as_deref() {
        None => Mode::WhenNeeded,
        Some("always-writable") => Mode::Always,
        Some("spin") => Mode::Spin,
        Some(other) => {
            eprintln!("error: unknown mode {other:?}: say `always-writable` or `spin`, or nothing");
            return ExitCode::from(2);
        }
    };
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"))
        .format_timestamp(None)
        .init();
    match run(&addr, mode) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

// ANCHOR: event_loop
fn run(addr: &str, mode: Mode) -> anyhow::Result<()> {
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
                LISTENER => accept_all(&listener, &poll, &mut connections, mode)?,
                Token(n) => {
                    let key = n - 1;
                    // A stale event, for a connection closed earlier in this batch.
                    let Some(conn) = connections.get_mut(key) else {
                        continue;
                    };
                    if drive(conn, event, &poll, Token(n), mode) {
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
// ANCHOR_END: event_loop

// ANCHOR: accept
/// Accepts every connection waiting in the backlog. Readiness is edge-triggered: the
/// listener was reported readable once, however many clients are queued, and will not
/// be reported again until another arrives. So accept until the OS says `WouldBlock`.
fn accept_all(
    listener: &TcpListener,
    poll: &Poll,
    connections: &mut Slab<Connection>,
    mode: Mode,
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
        // WRITABLE only when there is something to write (unless told otherwise).
        let interest = match mode {
            Mode::WhenNeeded => Interest::READABLE,
            Mode::Always | Mode::Spin => Interest::READABLE | Interest::WRITABLE,
        };
        poll.registry().register(&mut stream, token, interest)?;
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
// ANCHOR_END: accept

// ANCHOR: drive
/// Handles one readiness event for one connection. Returns true when it is done.
fn drive(conn: &mut Connection, event: &Event, poll: &Poll, token: Token, mode: Mode) -> bool {
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
            Ok(None) => return rearm(conn, poll, token, mode, false),
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
        Ok(false) => rearm(conn, poll, token, mode, true),
        Err(e) => {
            debug!("{} write: {e}", conn.peer);
            true
        }
    }
}

/// Registers the interest this connection needs now. Returns false (not done).
fn rearm(conn: &mut Connection, poll: &Poll, token: Token, mode: Mode, wants_write: bool) -> bool {
    let result = match mode {
        // Only when the interest changes: every re-registration is a system call.
        Mode::WhenNeeded if wants_write => {
            poll.registry()
                .reregister(&mut conn.stream, token, Interest::WRITABLE)
        }
        Mode::WhenNeeded | Mode::Always => Ok(()),
        // The mistake on purpose: re-arming makes epoll look at the socket again, find it
        // writable, and report it at once, so the next poll() returns immediately.
        Mode::Spin => poll.registry().reregister(
            &mut conn.stream,
            token,
            Interest::READABLE | Interest::WRITABLE,
        ),
    };
    if let Err(e) = result {
        debug!("{} reregister: {e}", conn.peer);
        return true;
    }
    false
}
// ANCHOR_END: drive

// ANCHOR: read_head
/// Reads until the socket has nothing more for now. `Ok(Some(response))` once the
/// head is complete; `Ok(None)` when it is not yet (wait for the next event).
fn read_head(conn: &mut Connection) -> io::Result<Option<Vec<u8>>> {
    let mut chunk = [0u8; 4096];
    loop {
        match conn.stream.read(&mut chunk) {
            // The client closed its side before its head was complete: it will never be.
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => conn.read_buf.extend_from_slice(&chunk[..n]),
            // "Would block": nothing more has arrived. Edge-triggered, so we only hear of
            // this socket again when *new* bytes come: stopping before this point could
            // leave bytes unread with no event to remind us.
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(None),
            // A signal arrived during the call; nothing was read. Just try again.
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
        let mut headers = [httparse::EMPTY_HEADER; 64];
        match httparse::Request::new(&mut headers).parse(&conn.read_buf) {
            Ok(httparse::Status::Complete(len)) => {
                // Any bytes past the head are dropped: one request per connection.
                conn.read_buf.truncate(len);
                return Ok(Some(respond(conn)));
            }
            Ok(httparse::Status::Partial) if conn.read_buf.len() <= MAX_HEAD_BYTES => {}
            Ok(httparse::Status::Partial) => return Err(io::Error::other("head too large")),
            Err(e) => return Err(io::Error::other(format!("malformed request: {e}"))),
        }
    }
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
    while conn.written < conn.write_buf.len() {
        match conn.stream.write(&conn.write_buf[conn.written..]) {
            // A write that takes nothing will never take anything: the peer is gone.
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            // Maybe only part of it: a non-blocking write takes what fits.
            Ok(n) => conn.written += n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(true)
}
// ANCHOR_END: read_head
