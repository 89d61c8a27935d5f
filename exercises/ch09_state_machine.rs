//! Exercise for chapter 9: a connection is a state machine — keep-alive, pipelining,
//! and a deadline for a head that never ends.
//!
//! This is the chapter's server with the state machine's rules taken out: `process`
//! (frame and answer every buffered request, keeping the connection alive or not),
//! `deadline` and `on_timeout` (408 for a stalled head) are yours to write; the event
//! loop, the timer heap, reading and writing are given. Run it (time-outs in seconds,
//! from the environment, as in the chapter) with a short head time-out, so that the
//! 408 check waits two seconds rather than ten, and grade it from another terminal
//! with the same time-out:
//!
//! ```text
//! HEADER_TIMEOUT=2 cargo run --example ex09_state_machine  # listens on 127.0.0.1:8099
//! cargo run -- grade 9 127.0.0.1:8099 --header-timeout 2
//! ```
//!
//! Until they are written, each connection reaches a `todo!()` at its first event: the
//! server prints the panic, closes that connection without an answer, and goes on
//! serving. The reference solution is `examples/ch09_state_machine.rs`.

// Until the `todo!()`s are written, some names go unused. Delete this line when you are
// done: the compiler then tells you about anything you left unused.
#![allow(unused_variables, unused_imports, dead_code)]

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::panic::{self, AssertUnwindSafe};
use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime};

use anyhow::Context as _;
use log::{debug, info, warn};
use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token};
use slab::Slab;

const LISTENER: Token = Token(0);
const MAX_HEAD_BYTES: usize = 8 * 1024;
const MAX_BODY_BYTES: usize = 1024 * 1024;
/// Stop answering pipelined requests while this much output is unsent: the client is
/// not reading, and answering more would only grow our memory.
const OUTPUT_HIGH_WATER: usize = 64 * 1024;

/// Read-only settings every connection sees, and the loop's clock.
struct Context {
    header_timeout: Duration,
    idle_timeout: Duration,
    /// Read once per loop iteration: cheaper than asking the clock in every function,
    /// and every connection handled in one iteration agrees on what "now" is.
    now: Instant,
}

/// Where a connection is in the request it is reading.
#[derive(Debug)]
enum State {
    /// Between requests: no byte of the next one has arrived.
    Idle,
    /// Part of a head has arrived; its deadline runs from its first byte.
    Head,
    /// The head is complete; `length` bytes of body are expected.
    Body { head: Head, length: usize },
    /// A response that ends the connection is queued: write it, then close.
    Closing,
}

/// What the connection waits for after `drive`, so the loop can set its interest.
#[derive(Debug, PartialEq, Eq)]
enum Next {
    Read,
    Write,
    Close,
}

/// One client. Everything it needs between events lives here, not on a stack: the
/// loop may leave it at any byte and come back at the next event.
struct Connection {
    stream: TcpStream,
    peer: SocketAddr,
    /// Bytes read but not yet used: part of a head, a body, or pipelined requests.
    read_buf: Vec<u8>,
    /// Response bytes queued; `written` of them are already sent.
    write_buf: Vec<u8>,
    written: usize,
    state: State,
    /// When the current state began (or last made progress), for its deadline.
    since: Instant,
    /// The client shut down its sending side: `read` returned `Ok(0)`.
    read_closed: bool,
    /// Whether WRITABLE is registered now.
    wants_write: bool,
    /// The deadline this connection has in the timer heap.
    deadline: Instant,
}

/// A parsed head, owned.
#[derive(Debug)]
struct Head {
    request_line: String,
    text: String,
    keep_alive: bool,
}

fn seconds_from_env(name: &str, default: f64) -> anyhow::Result<Duration> {
    match std::env::var(name) {
        Err(_) => Ok(Duration::from_secs_f64(default)),
        Ok(value) => value
            .parse::<f64>()
            .ok()
            .filter(|s| s.is_finite() && *s > 0.0)
            .map(Duration::from_secs_f64)
            .with_context(|| format!("{name}={value:?} is not a number of seconds above 0")),
    }
}

fn main() -> ExitCode {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8099".to_string());
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
    let header_timeout = seconds_from_env("HEADER_TIMEOUT", 10.0)?;
    let idle_timeout = seconds_from_env("IDLE_TIMEOUT", 30.0)?;
    let parsed: SocketAddr = addr
        .parse()
        .with_context(|| format!("cannot bind {addr}: not an IP address with a port"))?;
    let mut listener = TcpListener::bind(parsed).with_context(|| format!("cannot bind {addr}"))?;
    println!("listening on http://{}", listener.local_addr()?);

    let mut poll = Poll::new()?;
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)?;
    let mut events = Events::with_capacity(256);
    let mut connections: Slab<Connection> = Slab::new();
    let mut timers = Timers::default();
    let mut ctx = Context {
        header_timeout,
        idle_timeout,
        now: Instant::now(),
    };

    loop {
        // Sleep until a socket is ready or the earliest deadline comes, whichever is
        // first. This one number is why all deadlines live in one heap.
        let timeout = timers.poll_timeout(&connections, Instant::now());
        if let Err(e) = poll.poll(&mut events, timeout) {
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e.into());
        }
        ctx.now = Instant::now();

        for event in events.iter() {
            if event.token() == LISTENER {
                accept_all(&listener, &poll, &mut connections, &mut timers, &ctx);
                continue;
            }
            let key = event.token().0 - 1;
            let Some(conn) = connections.get_mut(key) else {
                continue; // closed earlier in this batch
            };
            // A panic (a `todo!()`, until you write it) ends this connection, not the
            // server: the grader then finds a connection closed without an answer,
            // rather than nothing listening at all.
            let next =
                panic::catch_unwind(AssertUnwindSafe(|| conn.drive(&ctx))).unwrap_or(Next::Close);
            settle(&poll, &mut connections, &mut timers, key, next, &ctx);
        }

        // Every connection whose deadline has passed gets its say, once.
        while let Some(key) = timers.pop_expired(&connections, ctx.now) {
            let conn = &mut connections[key];
            let next = panic::catch_unwind(AssertUnwindSafe(|| conn.on_timeout(&ctx)))
                .unwrap_or(Next::Close);
            settle(&poll, &mut connections, &mut timers, key, next, &ctx);
        }
    }
}

/// After a connection has had its turn: close it, or register the interest it needs and
/// file its deadline.
fn settle(
    poll: &Poll,
    connections: &mut Slab<Connection>,
    timers: &mut Timers,
    key: usize,
    next: Next,
    ctx: &Context,
) {
    let conn = &mut connections[key];
    let wants_write = match next {
        Next::Close => {
            let mut conn = connections.remove(key);
            debug!("{} closed", conn.peer);
            // Its entry in the heap is now stale, and will be dropped when it surfaces.
            let _ = poll.registry().deregister(&mut conn.stream);
            return;
        }
        Next::Read => false,
        Next::Write => true,
    };
    if wants_write != conn.wants_write {
        // Only when it changes: each re-registration is a system call (epoll_ctl).
        let interest = if wants_write {
            Interest::READABLE | Interest::WRITABLE
        } else {
            Interest::READABLE
        };
        if let Err(e) = poll
            .registry()
            .reregister(&mut conn.stream, Token(key + 1), interest)
        {
            warn!("{} reregister: {e}", conn.peer);
        }
        conn.wants_write = wants_write;
    }
    let Ok(deadline) = panic::catch_unwind(AssertUnwindSafe(|| conn.deadline(ctx))) else {
        // `deadline` is not written yet: close rather than wait without a limit.
        let mut conn = connections.remove(key);
        let _ = poll.registry().deregister(&mut conn.stream);
        return;
    };
    if deadline != conn.deadline {
        conn.deadline = deadline;
        timers.push(key, deadline);
    }
}

/// Accepts until the backlog is empty (edge-triggered, as in chapter 8).
fn accept_all(
    listener: &TcpListener,
    poll: &Poll,
    connections: &mut Slab<Connection>,
    timers: &mut Timers,
    ctx: &Context,
) {
    loop {
        let (mut stream, peer) = match listener.accept() {
            Ok(accepted) => accepted,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                warn!("accept failed: {e}");
                return;
            }
        };
        let entry = connections.vacant_entry();
        let key = entry.key();
        if let Err(e) = poll
            .registry()
            .register(&mut stream, Token(key + 1), Interest::READABLE)
        {
            warn!("{peer} register: {e}");
            continue;
        }
        debug!("{peer} connected");
        let deadline = ctx.now + ctx.idle_timeout;
        entry.insert(Connection {
            stream,
            peer,
            read_buf: Vec::new(),
            write_buf: Vec::new(),
            written: 0,
            state: State::Idle,
            since: ctx.now,
            read_closed: false,
            wants_write: false,
            deadline,
        });
        timers.push(key, deadline);
    }
}

/// Every deadline of the loop in one min-heap of `(deadline, key)`.
///
/// Moving a deadline does not search the heap for the old entry: it pushes a new one,
/// and the old one becomes *stale* — it no longer matches the connection's `deadline`
/// (or its key is free, or reused by a newer connection with another deadline). Stale
/// entries are dropped when they reach the top. This is "lazy deletion", and it keeps
/// every operation O(log n).
#[derive(Default)]
struct Timers {
    heap: BinaryHeap<Reverse<(Instant, usize)>>,
}

impl Timers {
    fn push(&mut self, key: usize, deadline: Instant) {
        self.heap.push(Reverse((deadline, key)));
    }

    /// Drops stale entries from the top, so the top (if any) is live.
    fn drop_stale(&mut self, connections: &Slab<Connection>) {
        while let Some(&Reverse((deadline, key))) = self.heap.peek() {
            if connections.get(key).is_some_and(|c| c.deadline == deadline) {
                return;
            }
            self.heap.pop();
        }
    }

    /// How long poll may sleep: until the earliest deadline, or forever without one.
    /// Rounded *up* to whole milliseconds, since epoll counts in milliseconds: rounding
    /// down would wake the loop just before the deadline, with nothing due, again and
    /// again until it is. (mio 1.x rounds up too before it calls `epoll_wait`; this
    /// keeps the rule visible, and right whatever the poller.)
    fn poll_timeout(&mut self, connections: &Slab<Connection>, now: Instant) -> Option<Duration> {
        self.drop_stale(connections);
        let Reverse((deadline, _)) = *self.heap.peek()?;
        let nanos = deadline.saturating_duration_since(now).as_nanos();
        let millis = u64::try_from(nanos.div_ceil(1_000_000)).unwrap_or(u64::MAX);
        Some(Duration::from_millis(millis))
    }

    /// The next connection whose deadline is at or before `now`.
    fn pop_expired(&mut self, connections: &Slab<Connection>, now: Instant) -> Option<usize> {
        self.drop_stale(connections);
        let Reverse((deadline, key)) = *self.heap.peek()?;
        if deadline > now {
            return None;
        }
        self.heap.pop();
        Some(key)
    }
}

impl Connection {
    // ANCHOR: deadline
    /// The one moment this connection stops waiting, given its state.
    fn deadline(&self, ctx: &Context) -> Instant {
        // Your turn. In `State::Head`, the head must be complete `ctx.header_timeout`
        // after its *first* byte (`self.since` is set then), so that a client trickling
        // a byte a second (slowloris) cannot keep the connection for ever. In every other
        // state, `ctx.idle_timeout` after the last progress (`self.since` again).
        todo!("the deadline for this state")
    }

    /// The deadline passed. Part-way through a head: 408 Request Timeout (RFC 9110
    /// §15.5.9), so the client knows why. Otherwise just close.
    fn on_timeout(&mut self, ctx: &Context) -> Next {
        // Your turn. In `State::Head`: `self.queue(408, "Request Timeout", …, false)`,
        // which also moves to `Closing`; restart `self.since` (writing the 408 gets an
        // idle time-out of its own); then `self.flush()`: `Ok(false)` is `Next::Write`,
        // anything else `Next::Close`. In any other state: `Next::Close`.
        todo!("408 for a stalled head, otherwise close")
    }
    // ANCHOR_END: deadline

    /// Does all the work the socket allows now: answer what is buffered, write what is
    /// queued, read what has arrived. Loops until the socket would block or the
    /// connection is done, because readiness is edge-triggered: an event is not
    /// repeated for bytes that are already waiting.
    fn drive(&mut self, ctx: &Context) -> Next {
        loop {
            self.process(ctx);
            let before = self.written;
            let flushed = self.flush();
            if self.written > before {
                // A client taking its answer, however slowly, is not idle.
                self.since = ctx.now;
            }
            match flushed {
                Ok(true) => {}
                // The socket's send buffer is full: wait for WRITABLE. Reading more now
                // would only queue more answers for a client that is not reading them.
                Ok(false) => return Next::Write,
                Err(e) => {
                    debug!("{} write: {e}", self.peer);
                    return Next::Close;
                }
            }
            if let State::Closing = self.state {
                return Next::Close;
            }
            if self.has_complete_request() {
                // Output drained after a backed-up pipeline: answer what is buffered
                // before reading, since no new event will come for those bytes.
                continue;
            }
            if self.read_closed {
                // Half-close: the client said it will send nothing more (`nc -N`,
                // `shutdown(SHUT_WR)`). Everything it sent is answered and flushed; an
                // unfinished request can never finish.
                return Next::Close;
            }
            if matches!(self.state, State::Idle) && self.read_buf.is_empty() {
                // Between requests with nothing buffered: give the memory back, so an
                // idle keep-alive connection costs a socket, not a buffer.
                self.read_buf = Vec::new();
            }
            match self.read_some(ctx) {
                Ok(true) => continue,
                Ok(false) => return Next::Read,
                Err(e) => {
                    debug!("{} read: {e}", self.peer);
                    return Next::Close;
                }
            }
        }
    }

    /// Reads once. `Ok(true)`: bytes arrived, or the client closed its side.
    /// `Ok(false)`: nothing more for now.
    fn read_some(&mut self, ctx: &Context) -> io::Result<bool> {
        let mut chunk = [0u8; 16 * 1024];
        loop {
            match self.stream.read(&mut chunk) {
                // The client shut down its sending side; it may still read.
                Ok(0) => {
                    self.read_closed = true;
                    return Ok(true);
                }
                Ok(n) => {
                    if let State::Body { .. } = self.state {
                        // A body that keeps coming is progress.
                        self.since = ctx.now;
                    }
                    self.read_buf.extend_from_slice(&chunk[..n]);
                    return Ok(true);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// Writes queued bytes until done (`Ok(true)`) or the socket is full (`Ok(false)`).
    /// A non-blocking write may take only part of what we offer: `written` remembers
    /// where the next one starts.
    fn flush(&mut self) -> io::Result<bool> {
        while self.written < self.write_buf.len() {
            match self.stream.write(&self.write_buf[self.written..]) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => self.written += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
        // All sent: drop the buffer, so an idle connection holds no memory for it.
        self.write_buf = Vec::new();
        self.written = 0;
        Ok(true)
    }

    // ANCHOR: process
    /// Frames and answers as many buffered requests as it can: more than one when the
    /// client pipelined them. Stops when the input runs out, a response ends the
    /// connection, or the output is backed up.
    fn process(&mut self, ctx: &Context) {
        // Your turn. Loop while the unsent output (`self.write_buf.len() - self.written`)
        // is under `OUTPUT_HIGH_WATER`, moving through the states as far as `read_buf`
        // allows (`std::mem::replace(&mut self.state, State::Closing)` takes the state out
        // by value; put back the one you end in):
        // - `Idle`: drop the CR and LF bytes before a request (RFC 9112 §2.2); nothing
        //   left: stay `Idle` and return; otherwise the head's first byte is here: set
        //   `self.since = ctx.now` and go to `Head`;
        // - `Head`: `parse_head(&self.read_buf)`: `Ok(None)`, stay and return;
        //   `Ok(Some((head, length, used)))`, drain `used` bytes, go to `Body`;
        //   `Err(reason)`, queue a 400 that closes (`keep_alive` false) and drop the rest
        //   of `read_buf`: after a framing error, where the next request starts is unknown;
        // - `Body { head, length }`: fewer than `length` bytes buffered: stay and return;
        //   otherwise drain them, queue the 200 echo (`head.text`, then
        //   `body: N bytes`), keeping the connection if `head.keep_alive` (back to `Idle`,
        //   `since = ctx.now`);
        // - `Closing`: return.
        todo!("frame and answer every complete request in read_buf")
    }

    /// True when a whole request waits in the buffer (so reading can wait).
    fn has_complete_request(&self) -> bool {
        match &self.state {
            State::Idle | State::Head => matches!(parse_head(&self.read_buf), Ok(Some(_))),
            State::Body { length, .. } => self.read_buf.len() >= *length,
            State::Closing => false,
        }
    }

    /// Appends a response to the output. Without keep-alive it says `Connection: close`
    /// and the connection will close once it is written.
    fn queue(&mut self, code: u16, reason: &str, body: &str, keep_alive: bool) {
        let connection = if keep_alive {
            ""
        } else {
            "Connection: close\r\n"
        };
        let response = format!(
            "HTTP/1.1 {code} {reason}\r\n\
             Date: {}\r\n\
             Content-Type: text/plain; charset=utf-8\r\n\
             Content-Length: {}\r\n\
             {connection}\
             \r\n\
             {body}",
            httpdate::fmt_http_date(SystemTime::now()),
            body.len()
        );
        self.write_buf.extend_from_slice(response.as_bytes());
        if !keep_alive {
            self.state = State::Closing;
        }
    }
    // ANCHOR_END: process
}

/// Parses a head from the start of `buf`: `Ok(None)` until it is complete, then the
/// head, its body's length and how many bytes the head took.
fn parse_head(buf: &[u8]) -> Result<Option<(Head, usize, usize)>, String> {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut request = httparse::Request::new(&mut headers);
    let used = match request.parse(buf) {
        Ok(httparse::Status::Complete(used)) => used,
        Ok(httparse::Status::Partial) if buf.len() <= MAX_HEAD_BYTES => return Ok(None),
        Ok(httparse::Status::Partial) => return Err("the head is too large".to_owned()),
        Err(e) => return Err(format!("malformed request: {e}")),
    };
    let mut length = 0;
    let mut close = false;
    for h in request.headers.iter() {
        if h.name.eq_ignore_ascii_case("content-length") {
            length = std::str::from_utf8(h.value)
                .ok()
                .filter(|v| v.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|v| v.parse::<usize>().ok())
                .filter(|&n| n <= MAX_BODY_BYTES)
                .ok_or("invalid or too large Content-Length")?;
        } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
            // Chunked bodies are left out here; hostecho decodes them.
            return Err("Transfer-Encoding is not supported here".to_owned());
        } else if h.name.eq_ignore_ascii_case("connection") {
            close |= String::from_utf8_lossy(h.value)
                .split(',')
                .any(|token| token.trim().eq_ignore_ascii_case("close"));
        }
    }
    // HTTP/1.1 keeps the connection unless told to close; HTTP/1.0 closes unless told
    // to keep it (RFC 9112 §9.3). For brevity this server closes every HTTP/1.0
    // connection, `Connection: keep-alive` or not; hostecho honours it.
    let keep_alive = !close && request.version == Some(1);
    let text = String::from_utf8_lossy(&buf[..used]).replace("\r\n", "\n");
    let request_line = text.lines().next().unwrap_or_default().to_owned();
    let head = Head {
        request_line,
        text,
        keep_alive,
    };
    Ok(Some((head, length, used)))
}
