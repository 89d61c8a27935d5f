//! The parsed request, owned.
//!
//! httparse hands out borrowed slices into the read buffer; hostecho copies them into
//! these owned types once the head is complete, so the read buffer can be reused (and
//! released while the connection sits idle) without the request dangling.

use std::borrow::Cow;

use crate::http::form::FormPairs;
use crate::http::target::RequestTarget;

/// The HTTP versions hostecho answers. Anything else is refused with 505 while framing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Version {
    /// `HTTP/1.0` (RFC 1945): closes after each response unless asked to keep alive.
    Http10,
    /// `HTTP/1.1` (RFC 9112): keeps the connection alive unless asked to close.
    Http11,
}

impl Version {
    /// The version as it appears on the wire, e.g. `"HTTP/1.1"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Version::Http10 => "HTTP/1.0",
            Version::Http11 => "HTTP/1.1",
        }
    }
}

/// One header field line, exactly as received: the name keeps its case, the value its bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// The field name with its original case (`hOsT` stays `hOsT`).
    pub name: String,
    /// The field value without the surrounding whitespace httparse strips (RFC 9110 §5.5).
    /// It may hold any byte except CR, LF and NUL, so it is kept as bytes.
    pub value: Vec<u8>,
}

impl Header {
    /// Whether this field has the given name. Field names are case-insensitive (RFC 9110 §5.1).
    pub fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
    }

    /// The value as text, with any byte that is not UTF-8 replaced by U+FFFD.
    pub fn value_lossy(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.value)
    }
}

/// The request line and header section of one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Head {
    /// The request line exactly as received, without its line ending (lossy UTF-8).
    pub request_line: String,
    /// The method token, e.g. `GET`. Methods are case-sensitive (RFC 9110 §9.1).
    pub method: String,
    /// The request target, e.g. `/index.html?name=jack` or `http://a.example/`: the raw
    /// text, and its parts as parsed once while framing.
    pub target: RequestTarget,
    /// The protocol version.
    pub version: Version,
    /// Every header field line, in wire order, duplicates kept.
    pub headers: Vec<Header>,
    /// Which line endings the head used, so the echo can say so: it shows every line
    /// ending the same way, and a head typed in `nc` with bare LF looks like curl's.
    pub line_endings: LineEndings,
}

/// The line endings of a head: HTTP's CRLF, a bare LF, or both.
///
/// RFC 9112 §2.2 lets a recipient accept a bare LF as a line terminator, and httparse
/// does; hostecho answers either, and records which it got.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineEndings {
    /// Every line ended in CR LF, as RFC 9112 requires of a sender.
    Crlf,
    /// Every line ended in a bare LF (`printf 'GET / HTTP/1.1\nHost: …\n\n'`).
    Lf,
    /// Some lines ended one way, some the other.
    Mixed,
}

impl LineEndings {
    /// The line endings of `head`: the bytes from the request line to the empty line
    /// that ends the head, inclusive. A head with no LF at all counts as CRLF.
    pub fn of(head: &[u8]) -> LineEndings {
        let (mut crlf, mut lf) = (false, false);
        for (i, &b) in head.iter().enumerate() {
            if b == b'\n' {
                if i > 0 && head[i - 1] == b'\r' {
                    crlf = true;
                } else {
                    lf = true;
                }
            }
        }
        match (crlf, lf) {
            (_, false) => LineEndings::Crlf,
            (false, true) => LineEndings::Lf,
            (true, true) => LineEndings::Mixed,
        }
    }

    /// How the echo names them: `CRLF`, `LF`, or `mixed CRLF and LF`.
    pub fn as_str(self) -> &'static str {
        match self {
            LineEndings::Crlf => "CRLF",
            LineEndings::Lf => "LF",
            LineEndings::Mixed => "mixed CRLF and LF",
        }
    }
}

impl Head {
    /// The values of every field line with this name, in wire order.
    pub fn values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.headers
            .iter()
            .filter(move |h| h.is(name))
            .map(|h| h.value.as_slice())
    }

    /// The value of the first field line with this name, if any.
    pub fn first(&self, name: &str) -> Option<&[u8]> {
        self.headers
            .iter()
            .find(|h| h.is(name))
            .map(|h| h.value.as_slice())
    }

    /// Whether the request is a `HEAD`, whose response carries headers but no body.
    pub fn is_head(&self) -> bool {
        self.method == "HEAD"
    }
}

/// A whole request: its head and its decoded body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// Request line and headers.
    pub head: Head,
    /// The body after any transfer coding was removed; empty when there is none.
    pub body: Vec<u8>,
}

impl Request {
    /// The body's `(name, value)` pairs when it is a form, `None` when it is not.
    ///
    /// A body is a form when its (first) `Content-Type` is
    /// `application/x-www-form-urlencoded`, what an HTML `<form method=post>` and
    /// `curl -d` send; the media type is case-insensitive and its parameters (such as
    /// `charset`) are ignored (RFC 9110 §8.3.1). The pairs are decoded as the query's
    /// are (the WHATWG URL standard's `application/x-www-form-urlencoded` parser: `+`
    /// is a space, `%XX` a byte, anything not UTF-8 replaced by U+FFFD), in order,
    /// duplicates kept. An empty form has no pairs. Like [`Target::query_pairs`], the
    /// pairs borrow the body and are decoded as they are iterated.
    ///
    /// [`Target::query_pairs`]: crate::http::Target::query_pairs
    pub fn form(&self) -> Option<FormPairs<'_>> {
        let content_type = self.head.first("content-type")?;
        let media_type = content_type
            .split(|&b| b == b';')
            .next()
            .unwrap_or_default();
        let media_type = crate::http::grammar::trim_ows(media_type);
        if !media_type.eq_ignore_ascii_case(b"application/x-www-form-urlencoded") {
            return None;
        }
        Some(FormPairs::new(&self.body))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_endings_say_which_the_head_used() {
        let table: &[(&[u8], LineEndings)] = &[
            (b"GET / HTTP/1.1\r\nHost: a\r\n\r\n", LineEndings::Crlf),
            (b"GET / HTTP/1.1\nHost: a\n\n", LineEndings::Lf),
            (b"GET / HTTP/1.1\r\nHost: a\n\r\n", LineEndings::Mixed),
            (b"GET / HTTP/1.1\nHost: a\r\n\r\n", LineEndings::Mixed),
            (b"GET / HTTP/1.1\r\n\n", LineEndings::Mixed),
            (b"", LineEndings::Crlf),
        ];
        for &(head, want) in table {
            assert_eq!(
                LineEndings::of(head),
                want,
                "{:?}",
                head.escape_ascii().to_string()
            );
        }
    }

    fn request(content_type: Option<&str>, body: &[u8]) -> Request {
        Request {
            head: Head {
                request_line: "POST / HTTP/1.1".into(),
                method: "POST".into(),
                target: RequestTarget::parse("/".into()),
                version: Version::Http11,
                headers: content_type
                    .map(|v| Header {
                        name: "Content-Type".into(),
                        value: v.as_bytes().to_vec(),
                    })
                    .into_iter()
                    .collect(),
                line_endings: LineEndings::Crlf,
            },
            body: body.to_vec(),
        }
    }

    #[test]
    fn a_form_body_is_decoded_into_pairs() {
        let pairs = |v: &[(&str, &str)]| -> Option<Vec<(String, String)>> {
            Some(v.iter().map(|&(n, v)| (n.into(), v.into())).collect())
        };
        let form = "application/x-www-form-urlencoded";
        type Pairs = Option<Vec<(String, String)>>;
        let table: &[(Option<&str>, &[u8], Pairs)] = &[
            (
                Some(form),
                b"name=jack&age=18",
                pairs(&[("name", "jack"), ("age", "18")]),
            ),
            (
                Some(form),
                b"a=1&a=2&flag",
                pairs(&[("a", "1"), ("a", "2"), ("flag", "")]),
            ),
            (
                Some(form),
                b"q=a+b%26c&%C3%A9=%FF",
                pairs(&[("q", "a b&c"), ("\u{e9}", "\u{fffd}")]),
            ),
            (Some(form), b"", pairs(&[])),
            (
                Some("Application/X-WWW-Form-URLEncoded ; charset=utf-8"),
                b"x=1",
                pairs(&[("x", "1")]),
            ),
            (Some("text/plain"), b"name=jack", None),
            (Some("multipart/form-data; boundary=x"), b"name=jack", None),
            (None, b"name=jack", None),
        ];
        for (content_type, body, want) in table {
            let request = request(*content_type, body);
            let got: Pairs = request.form().map(|pairs| {
                pairs
                    .into_iter()
                    .map(|(name, value)| (name.into_owned(), value.into_owned()))
                    .collect()
            });
            assert_eq!(&got, want, "{content_type:?}");
        }
    }
}
