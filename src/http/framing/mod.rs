//! Framing: turning a stream of bytes into requests.
//!
//! TCP delivers a stream of bytes, not messages. A read may return half a request line,
//! or three pipelined requests and the start of a fourth. *Framing* is the work of
//! finding where each request starts and ends in that stream (RFC 9112 §2.1):
//!
//! ```text
//! HTTP-message   = start-line CRLF
//!                  *( field-line CRLF )
//!                  CRLF
//!                  [ message-body ]
//! ```
//!
//! It happens in three steps, each a pure function of the bytes so far, each in its
//! own file:
//!
//! 1. [`skip_empty_lines`] (here): what may precede a request line. Empty lines
//!    between requests are ignored (RFC 9112 §2.2); anything else starts a request.
//! 2. [`parse_head`] ([`head`]) finds the head (request line, field lines, empty line)
//!    with httparse, enforces the size limits, parses the target once, and asks
//!    [`body`] how the body is delimited ([`BodyKind`]), whether the client waits for
//!    `100 Continue`, and whether the connection persists ([`Persistence`]).
//! 3. A [`BodyDecoder`] ([`decoder`]) then consumes exactly the body's bytes, removing
//!    the chunked coding if there is one, and stops where the next request begins.
//!
//! All follow httparse's contract: incomplete data is not invalid. When the bytes end
//! mid-request the answer is "not yet" (`Ok(None)`, or [`Decoded`] with
//! `complete: false`), and the caller reads more and asks again with the longer buffer.
//! Because the answers depend only on the bytes, never on how they were split across
//! reads, a request arriving one byte per read is framed exactly like one arriving
//! whole; the tests check that at every split point.
//!
//! Framing is where request smuggling is stopped. If two parties on a request's path
//! (a proxy and this server, say) disagree on where a body ends, an attacker can hide a
//! second request inside the first one's body. So every ambiguity RFC 9112 §6 lets a
//! server reject is rejected here: `Content-Length` and `Transfer-Encoding` together,
//! two different lengths, a length that is not plain digits, a transfer coding we do not
//! know, a chunk that does not end where its size says.
//!
//! What is deliberately left out: obsolete line folding is refused rather than unfolded
//! (RFC 9112 §5.2 allows either), trailer fields are checked and dropped rather than
//! merged into the headers (RFC 9110 §6.5.1), and no transfer coding other than chunked
//! is implemented.

pub mod body;
pub mod decoder;
pub mod head;

use crate::error::{Malformed, RequestError};
use crate::http::request::Head;

pub use decoder::{BodyDecoder, Decoded, MAX_CHUNK_LINE_BYTES, MAX_TRAILER_BYTES};
pub use head::{parse_head, parse_head_into};

/// The limits framing enforces, taken from the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest head (request line + headers + blank line) in bytes: over it → 431,
    /// or 414 when the request line alone is over it.
    pub max_header_bytes: usize,
    /// Most header field lines: over it → 431.
    pub max_headers: usize,
    /// Largest decoded body in bytes: over it → 413.
    pub max_body_bytes: u64,
    /// How many of a body's first bytes are kept, for the echo to show; the rest are
    /// counted as they are decoded and dropped ([`BodyDecoder::keeping`]).
    pub echo_body_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_header_bytes: 8192,
            max_headers: 100,
            max_body_bytes: 1024 * 1024,
            echo_body_bytes: crate::echo::ECHO_BODY_BYTES,
        }
    }
}

/// How the body of a request is delimited (RFC 9112 §6.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyKind {
    /// No body: neither `Content-Length` nor `Transfer-Encoding`.
    None,
    /// Exactly this many bytes follow the head.
    Length(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
}

/// Whether the connection persists after a response, and what the response says
/// about it (RFC 9112 §9.3). Framing decides it once per request, from the version and
/// the `Connection` header ([`body::persistence`]), and the response carries it; an
/// error response is always [`Persistence::Close`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Persistence {
    /// Say `Connection: close`, and close once the response is written.
    Close,
    /// Say `Connection: keep-alive`, and keep the connection. Only an HTTP/1.0 client
    /// that asked to keep the connection needs it: 1.0 closes by default, so it keeps
    /// the connection only when the response says so too (RFC 9112 Appendix C.2.2).
    KeepAlive,
    /// Say nothing, and keep the connection: HTTP/1.1 is persistent by default.
    Implied,
}

impl Persistence {
    /// Whether the connection is closed once the response is written.
    pub fn closes(self) -> bool {
        self == Persistence::Close
    }
}

/// A complete head, with what framing worked out about the body and the connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FramedHead {
    /// The request line and headers.
    pub head: Head,
    /// How the body is delimited.
    pub body: BodyKind,
    /// Whether the client sent `Expect: 100-continue` and waits for `100 Continue`.
    ///
    /// Only set for an HTTP/1.1 request that has a body to send: RFC 9110 §10.1.1 says
    /// to ignore the expectation in an HTTP/1.0 request, and a client with no body is
    /// not waiting for anything. Other expectations are ignored; the 417 (Expectation
    /// Failed) RFC 9110 §10.1.1 allows for them is not a status hostecho sends.
    pub expect_continue: bool,
    /// Whether the connection stays open after the response, and what the response
    /// says about it. Decided here, once; the response serialises it and the
    /// connection obeys it.
    pub persistence: Persistence,
}

/// What precedes the request line in a buffer, as [`skip_empty_lines`] sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Preamble {
    /// Only empty lines so far (perhaps ending in a CR whose LF has not arrived): drop
    /// this many bytes and keep waiting. No request has started.
    Empty(usize),
    /// After this many bytes of empty lines, a request line starts.
    RequestAt(usize),
}

/// The one rule for what may come before a request line: empty lines, each a CRLF or a
/// bare LF, which a server "SHOULD ignore" (RFC 9112 §2.2; some clients send a CRLF
/// after a body). A CR not followed by LF is not a line ending at all, so `\rGET …` is
/// malformed (400), as httparse also says.
///
/// The connection calls this while it waits between requests: empty lines start no
/// head and no head deadline, and they do not extend the idle one, so a client that
/// sends nothing but CRLFs is closed when it has been idle too long.
pub fn skip_empty_lines(buf: &[u8]) -> Result<Preamble, RequestError> {
    let mut at = 0;
    loop {
        match &buf[at..] {
            [b'\r', b'\n', ..] => at += 2,
            [b'\n', ..] => at += 1,
            // The LF may still be on its way.
            [] | [b'\r'] => return Ok(Preamble::Empty(at)),
            [b'\r', ..] => return Err(RequestError::Malformed(Malformed::LineEnding)),
            _ => return Ok(Preamble::RequestAt(at)),
        }
    }
}

/// What the tests of each step share: a curl request, and ways to frame bytes.
#[cfg(test)]
pub(crate) mod test_support {
    use super::*;

    pub(crate) const CURL: &[u8] =
        b"GET /index.html?name=jack&age=18 HTTP/1.1\r\nHost: localhost:8000\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n";

    pub(crate) fn parse(bytes: &[u8]) -> Result<Option<(FramedHead, usize)>, RequestError> {
        parse_head(bytes, &Limits::default())
    }

    /// The framed head of a request that must parse.
    pub(crate) fn framed(bytes: &[u8]) -> FramedHead {
        match parse(bytes) {
            Ok(Some((framed, _))) => framed,
            other => panic!(
                "{:?} did not parse: {other:?}",
                bytes.escape_ascii().to_string()
            ),
        }
    }

    /// The error a request must produce.
    pub(crate) fn error(bytes: &[u8], limits: &Limits) -> RequestError {
        match parse_head(bytes, limits) {
            Err(e) => e,
            other => panic!(
                "{:?} was not refused: {other:?}",
                bytes.escape_ascii().to_string()
            ),
        }
    }

    /// A request with these header lines and an empty body.
    pub(crate) fn with_headers(version: &str, lines: &[&str]) -> Vec<u8> {
        let mut request = format!("POST / {version}\r\nHost: a\r\n");
        for line in lines {
            request.push_str(line);
            request.push_str("\r\n");
        }
        request.push_str("\r\n");
        request.into_bytes()
    }

    /// The outcome of framing a head: the body it announces, or the error.
    #[derive(Clone, Debug, PartialEq)]
    pub(crate) enum Outcome {
        Body(BodyKind),
        Err(RequestError),
    }

    /// The outcome of a request that is malformed in this way.
    pub(crate) fn malformed(kind: Malformed) -> Outcome {
        Outcome::Err(RequestError::Malformed(kind))
    }

    pub(crate) fn outcome(bytes: &[u8], limits: &Limits) -> Outcome {
        match parse_head(bytes, limits) {
            Ok(Some((framed, _))) => Outcome::Body(framed.body),
            Ok(None) => panic!("{:?} is partial", bytes.escape_ascii().to_string()),
            Err(e) => Outcome::Err(e),
        }
    }

    /// Feeds `bytes` to `parse_head` the way a connection does: the buffer grows by one
    /// piece at a time (cut at `cuts`) and is parsed after each; the first answer that is
    /// not "partial" is the result.
    pub(crate) fn parse_in_pieces(
        bytes: &[u8],
        cuts: &[usize],
        limits: &Limits,
    ) -> Result<Option<(FramedHead, usize)>, RequestError> {
        let mut ends: Vec<usize> = cuts.iter().map(|&c| c.min(bytes.len())).collect();
        ends.push(bytes.len());
        ends.sort_unstable();
        for end in ends {
            match parse_head(&bytes[..end], limits)? {
                Some(done) => return Ok(Some(done)),
                None => continue,
            }
        }
        Ok(None)
    }

    /// What decoding came to: complete or not (or the error), the body, and how many
    /// bytes of the stream it took.
    pub(crate) type Decoding = (Result<bool, RequestError>, Vec<u8>, usize);

    /// Decodes `input` one piece at a time, as a connection does: appends each piece to
    /// a buffer, decodes, drops what was consumed. Returns the outcome, the body, and
    /// how many bytes the body took from the stream (0 after an error, which reports
    /// no count).
    pub(crate) fn decode_in_pieces(
        kind: BodyKind,
        max: u64,
        input: &[u8],
        cuts: &[usize],
    ) -> Decoding {
        let mut ends: Vec<usize> = cuts.iter().map(|&c| c.min(input.len())).collect();
        ends.push(input.len());
        ends.sort_unstable();
        let mut decoder = BodyDecoder::new(kind, max);
        let (mut buf, mut body, mut taken, mut fed) = (Vec::new(), Vec::new(), 0, 0);
        for end in ends {
            buf.extend_from_slice(&input[fed..end]);
            fed = end;
            match decoder.decode(&buf, &mut body) {
                Ok(progress) => {
                    assert!(progress.consumed <= buf.len());
                    buf.drain(..progress.consumed);
                    taken += progress.consumed;
                    if progress.complete {
                        return (Ok(true), body, taken);
                    }
                }
                Err(e) => return (Err(e), body, 0),
            }
        }
        (Ok(false), body, taken)
    }

    pub(crate) fn decode_whole(kind: BodyKind, max: u64, input: &[u8]) -> Decoding {
        decode_in_pieces(kind, max, input, &[])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::BodyKind;

    #[test]
    fn skips_empty_lines_before_a_request_and_refuses_a_lone_cr() {
        let cases: &[(&[u8], Result<Preamble, RequestError>)] = &[
            (b"", Ok(Preamble::Empty(0))),
            (b"\r\n\n", Ok(Preamble::Empty(3))),
            // The CR's LF may be on its way: keep it, and wait.
            (b"\r\n\r", Ok(Preamble::Empty(2))),
            (b"GET / HTTP/1.1\r\n", Ok(Preamble::RequestAt(0))),
            (b"\r\n\nGET", Ok(Preamble::RequestAt(3))),
            (
                b"\rGET",
                Err(RequestError::Malformed(Malformed::LineEnding)),
            ),
            (
                b"\n\r\r\n",
                Err(RequestError::Malformed(Malformed::LineEnding)),
            ),
        ];
        for (bytes, want) in cases {
            assert_eq!(
                &skip_empty_lines(bytes),
                want,
                "{:?}",
                bytes.escape_ascii().to_string()
            );
        }
    }

    #[test]
    fn only_close_closes() {
        assert!(Persistence::Close.closes());
        assert!(!Persistence::KeepAlive.closes());
        assert!(!Persistence::Implied.closes());
    }

    mod properties {
        use super::*;
        use crate::http::framing::test_support::*;
        use proptest::collection::vec;
        use proptest::prelude::*;

        /// Pieces requests are made of, so generated inputs are often nearly valid
        /// (and so reach deep into the parser) rather than rejected at the first byte.
        fn piece() -> impl Strategy<Value = Vec<u8>> {
            prop_oneof![
                Just(b"GET / HTTP/1.1\r\n".to_vec()),
                Just(b"POST /a?b=c HTTP/1.0\r\n".to_vec()),
                Just(b"GET / HTTP/2.0\r\n".to_vec()),
                Just(b"Host: a\r\n".to_vec()),
                Just(b"Content-Length: 3\r\n".to_vec()),
                Just(b"Content-Length: 3, 4\r\n".to_vec()),
                Just(b"Transfer-Encoding: chunked\r\n".to_vec()),
                Just(b"Transfer-Encoding: gzip\r\n".to_vec()),
                Just(b"Connection: close\r\n".to_vec()),
                Just(b"Expect: 100-continue\r\n".to_vec()),
                Just(b" folded\r\n".to_vec()),
                Just(b"\r\n".to_vec()),
                Just(b"\n".to_vec()),
                Just(b"3\r\nabc\r\n".to_vec()),
                Just(b"0\r\n".to_vec()),
                vec(any::<u8>(), 0..8),
            ]
        }

        fn input() -> impl Strategy<Value = Vec<u8>> {
            prop_oneof![
                vec(any::<u8>(), 0..300),
                vec(piece(), 0..12).prop_map(|p| p.concat())
            ]
        }

        fn limits() -> impl Strategy<Value = Limits> {
            (0usize..200, 0usize..6, 0u64..20).prop_map(
                |(max_header_bytes, max_headers, max_body_bytes)| Limits {
                    max_header_bytes,
                    max_headers,
                    max_body_bytes,
                    echo_body_bytes: crate::echo::ECHO_BODY_BYTES,
                },
            )
        }

        fn body_kind() -> impl Strategy<Value = BodyKind> {
            prop_oneof![
                Just(BodyKind::None),
                Just(BodyKind::Chunked),
                (0u64..40).prop_map(BodyKind::Length),
            ]
        }

        proptest! {
            #[test]
            fn parse_head_does_not_care_how_the_bytes_arrive(
                bytes in input(),
                cuts in vec(any::<usize>(), 0..6),
                limits in prop_oneof![Just(Limits::default()), limits()],
            ) {
                let cuts: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
                let whole = parse_head(&bytes, &limits);
                prop_assert_eq!(parse_in_pieces(&bytes, &cuts, &limits), whole.clone());
                if let Ok(Some((_, used))) = whole {
                    prop_assert!(used <= bytes.len() && used <= limits.max_header_bytes);
                }
            }

            #[test]
            fn decode_does_not_care_how_the_bytes_arrive(
                kind in body_kind(),
                max in 0u64..50,
                bytes in input(),
                cuts in vec(any::<usize>(), 0..6),
            ) {
                let cuts: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
                let whole = decode_whole(kind, max, &bytes);
                prop_assert!(whole.1.len() as u64 <= max && whole.2 <= bytes.len());
                prop_assert_eq!(decode_in_pieces(kind, max, &bytes, &cuts), whole);
            }

            #[test]
            fn chunked_encoding_round_trips_however_it_is_split(
                chunks in vec(vec(any::<u8>(), 1..40), 0..6),
                extension in prop_oneof![Just(""), Just(";a=b"), Just(" ; x")],
                trailer in prop_oneof![Just(""), Just("X-T: 1\r\n")],
                cuts in vec(any::<usize>(), 0..6),
            ) {
                let mut wire = Vec::new();
                for chunk in &chunks {
                    wire.extend_from_slice(format!("{:x}{extension}\r\n", chunk.len()).as_bytes());
                    wire.extend_from_slice(chunk);
                    wire.extend_from_slice(b"\r\n");
                }
                wire.extend_from_slice(format!("0{extension}\r\n{trailer}\r\n").as_bytes());
                let body_end = wire.len();
                wire.extend_from_slice(b"GET / HTTP/1.1\r\n");
                let cuts: Vec<usize> = cuts.iter().map(|c| c % (wire.len() + 1)).collect();
                let got = decode_in_pieces(BodyKind::Chunked, u64::MAX, &wire, &cuts);
                prop_assert_eq!(got, (Ok(true), chunks.concat(), body_end));
            }
        }
    }
}
