//! The body's framing rules: what a complete head says about the body and the
//! connection.
//!
//! Once the head is in, three questions remain, each answered here from the head
//! alone, once per request:
//!
//! * how the body is delimited ([`kind`]: none, `Content-Length`, or chunked), refusing
//!   every ambiguity RFC 9112 §6 lets a server refuse, since ambiguity is how requests
//!   are smuggled past a proxy;
//! * whether the client waits for `100 Continue` before sending it
//!   ([`expects_continue`]);
//! * whether the connection persists after the response ([`persistence`]).

use super::{BodyKind, Limits, Persistence};
use crate::error::{Malformed, RequestError};
use crate::http::grammar::{has_token, list_elements};
use crate::http::request::{Head, Version};

/// How the body is delimited, following RFC 9112 §6.3, refusing every ambiguity.
pub fn kind(head: &Head, limits: &Limits) -> Result<BodyKind, RequestError> {
    let has_length = head.first("content-length").is_some();
    let has_coding = head.first("transfer-encoding").is_some();
    if has_length && has_coding {
        // RFC 9112 §6.1: "a server MAY reject a request that contains both
        // Content-Length and Transfer-Encoding". It is the classic smuggling set-up
        // (CL.TE / TE.CL): a proxy that believes one header and a server that believes
        // the other see different bodies. We reject.
        return Err(RequestError::Malformed(Malformed::LengthAndCoding));
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
/// request: "If a Transfer-Encoding header field is present in a request and the
/// chunked transfer coding is not the final encoding, the message body length cannot
/// be determined reliably; the server MUST respond with the 400 (Bad Request) status
/// code and then close the connection." So `chunked, gzip` is 400, whatever the other
/// coding: what frames the body is unknown, which matters before whether we speak
/// gzip. A coding we do not implement otherwise (`gzip`, `gzip, chunked`, `identity`)
/// is answered 501 naming it (RFC 9112 §6.1). `chunked` twice is 400 (RFC 9112 §7: it
/// must not be applied more than once).
/// Names are compared case-insensitively; a coding with parameters (`chunked;x=1`) is
/// not one we know.
fn chunked(head: &Head) -> Result<BodyKind, RequestError> {
    if head.version() == Version::Http10 {
        // RFC 9112 §6.1: Transfer-Encoding came with HTTP/1.1, and a server that
        // receives it in a 1.0 message "MUST treat the message as if the framing is
        // faulty". A genuine 1.0 client does not chunk, and a 1.0 intermediary on the
        // way would not have decoded the chunks, so someone framed this body
        // differently from how we would.
        return Err(RequestError::Malformed(Malformed::CodingInHttp10));
    }
    // Empty list elements are ignored, as RFC 9110 §5.6.1 asks of list fields.
    let codings: Vec<&[u8]> = head
        .values("transfer-encoding")
        .flat_map(list_elements)
        .filter(|coding| !coding.is_empty())
        .collect();
    let is_chunked = |c: &&[u8]| c.eq_ignore_ascii_case(b"chunked");
    if codings.iter().filter(|c| is_chunked(c)).count() > 1 {
        return Err(RequestError::Malformed(Malformed::ChunkedTwice));
    }
    if codings.iter().any(is_chunked) && !codings.last().is_some_and(is_chunked) {
        let value: Vec<&[u8]> = head.values("transfer-encoding").collect();
        return Err(RequestError::Malformed(Malformed::ChunkedNotLast(
            value.join(&b", "[..]).escape_ascii().to_string(),
        )));
    }
    if let Some(unknown) = codings.iter().find(|c| !is_chunked(c)) {
        return Err(RequestError::TransferCodingNotImplemented(
            String::from_utf8_lossy(unknown).into_owned(),
        ));
    }
    // What is left is `chunked` once, or nothing at all.
    if codings.is_empty() {
        return Err(RequestError::Malformed(Malformed::EmptyTransferEncoding));
    }
    Ok(BodyKind::Chunked)
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
        for digits in list_elements(value) {
            if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
                return Err(RequestError::Malformed(Malformed::InvalidContentLength(
                    String::from_utf8_lossy(value).into_owned(),
                )));
            }
            let first_nonzero = digits.iter().position(|&b| b != b'0');
            let number = first_nonzero.map_or(&b"0"[..], |i| &digits[i..]);
            match agreed {
                Some(seen) if seen != number => {
                    return Err(RequestError::Malformed(Malformed::ConflictingContentLength));
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

/// Whether the connection persists after this request's response, and what the
/// response must say about it (RFC 9112 §9.3).
///
/// HTTP/1.1 is persistent unless the client says `Connection: close`; HTTP/1.0 closes
/// unless it says `Connection: keep-alive` (RFC 9112 Appendix C.2.2), and then keeps
/// the connection only if the response says `keep-alive` too. `Connection` is a
/// case-insensitive list that may span several lines; `close` wins over `keep-alive`
/// when both appear.
pub fn persistence(head: &Head) -> Persistence {
    let connection = || head.values("connection");
    if has_token(connection(), b"close") {
        return Persistence::Close;
    }
    match head.version() {
        Version::Http11 => Persistence::Implied,
        Version::Http10 if has_token(connection(), b"keep-alive") => Persistence::KeepAlive,
        Version::Http10 => Persistence::Close,
    }
}

/// Whether the client waits for `100 Continue` before sending its body (RFC 9110
/// §10.1.1). See [`FramedHead::expect_continue`](super::FramedHead::expect_continue)
/// for when that is.
pub fn expects_continue(head: &Head, body: BodyKind) -> bool {
    let has_body = !matches!(body, BodyKind::None | BodyKind::Length(0));
    head.version() == Version::Http11
        && has_body
        && has_token(head.values("expect"), b"100-continue")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::framing::test_support::*;

    #[test]
    fn reads_content_length_strictly() {
        let invalid = |value: &str| malformed(Malformed::InvalidContentLength(value.into()));
        let conflicting = malformed(Malformed::ConflictingContentLength);
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
            (&["Content-Length: +5"], invalid("+5")),
            (&["Content-Length: -1"], invalid("-1")),
            (&["Content-Length: 0x5"], invalid("0x5")),
            (&["Content-Length: 5 5"], invalid("5 5")),
            (&["Content-Length: 5.0"], invalid("5.0")),
            (&["Content-Length: five"], invalid("five")),
            (&["Content-Length:"], invalid("")),
            (&["Content-Length: 5,"], invalid("5,")),
            (&["Content-Length: ,5"], invalid(",5")),
            (&["Content-Length: ５"], invalid("５")),
            // Different lengths: which one is the body? Refused (smuggling).
            (&["Content-Length: 5,6"], conflicting.clone()),
            (
                &["Content-Length: 5", "Content-Length: 6"],
                conflicting.clone(),
            ),
            (&["Content-Length: 5", "Content-Length: x"], invalid("x")),
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
                conflicting,
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
                malformed(Malformed::ChunkedNotLast("chunked, gzip".into())),
            ),
            (
                "HTTP/1.1",
                &["Transfer-Encoding: chunked", "Transfer-Encoding: identity"],
                malformed(Malformed::ChunkedNotLast("chunked, identity".into())),
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
                malformed(Malformed::ChunkedTwice),
            ),
            (
                "HTTP/1.1",
                &["Transfer-Encoding: chunked", "Transfer-Encoding: chunked"],
                malformed(Malformed::ChunkedTwice),
            ),
            (
                "HTTP/1.1",
                &["Transfer-Encoding:"],
                malformed(Malformed::EmptyTransferEncoding),
            ),
            (
                "HTTP/1.1",
                &["Transfer-Encoding: ,"],
                malformed(Malformed::EmptyTransferEncoding),
            ),
            // Both length headers: refused whatever their values (RFC 9112 §6.1).
            (
                "HTTP/1.1",
                &["Content-Length: 5", "Transfer-Encoding: chunked"],
                malformed(Malformed::LengthAndCoding),
            ),
            (
                "HTTP/1.1",
                &["Transfer-Encoding: chunked", "Content-Length: 5"],
                malformed(Malformed::LengthAndCoding),
            ),
            (
                "HTTP/1.1",
                &["Transfer-Encoding: gzip", "Content-Length: x"],
                malformed(Malformed::LengthAndCoding),
            ),
            // Transfer-Encoding is HTTP/1.1; in 1.0 the framing is faulty (RFC 9112 §6.1).
            (
                "HTTP/1.0",
                &["Transfer-Encoding: chunked"],
                malformed(Malformed::CodingInHttp10),
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
    }

    #[test]
    fn decides_persistence_by_version_and_connection_tokens() {
        use Persistence::{Close, Implied, KeepAlive};
        let cases: &[(&str, &[&str], Persistence)] = &[
            ("HTTP/1.1", &[], Implied),
            ("HTTP/1.1", &["Connection: close"], Close),
            ("HTTP/1.1", &["connection: CLOSE"], Close),
            ("HTTP/1.1", &["Connection: keep-alive"], Implied),
            ("HTTP/1.1", &["Connection: Upgrade, close"], Close),
            (
                "HTTP/1.1",
                &["Connection: upgrade", "Connection: close"],
                Close,
            ),
            ("HTTP/1.1", &["Connection: closed"], Implied),
            ("HTTP/1.1", &["Connection: keep-alive, close"], Close),
            ("HTTP/1.1", &["X-Connection: close"], Implied),
            ("HTTP/1.0", &[], Close),
            ("HTTP/1.0", &["Connection: keep-alive"], KeepAlive),
            ("HTTP/1.0", &["Connection: Keep-Alive"], KeepAlive),
            ("HTTP/1.0", &["Connection: foo,keep-alive"], KeepAlive),
            ("HTTP/1.0", &["Connection: close"], Close),
            ("HTTP/1.0", &["Connection: keep-alive, close"], Close),
            ("HTTP/1.0", &["Keep-Alive: timeout=5"], Close),
        ];
        for (version, lines, persistence) in cases {
            let framed = framed(&with_headers(version, lines));
            assert_eq!(framed.persistence, *persistence, "{version} {lines:?}");
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
}
