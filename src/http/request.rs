//! The parsed request, owned.
//!
//! httparse hands out borrowed slices into the read buffer; hostecho copies the head
//! out once it is complete, so the read buffer can be reused (and released while the
//! connection sits idle) without the request dangling. The copy is one buffer, and the
//! parts are ranges into it (see [`Head`]).

use std::borrow::Cow;
use std::ops::Range;

use crate::http::form::FormPairs;
use crate::http::target::{RequestTarget, Target};

/// The HTTP versions hostecho answers. Framing answers `HTTP/1.2` to `HTTP/1.9` as
/// 1.1 (RFC 9110 §2.5), refuses another major version (`HTTP/2.0`) with 505, and
/// anything that is not `HTTP/` DIGIT `.` DIGIT (`HTTP/1.10`, `HTTP/3`) with 400.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Version {
    /// `HTTP/1.0` (RFC 1945): closes after each response unless asked to keep alive.
    Http10,
    /// `HTTP/1.1` (RFC 9112): keeps the connection alive unless asked to close.
    /// (The default only of an empty [`Head`], before it is framed.)
    #[default]
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

/// One header field line, exactly as received, borrowed from its [`Head`]: the name
/// keeps its case, the value its bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Field<'a> {
    /// The field name with its original case (`hOsT` stays `hOsT`).
    pub name: &'a str,
    /// The field value without the surrounding whitespace httparse strips (RFC 9110 §5.5).
    /// Framed from the wire it holds no control byte but HTAB (httparse refuses the
    /// rest, and DEL), yet it may hold any byte from 0x80 up, which need not be UTF-8:
    /// so it is bytes, not text. A value built by hand (`Fields::List`) may hold
    /// anything.
    pub value: &'a [u8],
}

impl<'a> Field<'a> {
    /// Whether this field has the given name. Field names are case-insensitive (RFC 9110 §5.1).
    pub fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
    }

    /// The value as text, with any byte that is not UTF-8 replaced by U+FFFD. Borrowed
    /// unless a byte had to be replaced.
    pub fn value_lossy(&self) -> Cow<'a, str> {
        text_lossy(self.value)
    }
}

/// A field value as text, with any byte that is not UTF-8 replaced by U+FFFD: what
/// `String::from_utf8_lossy` gives, borrowed unless a byte had to be replaced.
///
/// `str::from_utf8` first: the same answer for the values that are UTF-8, which is
/// nearly all of them, and it checks eight bytes at a time where `from_utf8_lossy`
/// goes through `Utf8Chunks` a byte at a time. (Reading a browser's fifteen values and
/// its `Accept` this way took its request path from 46,689 instructions to 44,419, by
/// callgrind's count.)
pub fn text_lossy(value: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(value) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(value),
    }
}

/// A header field that owns its name and value: for field lists built by hand rather
/// than framed from bytes (`hostecho check --header`, tests, benchmarks), which the
/// Host policy reads through [`Fields::List`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// The field name, in the case it is to be shown.
    pub name: String,
    /// The field value's bytes.
    pub value: Vec<u8>,
}

impl Header {
    /// Whether this field has the given name, ignoring ASCII case (RFC 9110 §5.1).
    pub fn is(&self, name: &str) -> bool {
        self.as_field().is(name)
    }

    /// The field, borrowed.
    pub fn as_field(&self) -> Field<'_> {
        Field {
            name: &self.name,
            value: &self.value,
        }
    }
}

/// The request line and header section of one request, kept as the bytes that
/// arrived and where each part is in them.
///
/// The head is copied out of the read buffer once, into two buffers of [`Head`]'s
/// own: the text (the request line, then each field name) and the field values (any
/// bytes). Every part — the request line, the method, the target's pieces, each
/// field's name and value — is a range into one of them, handed out as a borrowed slice
/// by the methods below. Two copies instead of a `String` per part: a browser's fifteen
/// fields were thirty-odd allocations per request. The text is a `String` because
/// httparse has checked it (a method and names are tokens, the target is URI
/// characters), so slicing it needs no second check. And because a `Head`'s buffers
/// keep their capacity when it is framed again
/// ([`parse_head_into`](crate::http::framing::parse_head_into)), a connection that
/// reuses one allocates nothing for its heads once the buffers have grown to fit.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Head {
    /// The request line (without its line ending), then each field name.
    text: String,
    /// Each field value, one after the other.
    values: Vec<u8>,
    /// The request line's length: it is `text[..line_len]`.
    line_len: usize,
    /// The method in `text`.
    method: Range<usize>,
    /// The target in `text`.
    target_at: Range<usize>,
    /// The target's parts, parsed once, as ranges into the target.
    target: RequestTarget,
    version: Version,
    /// Each field line's name (in `text`) and value (in `values`), in wire order.
    fields: Vec<FieldAt>,
    line_endings: LineEndings,
}

/// A request line as framing found it, for [`Head::refill`].
pub(crate) struct RequestLine<'a> {
    /// The line, without its line ending.
    pub(crate) text: &'a str,
    /// Where the method is in `text`.
    pub(crate) method: Range<usize>,
    /// Where the target is in `text`.
    pub(crate) target: Range<usize>,
    pub(crate) version: Version,
}

/// Where a field line's name is in [`Head::text`] and its value in [`Head::values`].
#[derive(Clone, Debug, PartialEq, Eq)]
struct FieldAt {
    name: Range<usize>,
    value: Range<usize>,
}

/// The line endings of a head: HTTP's CRLF, a bare LF, or both.
///
/// RFC 9112 §2.2 lets a recipient accept a bare LF as a line terminator, and httparse
/// does; hostecho answers either, and records which it got.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LineEndings {
    /// Every line ended in CR LF, as RFC 9112 requires of a sender.
    #[default]
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
    /// Fills this head with a request line and its fields, reusing its buffers;
    /// `head_len` is how long the head was on the wire. Framing
    /// ([`parse_head_into`](crate::http::framing::parse_head_into)) calls it once it
    /// has checked the head.
    pub(crate) fn refill<'f>(
        &mut self,
        line: RequestLine<'_>,
        fields: impl Iterator<Item = (&'f str, &'f [u8])>,
        line_endings: LineEndings,
        head_len: usize,
    ) {
        self.text.clear();
        self.values.clear();
        self.fields.clear();
        // One allocation each at most, sized for the whole head, rather than a few
        // doublings as the fields are pushed: `head_len` (the head's length on the
        // wire) bounds both the text and the values.
        self.text.reserve(head_len);
        self.values.reserve(head_len);
        self.fields.reserve(fields.size_hint().0);
        let RequestLine {
            text: request_line,
            method,
            target: target_at,
            version,
        } = line;
        self.text.push_str(request_line);
        self.line_len = request_line.len();
        for (name, value) in fields {
            let name_at = self.text.len()..self.text.len() + name.len();
            self.text.push_str(name);
            let value_at = self.values.len()..self.values.len() + value.len();
            self.values.extend_from_slice(value);
            self.fields.push(FieldAt {
                name: name_at,
                value: value_at,
            });
        }
        self.target = RequestTarget::parse(request_line.get(target_at.clone()).unwrap_or_default());
        self.method = method;
        self.target_at = target_at;
        self.version = version;
        self.line_endings = line_endings;
    }

    /// The head a client sends for this request line and these fields, with CRLF line
    /// endings, built without framing's checks: for tests and benchmarks that need a
    /// head with particular parts (a field value httparse would refuse, say). The
    /// server only ever frames heads from bytes, with
    /// [`parse_head`](crate::http::framing::parse_head).
    pub fn from_parts(method: &str, target: &str, version: Version, fields: &[Header]) -> Head {
        let line = format!("{method} {target} {}", version.as_str());
        let target_at = method.len() + 1..method.len() + 1 + target.len();
        let mut head = Head::default();
        let request_line = RequestLine {
            text: &line,
            method: 0..method.len(),
            target: target_at,
            version,
        };
        head.refill(
            request_line,
            fields.iter().map(|f| (f.name.as_str(), f.value.as_slice())),
            LineEndings::Crlf,
            line.len()
                + fields
                    .iter()
                    .map(|f| f.name.len() + f.value.len())
                    .sum::<usize>(),
        );
        head
    }

    /// This head as a `GET` of the same target with the same fields would have it: the
    /// method replaced, everything else as received.
    ///
    /// The answer to a `HEAD` carries the `Content-Length` a `GET` would have had
    /// (RFC 9110 §8.6, §9.3.2), and the echo shows the method and the request line: so
    /// the echo a `HEAD` is measured by is the one rendered from this head.
    pub fn as_get(&self) -> Head {
        const GET: &str = "GET";
        // The method is the request line's first token: it starts at 0.
        let old = self.method.end;
        let shift = |r: &Range<usize>| r.start + GET.len() - old..r.end + GET.len() - old;
        let mut text = String::with_capacity(self.text.len() + GET.len());
        text.push_str(GET);
        text.push_str(self.text(old..self.text.len()));
        Head {
            text,
            values: self.values.clone(),
            line_len: self.line_len + GET.len() - old,
            method: 0..GET.len(),
            target_at: shift(&self.target_at),
            target: self.target.clone(),
            version: self.version,
            fields: self
                .fields
                .iter()
                .map(|f| FieldAt {
                    name: shift(&f.name),
                    value: f.value.clone(),
                })
                .collect(),
            line_endings: self.line_endings,
        }
    }

    /// The request line exactly as received, without its line ending, e.g.
    /// `GET /index.html?name=jack HTTP/1.1`.
    pub fn request_line(&self) -> &str {
        self.text(0..self.line_len)
    }

    /// The method token, e.g. `GET`. Methods are case-sensitive (RFC 9110 §9.1).
    pub fn method(&self) -> &str {
        self.text(self.method.clone())
    }

    /// The request target exactly as received, e.g. `/index.html?name=jack#top`.
    pub fn raw_target(&self) -> &str {
        self.text(self.target_at.clone())
    }

    /// The request target's form and parts, as parsed once while framing: slicing only.
    pub fn target(&self) -> Target<'_> {
        self.target.view(self.raw_target())
    }

    /// The protocol version.
    pub fn version(&self) -> Version {
        self.version
    }

    /// Which line endings the head used, so the echo can say so: it shows every line
    /// ending the same way, and a head typed in `nc` with bare LF looks like curl's.
    pub fn line_endings(&self) -> LineEndings {
        self.line_endings
    }

    /// Every header field line, in wire order, duplicates kept.
    pub fn fields(&self) -> Fields<'_> {
        Fields::Head(self)
    }

    /// The values of every field line with this name, in wire order.
    pub fn values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.fields().values(name)
    }

    /// The value of the first field line with this name, if any.
    pub fn first(&self, name: &str) -> Option<&[u8]> {
        self.fields().first(name)
    }

    /// Whether the request is a `HEAD`, whose response carries headers but no body.
    pub fn is_head(&self) -> bool {
        self.method() == "HEAD"
    }

    fn field(&self, at: &FieldAt) -> Field<'_> {
        Field {
            name: self.text(at.name.clone()),
            value: self.values.get(at.value.clone()).unwrap_or_default(),
        }
    }

    /// The text at `range`. Every range was made when the text was written, on its
    /// boundaries, so `get` always finds it; were one ever wrong, the empty string is
    /// shown rather than a panic.
    fn text(&self, range: Range<usize>) -> &str {
        self.text.get(range).unwrap_or_default()
    }
}

/// A request's header fields, in wire order, borrowed: those of a framed [`Head`], or a
/// list of [`Header`]s built by hand. The Host policy reads either; the second is how
/// `hostecho check`, the tests and the benchmarks ask it about fields that were never
/// bytes on a wire.
#[derive(Clone, Copy, Debug)]
pub enum Fields<'a> {
    /// The field lines of a framed head.
    Head(&'a Head),
    /// Fields built by hand.
    List(&'a [Header]),
}

impl<'a> Fields<'a> {
    /// The fields, in order.
    pub fn iter(self) -> FieldIter<'a> {
        match self {
            Fields::Head(head) => FieldIter(Inner::Head(head, head.fields.iter())),
            Fields::List(list) => FieldIter(Inner::List(list.iter())),
        }
    }

    /// How many fields there are.
    pub fn len(self) -> usize {
        match self {
            Fields::Head(head) => head.fields.len(),
            Fields::List(list) => list.len(),
        }
    }

    /// Whether there are none.
    pub fn is_empty(self) -> bool {
        self.len() == 0
    }

    /// The values of every field with this name, in order.
    pub fn values(self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        let mut fields = self.iter();
        std::iter::from_fn(move || fields.next_named(name)).map(|f| f.value)
    }

    /// The value of the first field with this name, if any.
    pub fn first(self, name: &str) -> Option<&'a [u8]> {
        self.iter().next_named(name).map(|f| f.value)
    }
}

impl<'a> From<&'a [Header]> for Fields<'a> {
    fn from(list: &'a [Header]) -> Fields<'a> {
        Fields::List(list)
    }
}

impl<'a> IntoIterator for Fields<'a> {
    type Item = Field<'a>;
    type IntoIter = FieldIter<'a>;
    fn into_iter(self) -> FieldIter<'a> {
        self.iter()
    }
}

/// The iterator of [`Fields::iter`].
#[derive(Clone, Debug)]
pub struct FieldIter<'a>(Inner<'a>);

#[derive(Clone, Debug)]
enum Inner<'a> {
    Head(&'a Head, std::slice::Iter<'a, FieldAt>),
    List(std::slice::Iter<'a, Header>),
}

impl<'a> FieldIter<'a> {
    /// The next field with this name, ignoring ASCII case (RFC 9110 §5.1).
    ///
    /// A head's fields are compared by the length of their names first, which the head
    /// keeps: only a name of the right length is sliced out of the head and compared.
    /// Framing, the Host policy and the echo look fields up by name about ten times
    /// per request, and most of the names they pass over differ in length.
    fn next_named(&mut self, name: &str) -> Option<Field<'a>> {
        match &mut self.0 {
            Inner::Head(head, at) => at
                .find(|at| {
                    at.name.len() == name.len()
                        && head.text(at.name.clone()).eq_ignore_ascii_case(name)
                })
                .map(|at| head.field(at)),
            Inner::List(list) => list.find(|h| h.is(name)).map(Header::as_field),
        }
    }
}

impl<'a> Iterator for FieldIter<'a> {
    type Item = Field<'a>;

    fn next(&mut self) -> Option<Field<'a>> {
        match &mut self.0 {
            Inner::Head(head, at) => at.next().map(|at| head.field(at)),
            Inner::List(list) => list.next().map(Header::as_field),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match &self.0 {
            Inner::Head(_, at) => at.size_hint(),
            Inner::List(list) => list.size_hint(),
        }
    }
}

impl ExactSizeIterator for FieldIter<'_> {}

/// A whole request: its head and its decoded body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// Request line and headers.
    pub head: Head,
    /// The body after any transfer coding was removed, as far as it is kept: see
    /// [`Body`].
    pub body: Body,
}

/// A request's body as hostecho keeps it: its first bytes, as many as the echo shows
/// (`--echo-body-bytes`), and its whole length.
///
/// The echo is the only thing a body is for, and it shows the first bytes of a large
/// one; so the decoder keeps those and counts the rest as they go by
/// ([`BodyDecoder::keeping`](crate::http::framing::BodyDecoder::keeping)), and a 1 MiB
/// upload costs a connection the bytes it shows, not a megabyte (ARCHITECTURE.md, "What
/// one connection can make hostecho hold").
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Body {
    /// The body's first bytes: all of them unless [`Body::is_cut`].
    pub kept: Vec<u8>,
    /// How many bytes the body had, decoded, kept or not.
    pub length: u64,
}

impl Body {
    /// A body kept whole.
    pub fn whole(bytes: Vec<u8>) -> Body {
        Body {
            length: bytes.len() as u64,
            kept: bytes,
        }
    }

    /// Whether only the body's first bytes were kept.
    pub fn is_cut(&self) -> bool {
        (self.kept.len() as u64) < self.length
    }

    /// Whether the request had no body bytes at all.
    pub fn is_empty(&self) -> bool {
        self.length == 0
    }

    /// The kept bytes as text, when they are UTF-8: all of them, or, for a cut body,
    /// those up to the last whole character (the cut may fall inside one). `None` when
    /// the kept bytes are not UTF-8.
    pub fn text(&self) -> Option<&str> {
        match std::str::from_utf8(&self.kept) {
            Ok(text) => Some(text),
            // `error_len() == None`: the bytes end part-way through a character, which
            // only the cut can cause in a body that is otherwise UTF-8.
            Err(e) if self.is_cut() && e.error_len().is_none() => {
                std::str::from_utf8(&self.kept[..e.valid_up_to()]).ok()
            }
            Err(_) => None,
        }
    }
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
    /// pairs borrow the body and are decoded as they are iterated. Of a cut body
    /// ([`Body::is_cut`]) only the pairs wholly kept count: those before the last `&`,
    /// so a pair the cut went through is not shown as if it were whole.
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
        let kept = &self.body.kept;
        let whole_pairs = if self.body.is_cut() {
            &kept[..kept.iter().rposition(|&b| b == b'&').unwrap_or(0)]
        } else {
            kept
        };
        Some(FormPairs::new(whole_pairs))
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

    #[test]
    fn as_get_is_the_head_a_get_of_the_same_request_has() {
        use crate::http::framing::{Limits, parse_head};
        let frame = |bytes: &[u8]| match parse_head(bytes, &Limits::default()) {
            Ok(Some((framed, _))) => framed.head,
            other => panic!("{other:?}"),
        };
        for (other, get) in [
            (
                &b"HEAD /x?a=1 HTTP/1.1\r\nHost: localhost\r\nAccept: */*\r\n\r\n"[..],
                &b"GET /x?a=1 HTTP/1.1\r\nHost: localhost\r\nAccept: */*\r\n\r\n"[..],
            ),
            (
                b"HEAD http://localhost/ HTTP/1.0\nX: y\n\n",
                b"GET http://localhost/ HTTP/1.0\nX: y\n\n",
            ),
            (
                b"PROPFIND /a%20b HTTP/1.1\r\nHost: a\r\n\r\n",
                b"GET /a%20b HTTP/1.1\r\nHost: a\r\n\r\n",
            ),
        ] {
            let (other, get) = (frame(other), frame(get));
            assert_eq!(other.as_get(), get);
            assert_eq!(get.as_get(), get);
        }
    }

    fn request(content_type: Option<&str>, body: &[u8]) -> Request {
        Request {
            head: Head::from_parts(
                "POST",
                "/",
                Version::Http11,
                &content_type
                    .map(|v| Header {
                        name: "Content-Type".into(),
                        value: v.as_bytes().to_vec(),
                    })
                    .into_iter()
                    .collect::<Vec<_>>(),
            ),
            body: Body::whole(body.to_vec()),
        }
    }

    #[test]
    fn a_cut_body_is_text_up_to_its_last_whole_character() {
        let cut = |kept: &[u8], length: u64| Body {
            kept: kept.to_vec(),
            length,
        };
        assert_eq!(
            Body::whole(b"caf\xc3\xa9".to_vec()).text(),
            Some("caf\u{e9}")
        );
        assert_eq!(cut(b"caf\xc3\xa9", 9).text(), Some("caf\u{e9}"));
        // The cut fell inside the `é`: the text stops before it.
        assert_eq!(cut(b"caf\xc3", 9).text(), Some("caf"));
        // Not UTF-8 before the cut, or a whole body that ends part-way: not text.
        assert_eq!(cut(b"\xffcaf\xc3", 9).text(), None);
        assert_eq!(Body::whole(b"caf\xc3".to_vec()).text(), None);
        assert!(cut(b"ab", 3).is_cut() && !Body::whole(b"ab".to_vec()).is_cut());
        assert!(Body::default().is_empty() && !cut(b"", 1).is_empty());
    }

    #[test]
    fn a_cut_form_shows_only_the_pairs_wholly_kept() {
        let mut request = request(Some("application/x-www-form-urlencoded"), b"");
        request.body = Body {
            kept: b"a=1&b=2&name=ja".to_vec(),
            length: 20,
        };
        let names: Vec<String> = request
            .form()
            .expect("a form")
            .into_iter()
            .map(|(name, _)| name.into_owned())
            .collect();
        assert_eq!(names, ["a", "b"]);
        request.body.kept = b"name=ja".to_vec();
        assert_eq!(request.form().expect("a form").into_iter().count(), 0);
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
