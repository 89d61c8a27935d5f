//! `application/x-www-form-urlencoded` pairs, decoded as they are read.
//!
//! A query (`/index.html?name=jack&age=18`) and the body of an HTML form (`name=jack&age=18`,
//! what `<form method=post>` and `curl -d` send) share one syntax, which the WHATWG URL
//! Standard calls `application/x-www-form-urlencoded`: pairs split on `&`, name from
//! value on the first `=`, `+` for a space, then percent-decoding. The
//! `form_urlencoded` crate implements it as an iterator that decodes one pair at a time.
//!
//! [`FormPairs`] keeps the raw bytes and hands out an iterator, as often as asked.
//! Nothing is decoded until the echo shows it, and nothing is copied unless decoding
//! changes a name or a value: `jack` comes out as a `Cow::Borrowed` of the raw bytes,
//! `a+b` or `%C3%A9` as a `Cow::Owned`. A pair with nothing to decode is split off
//! by hand; the crate decodes the others ([`Pairs`] says why). Collecting the pairs into `String`s instead
//! cost five allocations for `?name=jack&age=18`, on every request that has a query.

use std::borrow::Cow;
use std::fmt;

/// The `(name, value)` pairs of a query or a form body, decoded on each iteration, in
/// order, duplicates kept.
///
/// The reading is the one HTML forms use: a name without `=` has an empty value, empty
/// pieces (`a=1&&b=2`) are skipped, and bytes that do not decode to UTF-8 become U+FFFD.
/// Which of two pairs with one name "wins" is an application's choice, not the
/// parser's, so both are kept.
///
/// ```
/// use hostecho::http::form::FormPairs;
///
/// let pairs: Vec<_> = FormPairs::new(b"name=jack&q=a+b%26c&flag").iter().collect();
/// assert_eq!(pairs, [("name".into(), "jack".into()), ("q".into(), "a b&c".into()), ("flag".into(), "".into())]);
/// ```
#[derive(Clone, Copy, Default)]
pub struct FormPairs<'a> {
    raw: &'a [u8],
    /// `raw` as text, when it is UTF-8: the pairs that need no decoding are then
    /// borrowed from it as they are (see [`Pairs`]).
    text: Option<&'a str>,
}

impl<'a> FormPairs<'a> {
    /// The pairs of `raw`, a query without its `?` or a form body. Nothing is parsed
    /// yet; `raw` is only checked to be UTF-8.
    pub fn new(raw: &'a [u8]) -> FormPairs<'a> {
        FormPairs {
            raw,
            text: std::str::from_utf8(raw).ok(),
        }
    }

    /// The pairs of a query that is already text (a request target is), without
    /// checking it again.
    pub fn from_text(text: &'a str) -> FormPairs<'a> {
        FormPairs {
            raw: text.as_bytes(),
            text: Some(text),
        }
    }

    /// The pairs, decoded one at a time as the iterator is advanced.
    pub fn iter(&self) -> Pairs<'a> {
        match self.text {
            Some(text) => Pairs(Inner::Text(text)),
            None => Pairs(Inner::Bytes(form_urlencoded::parse(self.raw))),
        }
    }

    /// Whether there is no pair: the raw text is empty or only `&`s, the pieces the
    /// parser skips. Decides without decoding anything.
    pub fn is_empty(&self) -> bool {
        self.raw.iter().all(|&b| b == b'&')
    }
}

impl<'a> IntoIterator for FormPairs<'a> {
    type Item = (Cow<'a, str>, Cow<'a, str>);
    type IntoIter = Pairs<'a>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// The iterator of [`FormPairs::iter`]: `(name, value)`, decoded.
///
/// Most pairs need no decoding: `name=jack` holds no `+` and no `%`, so its name and
/// value are the text itself. Those are split off here in one pass over their bytes,
/// and borrowed; a pair that does hold `+` or `%` is handed, alone, to the
/// `form_urlencoded` crate, which decodes it. (The crate looks for `&`, `=`, `+` and
/// `%` in a pass each, and checks the UTF-8 of what it borrows, though a query came
/// from a `&str`: the text echo's `query:` lines for curl's `?name=jack&age=18` took
/// 1,703 instructions through it, 914 split here, by callgrind's count.) Text that is
/// not UTF-8, which only a form body can be, goes through the crate whole.
#[derive(Clone)]
pub struct Pairs<'a>(Inner<'a>);

#[derive(Clone)]
enum Inner<'a> {
    /// The pairs not yet read, as text.
    Text(&'a str),
    /// A body that is not UTF-8: the crate's parser, for its U+FFFD replacements.
    Bytes(form_urlencoded::Parse<'a>),
}

impl<'a> Iterator for Pairs<'a> {
    type Item = (Cow<'a, str>, Cow<'a, str>);

    fn next(&mut self) -> Option<Self::Item> {
        let rest = match &mut self.0 {
            Inner::Text(rest) => rest,
            Inner::Bytes(parse) => return parse.next(),
        };
        while !rest.is_empty() {
            // One pass to the end of the pair, the next `&`, noting its first `=` and
            // whether it holds anything to decode.
            let (mut end, mut equals, mut encoded) = (rest.len(), None, false);
            for (i, byte) in rest.bytes().enumerate() {
                match byte {
                    b'&' => {
                        end = i;
                        break;
                    }
                    b'=' if equals.is_none() => equals = Some(i),
                    b'+' | b'%' => encoded = true,
                    _ => {}
                }
            }
            // `&` and `=` are ASCII, so both places are character boundaries.
            let (pair, after) = rest.split_at(end);
            *rest = after.get(1..).unwrap_or_default();
            if pair.is_empty() {
                // `a=1&&b=2`: an empty piece is skipped.
                continue;
            }
            if encoded {
                // A pair holds no `&`, so the crate reads it as exactly one pair.
                return form_urlencoded::parse(pair.as_bytes()).next();
            }
            // `=` is ASCII, so where it is, is a character boundary too.
            let (name, value) = match equals.and_then(|at| pair.split_at_checked(at)) {
                Some((name, value)) => (name, value.get(1..).unwrap_or_default()),
                None => (pair, ""),
            };
            return Some((Cow::Borrowed(name), Cow::Borrowed(value)));
        }
        None
    }
}

/// The decoded pairs, as a list: what a test failure or a `dbg!` wants to see.
impl fmt::Debug for FormPairs<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_empty_exactly_when_the_parser_yields_nothing() {
        for raw in [
            &b""[..],
            b"&",
            b"&&&",
            b"a",
            b"=",
            b"&=&",
            b"a=1",
            b"&a",
            b"+",
        ] {
            let pairs = FormPairs::new(raw);
            assert_eq!(
                pairs.is_empty(),
                pairs.iter().next().is_none(),
                "{:?}",
                raw.escape_ascii().to_string()
            );
        }
    }

    #[test]
    fn borrows_what_needs_no_decoding() {
        let pairs: Vec<_> = FormPairs::new(b"name=jack&q=a+b").iter().collect();
        assert!(matches!(
            pairs[0],
            (Cow::Borrowed("name"), Cow::Borrowed("jack"))
        ));
        assert!(matches!(pairs[1], (Cow::Borrowed("q"), Cow::Owned(ref v)) if v == "a b"));
    }

    #[test]
    fn decodes_as_the_form_urlencoded_crate_does() {
        let table: &[&[u8]] = &[
            b"",
            b"&",
            b"name=jack&age=18",
            b"a=1&&b=2&",
            b"flag&x=&=y&=",
            b"a=b=c&d==e",
            b"q=a+b%26c&%C3%A9=%FF&plus+name=1",
            b"caf%e9=%zz&%&+=+",
            b"\xff=1&a=\xc3",
            b"\xc3\xa9t\xc3\xa9=summer&\xe2\x9c\x93",
        ];
        for &raw in table {
            let ours: Vec<_> = FormPairs::new(raw).iter().collect();
            let crates: Vec<_> = form_urlencoded::parse(raw).collect();
            assert_eq!(ours, crates, "{:?}", raw.escape_ascii().to_string());
        }
    }

    #[test]
    fn iterates_as_often_as_asked_and_debugs_as_a_list() {
        let pairs = FormPairs::new(b"a=1&a=2");
        assert_eq!(pairs.iter().count(), 2);
        assert_eq!(pairs.into_iter().count(), 2);
        assert_eq!(format!("{pairs:?}"), r#"[("a", "1"), ("a", "2")]"#);
    }
}
