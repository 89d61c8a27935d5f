//! The request target (RFC 9112 §3.2) and what the echo shows of it.
//!
//! The second word of the request line names what the request is about. RFC 9112 §3.2
//! gives it four shapes, and which one a client uses depends on who it thinks it is
//! talking to:
//!
//! ```text
//! origin-form     GET /index.html?name=jack HTTP/1.1         to the origin server
//! absolute-form   GET http://a.example/index.html HTTP/1.1   to a proxy
//! authority-form  CONNECT a.example:443 HTTP/1.1             to a proxy, for a tunnel
//! asterisk-form   OPTIONS * HTTP/1.1                         to the server as a whole
//! ```
//!
//! [`RequestTarget::parse`] only *classifies* the raw target by its shape and finds
//! where its parts are, as ranges; it never fails and never allocates. Framing calls
//! it once per request and keeps it beside the raw text, in the head's buffer;
//! everyone after borrows the parts from there ([`RequestTarget::view`]).
//! [`Target::parse`] does both at once, for a target that is not in a head.
//!
//! Whether the form suits the method is checked by framing (`http::framing::head`),
//! and whether an authority names a host we serve by the Host policy in
//! [`crate::host`]. Percent-decoding is done late, on demand, by
//! [`Target::decoded_path`] and [`Target::query_pairs`], because the raw form is what
//! the Host policy and the echo of the request line need to see.
//!
//! httparse has already refused any target holding bytes outside the URI character set
//! (spaces, control characters), so everything here works on plain `&str` slicing.

use std::borrow::Cow;
use std::ops::Range;

use percent_encoding::percent_decode_str;

use crate::http::form::FormPairs;

/// The four forms a request target can take (RFC 9112 §3.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target<'a> {
    /// `/path?query` — what browsers and curl send to an origin server.
    Origin {
        /// The raw path, starting with `/`.
        path: &'a str,
        /// The raw query, without the `?`.
        query: Option<&'a str>,
    },
    /// `http://authority/path?query` — what clients send to a proxy (RFC 9112 §3.2.2).
    Absolute {
        /// The scheme, e.g. `http`.
        scheme: &'a str,
        /// The authority, `host[:port]`, with any userinfo left in so the Host policy can refuse it.
        authority: &'a str,
        /// The raw path; `/` when the target had none.
        path: &'a str,
        /// The raw query, without the `?`.
        query: Option<&'a str>,
    },
    /// `host:port` — only with `CONNECT` (RFC 9112 §3.2.3).
    Authority(&'a str),
    /// `*` — only with `OPTIONS` (RFC 9112 §3.2.4).
    Asterisk,
}

impl<'a> Target<'a> {
    /// Splits a raw target into its form and parts.
    ///
    /// The form is chosen by shape, in this order:
    ///
    /// 1. exactly `*` → [`Target::Asterisk`];
    /// 2. starts with `/` → [`Target::Origin`];
    /// 3. starts with a scheme (RFC 3986 §3.1: a letter, then letters, digits, `+`, `-`,
    ///    `.`; any case) followed by `://` → [`Target::Absolute`];
    /// 4. anything else → [`Target::Authority`], the raw target whole.
    ///
    /// Rule 4 is a catch-all on purpose: a target like `foo` is not valid in *any* form,
    /// but this function classifies rather than judges, and authority-form is the only
    /// grammar left that does not start with `/` or a scheme. Whatever handles it must
    /// check it anyway (authority-form is only meaningful with `CONNECT`), and calling it
    /// an origin-form path would break the invariant that a path starts with `/`.
    ///
    /// A fragment (`#` and what follows) is cut off the path and query: RFC 3986 §3.5
    /// keeps fragments on the client, so one on the wire comes from a broken or probing
    /// client, and it is not part of the resource asked for. The raw target in
    /// [`Head::raw_target`](crate::http::Head::raw_target) still shows it.
    ///
    /// The rules are [`RequestTarget::parse`]'s, which finds where the parts are; this
    /// borrows them from `raw`.
    pub fn parse(raw: &'a str) -> Target<'a> {
        RequestTarget::parse(raw).view(raw)
    }

    /// The authority of an absolute-form target, which replaces Host (RFC 9112 §3.2.2).
    ///
    /// `None` for every other form: authority-form names the *tunnel's* destination for
    /// `CONNECT`, not the host this server should answer for.
    pub fn absolute_authority(&self) -> Option<&'a str> {
        match self {
            Target::Absolute { authority, .. } => Some(authority),
            _ => None,
        }
    }

    /// The path, percent-decoded (lossy UTF-8).
    ///
    /// `%2F` becomes `/` here, so the result is for showing, never for splitting into
    /// segments or for finding a file: that is how path-traversal bugs (`/..%2F..%2Fetc`)
    /// are made. An escape that is not `%` and two hex digits is kept as it is, and bytes
    /// that do not decode to UTF-8 become U+FFFD. Asterisk-form shows as `*`;
    /// authority-form has no path and shows as the empty string.
    ///
    /// The result borrows the path when there is nothing to decode, as for most paths
    /// (`/index.html`): only a path with a `%` escape, or bytes that are not UTF-8,
    /// costs a `String`.
    pub fn decoded_path(&self) -> Cow<'a, str> {
        match self {
            // A path without `%` decodes to itself, and it is already text: borrowed
            // as it is, without `percent_decode`'s pass and the UTF-8 check after it
            // (with curl's `/index.html`, its request path went from 11,426
            // instructions to 11,162, by callgrind's count).
            Target::Origin { path, .. } | Target::Absolute { path, .. }
                if !path.bytes().any(|b| b == b'%') =>
            {
                Cow::Borrowed(path)
            }
            Target::Origin { path, .. } | Target::Absolute { path, .. } => {
                percent_decode_str(path).decode_utf8_lossy()
            }
            Target::Asterisk => Cow::Borrowed("*"),
            Target::Authority(_) => Cow::Borrowed(""),
        }
    }

    /// The query pairs, decoded as `application/x-www-form-urlencoded`, in order, duplicates kept.
    ///
    /// That is the WHATWG URL Standard's reading, the one HTML forms use: pairs are split
    /// on `&`, name from value on the first `=`, `+` means a space, then percent-decoding
    /// (lossy UTF-8). A name without `=` gets an empty value, and empty pieces (`a=1&&b=2`)
    /// are skipped. Repeated names are all kept, in order: `?tag=a&tag=b` is two pairs,
    /// and which one "wins" is an application's choice, not the parser's.
    ///
    /// Nothing is decoded here: the [`FormPairs`] borrow the query and decode a pair
    /// each time they are iterated, copying only a name or value that decoding changes.
    /// A target without a query has no pairs.
    pub fn query_pairs(&self) -> FormPairs<'a> {
        match self {
            Target::Origin {
                query: Some(query), ..
            }
            | Target::Absolute {
                query: Some(query), ..
            } => FormPairs::from_text(query),
            _ => FormPairs::default(),
        }
    }
}

/// Where the parts of a request target are, found once, when its head is framed.
///
/// The [`Head`](crate::http::Head) keeps the raw target (the echo shows it, fragment
/// and all) in its buffer, and this beside it: where each part is, as byte ranges into
/// the raw target. Every later reader — the Host policy asking for
/// the absolute-form authority, the echo asking for the path and query — gets the same
/// answer from [`RequestTarget::view`] without parsing again.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RequestTarget {
    form: Form,
}

/// Where the parts of a [`Target`] are in the raw target, as byte ranges.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
enum Form {
    Origin {
        path: Range<usize>,
        query: Option<Range<usize>>,
    },
    Absolute {
        scheme: Range<usize>,
        authority: Range<usize>,
        /// Empty when the target had no path: it reads as `/`.
        path: Range<usize>,
        query: Option<Range<usize>>,
    },
    Authority,
    /// Also the target of an empty head, before any is framed.
    #[default]
    Asterisk,
}

impl RequestTarget {
    /// Classifies `raw` by the rules of [`Target::parse`] and finds where its parts are.
    pub fn parse(raw: &str) -> RequestTarget {
        let form = if raw == "*" {
            Form::Asterisk
        } else if raw.starts_with('/') {
            let (path, query) = path_and_query(raw, 0);
            Form::Origin { path, query }
        } else if let Some(colon) = raw.find("://")
            && is_scheme(&raw[..colon])
        {
            // The authority runs to the first `/`, `?` or `#` (RFC 3986 §3.2), and may be
            // empty (`http:///x`); the Host policy refuses an empty one, not us.
            let from = colon + "://".len();
            let end = raw[from..]
                .find(['/', '?', '#'])
                .map_or(raw.len(), |i| from + i);
            // The path is empty when the target has none; [`view`](Self::view) shows it
            // as `/`, its equivalent in an http(s) URI (RFC 9110 §4.2.3).
            let (path, query) = path_and_query(raw, end);
            Form::Absolute {
                scheme: 0..colon,
                authority: from..end,
                path,
                query,
            }
        } else {
            Form::Authority
        };
        RequestTarget { form }
    }

    /// The parts of `raw`, the target this was parsed from, borrowed. Slicing only: the
    /// parsing was done in [`parse`](Self::parse).
    pub fn view<'a>(&self, raw: &'a str) -> Target<'a> {
        // `get` rather than indexing: given another target than its own, this returns
        // empty parts rather than panicking.
        let part = |range: &Range<usize>| raw.get(range.clone()).unwrap_or_default();
        match &self.form {
            Form::Origin { path, query } => Target::Origin {
                path: part(path),
                query: query.as_ref().map(part),
            },
            Form::Absolute {
                scheme,
                authority,
                path,
                query,
            } => Target::Absolute {
                scheme: part(scheme),
                authority: part(authority),
                path: if path.is_empty() { "/" } else { part(path) },
                query: query.as_ref().map(part),
            },
            Form::Authority => Target::Authority(raw),
            Form::Asterisk => Target::Asterisk,
        }
    }
}

/// Where the path and the query of `raw[from..]`, a `path?query#fragment`, are in `raw`;
/// the fragment is dropped.
fn path_and_query(raw: &str, from: usize) -> (Range<usize>, Option<Range<usize>>) {
    let end = raw[from..].find('#').map_or(raw.len(), |i| from + i);
    match raw[from..end].find('?') {
        Some(i) => (from..from + i, Some(from + i + 1..end)),
        None => (from..end, None),
    }
}

/// Whether `s` is a URI scheme: `ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )` (RFC 3986 §3.1).
fn is_scheme(s: &str) -> bool {
    let mut bytes = s.bytes();
    match bytes.next() {
        Some(first) if first.is_ascii_alphabetic() => {}
        _ => return false,
    }
    bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin<'a>(path: &'a str, query: Option<&'a str>) -> Target<'a> {
        Target::Origin { path, query }
    }

    fn absolute<'a>(
        scheme: &'a str,
        authority: &'a str,
        path: &'a str,
        query: Option<&'a str>,
    ) -> Target<'a> {
        Target::Absolute {
            scheme,
            authority,
            path,
            query,
        }
    }

    #[test]
    fn classifies_each_form_and_splits_its_parts() {
        let cases: &[(&str, Target<'_>)] = &[
            // origin-form
            ("/", origin("/", None)),
            ("/index.html", origin("/index.html", None)),
            (
                "/index.html?name=jack&age=18",
                origin("/index.html", Some("name=jack&age=18")),
            ),
            ("/?", origin("/", Some(""))),
            ("/a?b?c", origin("/a", Some("b?c"))),
            ("//double", origin("//double", None)),
            ("/p#frag", origin("/p", None)),
            ("/p?q#frag?x", origin("/p", Some("q"))),
            // absolute-form
            ("http://a.example", absolute("http", "a.example", "/", None)),
            (
                "http://a.example/",
                absolute("http", "a.example", "/", None),
            ),
            (
                "http://a.example:8080/x/y?z=1",
                absolute("http", "a.example:8080", "/x/y", Some("z=1")),
            ),
            (
                "http://a.example?z",
                absolute("http", "a.example", "/", Some("z")),
            ),
            (
                "http://a.example#f",
                absolute("http", "a.example", "/", None),
            ),
            (
                "HTTPS://A.example/",
                absolute("HTTPS", "A.example", "/", None),
            ),
            (
                "http://user:pw@a.example/",
                absolute("http", "user:pw@a.example", "/", None),
            ),
            ("http://[::1]:80/", absolute("http", "[::1]:80", "/", None)),
            ("http:///nohost", absolute("http", "", "/nohost", None)),
            ("svn+ssh.1-x://h/", absolute("svn+ssh.1-x", "h", "/", None)),
            // authority-form
            ("a.example:443", Target::Authority("a.example:443")),
            ("[::1]:443", Target::Authority("[::1]:443")),
            // asterisk-form
            ("*", Target::Asterisk),
            // not valid in any form: the catch-all, authority-form
            ("foo", Target::Authority("foo")),
            ("**", Target::Authority("**")),
            ("1http://a/", Target::Authority("1http://a/")),
            ("://a/", Target::Authority("://a/")),
            ("ht tp://a/", Target::Authority("ht tp://a/")),
            ("", Target::Authority("")),
        ];
        for (raw, want) in cases {
            assert_eq!(&Target::parse(raw), want, "target {raw:?}");
        }
    }

    #[test]
    fn a_view_of_another_target_than_its_own_is_empty_not_a_panic() {
        let parsed = RequestTarget::parse("http://a.example/x?z");
        assert_eq!(parsed.view("/"), absolute("", "", "", Some("")));
        let parsed = RequestTarget::parse("/index.html?a=1");
        assert_eq!(parsed.view(""), origin("", Some("")));
    }

    #[test]
    fn only_absolute_form_has_an_authority_replacing_host() {
        let cases: &[(&str, Option<&str>)] = &[
            ("http://a.example:8080/x", Some("a.example:8080")),
            ("http://evil@a.example/", Some("evil@a.example")),
            ("http:///x", Some("")),
            ("/x", None),
            ("a.example:443", None),
            ("*", None),
        ];
        for (raw, want) in cases {
            assert_eq!(
                Target::parse(raw).absolute_authority(),
                *want,
                "target {raw:?}"
            );
        }
    }

    #[test]
    fn decodes_the_path_for_display() {
        let cases: &[(&str, &str)] = &[
            ("/index.html?name=jack", "/index.html"),
            ("/a%20b", "/a b"),
            ("/a+b", "/a+b"), // `+` is a space only in a query
            ("/caf%C3%A9", "/café"),
            ("/..%2F..%2Fetc", "/../../etc"),
            ("/bad%zz%4", "/bad%zz%4"),
            ("/%FF", "/\u{FFFD}"),
            ("http://h/x%41?y", "/xA"),
            ("http://h", "/"),
            ("*", "*"),
            ("h:443", ""),
        ];
        for (raw, want) in cases {
            assert_eq!(Target::parse(raw).decoded_path(), *want, "target {raw:?}");
        }
    }

    #[test]
    fn decodes_query_pairs_in_order_keeping_duplicates() {
        let pairs = |list: &[(&str, &str)]| -> Vec<(String, String)> {
            list.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let cases: &[(&str, Vec<(String, String)>)] = &[
            (
                "/index.html?name=jack&age=18",
                pairs(&[("name", "jack"), ("age", "18")]),
            ),
            ("/?tag=a&tag=b", pairs(&[("tag", "a"), ("tag", "b")])),
            ("/?q=a+b%2Bc", pairs(&[("q", "a b+c")])),
            ("/?flag", pairs(&[("flag", "")])),
            ("/?a=1&&b=2", pairs(&[("a", "1"), ("b", "2")])),
            ("/?=v", pairs(&[("", "v")])),
            ("/?k=x=y", pairs(&[("k", "x=y")])),
            ("/?n=%E2%9C%93", pairs(&[("n", "✓")])),
            ("http://h/p?x=1", pairs(&[("x", "1")])),
            ("/?", pairs(&[])),
            ("/", pairs(&[])),
            ("*", pairs(&[])),
            ("h:443", pairs(&[])),
        ];
        for (raw, want) in cases {
            let got: Vec<(String, String)> = Target::parse(raw)
                .query_pairs()
                .into_iter()
                .map(|(name, value)| (name.into_owned(), value.into_owned()))
                .collect();
            assert_eq!(&got, want, "target {raw:?}");
        }
    }
}
