//! Reading the host a reverse proxy forwards: `X-Forwarded-Host` and `Forwarded`.
//!
//! Behind a reverse proxy, `Host` names the proxy's hop to us (often `127.0.0.1:8090`)
//! and the host the *client* asked for travels in a forwarding header. Anyone can
//! send these headers, so the policy only reads them when told to
//! (`--use-x-forwarded-host`) and only from a trusted peer (`--trusted-proxies`); this
//! module only reads them.
//!
//! Each proxy on the way *appends* what it saw, so the last element is the one added
//! by the proxy nearest to us, the only one we can trust; earlier elements may be
//! whatever the client typed ("X-Forwarded-Host: evil.com" sent to the first proxy).
//! Both readers therefore read the **last element and nothing else**: the nearest
//! proxy's value, or none. When that element is empty, or (in `Forwarded`) carries no
//! `host=`, they never reach back to an earlier one, since that could be the client's:
//!
//! * `X-Forwarded-Host: example.com` followed by an empty `X-Forwarded-Host:` line is
//!   one list whose last element is empty (RFC 9110 §5.3 joins the lines with
//!   commas). The nearest proxy forwarded an empty host, and the policy refuses it,
//!   naming the header.
//! * `Forwarded: host=example.com, for=192.0.2.1`: the nearest proxy's element has no
//!   `host=`, so it did not forward a host, and the policy falls back to `Host`.
//!
//! RFC 9110 §5.6.1 lets a recipient ignore empty list elements; here that would let
//! a trailing `,` hand the decision to the element before it, so an empty last
//! element counts as the nearest proxy's (empty) value.
//!
//! * `X-Forwarded-Host` is a de-facto header: a comma-separated list of `host[:port]`
//!   values. Several field lines are one list (RFC 9110 §5.3).
//! * `Forwarded` (RFC 7239 §4) has a grammar, parsed here in full:
//!
//! ```text
//! Forwarded         = 1#forwarded-element
//! forwarded-element = [ forwarded-pair ] *( ";" [ forwarded-pair ] )
//! forwarded-pair    = token "=" value
//! value             = token / quoted-string
//! ```
//!
//!   Parameter names are case-insensitive, a parameter may appear once per element
//!   (§4), and because `:` and `[` are not token characters, `host="[::1]:8080"`
//!   must be quoted. hostecho allows optional whitespace around `;` as well as `,`
//!   (many proxies write `for=x; host=y`) but is otherwise strict: a `Forwarded` it
//!   cannot parse is refused rather than guessed at.

use std::borrow::Cow;

use crate::http::grammar::{QuotedStringError, is_ows, is_tchar, list_elements, quoted_string_end};

/// A `Forwarded` field line that does not follow RFC 7239 §4.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ForwardedError<'a> {
    /// The offending field line, raw.
    pub line: &'a [u8],
    /// What is wrong with it.
    pub reason: &'static str,
}

/// The forwarding headers the echo shows, whether or not the policy reads them: the
/// host ones the policy honours from a trusted proxy, and the others a proxy adds
/// (the client's address, scheme and port, and the hops it went through), which
/// hostecho only shows.
pub const FORWARDING_HEADERS: &[&str] = &[
    "X-Forwarded-Host",
    "Forwarded",
    "X-Forwarded-For",
    "X-Forwarded-Proto",
    "X-Forwarded-Port",
    "X-Real-IP",
    "Via",
];

/// Whether a header is one of the [`FORWARDING_HEADERS`].
pub fn is_forwarding_header(name: &str) -> bool {
    FORWARDING_HEADERS
        .iter()
        .any(|h| h.eq_ignore_ascii_case(name))
}

/// The last element of the `X-Forwarded-Host` field lines, read as one list, trimmed:
/// the nearest proxy's value.
///
/// `None` when there are no lines. `Some(b"")` when the last element is empty (an
/// empty last line, a trailing comma): the nearest proxy sent nothing, and the policy
/// refuses that rather than use an earlier element or fall back to `Host`.
pub fn last_x_forwarded_host<'a>(lines: impl IntoIterator<Item = &'a [u8]>) -> Option<&'a [u8]> {
    lines
        .into_iter()
        .last()
        .map(|line| list_elements(line).last().unwrap_or_default())
}

/// The `host=` of the last element across the `Forwarded` field lines, unquoted:
/// the nearest proxy's. `Ok(None)` when that element has no `host=` (e.g. only
/// `for=`), or is empty: that proxy forwarded no host. Every line is parsed, so a
/// malformed earlier line is still refused.
pub fn last_forwarded_host<'a>(
    lines: impl IntoIterator<Item = &'a [u8]>,
) -> Result<Option<Cow<'a, [u8]>>, ForwardedError<'a>> {
    let mut last = None;
    for line in lines {
        last = host_in_line(line).map_err(|reason| ForwardedError { line, reason })?;
    }
    Ok(last)
}

/// A cursor over one field line.
struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn bump(&mut self) -> Option<u8> {
        let b = self.peek();
        if b.is_some() {
            self.at += 1;
        }
        b
    }

    /// OWS = *( SP / HTAB )
    fn skip_ows(&mut self) {
        while self.peek().is_some_and(is_ows) {
            self.at += 1;
        }
    }

    /// `token = 1*tchar`; `None` if there is not at least one tchar here.
    fn token(&mut self) -> Option<&'a [u8]> {
        let start = self.at;
        while self.peek().is_some_and(is_tchar) {
            self.at += 1;
        }
        (self.at > start).then(|| &self.bytes[start..self.at])
    }

    /// `quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE` (RFC 9110 §5.6.4),
    /// starting at the opening quote, found by the shared grammar
    /// ([`quoted_string_end`]). Returns the unescaped content, borrowed unless it held
    /// a `\`.
    fn quoted_string(&mut self) -> Result<Cow<'a, [u8]>, &'static str> {
        let rest = &self.bytes[self.at..];
        let end = quoted_string_end(rest).map_err(|e| match e {
            QuotedStringError::Unclosed => "a quoted string is not closed",
            QuotedStringError::BadEscape => "a quoted string has a bad escape",
            QuotedStringError::ControlByte => "a quoted string holds a control byte",
        })?;
        self.at += end;
        // Between the quotes: `end` is past the closing one, at least 2.
        let inner = &rest[1..end - 1];
        if !inner.contains(&b'\\') {
            return Ok(Cow::Borrowed(inner));
        }
        // Every `\` here begins a quoted-pair (the grammar checked it): keep the byte
        // after it.
        let mut unescaped = Vec::with_capacity(inner.len());
        let mut bytes = inner.iter();
        while let Some(&b) = bytes.next() {
            match b {
                b'\\' => unescaped.extend(bytes.next()),
                _ => unescaped.push(b),
            }
        }
        Ok(Cow::Owned(unescaped))
    }
}

/// The `host=` of the last element of one field line, after checking the whole line.
fn host_in_line(line: &[u8]) -> Result<Option<Cow<'_, [u8]>>, &'static str> {
    let mut cur = Cursor { bytes: line, at: 0 };
    // The host= of the element being read; a ',' starts a new element without one.
    let mut last = None;
    // Whether the current element already had a host= (RFC 7239 §4: "Each parameter
    // MUST NOT occur more than once per forwarded-element").
    let mut host_in_element = false;
    loop {
        cur.skip_ows();
        match cur.peek() {
            None => return Ok(last),
            // Empty pair (`;;`) or empty list element (`,,`): both allowed.
            Some(b';') => {
                cur.bump();
                continue;
            }
            Some(b',') => {
                cur.bump();
                host_in_element = false;
                last = None;
                continue;
            }
            Some(_) => {}
        }
        let name = cur.token().ok_or("a parameter name is not a token")?;
        if cur.bump() != Some(b'=') {
            return Err("a parameter has no '=' right after its name");
        }
        let value = if cur.peek() == Some(b'"') {
            cur.quoted_string()?
        } else {
            Cow::Borrowed(
                cur.token()
                    .ok_or("a value is neither a token nor a quoted string")?,
            )
        };
        if name.eq_ignore_ascii_case(b"host") {
            if host_in_element {
                return Err("host= appears twice in one element");
            }
            host_in_element = true;
            last = Some(value);
        }
        cur.skip_ows();
        match cur.bump() {
            None => return Ok(last),
            Some(b';') => {}
            Some(b',') => {
                host_in_element = false;
                last = None;
            }
            Some(_) => {
                return Err(
                    "a value holds a character that must be quoted (such as ':' or '['), \
                            or a ';' or ',' is missing",
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Field lines, and the host they should yield.
    type Case = (&'static [&'static [u8]], Option<&'static [u8]>);

    #[test]
    fn x_forwarded_host_takes_the_last_element_of_the_last_line() {
        let table: &[Case] = &[
            (&[], None),
            (&[b"example.com"], Some(b"example.com")),
            (&[b"a.com, b.com"], Some(b"b.com")),
            (&[b"a.com,b.com ,  c.com:8080 "], Some(b"c.com:8080")),
            (&[b"a.com", b"b.com"], Some(b"b.com")),
            (&[b"a.com, b.com", b"c.com, d.com"], Some(b"d.com")),
            (&[b", ,a.com"], Some(b"a.com")),
            // The nearest proxy's element is empty: reported as empty, never replaced
            // by an earlier element, which the client may have written.
            (&[b"a.com, "], Some(b"")),
            (&[b"a.com", b""], Some(b"")),
            (&[b", ,a.com,,"], Some(b"")),
            (&[b""], Some(b"")),
            (&[b" , "], Some(b"")),
        ];
        for &(lines, want) in table {
            assert_eq!(
                last_x_forwarded_host(lines.iter().copied()),
                want,
                "{lines:?}"
            );
        }
    }

    fn forwarded(lines: &[&'static [u8]]) -> Result<Option<Vec<u8>>, &'static str> {
        last_forwarded_host(lines.iter().copied())
            .map(|v| v.map(Cow::into_owned))
            .map_err(|e| e.reason)
    }

    #[test]
    fn forwarded_host_parses_rfc_7239_elements() {
        let table: &[Case] = &[
            (&[b"host=example.com"], Some(b"example.com")),
            (&[b"HOST=example.com"], Some(b"example.com")),
            (&[b"for=192.0.2.60;proto=http;by=203.0.113.43"], None),
            (&[b"for=192.0.2.43, for=198.51.100.17;by=203.0.113.60;proto=http;host=example.com"], Some(b"example.com")),
            (&[b"host=a.com, host=b.com"], Some(b"b.com")),
            // The nearest proxy's element has no host=: it forwarded none, and an
            // earlier element (perhaps the client's) does not count.
            (&[b"host=a.com, for=x"], None),
            (&[b"host=a.com", b"host=b.com"], Some(b"b.com")),
            (&[b"host=a.com", b"for=x"], None),
            (&[b"host=a.com", b""], None),
            (&[b"host=a.com,"], None),
            (&[b"host=\"[::1]:8080\""], Some(b"[::1]:8080")),
            (&[b"host=\"example.com:8080\";proto=https"], Some(b"example.com:8080")),
            (&[b"host=\"a\\\"b\""], Some(b"a\"b")),
            (&[b"host=\"ex\\ample.com\""], Some(b"example.com")),
            // An escaped backslash is one backslash, and escapes nothing after it.
            (&[b"host=\"a\\\\b\""], Some(b"a\\b")),
            (&[b"host=\"\\\\\""], Some(b"\\")),
            (&[b"for=x; host=example.com ; proto=http"], Some(b"example.com")),
            (&[b"for=\"a,b;host=evil.com\";host=good.com"], Some(b"good.com")),
            (&[b"for=x;;host=a.com;"], Some(b"a.com")),
            (&[b",,host=a.com"], Some(b"a.com")),
            (&[b",,host=a.com,,"], None),
            (&[b""], None),
        ];
        for &(lines, want) in table {
            assert_eq!(forwarded(lines), Ok(want.map(<[u8]>::to_vec)), "{lines:?}");
        }
    }

    #[test]
    fn forwarded_refuses_what_rfc_7239_does_not_allow() {
        let table: &[&[u8]] = &[
            b"host",
            b"host example.com",
            b"host =example.com",
            b"host= example.com",
            b"=example.com",
            b"host=example.com:8080",
            b"host=[::1]",
            b"host=\"unterminated",
            b"host=\"bad\x01byte\"",
            b"host=\"bad escape\\\x01\"",
            b"host=a.com;host=b.com",
            b"host=a.com;HOST=b.com",
            b"host=a.com b.com",
            b"host=\"a.com\"x",
        ];
        for &line in table {
            assert!(
                forwarded(&[line]).is_err(),
                "{:?}",
                String::from_utf8_lossy(line)
            );
        }
    }

    #[test]
    fn a_bad_quoted_string_says_what_is_wrong_with_it() {
        let table: &[(&[u8], &str)] = &[
            (b"host=\"unterminated", "a quoted string is not closed"),
            (b"host=\"a\\", "a quoted string has a bad escape"),
            (
                b"host=\"bad escape\\\x01\"",
                "a quoted string has a bad escape",
            ),
            (
                b"host=\"bad\x01byte\"",
                "a quoted string holds a control byte",
            ),
            (
                b"host=\"bad\x7fbyte\"",
                "a quoted string holds a control byte",
            ),
        ];
        for &(line, reason) in table {
            let err = last_forwarded_host([line]).unwrap_err();
            assert_eq!(err.reason, reason, "{:?}", line.escape_ascii().to_string());
        }
    }

    #[test]
    fn forwarded_error_names_the_offending_line() {
        let lines: [&[u8]; 2] = [b"host=a.com", b"host=a.com;host=b.com"];
        let err = last_forwarded_host(lines).unwrap_err();
        assert_eq!(err.line, lines[1]);
        assert_eq!(err.reason, "host= appears twice in one element");
    }
}
