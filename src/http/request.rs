//! The parsed request, owned.
//!
//! httparse hands out borrowed slices into the read buffer; hostecho copies them into
//! these owned types once the head is complete, so the read buffer can be reused (and
//! released while the connection sits idle) without the request dangling.

use std::borrow::Cow;

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
