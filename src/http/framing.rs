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

use std::mem::MaybeUninit;

use crate::error::RequestError;
use crate::http::request::{Head, Header, Version};
use crate::http::target::Target;

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
/// default `--max-headers` without touching the heap for every request. They are left
/// uninitialised (`MaybeUninit`, which httparse accepts and fills in) so that each call
/// does not first zero 4 KiB that the parse will overwrite anyway.
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
    let slot_count = limits.max_headers.min(window_len / 3 + 1);
    let mut on_stack = [const { MaybeUninit::uninit() }; STACK_HEADER_SLOTS];
    let mut on_heap = Vec::new();
    let slots: &mut [MaybeUninit<httparse::Header<'_>>] = if slot_count <= STACK_HEADER_SLOTS {
        &mut on_stack[..slot_count]
    } else {
        on_heap.resize_with(slot_count, MaybeUninit::uninit);
        &mut on_heap
    };

    // The slots are handed over at parse time; `request.headers` only holds the filled
    // ones once the head is complete.
    let mut request = httparse::Request::new(&mut []);
    let used = match request.parse_with_uninit_headers(window, slots) {
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
    check_target_form(&head)?;
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
    // 414 needs a request line that began within the limit and whose LF did not come
    // within it. Empty lines alone filling the limit are a head too large: 431.
    let line_too_long = start < limit
        && window[start..]
            .iter()
            .position(|&b| b == b'\n')
            .is_none_or(|lf| start + lf >= limit);
    if line_too_long {
        RequestError::UriTooLong { limit }
    } else {
        RequestError::HeadTooLarge { limit }
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
    } else if version.contains(&b' ') {
        // A space inside the target (RFC 9112 §3.2 forbids whitespace there) pushes part
        // of it into the version's place.
        Err(RequestError::Malformed(format!(
            "invalid request line (more than two spaces; a space in the target?): {shown:?}"
        )))
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
        // RFC 9112 §6.1: Transfer-Encoding came with HTTP/1.1, and a server that
        // receives it in a 1.0 message "MUST treat the message as if the framing is
        // faulty". A genuine 1.0 client does not chunk, and a 1.0 intermediary on the
        // way would not have decoded the chunks, so someone framed this body
        // differently from how we would.
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

/// Refuses a request target whose form does not go with its method (RFC 9112 §3.2):
/// asterisk-form (`*`) is only for `OPTIONS`; authority-form (`host:port`) is only for
/// `CONNECT`, which hostecho does not implement (it would be a tunnel, and a 2xx tells
/// the client the tunnel is open). Anything else that is neither origin-form (`/path`)
/// nor absolute-form (`http://host/path`), such as `GET index.html`, is not a target at
/// all. A fragment (`#…`) is never part of a request target: a client strips it, and
/// `http://localhost#@evil.example/` is the kind of string that parsers disagree on.
fn check_target_form(head: &Head) -> Result<(), RequestError> {
    if head.method == "CONNECT" {
        return Err(RequestError::MethodNotImplemented(head.method.clone()));
    }
    if head.target.contains('#') {
        return Err(RequestError::Malformed(
            "request target must not contain a fragment ('#')".to_owned(),
        ));
    }
    match Target::parse(&head.target) {
        Target::Origin { .. } | Target::Absolute { .. } => Ok(()),
        Target::Asterisk if head.method == "OPTIONS" => Ok(()),
        Target::Asterisk => Err(RequestError::Malformed(format!(
            "request target '*' is only for OPTIONS, not {}",
            head.method.escape_debug()
        ))),
        Target::Authority(_) => Err(RequestError::Malformed(
            "request target must start with '/' or be an absolute URI like http://host/".to_owned(),
        )),
    }
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
                        return Ok(partial_after(pos));
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
                    [] | [b'\r'] => return Ok(partial_after(pos)),
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
                        Ok(None) => return Ok(partial_after(pos)),
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

#[cfg(test)]
mod tests {
    use super::*;

    const CURL: &[u8] =
        b"GET /index.html?name=jack&age=18 HTTP/1.1\r\nHost: localhost:8000\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n";

    fn parse(bytes: &[u8]) -> Result<Option<(FramedHead, usize)>, RequestError> {
        parse_head(bytes, &Limits::default())
    }

    /// The framed head of a request that must parse.
    fn framed(bytes: &[u8]) -> FramedHead {
        match parse(bytes) {
            Ok(Some((framed, _))) => framed,
            other => panic!(
                "{:?} did not parse: {other:?}",
                bytes.escape_ascii().to_string()
            ),
        }
    }

    /// The error a request must produce.
    fn error(bytes: &[u8], limits: &Limits) -> RequestError {
        match parse_head(bytes, limits) {
            Err(e) => e,
            other => panic!(
                "{:?} was not refused: {other:?}",
                bytes.escape_ascii().to_string()
            ),
        }
    }

    /// A request with these header lines and an empty body.
    fn with_headers(version: &str, lines: &[&str]) -> Vec<u8> {
        let mut request = format!("POST / {version}\r\nHost: a\r\n");
        for line in lines {
            request.push_str(line);
            request.push_str("\r\n");
        }
        request.push_str("\r\n");
        request.into_bytes()
    }

    /// The outcome of framing, with `Malformed`'s text left out: the tables pin the
    /// variant (and so the status); the messages are pinned where they matter.
    #[derive(Clone, Debug, PartialEq)]
    enum Outcome {
        Body(BodyKind),
        Malformed,
        Err(RequestError),
    }

    fn outcome(bytes: &[u8], limits: &Limits) -> Outcome {
        match parse_head(bytes, limits) {
            Ok(Some((framed, _))) => Outcome::Body(framed.body),
            Ok(None) => panic!("{:?} is partial", bytes.escape_ascii().to_string()),
            Err(RequestError::Malformed(_)) => Outcome::Malformed,
            Err(e) => Outcome::Err(e),
        }
    }

    /// Feeds `bytes` to `parse_head` the way a connection does: the buffer grows by one
    /// piece at a time (cut at `cuts`) and is parsed after each; the first answer that is
    /// not "partial" is the result.
    fn parse_in_pieces(
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

    #[test]
    fn parses_a_curl_request_into_an_owned_head() {
        let (framed, used) = parse(CURL).unwrap().unwrap();
        assert_eq!(used, CURL.len());
        let head = &framed.head;
        assert_eq!(
            head.request_line,
            "GET /index.html?name=jack&age=18 HTTP/1.1"
        );
        assert_eq!(head.method, "GET");
        assert_eq!(head.target, "/index.html?name=jack&age=18");
        assert_eq!(head.version, Version::Http11);
        let headers: Vec<(&str, &[u8])> = head
            .headers
            .iter()
            .map(|h| (h.name.as_str(), h.value.as_slice()))
            .collect();
        assert_eq!(
            headers,
            [
                ("Host", &b"localhost:8000"[..]),
                ("User-Agent", b"curl/8.5.0"),
                ("Accept", b"*/*"),
            ]
        );
        assert_eq!(framed.body, BodyKind::None);
        assert!(framed.keep_alive);
        assert!(!framed.expect_continue);
    }

    #[test]
    fn target_form_must_go_with_the_method() {
        let table: &[(&[u8], bool)] = &[
            (b"GET /x HTTP/1.1\r\nHost: a\r\n\r\n", true),
            (b"GET http://a/x HTTP/1.1\r\nHost: a\r\n\r\n", true),
            (b"GET /x#frag HTTP/1.1\r\nHost: a\r\n\r\n", false),
            (b"GET http://a#@evil/ HTTP/1.1\r\nHost: a\r\n\r\n", false),
            (b"OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", true),
            (b"GET index.html HTTP/1.1\r\nHost: a\r\n\r\n", false),
            (b"GET a:443 HTTP/1.1\r\nHost: a\r\n\r\n", false),
            (b"GET * HTTP/1.1\r\nHost: a\r\n\r\n", false),
        ];
        for (bytes, ok) in table {
            let result = parse(bytes);
            assert_eq!(
                matches!(result, Ok(Some(_))),
                *ok,
                "{:?}: {result:?}",
                bytes.escape_ascii().to_string()
            );
            if !ok {
                assert!(matches!(result, Err(RequestError::Malformed(_))));
            }
        }
    }

    #[test]
    fn connect_is_not_implemented() {
        let result = parse(b"CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n");
        assert_eq!(
            result.map(|_| ()),
            Err(RequestError::MethodNotImplemented("CONNECT".into()))
        );
    }

    #[test]
    fn keeps_header_case_order_duplicates_and_value_bytes() {
        let head = framed(
            b"GET / HTTP/1.1\r\nhOsT: a\r\nX-A: 1\r\nx-a:   2  \r\nX-Bin: caf\xc3\xa9 \xff\r\n\r\n",
        )
        .head;
        let headers: Vec<(&str, &[u8])> = head
            .headers
            .iter()
            .map(|h| (h.name.as_str(), h.value.as_slice()))
            .collect();
        assert_eq!(
            headers,
            [
                ("hOsT", &b"a"[..]),
                ("X-A", b"1"),
                ("x-a", b"2"),
                ("X-Bin", b"caf\xc3\xa9 \xff")
            ]
        );
    }

    #[test]
    fn request_line_is_the_first_line_without_its_line_ending() {
        let cases: &[(&[u8], &str, usize)] = &[
            (b"GET / HTTP/1.1\r\n\r\n", "GET / HTTP/1.1", 18),
            // Bare LF line endings are accepted (RFC 9112 §2.2).
            (b"GET /lf HTTP/1.1\nHost: a\n\n", "GET /lf HTTP/1.1", 26),
            // Empty lines before the request line are skipped, but counted in `used`.
            (b"\r\n\r\nGET /x HTTP/1.0\r\n\r\n", "GET /x HTTP/1.0", 23),
            (b"\nOPTIONS * HTTP/1.1\r\n\r\n", "OPTIONS * HTTP/1.1", 23),
            (
                b"GET /caf%C3%A9 HTTP/1.1\r\n\r\n",
                "GET /caf%C3%A9 HTTP/1.1",
                27,
            ),
        ];
        for (bytes, line, used) in cases {
            let (framed, got_used) = parse(bytes).unwrap().unwrap();
            assert_eq!(framed.head.request_line, *line);
            assert_eq!(got_used, *used, "{line}");
        }
    }

    #[test]
    fn is_partial_until_the_empty_line_at_every_length() {
        for end in 0..CURL.len() {
            assert_eq!(parse(&CURL[..end]), Ok(None), "prefix of {end} bytes");
        }
        assert!(matches!(parse(CURL), Ok(Some(_))));
    }

    #[test]
    fn a_request_split_at_every_byte_parses_the_same() {
        let requests: &[&[u8]] = &[
            CURL,
            b"POST /form HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\nhello",
            b"GET / HTTP/1.0\nConnection: keep-alive\n\n",
            b"GET / HTTP/2.0\r\n\r\n",
            b"GET / HTTP/1.1\r\nBad Name: x\r\n\r\n",
        ];
        for request in requests {
            let whole = parse(request);
            for first in 0..=request.len() {
                assert_eq!(
                    parse_in_pieces(request, &[first], &Limits::default()),
                    whole
                );
            }
            // And one byte per read.
            let every: Vec<usize> = (0..request.len()).collect();
            assert_eq!(parse_in_pieces(request, &every, &Limits::default()), whole);
        }
    }

    #[test]
    fn pipelined_requests_parse_one_after_another() {
        let stream = b"GET /1 HTTP/1.1\r\nHost: a\r\n\r\n\
                       POST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc\
                       POST /3 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nxy\r\n0\r\n\r\n\
                       GET /4 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n\
                       GET /5";
        let mut buf = stream.to_vec();
        let mut seen = Vec::new();
        while let Some((framed, used)) = parse(&buf).unwrap() {
            buf.drain(..used);
            let mut decoder = BodyDecoder::new(framed.body, 100);
            let mut body = Vec::new();
            let progress = decoder.decode(&buf, &mut body).unwrap();
            assert!(progress.complete);
            buf.drain(..progress.consumed);
            seen.push((framed.head.target, body, framed.keep_alive));
        }
        assert_eq!(
            seen,
            [
                ("/1".to_owned(), b"".to_vec(), true),
                ("/2".to_owned(), b"abc".to_vec(), true),
                ("/3".to_owned(), b"xy".to_vec(), true),
                ("/4".to_owned(), b"".to_vec(), false),
            ]
        );
        assert_eq!(
            buf, b"GET /5",
            "the partial fifth request is left for the next read"
        );
    }

    #[test]
    fn refuses_malformed_request_lines_and_header_lines() {
        let cases: &[(&[u8], &str)] = &[
            // RFC 9112 §5.1: no whitespace between field name and colon.
            (b"GET / HTTP/1.1\r\nHost : a\r\n\r\n", "invalid header name"),
            (
                b"GET / HTTP/1.1\r\nHost\t: a\r\n\r\n",
                "invalid header name",
            ),
            // RFC 9112 §5.2: obs-fold, a line continuing the previous one, is refused.
            (
                b"GET / HTTP/1.1\r\nX-A: 1\r\n  continued\r\n\r\n",
                "invalid header name",
            ),
            (
                b"GET / HTTP/1.1\r\nX-A: 1\r\n\tcontinued\r\n\r\n",
                "invalid header name",
            ),
            // ...and so is whitespace before the first field line (RFC 9112 §2.2).
            (b"GET / HTTP/1.1\r\n Host: a\r\n\r\n", "invalid header name"),
            (b"GET / HTTP/1.1\r\n: a\r\n\r\n", "invalid header name"),
            (b"GET / HTTP/1.1\r\nNoColon\r\n\r\n", "invalid header name"),
            (b"GET / HTTP/1.1\r\nX-(A): 1\r\n\r\n", "invalid header name"),
            (
                b"GET / HTTP/1.1\r\nX-A: a\x00b\r\n\r\n",
                "invalid header value",
            ),
            (
                b"GET / HTTP/1.1\r\nX-A: a\rb\r\n\r\n",
                "invalid header value",
            ),
            (
                b"GET / HTTP/1.1\r\nX-A: \x7f\r\n\r\n",
                "invalid header value",
            ),
            (b"GET / HTTP/1.1\rX", "invalid line ending"),
            (b"GET / HTTP/1.1x\r\n\r\n", "invalid line ending"),
            (b"GET / HTTP/1.1\r\n\rX", "invalid line ending"),
            (b"\rGET / HTTP/1.1\r\n\r\n", "invalid line ending"),
            (b"G(T / HTTP/1.1\r\n\r\n", "invalid token in request line"),
            (b" GET / HTTP/1.1\r\n\r\n", "invalid token in request line"),
            (b"GET  / HTTP/1.1\r\n\r\n", "invalid token in request line"),
            (
                b"GET /a b HTTP/1.1\r\n\r\n",
                "invalid request line (more than two spaces; a space in the target?)",
            ),
            (
                b"GET /\x01 HTTP/1.1\r\n\r\n",
                "invalid token in request line",
            ),
            (b"GET\r\n\r\n", "invalid token in request line"),
            (b"GET /\r\n\r\n", "invalid token in request line"),
            // A version that is not `HTTP/` digits is no version at all: 400, not 505.
            (
                b"GET / HTTX/1.1\r\n\r\n",
                "invalid HTTP version \"HTTX/1.1\"",
            ),
            (
                b"GET / http/1.1\r\n\r\n",
                "invalid HTTP version \"http/1.1\"",
            ),
            (b"GET / HTTP/1.\r\n\r\n", "invalid HTTP version \"HTTP/1.\""),
            (b"GET / HTTP/\r\n\r\n", "invalid HTTP version \"HTTP/\""),
            (b"GET / \r\n\r\n", "invalid HTTP version \"\""),
            (
                b"GET / HTTP/2.0 extra\r\n\r\n",
                "invalid request line (more than two spaces",
            ),
        ];
        for (bytes, what) in cases {
            match parse(bytes) {
                Err(RequestError::Malformed(message)) => {
                    assert!(
                        message.starts_with(what),
                        "{bytes:?}: {message:?} is not {what:?}"
                    )
                }
                other => panic!("{:?}: {other:?}", bytes.escape_ascii().to_string()),
            }
        }
    }

    #[test]
    fn answers_505_naming_a_well_formed_version_other_than_1_0_and_1_1() {
        let cases: &[(&[u8], &str)] = &[
            (b"GET / HTTP/2.0\r\n\r\n", "HTTP/2.0"),
            (b"GET / HTTP/1.2\r\nHost: a\r\n\r\n", "HTTP/1.2"),
            (b"GET / HTTP/3\r\n\r\n", "HTTP/3"),
            (b"GET / HTTP/0.9\n\n", "HTTP/0.9"),
            (b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "HTTP/2.0"),
        ];
        for (bytes, version) in cases {
            let want = RequestError::VersionNotSupported((*version).to_owned());
            assert_eq!(error(bytes, &Limits::default()), want);
        }
        // The version is only named once the request line is whole.
        assert_eq!(parse(b"GET / HTTP/2"), Ok(None));
        assert_eq!(parse(b"GET / HTTP/2.0\r"), Ok(None));
    }

    #[test]
    fn decides_414_or_431_only_past_the_limit() {
        let limits = Limits {
            max_header_bytes: 64,
            ..Limits::default()
        };
        // A request line of exactly `len` bytes, CRLF included.
        let line = |len: usize| format!("GET /{} HTTP/1.1\r\n", "a".repeat(len - 16));
        let head = |line_len: usize, head_len: usize| {
            let mut head = line(line_len);
            let filler = head_len - line_len - 2 - "X: \r\n".len();
            head.push_str(&format!("X: {}\r\n\r\n", "b".repeat(filler)));
            head.into_bytes()
        };
        let cases: Vec<(Vec<u8>, Result<usize, RequestError>)> = vec![
            // A head of exactly the limit is fine; one byte more is 431.
            (head(20, 64), Ok(64)),
            (head(20, 65), Err(RequestError::HeadTooLarge { limit: 64 })),
            // A request line (CRLF included) of exactly the limit still fits: 431 for
            // the head it starts; one byte more and the line itself is too long: 414.
            (
                head(64, 64 + 9),
                Err(RequestError::HeadTooLarge { limit: 64 }),
            ),
            (
                format!("{}X: 1", line(64)).into_bytes(),
                Err(RequestError::HeadTooLarge { limit: 64 }),
            ),
            (
                line(65).into_bytes(),
                Err(RequestError::UriTooLong { limit: 64 }),
            ),
            (
                line(200).into_bytes(),
                Err(RequestError::UriTooLong { limit: 64 }),
            ),
            // Still no line ending past the limit: 414, without waiting for the rest.
            (
                line(200).into_bytes()[..65].to_vec(),
                Err(RequestError::UriTooLong { limit: 64 }),
            ),
            // A giant method is also a request line that does not fit.
            (vec![b'A'; 65], Err(RequestError::UriTooLong { limit: 64 })),
            // Only empty lines: the head is too large, there is no request line yet.
            (
                b"\r\n".repeat(33),
                Err(RequestError::HeadTooLarge { limit: 64 }),
            ),
        ];
        for (bytes, want) in cases {
            let got = parse_head(&bytes, &limits).map(|done| done.map(|(_, used)| used));
            assert_eq!(
                got,
                want.map(Some),
                "{:?}",
                bytes.escape_ascii().to_string()
            );
        }
        // Under the limit, an unfinished head is just partial, however it looks.
        assert_eq!(parse_head(&line(200).as_bytes()[..64], &limits), Ok(None));
        assert_eq!(parse_head(&[b'A'; 64], &limits), Ok(None));
    }

    #[test]
    fn counts_header_lines_against_max_headers() {
        let limits = Limits {
            max_headers: 3,
            ..Limits::default()
        };
        let request = |n: usize| {
            let lines: Vec<String> = (0..n).map(|i| format!("X-{i}: v")).collect();
            let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
            with_headers("HTTP/1.1", &lines) // plus Host: one more line
        };
        assert!(matches!(parse_head(&request(2), &limits), Ok(Some(_))));
        assert_eq!(
            error(&request(3), &limits),
            RequestError::TooManyHeaders { limit: 3 }
        );
        // httparse reports it as soon as the extra line is there, even mid-head.
        let mut partial = request(3);
        partial.truncate(partial.len() - 2);
        assert_eq!(
            error(&partial, &limits),
            RequestError::TooManyHeaders { limit: 3 }
        );
        let none = Limits {
            max_headers: 0,
            ..Limits::default()
        };
        assert!(matches!(
            parse_head(b"GET / HTTP/1.0\r\n\r\n", &none),
            Ok(Some(_))
        ));
        assert_eq!(
            error(CURL, &none),
            RequestError::TooManyHeaders { limit: 0 }
        );
        // A huge configured limit does not mean a huge allocation.
        let huge = Limits {
            max_headers: usize::MAX,
            ..Limits::default()
        };
        assert!(matches!(parse_head(CURL, &huge), Ok(Some(_))));
    }

    #[test]
    fn survives_extreme_limits() {
        let unlimited = Limits {
            max_header_bytes: usize::MAX,
            max_headers: usize::MAX,
            max_body_bytes: u64::MAX,
        };
        let request = with_headers("HTTP/1.1", &["Content-Length: 18446744073709551615"]);
        let got = outcome(&request, &unlimited);
        assert_eq!(got, Outcome::Body(BodyKind::Length(u64::MAX)));
        let mut decoder = BodyDecoder::new(BodyKind::Length(u64::MAX), u64::MAX);
        let progress = decoder.decode(b"abc", &mut Vec::new());
        assert_eq!(progress, Ok(partial_after(3)));

        let nothing = Limits {
            max_header_bytes: 0,
            max_headers: 0,
            max_body_bytes: 0,
        };
        assert_eq!(parse_head(b"", &nothing), Ok(None));
        let too_large = RequestError::HeadTooLarge { limit: 0 };
        assert_eq!(error(b"G", &nothing), too_large);
        let request = with_headers("HTTP/1.1", &["Content-Length: 1"]);
        let limits = Limits {
            max_body_bytes: 0,
            ..Limits::default()
        };
        assert_eq!(
            error(&request, &limits),
            RequestError::BodyTooLarge { limit: 0 }
        );
    }

    #[test]
    fn reads_content_length_strictly() {
        let limits = Limits {
            max_body_bytes: 100,
            ..Limits::default()
        };
        let too_large = Outcome::Err(RequestError::BodyTooLarge { limit: 100 });
        let cases: &[(&[&str], Outcome)] = &[
            (&["Content-Length: 5"], Outcome::Body(BodyKind::Length(5))),
            (&["content-length: 0"], Outcome::Body(BodyKind::Length(0))),
            (&["Content-Length: 005"], Outcome::Body(BodyKind::Length(5))),
            // The whitespace around a field value is not part of it (RFC 9110 §5.5).
            (&["Content-Length:  5"], Outcome::Body(BodyKind::Length(5))),
            (&["Content-Length: 5 "], Outcome::Body(BodyKind::Length(5))),
            (
                &["Content-Length:\t5\t"],
                Outcome::Body(BodyKind::Length(5)),
            ),
            // The same length repeated is that length (RFC 9112 §6.3).
            (&["Content-Length: 5,5"], Outcome::Body(BodyKind::Length(5))),
            (
                &["Content-Length: 5, 5"],
                Outcome::Body(BodyKind::Length(5)),
            ),
            (
                &["Content-Length: 5", "Content-Length: 5"],
                Outcome::Body(BodyKind::Length(5)),
            ),
            (
                &["Content-Length: 5", "Content-Length: 05"],
                Outcome::Body(BodyKind::Length(5)),
            ),
            // Anything but digits is refused.
            (&["Content-Length: +5"], Outcome::Malformed),
            (&["Content-Length: -1"], Outcome::Malformed),
            (&["Content-Length: 0x5"], Outcome::Malformed),
            (&["Content-Length: 5 5"], Outcome::Malformed),
            (&["Content-Length: 5.0"], Outcome::Malformed),
            (&["Content-Length: five"], Outcome::Malformed),
            (&["Content-Length:"], Outcome::Malformed),
            (&["Content-Length: 5,"], Outcome::Malformed),
            (&["Content-Length: ,5"], Outcome::Malformed),
            (&["Content-Length: ５"], Outcome::Malformed),
            // Different lengths: which one is the body? Refused (smuggling).
            (&["Content-Length: 5,6"], Outcome::Malformed),
            (
                &["Content-Length: 5", "Content-Length: 6"],
                Outcome::Malformed,
            ),
            (
                &["Content-Length: 5", "Content-Length: x"],
                Outcome::Malformed,
            ),
            // Over the limit: 413 right away, before any body is read.
            (
                &["Content-Length: 100"],
                Outcome::Body(BodyKind::Length(100)),
            ),
            (&["Content-Length: 101"], too_large.clone()),
            (&["Content-Length: 18446744073709551615"], too_large.clone()),
            (&["Content-Length: 18446744073709551616"], too_large.clone()),
            (
                &["Content-Length: 99999999999999999999999999"],
                too_large.clone(),
            ),
            (
                &["Content-Length: 99999999999999999999, 99999999999999999999"],
                too_large,
            ),
            (
                &["Content-Length: 99999999999999999999, 9999999999999999999"],
                Outcome::Malformed,
            ),
        ];
        for (lines, want) in cases {
            assert_eq!(
                &outcome(&with_headers("HTTP/1.1", lines), &limits),
                want,
                "{lines:?}"
            );
        }
        let conflict = error(
            &with_headers("HTTP/1.1", &["Content-Length: 1, 2"]),
            &limits,
        );
        assert_eq!(
            conflict.to_string(),
            "malformed request: conflicting Content-Length values"
        );
    }

    #[test]
    fn reads_transfer_encoding_and_refuses_it_with_content_length() {
        let both = "both Content-Length and Transfer-Encoding (the body's length is ambiguous)";
        let not_implemented =
            |coding: &str| Outcome::Err(RequestError::TransferCodingNotImplemented(coding.into()));
        let cases: &[(&str, &[&str], Outcome)] = &[
            (
                "HTTP/1.1",
                &["Transfer-Encoding: chunked"],
                Outcome::Body(BodyKind::Chunked),
            ),
            (
                "HTTP/1.1",
                &["transfer-encoding: CHUNKED"],
                Outcome::Body(BodyKind::Chunked),
            ),
            (
                "HTTP/1.1",
                &["Transfer-Encoding: chunked,"],
                Outcome::Body(BodyKind::Chunked),
            ),
            (
                "HTTP/1.1",
                &["Transfer-Encoding: , chunked"],
                Outcome::Body(BodyKind::Chunked),
            ),
            (
                "HTTP/1.1",
                &["Transfer-Encoding: gzip"],
                not_implemented("gzip"),
            ),
            (
                "HTTP/1.1",
                &["Transfer-Encoding: gzip, chunked"],
                not_implemented("gzip"),
            ),
            (
                "HTTP/1.1",
                &["Transfer-Encoding: chunked, gzip"],
                not_implemented("gzip"),
            ),
            (
                "HTTP/1.1",
                &["Transfer-Encoding: identity"],
                not_implemented("identity"),
            ),
            (
                "HTTP/1.1",
                &["Transfer-Encoding: chunked;x=1"],
                not_implemented("chunked;x=1"),
            ),
            (
                "HTTP/1.1",
                &["Transfer-Encoding: gzip", "Transfer-Encoding: chunked"],
                not_implemented("gzip"),
            ),
            (
                "HTTP/1.1",
                &["Transfer-Encoding: chunked, chunked"],
                Outcome::Malformed,
            ),
            (
                "HTTP/1.1",
                &["Transfer-Encoding: chunked", "Transfer-Encoding: chunked"],
                Outcome::Malformed,
            ),
            ("HTTP/1.1", &["Transfer-Encoding:"], Outcome::Malformed),
            ("HTTP/1.1", &["Transfer-Encoding: ,"], Outcome::Malformed),
            // Both length headers: refused whatever their values (RFC 9112 §6.1).
            (
                "HTTP/1.1",
                &["Content-Length: 5", "Transfer-Encoding: chunked"],
                Outcome::Malformed,
            ),
            (
                "HTTP/1.1",
                &["Transfer-Encoding: chunked", "Content-Length: 5"],
                Outcome::Malformed,
            ),
            (
                "HTTP/1.1",
                &["Transfer-Encoding: gzip", "Content-Length: x"],
                Outcome::Malformed,
            ),
            // Transfer-Encoding is HTTP/1.1; in 1.0 the framing is faulty (RFC 9112 §6.1).
            (
                "HTTP/1.0",
                &["Transfer-Encoding: chunked"],
                Outcome::Malformed,
            ),
            (
                "HTTP/1.0",
                &["Content-Length: 3"],
                Outcome::Body(BodyKind::Length(3)),
            ),
            ("HTTP/1.0", &[], Outcome::Body(BodyKind::None)),
        ];
        for (version, lines, want) in cases {
            let got = outcome(&with_headers(version, lines), &Limits::default());
            assert_eq!(&got, want, "{version} {lines:?}");
        }
        let request = with_headers(
            "HTTP/1.1",
            &["Content-Length: 5", "Transfer-Encoding: chunked"],
        );
        assert_eq!(
            error(&request, &Limits::default()),
            RequestError::Malformed(both.into())
        );
    }

    #[test]
    fn keeps_alive_by_version_and_connection_tokens() {
        let cases: &[(&str, &[&str], bool)] = &[
            ("HTTP/1.1", &[], true),
            ("HTTP/1.1", &["Connection: close"], false),
            ("HTTP/1.1", &["connection: CLOSE"], false),
            ("HTTP/1.1", &["Connection: keep-alive"], true),
            ("HTTP/1.1", &["Connection: Upgrade, close"], false),
            (
                "HTTP/1.1",
                &["Connection: upgrade", "Connection: close"],
                false,
            ),
            ("HTTP/1.1", &["Connection: closed"], true),
            ("HTTP/1.1", &["Connection: keep-alive, close"], false),
            ("HTTP/1.1", &["X-Connection: close"], true),
            ("HTTP/1.0", &[], false),
            ("HTTP/1.0", &["Connection: keep-alive"], true),
            ("HTTP/1.0", &["Connection: Keep-Alive"], true),
            ("HTTP/1.0", &["Connection: foo,keep-alive"], true),
            ("HTTP/1.0", &["Connection: close"], false),
            ("HTTP/1.0", &["Connection: keep-alive, close"], false),
            ("HTTP/1.0", &["Keep-Alive: timeout=5"], false),
        ];
        for (version, lines, keep_alive) in cases {
            let framed = framed(&with_headers(version, lines));
            assert_eq!(framed.keep_alive, *keep_alive, "{version} {lines:?}");
        }
    }

    #[test]
    fn expects_continue_only_for_1_1_with_a_body() {
        let cases: &[(&str, &[&str], bool)] = &[
            (
                "HTTP/1.1",
                &["Content-Length: 5", "Expect: 100-continue"],
                true,
            ),
            (
                "HTTP/1.1",
                &["Content-Length: 5", "Expect: 100-Continue"],
                true,
            ),
            (
                "HTTP/1.1",
                &["Transfer-Encoding: chunked", "expect: 100-continue"],
                true,
            ),
            ("HTTP/1.1", &["Content-Length: 5"], false),
            ("HTTP/1.1", &["Content-Length: 5", "Expect: 200-ok"], false),
            (
                "HTTP/1.1",
                &["Content-Length: 0", "Expect: 100-continue"],
                false,
            ),
            ("HTTP/1.1", &["Expect: 100-continue"], false),
            // RFC 9110 §10.1.1: ignored in an HTTP/1.0 request.
            (
                "HTTP/1.0",
                &["Content-Length: 5", "Expect: 100-continue"],
                false,
            ),
        ];
        for (version, lines, expect) in cases {
            let framed = framed(&with_headers(version, lines));
            assert_eq!(framed.expect_continue, *expect, "{version} {lines:?}");
        }
    }

    /// What decoding came to: complete or not (or the error), the body, and how many
    /// bytes of the stream it took.
    type Decoding = (Result<bool, RequestError>, Vec<u8>, usize);

    /// Decodes `input` one piece at a time, as a connection does: appends each piece to
    /// a buffer, decodes, drops what was consumed. Returns the outcome, the body, and
    /// how many bytes the body took from the stream (0 after an error, which reports
    /// no count).
    fn decode_in_pieces(kind: BodyKind, max: u64, input: &[u8], cuts: &[usize]) -> Decoding {
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

    fn decode_whole(kind: BodyKind, max: u64, input: &[u8]) -> Decoding {
        decode_in_pieces(kind, max, input, &[])
    }

    #[test]
    fn decodes_a_length_body_and_leaves_the_next_request() {
        /// Content-Length, input, complete, body, bytes taken.
        type Case<'a> = (u64, &'a [u8], bool, &'a [u8], usize);
        let cases: &[Case<'_>] = &[
            (0, b"GET", true, b"", 0),
            (5, b"hello", true, b"hello", 5),
            (5, b"helloGET / HTTP/1.1", true, b"hello", 5),
            (5, b"hel", false, b"hel", 3),
            (5, b"", false, b"", 0),
        ];
        for (length, input, complete, body, taken) in cases {
            let got = decode_whole(BodyKind::Length(*length), 100, input);
            let want = (Ok(*complete), body.to_vec(), *taken);
            assert_eq!(got, want, "{length} {input:?}");
        }
        assert_eq!(
            decode_whole(BodyKind::None, 100, b"GET"),
            (Ok(true), vec![], 0)
        );
        for cut in 0..=5 {
            let got = decode_in_pieces(BodyKind::Length(5), 100, b"helloX", &[cut]);
            assert_eq!(got, (Ok(true), b"hello".to_vec(), 5));
        }
    }

    #[test]
    fn a_complete_decoder_uses_nothing_more() {
        let mut decoder = BodyDecoder::new(BodyKind::Length(2), 10);
        let mut body = Vec::new();
        assert_eq!(
            decoder.decode(b"ab", &mut body),
            Ok(Decoded {
                consumed: 2,
                complete: true
            })
        );
        assert_eq!(
            decoder.decode(b"cd", &mut body),
            Ok(Decoded {
                consumed: 0,
                complete: true
            })
        );
        assert_eq!(body, b"ab");
        assert_eq!(decoder.kind(), BodyKind::Length(2));
    }

    #[test]
    fn decodes_chunked_bodies() {
        type Case<'a> = (&'a [u8], Result<bool, RequestError>, &'a [u8], usize);
        let cases: &[Case<'_>] = &[
            (b"0\r\n\r\n", Ok(true), b"", 5),
            (b"000\r\n\r\n", Ok(true), b"", 7),
            (b"5\r\nhello\r\n0\r\n\r\n", Ok(true), b"hello", 15),
            (
                b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\nNEXT",
                Ok(true),
                b"hello world",
                26,
            ),
            (b"A\r\n0123456789\r\n0\r\n\r\n", Ok(true), b"0123456789", 20),
            (b"a\r\n0123456789\r\n0\r\n\r\n", Ok(true), b"0123456789", 20),
            (b"0005\r\nhello\r\n0\r\n\r\n", Ok(true), b"hello", 18),
            // Extensions are parsed and ignored (RFC 9112 §7.1.1), BWS before `;` too.
            (
                b"5;name=value\r\nhello\r\n0;last\r\n\r\n",
                Ok(true),
                b"hello",
                31,
            ),
            (
                b"5 ;q=\"a;b\"\r\nhello\r\n0\r\n\r\n",
                Ok(true),
                b"hello",
                24,
            ),
            // Trailers are checked and dropped (RFC 9112 §7.1.2).
            (
                b"2\r\nab\r\n0\r\nX-Sum: 1\r\nX-B:\r\n\r\nNEXT",
                Ok(true),
                b"ab",
                28,
            ),
            // Not finished yet: everything whole is used, partial lines are left.
            (b"5\r\nhel", Ok(false), b"hel", 6),
            (b"5\r\nhello", Ok(false), b"hello", 8),
            (b"5\r\nhello\r", Ok(false), b"hello", 8),
            (b"5\r\nhello\r\n", Ok(false), b"hello", 10),
            (b"5\r\nhello\r\n0", Ok(false), b"hello", 10),
            (b"5\r\nhello\r\n1", Ok(false), b"hello", 10),
            (b"5\r\nhello\r\n0\r\n", Ok(false), b"hello", 13),
            (b"5\r\nhello\r\n0\r\nX-A: 1\r\n", Ok(false), b"hello", 21),
            (b"5\r\nhello\r\n0\r\nX-A: 1\r", Ok(false), b"hello", 13),
        ];
        for (input, outcome, body, taken) in cases {
            let got = decode_whole(BodyKind::Chunked, 100, input);
            let want = (outcome.clone(), body.to_vec(), *taken);
            assert_eq!(got, want, "{:?}", input.escape_ascii().to_string());
        }
    }

    #[test]
    fn a_chunked_body_split_at_every_byte_decodes_the_same() {
        let input = b"4;ext=1\r\nWiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nTrailer: x\r\n\r\nGET /next";
        let whole = decode_whole(BodyKind::Chunked, 1000, input);
        assert_eq!(
            whole,
            (
                Ok(true),
                b"Wikipedia in\r\n\r\nchunks.".to_vec(),
                input.len() - 9
            )
        );
        for first in 0..=input.len() {
            for second in first..=input.len() {
                let got = decode_in_pieces(BodyKind::Chunked, 1000, input, &[first, second]);
                assert_eq!(got, whole, "cut at {first} and {second}");
            }
        }
        let every: Vec<usize> = (0..input.len()).collect();
        assert_eq!(
            decode_in_pieces(BodyKind::Chunked, 1000, input, &every),
            whole
        );
    }

    #[test]
    fn refuses_bad_chunked_framing() {
        let cases: &[(&[u8], &str)] = &[
            (b"\r\n", "invalid chunk size"),
            (b";ext\r\n", "invalid chunk size"),
            (b"x\r\n", "invalid chunk size"),
            (b"-5\r\n", "invalid chunk size"),
            (b"+5\r\n", "invalid chunk size"),
            (b" 5\r\n", "invalid chunk size"),
            (b"0x5\r\n", "invalid chunk size"),
            (b"5\n", "invalid chunk size"),
            (b"5\rx\n", "invalid chunk size"),
            (b"5;a\nb\r\n", "invalid chunk size"),
            (b"5 5\r\n", "invalid chunk size"),
            (b"12345678901234567\r\n", "invalid chunk size"),
            (b"00000000000000005\r\n", "invalid chunk size"),
            (b"5\r\nhelloX\r\n", "chunk data not followed by CRLF"),
            (b"5\r\nhello\rX", "chunk data not followed by CRLF"),
            (b"5\r\nhello\n0\r\n\r\n", "chunk data not followed by CRLF"),
            (b"5\r\nhello world\r\n", "chunk data not followed by CRLF"),
            (b"0\r\nX-A: 1\n\r\n", "trailer line does not end with CRLF"),
            (b"0\r\n\n", "trailer line does not end with CRLF"),
            (b"0\r\nno colon\r\n\r\n", "invalid trailer field"),
            (b"0\r\n folded: x\r\n\r\n", "invalid trailer field"),
            (b"0\r\nX A: 1\r\n\r\n", "invalid trailer field"),
            (b"0\r\n: 1\r\n\r\n", "invalid trailer field"),
            (b"0\r\nX-A: a\x00b\r\n\r\n", "invalid trailer field"),
            (b"0\r\nX-A: a\rb\r\n\r\n", "invalid trailer field"),
        ];
        for (input, what) in cases {
            match decode_whole(BodyKind::Chunked, 100, input).0 {
                Err(RequestError::Malformed(message)) => assert!(
                    message.starts_with(what),
                    "{:?}: {message:?} is not {what:?}",
                    input.escape_ascii().to_string()
                ),
                other => panic!("{:?}: {other:?}", input.escape_ascii().to_string()),
            }
        }
    }

    #[test]
    fn bounds_chunk_lines_and_trailers_it_must_buffer() {
        let long_line = |len: usize| {
            let mut line = b"1;".to_vec();
            line.resize(len - 2, b'x');
            line.extend_from_slice(b"\r\n");
            line
        };
        let outcome = |input: &[u8]| decode_whole(BodyKind::Chunked, 100, input).0;
        assert_eq!(outcome(&long_line(MAX_CHUNK_LINE_BYTES)), Ok(false));
        assert!(matches!(
            outcome(&long_line(MAX_CHUNK_LINE_BYTES + 1)),
            Err(RequestError::Malformed(_))
        ));
        // An unfinished line is refused as soon as it cannot fit any more.
        let unfinished = &long_line(MAX_CHUNK_LINE_BYTES + 10)[..MAX_CHUNK_LINE_BYTES];
        assert!(matches!(
            outcome(unfinished),
            Err(RequestError::Malformed(_))
        ));
        assert_eq!(outcome(&unfinished[..MAX_CHUNK_LINE_BYTES - 1]), Ok(false));

        let trailers = |len: usize| {
            let mut body = b"0\r\nX: ".to_vec();
            body.resize(3 + len - 4, b'v');
            body.extend_from_slice(b"\r\n\r\n");
            body
        };
        assert_eq!(outcome(&trailers(MAX_TRAILER_BYTES)), Ok(true));
        match outcome(&trailers(MAX_TRAILER_BYTES + 1)) {
            Err(RequestError::Malformed(m)) => {
                assert_eq!(m, "trailer section larger than 8192 bytes")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn refuses_a_body_over_the_limit_before_copying_it() {
        let too_large = Err(RequestError::BodyTooLarge { limit: 10 });
        // Content-Length over the limit: nothing is copied.
        assert_eq!(
            decode_whole(BodyKind::Length(11), 10, b"0123456789a"),
            (too_large.clone(), vec![], 0)
        );
        assert_eq!(
            decode_whole(BodyKind::Length(10), 10, b"0123456789").0,
            Ok(true)
        );
        // Chunked: refused at the chunk size that would pass the limit, whatever the
        // data that follows (and however large the announced size).
        let cases: &[(&[u8], &[u8])] = &[
            (b"b\r\n0123456789a\r\n0\r\n\r\n", b""),
            (b"5\r\n01234\r\n6\r\n", b"01234"),
            (b"5\r\n01234\r\n5\r\n56789\r\n1\r\n", b"0123456789"),
            (b"ffffffffffffffff\r\n", b""),
        ];
        for (input, body) in cases {
            let (outcome, got, _) = decode_whole(BodyKind::Chunked, 10, input);
            assert_eq!(
                (outcome, got),
                (too_large.clone(), body.to_vec()),
                "{input:?}"
            );
        }
        let exact = b"5\r\n01234\r\n5\r\n56789\r\n0\r\n\r\n";
        assert_eq!(decode_whole(BodyKind::Chunked, 10, exact).0, Ok(true));
    }

    mod properties {
        use super::*;
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
