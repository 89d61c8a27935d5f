//! The text echo: what curl prints, and the format a learner meets first.
//!
//! It has up to three parts, separated by blank lines:
//!
//! ```text
//! GET /index.html?name=jack&age=18 HTTP/1.1     ← the request line, as received
//! Host: localhost:8090                          ← every header, in wire order,
//! User-Agent: curl/8.5.0                          original case, duplicates kept
//! Accept: */*
//!
//! method:  GET                                  ← what hostecho made of it
//! path:    /index.html                            (path and query decoded)
//! query:   name = jack
//!          age = 18
//! version: HTTP/1.1
//! endings: CRLF                                 ← CRLF, LF, or mixed CRLF and LF
//! host:    localhost (from Host, allowed by .localhost)
//! port:    8090
//! peer:    127.0.0.1:54321
//! proxies: X-Forwarded-For: 192.0.2.7           ← only with forwarding headers:
//!          peer 127.0.0.1 is not a trusted …      the chain, and the peer's trust
//! local:   127.0.0.1:8090
//! body:    0 bytes
//! form:    name = jack                          ← only for a form body
//!
//! (the body, when there is one; in hex when it is not UTF-8)
//! ```
//!
//! The first part looks like the request on the wire, so a learner can hold the two side by
//! side; the second shows the parsing — percent-decoding, query splitting, Host validation.
//! The first part shows every line ending as a newline, whatever the client sent, so
//! `endings:` says what the head really used: a request typed with bare LF in `nc` would
//! otherwise look just like curl's CRLF.
//!
//! # Terminal safety
//!
//! This text goes straight to a terminal, and a client controls much of it. A body holding
//! `ESC [ 2 J` would clear the learner's screen; other escape sequences can retitle the
//! window or, on some terminals, do worse. So every control character (C0, DEL and C1) is
//! shown as a visible escape — `\x1b`, `\u{9b}` — and `\n`, `\r`, `\t` by their usual
//! names. Which ones stay raw depends on where the text sits (`Layout`): a line field
//! keeps only tabs, so that a decoded `%0A` in the path cannot forge a line of the
//! summary; the body also keeps its line breaks. Backslashes are not doubled: this output
//! is for reading, and the JSON echo is the exact one.
//!
//! A header value that is not UTF-8 is shown with U+FFFD, the replacement character; a
//! body that is not UTF-8 is shown as a hex dump, which makes every byte visible.

use std::io::Write as _;

use super::scan::{self, any_below, any_equal, any_non_ascii};
use super::{
    Echo, forwarding_headers, headers, hex_dump, push_body_length, push_hint, push_host_decision,
    push_left_out, push_proxy_sentence, push_verdict,
};
use crate::decimal::{push_socket_addr, push_u64};
use crate::http::form::FormPairs;

/// The summary's labels, padded to the width of the longest, `"version: "`, so the
/// values line up. They are padded here, in the source, rather than as they are
/// written: each is then one copy of a constant, which the compiler inlines, instead
/// of a label and then a push per space.
mod label {
    pub(super) const METHOD: &str = "method:  ";
    pub(super) const PATH: &str = "path:    ";
    pub(super) const QUERY: &str = "query:   ";
    pub(super) const VERSION: &str = "version: ";
    pub(super) const ENDINGS: &str = "endings: ";
    pub(super) const HOST: &str = "host:    ";
    pub(super) const PORT: &str = "port:    ";
    pub(super) const PEER: &str = "peer:    ";
    pub(super) const PROXIES: &str = "proxies: ";
    pub(super) const LOCAL: &str = "local:   ";
    pub(super) const BODY: &str = "body:    ";
    pub(super) const FORM: &str = "form:    ";
    pub(super) const HINT: &str = "hint:    ";
    pub(super) const COMPARE: &str = "compare: ";
    /// No label: a line that continues the one above.
    pub(super) const NONE: &str = "         ";
}

/// Where a piece of text sits in the echo, which decides what must be escaped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Layout {
    /// On one line: only tab stays raw.
    Line,
    /// A block of lines (the body): tab, LF, and CR when it starts a CRLF, stay raw.
    Block,
}

/// Renders the echo as text into `buffer` (emptied first), as [`super::render`] does.
///
/// The echo is written as bytes, straight into `buffer`. Every piece is UTF-8 (text
/// from the head, which httparse checked, or a field value checked here), so the
/// whole is too; but a `Vec<u8>` lets a field value be copied from the head's bytes
/// as soon as it is seen to be printable ASCII, where a `String` needs
/// `String::from_utf8_lossy` to check it first, a second pass over every value.
/// With the labels padded in the source (`label`), that took the text render of
/// `benches/echo.rs` (curl's request with a small form body) from 10,518
/// instructions to 8,435, by callgrind's count.
pub fn render(echo: &Echo<'_>, mut buffer: Vec<u8>) -> Vec<u8> {
    buffer.clear();
    buffer.reserve(capacity_for(echo));
    render_into(&mut buffer, echo);
    buffer
}

/// A first guess at the echo's length, so that `out` grows at most once: the head and
/// body appear once, escaped (which rarely lengthens them), plus the summary's ~400
/// bytes. Only a guess: a longer echo makes the buffer grow, as it would anyway.
fn capacity_for(echo: &Echo<'_>) -> usize {
    let head = &echo.request.head;
    let fields: usize = headers(echo.request)
        .map(|h| h.name.len() + h.value.len() + 4)
        .sum();
    2 * head.request_line().len() + fields + echo.request.body.kept.len() + 512
}

/// Appends the text echo to `out`.
///
/// Every value is written straight into `out`: numbers and IPv4 addresses by
/// [`crate::decimal`] (without `core::fmt`, whose machinery cost more than the digits),
/// text with [`push_escaped`]. Building each value as a `String` first and copying it
/// in was the echo's main cost: one allocation per value, for text that is thrown away.
fn render_into(out: &mut Vec<u8>, echo: &Echo<'_>) {
    let request = echo.request;
    let head = &request.head;

    // Part 1: the request as it came in.
    push_escaped(out, head.request_line(), Layout::Line);
    out.push(b'\n');
    for header in headers(request) {
        push_field_line(out, header.name, header.value);
    }
    out.push(b'\n');

    // Part 2: what hostecho understood.
    field(out, label::METHOD, head.method());
    field(out, label::PATH, or_none(echo.path));
    pairs(out, label::QUERY, echo.query);
    field(out, label::VERSION, head.version().as_str());
    field(out, label::ENDINGS, head.line_endings().as_str());
    field_with(out, label::HOST, |out| {
        push_host_decision(out, echo.allowed)
    });
    match echo.allowed.port {
        Some(port) => field_with(out, label::PORT, |out| push_u64(out, u64::from(port))),
        None => field(out, label::PORT, "(none)"),
    }
    field_with(out, label::PEER, |out| push_socket_addr(out, echo.peer));
    if let Some(trust) = echo.allowed.proxy {
        // The chain: each forwarding line as received, then the peer that sent them.
        for (i, header) in forwarding_headers(request).enumerate() {
            let label = if i == 0 { label::PROXIES } else { label::NONE };
            out.extend_from_slice(label.as_bytes());
            push_field_line(out, header.name, header.value);
        }
        field_with(out, label::NONE, |out| {
            push_proxy_sentence(out, echo.peer, trust)
        });
    }
    if let Some(hint) = &echo.allowed.hint {
        field_with(out, label::HINT, |out| push_hint(out, hint));
    }
    if let Some(answers) = &echo.allowed.compared {
        field_with(out, label::COMPARE, |out| {
            push_verdict(out, "Django", &answers.django)
        });
        field_with(out, label::NONE, |out| {
            push_verdict(out, "Starlette", &answers.starlette)
        });
    }
    field_with(out, label::LOCAL, |out| push_socket_addr(out, echo.local));
    field_with(out, label::BODY, |out| push_body_length(out, &request.body));
    if let Some(form) = echo.form {
        pairs(out, label::FORM, form);
    }

    // Part 3: the body, if any, ending with exactly one newline so the prompt comes back
    // on a line of its own. Whether the body itself ended with one, `body:` tells by its
    // length, and the JSON echo shows exactly. A body that is not UTF-8 is dumped in hex.
    // A cut body ends with a line that says how much was left out.
    let body = &request.body;
    if !body.is_empty() {
        out.push(b'\n');
        match body.text() {
            Some(text) => {
                push_escaped(out, text, Layout::Block);
                if !text.ends_with('\n') {
                    out.push(b'\n');
                }
                if body.is_cut() {
                    push_left_out(out, body.length - text.len() as u64);
                }
            }
            None => out.extend_from_slice(hex_dump(&body.kept, body.length).as_bytes()),
        }
    }
}

/// Writes one field line, `Name: value`, and its newline.
fn push_field_line(out: &mut Vec<u8>, name: &str, value: &[u8]) {
    push_escaped(out, name, Layout::Line);
    out.extend_from_slice(b": ");
    push_field_value(out, value);
    out.push(b'\n');
}

/// Writes `(name, value)` pairs under one label, `name = value`, one per line, lined
/// up; `(none)` when there are none.
fn pairs(out: &mut Vec<u8>, label: &str, pairs: FormPairs<'_>) {
    if pairs.is_empty() {
        field(out, label, "(none)");
    }
    for (i, (name, value)) in pairs.iter().enumerate() {
        // The label on the first pair only; the others line up beneath it.
        let label = if i == 0 { label } else { label::NONE };
        out.extend_from_slice(label.as_bytes());
        push_escaped(out, &name, Layout::Line);
        // No trailing space after `=` for an empty value (`?flag`, `?flag=`).
        out.extend_from_slice(if value.is_empty() { b" =" } else { b" = " });
        push_escaped(out, &value, Layout::Line);
        out.push(b'\n');
    }
}

/// `"(none)"` in place of an empty value, so an empty field never looks like a mistake.
fn or_none(value: &str) -> &str {
    if value.is_empty() { "(none)" } else { value }
}

/// Writes one summary line: the label (one of [`label`]'s, padded) and the value.
fn field(out: &mut Vec<u8>, label: &str, value: &str) {
    out.extend_from_slice(label.as_bytes());
    push_escaped(out, value, Layout::Line);
    out.push(b'\n');
}

/// Writes one summary line whose value `write` appends straight to `out`, escaped
/// as [`field`] escapes a value.
///
/// The values written this way (numbers, addresses, a host that passed the policy)
/// hold no control character in practice, so the check costs one scan; should one
/// ever hold one, it is taken back out and escaped, so no writing path can slip
/// a raw control character past the terminal-safety rule.
fn field_with(out: &mut Vec<u8>, label: &str, write: impl FnOnce(&mut Vec<u8>)) {
    out.extend_from_slice(label.as_bytes());
    let start = out.len();
    write(out);
    let written = out.get(start..).unwrap_or_default();
    if next_to_look_at(written) < written.len() {
        let raw = out.split_off(start);
        // What the writers write is UTF-8 (they take `&str`s and digits), so nothing
        // is lost here; the lossy form only spares an `unwrap`.
        push_escaped(out, &String::from_utf8_lossy(&raw), Layout::Line);
    }
    out.push(b'\n');
}

/// Whether the UTF-8 byte `b` may begin a character [`push_escaped`] has to decide on:
/// a C0 control or DEL (ASCII), or `0xC2`, the first byte of every C1 control
/// (U+0080–U+009F are `C2 80`–`C2 9F`). Every other byte is copied as it is: a
/// continuation byte or the lead byte of any other character is never a control.
fn needs_a_look(b: u8) -> bool {
    b < 0x20 || b == 0x7f || b == 0xc2
}

/// Where the first byte of `bytes` that [`needs_a_look`] is, or `bytes.len()`.
///
/// It reads eight bytes at a time ([`scan`]), asking each word the three questions
/// [`needs_a_look`] asks of a byte (`|`, not `||`: no branch between them). The text
/// echo looks at every byte it shows: reading words took its render in
/// `benches/echo.rs` from 6,879 instructions to 6,120, by callgrind's count. (Values
/// shorter than a word, most of curl's, are still looked at a byte at a time.)
fn next_to_look_at(bytes: &[u8]) -> usize {
    scan::find(
        bytes,
        |word| any_below(word, 0x20) | any_equal(word, 0x7f) | any_equal(word, 0xc2),
        needs_a_look,
    )
}

/// Whether `b` is printable ASCII, a space to a tilde: a byte that is, on its own, a
/// whole UTF-8 character and no control, so it is copied as it is.
fn is_printable_ascii(b: u8) -> bool {
    (0x20..0x7f).contains(&b)
}

/// Appends a field value: bytes, which may not be UTF-8 (RFC 9110 §5.5 allows
/// `obs-text`, 0x80–0xFF), shown with U+FFFD for what is not, then escaped as
/// [`push_escaped`] escapes text.
///
/// Nearly every value is printable ASCII from end to end, and is copied as it is, in
/// one piece, once [`scan`] has looked at it eight bytes at a time. From the first
/// byte that is not, the rest goes through `String::from_utf8_lossy` and
/// [`push_escaped`]: the same result as passing the whole value through both, since a
/// printable ASCII byte is its own character, unchanged by either.
fn push_field_value(out: &mut Vec<u8>, value: &[u8]) {
    let plain = scan::find(
        value,
        |word| any_non_ascii(word) | any_below(word, 0x20) | any_equal(word, 0x7f),
        |b| !is_printable_ascii(b),
    );
    let (plain, rest) = value.split_at(plain);
    out.extend_from_slice(plain);
    if !rest.is_empty() {
        push_escaped(out, &String::from_utf8_lossy(rest), Layout::Line);
    }
}

/// Appends `text`, with control characters made visible as described in the module docs.
///
/// Nearly all text has no control character, so this looks for the first byte that
/// might start one ([`next_to_look_at`]) and, finding none, copies the whole text in
/// one go. Only text that holds one goes on to [`push_escaped_from`]. The text echo
/// escapes about fifteen short pieces for curl's request, and a loop set up for each
/// cost more than the looking: splitting the common case off took the request path
/// from 11,817 instructions to 11,426, by callgrind's count.
#[inline]
fn push_escaped(out: &mut Vec<u8>, text: &str, layout: Layout) {
    let first = next_to_look_at(text.as_bytes());
    if first == text.len() {
        out.extend_from_slice(text.as_bytes());
    } else {
        push_escaped_from(out, text, first, layout);
    }
}

/// [`push_escaped`] for text whose first byte that [`needs_a_look`] is at `i`: it
/// decides on that character, then looks for the next such byte, copying the runs in
/// between in one go rather than character by character. A run always ends on a
/// character boundary, since the bytes it stops at are never inside a UTF-8 sequence.
///
/// It is marked `#[cold]`, so that the compiler keeps it out of line and
/// [`push_escaped`], inlined at each of its callers, stays a scan and a copy: curl's
/// request path took 11,610 instructions without the mark, 11,426 with it.
#[cold]
fn push_escaped_from(out: &mut Vec<u8>, text: &str, mut i: usize, layout: Layout) {
    let bytes = text.as_bytes();
    let mut run_start = 0;
    // `i` is a character boundary: `needs_a_look` bytes are ASCII or lead bytes.
    while let Some(c) = text.get(i..).and_then(|rest| rest.chars().next()) {
        let raw = match c {
            '\t' => true,
            '\n' => layout == Layout::Block,
            // A lone CR returns the cursor to the line's start, so what follows would
            // overwrite what came before: only CRLF is harmless.
            '\r' => layout == Layout::Block && bytes.get(i + 1) == Some(&b'\n'),
            c => !c.is_control(),
        };
        let next = i + c.len_utf8();
        if !raw {
            out.extend_from_slice(&bytes[run_start..i]);
            push_visible_escape(out, c);
            run_start = next;
        }
        i = next + next_to_look_at(bytes.get(next..).unwrap_or_default());
    }
    out.extend_from_slice(&bytes[run_start..]);
}

/// Appends the visible form of the control character `c`.
fn push_visible_escape(out: &mut Vec<u8>, c: char) {
    // Writing into a `Vec` cannot fail.
    let _ = match c {
        '\t' => out.write_all(b"\\t"),
        '\n' => out.write_all(b"\\n"),
        '\r' => out.write_all(b"\\r"),
        // C0 and DEL, as the `\x1b` every terminal guide writes.
        c if c.is_ascii() => write!(out, "\\x{:02x}", u32::from(c)),
        // C1 (U+0080–U+009F), which some terminals also obey: U+009B is a one-character CSI.
        c => write!(out, "\\u{{{:x}}}", u32::from(c)),
    };
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{self, fixture, header};
    use super::*;

    /// The text echo of a fixture, as a string.
    fn text(f: &fixtures::Fixture) -> String {
        String::from_utf8(render(&f.echo(), Vec::new())).expect("the text echo is UTF-8")
    }

    #[test]
    fn snapshot_get() {
        insta::assert_snapshot!(text(&fixtures::get()));
    }

    #[test]
    fn snapshot_post_with_body_and_duplicate_headers() {
        insta::assert_snapshot!(text(&fixtures::post()));
    }

    #[test]
    fn starts_with_the_request_line_then_headers_in_wire_order() {
        let out = text(&fixtures::post());
        let lines: Vec<&str> = out.lines().take(10).collect();
        assert_eq!(
            lines,
            [
                "POST /submit%20form?lang=en%2DGB&tag=a&tag=b HTTP/1.1",
                "Host: [::1]:8090",
                "user-agent: curl/8.5.0",
                "Accept: text/plain",
                "Accept: application/json;q=0.5",
                "X-Trace: one",
                "X-Trace: two",
                "Content-Type: application/x-www-form-urlencoded",
                "Content-Length: 16",
                "",
            ]
        );
    }

    #[test]
    fn shows_none_for_an_empty_query_path_and_port() {
        let mut f = fixture("OPTIONS", "*", vec![], b"", "");
        f.host.port = None;
        let out = text(&f);
        for line in ["path:    (none)", "query:   (none)", "port:    (none)"] {
            assert!(
                out.lines().any(|l| l == line),
                "{line:?} missing from\n{out}"
            );
        }
    }

    #[test]
    fn lines_up_every_query_pair_and_never_ends_a_line_with_space() {
        let f = fixture("GET", "/?a=1&flag&b=2", vec![], b"", "/");
        let out = text(&f);
        assert!(
            out.contains("query:   a = 1\n         flag =\n         b = 2\n"),
            "{out}"
        );
        assert!(out.lines().all(|l| !l.ends_with(' ')), "{out}");
    }

    #[test]
    fn says_how_long_the_body_is() {
        let table: &[(&[u8], &str)] = &[
            (b"", "body:    0 bytes"),
            (b"x", "body:    1 byte"),
            (b"hello", "body:    5 bytes"),
            (b"\xff\xfe", "body:    2 bytes (not UTF-8: shown in hex)"),
        ];
        for (body, line) in table {
            let out = text(&fixture("POST", "/", vec![], body, "/"));
            assert!(
                out.lines().any(|l| l == *line),
                "{line:?} missing from\n{out}"
            );
        }
    }

    #[test]
    fn ends_the_body_with_exactly_one_newline() {
        let table: &[(&[u8], &str)] = &[
            (b"hello", "body:    5 bytes\n\nhello\n"),
            (b"hello\n", "body:    6 bytes\n\nhello\n"),
        ];
        for (body, ending) in table {
            let out = text(&fixture("POST", "/", vec![], body, "/"));
            assert!(out.ends_with(ending), "{out:?}");
        }
    }

    #[test]
    fn ends_without_a_body_part_when_there_is_no_body() {
        assert!(text(&fixtures::get()).ends_with("body:    0 bytes\n"));
    }

    #[test]
    fn a_body_that_is_not_utf8_is_dumped_in_hex() {
        let f = fixture("POST", "/", vec![], b"\xff\xfe\x00binary\n", "/");
        let out = text(&f);
        assert!(
            out.ends_with(
                "body:    10 bytes (not UTF-8: shown in hex)\n\n\
                 0000  ff fe 00 62 69 6e 61 72  79 0a                    |...binary.|\n"
            ),
            "{out}"
        );
        assert!(!out.contains('\u{fffd}'), "{out}");
    }

    #[test]
    fn a_form_body_gets_a_block_of_pairs() {
        let out = text(&fixtures::post());
        assert!(
            out.contains("body:    16 bytes\nform:    name = jack\n         age = 18\n"),
            "{out}"
        );
        let f = fixture(
            "POST",
            "/",
            vec![header("Content-Type", b"application/x-www-form-urlencoded")],
            b"",
            "/",
        );
        assert!(text(&f).ends_with("body:    0 bytes\nform:    (none)\n"));
        // Not a form: no block.
        let f = fixture("POST", "/", vec![], b"a=1", "/");
        assert!(!text(&f).contains("form:"));
    }

    #[test]
    fn says_which_line_endings_the_head_used() {
        let mut f = fixtures::get();
        assert!(text(&f).contains("\nversion: HTTP/1.1\nendings: CRLF\n"));
        let framed = |bytes: &[u8]| {
            crate::http::framing::parse_head(bytes, &Default::default())
                .expect("a good head")
                .expect("a whole head")
                .0
                .head
        };
        f.request.head = framed(b"GET / HTTP/1.1\nHost: a\n\n");
        assert!(text(&f).contains("\nendings: LF\n"));
        f.request.head = framed(b"GET / HTTP/1.1\r\nHost: a\n\r\n");
        assert!(text(&f).contains("\nendings: mixed CRLF and LF\n"));
    }

    #[test]
    fn says_where_the_host_came_from_and_what_allowed_it() {
        let out = text(&fixtures::get());
        assert!(
            out.contains(
                "\nhost:    localhost (from Host, allowed by .localhost)\nport:    8090\n"
            ),
            "{out}"
        );
        assert!(!out.contains("proxies:"), "{out}");
    }

    /// Issue 23: the hint and the frameworks' answers, one line each, before `local`.
    #[test]
    fn shows_the_hint_and_the_frameworks_answers() {
        use crate::compat::{Answers, Verdict};
        use crate::host::{Cause, Hint};
        let mut f = fixtures::get();
        f.host.hint = Some(Hint {
            cause: Cause::ProxyAddress,
            text: "'127.0.0.1:8090' names an upstream, not a site".into(),
        });
        f.host.compared = Some(Box::new(Answers {
            django: Verdict::Refused("Invalid HTTP_HOST header: 'caf\u{e9}'.\n".into()),
            starlette: Verdict::Allowed,
        }));
        let out = text(&f);
        assert!(
            out.contains(
                "hint:    '127.0.0.1:8090' names an upstream, not a site [proxy-address]\n\
                 compare: Django: refused (Invalid HTTP_HOST header: 'caf\\u{e9}'.\\u{a})\n         \
                 Starlette: allowed\n\
                 local:   127.0.0.1:8090\n"
            ),
            "{out}"
        );
        assert!(!text(&fixtures::get()).contains("hint:"));
    }

    #[test]
    fn shows_the_forwarding_chain_and_the_peer_s_trust() {
        use crate::host::{HostSource, ProxyTrust};
        let mut f = fixture(
            "GET",
            "/",
            vec![
                header("Host", b"127.0.0.1:8090"),
                header("X-Forwarded-For", b"192.0.2.7"),
                header("Accept", b"*/*"),
                header("X-Forwarded-Host", b"app.example"),
                header("Via", b"1.1 nginx"),
            ],
            b"",
            "/",
        );
        f.host.source = HostSource::XForwardedHost;
        f.host.proxy = Some(ProxyTrust::Trusted);
        let out = text(&f);
        assert!(
            out.contains(
                "peer:    127.0.0.1:54321\n\
                 proxies: X-Forwarded-For: 192.0.2.7\n         \
                 X-Forwarded-Host: app.example\n         \
                 Via: 1.1 nginx\n         \
                 peer 127.0.0.1 is a trusted proxy: its X-Forwarded-Host and Forwarded host= are honoured\n\
                 local:   127.0.0.1:8090\n"
            ),
            "{out}"
        );
        assert!(
            out.contains("(from X-Forwarded-Host, allowed by .localhost)"),
            "{out}"
        );
        for (trust, says) in [
            (
                ProxyTrust::Untrusted,
                "is not a trusted proxy (not in --trusted-proxies)",
            ),
            (
                ProxyTrust::ForwardingOff,
                "is not a trusted proxy (--use-x-forwarded-host is off)",
            ),
        ] {
            f.host.proxy = Some(trust);
            assert!(text(&f).contains(says), "{trust:?}");
        }
    }

    #[test]
    fn renders_non_utf8_header_bytes_lossily() {
        let f = fixture("GET", "/", vec![header("X-Latin1", b"caf\xe9")], b"", "/");
        assert!(text(&f).contains("X-Latin1: caf\u{fffd}\n"));
    }

    #[test]
    fn escapes_control_characters_to_protect_the_terminal() {
        use Layout::*;
        let table: &[(&str, &str, Layout, &str)] = &[
            (
                "plain text is untouched",
                "héllo wörld",
                Line,
                "héllo wörld",
            ),
            ("tab stays", "a\tb", Line, "a\tb"),
            ("ANSI colour", "\x1b[31mred", Line, "\\x1b[31mred"),
            ("clear screen in a body", "\x1b[2J", Block, "\\x1b[2J"),
            ("NUL and DEL", "\0\x7f", Line, "\\x00\\x7f"),
            ("C1 CSI", "\u{9b}2J", Line, "\\u{9b}2J"),
            // U+00A0–U+00BF share C1's first UTF-8 byte (0xC2) but are not controls.
            ("after C1", "\u{a0}© ¡é\u{9f}", Line, "\u{a0}© ¡é\\u{9f}"),
            ("newline in a line field", "a\nb", Line, "a\\nb"),
            ("CR in a line field", "a\r\nb", Line, "a\\r\\nb"),
            ("newline in a body", "a\nb", Block, "a\nb"),
            ("CRLF in a body", "a\r\nb", Block, "a\r\nb"),
            ("lone CR in a body", "a\rb", Block, "a\\rb"),
            ("CR at the end of a body", "a\r", Block, "a\\r"),
            ("backslash is not doubled", "C:\\x", Line, "C:\\x"),
        ];
        for (name, input, layout, expected) in table {
            let mut out = Vec::new();
            push_escaped(&mut out, input, *layout);
            assert_eq!(String::from_utf8_lossy(&out), *expected, "{name}");
        }
    }

    /// [`push_escaped`] as the rules say it, one character at a time: what the runs
    /// and the eight-byte scan must reproduce.
    fn escaped_char_by_char(text: &str, layout: Layout) -> String {
        let mut out = String::new();
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            let raw = match c {
                '\t' => true,
                '\n' => layout == Layout::Block,
                '\r' => layout == Layout::Block && chars.peek() == Some(&'\n'),
                c => !c.is_control(),
            };
            if raw {
                out.push(c);
            } else {
                let mut escape = Vec::new();
                push_visible_escape(&mut escape, c);
                out.push_str(&String::from_utf8_lossy(&escape));
            }
        }
        out
    }

    proptest::proptest! {
        #[test]
        fn escapes_any_text_as_character_by_character_does(
            // Printable text with controls, C1 and U+00A0–U+00BF (which share C1's
            // lead byte) mixed in, long enough to fill several eight-byte words.
            text in "([ -~]|[\\x00-\\x1f\\x7f]|[\\u{80}-\\u{bf}]|é|✓){0,40}",
            block in proptest::bool::ANY,
        ) {
            let layout = if block { Layout::Block } else { Layout::Line };
            let mut out = Vec::new();
            push_escaped(&mut out, &text, layout);
            proptest::prop_assert_eq!(String::from_utf8_lossy(&out), escaped_char_by_char(&text, layout));
        }

        #[test]
        fn a_field_value_is_shown_as_its_lossy_text_escaped(
            value in proptest::collection::vec(
                // Mostly printable, with DEL, C0 and bytes above ASCII mixed in.
                proptest::prop_oneof![
                    4 => 0x20..0x7fu8,
                    1 => proptest::strategy::Just(0x7fu8),
                    1 => 0..0x20u8,
                    1 => 0x80..=0xffu8,
                ],
                0..40,
            ),
        ) {
            let mut out = Vec::new();
            push_field_value(&mut out, &value);
            let want = escaped_char_by_char(&String::from_utf8_lossy(&value), Layout::Line);
            proptest::prop_assert_eq!(String::from_utf8_lossy(&out), want);
        }
    }

    #[test]
    fn a_decoded_newline_in_the_path_cannot_forge_a_summary_line() {
        let f = fixture("GET", "/a%0Ahost:%20evil", vec![], b"", "/a\nhost: evil");
        let out = text(&f);
        assert!(out.contains("path:    /a\\nhost: evil\n"), "{out}");
        assert_eq!(out.lines().filter(|l| l.starts_with("host:")).count(), 1);
    }

    #[test]
    fn escapes_an_ansi_sequence_in_a_header_and_the_body() {
        let f = fixture(
            "POST",
            "/",
            vec![header("X-Evil", b"\x1b]0;pwned\x07")],
            b"\x1b[2Jgone",
            "/",
        );
        let out = text(&f);
        assert!(!out.contains('\x1b'), "{out:?}");
        assert!(out.contains("X-Evil: \\x1b]0;pwned\\x07\n"), "{out}");
        assert!(out.ends_with("\n\\x1b[2Jgone\n"), "{out}");
    }

    /// A value [`field_with`] writes straight into the echo is looked at like any
    /// other: should one hold a control character (here a pattern and a hint built by
    /// hand), it is escaped, never passed to the terminal.
    #[test]
    fn a_control_character_in_a_written_value_is_escaped_too() {
        use crate::host::{Cause, Hint};
        let mut f = fixtures::get();
        f.host.matched = "\x1b[2J.localhost".into();
        f.host.hint = Some(Hint {
            cause: Cause::ProxyAddress,
            text: "\u{9b}31m red".into(),
        });
        let out = text(&f);
        assert!(
            out.contains("host:    localhost (from Host, allowed by \\x1b[2J.localhost)\n"),
            "{out}"
        );
        assert!(
            out.contains("hint:    \\u{9b}31m red [proxy-address]\n"),
            "{out}"
        );
        assert!(!out.contains(['\x1b', '\u{9b}']), "{out:?}");
    }

    /// Requests whose echoes stretch each part of [`capacity_for`]'s guess: a long
    /// target, many fields, a long body.
    fn long_requests() -> Vec<(&'static str, fixtures::Fixture)> {
        let target = format!("/{}", "a".repeat(4000));
        let fields = (0..100)
            .map(|i| header(&format!("X-Field-{i}"), b"some value"))
            .collect();
        vec![
            ("curl's GET", fixtures::get()),
            ("a form POST", fixtures::post()),
            (
                "a long target",
                fixture("GET", &target, vec![], b"", &target),
            ),
            ("many fields", fixture("GET", "/", fields, b"", "/")),
            (
                "a long body",
                fixture("POST", "/", vec![], &[b'x'; 4000], "/"),
            ),
        ]
    }

    /// `capacity_for` guesses the echo's length so that rendering into a new buffer
    /// allocates once: the guess holds the whole echo, and overshoots it by less than
    /// the 512 bytes it allows for the summary, whatever part of the request is long.
    #[test]
    fn the_capacity_guess_holds_the_echo_with_less_than_the_summary_to_spare() {
        for (name, f) in long_requests() {
            let echo = f.echo();
            let (guess, len) = (capacity_for(&echo), render(&echo, Vec::new()).len());
            assert!(
                len <= guess && guess - len < 512,
                "{name}: {len} bytes, guessed {guess}"
            );
        }
    }
}
