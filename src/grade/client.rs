//! The grader's client: raw bytes over one TCP connection, every wait bounded.
//!
//! The server under test may be anything a learner wrote, in any language, at any
//! stage: it may answer, answer half, answer garbage, close, reset, or say nothing for
//! ever. So nothing here waits without a limit. A [`Conn`] carries one deadline for the
//! whole check it serves; every `connect`, `read` and `write` gets the time left until
//! it (`set_read_timeout`, `set_write_timeout`, `connect_timeout`), and runs out into a
//! [`Trouble`] that says what happened instead of a response. Nothing here panics on
//! what the server sends: a response is parsed with httparse, and every number in it is
//! checked.
//!
//! A response is framed as a client must frame it (RFC 9112 §6.3): no body for 1xx,
//! 204 and 304; `Transfer-Encoding: chunked`; `Content-Length`; otherwise the body runs
//! until the server closes. Bytes that follow a response stay in the buffer for the
//! next one, so pipelined answers are read one after another.

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// The most header lines the grader reads in a response; more is garbage to it.
const MAX_RESPONSE_HEADERS: usize = 64;

/// The most bytes kept from one answer: enough for any echo of the grader's
/// requests, and a bound on what a server that streams for ever can make us hold.
const MAX_RESPONSE_BYTES: usize = 1 << 20;

/// Why a check got no (complete) response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Trouble {
    /// Nothing listens at the address: the connection was refused.
    Refused,
    /// The connection could not be made for another reason (the OS's words).
    ConnectFailed(String),
    /// Nothing (more) came before the check's deadline.
    TimedOut,
    /// The server closed the connection.
    Closed,
    /// The server reset the connection (or the OS reported another read or write
    /// error, in its words).
    Reset(String),
    /// The bytes that came are not an HTTP/1.x response; the reason.
    Garbage(String),
}

/// No complete response: why, and what had arrived of one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoAnswer {
    /// What happened instead.
    pub trouble: Trouble,
    /// The bytes of the unfinished answer.
    pub partial: Vec<u8>,
}

/// How a response's body was delimited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyLength {
    /// `Content-Length`, with its value.
    Declared(usize),
    /// `Transfer-Encoding: chunked`.
    Chunked,
    /// A status without a body (1xx, 204, 304).
    None,
    /// Neither: the body ran until the server closed the connection (`true`), or until
    /// the deadline, the connection still open (`false`): then no client can tell
    /// where it ends.
    UntilClose(bool),
}

/// One response as read off the wire.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    /// The minor version in `HTTP/1.x`.
    pub minor: u8,
    /// The status code.
    pub status: u16,
    /// The reason phrase, as sent.
    pub reason: String,
    /// The header lines in order, as (name, value); values decoded lossily.
    pub headers: Vec<(String, String)>,
    /// The body, decoded from chunks if it was chunked.
    pub body: Vec<u8>,
    /// How the body was delimited.
    pub length: BodyLength,
}

impl Response {
    /// The first header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// `200 OK`: the status and reason, as a person reads them.
    pub fn status_text(&self) -> String {
        if self.reason.is_empty() {
            self.status.to_string()
        } else {
            format!("{} {}", self.status, self.reason)
        }
    }
}

/// What [`Conn::listen`] heard during a short wait.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Heard {
    /// Nothing: the connection is open and silent.
    Nothing,
    /// Some bytes (kept for the next [`Conn::read_response`]).
    Bytes,
    /// The server closed or reset the connection.
    Trouble(Trouble),
}

/// One connection to the server under test, with the deadline of its check.
#[derive(Debug)]
pub struct Conn {
    stream: TcpStream,
    deadline: Instant,
    /// Bytes read and not yet taken as a response.
    buf: Vec<u8>,
    /// Whether the server has closed its side (a read returned 0).
    eof: bool,
    /// How many bytes have been written so far.
    pub sent: usize,
}

impl Conn {
    /// Connects, giving up at `deadline`.
    pub fn open(addr: SocketAddr, deadline: Instant) -> Result<Conn, Trouble> {
        let left = remaining(deadline).ok_or(Trouble::TimedOut)?;
        let stream = TcpStream::connect_timeout(&addr, left).map_err(|e| match e.kind() {
            ErrorKind::ConnectionRefused => Trouble::Refused,
            ErrorKind::TimedOut | ErrorKind::WouldBlock => Trouble::TimedOut,
            _ => Trouble::ConnectFailed(e.to_string()),
        })?;
        // Each write is its own segment: a head written in pieces must reach the server
        // in pieces, which Nagle's algorithm would otherwise merge.
        let _ = stream.set_nodelay(true);
        Ok(Conn {
            stream,
            deadline,
            buf: Vec::new(),
            eof: false,
            sent: 0,
        })
    }

    /// Writes all of `bytes`, or says why not.
    pub fn send(&mut self, bytes: &[u8]) -> Result<(), Trouble> {
        let mut rest = bytes;
        while !rest.is_empty() {
            let left = remaining(self.deadline).ok_or(Trouble::TimedOut)?;
            // A zero time-out is an error to set_write_timeout; `remaining` is never zero.
            let _ = self.stream.set_write_timeout(Some(left));
            match self.stream.write(rest) {
                Ok(0) => return Err(Trouble::Closed),
                Ok(n) => {
                    self.sent += n;
                    rest = &rest[n..];
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(io_trouble(&e)),
            }
        }
        Ok(())
    }

    /// Closes our sending side (a half-close): the server reads end-of-file, and may
    /// still answer.
    pub fn half_close(&mut self) {
        let _ = self.stream.shutdown(Shutdown::Write);
    }

    /// Waits at most `wait` (and not past the deadline) for anything from the server.
    pub fn listen(&mut self, wait: Duration) -> Heard {
        if !self.buf.is_empty() {
            return Heard::Bytes;
        }
        let until = (Instant::now() + wait).min(self.deadline);
        match self.fill(until) {
            Ok(()) => Heard::Bytes,
            Err(Trouble::TimedOut) => Heard::Nothing,
            Err(other) => Heard::Trouble(other),
        }
    }

    /// Reads one response (skipping interim 1xx ones), or says why none came.
    pub fn read_response(&mut self) -> Result<Response, NoAnswer> {
        loop {
            let response = self.read_one()?;
            // 100 Continue and 102 Processing precede the real answer; 101 switches
            // protocols and is final.
            if (100..200).contains(&response.status) && response.status != 101 {
                continue;
            }
            return Ok(response);
        }
    }

    fn read_one(&mut self) -> Result<Response, NoAnswer> {
        let (head_len, mut response) = loop {
            if let Some(parsed) = self.parse_head()? {
                break parsed;
            }
            let deadline = self.deadline;
            self.fill(deadline).map_err(|t| self.no_answer(t))?;
        };
        let declared = response
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
            .map(|(_, v)| v.clone());
        let chunked = response.headers.iter().any(|(n, v)| {
            n.eq_ignore_ascii_case("transfer-encoding")
                && v.rsplit(',')
                    .next()
                    .is_some_and(|last| last.trim().eq_ignore_ascii_case("chunked"))
        });
        if matches!(response.status, 100..=199 | 204 | 304) {
            response.length = BodyLength::None;
            self.buf.drain(..head_len);
        } else if chunked {
            let (body, used) = loop {
                match dechunk(&self.buf[head_len..]) {
                    Ok(Some(done)) => break done,
                    Ok(None) => {
                        let deadline = self.deadline;
                        self.fill(deadline).map_err(|t| self.no_answer(t))?;
                    }
                    Err(why) => return Err(self.garbage(why)),
                }
            };
            response.body = body;
            response.length = BodyLength::Chunked;
            self.buf.drain(..head_len + used);
        } else if let Some(value) = declared {
            let Ok(length) = value.trim().parse::<usize>() else {
                return Err(self.garbage(format!("Content-Length {value:?} is not a number")));
            };
            if length > MAX_RESPONSE_BYTES {
                return Err(self.garbage(format!(
                    "Content-Length {length} is more than the grader reads"
                )));
            }
            while self.buf.len() < head_len + length {
                let deadline = self.deadline;
                self.fill(deadline).map_err(|t| self.no_answer(t))?;
            }
            response.body = self.buf[head_len..head_len + length].to_vec();
            response.length = BodyLength::Declared(length);
            self.buf.drain(..head_len + length);
        } else {
            loop {
                let deadline = self.deadline;
                match self.fill(deadline) {
                    Ok(()) if self.buf.len() <= MAX_RESPONSE_BYTES => {}
                    Ok(()) | Err(Trouble::TimedOut) => {
                        response.length = BodyLength::UntilClose(false);
                        break;
                    }
                    Err(_) => {
                        response.length = BodyLength::UntilClose(true);
                        break;
                    }
                }
            }
            response.body = self.buf.split_off(head_len);
            self.buf.clear();
        }
        Ok(response)
    }

    /// Parses a response head from the buffer: `Ok(None)` until it is complete.
    fn parse_head(&mut self) -> Result<Option<(usize, Response)>, NoAnswer> {
        parse_head(&self.buf).map_err(|why| self.garbage(why))
    }

    /// Reads once more into the buffer, waiting at most until `until`.
    fn fill(&mut self, until: Instant) -> Result<(), Trouble> {
        if self.eof {
            return Err(Trouble::Closed);
        }
        let mut chunk = [0u8; 8192];
        loop {
            let left = remaining(until).ok_or(Trouble::TimedOut)?;
            let _ = self.stream.set_read_timeout(Some(left));
            match self.stream.read(&mut chunk) {
                Ok(0) => {
                    self.eof = true;
                    return Err(Trouble::Closed);
                }
                Ok(n) => {
                    self.buf.extend_from_slice(&chunk[..n]);
                    return Ok(());
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    return Err(Trouble::TimedOut);
                }
                Err(e) => return Err(io_trouble(&e)),
            }
        }
    }

    fn no_answer(&mut self, trouble: Trouble) -> NoAnswer {
        NoAnswer {
            trouble,
            partial: std::mem::take(&mut self.buf),
        }
    }

    fn garbage(&mut self, why: String) -> NoAnswer {
        self.no_answer(Trouble::Garbage(why))
    }
}

/// Parses a response head at the start of `bytes`: its length and the response without
/// its body once complete, `Ok(None)` until then, or why the bytes are not one.
fn parse_head(bytes: &[u8]) -> Result<Option<(usize, Response)>, String> {
    // Five bytes are enough to see that an answer is not `HTTP/…` at all.
    let seen = bytes.len().min(5);
    if bytes[..seen] != b"HTTP/"[..seen] {
        return Err("it does not start with HTTP/".to_string());
    }
    let mut headers = [httparse::EMPTY_HEADER; MAX_RESPONSE_HEADERS];
    let mut parsed = httparse::Response::new(&mut headers);
    match parsed.parse(bytes) {
        Ok(httparse::Status::Partial) if bytes.len() > MAX_RESPONSE_BYTES => {
            Err("its head never ends".to_string())
        }
        Ok(httparse::Status::Partial) => Ok(None),
        Ok(httparse::Status::Complete(len)) => Ok(Some((
            len,
            Response {
                minor: parsed.version.unwrap_or(1),
                status: parsed.code.unwrap_or(0),
                reason: parsed.reason.unwrap_or("").to_string(),
                headers: parsed
                    .headers
                    .iter()
                    .map(|h| {
                        (
                            h.name.to_string(),
                            String::from_utf8_lossy(h.value).into_owned(),
                        )
                    })
                    .collect(),
                body: Vec::new(),
                length: BodyLength::None,
            },
        ))),
        Err(e) => Err(format!("its head is not HTTP/1.x: {e}")),
    }
}

/// The time left until `deadline`, or `None` once it has passed.
fn remaining(deadline: Instant) -> Option<Duration> {
    deadline
        .checked_duration_since(Instant::now())
        .filter(|d| !d.is_zero())
}

fn io_trouble(e: &std::io::Error) -> Trouble {
    match e.kind() {
        ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted | ErrorKind::BrokenPipe => {
            Trouble::Reset("the connection was reset".to_string())
        }
        ErrorKind::WouldBlock | ErrorKind::TimedOut => Trouble::TimedOut,
        _ => Trouble::Reset(e.to_string()),
    }
}

/// Decodes a chunked body (RFC 9112 §7.1) from the start of `bytes`: the body and the
/// bytes it used once the last chunk and trailers are in, `Ok(None)` until then.
fn dechunk(bytes: &[u8]) -> Result<Option<(Vec<u8>, usize)>, String> {
    let mut body = Vec::new();
    let mut at = 0;
    loop {
        let Some(line_end) = find_crlf(&bytes[at..]) else {
            return Ok(None);
        };
        let line = String::from_utf8_lossy(&bytes[at..at + line_end]).into_owned();
        // Chunk extensions (`;name=value`) are allowed and ignored.
        let digits = line.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(digits, 16)
            .ok()
            .filter(|&s| s <= MAX_RESPONSE_BYTES)
            .ok_or_else(|| format!("chunk size {digits:?} is not a hex number"))?;
        at += line_end + 2;
        if size == 0 {
            // Trailer lines, then the empty line.
            loop {
                let Some(end) = find_crlf(&bytes[at..]) else {
                    return Ok(None);
                };
                at += end + 2;
                if end == 0 {
                    return Ok(Some((body, at)));
                }
            }
        }
        if bytes.len() < at + size + 2 {
            return Ok(None);
        }
        body.extend_from_slice(&bytes[at..at + size]);
        if &bytes[at + size..at + size + 2] != b"\r\n" {
            return Err("a chunk does not end with CRLF".to_string());
        }
        at += size + 2;
    }
}

fn find_crlf(bytes: &[u8]) -> Option<usize> {
    bytes.windows(2).position(|w| w == b"\r\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_head_parses_once_complete_and_garbage_is_named_early() {
        let head = b"HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Length: 0\r\n\r\n";
        let (len, response) = parse_head(head).expect("valid").expect("complete");
        assert_eq!((len, response.status), (head.len(), 431));
        assert_eq!(
            response.status_text(),
            "431 Request Header Fields Too Large"
        );
        for cut in 0..head.len() {
            assert_eq!(parse_head(&head[..cut]), Ok(None), "cut at {cut}");
        }
        assert_eq!(
            parse_head(b"hello"),
            Err("it does not start with HTTP/".to_string())
        );
        assert_eq!(parse_head(b"H"), Ok(None));
        assert!(parse_head(b"HTTP/1.1 2000 OK\r\n\r\n").is_err());
    }

    proptest! {
        /// Whatever a server sends, reading it never panics.
        #[test]
        fn any_bytes_parse_or_fail_without_panicking(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = parse_head(&bytes);
            let _ = dechunk(&bytes);
            let mut prefixed = b"HTTP/1.1 200 OK\r\n".to_vec();
            prefixed.extend_from_slice(&bytes);
            let _ = parse_head(&prefixed);
        }

        /// Nor does judging a `Date` value, of any characters (several bytes each, too).
        #[test]
        fn any_date_value_is_judged_without_panicking(value in "\\PC{0,40}") {
            let _ = crate::grade::judge::is_imf_fixdate(&value);
        }
    }

    #[test]
    fn chunked_bodies_decode_once_complete() {
        let wire = b"5\r\nhello\r\n1;ext=1\r\n!\r\n0\r\n\r\nNEXT";
        assert_eq!(
            dechunk(wire),
            Ok(Some((b"hello!".to_vec(), wire.len() - 4)))
        );
        for cut in 0..wire.len() - 4 {
            assert_eq!(dechunk(&wire[..cut]), Ok(None), "cut at {cut}");
        }
        assert!(dechunk(b"zz\r\n").is_err());
        assert!(dechunk(b"2\r\nabXX0\r\n\r\n").is_err());
    }
}
