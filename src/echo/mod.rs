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
//! | [`html`] | `text/html; charset=utf-8` | browsers; [`notes`] says what each well-known header is for |
//!
//! Everything here is a pure function from an [`Echo`] to bytes: no I/O, no clock, no
//! randomness. That is what lets each renderer be pinned by a snapshot test.
//!
//! The renderers do not parse the request target themselves. Framing parsed it, and
//! [`crate::exchange::respond`] decodes the path and finds the query from those parts
//! and hands them over in [`Echo::path`] and [`Echo::query`], and a form body's pairs
//! in [`Echo::form`]; so parsing lives in one place and the renderers only show its
//! result.
//!
//! # On every request's path
//!
//! Rendering is most of the work of answering a request, so the renderers are written
//! not to allocate or format more than they must (BENCHMARKS.md, "The lean path"):
//!
//! * [`render`] writes into a buffer the caller gives and hands it back, so a
//!   connection can render every echo into the same one.
//! * Query and form pairs ([`FormPairs`]) are decoded as they are shown, borrowed
//!   unless decoding changes them.
//! * Text is escaped by runs, straight into the echo, never into a `String` of its own.
//! * Numbers and IPv4 addresses are written by [`crate::decimal`], without `core::fmt`,
//!   in the text and HTML echoes. (The JSON echo leaves numbers to serde_json, which
//!   does the same.)
//!
//! # What every format shows
//!
//! * The request as received, and the parsed summary: method, path, query, version,
//!   which line endings the head used, the host and its port, the peer and the local
//!   address, the body's length, and a form body's pairs.
//! * **Why the host was allowed**, from [`ValidHost`]: where the value came from
//!   (`Host`, `X-Forwarded-Host`, `Forwarded`, the request target or the local
//!   address), the value as received, and the pattern that matched. The text and HTML
//!   echoes say it in one line, `localhost (from Host, allowed by .localhost)`; the
//!   JSON echo has a `host_decision` object.
//! * **The forwarding chain**, when the request carries any of
//!   [`FORWARDING_HEADERS`](crate::host::forwarded::FORWARDING_HEADERS), honoured or
//!   not: those field lines in wire order, and whether the peer is a proxy hostecho
//!   trusts. Beside the peer's own address, that shows what each proxy added.
//! * **A body that is not UTF-8** is not shown with replacement characters, which
//!   would hide what was sent: the text and HTML echoes show a hex dump of its first
//!   [`HEX_DUMP_BYTES`] bytes, and the JSON echo adds every byte shown in `body_base64`.
//! * **A large body** is shown up to its first `--echo-body-bytes` ([`ECHO_BODY_BYTES`],
//!   16 KiB, by default), with its whole length and how much is shown: the rest was
//!   counted as it arrived, never kept ([`Body`]). Every format says so: the text and
//!   HTML summaries (`body: 1048576 bytes (the first 16384 shown: --echo-body-bytes)`)
//!   and a last line under the body, the JSON echo in `body_length` and `body_shown`.

pub mod accept;
pub mod html;
pub mod json;
pub mod notes;
mod scan;
pub mod text;

use std::net::{IpAddr, SocketAddr};

use crate::decimal::{PushText, push_display, push_ipv4, push_u64, push_usize};
use crate::host::forwarded::is_forwarding_header;
use crate::host::syntax::Host;
use crate::host::{ProxyTrust, ValidHost};
use crate::http::form::FormPairs;
use crate::http::request::{Body, Field, Request};

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
            Format::Text => crate::http::response::TEXT_PLAIN,
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
    pub allowed: &'a ValidHost<'a>,
    /// The client's address.
    pub peer: SocketAddr,
    /// The accepting socket's address.
    pub local: SocketAddr,
    /// The target's path, percent-decoded (lossy UTF-8), e.g. `/index.html`.
    ///
    /// The caller computes it with `head.target().decoded_path()`. Parsing the
    /// target is framing's job; the renderers only show the result, which keeps them
    /// pure and lets them be tested without the parser.
    pub path: &'a str,
    /// The query's `(name, value)` pairs, decoded as `application/x-www-form-urlencoded`,
    /// in order, duplicates kept; empty when the target has no query.
    ///
    /// The caller finds them with `head.target().query_pairs()`, for the same
    /// reason as [`Echo::path`]; they are decoded as a renderer iterates them.
    pub query: FormPairs<'a>,
    /// The body's `(name, value)` pairs when it is a form
    /// (`application/x-www-form-urlencoded`), decoded as the query is; `None` when it
    /// is not a form. The caller finds them with [`Request::form`].
    pub form: Option<FormPairs<'a>>,
}

/// Renders the echo in the given format into `buffer`, and returns it.
///
/// `buffer` is emptied first; only its capacity is used. A caller that passes the
/// buffer of the previous echo back in renders without allocating once it has grown to
/// the size of its echoes, which is what a connection answering request after request
/// wants; `Vec::new()` is fine for a one-off.
pub fn render(format: Format, echo: &Echo<'_>, buffer: Vec<u8>) -> Vec<u8> {
    match format {
        Format::Text => text::render(echo, buffer),
        Format::Json => json::render(echo, buffer),
        Format::Html => html::render(echo, buffer),
    }
}

/// `buffer`, emptied, as a `String` that keeps its capacity, for the renderers that build
/// text. No copy and no check of any length: an empty `Vec` is valid UTF-8.
fn reuse_as_string(mut buffer: Vec<u8>) -> String {
    buffer.clear();
    // `from_utf8` of an empty Vec cannot fail; were it ever to, a new String would do.
    String::from_utf8(buffer).unwrap_or_default()
}

/// How many bytes of a body that is not UTF-8 the text and HTML echoes show in hex.
/// Eight lines of sixteen: enough to recognise a file's magic number or a stray
/// Latin-1 byte, short enough to leave the summary on the screen.
pub const HEX_DUMP_BYTES: usize = 128;

/// How many bytes of a body the echo shows, unless `--echo-body-bytes` says otherwise:
/// 16 KiB. Far more than a screen, and enough for any form or JSON document a learner
/// types; small enough that a hundred clients sending the largest body allowed
/// (`--max-body-bytes`, 1 MiB) and never reading their answers make hostecho hold a few
/// megabytes, not hundreds (ARCHITECTURE.md, "What one connection can make hostecho
/// hold"; BENCHMARKS.md, "Memory a client can make hostecho hold").
pub const ECHO_BODY_BYTES: usize = 16 * 1024;

/// Writes the body's length for the text and HTML summaries ("0 bytes", "1 byte",
/// "16 bytes"), saying how much of it is shown: the first bytes of one longer than
/// `--echo-body-bytes`, and, for a body that is not UTF-8, the first bytes in hex.
///
/// It writes into the echo being built, as the other `push_` helpers here do, rather
/// than returning a `String`: the echo is on every request's path, and a `String` per
/// value was most of its allocations.
fn push_body_length(out: &mut impl PushText, body: &Body) {
    match body.length {
        1 => out.push_text("1 byte"),
        n => {
            push_u64(out, n);
            out.push_text(" bytes");
        }
    }
    match body.text() {
        Some(text) if body.is_cut() => {
            out.push_text(" (the first ");
            push_usize(out, text.len());
            out.push_text(" shown: --echo-body-bytes)");
        }
        Some(_) => {}
        None if hex_dump_len(body) < body.length => {
            out.push_text(" (not UTF-8: the first ");
            push_usize(out, HEX_DUMP_BYTES);
            out.push_text(" shown in hex)");
        }
        None => out.push_text(" (not UTF-8: shown in hex)"),
    }
}

/// How many bytes of `body` the hex dump shows.
fn hex_dump_len(body: &Body) -> u64 {
    body.kept.len().min(HEX_DUMP_BYTES) as u64
}

/// Writes the line that ends a cut body's text in the text and HTML echoes: how many
/// bytes were not shown, as the hex dump ends.
fn push_left_out(out: &mut impl PushText, left_out: u64) {
    out.push_text("... ");
    push_u64(out, left_out);
    out.push_text(if left_out == 1 {
        " more byte"
    } else {
        " more bytes"
    });
    out.push_text(" (--echo-body-bytes)\n");
}

/// The first [`HEX_DUMP_BYTES`] of `body` as `xxd` and `hexdump -C` lay them out:
/// the offset, sixteen bytes in hex, and the same bytes as ASCII with `.` for
/// anything that is not printable, so no control byte reaches the terminal. A last
/// line says how many bytes of the whole body (`length` bytes) were left out.
///
/// ```text
/// 0000  ff fe 00 62 69 6e 61 72  79 0a                    |...binary.|
/// ```
pub fn hex_dump(body: &[u8], length: u64) -> String {
    let shown = &body[..body.len().min(HEX_DUMP_BYTES)];
    let mut out = String::new();
    for (line, chunk) in shown.chunks(16).enumerate() {
        out.push_str(&format!("{:04x} ", line * 16));
        for i in 0..16 {
            if i == 8 {
                out.push(' ');
            }
            match chunk.get(i) {
                Some(b) => out.push_str(&format!(" {b:02x}")),
                None => out.push_str("   "),
            }
        }
        out.push_str("  |");
        for &b in chunk {
            out.push(if b.is_ascii_graphic() || b == b' ' {
                char::from(b)
            } else {
                '.'
            });
        }
        out.push_str("|\n");
    }
    let left_out = length.saturating_sub(shown.len() as u64);
    if left_out > 0 {
        let unit = if left_out == 1 { "byte" } else { "bytes" };
        out.push_str(&format!("... {left_out} more {unit}\n"));
    }
    out
}

/// Writes the host line of the text and HTML summaries: the host, where it came from
/// and the pattern that allowed it, e.g. `localhost (from Host, allowed by .localhost)`.
fn push_host_decision(out: &mut impl PushText, allowed: &ValidHost<'_>) {
    match &allowed.host {
        Host::Name(name) => out.push_text(name),
        Host::Ipv4(ip) => push_ipv4(out, *ip),
        // `[::1]`, by `Host`'s own `Display`: see `crate::decimal` on IPv6.
        Host::Ipv6(_) => push_display(out, &allowed.host),
    }
    out.push_text(" (from ");
    out.push_text(allowed.source.describe());
    out.push_text(", allowed by ");
    out.push_text(&allowed.matched);
    out.push_text(")");
}

/// Writes a hint on an allowed request: `TEXT [cause-id]`.
fn push_hint(out: &mut impl PushText, hint: &crate::host::Hint) {
    out.push_text(&hint.to_string());
}

/// Writes one framework's answer, with `--compare`: `Django: allowed`, or
/// `Starlette: refused (400 Invalid host header)`.
fn push_verdict(out: &mut impl PushText, name: &str, verdict: &crate::compat::Verdict) {
    out.push_text(name);
    out.push_text(": ");
    out.push_text(&crate::compat::describe(verdict));
}

/// Every field line of the request, in wire order: the one place the renderers read
/// the head's fields from.
fn headers(request: &Request) -> impl Iterator<Item = Field<'_>> {
    request.head.fields().iter()
}

/// The request's forwarding field lines, in wire order: what the proxies on the way
/// added, whether or not hostecho honoured them.
fn forwarding_headers(request: &Request) -> impl Iterator<Item = Field<'_>> {
    headers(request).filter(|h| is_forwarding_header(h.name))
}

/// Writes one sentence on the peer as a proxy, for the end of the forwarding chain.
fn push_proxy_sentence(out: &mut impl PushText, peer: SocketAddr, trust: ProxyTrust) {
    out.push_text("peer ");
    match peer.ip().to_canonical() {
        IpAddr::V4(ip) => push_ipv4(out, ip),
        // See `crate::decimal` on IPv6.
        IpAddr::V6(ip) => push_display(out, &ip),
    }
    out.push_text(match trust {
        ProxyTrust::Trusted => {
            " is a trusted proxy: its X-Forwarded-Host and Forwarded host= are honoured"
        }
        ProxyTrust::Untrusted => {
            " is not a trusted proxy (not in --trusted-proxies): forwarding headers ignored"
        }
        ProxyTrust::ForwardingOff => {
            " is not a trusted proxy (--use-x-forwarded-host is off): forwarding headers ignored"
        }
    });
}

/// Two requests built by hand, shared by every renderer's tests and snapshots, so the three
/// renderings of one request can be compared side by side.
#[cfg(test)]
pub(crate) mod fixtures {
    use std::net::SocketAddr;

    use super::Echo;
    use crate::host::syntax::Host;
    use crate::host::{HostSource, ValidHost};
    use crate::http::request::{Body, Head, Header, Request, Version};

    /// The owned parts an [`Echo`] borrows.
    pub(crate) struct Fixture {
        pub(crate) request: Request,
        pub(crate) host: ValidHost<'static>,
        pub(crate) peer: SocketAddr,
        pub(crate) local: SocketAddr,
        pub(crate) path: String,
    }

    impl Fixture {
        /// The echo of this fixture, its query and form found as `exchange::respond`
        /// finds them.
        pub(crate) fn echo(&self) -> Echo<'_> {
            Echo {
                request: &self.request,
                allowed: &self.host,
                peer: self.peer,
                local: self.local,
                path: &self.path,
                query: self.request.head.target().query_pairs(),
                form: self.request.form(),
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
    ) -> Fixture {
        let request = Request {
            head: Head::from_parts(method, target, Version::Http11, &headers),
            body: Body::whole(body.to_vec()),
        };
        Fixture {
            request,
            host: ValidHost {
                host: Host::Name("localhost".into()),
                port: Some(8090),
                source: HostSource::Host,
                raw: b"localhost:8090"[..].into(),
                matched: ".localhost".into(),
                proxy: None,
                hint: None,
                compared: None,
            },
            peer: "127.0.0.1:54321".parse().expect("a literal address"),
            local: "127.0.0.1:8090".parse().expect("a literal address"),
            path: path.to_owned(),
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
        );
        f.host = ValidHost {
            host: Host::Ipv6(std::net::Ipv6Addr::LOCALHOST),
            port: Some(8090),
            source: HostSource::Host,
            raw: b"[::1]:8090"[..].into(),
            matched: "[::1]".into(),
            proxy: None,
            hint: None,
            compared: None,
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
            (Format::Text, text::render(&echo, Vec::new())),
            (Format::Json, json::render(&echo, Vec::new())),
            (Format::Html, html::render(&echo, Vec::new())),
        ] {
            assert_eq!(render(format, &echo, Vec::new()), expected, "{format:?}");
        }
    }

    #[test]
    fn render_reuses_the_buffer_it_is_given_whatever_it_held() {
        let (get, post) = (fixtures::get(), fixtures::post());
        for format in [Format::Text, Format::Json, Format::Html] {
            let fresh = render(format, &get.echo(), Vec::new());
            // A buffer that held a longer echo: emptied, and its allocation kept.
            let buffer = render(format, &post.echo(), Vec::new());
            let capacity = buffer.capacity();
            assert!(capacity >= fresh.len(), "{format:?}");
            let reused = render(format, &get.echo(), buffer);
            assert_eq!(reused, fresh, "{format:?}");
            assert_eq!(reused.capacity(), capacity, "{format:?}: no new allocation");
        }
    }

    /// A body longer than `--echo-body-bytes` is shown up to what was kept, in every
    /// format, each saying the whole length and how much is shown.
    #[test]
    fn a_cut_body_says_its_length_and_how_much_is_shown_in_every_format() {
        let mut f = fixtures::fixture("POST", "/", vec![], b"", "/");
        f.request.body = Body {
            kept: b"hello".to_vec(),
            length: 1 << 20,
        };
        let text = String::from_utf8(render(Format::Text, &f.echo(), Vec::new())).unwrap();
        assert!(
            text.contains("body:    1048576 bytes (the first 5 shown: --echo-body-bytes)\n"),
            "{text}"
        );
        assert!(
            text.ends_with("\n\nhello\n... 1048571 more bytes (--echo-body-bytes)\n"),
            "{text}"
        );
        let json: serde_json::Value =
            serde_json::from_slice(&render(Format::Json, &f.echo(), Vec::new())).unwrap();
        assert_eq!(
            (&json["body"], &json["body_length"], &json["body_shown"]),
            (&"hello".into(), &(1 << 20).into(), &5.into())
        );
        let html = String::from_utf8(render(Format::Html, &f.echo(), Vec::new())).unwrap();
        assert!(
            html.contains("1048576 bytes (the first 5 shown: --echo-body-bytes)"),
            "{html}"
        );
        assert!(
            html.contains("<pre>\nhello\n... 1048571 more bytes (--echo-body-bytes)\n</pre>"),
            "{html}"
        );
    }

    /// What [`push_body_length`] writes for `body`, as a string.
    fn describe_body(body: &[u8]) -> String {
        let mut out = String::new();
        push_body_length(&mut out, &Body::whole(body.to_vec()));
        out
    }

    /// What [`push_body_length`] writes for a UTF-8 body of `n` bytes.
    fn byte_count(n: usize) -> String {
        describe_body(&vec![b'a'; n])
    }

    /// What [`push_host_decision`] writes, as a string.
    fn host_decision(allowed: &ValidHost<'_>) -> String {
        let mut out = String::new();
        push_host_decision(&mut out, allowed);
        out
    }

    #[test]
    fn describe_body_says_a_body_that_is_not_utf8_is_shown_in_hex() {
        let long = [0xffu8; HEX_DUMP_BYTES + 1];
        let table: &[(&[u8], &str)] = &[
            (b"", "0 bytes"),
            (b"ok", "2 bytes"),
            ("é".as_bytes(), "2 bytes"),
            (b"\xe9", "1 byte (not UTF-8: shown in hex)"),
            (&long, "129 bytes (not UTF-8: the first 128 shown in hex)"),
        ];
        for (body, expected) in table {
            assert_eq!(describe_body(body), *expected, "{body:?}");
        }
    }

    #[test]
    fn describe_body_says_how_much_of_a_cut_body_is_shown() {
        let cut = |kept: &[u8], length: u64| {
            let mut out = String::new();
            let body = Body {
                kept: kept.to_vec(),
                length,
            };
            push_body_length(&mut out, &body);
            out
        };
        let table: &[(&[u8], u64, &str)] = &[
            (
                b"abcd",
                1_048_576,
                "1048576 bytes (the first 4 shown: --echo-body-bytes)",
            ),
            // The cut went through a character: what is shown is what is whole.
            (
                b"ab\xc3",
                9,
                "9 bytes (the first 2 shown: --echo-body-bytes)",
            ),
            (
                b"\xff\xfe",
                9,
                "9 bytes (not UTF-8: the first 128 shown in hex)",
            ),
        ];
        for &(kept, length, expected) in table {
            assert_eq!(cut(kept, length), expected, "{kept:?}");
        }
    }

    #[test]
    fn hex_dump_lays_out_offset_hex_and_ascii() {
        assert_eq!(
            hex_dump(b"\xff\xfe\x00binary\n", 10),
            "0000  ff fe 00 62 69 6e 61 72  79 0a                    |...binary.|\n"
        );
        let bytes: Vec<u8> = (0u8..=40).collect();
        assert_eq!(
            hex_dump(&bytes, 41),
            "\
0000  00 01 02 03 04 05 06 07  08 09 0a 0b 0c 0d 0e 0f  |................|
0010  10 11 12 13 14 15 16 17  18 19 1a 1b 1c 1d 1e 1f  |................|
0020  20 21 22 23 24 25 26 27  28                       | !\"#$%&'(|
"
        );
        let long = vec![b'\x1b'; HEX_DUMP_BYTES + 2];
        let dump = hex_dump(&long, long.len() as u64);
        assert_eq!(dump.lines().count(), HEX_DUMP_BYTES / 16 + 1);
        assert!(dump.ends_with("\n... 2 more bytes\n"), "{dump}");
        // A cut body: what was never kept counts as left out too.
        assert!(hex_dump(&long, 1000).ends_with("\n... 872 more bytes\n"));
        assert!(!dump.contains('\x1b'));
    }

    #[test]
    fn the_host_line_says_where_from_and_which_pattern() {
        let mut f = fixtures::get();
        assert_eq!(
            host_decision(&f.host),
            "localhost (from Host, allowed by .localhost)"
        );
        f.host.source = crate::host::HostSource::AbsoluteForm;
        assert_eq!(
            host_decision(&f.host),
            "localhost (from the request target, allowed by .localhost)"
        );
        f.host.host = Host::Ipv4(std::net::Ipv4Addr::new(192, 0, 2, 7));
        f.host.matched = "192.0.2.0/24".into();
        assert_eq!(
            host_decision(&f.host),
            "192.0.2.7 (from the request target, allowed by 192.0.2.0/24)"
        );
        f.host.host = Host::Ipv6("2001:db8::1".parse().expect("a literal address"));
        f.host.matched = "[2001:db8::1]".into();
        assert_eq!(
            host_decision(&f.host),
            "[2001:db8::1] (from the request target, allowed by [2001:db8::1])"
        );
    }

    #[test]
    fn the_proxy_sentence_names_the_peer_as_display_would() {
        let sentence = |peer: &str| {
            let mut out = String::new();
            let peer = peer.parse().expect("a literal address");
            push_proxy_sentence(&mut out, peer, ProxyTrust::Trusted);
            out
        };
        let rest = " is a trusted proxy: its X-Forwarded-Host and Forwarded host= are honoured";
        assert_eq!(sentence("127.0.0.1:5000"), format!("peer 127.0.0.1{rest}"));
        assert_eq!(sentence("[::1]:5000"), format!("peer ::1{rest}"));
        // An IPv4-mapped peer (a dual-stack socket) is shown as the IPv4 address it is.
        assert_eq!(
            sentence("[::ffff:192.0.2.7]:5000"),
            format!("peer 192.0.2.7{rest}")
        );
    }

    /// README's table of flags and `--help` promise 16384 bytes, and the module docs
    /// 16 KiB: the default is that.
    #[test]
    fn the_echo_shows_16_kib_of_a_body_by_default() {
        assert_eq!(ECHO_BODY_BYTES, 16384);
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
