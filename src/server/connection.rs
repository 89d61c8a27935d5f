//! One client's connection: its buffers, its state machine, and its deadline.
//!
//! A connection moves bytes. It reads them, asks [`framing`] where each request starts
//! and ends, hands each complete request to the [`exchange`] for an answer, and writes
//! the answers back in order. It makes no application decision of its own: which host
//! is allowed and what the echo says are the exchange's; where a request ends is
//! framing's. The event loop calls [`Connection::drive`] whenever the socket becomes
//! readable or writable, and [`Connection::on_timeout`] when its deadline passes.
//! `drive` does as much work as the socket allows and then says what it is waiting
//! for ([`Next`]).
//!
//! ```text
//!                                         Host refused, or a framing error
//!           ┌──────────────────────────────────────────────┬───────────────────┐
//!           │                                              │                   ▼
//!   Idle ──first byte──▶ Head ──complete, no body──────────┼──▶ (answer) ──▶ Closing
//!     ▲                    │                               │       │           │ flushed
//!     │                    └──complete, Host allowed──▶ Body ──────┤           ▼
//!     │                                         body complete      │       Lingering
//!     └───────────────── keep-alive ───────────────────────────────┘           │
//!                                                         EOF, time or bytes up ▼
//!                                                                          (closed)
//! ```
//!
//! **Lingering close** (RFC 9112 §9.6). Closing a socket that still has unread bytes
//! in it makes the kernel send a reset instead of a FIN, and a reset can destroy the
//! response the client has not read yet: a 413 while the body is on its way, a 431
//! for a huge head, a refused Host with an upload behind it. So once its last response
//! is flushed, a connection whose client may still be sending shuts down its write
//! side (the client sees the end of the response) and reads and discards for at most
//! [`LINGER_TIME`] and [`LINGER_BYTES`] before it closes, as nginx's `lingering_close`.
//!
//! **Draining** ([`Connection::begin_drain`]). When the server shuts down, a
//! connection finishes the request it is in (a head or a body still arriving) and the
//! pipelined requests already in its buffer, and its last response says
//! `Connection: close`. An idle one is closed at once.
//!
//! mio is edge-triggered: a readiness event is reported once, when the socket *becomes*
//! ready, not for as long as it *is* ready. So `drive` reads until the OS says
//! `WouldBlock`. When it stops early on purpose — its output is backed up, so it stops
//! answering pipelined requests — it must come back by itself once the output drains,
//! first to answer the requests already buffered, then to read: the client may have
//! sent everything already, and no new event will remind it.
//!
//! A connection holds buffers only while it holds bytes: the input not yet answered,
//! the output not yet sent. The rest of the time its buffers are the event loop's
//! spares, lent for each [`Connection::drive`] ([`Scratch`]), so an idle keep-alive
//! connection holds a socket and a few words, not kilobytes, and a busy one allocates
//! nothing per request.

use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use log::{Level, debug, log, log_enabled, trace, warn};
use mio::net::TcpStream;

use crate::error::RequestError;
use crate::exchange::{self, Endpoints};
use crate::host::{HostPolicy, ValidHost};
use crate::http::framing::{
    self, BodyDecoder, BodyKind, FramedHead, Limits, Persistence, Preamble,
};
use crate::http::response::{self, Response};
use crate::http::{Head, Request};

/// How much one `read` call asks for. Reads land in the loop's scratch buffer first, so
/// this is also the most a connection's own buffer grows by in one step.
pub const READ_CHUNK: usize = 16 * 1024;

/// The largest spare buffer the loop keeps for the next connection ([`Scratch`]): one
/// grown larger (a big upload, a long pipelined burst) is freed instead of kept.
pub const MAX_SPARE: usize = 64 * 1024;

/// What the event loop lends each connection it drives: where reads land, and spare
/// buffers handed from one connection to the next.
///
/// A connection needs an input buffer, an output buffer and a head's buffers only
/// while it is in the middle of something: bytes read but not yet answered, an answer
/// not yet sent, a head waiting for its body. Most of the time (a keep-alive client
/// that sends a request, reads the answer and sends the next) it is in the middle of
/// nothing between two events. So instead of allocating its own buffers on every
/// request and freeing them when it goes idle, a connection borrows the loop's spare
/// ones when an event comes, and gives back whatever it leaves empty when it returns
/// ([`Connection::drive`]). Only a connection left holding bytes keeps a buffer, and
/// the loop makes a new spare the next time it needs one. An idle connection holds no
/// buffer at all; a busy loop allocates nothing per request once its spares have grown.
#[derive(Debug)]
pub struct Scratch {
    /// Where reads land: [`READ_CHUNK`] bytes, whose contents are copied into the
    /// connection's input buffer.
    read: Vec<u8>,
    /// A spare input buffer.
    input: Vec<u8>,
    /// A spare output buffer.
    output: Vec<u8>,
    /// What a request being answered borrows.
    spare: Spare,
}

/// The spares a request borrows while it is framed and answered, and hands back.
#[derive(Debug, Default)]
struct Spare {
    /// A head, whose buffers the next head is framed into
    /// ([`framing::parse_head_into`]). Kept whatever its size: `--max-header-bytes`
    /// already bounds it.
    head: Head,
    /// A buffer the next echo is rendered into ([`exchange::respond_into`]).
    body: Vec<u8>,
}

impl Scratch {
    /// A read buffer of [`READ_CHUNK`] bytes, and no spares yet.
    pub fn new() -> Scratch {
        Scratch::with_read_size(READ_CHUNK)
    }

    /// The same with reads of at most `len` bytes (tests use short reads).
    pub fn with_read_size(len: usize) -> Scratch {
        Scratch {
            read: vec![0; len],
            input: Vec::new(),
            output: Vec::new(),
            spare: Spare::default(),
        }
    }
}

impl Default for Scratch {
    fn default() -> Scratch {
        Scratch::new()
    }
}

/// Keeps `buf` as the spare in `slot` if it is empty and not too large (and the slot
/// has none), else frees it.
fn give_back(slot: &mut Vec<u8>, mut buf: Vec<u8>) {
    if slot.capacity() == 0 && buf.capacity() <= MAX_SPARE {
        buf.clear();
        *slot = buf;
    }
}

/// Stop answering pipelined requests while this much output waits to be written: the
/// client is not reading, so reading (and answering) more would only grow memory.
const OUTPUT_HIGH_WATER: usize = 64 * 1024;

/// The longest a lingering close reads and discards before closing anyway.
pub const LINGER_TIME: Duration = Duration::from_secs(5);

/// The most bytes a lingering close discards before closing anyway: enough for a body
/// over the default `--max-body-bytes` or a 1 MB head, not enough to be a sink for ever.
pub const LINGER_BYTES: usize = 4 * 1024 * 1024;

/// What the connection needs from its event loop: read-only settings and the clock.
#[derive(Clone, Copy, Debug)]
pub struct Context<'a> {
    /// The Host policy, shared by every connection.
    pub policy: &'a HostPolicy,
    /// Framing limits.
    pub limits: Limits,
    /// How long a head may take once its first byte has arrived.
    pub header_timeout: Duration,
    /// How long a connection may sit idle, or stalled, before it is closed.
    pub idle_timeout: Duration,
    /// How long a whole body may take to arrive once its head is complete.
    pub body_timeout: Duration,
    /// Which worker (event loop) this is, named in the access log when there are
    /// several; `None` with one, so the default log stays as it was.
    pub worker: Option<usize>,
    /// The current time, read once per loop iteration.
    pub now: Instant,
    /// The current `Date` header value (IMF-fixdate), cached per second by the loop.
    pub date: &'a str,
}

/// What the connection waits for after [`Connection::drive`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    /// More bytes from the client.
    Read,
    /// Room in the socket's send buffer, to write what is queued.
    Write,
    /// Nothing: close the socket now.
    Close,
}

/// How far [`Connection::process`] got with the buffered input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Processed {
    /// Everything buffered was answered, or waits for more bytes.
    Done,
    /// It stopped because the output is backed up; buffered requests remain.
    BackedUp,
}

/// Where the connection is in the request it is reading.
#[derive(Debug)]
enum State {
    /// Between requests: no byte of the next one has arrived.
    Idle,
    /// Some bytes of a head have arrived, but not all of it.
    Head,
    /// The head is complete and its Host allowed; the body is being read. Boxed: the
    /// state is moved in and out on every step, and every other state is a few words.
    Body(Box<Upload>),
    /// A response that ends the connection is queued: write it, then close.
    Closing,
    /// The last response is flushed and the write side shut down; what the client
    /// still sends is read and thrown away until it closes, `until` passes, or
    /// [`LINGER_BYTES`] have been discarded.
    Lingering { until: Instant, discarded: usize },
}

/// A request whose head is framed and whose Host is allowed, while its body arrives
/// (into `request.body`).
#[derive(Debug)]
struct Upload {
    request: Request,
    persistence: Persistence,
    host: ValidHost<'static>,
    decoder: BodyDecoder,
}

/// What a state change does to the deadline's clock (see [`Connection::enter`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Clock {
    /// Restart it: the state is new, or the connection made progress in it.
    Restart,
    /// Leave it running: nothing happened that should buy the client more time.
    Keep,
}

/// One client connection.
///
/// Generic over its stream so that it can be driven without a socket: the server uses
/// a mio [`TcpStream`], the fuzz target and some tests an in-memory stream that says
/// `WouldBlock` when it has nothing more to give, exactly as a non-blocking socket does.
#[derive(Debug)]
pub struct Connection<S = TcpStream> {
    stream: S,
    at: Endpoints,
    /// Bytes read but not yet framed. Empty (and without capacity) while idle.
    read_buf: Vec<u8>,
    /// Response bytes queued for the socket; `written` of them have been sent.
    write_buf: Vec<u8>,
    written: usize,
    state: State,
    /// When the deadline's clock last (re)started. Set only by [`Connection::enter`].
    since: Instant,
    /// The client closed its sending side (`read` returned `Ok(0)`).
    read_closed: bool,
    /// Whether WRITABLE interest is currently registered.
    wants_write: bool,
    /// The server is shutting down: finish what is in flight, then close.
    draining: bool,
    /// Responses queued since draining began.
    drained_requests: usize,
    /// The write side should be shut down (by the loop, which knows the stream is a
    /// socket) before lingering.
    half_close: bool,
    /// A read in this [`drive`](Connection::drive) came back shorter than asked: the
    /// socket's receive queue was empty at that moment.
    drained: bool,
    /// Whether a short read may be taken to mean "nothing more to read until the next
    /// event" (see [`Connection::drive_socket`]). Off for plain [`drive`](Connection::drive).
    trust_short_reads: bool,
}

impl<S: Read + Write> Connection<S> {
    /// Wraps an accepted stream.
    pub fn new(stream: S, peer: SocketAddr, local: SocketAddr, now: Instant) -> Connection<S> {
        Connection {
            stream,
            at: Endpoints { peer, local },
            read_buf: Vec::new(),
            write_buf: Vec::new(),
            written: 0,
            state: State::Idle,
            since: now,
            read_closed: false,
            wants_write: false,
            draining: false,
            drained_requests: 0,
            half_close: false,
            drained: false,
            trust_short_reads: false,
        }
    }

    /// The socket, for (re)registering with the poll.
    pub fn stream_mut(&mut self) -> &mut S {
        &mut self.stream
    }

    /// The client's address.
    pub fn peer(&self) -> SocketAddr {
        self.at.peer
    }

    /// Whether WRITABLE interest is registered; the loop keeps it in step with [`Next`].
    pub fn wants_write(&self) -> bool {
        self.wants_write
    }

    /// Records which interest the loop registered.
    pub fn set_wants_write(&mut self, wants: bool) {
        self.wants_write = wants;
    }

    /// Whether the loop should shut down the socket's write side now: the last
    /// response is flushed and the connection starts lingering. Reading it clears it.
    pub fn take_half_close(&mut self) -> bool {
        std::mem::take(&mut self.half_close)
    }

    /// The server is shutting down. The connection finishes the request it is in and
    /// those already buffered, says `Connection: close` on its last response, and
    /// closes. Returns `true` when nothing is in flight, so it can be closed now: an
    /// idle keep-alive connection owes nobody anything.
    pub fn begin_drain(&mut self) -> bool {
        self.draining = true;
        matches!(self.state, State::Idle)
            && self.read_buf.is_empty()
            && self.written == self.write_buf.len()
    }

    /// How many responses were queued since [`begin_drain`](Self::begin_drain).
    pub fn drained_requests(&self) -> usize {
        self.drained_requests
    }

    /// A word for what the connection is doing, for the log of a shutdown that had to
    /// cut it off.
    pub fn doing(&self) -> &'static str {
        match self.state {
            State::Idle if self.written < self.write_buf.len() => "writing",
            State::Idle => "idle",
            State::Head => "reading a head",
            State::Body(_) => "reading a body",
            State::Closing => "writing its last response",
            State::Lingering { .. } => "lingering",
        }
    }

    /// The moment this connection gives up waiting, given its state. There is exactly
    /// one deadline per connection, and the event loop keeps it in its timer heap.
    pub fn deadline(&self, ctx: &Context<'_>) -> Instant {
        match self.state {
            // Slowloris sends a head one byte at a time to hold a connection open; the
            // head deadline runs from its *first* byte, so trickling does not extend it.
            State::Head => self.since + ctx.header_timeout,
            // The same for a body: its deadline runs from the end of its head, and
            // bytes that keep trickling in do not move it.
            State::Body(_) => self.since + ctx.body_timeout,
            State::Lingering { until, .. } => until,
            State::Idle | State::Closing => self.since + ctx.idle_timeout,
        }
    }

    /// Does all the work the socket allows: answer what is buffered, write what is
    /// queued, read what has arrived — until the socket would block or the connection
    /// is done. `scratch` is the loop's, lent for the call: its spare buffers are
    /// borrowed for the call, and those left empty are given back ([`Scratch`]).
    pub fn drive(&mut self, ctx: &Context<'_>, scratch: &mut Scratch) -> Next {
        if self.read_buf.capacity() == 0 {
            self.read_buf = std::mem::take(&mut scratch.input);
        }
        if self.write_buf.capacity() == 0 {
            self.write_buf = std::mem::take(&mut scratch.output);
        }
        let next = self.work(ctx, scratch);
        if self.read_buf.is_empty() {
            give_back(&mut scratch.input, std::mem::take(&mut self.read_buf));
        }
        if self.written == self.write_buf.len() {
            self.written = 0;
            give_back(&mut scratch.output, std::mem::take(&mut self.write_buf));
        }
        next
    }

    /// What [`drive`](Connection::drive) does with the buffers it lent.
    fn work(&mut self, ctx: &Context<'_>, scratch: &mut Scratch) -> Next {
        self.drained = false;
        loop {
            if matches!(self.state, State::Lingering { .. }) {
                return self.discard(&mut scratch.read);
            }
            let processed = self.process(ctx, &mut scratch.spare);
            let pending = self.write_buf.len() - self.written;
            let flushed = self.flush();
            if self.write_buf.len() - self.written < pending
                && !matches!(self.state, State::Head | State::Body(_))
            {
                // A client that reads its answer, however slowly, is making progress:
                // its idle deadline runs from the last byte it took.
                let state = self.take_state();
                self.enter(state, Clock::Restart, ctx.now);
            }
            match flushed {
                Ok(true) => {}
                Ok(false) => return Next::Write,
                Err(e) => {
                    debug!("{} write failed: {e}", self.at.peer);
                    return Next::Close;
                }
            }
            if self.draining && matches!(self.state, State::Idle) && self.read_buf.is_empty() {
                // Shutting down, and every request this connection had begun is
                // answered and flushed.
                self.enter(State::Closing, Clock::Keep, ctx.now);
            }
            if matches!(self.state, State::Closing) {
                if self.read_closed {
                    // The client has sent all it will: nothing unread can cause a reset.
                    return Next::Close;
                }
                self.linger(ctx.now);
                continue;
            }
            if processed == Processed::BackedUp {
                // The output has drained; answer what is still buffered before reading
                // more (the client may have sent everything already: no event will come).
                continue;
            }
            if self.read_closed {
                // The client will send nothing more. What it sent is answered and
                // flushed; an unfinished request can never complete, so close.
                return Next::Close;
            }
            if self.drained && self.trust_short_reads {
                // The last read emptied the receive queue: another would only say
                // `WouldBlock`. See `drive_socket` for why no byte is left behind.
                return Next::Read;
            }
            match self.read_some(&mut scratch.read) {
                Ok(true) => continue,
                Ok(false) => return Next::Read,
                Err(e) => {
                    debug!("{} read failed: {e}", self.at.peer);
                    return Next::Close;
                }
            }
        }
    }

    /// [`drive`](Connection::drive), for a socket registered with an edge-triggered
    /// poll, after an event; `closed` is what the event said about the peer's side
    /// (`is_read_closed() || is_error()`).
    ///
    /// It spares the `read` that would only say `WouldBlock`. A TCP `read` that returns
    /// fewer bytes than asked has emptied the socket's receive queue (Linux copies
    /// until the queue is empty or the buffer is full), and with edge-triggered epoll
    /// any byte that arrives after that — or a FIN — queues a new event for the socket,
    /// even one arriving between our `read` and the next `epoll_wait`. So nothing is left
    /// behind without an event to bring the loop back. The one thing that a short read
    /// cannot show is a FIN that arrived *with* the data before this event was
    /// delivered: no later event will announce it, and the next read would return 0.
    /// The event does report it (`EPOLLRDHUP`), so when `closed` is set, `drive` reads
    /// on until `WouldBlock` or the end as usual. tokio skips the read the same way,
    /// keeping "read closed" readiness apart.
    pub fn drive_socket(&mut self, ctx: &Context<'_>, scratch: &mut Scratch, closed: bool) -> Next {
        self.trust_short_reads = !closed;
        let next = self.drive(ctx, scratch);
        self.trust_short_reads = false;
        next
    }

    /// The deadline passed. A client part-way through a head or a body gets a 408
    /// (RFC 9110 §15.5.9), then a lingering close, since it may still be sending; an
    /// idle or stalled connection is simply closed.
    pub fn on_timeout(&mut self, ctx: &Context<'_>) -> Next {
        match self.take_state() {
            State::Head => {
                let err = RequestError::HeadTimeout {
                    limit: ctx.header_timeout,
                };
                self.refuse(ctx, None, &err);
                self.after_timeout_refusal(ctx)
            }
            State::Body(upload) => {
                let err = RequestError::BodyTimeout {
                    limit: ctx.body_timeout,
                };
                self.refuse(ctx, Some(&upload.request.head), &err);
                self.after_timeout_refusal(ctx)
            }
            State::Lingering { discarded, .. } => {
                debug!(
                    "{} lingering close: {discarded} bytes discarded in {LINGER_TIME:?}, closing",
                    self.at.peer
                );
                Next::Close
            }
            state => {
                self.enter(state, Clock::Keep, ctx.now);
                debug!(
                    "{} closed after {:?} without progress",
                    self.at.peer, ctx.idle_timeout
                );
                Next::Close
            }
        }
    }

    /// The 408 of a time-out is queued: send it, then linger, or wait to send it.
    fn after_timeout_refusal(&mut self, ctx: &Context<'_>) -> Next {
        match self.flush() {
            Err(_) => Next::Close,
            Ok(false) => Next::Write,
            Ok(true) if self.read_closed => Next::Close,
            // The socket was read until `WouldBlock` (or a short read, which says the
            // same: see `drive_socket`) before the deadline passed, so
            // anything the client sends from now on comes with a new event.
            Ok(true) => {
                self.linger(ctx.now);
                Next::Read
            }
        }
    }

    /// The last response is flushed: ask the loop to shut down the write side, and
    /// start reading and discarding (see the module's note on lingering close).
    fn linger(&mut self, now: Instant) {
        self.half_close = true;
        self.read_buf = Vec::new();
        self.write_buf = Vec::new();
        self.written = 0;
        let until = now + LINGER_TIME;
        self.enter(
            State::Lingering {
                until,
                discarded: 0,
            },
            Clock::Restart,
            now,
        );
    }

    /// Lingering: reads and throws away until `WouldBlock` (wait for more), the end of
    /// the stream, an error, or [`LINGER_BYTES`] (close).
    fn discard(&mut self, scratch: &mut [u8]) -> Next {
        loop {
            let n = match self.stream.read(scratch) {
                Ok(0) => return Next::Close,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Next::Read,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => return Next::Close,
            };
            if let State::Lingering { discarded, .. } = &mut self.state {
                *discarded = discarded.saturating_add(n);
                if *discarded >= LINGER_BYTES {
                    debug!(
                        "{} lingering close: {LINGER_BYTES} bytes discarded, closing",
                        self.at.peer
                    );
                    return Next::Close;
                }
            }
        }
    }

    /// Moves to `state`; with [`Clock::Restart`] the deadline's clock starts again from
    /// `now`. The only place the state changes and the only place `since` is set, so
    /// what the deadline runs from can be read here and nowhere else.
    fn enter(&mut self, state: State, clock: Clock, now: Instant) {
        self.state = state;
        if clock == Clock::Restart {
            self.since = now;
        }
    }

    /// Takes the state out to work on it by value; [`Connection::enter`] puts one back.
    /// `Closing` is left in its place, so a path that forgets to put one back closes
    /// the connection rather than answering twice.
    fn take_state(&mut self) -> State {
        std::mem::replace(&mut self.state, State::Closing)
    }

    /// Reads once into `scratch` and appends to the read buffer.
    /// `Ok(true)`: bytes arrived (or the peer closed) — process them.
    /// `Ok(false)`: nothing more for now (`WouldBlock`).
    fn read_some(&mut self, scratch: &mut [u8]) -> io::Result<bool> {
        loop {
            match self.stream.read(scratch) {
                Ok(0) => {
                    self.read_closed = true;
                    return Ok(true);
                }
                Ok(n) => {
                    if log_enabled!(Level::Trace) {
                        trace!(
                            "{} read {n} bytes: \"{}\"",
                            self.at.peer,
                            scratch[..n].escape_ascii()
                        );
                    }
                    self.read_buf.extend_from_slice(&scratch[..n]);
                    self.drained = n < scratch.len();
                    return Ok(true);
                }
                // "Would block" is the OS saying there is nothing to read right now.
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                // A signal arrived during the call; nothing was read, so just try again.
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// Writes queued bytes until done (`Ok(true)`) or the socket is full (`Ok(false)`).
    fn flush(&mut self) -> io::Result<bool> {
        while self.written < self.write_buf.len() {
            match self.stream.write(&self.write_buf[self.written..]) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => {
                    if log_enabled!(Level::Trace) {
                        let sent = &self.write_buf[self.written..self.written + n];
                        trace!(
                            "{} wrote {n} bytes: \"{}\"",
                            self.at.peer,
                            sent.escape_ascii()
                        );
                    }
                    self.written += n;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
        self.write_buf.clear();
        self.written = 0;
        Ok(true)
    }

    /// Frames and answers as many buffered requests as possible (pipelining), stopping
    /// when the input runs out, a response ends the connection, or output backs up.
    /// Heads are framed into `spare`'s buffers and echoes rendered into its body
    /// buffer, each handed back there once answered.
    fn process(&mut self, ctx: &Context<'_>, spare: &mut Spare) -> Processed {
        loop {
            if self.write_buf.len() - self.written >= OUTPUT_HIGH_WATER {
                // Backpressure: let the client read before answering more. The caller
                // comes back here once the output drains, even if no new bytes arrive:
                // the requests still buffered are owed an answer.
                return Processed::BackedUp;
            }
            match self.take_state() {
                state @ (State::Closing | State::Lingering { .. }) => {
                    self.enter(state, Clock::Keep, ctx.now);
                    return Processed::Done;
                }
                State::Idle => match framing::skip_empty_lines(&self.read_buf) {
                    // Empty lines between requests are not a request: they start no
                    // head clock and do not extend the idle one.
                    Ok(Preamble::Empty(blank)) => {
                        self.read_buf.drain(..blank);
                        self.enter(State::Idle, Clock::Keep, ctx.now);
                        return Processed::Done;
                    }
                    // The first byte of a head: the head's deadline runs from now.
                    Ok(Preamble::RequestAt(blank)) => {
                        self.read_buf.drain(..blank);
                        self.enter(State::Head, Clock::Restart, ctx.now);
                    }
                    Err(err) => {
                        self.refuse(ctx, None, &err);
                        return Processed::Done;
                    }
                },
                State::Head => {
                    match framing::parse_head_into(&self.read_buf, &ctx.limits, &mut spare.head) {
                        // Partial: not an error, just not enough bytes yet.
                        Ok(None) => {
                            self.enter(State::Head, Clock::Keep, ctx.now);
                            return Processed::Done;
                        }
                        Ok(Some((framed, used))) => {
                            self.read_buf.drain(..used);
                            self.on_head(ctx, framed, spare);
                        }
                        Err(err) => {
                            self.refuse(ctx, None, &err);
                            return Processed::Done;
                        }
                    }
                }
                State::Body(mut upload) => {
                    let Upload {
                        decoder, request, ..
                    } = &mut *upload;
                    match decoder.decode(&self.read_buf, &mut request.body) {
                        Ok(progress) if progress.complete => {
                            self.read_buf.drain(..progress.consumed);
                            let Upload {
                                request,
                                host,
                                persistence,
                                ..
                            } = *upload;
                            self.answer(ctx, &request, &host, persistence, &mut spare.body);
                            spare.head = request.head;
                        }
                        Ok(progress) => {
                            self.read_buf.drain(..progress.consumed);
                            // The body's deadline runs from the end of its head, however
                            // the bytes trickle in, so the clock is kept.
                            self.enter(State::Body(upload), Clock::Keep, ctx.now);
                            return Processed::Done;
                        }
                        Err(err) => {
                            self.refuse(ctx, Some(&upload.request.head), &err);
                            return Processed::Done;
                        }
                    }
                }
            }
        }
    }

    /// A head is complete: log it, have the exchange decide its Host, and start on its
    /// body. A request without one is answered at once, and its head handed back to
    /// `spare`.
    fn on_head(&mut self, ctx: &Context<'_>, framed: FramedHead, spare: &mut Spare) {
        let FramedHead {
            head,
            body: kind,
            expect_continue,
            persistence,
        } = framed;
        if log_enabled!(Level::Debug) {
            debug!("{} > {}", self.at.peer, head.request_line());
            for h in head.fields() {
                debug!("{} > {}: {}", self.at.peer, h.name, h.value.escape_ascii());
            }
        }
        // The request is built before the Host is decided, and stays where it is while
        // the decision borrows from it (the host's name and raw value are slices of
        // the head): no copy of either.
        let request = Request {
            head,
            body: Vec::new(),
        };
        let host = match exchange::admit(&request.head, self.at, ctx.policy) {
            Ok(host) => host,
            Err(err) => {
                self.refuse(ctx, Some(&request.head), &err);
                return;
            }
        };
        if kind == BodyKind::None {
            self.answer(ctx, &request, &host, persistence, &mut spare.body);
            spare.head = request.head;
            return;
        }
        if expect_continue && self.read_buf.is_empty() {
            // The client waits for permission before sending the body (RFC 9110
            // §10.1.1). If body bytes are already here it did not wait, and the interim
            // response would be noise.
            self.write_buf.extend_from_slice(response::CONTINUE);
        }
        // The request moves into the state that waits for its body, so the host that
        // borrowed from it is copied out to go with it: a request with a body pays
        // for three small copies.
        let host = host.into_owned();
        let upload = Upload {
            decoder: BodyDecoder::new(kind, ctx.limits.max_body_bytes),
            request,
            persistence,
            host,
        };
        self.enter(State::Body(Box::new(upload)), Clock::Restart, ctx.now);
    }

    /// A whole request is here and its Host allowed: queue the exchange's answer. The
    /// echo is rendered into `body`, which is handed back once its bytes are queued.
    fn answer(
        &mut self,
        ctx: &Context<'_>,
        request: &Request,
        host: &ValidHost<'_>,
        persistence: Persistence,
        body: &mut Vec<u8>,
    ) {
        let last_before_shutdown = self.draining
            && matches!(
                framing::skip_empty_lines(&self.read_buf),
                Ok(Preamble::Empty(_))
            );
        // Shutting down, and no further request is buffered: this response is the
        // connection's last, and says so.
        let persistence = if last_before_shutdown {
            Persistence::Close
        } else {
            persistence
        };
        let buffer = std::mem::take(body);
        let response = exchange::respond_into(request, host, persistence, self.at, buffer);
        self.queue(ctx, request.head.request_line(), &response, Some(host));
        let next = if response.persistence.closes() {
            State::Closing
        } else {
            State::Idle
        };
        self.enter(next, Clock::Restart, ctx.now);
        give_back(body, response.body);
    }

    /// Queues the error response for a request hostecho will not echo, and closes.
    /// `head` is the request's head when it got that far. Whatever else the client
    /// sent is dropped: after an error nothing that follows can be trusted to be a
    /// request.
    fn refuse(&mut self, ctx: &Context<'_>, head: Option<&Head>, err: &RequestError) {
        warn!("{} rejected: {err}", self.at.peer);
        let response = exchange::refuse(err, head);
        let request_line = head.map_or("-", |h| h.request_line());
        self.queue(ctx, request_line, &response, None);
        self.read_buf = Vec::new();
        self.enter(State::Closing, Clock::Restart, ctx.now);
    }

    /// Logs a response and appends its bytes to the output.
    fn queue(
        &mut self,
        ctx: &Context<'_>,
        request_line: &str,
        response: &Response,
        host: Option<&ValidHost>,
    ) {
        self.log_access(ctx, request_line, response, host);
        if self.draining {
            self.drained_requests += 1;
        }
        response.write_to(&mut self.write_buf, ctx.date);
    }

    /// The access log: one line per response, at info (at debug for a response the
    /// exchange marked [`quiet`](Response::quiet), such as the favicon's). The size is
    /// the body bytes actually sent: none for a `HEAD`.
    fn log_access(
        &self,
        ctx: &Context<'_>,
        request_line: &str,
        response: &Response,
        host: Option<&ValidHost>,
    ) {
        let level = if response.quiet {
            Level::Debug
        } else {
            Level::Info
        };
        let line = AccessLine {
            peer: self.at.peer,
            request_line,
            status: response.status.0,
            sent: response.body_bytes_sent(),
            host: host.map(|h| &h.host),
            worker: ctx.worker,
        };
        // Into the log's buffer as bytes when the log is plain (a file or a pipe): one
        // line per response, formatted through `core::fmt`, was most of what the log
        // cost. Otherwise (colours, or another logger) `log!` formats the same bytes.
        // Either way `RUST_LOG` decides whether the line is written; at `warn` it costs
        // one comparison with the maximum level.
        let target = module_path!();
        if !super::log_output::log_bytes(level, target, |buf| line.write_bytes(buf)) {
            log!(target: target, level, "{line}");
        }
    }
}

/// One access line's fields, written as
/// `PEER "REQUEST LINE" STATUS BYTES host=HOST[ worker=N]`: the request line escaped
/// (`escape_debug`), and `-` for a request without a valid host.
///
/// It is written two ways, which give the same bytes: [`Display`](std::fmt::Display),
/// for `log!`, and [`write_bytes`](AccessLine::write_bytes), without `core::fmt`, for
/// [`log_bytes`](super::log_output::log_bytes).
struct AccessLine<'a> {
    peer: SocketAddr,
    request_line: &'a str,
    status: u16,
    sent: usize,
    host: Option<&'a crate::host::syntax::Host<'a>>,
    worker: Option<usize>,
}

impl AccessLine<'_> {
    /// Appends the line's text to `buf`, as `Display` would write it.
    fn write_bytes(&self, buf: &mut Vec<u8>) {
        use super::log_output::push_escape_debug;
        use crate::decimal::{push_ipv4, push_socket_addr, push_u64, push_usize};
        use crate::host::syntax::Host;
        push_socket_addr(buf, self.peer);
        buf.extend_from_slice(b" \"");
        push_escape_debug(buf, self.request_line);
        buf.extend_from_slice(b"\" ");
        push_u64(buf, self.status.into());
        buf.push(b' ');
        push_usize(buf, self.sent);
        buf.extend_from_slice(b" host=");
        match self.host {
            None => buf.push(b'-'),
            Some(Host::Name(name)) => buf.extend_from_slice(name.as_bytes()),
            Some(Host::Ipv4(addr)) => push_ipv4(buf, *addr),
            // Rare, and its text is `core::fmt`'s to get right. Writing into a Vec
            // cannot fail.
            Some(host @ Host::Ipv6(_)) => {
                let _ = write!(buf, "{host}");
            }
        }
        if let Some(worker) = self.worker {
            buf.extend_from_slice(b" worker=");
            push_usize(buf, worker);
        }
    }
}

impl std::fmt::Display for AccessLine<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} \"{}\" {} {} host=",
            self.peer,
            self.request_line.escape_debug(),
            self.status,
            self.sent
        )?;
        match self.host {
            Some(host) => write!(f, "{host}")?,
            None => f.write_str("-")?,
        }
        if let Some(worker) = self.worker {
            write!(f, " worker={worker}")?;
        }
        Ok(())
    }
}

/// The access line's two writers agree, byte for byte, with each other and with the
/// format the access log has always had.
#[cfg(test)]
mod access_line_tests {
    use super::AccessLine;
    use crate::host::syntax::Host;

    #[test]
    fn access_line_bytes_are_what_display_writes() {
        let hosts = [
            None,
            Some(Host::Name("localhost".into())),
            Some(Host::Name("sub.example.com".into())),
            Some(Host::Ipv4([127, 0, 0, 1].into())),
            Some(Host::Ipv4([10, 200, 0, 255].into())),
            Some(Host::Ipv6(std::net::Ipv6Addr::LOCALHOST)),
            Some(Host::Ipv6("2001:db8::8a2e:370:7334".parse().unwrap())),
        ];
        let peers = [
            "127.0.0.1:51234",
            "0.0.0.0:0",
            "[::1]:8090",
            "[fe80::1%2]:1",
        ];
        let lines = [
            "GET / HTTP/1.1",
            "-",
            "",
            "GET /a\"b'c\\d HTTP/1.1",
            "GET /\u{1b}[31m\t\r\n\0\u{7f} HTTP/1.0",
            "GET /caf\u{e9}/\u{301}x\u{200b}\u{ffff} HTTP/1.1",
        ];
        let numbers = [(200, 0), (404, 1), (505, 18_446), (100, usize::MAX)];
        for host in &hosts {
            for peer in peers {
                for request_line in lines {
                    for (i, &(status, sent)) in numbers.iter().enumerate() {
                        let line = AccessLine {
                            peer: peer.parse().unwrap(),
                            request_line,
                            status,
                            sent,
                            host: host.as_ref(),
                            worker: [None, Some(0), Some(1), Some(17)][i],
                        };
                        let mut bytes = Vec::new();
                        line.write_bytes(&mut bytes);
                        let bytes = String::from_utf8(bytes).unwrap();
                        assert_eq!(bytes, line.to_string(), "{peer} {request_line:?}");
                        let host = host.as_ref().map_or("-".to_owned(), Host::to_string);
                        let escaped = request_line.escape_debug();
                        let mut format =
                            format!("{} \"{escaped}\" {status} {sent} host={host}", line.peer);
                        if let Some(w) = line.worker {
                            format.push_str(&format!(" worker={w}"));
                        }
                        assert_eq!(bytes, format, "{peer} {request_line:?}");
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::PolicyOptions;
    use std::net::{TcpListener, TcpStream as StdStream};

    /// A connected pair on loopback: the server side as a `Connection`, the client
    /// side as a blocking std stream.
    fn pair() -> (Connection, StdStream) {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let client = StdStream::connect(listener.local_addr().unwrap()).expect("connect");
        let (server, peer) = listener.accept().expect("accept");
        server.set_nonblocking(true).unwrap();
        let local = server.local_addr().unwrap();
        let stream = TcpStream::from_std(server);
        (Connection::new(stream, peer, local, Instant::now()), client)
    }

    /// Drives until the connection waits for the client to send more (as the event
    /// loop would, given readiness), and returns what it waits for.
    fn drive_until_waiting(conn: &mut Connection, policy: &HostPolicy) -> Next {
        let ctx = Context {
            policy,
            limits: Limits::default(),
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(30),
            body_timeout: Duration::from_secs(30),
            worker: None,
            now: Instant::now(),
            date: "Sat, 21 Nov 2026 16:00:00 GMT",
        };
        let mut scratch = Scratch::new();
        conn.drive(&ctx, &mut scratch)
    }

    #[test]
    fn never_waits_for_input_while_complete_requests_are_buffered() {
        // Regression: answering stopped at the output high-water mark; once the output
        // drained, `drive` went back to reading and returned `Read` with requests still
        // in its buffer. The client had sent everything, so no event ever came again.
        let policy = HostPolicy::new(PolicyOptions::default()).unwrap();
        let (mut conn, mut client) = pair();
        client
            .write_all(&b"GET /p HTTP/1.1\r\nHost: localhost\r\n\r\n".repeat(300))
            .unwrap();
        // Let the bytes land in the server's socket before it reads.
        std::thread::sleep(Duration::from_millis(50));
        client
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let mut answers = 0;
        let mut received = Vec::new();
        let mut buf = vec![0u8; 64 * 1024];
        while answers < 300 {
            match drive_until_waiting(&mut conn, &policy) {
                // Waiting for input is only right once every request is answered.
                Next::Read => {
                    assert!(
                        conn.read_buf.is_empty(),
                        "waits for input with requests buffered"
                    );
                }
                Next::Write => {}
                Next::Close => panic!("closed after {answers} answers"),
            }
            let n = client.read(&mut buf).expect("an answer");
            received.extend_from_slice(&buf[..n]);
            answers = received
                .windows(12)
                .filter(|w| w == b"HTTP/1.1 200")
                .count();
        }
        assert_eq!(answers, 300);
    }

    /// Waits (at most 5 s) until bytes the client sent are readable on the server side,
    /// so a test that drives the connection knows they are there to be read.
    fn wait_until_readable(conn: &Connection) {
        let start = Instant::now();
        while let Err(e) = conn.stream.peek(&mut [0u8; 1]) {
            assert_eq!(e.kind(), io::ErrorKind::WouldBlock, "{e}");
            assert!(start.elapsed() < Duration::from_secs(5), "nothing arrived");
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    #[test]
    fn blank_lines_while_idle_start_no_head() {
        let policy = HostPolicy::new(PolicyOptions::default()).unwrap();
        let (mut conn, mut client) = pair();
        let started = conn.since;
        client.write_all(b"\r\n\n\r\n").unwrap();
        wait_until_readable(&conn);
        assert_eq!(drive_until_waiting(&mut conn, &policy), Next::Read);
        // The bytes were read (nothing is left in the socket) and dropped...
        let unread = conn.stream.peek(&mut [0u8; 1]).map_err(|e| e.kind());
        assert_eq!(unread, Err(io::ErrorKind::WouldBlock));
        assert!(conn.read_buf.is_empty());
        // ...without starting a head, or its clock.
        assert!(matches!(conn.state, State::Idle));
        assert_eq!(conn.since, started);
    }

    #[test]
    fn a_lone_cr_while_idle_is_refused() {
        let policy = HostPolicy::new(PolicyOptions::default()).unwrap();
        let (mut conn, mut client) = pair();
        client
            .write_all(b"\rGET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
            .unwrap();
        wait_until_readable(&conn);
        // Refused: the 400 is flushed, and the connection lingers, reading what the
        // client may still send, after asking the loop to shut down its write side.
        assert_eq!(drive_until_waiting(&mut conn, &policy), Next::Read);
        assert!(conn.take_half_close());
        assert!(matches!(conn.state, State::Lingering { .. }));
        drop(conn); // as the event loop does once lingering ends
        let mut answer = String::new();
        client.read_to_string(&mut answer).unwrap();
        assert!(
            answer.starts_with("HTTP/1.1 400 Bad Request\r\n"),
            "{answer}"
        );
    }
    /// An in-memory stream: reads hand out `input` in pieces of at most `piece`
    /// bytes, then `Ok(0)` if `eof`, else `WouldBlock`; every read is counted.
    struct Scripted {
        input: Vec<u8>,
        piece: usize,
        eof: bool,
        reads: usize,
        output: Vec<u8>,
    }

    impl Read for Scripted {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.reads += 1;
            if self.input.is_empty() {
                return if self.eof {
                    Ok(0)
                } else {
                    Err(io::ErrorKind::WouldBlock.into())
                };
            }
            let n = self.input.len().min(buf.len()).min(self.piece);
            buf[..n].copy_from_slice(&self.input[..n]);
            self.input.drain(..n);
            Ok(n)
        }
    }

    impl Write for Scripted {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.output.extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn scripted(input: &[u8], piece: usize, eof: bool) -> Connection<Scripted> {
        let stream = Scripted {
            input: input.to_vec(),
            piece,
            eof,
            reads: 0,
            output: Vec::new(),
        };
        let addr: SocketAddr = "127.0.0.1:8090".parse().unwrap();
        Connection::new(stream, addr, addr, Instant::now())
    }

    fn test_ctx(policy: &HostPolicy) -> Context<'_> {
        Context {
            policy,
            limits: Limits::default(),
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(30),
            body_timeout: Duration::from_secs(30),
            worker: None,
            now: Instant::now(),
            date: "Sat, 21 Nov 2026 16:00:00 GMT",
        }
    }

    const GET_LOCALHOST: &[u8] = b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";

    #[test]
    fn a_short_read_after_an_event_spares_the_read_that_would_block() {
        let policy = HostPolicy::new(PolicyOptions::default()).unwrap();
        let mut conn = scripted(GET_LOCALHOST, usize::MAX, false);
        let mut scratch = Scratch::new();
        let next = conn.drive_socket(&test_ctx(&policy), &mut scratch, false);
        assert_eq!(next, Next::Read);
        assert_eq!(
            conn.stream.reads, 1,
            "one read: the request, shorter than asked"
        );
        assert!(conn.stream.output.starts_with(b"HTTP/1.1 200 OK\r\n"));
    }

    #[test]
    fn a_full_read_is_followed_by_another() {
        // A read that fills the buffer says nothing about what is left: read again.
        let policy = HostPolicy::new(PolicyOptions::default()).unwrap();
        let mut conn = scripted(GET_LOCALHOST, usize::MAX, false);
        let mut scratch = Scratch::with_read_size(GET_LOCALHOST.len());
        assert_eq!(
            conn.drive_socket(&test_ctx(&policy), &mut scratch, false),
            Next::Read
        );
        assert_eq!(conn.stream.reads, 2, "the request, then `WouldBlock`");
        assert!(conn.stream.output.starts_with(b"HTTP/1.1 200 OK\r\n"));
    }

    #[test]
    fn a_fin_reported_by_the_event_is_read_even_after_a_short_read() {
        // Request and FIN arrived before the event: no later event will announce the
        // FIN, so skipping the read after the short one would hold the connection open
        // until its idle time-out (`printf … | nc -N` would hang).
        let policy = HostPolicy::new(PolicyOptions::default()).unwrap();
        let mut conn = scripted(GET_LOCALHOST, usize::MAX, true);
        let mut scratch = Scratch::new();
        let next = conn.drive_socket(&test_ctx(&policy), &mut scratch, true);
        assert_eq!(next, Next::Close);
        assert_eq!(conn.stream.reads, 2);
        assert!(conn.stream.output.starts_with(b"HTTP/1.1 200 OK\r\n"));
    }

    #[test]
    fn plain_drive_reads_until_it_would_block() {
        // Without the event's word (the fuzz target, an in-memory stream), a short
        // read proves nothing.
        let policy = HostPolicy::new(PolicyOptions::default()).unwrap();
        let mut conn = scripted(GET_LOCALHOST, usize::MAX, true);
        let mut scratch = Scratch::new();
        assert_eq!(conn.drive(&test_ctx(&policy), &mut scratch), Next::Close);
        assert_eq!(conn.stream.reads, 2);
    }
}
