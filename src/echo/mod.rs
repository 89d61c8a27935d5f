//! The echo: the request as hostecho parsed it, rendered for whoever asked.
//!
//! Every request that passes the Host policy gets a `200 OK` whose body is the request
//! itself. The same facts are shown three ways, and the client's `Accept` header picks one
//! (RFC 9110 §12.5.1, "proactive negotiation"):
//!
//! | file | format | who it is for |
//! |---|---|---|
//! | [`accept`] | — | reads `Accept` (with its q-values) and picks a [`Format`] |
//! | [`text`] | `text/plain; charset=utf-8` | curl, and the default for everyone else |
//! | [`json`] | `application/json` | scripts: `curl -H 'Accept: application/json'` |
//! | [`html`] | `text/html; charset=utf-8` | browsers |
//!
//! Everything here is a pure function from an [`Echo`] to bytes: no I/O, no clock, no
//! randomness. That is what lets each renderer be pinned by a snapshot test.
//!
//! The renderers do not parse the request target themselves. Framing parsed it, and
//! [`crate::exchange::respond`] decodes the path and the query pairs from those parts
//! and hands them over in [`Echo::path`] and [`Echo::query`]; so parsing lives in one
//! place and the renderers only show its result.

pub mod accept;
pub mod html;
pub mod json;
pub mod text;

use std::net::SocketAddr;

use crate::host::ValidHost;
use crate::http::request::Request;

/// The three renderings, chosen from `Accept`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// `text/plain; charset=utf-8` — the default, and what curl's `*/*` gets.
    Text,
    /// `application/json` — for scripts.
    Json,
    /// `text/html; charset=utf-8` — for browsers.
    Html,
}

impl Format {
    /// The `Content-Type` of this rendering.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Text => "text/plain; charset=utf-8",
            Format::Json => "application/json",
            Format::Html => "text/html; charset=utf-8",
        }
    }
}

/// Everything an echo shows: the request and what the server knows about it.
#[derive(Clone, Copy, Debug)]
pub struct Echo<'a> {
    /// The request, as framed.
    pub request: &'a Request,
    /// The host the policy allowed, and where it came from.
    pub allowed: &'a ValidHost,
    /// The client's address.
    pub peer: SocketAddr,
    /// The accepting socket's address.
    pub local: SocketAddr,
    /// The target's path, percent-decoded (lossy UTF-8), e.g. `/index.html`.
    ///
    /// The caller computes it with `head.target.view().decoded_path()`. Parsing the
    /// target is framing's job; the renderers only show the result, which keeps them
    /// pure and lets them be tested without the parser.
    pub path: &'a str,
    /// The query's `(name, value)` pairs, decoded as `application/x-www-form-urlencoded`,
    /// in order, duplicates kept; empty when the target has no query.
    ///
    /// The caller computes them with `head.target.view().query_pairs()`, for the same
    /// reason as [`Echo::path`].
    pub query: &'a [(String, String)],
}

/// Renders the echo in the given format.
pub fn render(format: Format, echo: &Echo<'_>) -> Vec<u8> {
    match format {
        Format::Text => text::render(echo),
        Format::Json => json::render(echo),
        Format::Html => html::render(echo),
    }
}

/// "1 byte", "0 bytes", "16 bytes": the body length as the text and HTML echoes say it.
fn byte_count(n: usize) -> String {
    if n == 1 {
        "1 byte".to_owned()
    } else {
        format!("{n} bytes")
    }
}

/// The body's length for the text and HTML summaries, with a warning when the body is not
/// UTF-8: those echoes show it with U+FFFD, so what the learner sees is not what was sent.
fn describe_body(body: &[u8]) -> String {
    let mut length = byte_count(body.len());
    if std::str::from_utf8(body).is_err() {
        length.push_str(" (not UTF-8: shown with U+FFFD)");
    }
    length
}

/// Two requests built by hand, shared by every renderer's tests and snapshots, so the three
/// renderings of one request can be compared side by side.
#[cfg(test)]
pub(crate) mod fixtures {
    use std::net::SocketAddr;

    use super::Echo;
    use crate::host::syntax::Host;
    use crate::host::{HostSource, ValidHost};
    use crate::http::request::{Head, Header, Request, Version};
    use crate::http::target::RequestTarget;

    /// The owned parts an [`Echo`] borrows.
    pub(crate) struct Fixture {
        pub(crate) request: Request,
        pub(crate) host: ValidHost,
        pub(crate) peer: SocketAddr,
        pub(crate) local: SocketAddr,
        pub(crate) path: String,
        pub(crate) query: Vec<(String, String)>,
    }

    impl Fixture {
        /// The echo of this fixture.
        pub(crate) fn echo(&self) -> Echo<'_> {
            Echo {
                request: &self.request,
                allowed: &self.host,
                peer: self.peer,
                local: self.local,
                path: &self.path,
                query: &self.query,
            }
        }
    }

    /// A header from a name and raw value bytes.
    pub(crate) fn header(name: &str, value: &[u8]) -> Header {
        Header {
            name: name.to_owned(),
            value: value.to_vec(),
        }
    }

    /// A request built from its parts; `request_line` is derived the way framing keeps it.
    pub(crate) fn fixture(
        method: &str,
        target: &str,
        headers: Vec<Header>,
        body: &[u8],
        path: &str,
        query: &[(&str, &str)],
    ) -> Fixture {
        Fixture {
            request: Request {
                head: Head {
                    request_line: format!("{method} {target} HTTP/1.1"),
                    method: method.to_owned(),
                    target: RequestTarget::parse(target.to_owned()),
                    version: Version::Http11,
                    headers,
                },
                body: body.to_vec(),
            },
            host: ValidHost {
                host: Host::Name("localhost".to_owned()),
                port: Some(8090),
                source: HostSource::Host,
            },
            peer: "127.0.0.1:54321".parse().expect("a literal address"),
            local: "127.0.0.1:8090".parse().expect("a literal address"),
            path: path.to_owned(),
            query: query
                .iter()
                .map(|&(n, v)| (n.to_owned(), v.to_owned()))
                .collect(),
        }
    }

    /// `curl http://localhost:8090/index.html?name=jack&age=18`
    pub(crate) fn get() -> Fixture {
        fixture(
            "GET",
            "/index.html?name=jack&age=18",
            vec![
                header("Host", b"localhost:8090"),
                header("User-Agent", b"curl/8.5.0"),
                header("Accept", b"*/*"),
            ],
            b"",
            "/index.html",
            &[("name", "jack"), ("age", "18")],
        )
    }

    /// A form POST over IPv6 with a body, duplicate headers and an odd-cased name.
    pub(crate) fn post() -> Fixture {
        let mut f = fixture(
            "POST",
            "/submit%20form?lang=en%2DGB&tag=a&tag=b",
            vec![
                header("Host", b"[::1]:8090"),
                header("user-agent", b"curl/8.5.0"),
                header("Accept", b"text/plain"),
                header("Accept", b"application/json;q=0.5"),
                header("X-Trace", b"one"),
                header("X-Trace", b"two"),
                header("Content-Type", b"application/x-www-form-urlencoded"),
                header("Content-Length", b"16"),
            ],
            b"name=jack&age=18",
            "/submit form",
            &[("lang", "en-GB"), ("tag", "a"), ("tag", "b")],
        );
        f.host = ValidHost {
            host: Host::Ipv6(std::net::Ipv6Addr::LOCALHOST),
            port: Some(8090),
            source: HostSource::Host,
        };
        f.peer = "[::1]:5000".parse().expect("a literal address");
        f.local = "[::1]:8090".parse().expect("a literal address");
        f
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_dispatches_to_the_renderer_of_each_format() {
        let f = fixtures::get();
        let echo = f.echo();
        for (format, expected) in [
            (Format::Text, text::render(&echo)),
            (Format::Json, json::render(&echo)),
            (Format::Html, html::render(&echo)),
        ] {
            assert_eq!(render(format, &echo), expected, "{format:?}");
        }
    }

    #[test]
    fn describe_body_warns_when_the_body_is_not_utf8() {
        let table: &[(&[u8], &str)] = &[
            (b"", "0 bytes"),
            (b"ok", "2 bytes"),
            ("é".as_bytes(), "2 bytes"),
            (b"\xe9", "1 byte (not UTF-8: shown with U+FFFD)"),
        ];
        for (body, expected) in table {
            assert_eq!(describe_body(body), *expected, "{body:?}");
        }
    }

    #[test]
    fn byte_count_says_byte_only_for_one() {
        for (n, expected) in [
            (0, "0 bytes"),
            (1, "1 byte"),
            (2, "2 bytes"),
            (16, "16 bytes"),
        ] {
            assert_eq!(byte_count(n), expected);
        }
    }
}
