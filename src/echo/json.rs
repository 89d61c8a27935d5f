//! The JSON echo: the same facts as the text echo, for scripts.
//!
//! One object, with exactly these keys in this order (`curl -H 'Accept: application/json'`):
//!
//! | key | type | holds |
//! |---|---|---|
//! | `method` | string | the method token, e.g. `"GET"` |
//! | `target` | string | the request target, raw, e.g. `"/a%20b?x=1"` |
//! | `path` | string | the path, percent-decoded |
//! | `query` | array of `[name, value]` | the query pairs, decoded, in order, duplicates kept |
//! | `version` | string | `"HTTP/1.1"` or `"HTTP/1.0"` |
//! | `line_endings` | string | what ended the head's lines: `"CRLF"`, `"LF"` or `"mixed CRLF and LF"` |
//! | `headers` | array of `[name, value]` | every field line, wire order, original case |
//! | `host` | string | the validated host, normalised (IPv6 in brackets) |
//! | `port` | number or null | the port the Host named, if it named one |
//! | `host_decision` | object | why the host was allowed: see below |
//! | `peer` | string | the client's `ip:port` (IPv6 as `[::1]:5000`) |
//! | `local` | string | the accepting socket's `ip:port` |
//! | `body` | string | the body (its first `body_shown` bytes), with U+FFFD for bytes that are not UTF-8 |
//! | `body_length` | number | the body's whole length in bytes, before any lossy decoding |
//! | `body_shown` | number | how many of its bytes `body` and `body_base64` hold: all of them, or the first `--echo-body-bytes` |
//! | `body_base64` | string or null | the bytes shown in base64, when they are not UTF-8 |
//! | `form` | array of `[name, value]`, or null | a form body's pairs, decoded as the query's |
//!
//! `host_decision` has these keys:
//!
//! | key | type | holds |
//! |---|---|---|
//! | `source` | string | `"Host"`, `"X-Forwarded-Host"`, `"Forwarded"`, `"absolute-form"` or `"local-address"` |
//! | `raw` | string | the value as received, e.g. `"LocalHost.:8090"` |
//! | `matched` | string | the `--allowed-hosts` pattern that allowed it |
//! | `peer_trusted` | bool or null | with forwarding headers, whether the peer is a proxy whose `X-Forwarded-Host` and `Forwarded` are honoured; `null` without any |
//! | `forwarding` | array of `[name, value]` | the forwarding field lines (`X-Forwarded-For`, `Via`, …), honoured or not |
//! | `hint` | object or null | when the forwarding looks wrong although the host was allowed: `{"cause": "forwarding-ignored", "text": "…"}` ([`crate::host::hint`]) |
//! | `django`, `starlette` | object or null | with `--compare`, what each framework would answer for this request: `{"allowed": …, "message": …}`; `null` without it |
//!
//! Pairs are arrays rather than an object because query names and header names repeat,
//! and a JSON object with duplicate keys is one most parsers silently collapse.
//!
//! Decisions:
//! - JSON strings are Unicode, so header values and the body are decoded as UTF-8 with
//!   U+FFFD for any byte that is not; `body_length` counts the bytes actually received,
//!   and a body that is not UTF-8 also comes in `body_base64`, so a script can always
//!   get the exact bytes shown. A body longer than `--echo-body-bytes` is shown up to
//!   that many bytes (`body_shown` says how many; the rest was never kept): a script
//!   that needs a large body back whole raises the flag.
//! - Every key is always there, with `null` where it does not apply, so a script can
//!   rely on one shape.
//! - Control characters are escaped by JSON itself (`"\u001b"`), so this echo needs none of
//!   the text echo's terminal protection and shows every string exactly.
//! - The output is pretty-printed and ends with a newline: learners read it in a terminal,
//!   and the few extra bytes cost nothing. `jq -c` makes it compact for anyone who wants.
//!   serde_json's own pretty printer would spread each `[name, value]` pair over four
//!   lines, so `PairsInline` keeps a pair on one line, the way one would write it by hand.

use std::borrow::Cow;
use std::fmt::Display;
use std::io::{self, Write};
use std::net::SocketAddr;

use serde::{Serialize, Serializer};
use serde_json::ser::Formatter;

use super::{Echo, forwarding_headers, headers};
use crate::host::syntax::Host;
use crate::http::form::FormPairs;
use crate::http::request::{Field, Request};

/// The shape of the JSON echo. Field order is key order: serde writes a struct's fields in
/// declaration order.
///
/// Every field borrows from the echo or is serialised straight from it ([`Pairs`],
/// [`FieldLines`], [`Shown`]): nothing is collected or formatted into a `String` of its
/// own first, so rendering allocates nothing but the output (and `body_base64`).
#[derive(Serialize)]
struct JsonEcho<'a> {
    method: &'a str,
    target: &'a str,
    path: &'a str,
    query: Pairs<'a>,
    version: &'static str,
    line_endings: &'static str,
    headers: FieldLines<'a>,
    host: Shown<&'a Host<'a>>,
    port: Option<u16>,
    host_decision: HostDecision<'a>,
    peer: Shown<SocketAddr>,
    local: Shown<SocketAddr>,
    body: Cow<'a, str>,
    body_length: u64,
    body_shown: usize,
    body_base64: Option<String>,
    form: Option<Pairs<'a>>,
}

/// Why the host was allowed.
#[derive(Serialize)]
struct HostDecision<'a> {
    source: &'static str,
    raw: Cow<'a, str>,
    matched: &'a str,
    peer_trusted: Option<bool>,
    forwarding: FieldLines<'a>,
    hint: Option<JsonHint<'a>>,
    django: Option<JsonVerdict<'a>>,
    starlette: Option<JsonVerdict<'a>>,
}

/// A hint: its cause's stable id and its sentence.
#[derive(Serialize)]
struct JsonHint<'a> {
    cause: &'static str,
    text: &'a str,
}

/// A framework's answer with `--compare`.
#[derive(Serialize)]
struct JsonVerdict<'a> {
    allowed: bool,
    message: Option<Cow<'a, str>>,
}

impl<'a> JsonVerdict<'a> {
    fn of(verdict: &'a crate::compat::Verdict) -> Self {
        let (allowed, message) = crate::compat::verdict_parts(verdict);
        JsonVerdict { allowed, message }
    }
}

/// Query or form pairs, as an array of `[name, value]` arrays, decoded as they are
/// written: a `(Cow<str>, Cow<str>)` tuple serialises as a two-element array.
struct Pairs<'a>(FormPairs<'a>);

impl Serialize for Pairs<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter())
    }
}

/// The request's field lines, all of them or only the forwarding ones, as an array of
/// `[name, value]` arrays read straight from the request.
struct FieldLines<'a> {
    request: &'a Request,
    only_forwarding: bool,
}

impl Serialize for FieldLines<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.only_forwarding {
            serializer.collect_seq(forwarding_headers(self.request).map(name_and_value))
        } else {
            serializer.collect_seq(headers(self.request).map(name_and_value))
        }
    }
}

/// A field line as the pair the JSON echo shows: its name, and its value as text.
fn name_and_value(field: Field<'_>) -> (&str, Cow<'_, str>) {
    (field.name, field.value_lossy())
}

/// A value serialised as the string its `Display` writes (`[::1]`, `127.0.0.1:8090`),
/// which serde_json streams into the output, escaped, without a `String` in between.
struct Shown<T>(T);

impl<T: Display> Serialize for Shown<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}

/// Renders the echo as pretty-printed JSON, ending with a newline, into `buffer`
/// (emptied first), as [`super::render`] does.
pub fn render(echo: &Echo<'_>, mut buffer: Vec<u8>) -> Vec<u8> {
    let head = &echo.request.head;
    let body = &echo.request.body;
    // What is shown of the body: all of it, or, cut, up to the last whole character
    // when the kept bytes are UTF-8 (so that `body` does not end in a U+FFFD the cut
    // made), else every byte kept.
    let shown = body.text().map_or(&body.kept[..], str::as_bytes);
    let json = JsonEcho {
        method: head.method(),
        target: head.raw_target(),
        path: echo.path,
        query: Pairs(echo.query),
        version: head.version().as_str(),
        line_endings: head.line_endings().as_str(),
        headers: FieldLines {
            request: echo.request,
            only_forwarding: false,
        },
        host: Shown(&echo.allowed.host),
        port: echo.allowed.port,
        host_decision: HostDecision {
            source: echo.allowed.source.name(),
            // An allowed value passed the host grammar, so it is ASCII: never lossy.
            raw: String::from_utf8_lossy(&echo.allowed.raw),
            matched: &echo.allowed.matched,
            peer_trusted: echo.allowed.proxy.map(|trust| trust.is_trusted()),
            forwarding: FieldLines {
                request: echo.request,
                only_forwarding: true,
            },
            hint: echo.allowed.hint.as_ref().map(|h| JsonHint {
                cause: h.cause.id(),
                text: &h.text,
            }),
            django: echo
                .allowed
                .compared
                .as_ref()
                .map(|a| JsonVerdict::of(&a.django)),
            starlette: echo
                .allowed
                .compared
                .as_ref()
                .map(|a| JsonVerdict::of(&a.starlette)),
        },
        peer: Shown(echo.peer),
        local: Shown(echo.local),
        body: String::from_utf8_lossy(shown),
        body_length: body.length,
        body_shown: shown.len(),
        body_base64: std::str::from_utf8(shown).is_err().then(|| base64(shown)),
        form: echo.form.map(Pairs),
    };
    buffer.clear();
    let mut serializer =
        serde_json::Serializer::with_formatter(&mut buffer, PairsInline::default());
    // Serialising cannot fail: writing to a Vec cannot fail, every field is a string, a
    // number, null or an array of strings, and serde_json only errors on maps with
    // non-string keys or on a failing `Serialize` impl, neither of which is here.
    json.serialize(&mut serializer)
        .expect("the echo always serialises");
    buffer.push(b'\n');
    buffer
}

/// Standard base64 with padding (RFC 4648 §4), for `body_base64`.
///
/// Written out rather than taken from the `base64` crate: it is a dozen lines, used in
/// this one place, checked against the RFC's own test vectors (§10) below, and a
/// learner can read the whole of it here — three bytes make 24 bits, four 6-bit
/// letters — instead of looking up a crate's engine and configuration types.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let byte = |i: usize| u32::from(chunk.get(i).copied().unwrap_or(0));
        let bits = (byte(0) << 16) | (byte(1) << 8) | byte(2);
        // A chunk of n bytes fills n + 1 letters; `=` pads the group to four.
        for letter in 0..4 {
            if letter <= chunk.len() {
                let index = (bits >> (18 - 6 * letter)) & 0x3f;
                out.push(char::from(ALPHABET[index as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// serde_json's pretty printing (two-space indent, one value per line) except that an array
/// nested in an array is written on one line, with everything in it.
///
/// A [`Formatter`] receives a callback at every structural point — an array begins, a
/// value inside it begins, … — and writes the punctuation and whitespace; serde_json itself
/// writes the strings and numbers, so escaping stays its job.
///
/// It keeps no stack of the containers it is in, only counts, so that the echo's JSON
/// costs no allocation of its own: `begin_array_value` and `begin_object_value` come
/// just before each value, so the last of them says whether the value that begins
/// next is in an array; and once a line of its own has begun (a pair), everything
/// opened until it ends stays on it, so a count of what is open on it is enough.
#[derive(Debug, Default)]
struct PairsInline {
    /// How many indented containers (one value per line) are open.
    indent: usize,
    /// How many containers are open on the current line: a pair and what is in it.
    inline: usize,
    /// Whether the value about to begin is an element of an array (rather than an
    /// object's value, or the whole document).
    in_array: bool,
    /// Whether the innermost indented container has had a value, so that its closing
    /// bracket goes on a line of its own (`[]` stays `[]`).
    has_value: bool,
}

impl PairsInline {
    /// Starts a new line at the current indent.
    fn newline<W: ?Sized + Write>(&self, writer: &mut W) -> io::Result<()> {
        writer.write_all(b"\n")?;
        for _ in 0..self.indent {
            writer.write_all(b"  ")?;
        }
        Ok(())
    }

    /// Opens a container with `bracket`: on the current line inside a pair, or when
    /// `starts_a_pair`; indented otherwise.
    fn open<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        starts_a_pair: bool,
        bracket: &[u8],
    ) -> io::Result<()> {
        if self.inline > 0 || starts_a_pair {
            self.inline += 1;
        } else {
            self.indent += 1;
            self.has_value = false;
        }
        writer.write_all(bracket)
    }

    /// Closes the innermost container with `bracket`, an indented one on its own line
    /// if it held anything.
    fn close<W: ?Sized + Write>(&mut self, writer: &mut W, bracket: &[u8]) -> io::Result<()> {
        if self.inline > 0 {
            self.inline -= 1;
        } else {
            self.indent = self.indent.saturating_sub(1);
            if self.has_value {
                self.newline(writer)?;
            }
        }
        writer.write_all(bracket)
    }

    /// Separates a value (or an object's key) from the one before it: `, ` on one line,
    /// `,` and a new line when indented.
    fn separate<W: ?Sized + Write>(&self, writer: &mut W, first: bool) -> io::Result<()> {
        if self.inline > 0 {
            return writer.write_all(if first { b"" } else { b", " });
        }
        if !first {
            writer.write_all(b",")?;
        }
        self.newline(writer)
    }
}

impl Formatter for PairsInline {
    fn begin_array<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.open(writer, self.in_array, b"[")
    }

    fn end_array<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.close(writer, b"]")
    }

    fn begin_array_value<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.in_array = true;
        self.separate(writer, first)
    }

    fn end_array_value<W: ?Sized + Write>(&mut self, _writer: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.open(writer, false, b"{")
    }

    fn end_object<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.close(writer, b"}")
    }

    fn begin_object_key<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.separate(writer, first)
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.in_array = false;
        writer.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + Write>(&mut self, _writer: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::super::fixtures::{self, fixture, header};
    use super::*;

    /// The JSON echo of a fixture, as a string.
    fn text(f: &fixtures::Fixture) -> String {
        String::from_utf8(render(&f.echo(), Vec::new())).expect("JSON is UTF-8")
    }

    /// The JSON echo of a fixture, parsed back.
    fn value(f: &fixtures::Fixture) -> Value {
        serde_json::from_slice(&render(&f.echo(), Vec::new())).expect("the echo is valid JSON")
    }

    const KEYS: [&str; 17] = [
        "method",
        "target",
        "path",
        "query",
        "version",
        "line_endings",
        "headers",
        "host",
        "port",
        "host_decision",
        "peer",
        "local",
        "body",
        "body_length",
        "body_shown",
        "body_base64",
        "form",
    ];

    #[test]
    fn snapshot_get() {
        insta::assert_snapshot!(text(&fixtures::get()));
    }

    #[test]
    fn snapshot_post_with_body_and_duplicate_headers() {
        insta::assert_snapshot!(text(&fixtures::post()));
    }

    #[test]
    fn round_trips_with_exactly_the_documented_keys_and_types() {
        let v = value(&fixtures::get());
        let object = v.as_object().expect("an object");
        let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
        let mut expected = KEYS.to_vec();
        keys.sort_unstable();
        expected.sort_unstable();
        assert_eq!(keys, expected);

        assert_eq!(
            v,
            json!({
                "method": "GET",
                "target": "/index.html?name=jack&age=18",
                "path": "/index.html",
                "query": [["name", "jack"], ["age", "18"]],
                "version": "HTTP/1.1",
                "line_endings": "CRLF",
                "headers": [
                    ["Host", "localhost:8090"],
                    ["User-Agent", "curl/8.5.0"],
                    ["Accept", "*/*"],
                ],
                "host": "localhost",
                "port": 8090,
                "host_decision": {
                    "source": "Host",
                    "raw": "localhost:8090",
                    "matched": ".localhost",
                    "peer_trusted": null,
                    "forwarding": [],
                    "hint": null,
                    "django": null,
                    "starlette": null,
                },
                "peer": "127.0.0.1:54321",
                "local": "127.0.0.1:8090",
                "body": "",
                "body_length": 0,
                "body_shown": 0,
                "body_base64": null,
                "form": null,
            })
        );
    }

    #[test]
    fn writes_the_keys_in_the_documented_order() {
        // serde_json::Value sorts its keys, so the order is checked on the text.
        let out = text(&fixtures::post());
        let positions: Vec<usize> = KEYS
            .iter()
            .map(|key| out.find(&format!("\n  \"{key}\":")).expect(key))
            .collect();
        assert!(positions.is_sorted(), "{positions:?}\n{out}");
    }

    #[test]
    fn keeps_duplicates_wire_order_and_case() {
        let v = value(&fixtures::post());
        assert_eq!(
            v["headers"],
            json!([
                ["Host", "[::1]:8090"],
                ["user-agent", "curl/8.5.0"],
                ["Accept", "text/plain"],
                ["Accept", "application/json;q=0.5"],
                ["X-Trace", "one"],
                ["X-Trace", "two"],
                ["Content-Type", "application/x-www-form-urlencoded"],
                ["Content-Length", "16"],
            ])
        );
        assert_eq!(
            v["query"],
            json!([["lang", "en-GB"], ["tag", "a"], ["tag", "b"]])
        );
    }

    #[test]
    fn writes_ipv6_addresses_in_brackets() {
        let v = value(&fixtures::post());
        assert_eq!(v["host"], "[::1]");
        assert_eq!(v["peer"], "[::1]:5000");
        assert_eq!(v["local"], "[::1]:8090");
    }

    #[test]
    fn writes_null_for_a_missing_port() {
        let mut f = fixtures::get();
        f.host.port = None;
        assert_eq!(value(&f)["port"], Value::Null);
    }

    #[test]
    fn renders_non_utf8_bytes_lossily_and_counts_the_real_length() {
        let f = fixture(
            "POST",
            "/",
            vec![header("X-Latin1", b"caf\xe9")],
            b"\xff\xfeok",
            "/",
        );
        let v = value(&f);
        assert_eq!(v["headers"][0], json!(["X-Latin1", "caf\u{fffd}"]));
        assert_eq!(v["body"], "\u{fffd}\u{fffd}ok");
        assert_eq!(v["body_length"], 4);
        assert_eq!(v["body_base64"], "//5vaw==");
    }

    #[test]
    fn base64_matches_rfc_4648_test_vectors() {
        // RFC 4648 §10.
        for (input, want) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(input.as_bytes()), want, "{input:?}");
        }
        // Every letter of the alphabet, and the two at its end.
        assert_eq!(base64(&[0x00, 0x10, 0x83, 0xff, 0xfb, 0xff]), "ABCD//v/");
    }

    #[test]
    fn a_utf8_body_has_no_base64() {
        assert_eq!(value(&fixtures::post())["body_base64"], Value::Null);
    }

    #[test]
    fn a_form_body_comes_as_pairs() {
        assert_eq!(
            value(&fixtures::post())["form"],
            json!([["name", "jack"], ["age", "18"]])
        );
        assert_eq!(value(&fixtures::get())["form"], Value::Null);
    }

    /// Issue 23: a hint on an allowed request, and the frameworks' answers with
    /// `--compare`, in `host_decision`.
    #[test]
    fn host_decision_carries_the_hint_and_the_frameworks_answers() {
        use crate::compat::{Answers, Verdict};
        use crate::host::{Cause, Hint};
        let mut f = fixtures::get();
        f.host.hint = Some(Hint {
            cause: Cause::ForwardingIgnored,
            text: "X-Forwarded-Host carries 'app.example'".into(),
        });
        f.host.compared = Some(Box::new(Answers {
            django: Verdict::Refused("Invalid HTTP_HOST header: 'localhost:8090'.".into()),
            starlette: Verdict::Allowed,
        }));
        let v = value(&f);
        assert_eq!(
            v["host_decision"]["hint"],
            json!({"cause": "forwarding-ignored", "text": "X-Forwarded-Host carries 'app.example'"})
        );
        assert_eq!(
            v["host_decision"]["django"],
            json!({"allowed": false, "message": "Invalid HTTP_HOST header: 'localhost:8090'."})
        );
        assert_eq!(
            v["host_decision"]["starlette"],
            json!({"allowed": true, "message": null})
        );
    }

    #[test]
    fn host_decision_names_source_raw_pattern_trust_and_chain() {
        use crate::host::{HostSource, ProxyTrust};
        let mut f = fixture(
            "GET",
            "/",
            vec![
                header("Host", b"127.0.0.1:8090"),
                header("X-Forwarded-For", b"192.0.2.7"),
                header("X-Forwarded-Host", b"App.example"),
            ],
            b"",
            "/",
        );
        f.host.source = HostSource::XForwardedHost;
        f.host.raw = b"App.example"[..].into();
        f.host.matched = "app.example".into();
        f.host.proxy = Some(ProxyTrust::Trusted);
        assert_eq!(
            value(&f)["host_decision"],
            json!({
                "source": "X-Forwarded-Host",
                "raw": "App.example",
                "matched": "app.example",
                "peer_trusted": true,
                "forwarding": [["X-Forwarded-For", "192.0.2.7"], ["X-Forwarded-Host", "App.example"]],
                "hint": null,
                "django": null,
                "starlette": null,
            })
        );
        for (trust, want) in [
            (ProxyTrust::Untrusted, json!(false)),
            (ProxyTrust::ForwardingOff, json!(false)),
        ] {
            f.host.proxy = Some(trust);
            assert_eq!(value(&f)["host_decision"]["peer_trusted"], want);
        }
    }

    #[test]
    fn escapes_control_characters_the_json_way() {
        let f = fixture("POST", "/", vec![], b"\x1b[31m\n", "/");
        let out = text(&f);
        assert!(out.contains(r#""body": "\u001b[31m\n""#), "{out}");
        assert_eq!(value(&f)["body"], "\x1b[31m\n");
    }

    #[test]
    fn keeps_pairs_on_one_line_and_empty_lists_empty() {
        let f = fixture("GET", "/", vec![header("Host", b"a")], b"", "/");
        let out = text(&f);
        assert!(out.contains("\n  \"query\": [],\n"), "{out}");
        assert!(
            out.contains("\n  \"headers\": [\n    [\"Host\", \"a\"]\n  ],\n"),
            "{out}"
        );
    }

    #[test]
    fn formats_any_value_as_valid_json() {
        // The formatter is written for the echo's shape; it must still produce valid JSON
        // for shapes the echo does not use today (nested objects, deep arrays).
        let value = json!({"a": [[1, [2, {"b": []}]], {}], "c": {"d": [[]]}, "e": []});
        let mut out = Vec::new();
        let mut serializer =
            serde_json::Serializer::with_formatter(&mut out, PairsInline::default());
        value.serialize(&mut serializer).expect("serialises");
        let back: Value = serde_json::from_slice(&out).expect("valid JSON");
        assert_eq!(back, value);
    }

    #[test]
    fn keeps_whatever_a_pair_holds_on_its_line() {
        let value = json!({"a": [[1, {"b": [2, []]}], []], "c": {"d": [3]}});
        let mut out = Vec::new();
        let mut serializer =
            serde_json::Serializer::with_formatter(&mut out, PairsInline::default());
        value.serialize(&mut serializer).expect("serialises");
        assert_eq!(
            String::from_utf8(out).expect("UTF-8"),
            "{\n  \"a\": [\n    [1, {\"b\": [2, []]}],\n    []\n  ],\n  \"c\": {\n    \"d\": [\n      3\n    ]\n  }\n}"
        );
    }

    #[test]
    fn ends_with_a_newline() {
        assert!(text(&fixtures::get()).ends_with("}\n"));
    }
}
