//! The small pieces of HTTP's field grammar that several readers share (RFC 9110 §5.6).
//!
//! Framing reads `Connection`, `Expect`, `Content-Length` and `Transfer-Encoding`; the
//! Host policy reads `X-Forwarded-Host` and `Forwarded`; the echo reads `Accept`. They
//! all split lists and trim the same whitespace, so those rules live here, once:
//!
//! ```text
//! OWS     = *( SP / HTAB )                                    ; §5.6.3
//! token   = 1*tchar                                           ; §5.6.2
//! tchar   = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." /
//!           "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
//! #element = [ element ] *( OWS "," OWS [ element ] )         ; §5.6.1
//! quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE     ; §5.6.4
//! qdtext        = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text
//! quoted-pair   = "\" ( HTAB / SP / VCHAR / obs-text )
//! ```
//!
//! Everything works on bytes: a field value may hold any byte from 0x80 up, which need
//! not be UTF-8, and a reader must not turn it into text before it has checked it.
//!
//! Quoted strings appear in a chunk's extensions, which framing's decoder measures with
//! [`quoted_string_len`], and inside `Accept`'s elements (`text/html;x="a,b"`), where a
//! comma between quotes separates nothing: [`parts_outside_quotes`] splits past them.
//! `Forwarded`'s reader finds its quoted strings with [`quoted_string_end`], which says
//! what is wrong with a bad one.

use std::ops::Range;

/// Whether `b` is a `tchar`, one of the characters a token (a method, a field name, a
/// coding, a parameter name) is made of.
pub fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Whether `bytes` is a token: one or more `tchar`s.
pub fn is_token(bytes: &[u8]) -> bool {
    !bytes.is_empty() && bytes.iter().all(|&b| is_tchar(b))
}

/// Whether `b` is optional whitespace: SP or HTAB.
pub fn is_ows(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// `bytes` without optional whitespace at either end.
pub fn trim_ows(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|&b| !is_ows(b))
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|&b| !is_ows(b))
        .map_or(start, |i| i + 1);
    &bytes[start..end]
}

/// The length of the token at the start of `bytes`: 0 when there is none.
pub fn token_len(bytes: &[u8]) -> usize {
    bytes.iter().take_while(|&&b| is_tchar(b)).count()
}

/// `bytes` without the optional whitespace at its start.
pub fn skip_ows(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|&b| !is_ows(b))
        .unwrap_or(bytes.len());
    &bytes[start..]
}

/// The length of the quoted-string at the start of `bytes`, both quotes included, or
/// `None` if `bytes` does not start with a whole one (RFC 9110 §5.6.4): no closing
/// quote, or a byte no quoted-string may hold (a control byte other than HTAB, DEL).
pub fn quoted_string_len(bytes: &[u8]) -> Option<usize> {
    if bytes.first() != Some(&b'"') {
        return None;
    }
    quoted_string_end(bytes).ok()
}

/// Why the quoted-string at the start of a value is not one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QuotedStringError {
    /// The value ends before the closing quote.
    Unclosed,
    /// A `\` followed by nothing, or by a byte no quoted-pair may hold.
    BadEscape,
    /// A byte neither qdtext nor part of a quoted-pair: a control byte other than HTAB,
    /// or DEL.
    ControlByte,
}

/// [`quoted_string_len`] for a caller that says *why* a quoted-string is not one (the
/// `Forwarded` reader does): `bytes` starts at the opening quote, which is not looked
/// at again.
pub fn quoted_string_end(bytes: &[u8]) -> Result<usize, QuotedStringError> {
    // obs-text (0x80–0xFF) is allowed in both qdtext and a quoted-pair.
    let text = |b: u8| b == b'\t' || b == b' ' || (0x21..=0x7e).contains(&b) || b >= 0x80;
    let mut i = 1;
    loop {
        match *bytes.get(i).ok_or(QuotedStringError::Unclosed)? {
            b'"' => return Ok(i + 1),
            b'\\' if bytes.get(i + 1).is_some_and(|&b| text(b)) => i += 2,
            b'\\' => return Err(QuotedStringError::BadEscape),
            b if text(b) => i += 1,
            _ => return Err(QuotedStringError::ControlByte),
        }
    }
}

/// The elements of a comma-separated list value, each trimmed of OWS, empty ones kept.
///
/// RFC 9110 §5.6.1 asks a recipient to ignore empty elements in most lists, but not
/// every reader may: `Content-Length: 5,,5` is not a length. So the caller decides.
/// Commas inside quoted strings are not special here; a list whose elements may hold
/// quoted strings (`Accept`) is split with [`parts_outside_quotes`].
pub fn list_elements(value: &[u8]) -> impl Iterator<Item = &[u8]> {
    value.split(|&b| b == b',').map(trim_ows)
}

/// Whether any element of the list, on any of the given field lines, is `token`,
/// ignoring ASCII case: `Connection: keep-alive, Upgrade` has `upgrade`.
pub fn has_token<'a>(lines: impl IntoIterator<Item = &'a [u8]>, token: &[u8]) -> bool {
    lines
        .into_iter()
        .flat_map(list_elements)
        .any(|element| element.eq_ignore_ascii_case(token))
}

/// Where the parts of `bytes` are, split at every `separator` that is not inside a
/// quoted-string (RFC 9110 §5.6.4), so that `a;x="1,2", b` splits at the second comma
/// only. A backslash inside a quoted-string escapes the byte after it.
///
/// The parts come as ranges into `bytes`, one at a time: a caller on every request's
/// path (`Accept`) walks them once without collecting them, and slices whichever it
/// holds, the bytes or (the separator being ASCII, so every range starts and ends on a
/// character boundary) the text they were decoded to.
///
/// Always yields at least one part, the empty range for empty `bytes`. Each part is
/// scanned from a separator outside quotes, where nothing is quoted or escaped, so
/// the scan can start afresh there.
pub fn parts_outside_quotes(bytes: &[u8], separator: u8) -> impl Iterator<Item = Range<usize>> {
    let mut next = Some(0);
    std::iter::from_fn(move || {
        let start = next?;
        let (mut quoted, mut escaped) = (false, false);
        for (i, &b) in bytes.iter().enumerate().skip(start) {
            if escaped {
                escaped = false;
            } else if quoted && b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                quoted = !quoted;
            } else if b == separator && !quoted {
                next = Some(i + 1);
                return Some(start..i);
            }
        }
        next = None;
        Some(start..bytes.len())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_tchars_only() {
        for good in [&b"GET"[..], b"chunked", b"x-custom_1", b"!#$%&'*+-.^_`|~"] {
            assert!(is_token(good), "{good:?}");
        }
        for bad in [&b""[..], b"a b", b"a:b", b"(x)", b"\"q\"", b"a,b", b"\x7f"] {
            assert!(!is_token(bad), "{bad:?}");
        }
    }

    #[test]
    fn trims_only_spaces_and_tabs() {
        assert_eq!(trim_ows(b" \t a b \t "), b"a b");
        assert_eq!(trim_ows(b"   "), b"");
        assert_eq!(trim_ows(b""), b"");
        // A vertical tab is not OWS.
        assert_eq!(trim_ows(b"\x0ba\x0b"), b"\x0ba\x0b");
    }

    #[test]
    fn list_elements_are_trimmed_and_empty_ones_kept() {
        let elements: Vec<&[u8]> = list_elements(b" a ,b,, c\t").collect();
        assert_eq!(elements, [&b"a"[..], b"b", b"", b"c"]);
    }

    #[test]
    fn finds_a_token_in_any_line_ignoring_case() {
        let lines: [&[u8]; 2] = [b"Upgrade", b" foo , Keep-Alive "];
        assert!(has_token(lines, b"keep-alive"));
        assert!(!has_token(lines, b"close"));
        // A token inside another is not the token.
        assert!(!has_token([&b"closed"[..]], b"close"));
    }

    /// Every part [`parts_outside_quotes`] yields, sliced out of `bytes`.
    fn split_outside_quotes(bytes: &[u8], separator: u8) -> Vec<&[u8]> {
        parts_outside_quotes(bytes, separator)
            .map(|part| &bytes[part])
            .collect()
    }

    #[test]
    fn finds_a_whole_quoted_string_and_nothing_else() {
        let table: &[(&[u8], Option<usize>)] = &[
            (br#""""#, Some(2)),
            (br#""a b"rest"#, Some(5)),
            (br#""a\"b""#, Some(6)),
            (br#""a\\""#, Some(5)),
            (b"\"tab\there\"", Some(10)),
            (b"\"caf\xc3\xa9\"", Some(7)),
            (br#""open"#, None),
            (br#""a\"#, None),
            (b"\"a\x00b\"", None),
            (b"\"a\x7fb\"", None),
            (b"\"a\\\x00\"", None),
            (b"a", None),
            (b"", None),
        ];
        for &(bytes, want) in table {
            assert_eq!(
                quoted_string_len(bytes),
                want,
                "{:?}",
                bytes.escape_ascii().to_string()
            );
        }
    }

    #[test]
    fn splits_only_outside_quoted_strings() {
        assert_eq!(
            split_outside_quotes(br#"a;x="1,2", b"#, b','),
            [&br#"a;x="1,2""#[..], b" b"]
        );
        assert_eq!(
            split_outside_quotes(br#"a="q\",r", b"#, b','),
            [&br#"a="q\",r""#[..], b" b"]
        );
        assert_eq!(split_outside_quotes(b"", b','), [&b""[..]]);
    }
}
