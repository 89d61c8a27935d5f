//! Framing: turning a stream of bytes into requests.
//!
//! TODO(framing helper): implement. Interface fixed below.

use crate::error::RequestError;
use crate::http::request::Head;

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
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_header_bytes: 8192,
            max_headers: 100,
            max_body_bytes: 1024 * 1024,
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

/// A complete head, with what framing worked out about the body and the connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FramedHead {
    /// The request line and headers.
    pub head: Head,
    /// How the body is delimited.
    pub body: BodyKind,
    /// Whether the client sent `Expect: 100-continue` and waits for `100 Continue`.
    pub expect_continue: bool,
    /// Whether the connection stays open after the response.
    pub keep_alive: bool,
}

/// Tries to parse a head from the start of `buf`.
pub fn parse_head(
    buf: &[u8],
    limits: &Limits,
) -> Result<Option<(FramedHead, usize)>, RequestError> {
    let _ = (buf, limits);
    todo!()
}

/// Progress reported by [`BodyDecoder::decode`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decoded {
    /// How many bytes of the input were used; the caller drops them from its buffer.
    pub consumed: usize,
    /// Whether the body is complete.
    pub complete: bool,
}

/// Decodes a body incrementally, as its bytes arrive.
#[derive(Clone, Debug)]
pub struct BodyDecoder {
    kind: BodyKind,
    max: u64,
}

impl BodyDecoder {
    /// A decoder for a body of this kind, refusing to grow past `max` decoded bytes.
    pub fn new(kind: BodyKind, max: u64) -> BodyDecoder {
        BodyDecoder { kind, max }
    }

    /// Uses what it can of `input`, appending decoded bytes to `body`.
    pub fn decode(&mut self, input: &[u8], body: &mut Vec<u8>) -> Result<Decoded, RequestError> {
        let _ = (input, body, self.kind, self.max);
        todo!()
    }
}
