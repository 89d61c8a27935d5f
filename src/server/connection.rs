//! One client's connection: its buffers and its state machine.
//!
//! A connection reads bytes, frames them into requests, answers each one, and writes
//! the answers back in order. It is driven by the event loop, which calls
//! [`Connection::drive`] whenever the socket becomes readable or writable, and
//! [`Connection::on_timeout`] when its deadline passes. `drive` does as much work as the
//! socket allows and then says what it is waiting for ([`Next`]).
//!
//! ```text
//!            first byte               head complete            body complete
//!   Idle ─────────────────▶ Head ─────────────────▶ Body ─────────────────▶ (answer) ─▶ Idle
//!     ▲                       │ error / bad Host       │ error                   │
//!     │                       ▼                        ▼                         │ close
//!     └── keep-alive ──── Closing ◀────────────────────┴─────────────────────────┘
//! ```
//!
//! mio is edge-triggered: a readiness event is reported once, when the socket *becomes*
//! ready, not for as long as it *is* ready. So `drive` reads until the OS says
//! `WouldBlock`, and when it stops early on purpose (its output is backed up), it must
//! come back to reading by itself once the output drains — no new event will remind it.
//!
//! Buffers belong to the connection and are released whenever it goes idle, so an idle
//! keep-alive connection holds a socket and a few words, not kilobytes.

use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use log::{Level, debug, info, log_enabled, trace, warn};
use mio::net::TcpStream;

use crate::echo::{self, Echo};
use crate::error::RequestError;
use crate::host::{Facts, HostPolicy, ValidHost};
use crate::http::framing::{self, BodyDecoder, BodyKind, FramedHead, Limits};
use crate::http::response::{self, Response, Status};
use crate::http::target::Target;
use crate::http::{Request, Version};

/// How much one `read` call asks for. Reads land in the loop's scratch buffer first, so
/// this is also the most a connection's own buffer grows by in one step.
pub const READ_CHUNK: usize = 16 * 1024;

/// Stop answering pipelined requests while this much output waits to be written: the
/// client is not reading, so reading (and answering) more would only grow memory.
const OUTPUT_HIGH_WATER: usize = 64 * 1024;

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

/// Where the connection is in the request it is reading.
#[derive(Debug)]
enum State {
    /// Between requests: no byte of the next one has arrived.
    Idle,
    /// Some bytes of a head have arrived, but not all of it.
    Head,
    /// The head is complete and allowed; the body is being read.
    Body {
        framed: Box<FramedHead>,
        host: ValidHost,
        decoder: BodyDecoder,
        body: Vec<u8>,
    },
    /// A response that ends the connection is queued: write it, then close.
    Closing,
}

/// One client connection.
#[derive(Debug)]
pub struct Connection {
    stream: TcpStream,
    peer: SocketAddr,
    local: SocketAddr,
    /// Bytes read but not yet framed. Empty (and without capacity) while idle.
    read_buf: Vec<u8>,
    /// Response bytes queued for the socket; `written` of them have been sent.
    write_buf: Vec<u8>,
    written: usize,
    state: State,
    /// When the current state began, for the deadline.
    since: Instant,
    /// The client closed its sending side (`read` returned `Ok(0)`).
    read_closed: bool,
    /// Whether WRITABLE interest is currently registered.
    wants_write: bool,
}

impl Connection {
    /// Wraps an accepted stream.
    pub fn new(stream: TcpStream, peer: SocketAddr, local: SocketAddr, now: Instant) -> Connection {
        Connection {
            stream,
            peer,
            local,
            read_buf: Vec::new(),
            write_buf: Vec::new(),
            written: 0,
            state: State::Idle,
            since: now,
            read_closed: false,
            wants_write: false,
        }
    }

    /// The socket, for (re)registering with the poll.
    pub fn stream_mut(&mut self) -> &mut TcpStream {
        &mut self.stream
    }

    /// The client's address.
    pub fn peer(&self) -> SocketAddr {
        self.peer
    }

    /// Whether WRITABLE interest is registered; the loop keeps it in step with [`Next`].
    pub fn wants_write(&self) -> bool {
        self.wants_write
    }

    /// Records which interest the loop registered.
    pub fn set_wants_write(&mut self, wants: bool) {
        self.wants_write = wants;
    }

    /// The moment this connection gives up waiting, given its state. There is exactly
    /// one deadline per connection, and the event loop keeps it in its timer heap.
    pub fn deadline(&self, ctx: &Context<'_>) -> Instant {
        match self.state {
            // Slowloris sends a head one byte at a time to hold a connection open; the
            // head deadline runs from its *first* byte, so trickling does not extend it.
            State::Head => self.since + ctx.header_timeout,
            State::Idle | State::Body { .. } | State::Closing => self.since + ctx.idle_timeout,
        }
    }

    /// Does all the work the socket allows: answer what is buffered, write what is
    /// queued, read what has arrived — until the socket would block or the connection
    /// is done. `scratch` is the loop's read buffer, lent for the call.
    pub fn drive(&mut self, ctx: &Context<'_>, scratch: &mut [u8]) -> Next {
        loop {
            self.process(ctx);
            let pending = self.write_buf.len() - self.written;
            let flushed = self.flush();
            if self.write_buf.len() - self.written < pending && !matches!(self.state, State::Head) {
                // A client that reads its answer, however slowly, is making progress:
                // its idle deadline runs from the last byte it took.
                self.since = ctx.now;
            }
            match flushed {
                Ok(true) => {}
                Ok(false) => return Next::Write,
                Err(e) => {
                    debug!("{} write failed: {e}", self.peer);
                    return Next::Close;
                }
            }
            if matches!(self.state, State::Closing) {
                return Next::Close;
            }
            if self.read_closed {
                // The client will send nothing more. What it sent is answered and
                // flushed; an unfinished request can never complete, so close.
                return Next::Close;
            }
            if matches!(self.state, State::Idle) && self.read_buf.is_empty() {
                self.release_buffers();
            }
            match self.read_some(ctx, scratch) {
                Ok(true) => continue,
                Ok(false) => return Next::Read,
                Err(e) => {
                    debug!("{} read failed: {e}", self.peer);
                    return Next::Close;
                }
            }
        }
    }

    /// The deadline passed. A client part-way through a head gets a 408 (RFC 9110
    /// §15.5.9); an idle or stalled connection is simply closed.
    pub fn on_timeout(&mut self, ctx: &Context<'_>) -> Next {
        match self.state {
            State::Head => {
                self.reject(ctx, None, &RequestError::HeadTimeout);
                match self.flush() {
                    Ok(true) | Err(_) => Next::Close,
                    Ok(false) => Next::Write,
                }
            }
            _ => {
                debug!(
                    "{} closed after {:?} without progress",
                    self.peer, ctx.idle_timeout
                );
                Next::Close
            }
        }
    }

    /// Reads once into `scratch` and appends to the read buffer.
    /// `Ok(true)`: bytes arrived (or the peer closed) — process them.
    /// `Ok(false)`: nothing more for now (`WouldBlock`).
    fn read_some(&mut self, ctx: &Context<'_>, scratch: &mut [u8]) -> io::Result<bool> {
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
                            self.peer,
                            scratch[..n].escape_ascii()
                        );
                    }
                    if matches!(self.state, State::Idle) {
                        self.state = State::Head;
                        self.since = ctx.now;
                    } else if matches!(self.state, State::Body { .. }) {
                        // A body that keeps arriving is progress: its deadline moves.
                        self.since = ctx.now;
                    }
                    self.read_buf.extend_from_slice(&scratch[..n]);
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
                        trace!("{} wrote {n} bytes: \"{}\"", self.peer, sent.escape_ascii());
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
    fn process(&mut self, ctx: &Context<'_>) {
        loop {
            if self.write_buf.len() - self.written >= OUTPUT_HIGH_WATER {
                return; // backpressure: let the client read before we answer more
            }
            match std::mem::replace(&mut self.state, State::Closing) {
                State::Closing => return,
                State::Idle | State::Head => {
                    if self.read_buf.is_empty() {
                        self.state = State::Idle;
                        return;
                    }
                    match framing::parse_head(&self.read_buf, &ctx.limits) {
                        // Partial: not an error, just not enough bytes yet.
                        Ok(None) => {
                            self.state = State::Head;
                            return;
                        }
                        Ok(Some((framed, used))) => {
                            self.read_buf.drain(..used);
                            self.on_head(ctx, framed);
                        }
                        Err(err) => {
                            self.reject(ctx, None, &err);
                            return;
                        }
                    }
                }
                State::Body {
                    framed,
                    host,
                    mut decoder,
                    mut body,
                } => match decoder.decode(&self.read_buf, &mut body) {
                    Ok(progress) => {
                        self.read_buf.drain(..progress.consumed);
                        if !progress.complete {
                            self.state = State::Body {
                                framed,
                                host,
                                decoder,
                                body,
                            };
                            return;
                        }
                        self.answer(ctx, *framed, host, body);
                    }
                    Err(err) => {
                        self.reject(ctx, Some(&framed.head.request_line), &err);
                        return;
                    }
                },
            }
        }
    }

    /// A head is complete: log it, decide its Host, and start on its body.
    fn on_head(&mut self, ctx: &Context<'_>, framed: FramedHead) {
        let head = &framed.head;
        if log_enabled!(Level::Debug) {
            debug!("{} > {}", self.peer, head.request_line);
            for h in &head.headers {
                debug!("{} > {}: {}", self.peer, h.name, h.value.escape_ascii());
            }
        }
        // The Host is decided before the body is read: a request for a host we do not
        // serve gets its 400 at once, without uploading anything (and without the
        // `100 Continue` that would invite the upload).
        let target = Target::parse(&head.target);
        let facts = Facts {
            version: head.version,
            absolute_authority: target.absolute_authority(),
            headers: &head.headers,
            peer: self.peer,
            local: self.local,
        };
        let host = match ctx.policy.decide(&facts) {
            Ok(host) => host,
            Err(rejection) => {
                warn!("{} rejected: {}", self.peer, rejection.message);
                let response = Response::error(Status::BAD_REQUEST, &rejection.message);
                self.refuse(ctx, &framed.head.request_line, &response);
                return;
            }
        };
        if framed.body == BodyKind::None {
            self.answer(ctx, framed, host, Vec::new());
            return;
        }
        if framed.expect_continue && self.read_buf.is_empty() {
            // The client waits for permission before sending the body (RFC 9110
            // §10.1.1). If body bytes are already here it did not wait, and the interim
            // response would be noise.
            self.write_buf.extend_from_slice(response::CONTINUE);
        }
        self.since = ctx.now;
        self.state = State::Body {
            decoder: BodyDecoder::new(framed.body, ctx.limits.max_body_bytes),
            framed: Box::new(framed),
            host,
            body: Vec::new(),
        };
    }

    /// A whole request is here and its Host allowed: queue its echo.
    fn answer(&mut self, ctx: &Context<'_>, framed: FramedHead, host: ValidHost, body: Vec<u8>) {
        let target = Target::parse(&framed.head.target);
        let path = target.decoded_path();
        let query = target.query_pairs();
        let format = echo::accept::negotiate(framed.head.values("accept"));
        let keep_alive = framed.keep_alive;
        let request = Request {
            head: framed.head,
            body,
        };
        let echo = Echo {
            request: &request,
            host: &host,
            peer: self.peer,
            local: self.local,
            path: &path,
            query: &query,
        };
        let head = &request.head;
        let mut response = Response::ok(
            format.content_type(),
            echo::render(format, &echo),
            !keep_alive,
        );
        response.keep_alive = keep_alive && head.version == Version::Http10;
        self.queue(
            ctx,
            &head.request_line,
            &response,
            Some(&host),
            head.is_head(),
        );
        if keep_alive {
            self.state = State::Idle;
            self.since = ctx.now;
        } else {
            self.state = State::Closing;
        }
    }

    /// Queues the error response for a request that could not be framed, and closes.
    fn reject(&mut self, ctx: &Context<'_>, request_line: Option<&str>, err: &RequestError) {
        warn!("{} rejected: {err}", self.peer);
        let line = request_line.unwrap_or("-").to_owned();
        self.refuse(ctx, &line, &Response::for_request_error(err));
    }

    /// Queues a response that ends the connection. Whatever else the client sent is
    /// dropped: after an error nothing that follows can be trusted to be a request.
    fn refuse(&mut self, ctx: &Context<'_>, request_line: &str, response: &Response) {
        self.queue(ctx, request_line, response, None, false);
        self.state = State::Closing;
        self.read_buf = Vec::new();
    }

    /// Logs a response and appends its bytes to the output.
    fn queue(
        &mut self,
        ctx: &Context<'_>,
        request_line: &str,
        response: &Response,
        host: Option<&ValidHost>,
        head_only: bool,
    ) {
        self.log_access(request_line, response, host);
        response.write_to(&mut self.write_buf, ctx.date, head_only);
    }

    /// The access log: one line per response, at info.
    fn log_access(&self, request_line: &str, response: &Response, host: Option<&ValidHost>) {
        let host = host.map_or("-", |h| h.host.as_str());
        info!(
            "{} \"{}\" {} {} host={}",
            self.peer,
            request_line.escape_debug(),
            response.status.0,
            response.body.len(),
            host
        );
    }

    /// Gives buffer memory back while the connection waits for its next request.
    fn release_buffers(&mut self) {
        if self.read_buf.capacity() > 0 {
            self.read_buf = Vec::new();
        }
        if self.write_buf.capacity() > 0 && self.write_buf.is_empty() {
            self.write_buf = Vec::new();
        }
    }
}
