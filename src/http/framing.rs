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
//! It happens in two steps, each a pure function of the bytes so far:
//!
//! 1. [`parse_head`] finds the head (request line, field lines, empty line) with
//!    httparse, enforces the size limits, and reads from the head how the body is
//!    delimited ([`BodyKind`]) and whether the connection stays open.
//! 2. A [`BodyDecoder`] then consumes exactly the body's bytes, removing the chunked
//!    coding if there is one, and stops where the next request begins.
//!
//! Both follow httparse's contract: incomplete data is not invalid. When the bytes end
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

use crate::error::RequestError;
use crate::http::request::{Head, Header, Version};

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
    ///
    /// Only set for an HTTP/1.1 request that has a body to send: RFC 9110 §10.1.1 says
    /// to ignore the expectation in an HTTP/1.0 request, and a client with no body is
    /// not waiting for anything. Other expectations are ignored; the 417 (Expectation
    /// Failed) RFC 9110 §10.1.1 allows for them is not a status hostecho sends.
    pub expect_continue: bool,
    /// Whether the connection stays open after the response.
    pub keep_alive: bool,
}

/// How many header slots [`parse_head`] keeps on the stack before it allocates.
/// httparse writes into caller-provided slots (32 bytes each); 128 of them cover the
/// default `--max-headers` without touching the heap for every request.
const STACK_HEADER_SLOTS: usize = 128;

/// Tries to parse a head from the start of `buf`.
///
/// * `Ok(None)`: the head is not complete yet (httparse's `Partial`). Not an error:
///   read more, append, and call again with the whole buffer.
/// * `Ok(Some((head, used)))`: the head is complete and took `used` bytes; the body
///   (if [`FramedHead::body`] says there is one) starts at `buf[used]`, and after it,
///   perhaps, the next pipelined request.
/// * `Err(e)`: the client sent something hostecho will not frame; answer
///   [`e.status()`](RequestError::status) and close, since where the next request
///   would start is no longer known (RFC 9112 §9.6).
///
/// Size limits are applied to what has arrived, so a client cannot make the server
/// buffer more than `max_header_bytes` while "still sending" its head. When the head
/// does not fit, the answer is 414 if the request line alone does not fit (it has no
/// line ending within the first `max_header_bytes` bytes), else 431.
///
/// Leading empty lines are skipped, as RFC 9112 §2.2 recommends for robustness, but
/// they count towards the head's size; a stream of bare CRLFs is a 431, not a way to
/// keep a connection busy for free.
pub fn parse_head(
    buf: &[u8],
    limits: &Limits,
) -> Result<Option<(FramedHead, usize)>, RequestError> {
    // Only the first `max_header_bytes + 1` bytes can decide anything: a head that is
    // complete within the limit is complete within them, and one byte past the limit
    // with no end in sight is already too large. Parsing no more than that keeps the
    // answer independent of how much happens to have been read, and bounds the work.
    let window_len = buf.len().min(limits.max_header_bytes.saturating_add(1));
    let window = &buf[..window_len];

    // httparse stores each header it finds in a slot we provide, and returns
    // `TooManyHeaders` when it finds one more than there are slots: that is the whole
    // `max_headers` check. Every field line takes at least 3 bytes (`a:` LF), so more
    // than `window_len / 3 + 1` slots could never be filled; capping there avoids
    // allocating for a huge configured `max_headers` without changing any answer.
    let slots = limits.max_headers.min(window_len / 3 + 1);
    let mut on_stack = [httparse::EMPTY_HEADER; STACK_HEADER_SLOTS];
    let mut on_heap = Vec::new();
    let headers: &mut [httparse::Header<'_>] = if slots <= STACK_HEADER_SLOTS {
        &mut on_stack[..slots]
    } else {
        on_heap.resize(slots, httparse::EMPTY_HEADER);
        &mut on_heap
    };

    let mut request = httparse::Request::new(headers);
    let used = match request.parse(window) {
        // `used` can exceed the limit by one only when the head ends exactly on the
        // window's last byte: complete, but one byte too long.
        Ok(httparse::Status::Complete(used)) if used <= limits.max_header_bytes => used,
        Ok(httparse::Status::Complete(_)) => return Err(too_large(window, limits)),
        Ok(httparse::Status::Partial) if window_len > limits.max_header_bytes => {
            return Err(too_large(window, limits));
        }
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(httparse::Error::Version) => return version_error(window, limits),
        Err(httparse::Error::TooManyHeaders) => {
            return Err(RequestError::TooManyHeaders {
                limit: limits.max_headers,
            });
        }
        Err(e) => return Err(RequestError::Malformed(describe(e).to_owned())),
    };

    let head = owned_head(&request, window)?;
    let body = body_kind(&head, limits)?;
    let framed = FramedHead {
        expect_continue: expects_continue(&head, body),
        keep_alive: keeps_alive(&head),
        body,
        head,
    };
    Ok(Some((framed, used)))
}

/// The error for a head that does not fit in `max_header_bytes`: 414 when the request
/// line alone does not fit, 431 otherwise.
///
/// `window` holds exactly `max_header_bytes + 1` bytes here, and the bytes so far were
/// a valid beginning of a request (httparse said `Partial`, or `Complete` one byte too
/// late), so if no line ending has come, what is too long is the request line. In
/// practice that is the target: the method and version are short.
fn too_large(window: &[u8], limits: &Limits) -> RequestError {
    let limit = limits.max_header_bytes;
    let start = request_line_start(window);
    // The request line fits when it begins, and its LF arrives, within the limit.
    let line_fits = start >= limit
        || window[start..]
            .iter()
            .position(|&b| b == b'\n')
            .is_some_and(|lf| start + lf < limit);
    if line_fits {
        RequestError::HeadTooLarge { limit }
    } else {
        RequestError::UriTooLong { limit }
    }
}

/// The error for a request line whose version httparse refused: 505 for a well-formed
/// version we do not speak, 400 for anything else.
///
/// httparse knows only `HTTP/1.0` and `HTTP/1.1` and stops at the first byte that
/// cannot lead to one of them, so `HTTP/2.0` fails at the `2`. To name the version in
/// the message, and to tell `HTTP/2.0` (505) from `HTTX/1.1` (400), this waits for the
/// whole request line; until its line ending arrives the answer is `Ok(None)`, like any
/// other partial head, and 414 if it does not arrive within the limit.
fn version_error(
    window: &[u8],
    limits: &Limits,
) -> Result<Option<(FramedHead, usize)>, RequestError> {
    let start = request_line_start(window);
    let Some(lf) = window[start..].iter().position(|&b| b == b'\n') else {
        return if window.len() > limits.max_header_bytes {
            Err(RequestError::UriTooLong {
                limit: limits.max_header_bytes,
            })
        } else {
            Ok(None)
        };
    };
    let line = strip_cr(&window[start..start + lf]);
    // request-line = method SP request-target SP HTTP-version (RFC 9112 §3). httparse
    // got as far as the version, so there are at least two spaces before it.
    let version = line.splitn(3, |&b| b == b' ').nth(2).unwrap_or_default();
    let shown = String::from_utf8_lossy(version).into_owned();
    if is_http_version(version) {
        Err(RequestError::VersionNotSupported(shown))
    } else {
        Err(RequestError::Malformed(format!(
            "invalid HTTP version {shown:?}"
        )))
    }
}

/// Whether `v` looks like an HTTP version, `HTTP/` DIGITs [`.` DIGITs], even one we do
/// not speak (`HTTP/2.0`, `HTTP/1.2`, `HTTP/3`). `HTTP` is case-sensitive (RFC 9112 §2.3).
fn is_http_version(v: &[u8]) -> bool {
    let Some(number) = v.strip_prefix(b"HTTP/") else {
        return false;
    };
    let is_digits = |s: &[u8]| !s.is_empty() && s.iter().all(u8::is_ascii_digit);
    match number.iter().position(|&b| b == b'.') {
        Some(dot) => is_digits(&number[..dot]) && is_digits(&number[dot + 1..]),
        None => is_digits(number),
    }
}

/// What an httparse error means, in words a client's developer can act on.
fn describe(e: httparse::Error) -> &'static str {
    match e {
        // Also what a folded line (one starting with a space or tab, RFC 9112 §5.2) and
        // whitespace before the colon (RFC 9112 §5.1) come out as: both must be refused
        // by a server, because proxies disagree on what they mean.
        httparse::Error::HeaderName => {
            "invalid header name (a character that is not allowed in a field name, \
             whitespace before the colon, or a line folded onto the previous one)"
        }
        httparse::Error::HeaderValue => "invalid header value (a control character)",
        httparse::Error::NewLine => {
            "invalid line ending (a CR not followed by LF, or bytes after the HTTP version)"
        }
        httparse::Error::Token => {
            "invalid token in request line (it must be method SP target SP version, \
             separated by single spaces, with no control characters)"
        }
        httparse::Error::Version => "invalid HTTP version",
        httparse::Error::TooManyHeaders => "too many header fields",
        // Only a response has a status; a request never produces this.
        httparse::Error::Status => "invalid status",
    }
}

/// Where the request line starts: after any empty lines (CRLF or LF) before it, which
/// httparse skips too (RFC 9112 §2.2).
fn request_line_start(buf: &[u8]) -> usize {
    let mut start = 0;
    loop {
        match &buf[start..] {
            [b'\r', b'\n', ..] => start += 2,
            [b'\n', ..] => start += 1,
            _ => return start,
        }
    }
}

/// `line` without a trailing CR.
fn strip_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Copies what httparse found out of the read buffer into an owned [`Head`].
fn owned_head(request: &httparse::Request<'_, '_>, buf: &[u8]) -> Result<Head, RequestError> {
    // After `Complete` httparse has filled in method, path and version; the defaults
    // are never used, they only spare an `unwrap`.
    let version = match request.version {
        Some(0) => Version::Http10,
        Some(1) => Version::Http11,
        _ => {
            return Err(RequestError::Malformed(
                describe(httparse::Error::Version).into(),
            ));
        }
    };
    let start = request_line_start(buf);
    let end = buf[start..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(buf.len(), |lf| start + lf);
    Ok(Head {
        request_line: String::from_utf8_lossy(strip_cr(&buf[start..end])).into_owned(),
        method: request.method.unwrap_or_default().to_owned(),
        target: request.path.unwrap_or_default().to_owned(),
        version,
        headers: request
            .headers
            .iter()
            .map(|h| Header {
                name: h.name.to_owned(),
                value: h.value.to_vec(),
            })
            .collect(),
    })
}

/// How the body is delimited, following RFC 9112 §6.3, refusing every ambiguity.
fn body_kind(head: &Head, limits: &Limits) -> Result<BodyKind, RequestError> {
    let has_length = head.first("content-length").is_some();
    let has_coding = head.first("transfer-encoding").is_some();
    if has_length && has_coding {
        // RFC 9112 §6.1: "a server MAY reject a request that contains both
        // Content-Length and Transfer-Encoding". It is the classic smuggling set-up
        // (CL.TE / TE.CL): a proxy that believes one header and a server that believes
        // the other see different bodies. We reject.
        return Err(RequestError::Malformed(
            "both Content-Length and Transfer-Encoding (the body's length is ambiguous)".into(),
        ));
    }
    if has_coding {
        return chunked(head);
    }
    if has_length {
        let length = content_length(head, limits)?;
        // Refuse now, before any of the body is read, and before `100 Continue`
        // invites the client to send it.
        if length > limits.max_body_bytes {
            return Err(RequestError::BodyTooLarge {
                limit: limits.max_body_bytes,
            });
        }
        return Ok(BodyKind::Length(length));
    }
    Ok(BodyKind::None)
}

/// Checks `Transfer-Encoding` and returns [`BodyKind::Chunked`] if it is exactly
/// `chunked`.
///
/// `Transfer-Encoding` is a list of codings in the order they were applied, so the
/// last one is what frames the body; RFC 9112 §6.3 requires it to be `chunked` in a
/// request. A coding we do not implement (`gzip`, `gzip, chunked`, `chunked, gzip`,
/// `identity`) is answered 501 naming it (RFC 9112 §6.1); `chunked, gzip` would also
/// deserve the 400 of §6.3, but the first thing wrong with it is that we do not speak
/// gzip. `chunked` twice is 400 (RFC 9112 §7: it must not be applied more than once).
/// Names are compared case-insensitively; a coding with parameters (`chunked;x=1`) is
/// not one we know.
fn chunked(head: &Head) -> Result<BodyKind, RequestError> {
    if head.version == Version::Http10 {
        // RFC 9112 §6.1: Transfer-Encoding came with HTTP/1.1; in a 1.0 message a
        // server "MUST treat the message as if the framing is faulty", since a 1.0
        // proxy on the way would have ignored it and framed the body differently.
        return Err(RequestError::Malformed(
            "Transfer-Encoding in an HTTP/1.0 request".into(),
        ));
    }
    // Empty list elements are ignored, as RFC 9110 §5.6.1 asks of list fields.
    let codings: Vec<&[u8]> = head
        .values("transfer-encoding")
        .flat_map(|value| value.split(|&b| b == b','))
        .map(trim_ows)
        .filter(|coding| !coding.is_empty())
        .collect();
    if let Some(unknown) = codings.iter().find(|c| !c.eq_ignore_ascii_case(b"chunked")) {
        return Err(RequestError::TransferCodingNotImplemented(
            String::from_utf8_lossy(unknown).into_owned(),
        ));
    }
    match codings.len() {
        1 => Ok(BodyKind::Chunked),
        0 => Err(RequestError::Malformed("empty Transfer-Encoding".into())),
        _ => Err(RequestError::Malformed(
            "chunked applied more than once".into(),
        )),
    }
}

/// The value of `Content-Length`, which must be plain decimal digits (RFC 9110 §8.6:
/// `Content-Length = 1*DIGIT`).
///
/// No sign, no `0x`, no space inside, not empty: every lenient reading of a length is
/// one more way for two parsers to disagree on where the body ends. The whitespace
/// around a field value is not part of it (RFC 9110 §5.5; httparse strips it), so
/// `Content-Length:  5 ` is 5.
///
/// The same length repeated, on several lines or as a list (`5, 5`), is accepted as
/// that length, as RFC 9112 §6.3 allows; different lengths are 400. A length too big
/// for a `u64` is valid syntax for a body larger than any limit: 413.
fn content_length(head: &Head, limits: &Limits) -> Result<u64, RequestError> {
    // Compared as digit strings without leading zeros, so `05` and `5` agree, and a
    // repeated 30-digit number is compared before it is known to overflow.
    let mut agreed: Option<&[u8]> = None;
    for value in head.values("content-length") {
        for element in value.split(|&b| b == b',') {
            let digits = trim_ows(element);
            if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
                return Err(RequestError::Malformed(format!(
                    "invalid Content-Length {:?} (it must be decimal digits only)",
                    String::from_utf8_lossy(value)
                )));
            }
            let first_nonzero = digits.iter().position(|&b| b != b'0');
            let number = first_nonzero.map_or(&b"0"[..], |i| &digits[i..]);
            match agreed {
                Some(seen) if seen != number => {
                    return Err(RequestError::Malformed(
                        "conflicting Content-Length values".into(),
                    ));
                }
                _ => agreed = Some(number),
            }
        }
    }
    // Only ASCII digits reach here, so `from_utf8` cannot fail and `parse` fails only on
    // overflow (or, impossibly, on no header at all: the caller checked there is one).
    agreed
        .and_then(|digits| std::str::from_utf8(digits).ok())
        .and_then(|digits| digits.parse::<u64>().ok())
        .ok_or(RequestError::BodyTooLarge {
            limit: limits.max_body_bytes,
        })
}

/// Whether the connection stays open after this request's response (RFC 9112 §9.3).
///
/// HTTP/1.1 is persistent unless the client says `Connection: close`; HTTP/1.0 closes
/// unless it says `Connection: keep-alive` (RFC 9112 Appendix C.2.2). `Connection` is a
/// case-insensitive list that may span several lines; `close` wins over `keep-alive`
/// when both appear.
fn keeps_alive(head: &Head) -> bool {
    let close = has_token(head, "connection", b"close");
    match head.version {
        Version::Http11 => !close,
        Version::Http10 => !close && has_token(head, "connection", b"keep-alive"),
    }
}

/// Whether the client waits for `100 Continue` before sending its body (RFC 9110
/// §10.1.1). See [`FramedHead::expect_continue`] for when that is.
fn expects_continue(head: &Head, body: BodyKind) -> bool {
    let has_body = !matches!(body, BodyKind::None | BodyKind::Length(0));
    head.version == Version::Http11 && has_body && has_token(head, "expect", b"100-continue")
}

/// Whether any element of the comma-separated list field `name` (on any of its lines)
/// is `token`, ignoring ASCII case.
fn has_token(head: &Head, name: &str, token: &[u8]) -> bool {
    head.values(name)
        .flat_map(|value| value.split(|&b| b == b','))
        .any(|element| trim_ows(element).eq_ignore_ascii_case(token))
}

/// `bytes` without optional whitespace (SP and HTAB, RFC 9110 §5.6.3) at either end.
fn trim_ows(bytes: &[u8]) -> &[u8] {
    let is_ows = |b: &u8| *b == b' ' || *b == b'\t';
    let start = bytes.iter().position(|b| !is_ows(b)).unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !is_ows(b))
        .map_or(start, |i| i + 1);
    &bytes[start..end]
}

/// The longest chunk-size line accepted, extensions and CRLF included.
///
/// A chunk extension (`5;name=value`) has no length limit in the grammar, and its
/// line must be buffered whole before it can be parsed; without a bound, a client could
/// make the server buffer an endless "line". Real extensions are a few bytes.
pub const MAX_CHUNK_LINE_BYTES: usize = 4096;

/// The largest trailer section accepted, in bytes, final empty line included.
///
/// Trailer fields are header fields sent after a chunked body (RFC 9112 §7.1.2).
/// hostecho checks their syntax and drops them, but still has to buffer each line, so
/// the section is bounded like a head is. Over this, the request is malformed.
pub const MAX_TRAILER_BYTES: usize = 8192;

/// Progress reported by [`BodyDecoder::decode`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decoded {
    /// How many bytes of the input were used; the caller drops them from its buffer.
    pub consumed: usize,
    /// Whether the body is complete.
    pub complete: bool,
}

/// Decodes a body incrementally, as its bytes arrive.
///
/// Give it whatever has been read past the head; it takes what it can, reports how
/// much, and remembers where it is, so the next call continues with the bytes the
/// caller kept plus the newly read ones. It never takes a byte past the end of the body:
/// what follows is the next pipelined request.
///
/// The chunked coding (RFC 9112 §7.1):
///
/// ```text
/// chunked-body   = *chunk
///                  last-chunk
///                  trailer-section
///                  CRLF
/// chunk          = chunk-size [ chunk-ext ] CRLF
///                  chunk-data CRLF
/// chunk-size     = 1*HEXDIG
/// last-chunk     = 1*("0") [ chunk-ext ] CRLF
/// ```
///
/// A chunk-size line is only used once whole (httparse's `parse_chunk_size` reads it;
/// extensions are ignored), so a partial line is left in the caller's buffer. A size
/// may have at most 16 hex digits (httparse's bound, leading zeros included). Chunk data
/// is copied as it arrives; the decoder never reserves memory for a size the client
/// merely announced.
#[derive(Clone, Debug)]
pub struct BodyDecoder {
    kind: BodyKind,
    max: u64,
    /// Decoded bytes so far, checked against `max`.
    decoded: u64,
    /// Where in the body the next byte belongs.
    state: DecodeState,
}

/// Where a [`BodyDecoder`] is in the body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum DecodeState {
    /// Content-Length: this many bytes still to come.
    Length { remaining: u64 },
    /// Chunked: expecting a chunk-size line.
    ChunkSize,
    /// Chunked: inside a chunk's data, this many bytes still to come.
    ChunkData { remaining: u64 },
    /// Chunked: expecting the CRLF that ends a chunk's data.
    ChunkDataEnd,
    /// Chunked: after the last chunk, reading trailer lines; `seen` bytes of them so far.
    Trailers { seen: usize },
    /// The body is complete.
    Done,
}

impl BodyDecoder {
    /// A decoder for a body of this kind, refusing to grow past `max` decoded bytes.
    pub fn new(kind: BodyKind, max: u64) -> BodyDecoder {
        let state = match kind {
            BodyKind::None => DecodeState::Done,
            BodyKind::Length(remaining) => DecodeState::Length { remaining },
            BodyKind::Chunked => DecodeState::ChunkSize,
        };
        BodyDecoder {
            kind,
            max,
            decoded: 0,
            state,
        }
    }

    /// The kind of body this decoder was made for.
    pub fn kind(&self) -> BodyKind {
        self.kind
    }

    /// Uses what it can of `input`, appending decoded bytes to `body`.
    ///
    /// Returns how many bytes of `input` it used and whether the body is complete.
    /// `complete: false` means "send more": the unused bytes (a partial chunk-size or
    /// trailer line, say) must be passed again, followed by new ones. Once complete,
    /// further calls use nothing and report complete again.
    ///
    /// Errors: [`RequestError::BodyTooLarge`] as soon as a `Content-Length` or a chunk
    /// size would take the body past `max` (before copying it);
    /// [`RequestError::Malformed`] for a bad chunk-size line, a chunk not followed by
    /// CRLF, or a bad or oversized trailer section.
    pub fn decode(&mut self, input: &[u8], body: &mut Vec<u8>) -> Result<Decoded, RequestError> {
        let mut pos = 0;
        loop {
            let rest = &input[pos..];
            let partial = Decoded {
                consumed: pos,
                complete: false,
            };
            match self.state {
                DecodeState::Done => {
                    return Ok(Decoded {
                        consumed: pos,
                        complete: true,
                    });
                }
                DecodeState::Length { remaining } => {
                    self.check_room(remaining)?;
                    let (taken, remaining) = self.copy(rest, remaining, body);
                    pos += taken;
                    if remaining > 0 {
                        self.state = DecodeState::Length { remaining };
                        return Ok(partial_after(pos));
                    }
                    self.state = DecodeState::Done;
                }
                DecodeState::ChunkSize => {
                    let Some((line_len, size)) = chunk_size_line(rest)? else {
                        return Ok(partial);
                    };
                    pos += line_len;
                    if size == 0 {
                        self.state = DecodeState::Trailers { seen: 0 };
                    } else {
                        self.check_room(size)?;
                        self.state = DecodeState::ChunkData { remaining: size };
                    }
                }
                DecodeState::ChunkData { remaining } => {
                    let (taken, remaining) = self.copy(rest, remaining, body);
                    pos += taken;
                    if remaining > 0 {
                        self.state = DecodeState::ChunkData { remaining };
                        return Ok(partial_after(pos));
                    }
                    self.state = DecodeState::ChunkDataEnd;
                }
                DecodeState::ChunkDataEnd => match rest {
                    [b'\r', b'\n', ..] => {
                        pos += 2;
                        self.state = DecodeState::ChunkSize;
                    }
                    [] | [b'\r'] => return Ok(partial),
                    // The data was longer than its size said: the client and we no
                    // longer agree where the chunk ends, so nothing after it can be
                    // trusted.
                    _ => {
                        return Err(RequestError::Malformed(
                            "chunk data not followed by CRLF (longer than its size)".into(),
                        ));
                    }
                },
                DecodeState::Trailers { seen } => {
                    let budget = MAX_TRAILER_BYTES.saturating_sub(seen);
                    let line_len = match find_line(rest, budget) {
                        Ok(Some(line_len)) => line_len,
                        Ok(None) => return Ok(partial),
                        Err(()) => {
                            return Err(RequestError::Malformed(format!(
                                "trailer section larger than {MAX_TRAILER_BYTES} bytes"
                            )));
                        }
                    };
                    let Some(field) = rest[..line_len].strip_suffix(b"\r\n") else {
                        return Err(RequestError::Malformed(
                            "trailer line does not end with CRLF".into(),
                        ));
                    };
                    pos += line_len;
                    if field.is_empty() {
                        // The empty line that ends the chunked body.
                        self.state = DecodeState::Done;
                    } else if is_field_line(field) {
                        self.state = DecodeState::Trailers {
                            seen: seen + line_len,
                        };
                    } else {
                        return Err(RequestError::Malformed("invalid trailer field".into()));
                    }
                }
            }
        }
    }

    /// Refuses a body that would pass `max` once `more` further bytes are decoded.
    fn check_room(&self, more: u64) -> Result<(), RequestError> {
        if more > self.max.saturating_sub(self.decoded) {
            return Err(RequestError::BodyTooLarge { limit: self.max });
        }
        Ok(())
    }

    /// Appends up to `remaining` bytes of `input` to `body`; returns how many it took and
    /// how many remain.
    fn copy(&mut self, input: &[u8], remaining: u64, body: &mut Vec<u8>) -> (usize, u64) {
        // The count is at most `input.len()`, so it fits in a usize.
        let take = remaining.min(input.len() as u64) as usize;
        body.extend_from_slice(&input[..take]);
        self.decoded += take as u64;
        (take, remaining - take as u64)
    }
}

/// `complete: false` after using `consumed` bytes.
fn partial_after(consumed: usize) -> Decoded {
    Decoded {
        consumed,
        complete: false,
    }
}

/// The length of the line at the start of `input`, LF included: `Ok(None)` if its LF
/// has not arrived yet, `Err(())` if it is not within the first `max` bytes.
fn find_line(input: &[u8], max: usize) -> Result<Option<usize>, ()> {
    let searched = &input[..input.len().min(max)];
    match searched.iter().position(|&b| b == b'\n') {
        Some(lf) => Ok(Some(lf + 1)),
        None if input.len() >= max => Err(()),
        None => Ok(None),
    }
}

/// Parses the chunk-size line at the start of `input`: `Ok(Some((line length, size)))`,
/// or `Ok(None)` if the whole line has not arrived yet.
fn chunk_size_line(input: &[u8]) -> Result<Option<(usize, u64)>, RequestError> {
    let line_len = match find_line(input, MAX_CHUNK_LINE_BYTES) {
        Ok(Some(line_len)) => line_len,
        Ok(None) => return Ok(None),
        Err(()) => {
            return Err(RequestError::Malformed(format!(
                "chunk-size line longer than {MAX_CHUNK_LINE_BYTES} bytes"
            )));
        }
    };
    let line = &input[..line_len];
    let bad = || {
        RequestError::Malformed(format!(
            "invalid chunk size {:?}",
            line.escape_ascii().to_string()
        ))
    };
    // httparse reads an empty size (a line that is just CRLF, or `;ext`) as 0, which
    // would end the body early; the grammar wants at least one hex digit.
    if !line.first().is_some_and(u8::is_ascii_hexdigit) {
        return Err(bad());
    }
    // The line is whole and ends in its only LF. httparse accepts any byte in an
    // extension, even a bare LF, and would then ask for more ("Partial"); a line that
    // does not end in CRLF is refused here instead.
    match httparse::parse_chunk_size(line) {
        Ok(httparse::Status::Complete((used, size))) if used == line_len => {
            Ok(Some((line_len, size)))
        }
        _ => Err(bad()),
    }
}

/// Whether `line` (without its CRLF) is a field line: `field-name ":" OWS field-value
/// OWS` (RFC 9112 §5), with a token for the name and no control characters but HTAB in
/// the value. A line starting with whitespace (obs-fold) has no valid name.
fn is_field_line(line: &[u8]) -> bool {
    let Some(colon) = line.iter().position(|&b| b == b':') else {
        return false;
    };
    let (name, value) = (&line[..colon], &line[colon + 1..]);
    !name.is_empty()
        && name.iter().all(|&b| is_tchar(b))
        && value.iter().all(|&b| b == b'\t' || b >= 0x20 && b != 0x7f)
}

/// `tchar` (RFC 9110 §5.6.2): the characters a token, such as a field name, is made of.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}
