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
//! `WouldBlock`. When it stops early on purpose — its output is backed up, so it stops
//! answering pipelined requests — it must come back by itself once the output drains,
//! first to answer the requests already buffered, then to read: the client may have
//! sent everything already, and no new event will remind it.
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
use crate::http::{Head, Request, Version};

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
            let processed = self.process(ctx);
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
                    if matches!(self.state, State::Body { .. }) {
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
    fn process(&mut self, ctx: &Context<'_>) -> Processed {
        loop {
            if self.write_buf.len() - self.written >= OUTPUT_HIGH_WATER {
                // Backpressure: let the client read before answering more. The caller
                // comes back here once the output drains, even if no new bytes arrive:
                // the requests still buffered are owed an answer.
                return Processed::BackedUp;
            }
            match std::mem::replace(&mut self.state, State::Closing) {
                State::Closing => return Processed::Done,
                State::Idle => {
                    // Empty lines between requests are ignored (RFC 9112 §2.2; some
                    // clients send a CRLF after a body). They are not the start of a
                    // head, so they neither start its clock nor extend the idle one.
                    let blank = self
                        .read_buf
                        .iter()
                        .take_while(|b| matches!(b, b'\r' | b'\n'))
                        .count();
                    self.read_buf.drain(..blank);
                    if self.read_buf.is_empty() {
                        self.state = State::Idle;
                        return Processed::Done;
                    }
                    // The first byte of a head: the head's deadline runs from now.
                    self.since = ctx.now;
                    self.state = State::Head;
                }
                State::Head => match framing::parse_head(&self.read_buf, &ctx.limits) {
                    // Partial: not an error, just not enough bytes yet.
                    Ok(None) => {
                        self.state = State::Head;
                        return Processed::Done;
                    }
                    Ok(Some((framed, used))) => {
                        self.read_buf.drain(..used);
                        self.on_head(ctx, framed);
                    }
                    Err(err) => {
                        self.reject(ctx, None, &err);
                        return Processed::Done;
                    }
                },
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
                            return Processed::Done;
                        }
                        self.answer(ctx, *framed, host, body);
                    }
                    Err(err) => {
                        self.reject(ctx, Some(&framed.head), &err);
                        return Processed::Done;
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
                self.refuse(ctx, Some(&framed.head), &response);
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
    /// `head` is the request's head when it got that far.
    fn reject(&mut self, ctx: &Context<'_>, head: Option<&Head>, err: &RequestError) {
        warn!("{} rejected: {err}", self.peer);
        self.refuse(ctx, head, &Response::for_request_error(err));
    }

    /// Queues a response that ends the connection. Whatever else the client sent is
    /// dropped: after an error nothing that follows can be trusted to be a request.
    fn refuse(&mut self, ctx: &Context<'_>, head: Option<&Head>, response: &Response) {
        let request_line = head.map_or("-", |h| h.request_line.as_str());
        // The answer to a HEAD never carries a body, not even an error's (RFC 9110
        // §9.3.2): a client reading it would take the body for the next response.
        let head_only = head.is_some_and(Head::is_head);
        self.queue(ctx, request_line, response, None, head_only);
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
            now: Instant::now(),
            date: "Sat, 21 Nov 2026 16:00:00 GMT",
        };
        let mut scratch = vec![0u8; READ_CHUNK];
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

    #[test]
    fn blank_lines_while_idle_start_no_head() {
        let policy = HostPolicy::new(PolicyOptions::default()).unwrap();
        let (mut conn, mut client) = pair();
        client.write_all(b"\r\n\r\n").unwrap();
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(drive_until_waiting(&mut conn, &policy), Next::Read);
        assert!(matches!(conn.state, State::Idle));
        assert!(conn.read_buf.is_empty());
    }
}
