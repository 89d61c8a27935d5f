//! Responses: a status, a content type and a body, serialised as HTTP/1.1 bytes.
//!
//! Every [`Response`] hostecho writes carries `Date`, `Server` (RFC 9110 §6.6.1,
//! §10.2.4) and `Cache-Control: no-store` (RFC 9111 §5.2.2.5), the echo `Vary: Accept`
//! too (RFC 9110 §12.5.5), and says what happens to the connection as [`Persistence`]
//! decided. Every one with content carries `Content-Type` and `Content-Length` (§8.3,
//! §8.6); the favicon's `204 No Content` carries neither, and the interim [`CONTINUE`]
//! is a bare status line. Error responses always carry `Connection: close`: after a
//! framing error the server can no longer tell where the next request would start, so
//! the only safe thing is to close (RFC 9112 §9.6).

use crate::decimal::{push_u64, push_usize};
use crate::error::RequestError;
use crate::http::framing::Persistence;

/// An HTTP status code. Only the ones hostecho sends have names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Status(pub u16);

impl Status {
    /// 100 Continue: the client may send the body it announced with `Expect`.
    pub const CONTINUE: Status = Status(100);
    /// 200 OK: the echo.
    pub const OK: Status = Status(200);
    /// 204 No Content: the answer to `/favicon.ico`.
    pub const NO_CONTENT: Status = Status(204);
    /// 400 Bad Request: malformed syntax, or a Host that is refused.
    pub const BAD_REQUEST: Status = Status(400);
    /// 408 Request Timeout: the head, or the body after it, did not arrive in time.
    pub const REQUEST_TIMEOUT: Status = Status(408);
    /// 413 Content Too Large.
    pub const PAYLOAD_TOO_LARGE: Status = Status(413);
    /// 414 URI Too Long.
    pub const URI_TOO_LONG: Status = Status(414);
    /// 431 Request Header Fields Too Large (RFC 6585 §5).
    pub const REQUEST_HEADER_FIELDS_TOO_LARGE: Status = Status(431);
    /// 501 Not Implemented: a transfer coding other than chunked, or `CONNECT`.
    pub const NOT_IMPLEMENTED: Status = Status(501);
    /// 503 Service Unavailable: the server is at its connection limit, or out of
    /// file descriptors, and cannot take this connection now (RFC 9110 §15.6.4).
    pub const SERVICE_UNAVAILABLE: Status = Status(503);
    /// 505 HTTP Version Not Supported.
    pub const HTTP_VERSION_NOT_SUPPORTED: Status = Status(505);

    /// The reason phrase for the status line.
    pub fn reason(self) -> &'static str {
        match self.0 {
            100 => "Continue",
            200 => "OK",
            204 => "No Content",
            400 => "Bad Request",
            408 => "Request Timeout",
            413 => "Content Too Large",
            414 => "URI Too Long",
            431 => "Request Header Fields Too Large",
            501 => "Not Implemented",
            503 => "Service Unavailable",
            505 => "HTTP Version Not Supported",
            _ => "Unknown",
        }
    }
}

/// The interim response sent when a request carries `Expect: 100-continue`
/// (RFC 9110 §10.1.1). curl waits a second for it before sending a large body.
pub const CONTINUE: &[u8] = b"HTTP/1.1 100 Continue\r\n\r\n";

/// A complete response, ready to serialise.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    /// The status.
    pub status: Status,
    /// The `Content-Type` value; `None` for a response with no content (the 204).
    pub content_type: Option<&'static str>,
    /// The body. For a `HEAD` request it is measured for `Content-Length` but not sent.
    pub body: Vec<u8>,
    /// What happens to the connection after this response.
    pub persistence: Persistence,
    /// Whether the body is left out: the response to a `HEAD` carries the headers a
    /// `GET` would have, `Content-Length` included, but no body (RFC 9110 §9.3.2).
    pub omit_body: bool,
    /// The request field that chose this representation, named in `Vary` (RFC 9110
    /// §12.5.5): `Accept` for the echo, whose format `Accept` picks; `None` for a
    /// response that is the same whatever the request's fields (an error, the favicon's
    /// 204).
    pub vary: Option<&'static str>,
    /// Whether the access log records this response at debug rather than info: the
    /// `/favicon.ico` a browser asks for on every visit is noise next to the request
    /// being studied.
    pub quiet: bool,
}

/// The content type of every text body hostecho writes: the errors', and the text echo's
/// ([`Format::content_type`](crate::echo::Format::content_type)).
pub const TEXT_PLAIN: &str = "text/plain; charset=utf-8";

/// What every response says to caches: store nothing (RFC 9111 §5.2.2.5).
///
/// A 200 (the echo) and a 204 (the favicon's) are "heuristically cacheable" (RFC 9110
/// §15.1), and so are a 414 and a 501: with no `Cache-Control` a cache may store them
/// and guess a freshness lifetime (RFC 9111 §4.2.2). Every one of them describes one
/// exchange. The echo shows the client's own fields and address, so a shared cache
/// that stored it could hand one client's echo to the next; an error quotes the
/// client's bytes and would answer a request that has since been fixed; the favicon's
/// 204 is the one response that is the same for everyone, and `no-store` costs it only
/// a browser asking again, which it does on most visits anyway. One rule, with no
/// exception to reason about: nothing hostecho says is stored.
///
/// `Vary` ([`Response::vary`]) is sent only where a field chose the representation:
/// on the echo, `Vary: Accept`, as RFC 9110 §12.5.5 asks of proactive negotiation, so
/// that a cache that ignores `no-store` (or a browser's back/forward history) still
/// never hands a JSON echo to a client that asked for HTML. An error is plain text
/// whatever the request's `Accept`, and the 204 has no representation: a `Vary` on
/// either would be false.
const CACHE_CONTROL: &[u8] = b"Cache-Control: no-store\r\n";

/// The end of the `Date` line and the whole `Server` line, which names this version:
/// put together once, when hostecho is compiled.
const SERVER_LINE: &str = concat!("\r\nServer: hostecho/", env!("CARGO_PKG_VERSION"), "\r\n");

impl Response {
    /// A 200 carrying the echo.
    pub fn ok(content_type: &'static str, body: Vec<u8>, persistence: Persistence) -> Response {
        Response {
            status: Status::OK,
            content_type: Some(content_type),
            body,
            persistence,
            omit_body: false,
            vary: Some("Accept"),
            quiet: false,
        }
    }

    /// A 204 with no body and no representation headers, logged at debug: the answer
    /// to a browser's `/favicon.ico`, which it asks for on every visit. A 204 tells it
    /// there is no icon without an error in its console.
    pub fn no_content(persistence: Persistence) -> Response {
        Response {
            status: Status::NO_CONTENT,
            content_type: None,
            body: Vec::new(),
            persistence,
            omit_body: false,
            vary: None,
            quiet: true,
        }
    }

    /// A short plain-text error naming the problem, closing the connection afterwards.
    pub fn error(status: Status, message: &str) -> Response {
        let mut body = message.as_bytes().to_vec();
        body.push(b'\n');
        Response {
            status,
            content_type: Some(TEXT_PLAIN),
            body,
            persistence: Persistence::Close,
            omit_body: false,
            vary: None,
            quiet: false,
        }
    }

    /// The response to a request hostecho will not echo: it could not be framed, or its
    /// Host was refused.
    pub fn for_request_error(err: &RequestError) -> Response {
        Response::error(err.status(), &err.to_string())
    }

    /// Leaves the body out when `is_head` (the request was a `HEAD`), keeping its length.
    pub fn for_head(mut self, is_head: bool) -> Response {
        self.omit_body = is_head;
        self
    }

    /// How many body bytes [`write_to`](Self::write_to) sends: none for a `HEAD`.
    pub fn body_bytes_sent(&self) -> usize {
        if self.omit_body { 0 } else { self.body.len() }
    }

    /// Appends the serialised response to `out`. `date` is an IMF-fixdate
    /// (`httpdate::fmt_http_date`).
    ///
    /// Every response takes this path, so it appends the pieces one by one, and writes
    /// the two numbers, the status and `Content-Length`, with [`crate::decimal`]: a
    /// `write!` here would run `core::fmt`'s machinery for two short integers, on every
    /// response.
    pub fn write_to(&self, out: &mut Vec<u8>, date: &str) {
        out.extend_from_slice(b"HTTP/1.1 ");
        push_u64(out, u64::from(self.status.0));
        out.push(b' ');
        out.extend_from_slice(self.status.reason().as_bytes());
        out.extend_from_slice(b"\r\nDate: ");
        out.extend_from_slice(date.as_bytes());
        out.extend_from_slice(SERVER_LINE.as_bytes());
        if let Some(content_type) = self.content_type {
            out.extend_from_slice(b"Content-Type: ");
            out.extend_from_slice(content_type.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        // "A server MUST NOT send a Content-Length header field in any response with a
        // status code of … 204" (RFC 9110 §8.6).
        if self.status != Status::NO_CONTENT {
            out.extend_from_slice(b"Content-Length: ");
            push_usize(out, self.body.len());
            out.extend_from_slice(b"\r\n");
        }
        if let Some(field) = self.vary {
            out.extend_from_slice(b"Vary: ");
            out.extend_from_slice(field.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(CACHE_CONTROL);
        match self.persistence {
            Persistence::Close => out.extend_from_slice(b"Connection: close\r\n"),
            Persistence::KeepAlive => out.extend_from_slice(b"Connection: keep-alive\r\n"),
            Persistence::Implied => {}
        }
        out.extend_from_slice(b"\r\n");
        if !self.omit_body {
            out.extend_from_slice(&self.body);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DATE: &str = "Sat, 21 Nov 2026 16:00:00 GMT";

    #[test]
    fn writes_status_line_and_required_headers() {
        let mut out = Vec::new();
        Response::ok(TEXT_PLAIN, b"hi".to_vec(), Persistence::Implied).write_to(&mut out, DATE);
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            format!(
                "HTTP/1.1 200 OK\r\nDate: {DATE}\r\nServer: hostecho/{}\r\n\
                 Content-Type: text/plain; charset=utf-8\r\nContent-Length: 2\r\n\
                 Vary: Accept\r\nCache-Control: no-store\r\n\r\nhi",
                env!("CARGO_PKG_VERSION")
            )
        );
    }

    #[test]
    fn writes_any_status_and_length_as_format_would() {
        let table: &[(u16, usize)] = &[
            (100, 0),
            (200, 1),
            (400, 9),
            (431, 10),
            (503, 12_345),
            (599, 1 << 20),
        ];
        for &(code, length) in table {
            let mut out = Vec::new();
            let mut response = Response::error(Status(code), "");
            response.body = vec![b'x'; length];
            response.write_to(&mut out, DATE);
            let head = format!(
                "HTTP/1.1 {code} {}\r\nDate: {DATE}\r\nServer: hostecho/{}\r\n\
                 Content-Type: text/plain; charset=utf-8\r\nContent-Length: {length}\r\n\
                 Cache-Control: no-store\r\nConnection: close\r\n\r\n",
                Status(code).reason(),
                env!("CARGO_PKG_VERSION")
            );
            assert_eq!(&out[..head.len()], head.as_bytes(), "{code} {length}");
            assert_eq!(out.len(), head.len() + length);
        }
    }

    #[test]
    fn head_only_keeps_length_but_drops_body() {
        let mut out = Vec::new();
        let response = Response::ok(TEXT_PLAIN, b"hello".to_vec(), Persistence::Implied);
        let response = response.for_head(true);
        assert_eq!(response.body_bytes_sent(), 0);
        response.write_to(&mut out, DATE);
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("Content-Length: 5\r\n"));
        assert!(text.ends_with("\r\n\r\n"));
    }

    #[test]
    fn says_what_persistence_decided() {
        let cases = [
            (Persistence::Close, Some("Connection: close")),
            (Persistence::KeepAlive, Some("Connection: keep-alive")),
            (Persistence::Implied, None),
        ];
        for (persistence, line) in cases {
            let mut out = Vec::new();
            Response::ok(TEXT_PLAIN, Vec::new(), persistence).write_to(&mut out, DATE);
            let text = String::from_utf8(out).unwrap();
            assert_eq!(
                text.lines().find(|l| l.starts_with("Connection:")),
                line,
                "{persistence:?}"
            );
        }
    }

    #[test]
    fn no_content_has_no_length_nor_type_and_is_quiet() {
        let response = Response::no_content(Persistence::Implied);
        assert!(response.quiet);
        let mut out = Vec::new();
        response.write_to(&mut out, DATE);
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            format!(
                "HTTP/1.1 204 No Content\r\nDate: {DATE}\r\nServer: hostecho/{}\r\n\
                 Cache-Control: no-store\r\n\r\n",
                env!("CARGO_PKG_VERSION")
            )
        );
        assert!(!Response::ok(TEXT_PLAIN, Vec::new(), Persistence::Implied).quiet);
    }

    #[test]
    fn errors_close_and_name_the_problem() {
        let r = Response::for_request_error(&RequestError::UriTooLong { limit: 8192 });
        assert_eq!(r.status, Status::URI_TOO_LONG);
        assert_eq!(r.persistence, Persistence::Close);
        let mut out = Vec::new();
        r.write_to(&mut out, DATE);
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("HTTP/1.1 414 URI Too Long\r\n"));
        assert!(text.contains("Connection: close\r\n"));
        assert!(text.ends_with("request line is longer than 8192 bytes\n"));
    }

    /// Each status hostecho sends has its reason phrase from RFC 9110 §15 (and RFC 6585
    /// §5 for 431); any other number says `Unknown`.
    #[test]
    fn every_named_status_has_its_reason_phrase() {
        let table = [
            (Status::CONTINUE, "Continue"),
            (Status::OK, "OK"),
            (Status::NO_CONTENT, "No Content"),
            (Status::BAD_REQUEST, "Bad Request"),
            (Status::REQUEST_TIMEOUT, "Request Timeout"),
            (Status::PAYLOAD_TOO_LARGE, "Content Too Large"),
            (Status::URI_TOO_LONG, "URI Too Long"),
            (
                Status::REQUEST_HEADER_FIELDS_TOO_LARGE,
                "Request Header Fields Too Large",
            ),
            (Status::NOT_IMPLEMENTED, "Not Implemented"),
            (Status::SERVICE_UNAVAILABLE, "Service Unavailable"),
            (
                Status::HTTP_VERSION_NOT_SUPPORTED,
                "HTTP Version Not Supported",
            ),
            (Status(599), "Unknown"),
        ];
        for (status, reason) in table {
            assert_eq!(status.reason(), reason, "{}", status.0);
        }
    }

    #[test]
    fn sends_the_whole_body_unless_the_request_was_head() {
        let response = Response::ok(TEXT_PLAIN, b"hello".to_vec(), Persistence::Implied);
        assert_eq!(response.clone().for_head(false).body_bytes_sent(), 5);
        assert_eq!(response.for_head(true).body_bytes_sent(), 0);
    }
}
