//! `application/x-www-form-urlencoded` pairs, decoded as they are read.
//!
//! A query (`/index.html?name=jack&age=18`) and the body of an HTML form (`name=jack&age=18`,
//! what `<form method=post>` and `curl -d` send) share one syntax, which the WHATWG URL
//! Standard calls `application/x-www-form-urlencoded`: pairs split on `&`, name from
//! value on the first `=`, `+` for a space, then percent-decoding. The
//! `form_urlencoded` crate implements it as an iterator that decodes one pair at a time.
//!
//! [`FormPairs`] keeps the raw bytes and hands that iterator out, as often as asked.
//! Nothing is decoded until the echo shows it, and nothing is copied unless decoding
//! changes a name or a value: `jack` comes out as a `Cow::Borrowed` of the raw bytes,
//! `a+b` or `%C3%A9` as a `Cow::Owned`. Collecting the pairs into `String`s instead
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
}

impl<'a> FormPairs<'a> {
    /// The pairs of `raw`, a query without its `?` or a form body. Nothing is parsed yet.
    pub fn new(raw: &'a [u8]) -> FormPairs<'a> {
        FormPairs { raw }
    }

    /// The pairs, decoded one at a time as the iterator is advanced.
    pub fn iter(&self) -> form_urlencoded::Parse<'a> {
        form_urlencoded::parse(self.raw)
    }

    /// Whether there is no pair: the raw text is empty or only `&`s, the pieces the
    /// parser skips. Decides without decoding anything.
    pub fn is_empty(&self) -> bool {
        self.raw.iter().all(|&b| b == b'&')
    }
}

impl<'a> IntoIterator for FormPairs<'a> {
    type Item = (Cow<'a, str>, Cow<'a, str>);
    type IntoIter = form_urlencoded::Parse<'a>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
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
    fn iterates_as_often_as_asked_and_debugs_as_a_list() {
        let pairs = FormPairs::new(b"a=1&a=2");
        assert_eq!(pairs.iter().count(), 2);
        assert_eq!(pairs.into_iter().count(), 2);
        assert_eq!(format!("{pairs:?}"), r#"[("a", "1"), ("a", "2")]"#);
    }
}
