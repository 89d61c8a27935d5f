//! The head: request line and field lines, found with httparse and copied out.
//!
//! [`parse_head`] is the first thing framing does with the bytes of a request. It
//! finds the end of the head, enforces `--max-header-bytes` and `--max-headers`,
//! turns httparse's errors into statuses a client's developer can act on (400, 414,
//! 431, 505), checks that the target's form goes with the method, parses the target
//! once, and leaves the body's rules to [`super::body`].

use std::mem::MaybeUninit;

use super::{FramedHead, Limits, Preamble, body, skip_empty_lines};
use crate::error::{Malformed, RequestError};
use crate::http::request::{Head, LineEndings, RequestLine, Version};
use crate::http::target::Target;

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
/// Leading empty lines are skipped, as httparse does, but they count towards the
/// head's size. The server never hands any here: it drops them first, with
/// [`skip_empty_lines`], while the connection is idle.
pub fn parse_head(
    buf: &[u8],
    limits: &Limits,
) -> Result<Option<(FramedHead, usize)>, RequestError> {
    parse_head_into(buf, limits, &mut Head::default())
}

/// [`parse_head`], reusing `spare`'s buffers for the head it frames.
///
/// When a head is complete, it is framed into `spare`'s buffers, which keep their
/// capacity, and `spare` is left empty: the [`FramedHead`] owns them now. A caller that
/// hands the head back into `spare` once it has answered the request (the event loop
/// does, through [`Scratch`](crate::server::scratch::Scratch)) frames every later
/// head without allocating. While the head is not complete `spare` is left as it was;
/// a head refused once copied (a bad target, say) takes the buffers with it, which
/// costs nothing that matters: a refusal closes the connection.
pub fn parse_head_into(
    buf: &[u8],
    limits: &Limits,
    spare: &mut Head,
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

    match frame(window, window, slots, limits, spare)? {
        Parsed::Done(done) => Ok(done),
        // RFC 9110 §2.5: a request in a later minor version of HTTP/1 (`HTTP/1.2`) is
        // answered as the highest one we speak, HTTP/1.1, whose rules it must be
        // compatible with. httparse knows only 1.0 and 1.1, so parse a copy whose
        // version says `HTTP/1.1`. The copy costs an allocation, but only for such a
        // request; 1.0 and 1.1 never get here. The request line is still kept as sent.
        Parsed::LaterMinor { digit_at } => {
            let mut patched = window.to_vec();
            // `digit_at` is the last byte of a request line found in `window`, so it
            // is in bounds.
            patched[digit_at] = b'1';
            match frame(&patched, window, slots, limits, spare)? {
                Parsed::Done(done) => Ok(done),
                // Cannot happen: the copy says `HTTP/1.1`, which httparse accepts. Were
                // it to, refusing the version as sent is the safe answer; looping is not.
                Parsed::LaterMinor { .. } => {
                    let version = window.get(digit_at.saturating_sub(7)..=digit_at);
                    let shown = String::from_utf8_lossy(version.unwrap_or_default());
                    Err(RequestError::Malformed(Malformed::Version(
                        shown.into_owned(),
                    )))
                }
            }
        }
    }
}

/// What [`frame`] made of a head.
// The framed head is a few hundred bytes and `LaterMinor` one word, but a `Parsed`
// lives for one call and is unpacked at once: boxing the head would cost an allocation
// per request to save a copy of bytes that are on the stack anyway.
#[allow(clippy::large_enum_variant)]
enum Parsed {
    /// What [`parse_head`] returns.
    Done(Option<(FramedHead, usize)>),
    /// The request line is whole and its version is `HTTP/1.2` to `HTTP/1.9`, whose
    /// minor digit is at `digit_at`: parse again as HTTP/1.1.
    LaterMinor { digit_at: usize },
}

/// Parses and frames the head at the start of `window`, with httparse writing into
/// `slots`, into `spare`'s buffers. `sent` is the window as received: the same bytes,
/// unless `window` is a copy whose version was rewritten, and the head is copied from
/// it.
fn frame<'b>(
    window: &'b [u8],
    sent: &[u8],
    slots: &mut [MaybeUninit<httparse::Header<'b>>],
    limits: &Limits,
    spare: &mut Head,
) -> Result<Parsed, RequestError> {
    let mut request = httparse::Request::new(&mut []);
    let used = match request.parse_with_uninit_headers(window, slots) {
        // `used` can exceed the limit by one only when the head ends exactly on the
        // window's last byte: complete, but one byte too long.
        Ok(httparse::Status::Complete(used)) if used <= limits.max_header_bytes => used,
        Ok(httparse::Status::Complete(_)) => return Err(too_large(window, limits)),
        Ok(httparse::Status::Partial) if window.len() > limits.max_header_bytes => {
            return Err(too_large(window, limits));
        }
        Ok(httparse::Status::Partial) => return Ok(Parsed::Done(None)),
        Err(httparse::Error::Version) => return version_error(window, limits),
        // httparse reads `HTTP/1.1` and then wants the line to end, so `HTTP/1.10` and
        // `HTTP/1.1x` come out as a bad line ending; they are bad versions.
        Err(httparse::Error::NewLine) if version_runs_on(window) => {
            return version_error(window, limits);
        }
        Err(httparse::Error::TooManyHeaders) => {
            return Err(RequestError::TooManyHeaders {
                limit: limits.max_headers,
            });
        }
        // Also what a folded line (one starting with a space or tab, RFC 9112 §5.2) and
        // whitespace before the colon (RFC 9112 §5.1) come out as: both must be refused
        // by a server, because proxies disagree on what they mean.
        Err(httparse::Error::HeaderName) => return Err(malformed(Malformed::HeaderName)),
        Err(httparse::Error::HeaderValue) => return Err(malformed(Malformed::HeaderValue)),
        Err(httparse::Error::NewLine) => return Err(malformed(Malformed::LineEnding)),
        // httparse's `Status` is about a response's status code, which a request does
        // not have; were a request to produce it, its request line is what is wrong.
        Err(httparse::Error::Token | httparse::Error::Status) => {
            return Err(malformed(Malformed::RequestLine));
        }
    };

    // `sent` and `window` differ at most in one version digit, so they are equally long.
    let head = owned_head(&request, &sent[..used], spare)?;
    check_target_form(&head)?;
    let body = body::kind(&head, limits)?;
    let framed = FramedHead {
        expect_continue: body::expects_continue(&head, body),
        persistence: body::persistence(&head),
        body,
        head,
    };
    Ok(Parsed::Done(Some((framed, used))))
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
    // httparse said `Partial` or `Complete`, so no lone CR came before the line.
    let start = request_line_start(window).unwrap_or_default();
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

/// What to do with a request line whose version httparse refused: parse it as HTTP/1.1
/// if it is a later HTTP/1 minor version, 505 for another major version, 400 for
/// anything that is not a version.
///
/// httparse knows only `HTTP/1.0` and `HTTP/1.1` and stops at the first byte that
/// cannot lead to one of them, so `HTTP/2.0` fails at the `2`. To name the version in
/// the message, and to tell `HTTP/2.0` (505) from `HTTP/1.2` (answered) and `HTTX/1.1`
/// (400), this waits for the whole request line; until its line ending arrives the
/// answer is "partial", like any other partial head, and 414 if it does not arrive
/// within the limit.
fn version_error(window: &[u8], limits: &Limits) -> Result<Parsed, RequestError> {
    // httparse got as far as the version, so past any empty lines, all well-formed.
    let start = request_line_start(window).unwrap_or_default();
    let Some(lf) = window[start..].iter().position(|&b| b == b'\n') else {
        return if window.len() > limits.max_header_bytes {
            Err(RequestError::UriTooLong {
                limit: limits.max_header_bytes,
            })
        } else {
            Ok(Parsed::Done(None))
        };
    };
    let line = strip_cr(&window[start..start + lf]);
    // request-line = method SP request-target SP HTTP-version (RFC 9112 §3). httparse
    // got as far as the version, so there are at least two spaces before it, and the
    // version is the end of the line.
    let version = line.splitn(3, |&b| b == b' ').nth(2).unwrap_or_default();
    let shown = String::from_utf8_lossy(version).into_owned();
    match version {
        // HTTP-version = HTTP-name "/" DIGIT "." DIGIT (RFC 9112 §2.3); `HTTP` is
        // case-sensitive. A later minor version of HTTP/1: its digit is the line's last
        // byte.
        [b'H', b'T', b'T', b'P', b'/', b'1', b'.', b'2'..=b'9'] => Ok(Parsed::LaterMinor {
            digit_at: start + line.len() - 1,
        }),
        // Another major version (`HTTP/2.0`, `HTTP/0.9`): well-formed, but not one we
        // speak.
        [b'H', b'T', b'T', b'P', b'/', major, b'.', minor]
            if major.is_ascii_digit() && minor.is_ascii_digit() =>
        {
            Err(RequestError::VersionNotSupported(shown))
        }
        // A space inside the target (RFC 9112 §3.2 forbids whitespace there) pushes part
        // of it into the version's place.
        _ if version.contains(&b' ') => {
            Err(RequestError::Malformed(Malformed::SpaceInTarget(shown)))
        }
        // `HTTP/1.10`, `HTTP/01.1`, `HTTP/3`, `HTTX/1.1`: not a version at all.
        _ => Err(RequestError::Malformed(Malformed::Version(shown))),
    }
}

/// Whether the request line's version starts as `HTTP/1.0` or `HTTP/1.1` but goes on
/// (`HTTP/1.10`, `HTTP/1.1x`, `HTTP/1.1 x`), rather than ending with a line ending.
///
/// Only called after httparse's `NewLine` error. That error has two other causes: a
/// CR not followed by LF before the request line (`\rGET …`), and one in a field line,
/// after a request line that ended properly. Neither is a version running on, so the
/// version looked at is the one on the first line, and only when no CR comes first.
/// It looks only at the byte after the version, which httparse has seen, so the
/// answer does not depend on how much of the line has arrived.
fn version_runs_on(window: &[u8]) -> bool {
    let Some(start) = request_line_start(window) else {
        return false;
    };
    let line = window[start..]
        .split(|&b| b == b'\n')
        .next()
        .unwrap_or_default();
    let Some(version) = line.splitn(3, |&b| b == b' ').nth(2) else {
        return false;
    };
    matches!(
        version,
        [b'H', b'T', b'T', b'P', b'/', b'1', b'.', b'0' | b'1', next, ..] if *next != b'\r'
    )
}

/// The error for a request that breaks this rule.
fn malformed(kind: Malformed) -> RequestError {
    RequestError::Malformed(kind)
}

/// Where the request line starts: after the empty lines before it, by framing's one
/// rule for them ([`skip_empty_lines`]), which httparse follows too (RFC 9112 §2.2).
///
/// `None` for a CR without its LF among them. httparse refuses that (`NewLine`)
/// before it reads any further, so only [`version_runs_on`], which looks at that
/// error, can meet it.
fn request_line_start(buf: &[u8]) -> Option<usize> {
    match skip_empty_lines(buf) {
        Ok(Preamble::Empty(start) | Preamble::RequestAt(start)) => Some(start),
        Err(_) => None,
    }
}

/// `line` without a trailing CR.
fn strip_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Copies the head out of the read buffer into `spare`'s buffers and takes them: the
/// request line, and each field's name and value. `sent` is the head as received: the
/// bytes httparse parsed, unless those were a copy whose version was rewritten.
fn owned_head(
    request: &httparse::Request<'_, '_>,
    sent: &[u8],
    spare: &mut Head,
) -> Result<Head, RequestError> {
    // After `Complete` httparse has filled in method, path and version (0 or 1); the
    // defaults are never used, they only spare an `unwrap`, and were the version
    // missing, the request line is what would be wrong.
    let version = match request.version {
        Some(0) => Version::Http10,
        Some(1) => Version::Http11,
        _ => return Err(malformed(Malformed::RequestLine)),
    };
    // A complete head has no lone CR before its request line.
    let start = request_line_start(sent).unwrap_or_default();
    let end = sent[start..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(sent.len(), |lf| start + lf);
    // Method, target and version as httparse accepted them are ASCII or (the target)
    // UTF-8 it checked, so this never fails; were it to, the line is refused.
    let line = std::str::from_utf8(strip_cr(&sent[start..end]))
        .map_err(|_| malformed(Malformed::RequestLine))?;
    let method = request.method.unwrap_or_default();
    let target = request.path.unwrap_or_default();
    // `request-line = method SP request-target SP HTTP-version` (RFC 9112 §3), one SP
    // each, as httparse requires: the target starts one byte after the method.
    let target_from = (method.len() + 1).min(line.len());
    let target_at = target_from..(target_from + target.len()).min(line.len());
    let line = RequestLine {
        text: line,
        method: 0..method.len(),
        target: target_at,
        version,
    };
    spare.refill(
        line,
        request.headers.iter().map(|h| (h.name, h.value)),
        LineEndings::of(&sent[start..]),
        sent.len() - start,
    );
    Ok(std::mem::take(spare))
}

/// Refuses a request target whose form does not go with its method (RFC 9112 §3.2):
/// asterisk-form (`*`) is only for `OPTIONS`; authority-form (`host:port`) is only for
/// `CONNECT`, which hostecho does not implement (it would be a tunnel, and a 2xx tells
/// the client the tunnel is open). Anything else that is neither origin-form (`/path`)
/// nor absolute-form (`http://host/path`), such as `GET index.html`, is not a target at
/// all. A fragment (`#…`) is never part of a request target: a client strips it, and
/// `http://localhost#@evil.example/` is the kind of string that parsers disagree on.
fn check_target_form(head: &Head) -> Result<(), RequestError> {
    if head.method() == "CONNECT" {
        return Err(RequestError::MethodNotImplemented(head.method().to_owned()));
    }
    if head.raw_target().contains('#') {
        return Err(RequestError::Malformed(Malformed::Fragment));
    }
    // httparse lets bytes over 0x7F through in a target (as long as they are UTF-8),
    // but a target is a URI, and a URI is ASCII: anything else is percent-encoded
    // (RFC 9112 §3.2, RFC 3986 §2.1). A proxy that re-encodes `/café` and one that
    // passes it on raw would send two different requests on from one.
    if !head.raw_target().is_ascii() {
        return Err(RequestError::Malformed(Malformed::NonAsciiTarget(
            head.raw_target().as_bytes().escape_ascii().to_string(),
        )));
    }
    match head.target() {
        Target::Origin { .. } | Target::Absolute { .. } => Ok(()),
        Target::Asterisk if head.method() == "OPTIONS" => Ok(()),
        Target::Asterisk => Err(RequestError::Malformed(Malformed::AsteriskWithoutOptions(
            head.method().escape_debug().to_string(),
        ))),
        Target::Authority(_) => Err(RequestError::Malformed(Malformed::NotATarget)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::framing::test_support::*;
    use crate::http::framing::{BodyDecoder, Decoded};
    use crate::http::{BodyKind, Persistence};

    #[test]
    fn parses_a_curl_request_into_an_owned_head() {
        let (framed, used) = parse(CURL).unwrap().unwrap();
        assert_eq!(used, CURL.len());
        let head = &framed.head;
        assert_eq!(
            head.request_line(),
            "GET /index.html?name=jack&age=18 HTTP/1.1"
        );
        assert_eq!(head.method(), "GET");
        assert_eq!(head.raw_target(), "/index.html?name=jack&age=18");
        assert_eq!(
            head.target(),
            Target::Origin {
                path: "/index.html",
                query: Some("name=jack&age=18")
            }
        );
        assert_eq!(head.version(), Version::Http11);
        let headers: Vec<(&str, &[u8])> = head.fields().iter().map(|h| (h.name, h.value)).collect();
        assert_eq!(
            headers,
            [
                ("Host", &b"localhost:8000"[..]),
                ("User-Agent", b"curl/8.5.0"),
                ("Accept", b"*/*"),
            ]
        );
        assert_eq!(framed.body, BodyKind::None);
        assert_eq!(framed.persistence, Persistence::Implied);
        assert!(!framed.expect_continue);
    }

    #[test]
    fn target_form_must_go_with_the_method() {
        use Malformed::{AsteriskWithoutOptions, Fragment, NonAsciiTarget, NotATarget};
        let table: &[(&[u8], Option<Malformed>)] = &[
            (b"GET /x HTTP/1.1\r\nHost: a\r\n\r\n", None),
            (b"GET http://a/x HTTP/1.1\r\nHost: a\r\n\r\n", None),
            (b"GET /x#frag HTTP/1.1\r\nHost: a\r\n\r\n", Some(Fragment)),
            (
                b"GET http://a#@evil/ HTTP/1.1\r\nHost: a\r\n\r\n",
                Some(Fragment),
            ),
            (b"OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", None),
            (
                b"GET index.html HTTP/1.1\r\nHost: a\r\n\r\n",
                Some(NotATarget),
            ),
            (b"GET a:443 HTTP/1.1\r\nHost: a\r\n\r\n", Some(NotATarget)),
            (
                b"GET * HTTP/1.1\r\nHost: a\r\n\r\n",
                Some(AsteriskWithoutOptions("GET".into())),
            ),
            (
                b"GET /caf\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n",
                Some(NonAsciiTarget("/caf\\xc3\\xa9".into())),
            ),
            (
                b"GET http://a/\xe2\x82\xac?q=\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n",
                Some(NonAsciiTarget(
                    "http://a/\\xe2\\x82\\xac?q=\\xc3\\xa9".into(),
                )),
            ),
            (b"GET /caf%C3%A9 HTTP/1.1\r\nHost: a\r\n\r\n", None),
        ];
        for (bytes, refused) in table {
            let result = parse(bytes);
            let at = bytes.escape_ascii().to_string();
            match refused {
                None => assert!(matches!(result, Ok(Some(_))), "{at:?}: {result:?}"),
                Some(kind) => {
                    assert_eq!(result, Err(RequestError::Malformed(kind.clone())), "{at:?}")
                }
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
        let headers: Vec<(&str, &[u8])> = head.fields().iter().map(|h| (h.name, h.value)).collect();
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
            assert_eq!(framed.head.request_line(), *line);
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
            b"GET / HTTP/1.2\r\nHost: a\r\n\r\n",
            b"GET / HTTP/1.10\r\nHost: a\r\n\r\n",
            b"GET / HTTP/1.1\rX\r\n\r\n",
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
            let target = framed.head.raw_target().to_owned();
            seen.push((target, body, framed.persistence));
        }
        use Persistence::{Close, Implied};
        assert_eq!(
            seen,
            [
                ("/1".to_owned(), b"".to_vec(), Implied),
                ("/2".to_owned(), b"abc".to_vec(), Implied),
                ("/3".to_owned(), b"xy".to_vec(), Implied),
                ("/4".to_owned(), b"".to_vec(), Close),
            ]
        );
        assert_eq!(
            buf, b"GET /5",
            "the partial fifth request is left for the next read"
        );
    }

    #[test]
    fn refuses_malformed_request_lines_and_header_lines() {
        use Malformed::*;
        let cases: &[(&[u8], Malformed)] = &[
            // RFC 9112 §5.1: no whitespace between field name and colon.
            (b"GET / HTTP/1.1\r\nHost : a\r\n\r\n", HeaderName),
            (b"GET / HTTP/1.1\r\nHost\t: a\r\n\r\n", HeaderName),
            // RFC 9112 §5.2: obs-fold, a line continuing the previous one, is refused.
            (
                b"GET / HTTP/1.1\r\nX-A: 1\r\n  continued\r\n\r\n",
                HeaderName,
            ),
            (
                b"GET / HTTP/1.1\r\nX-A: 1\r\n\tcontinued\r\n\r\n",
                HeaderName,
            ),
            // ...and so is whitespace before the first field line (RFC 9112 §2.2).
            (b"GET / HTTP/1.1\r\n Host: a\r\n\r\n", HeaderName),
            (b"GET / HTTP/1.1\r\n: a\r\n\r\n", HeaderName),
            (b"GET / HTTP/1.1\r\nNoColon\r\n\r\n", HeaderName),
            (b"GET / HTTP/1.1\r\nX-(A): 1\r\n\r\n", HeaderName),
            (b"GET / HTTP/1.1\r\nX-A: a\x00b\r\n\r\n", HeaderValue),
            (b"GET / HTTP/1.1\r\nX-A: a\rb\r\n\r\n", HeaderValue),
            (b"GET / HTTP/1.1\r\nX-A: \x7f\r\n\r\n", HeaderValue),
            (b"GET / HTTP/1.1\rX", LineEnding),
            (b"GET / HTTP/1.1\rX\r\n\r\n", LineEnding),
            (b"GET / HTTP/1.1\r\n\rX", LineEnding),
            (b"\rGET / HTTP/1.1\r\n\r\n", LineEnding),
            (b"G(T / HTTP/1.1\r\n\r\n", RequestLine),
            (b" GET / HTTP/1.1\r\n\r\n", RequestLine),
            (b"GET  / HTTP/1.1\r\n\r\n", RequestLine),
            (
                b"GET /a b HTTP/1.1\r\n\r\n",
                SpaceInTarget("b HTTP/1.1".into()),
            ),
            (b"GET /\x01 HTTP/1.1\r\n\r\n", RequestLine),
            (b"GET\r\n\r\n", RequestLine),
            (b"GET /\r\n\r\n", RequestLine),
            // A version that is not `HTTP/` digits is no version at all: 400, not 505.
            (b"GET / HTTX/1.1\r\n\r\n", Version("HTTX/1.1".into())),
            (b"GET / http/1.1\r\n\r\n", Version("http/1.1".into())),
            (b"GET / HTTP/1.\r\n\r\n", Version("HTTP/1.".into())),
            (b"GET / HTTP/\r\n\r\n", Version("HTTP/".into())),
            (b"GET / \r\n\r\n", Version("".into())),
            (
                b"GET / HTTP/2.0 extra\r\n\r\n",
                SpaceInTarget("HTTP/2.0 extra".into()),
            ),
        ];
        for (bytes, kind) in cases {
            assert_eq!(
                parse(bytes),
                Err(RequestError::Malformed(kind.clone())),
                "{:?}",
                bytes.escape_ascii().to_string()
            );
        }
    }

    #[test]
    fn answers_505_naming_a_well_formed_version_of_another_major() {
        let cases: &[(&[u8], &str)] = &[
            (b"GET / HTTP/2.0\r\n\r\n", "HTTP/2.0"),
            (b"GET / HTTP/3.0\r\nHost: a\r\n\r\n", "HTTP/3.0"),
            (b"GET / HTTP/9.9\r\n\r\n", "HTTP/9.9"),
            // Major 0 is not HTTP/1 either.
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
    fn a_later_http_1_minor_version_is_read_as_http_1_1() {
        // RFC 9110 §2.5: answered as the highest minor version we speak, 1.1.
        for minor in b'2'..=b'9' {
            let sent = format!("GET /x HTTP/1.{}", char::from(minor));
            let request = format!("{sent}\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi");
            let (framed, used) = parse(request.as_bytes()).unwrap().unwrap();
            assert_eq!(used, request.len() - 2, "{sent}");
            assert_eq!(framed.head.version(), Version::Http11, "{sent}");
            // The request line is kept as it was sent; only the parse saw `HTTP/1.1`.
            assert_eq!(framed.head.request_line(), sent);
            assert_eq!(framed.head.raw_target(), "/x");
            assert_eq!(framed.body, BodyKind::Length(2));
            // HTTP/1.1's rules: persistent unless asked to close.
            assert_eq!(framed.persistence, Persistence::Implied);
        }
        let framed = framed(b"\r\nPOST / HTTP/1.2\nConnection: close\nExpect: 100-continue\nTransfer-Encoding: chunked\n\n");
        assert_eq!(framed.head.request_line(), "POST / HTTP/1.2");
        assert_eq!(framed.persistence, Persistence::Close);
        assert_eq!(framed.body, BodyKind::Chunked);
        assert!(framed.expect_continue);
        // The rest of the head is still checked, and still partial until it is whole.
        assert_eq!(parse(b"GET / HTTP/1.2\r\nHost: a\r\n"), Ok(None));
        assert_eq!(parse(b"GET / HTTP/1.2"), Ok(None));
        assert_eq!(
            parse(b"GET / HTTP/1.2\r\nBad Name: x\r\n\r\n"),
            Err(RequestError::Malformed(Malformed::HeaderName))
        );
        let limits = Limits {
            max_headers: 1,
            ..Limits::default()
        };
        assert_eq!(
            error(b"GET / HTTP/1.2\r\nA: 1\r\nB: 2\r\n\r\n", &limits),
            RequestError::TooManyHeaders { limit: 1 }
        );
        let limits = Limits {
            max_header_bytes: 24,
            ..Limits::default()
        };
        assert_eq!(
            error(b"GET / HTTP/1.2\r\nHost: abc\r\n\r\n", &limits),
            RequestError::HeadTooLarge { limit: 24 }
        );
    }

    #[test]
    fn a_version_that_is_not_http_digit_dot_digit_is_400_naming_it() {
        // HTTP-version = HTTP-name "/" DIGIT "." DIGIT (RFC 9112 §2.3): one digit each.
        let cases: &[(&[u8], &str)] = &[
            (b"GET / HTTP/1.10\r\n\r\n", "HTTP/1.10"),
            (b"GET / HTTP/01.1\r\n\r\n", "HTTP/01.1"),
            (b"GET / HTTP/1.12\r\nHost: a\r\n\r\n", "HTTP/1.12"),
            (b"GET / HTTP/10.0\r\n\r\n", "HTTP/10.0"),
            (b"GET / HTTP/3\r\n\r\n", "HTTP/3"),
            (b"GET / HTTP/2\r\n\r\n", "HTTP/2"),
            (b"GET / HTTP/1.a\r\n\r\n", "HTTP/1.a"),
            (b"GET / HTTP/1.2x\r\n\r\n", "HTTP/1.2x"),
            (b"GET / HTTP/1.1x\r\n\r\n", "HTTP/1.1x"),
            (b"GET / HTTP/1.00\nHost: a\n\n", "HTTP/1.00"),
            (b"GET / HTTP/1.2.\r\n\r\n", "HTTP/1.2."),
            (b"GET / http/1.2\r\n\r\n", "http/1.2"),
        ];
        for (bytes, version) in cases {
            let want = RequestError::Malformed(Malformed::Version((*version).to_owned()));
            assert_eq!(error(bytes, &Limits::default()), want, "{version}");
        }
        // Named once the line is whole, so the answer is the same however it arrives.
        assert_eq!(parse(b"GET / HTTP/1.10"), Ok(None));
        assert_eq!(parse(b"GET / HTTP/1.1x\r"), Ok(None));
        // Words after the version are a space too many, as in the target.
        assert_eq!(
            parse(b"GET / HTTP/1.1 x\r\n\r\n"),
            Err(RequestError::Malformed(Malformed::SpaceInTarget(
                "HTTP/1.1 x".into()
            )))
        );
        // A CR straight after the version is a line ending gone wrong, not a version.
        assert_eq!(
            parse(b"GET / HTTP/1.1\r\r\n\r\n"),
            Err(RequestError::Malformed(Malformed::LineEnding))
        );
    }

    #[test]
    fn a_lone_cr_before_a_request_line_with_a_run_on_version_is_a_line_ending() {
        // Found by the framing fuzz target: httparse's `NewLine` error for the CR at
        // the start was taken for a version running on (`HTTP/1.1x`), so the whole
        // input was named a bad version while any shorter prefix of it was a bad line
        // ending: the answer depended on how much had been read.
        let cases: &[&[u8]] = &[
            b"\rGET / HTTP/1.1x\r\n\r\n",
            // The fuzzer's input: the version is on the second line.
            b"\rHo\0\0@\0b\0\0\x14\xc1GET /F\xa2\xdf\xb7\xab\xab\xaf\xd0\xcf.0\r\n\
              \x9c\x9etio HTTP/1.1n\0\x14\r\nHos\nt:&age=18 HTTP/1.1n\0\x14\r\nHos\nt: local\0",
        ];
        for bytes in cases {
            let want = Err(RequestError::Malformed(Malformed::LineEnding));
            assert_eq!(parse(bytes), want);
            for cut in 0..bytes.len() {
                let early = parse(&bytes[..cut]);
                assert!(early == Ok(None) || early == want, "{cut}: {early:?}");
            }
        }
        // A version running on is only looked for on the request line.
        assert_eq!(
            parse(b"GET / HTTP/1.1\r\nX: HTTP/1.1x\rY\r\n\r\n"),
            Err(RequestError::Malformed(Malformed::HeaderValue))
        );
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
        // So is a request line whose version httparse refused while its end is awaited
        // to name it: partial up to the limit, 414 one byte past it.
        let unfinished = |len: usize| {
            let mut bytes = b"GET /".to_vec();
            bytes.resize(len - " HTTP/2.0".len(), b'a');
            bytes.extend_from_slice(b" HTTP/2.0");
            bytes
        };
        assert_eq!(parse_head(&unfinished(64), &limits), Ok(None));
        assert_eq!(
            parse_head(&unfinished(65), &limits),
            Err(RequestError::UriTooLong { limit: 64 })
        );
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

    /// Past [`STACK_HEADER_SLOTS`] the slots come from the heap: a configured
    /// `--max-headers` above it counts the same, on either side of the boundary.
    #[test]
    fn counts_header_lines_past_the_slots_kept_on_the_stack() {
        let request = |n: usize| {
            let lines: Vec<String> = (0..n).map(|i| format!("X-{i}: v")).collect();
            let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
            with_headers("HTTP/1.1", &lines) // plus Host: one more line
        };
        let limits = |max_headers| Limits {
            max_headers,
            max_header_bytes: 64 * 1024,
            ..Limits::default()
        };
        for max in [
            STACK_HEADER_SLOTS,
            STACK_HEADER_SLOTS + 1,
            3 * STACK_HEADER_SLOTS,
        ] {
            let framed = parse_head(&request(max - 1), &limits(max));
            let fields = framed.map(|f| f.map(|(f, _)| f.head.fields().iter().count()));
            assert_eq!(fields, Ok(Some(max)), "max_headers {max}");
            assert_eq!(
                error(&request(max), &limits(max)),
                RequestError::TooManyHeaders { limit: max },
                "max_headers {max}"
            );
        }
    }

    #[test]
    fn survives_extreme_limits() {
        let unlimited = Limits {
            max_header_bytes: usize::MAX,
            max_headers: usize::MAX,
            max_body_bytes: u64::MAX,
            echo_body_bytes: usize::MAX,
        };
        let request = with_headers("HTTP/1.1", &["Content-Length: 18446744073709551615"]);
        let got = outcome(&request, &unlimited);
        assert_eq!(got, Outcome::Body(BodyKind::Length(u64::MAX)));
        let mut decoder = BodyDecoder::new(BodyKind::Length(u64::MAX), u64::MAX);
        let progress = decoder.decode(b"abc", &mut Vec::new());
        assert_eq!(
            progress,
            Ok(Decoded {
                consumed: 3,
                complete: false
            })
        );

        let nothing = Limits {
            max_header_bytes: 0,
            max_headers: 0,
            max_body_bytes: 0,
            echo_body_bytes: 0,
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
}
