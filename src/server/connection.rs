//! One client's connection: its buffers, its state machine, and its deadline.
//!
//! A connection moves bytes. It reads them, asks [`framing`] where each request starts
//! and ends, hands each complete request to the [`exchange`] for an answer, and writes
//! the answers back in order. What a request is answered is not its to decide: which
//! host is allowed and what the echo says are the exchange's; where a request ends and
//! whether the connection persists after it are framing's. It decides only what hangs
//! on the socket or the server rather than on the request: whether a `100 Continue` is
//! still worth sending (`on_head`), and that the last response before a shutdown
//! closes (`answer`). The event loop calls
//! [`Connection::drive_socket`] whenever the socket becomes readable or writable, and
//! [`Connection::on_timeout`] when its deadline passes. A drive does as much work as
//! the socket allows and then says what it is waiting for ([`Next`]).
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
//! **Lingering close** (`connection/linger.rs`): once its last response is flushed, a
//! connection whose client may still be sending shuts down its write side and reads
//! and discards for a while before it closes, so that the close cannot destroy the
//! response.
//!
//! **Draining** ([`Connection::begin_drain`]). When the server shuts down, a
//! connection finishes the request it is in (a head or a body still arriving) and the
//! pipelined requests already in its buffer, and its last response says
//! `Connection: close`. An idle one is closed at once. In hostecho's words "drain"
//! means this alone; `Vec::drain` below only takes bytes off the front of a buffer.
//!
//! mio is edge-triggered, so a drive reads until the OS says `WouldBlock`, or until a
//! read comes back short, which says the same for a socket ([`stream`]). When it stops
//! early on purpose — its output is backed up, so it stops answering pipelined
//! requests — it must come back by itself once the output is written out, first to
//! answer the requests already buffered, then to read: the client may have sent
//! everything already, and no new event will remind it.
//!
//! A connection holds buffers only while it holds bytes: the input not yet answered,
//! the output not yet sent. The rest of the time its buffers are the event loop's
//! spares, lent for each drive ([`Scratch`]).

use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

pub use linger::{LINGER_BYTES, LINGER_TIME};

use log::{Level, debug, log_enabled, warn};
use mio::net::TcpStream;

use super::access_log;
use super::scratch::{self, Scratch, Spare};
use super::stream::{self, Flushed, Received, ShortRead, Stream};
use crate::config::Config;
use crate::error::RequestError;
use crate::exchange::{self, Endpoints};
use crate::health::HealthPath;
use crate::host::{HostPolicy, ValidHost};
use crate::http::framing::{
    self, BodyDecoder, BodyKind, FramedHead, Limits, Persistence, Preamble,
};
use crate::http::response::{self, Response};
use crate::http::{Body, Head, Request};

mod linger;

/// Stop answering pipelined requests while this much output waits to be written: the
/// client is not reading, so reading (and answering) more would only grow memory.
const OUTPUT_HIGH_WATER: usize = 64 * 1024;

/// What the connection needs from its event loop: read-only settings and the clock.
#[derive(Clone, Copy, Debug)]
pub struct Context<'a> {
    /// The Host policy, shared by every connection.
    pub policy: &'a HostPolicy,
    /// `--health-path`, if set: answered before the Host check ([`crate::health`]).
    pub health_path: Option<&'a HealthPath>,
    /// Framing limits.
    pub limits: Limits,
    /// How long a head may take once its first byte has arrived.
    pub header_timeout: Duration,
    /// How long a connection may sit idle, or stalled on a write, before it is closed.
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

impl<'a> Context<'a> {
    /// The context `config` gives a loop's connections at `now`, with `date` as the
    /// `Date` value: its health path, limits and time-outs, the policy built from it,
    /// and no worker named (a loop of several sets [`worker`](Self::worker)). The one
    /// place a `Context` is put together from a configuration, for the loop and its
    /// tests alike.
    pub fn new(config: &'a Config, policy: &'a HostPolicy, now: Instant, date: &'a str) -> Self {
        Context {
            policy,
            health_path: config.health_path.as_ref(),
            limits: config.limits,
            header_timeout: config.header_timeout,
            idle_timeout: config.idle_timeout,
            body_timeout: config.body_timeout,
            worker: None,
            now,
            date,
        }
    }
}

/// What the connection waits for after a drive.
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

/// Whether the server is shutting down, as far as this connection is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Service {
    /// Serving as usual.
    Open,
    /// Draining ([`Connection::begin_drain`]): finish what is in flight, then close.
    /// `answered` counts the responses queued since the drain began.
    Draining { answered: usize },
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

/// One client connection. Generic over its [`Stream`], so that the fuzz target and
/// some tests drive it without a socket.
#[derive(Debug)]
pub struct Connection<S = TcpStream> {
    stream: S,
    at: Endpoints,
    /// Bytes read but not yet framed: given back to the loop when a drive leaves it
    /// empty; kept while it holds bytes (pipelined requests behind backed-up output, a
    /// lone `\r` waiting for its LF), even while idle.
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
    service: Service,
}

impl<S: Stream> Connection<S> {
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
            service: Service::Open,
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

    /// The server is shutting down. The connection finishes the request it is in and
    /// those already buffered, says `Connection: close` on its last response, and
    /// closes. Returns `true` when nothing is in flight, so it can be closed now: an
    /// idle keep-alive connection owes nobody anything.
    pub fn begin_drain(&mut self) -> bool {
        self.service = Service::Draining { answered: 0 };
        matches!(self.state, State::Idle)
            && self.read_buf.is_empty()
            && self.written == self.write_buf.len()
    }

    /// How many responses were queued since [`begin_drain`](Self::begin_drain).
    pub fn answered_while_draining(&self) -> usize {
        match self.service {
            Service::Open => 0,
            Service::Draining { answered } => answered,
        }
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

    /// Does all the work the socket allows: answer what is buffered, write what is
    /// queued, read what has arrived — until the socket would block or the connection
    /// is done. `scratch` is the loop's, lent for the call: its spare buffers are
    /// borrowed, and those left empty are given back ([`Scratch`]).
    ///
    /// This drive trusts no short read: it reads until `WouldBlock`. The event loop
    /// calls [`drive_socket`](Connection::drive_socket) instead.
    pub fn drive(&mut self, ctx: &Context<'_>, scratch: &mut Scratch) -> Next {
        self.drive_with(ctx, scratch, ShortRead::ProvesNothing)
    }

    /// [`drive`](Connection::drive), for a socket registered with an edge-triggered
    /// poll, after an event; `closed` is what the event said about the peer's side
    /// (`is_read_closed() || is_error()`). It spares the `read` that would only say
    /// `WouldBlock` after a short one, unless the event reported the peer's FIN (see
    /// `stream::ShortRead` for why that is safe).
    pub fn drive_socket(&mut self, ctx: &Context<'_>, scratch: &mut Scratch, closed: bool) -> Next {
        let short_read = if closed {
            ShortRead::ProvesNothing
        } else {
            ShortRead::EmptiesTheQueue
        };
        self.drive_with(ctx, scratch, short_read)
    }

    /// Borrows the loop's spare buffers, works, and gives back those left empty.
    fn drive_with(&mut self, ctx: &Context<'_>, scratch: &mut Scratch, short: ShortRead) -> Next {
        scratch::lend(&mut self.read_buf, &mut scratch.input);
        scratch::lend(&mut self.write_buf, &mut scratch.output);
        let next = self.work(ctx, scratch, short);
        if self.read_buf.is_empty() {
            scratch::give_back(&mut scratch.input, std::mem::take(&mut self.read_buf));
        }
        if self.written == self.write_buf.len() {
            self.written = 0;
            scratch::give_back(&mut scratch.output, std::mem::take(&mut self.write_buf));
        }
        next
    }

    /// Answer, write, read, in turn, until the socket would block or the connection is
    /// done.
    fn work(&mut self, ctx: &Context<'_>, scratch: &mut Scratch, short: ShortRead) -> Next {
        // The last read emptied the socket's receive queue (see `drive_socket`).
        let mut emptied = false;
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
                Ok(Flushed::All) => {}
                Ok(Flushed::Partly) => return Next::Write,
                Err(e) => {
                    debug!("{} write failed: {e}", self.at.peer);
                    return Next::Close;
                }
            }
            if self.service != Service::Open
                && matches!(self.state, State::Idle)
                && self.read_buf.is_empty()
            {
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
                // The output is written out; answer what is still buffered before
                // reading more (the client may have sent everything already: no event
                // will come).
                continue;
            }
            if self.read_closed {
                // The client will send nothing more. What it sent is answered and
                // flushed; an unfinished request can never complete, so close.
                return Next::Close;
            }
            if emptied {
                // Another read would only say `WouldBlock`.
                return Next::Read;
            }
            match self.read_some(&mut scratch.read) {
                Ok(Received::Nothing) => return Next::Read,
                Ok(received) => {
                    emptied = received == Received::Short && short == ShortRead::EmptiesTheQueue;
                }
                Err(e) => {
                    debug!("{} read failed: {e}", self.at.peer);
                    return Next::Close;
                }
            }
        }
    }

    /// Frames and answers as many buffered requests as possible (pipelining), stopping
    /// when the input runs out, a response ends the connection, or output backs up.
    /// Heads are framed into `spare`'s buffers and echoes rendered into its body
    /// buffer, each handed back there once answered.
    fn process(&mut self, ctx: &Context<'_>, spare: &mut Spare) -> Processed {
        loop {
            if self.write_buf.len() - self.written >= OUTPUT_HIGH_WATER {
                // Backpressure: let the client read before answering more. The caller
                // comes back here once the output is written out, even if no new bytes
                // arrive: the requests still buffered are owed an answer.
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
                    match decoder.decode(&self.read_buf, &mut request.body.kept) {
                        Ok(progress) if progress.complete => {
                            self.read_buf.drain(..progress.consumed);
                            request.body.length = decoder.decoded();
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
            body: Body::default(),
        };
        // A load balancer's health check is answered before the Host is looked at,
        // with a constant that uses nothing of the request (`crate::health` says why
        // only such an answer may skip the check).
        if exchange::is_health_check(&request.head, kind, ctx.health_path) {
            debug!(
                "{} health check: answered 200 without a Host check",
                self.at.peer
            );
            let buffer = std::mem::take(&mut spare.body);
            let persistence = self.persistence_after(persistence);
            let response = exchange::health_answer(&request.head, persistence, buffer);
            self.answer_constant(ctx, &request.head, &response);
            scratch::give_back(&mut spare.body, response.body);
            spare.head = request.head;
            return;
        }
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
            // Framing decided that the client waits for permission before sending the
            // body. Whether the interim response is still worth sending is the socket's
            // to say: "A server MAY omit sending a 100 (Continue) response if it has
            // already received some or all of the content" (RFC 9110 §10.1.1).
            self.write_buf.extend_from_slice(response::CONTINUE);
        }
        // The request moves into the state that waits for its body, so the host that
        // borrowed from it is copied out to go with it: a request with a body pays
        // for three small copies.
        let host = host.into_owned();
        let upload = Upload {
            // Only the bytes the echo shows are kept; the rest are counted as they go
            // by, so a 1 MiB body costs the connection `--echo-body-bytes`.
            decoder: BodyDecoder::new(kind, ctx.limits.max_body_bytes)
                .keeping(ctx.limits.echo_body_bytes),
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
        let persistence = self.persistence_after(persistence);
        let buffer = std::mem::take(body);
        let response = exchange::respond_into(request, host, persistence, self.at, buffer);
        self.queue(ctx, request.head.request_line(), &response, Some(host));
        let next = if response.persistence.closes() {
            State::Closing
        } else {
            State::Idle
        };
        self.enter(next, Clock::Restart, ctx.now);
        scratch::give_back(body, response.body);
    }

    /// The persistence a response gets. Framing decided whether the request lets the
    /// connection persist. A shutdown can only shorten that: when no further request is
    /// buffered (framing's rule for what precedes one says only blank lines are left),
    /// this response is the connection's last, and says so.
    fn persistence_after(&self, framed: Persistence) -> Persistence {
        match self.service {
            Service::Draining { .. }
                if matches!(
                    framing::skip_empty_lines(&self.read_buf),
                    Ok(Preamble::Empty(_))
                ) =>
            {
                Persistence::Close
            }
            _ => framed,
        }
    }

    /// Queues an answer made without the request's Host (the health path's), then
    /// waits for the next request or closes, as the response says.
    fn answer_constant(&mut self, ctx: &Context<'_>, head: &Head, response: &Response) {
        self.queue(ctx, head.request_line(), response, None);
        let next = if response.persistence.closes() {
            State::Closing
        } else {
            State::Idle
        };
        self.enter(next, Clock::Restart, ctx.now);
    }

    /// Queues the error response for a request hostecho will not echo, and closes.
    /// `head` is the request's head when it got that far. Whatever else the client
    /// sent is dropped: after an error nothing that follows can be trusted to be a
    /// request.
    fn refuse(&mut self, ctx: &Context<'_>, head: Option<&Head>, err: &RequestError) {
        match err {
            // One line, whatever the body holds: the hint and the frameworks' answers
            // go on it too.
            RequestError::Host(rejection) => {
                warn!("{} rejected: {}", self.at.peer, rejection.log_line())
            }
            _ => warn!("{} rejected: {err}", self.at.peer),
        }
        let response = exchange::refuse(err, head);
        let request_line = head.map_or("-", |h| h.request_line());
        self.queue(ctx, request_line, &response, None);
        self.read_buf = Vec::new();
        self.enter(State::Closing, Clock::Restart, ctx.now);
    }

    /// Logs a response in the access log and appends its bytes to the output.
    fn queue(
        &mut self,
        ctx: &Context<'_>,
        request_line: &str,
        response: &Response,
        host: Option<&ValidHost>,
    ) {
        // Under this module's name, as it always was: `RUST_LOG` directives name it.
        let (peer, host) = (self.at.peer, host.map(|h| &h.host));
        access_log::log(
            module_path!(),
            peer,
            request_line,
            response,
            host,
            ctx.worker,
        );
        if let Service::Draining { answered } = &mut self.service {
            *answered += 1;
        }
        response.write_to(&mut self.write_buf, ctx.date);
    }

    /// Reads once into `scratch` and appends what came to the read buffer.
    fn read_some(&mut self, scratch: &mut [u8]) -> io::Result<Received> {
        let received =
            stream::read_once(&mut self.stream, scratch, &mut self.read_buf, self.at.peer)?;
        if received == Received::End {
            self.read_closed = true;
        }
        Ok(received)
    }

    /// Writes queued bytes until done or the socket's send buffer is full.
    fn flush(&mut self) -> io::Result<Flushed> {
        let flushed = stream::write_out(
            &mut self.stream,
            &self.write_buf,
            &mut self.written,
            self.at.peer,
        )?;
        if flushed == Flushed::All {
            self.write_buf.clear();
            self.written = 0;
        }
        Ok(flushed)
    }

    /// Moves to `state`; with [`Clock::Restart`] the deadline's clock starts again from
    /// `now`. Every state the connection goes to is entered here, and `since` is set
    /// nowhere else, so what the deadline runs from can be read here alone. Two things
    /// touch the state without entering one: [`take_state`](Self::take_state), which
    /// leaves `Closing` in its place while a state is worked on by value, and
    /// [`discard`](Self::discard), which counts bytes inside `Lingering`.
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
            // Idle, or stalled writing a response nobody reads.
            State::Idle | State::Closing => self.since + ctx.idle_timeout,
        }
    }

    /// The deadline passed. A client part-way through a head or a body gets a 408
    /// (RFC 9110 §15.5.9), then a lingering close, since it may still be sending; an
    /// idle or stalled connection is simply closed.
    pub fn on_timeout(&mut self, ctx: &Context<'_>) -> Next {
        match self.take_state() {
            State::Head => {
                let limit = ctx.header_timeout;
                self.refuse(ctx, None, &RequestError::HeadTimeout { limit });
                self.after_timeout_refusal(ctx)
            }
            State::Body(upload) => {
                let limit = ctx.body_timeout;
                let err = RequestError::BodyTimeout { limit };
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
            Ok(Flushed::Partly) => Next::Write,
            Ok(Flushed::All) if self.read_closed => Next::Close,
            // The socket was read until `WouldBlock` (or a short read, which says the
            // same: see `stream::ShortRead`) before the deadline passed, so
            // anything the client sends from now on comes with a new event.
            Ok(Flushed::All) => {
                self.linger(ctx.now);
                Next::Read
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::PolicyOptions;
    use std::io::{Read, Write};
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
        let ctx = test_ctx(policy);
        let mut scratch = Scratch::new();
        conn.drive(&ctx, &mut scratch)
    }

    #[test]
    fn never_waits_for_input_while_complete_requests_are_buffered() {
        // Regression: answering stopped at the output high-water mark; once the output
        // was written out, `drive` went back to reading and returned `Read` with requests still
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
        // Refused: the 400 is flushed, the write side shut down, and the connection
        // lingers, reading what the client may still send.
        assert_eq!(drive_until_waiting(&mut conn, &policy), Next::Read);
        assert!(matches!(conn.state, State::Lingering { .. }));
        // The client reads the answer to its end (the FIN) while the connection is
        // still open.
        client
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
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

    impl Stream for Scripted {
        fn shutdown_write(&mut self) -> io::Result<()> {
            Ok(())
        }
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

    /// The default configuration, for every test's context.
    static DEFAULT_CONFIG: std::sync::LazyLock<Config> = std::sync::LazyLock::new(Config::default);

    /// The default configuration's context, now.
    fn test_ctx(policy: &HostPolicy) -> Context<'_> {
        let date = "Sat, 21 Nov 2026 16:00:00 GMT";
        Context::new(&DEFAULT_CONFIG, policy, Instant::now(), date)
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
        // read proves nothing: the drive reads again, and waits only once the stream
        // says `WouldBlock`.
        let policy = HostPolicy::new(PolicyOptions::default()).unwrap();
        let mut conn = scripted(GET_LOCALHOST, usize::MAX, false);
        let mut scratch = Scratch::new();
        assert_eq!(conn.drive(&test_ctx(&policy), &mut scratch), Next::Read);
        assert_eq!(
            conn.stream.reads, 2,
            "the request (short), then `WouldBlock`"
        );
        assert!(conn.stream.output.starts_with(b"HTTP/1.1 200 OK\r\n"));
    }

    #[test]
    fn plain_drive_reads_to_the_end_after_a_short_read() {
        let policy = HostPolicy::new(PolicyOptions::default()).unwrap();
        let mut conn = scripted(GET_LOCALHOST, usize::MAX, true);
        let mut scratch = Scratch::new();
        assert_eq!(conn.drive(&test_ctx(&policy), &mut scratch), Next::Close);
        assert_eq!(conn.stream.reads, 2, "the request (short), then the end");
    }
}
