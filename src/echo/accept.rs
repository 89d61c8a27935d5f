//! Content negotiation: reading `Accept` and choosing the echo's [`Format`].
//!
//! RFC 9110 §12.5.1 defines the header as a comma-separated list of media ranges, each
//! optionally weighted with a `q` parameter:
//!
//! ```text
//! Accept     = #( media-range [ weight ] )
//! media-range = ( "*/*" / ( type "/" "*" ) / ( type "/" subtype ) ) parameters
//! weight     = OWS ";" OWS "q=" qvalue
//! qvalue     = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )
//! ```
//!
//! A client may split the list over several `Accept` field lines; a recipient may combine
//! them into one comma-separated list (RFC 9110 §5.3), which is what [`negotiate`] does.
//!
//! # How the choice is made
//!
//! 1. Each candidate — `text/plain`, `application/json`, `text/html` — gets the q of the
//!    **most specific** range that matches it: `text/html` overrides `text/*`, which
//!    overrides `*/*`. So `*/*, text/plain;q=0` accepts everything except text.
//! 2. The candidate with the highest q wins. `q=0` means "not acceptable".
//! 3. At equal q, a type the client **named** beats one it only reached through a wildcard.
//!    RFC 9110 leaves ties to the server; this rule is ours. It is why Internet Explorer's
//!    `text/html, application/xhtml+xml, */*` gets HTML although `*/*` gives text/plain
//!    the same q of 1.
//! 4. Still tied: the server's preference, text first — so curl's `*/*` gets text.
//! 5. Nothing acceptable (`image/png` only, `*/*;q=0`), no `Accept` at all, or nothing
//!    parseable: text. RFC 9110 §12.5.1 allows either a 406 or "disregarding the header";
//!    an echo server that refuses to echo teaches nothing, so hostecho disregards it.
//!
//! # Leniency, decided
//!
//! - A range with a malformed `q` (`q=2`, `q=0.1234`, `q=high`) is **skipped**, not read as
//!   `q=1`: a value we cannot understand must not make its range win.
//! - A range that is not `type/subtype` made of token characters, or that has a parameter
//!   without `=`, is skipped; the rest of the list still counts. Bytes that are not UTF-8
//!   cannot form a token, so they only spoil the range they sit in.
//! - Types and the `q` name are compared case-insensitively (RFC 9110 §8.3.1, §12.4.2).
//! - Parameters other than `q` (`charset=utf-8`, `level=1`) are ignored: none of our three
//!   candidates has a variant they could select. Quoted strings in them may hold `,` or
//!   `;`, so the list is split only outside quotes.
//! - Weights are kept as whole thousandths (0–1000): the grammar allows three decimals at
//!   most, so integers hold every legal q exactly and compare without float surprises.

use super::Format;
use crate::http::grammar;
use crate::http::request::text_lossy;

/// The candidates, in the server's order of preference for ties.
const CANDIDATES: [(Format, &str, &str); 3] = [
    (Format::Text, "text", "plain"),
    (Format::Json, "application", "json"),
    (Format::Html, "text", "html"),
];

/// How precisely a media range names a type. Declared least specific first, so the derived
/// ordering says "more specific is greater".
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Specificity {
    /// `*/*`
    Any,
    /// `type/*`
    AnySubtype,
    /// `type/subtype`
    Exact,
}

/// One media range from the list, with its weight in thousandths.
///
/// Its type and subtype are borrowed from the field value as sent, and compared
/// ignoring ASCII case, rather than lowercased into `String`s of their own: a browser's
/// `Accept` has eight ranges, and negotiating happens on every request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct MediaRange<'a> {
    kind: &'a str,
    subtype: &'a str,
    q: u16,
}

impl MediaRange<'_> {
    /// How specifically this range matches `kind/subtype` (lowercase), or `None` if it
    /// does not.
    fn matches(&self, kind: &str, subtype: &str) -> Option<Specificity> {
        if (self.kind, self.subtype) == ("*", "*") {
            Some(Specificity::Any)
        } else if !self.kind.eq_ignore_ascii_case(kind) {
            None
        } else if self.subtype == "*" {
            Some(Specificity::AnySubtype)
        } else if self.subtype.eq_ignore_ascii_case(subtype) {
            Some(Specificity::Exact)
        } else {
            None
        }
    }
}

/// Chooses the format from the `Accept` values (every field line, in order).
///
/// Never fails: whatever the client sent, some format is chosen, text when in doubt. See
/// the module documentation for the rules.
///
/// ```
/// use hostecho::echo::{Format, accept::negotiate};
///
/// // What curl sends, and what a browser sends.
/// assert_eq!(negotiate([&b"*/*"[..]].into_iter()), Format::Text);
/// let firefox = b"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
/// assert_eq!(negotiate([&firefox[..]].into_iter()), Format::Html);
/// // No Accept header at all.
/// assert_eq!(negotiate(std::iter::empty()), Format::Text);
/// ```
pub fn negotiate<'a>(mut accept: impl Iterator<Item = &'a [u8]>) -> Format {
    // `Accept: */*` alone is what curl, wget and wrk send, and so most requests: it
    // gives every candidate the same q of 1 through a wildcard, and the tie goes to
    // text (rule 4). Answered here without parsing, it is the same answer `weigh`
    // gives (a test says so): `negotiate` took 949 instructions for curl's request,
    // and takes 338, by callgrind's count, most of them finding the `Accept` line
    // among the fields.
    let first = accept.next();
    let second = accept.next();
    if first == Some(&b"*/*"[..]) && second.is_none() {
        return Format::Text;
    }
    weigh(first.into_iter().chain(second).chain(accept))
}

/// [`negotiate`]'s rules, for any list of `Accept` values.
fn weigh<'a>(accept: impl Iterator<Item = &'a [u8]>) -> Format {
    // Each candidate's weight: the q of the most specific range that matches it, and
    // that specificity; `None` while no range matches. Ranges are weighed as they are
    // parsed, so none is kept. Two ranges of the same specificity can both match
    // (`text/html;level=1;q=0.2, text/html`), because we ignore parameters other than
    // q; then the higher q counts, which is what taking the maximum of
    // (specificity, q) gives.
    let mut weights: [Option<(Specificity, u16)>; CANDIDATES.len()] = [None; CANDIDATES.len()];
    for value in accept {
        // Lossy is safe here: a U+FFFD is not a token character, so a non-UTF-8 byte can
        // only make the range around it malformed, never make a range match. (It only
        // allocates when there is such a byte.)
        let value = text_lossy(value);
        for range in parts_outside_quotes(&value, b',').filter_map(parse_media_range) {
            for (weight, (_, kind, subtype)) in weights.iter_mut().zip(CANDIDATES) {
                if let Some(specificity) = range.matches(kind, subtype) {
                    *weight = (*weight).max(Some((specificity, range.q)));
                }
            }
        }
    }

    // The best so far, compared as (q, specificity). Candidates are visited in preference
    // order and only a strictly better one replaces the best, which implements the tie
    // rules 3 and 4 from the module docs.
    let mut best: Option<(u16, Specificity, Format)> = None;
    for ((format, _, _), weight) in CANDIDATES.into_iter().zip(weights) {
        let Some((specificity, q)) = weight else {
            continue;
        };
        if q == 0 {
            continue;
        }
        if best.is_none_or(|(best_q, best_s, _)| (q, specificity) > (best_q, best_s)) {
            best = Some((q, specificity, format));
        }
    }
    best.map_or(Format::Text, |(_, _, format)| format)
}

/// Parses one list element, `type/subtype *( OWS ";" OWS parameter )`; `None` when it
/// is malformed, which drops it.
fn parse_media_range(element: &str) -> Option<MediaRange<'_>> {
    let mut parts = parts_outside_quotes(element, b';');
    // `parts_outside_quotes` always yields at least one part, even from an empty string.
    let media_type = parts.next()?.trim_matches(is_ows);
    let (kind, subtype) = media_type.split_once('/')?;
    if !is_token(kind) || !is_token(subtype) || (kind == "*" && subtype != "*") {
        return None;
    }

    let mut q = 1000;
    for parameter in parts {
        let parameter = parameter.trim_matches(is_ows);
        // `parameters = *( OWS ";" OWS [ parameter ] )`: an empty one, as in
        // `text/html;`, is allowed and means nothing.
        if parameter.is_empty() {
            continue;
        }
        let (name, value) = parameter.split_once('=')?;
        if name.eq_ignore_ascii_case("q") {
            q = parse_qvalue(value)?;
        }
    }
    Some(MediaRange { kind, subtype, q })
}

/// Parses a qvalue (RFC 9110 §12.4.2) into thousandths: `"0.8"` → 800, `"1"` → 1000.
/// Anything outside the grammar — `"1.5"`, `".5"`, `"0.1234"`, `"\"0.5\""` — is `None`.
fn parse_qvalue(text: &str) -> Option<u16> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // Pad the fraction to three digits: "8" is 800 thousandths, "08" is 80.
    let thousandths = fraction
        .bytes()
        .chain(std::iter::repeat(b'0'))
        .take(3)
        .fold(0u16, |acc, digit| acc * 10 + u16::from(digit - b'0'));
    match whole {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

/// Splits `text` at every `separator` outside a quoted-string, with the shared rule in
/// [`grammar::parts_outside_quotes`]. The separators are ASCII, so every part begins and
/// ends on a character boundary and is sliced out of `text` as it is.
fn parts_outside_quotes(text: &str, separator: u8) -> impl Iterator<Item = &str> {
    grammar::parts_outside_quotes(text.as_bytes(), separator).map(move |part| &text[part])
}

/// Optional whitespace, `OWS = *( SP / HTAB )` (RFC 9110 §5.6.3).
fn is_ows(c: char) -> bool {
    c.is_ascii() && grammar::is_ows(c as u8)
}

/// Whether `text` is a token: one or more tchars (RFC 9110 §5.6.2).
fn is_token(text: &str) -> bool {
    grammar::is_token(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every part [`parts_outside_quotes`] yields, collected.
    fn split_outside_quotes(text: &str, separator: u8) -> Vec<&str> {
        parts_outside_quotes(text, separator).collect()
    }

    /// Negotiates from field lines given as byte strings.
    fn choose(lines: &[&[u8]]) -> Format {
        negotiate(lines.iter().copied())
    }

    #[test]
    fn star_slash_star_alone_is_answered_as_the_rules_answer_it() {
        let lines: &[&[u8]] = &[b"*/*"];
        assert_eq!(choose(lines), weigh(lines.iter().copied()));
        assert_eq!(choose(lines), Format::Text);
        // Not alone, or not exactly `*/*`: the rules decide.
        assert_eq!(choose(&[b"*/*", b"text/html"]), Format::Html);
        assert_eq!(choose(&[b"*/*", b"text/plain;q=0"]), Format::Json);
        assert_eq!(choose(&[b"*/*;q=0", b"application/json"]), Format::Json);
        assert_eq!(choose(&[b"*/* ", b"text/plain;q=0"]), Format::Json);
    }

    #[test]
    fn chooses_the_format_real_clients_expect() {
        use Format::*;
        let table: &[(&str, &[&[u8]], Format)] = &[
            ("no Accept at all", &[], Text),
            ("curl", &[b"*/*"], Text),
            (
                "Chrome",
                &[b"text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7"],
                Html,
            ),
            (
                "Firefox",
                &[b"text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"],
                Html,
            ),
            (
                "Safari",
                &[b"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"],
                Html,
            ),
            ("Internet Explorer 11", &[b"text/html, application/xhtml+xml, */*"], Html),
            ("a script asking for JSON", &[b"application/json"], Json),
            ("HTTPie", &[b"application/json, */*;q=0.5"], Json),
            (
                // Both named at q=1: the server's preference decides, and RFC 9110 gives
                // list order no meaning.
                "axios",
                &[b"application/json, text/plain, */*"],
                Text,
            ),
            ("highest q wins", &[b"application/json;q=0.5, text/html;q=0.9"], Html),
            ("text/* ties plain and html: plain", &[b"text/*"], Text),
            ("text/plain itself", &[b"text/plain"], Text),
            ("text/html itself", &[b"text/html"], Html),
            ("application/*", &[b"application/*"], Json),
            (
                "named beats wildcard at equal q",
                &[b"*/*;q=0.1, text/html;q=0.1"],
                Html,
            ),
        ];
        for (name, lines, expected) in table {
            assert_eq!(choose(lines), *expected, "{name}");
        }
    }

    #[test]
    fn falls_back_to_text_when_nothing_is_acceptable() {
        let table: &[(&str, &[&[u8]])] = &[
            ("everything refused", &[b"*/*;q=0"]),
            ("only an image", &[b"image/png"]),
            (
                "every candidate refused",
                &[b"text/*;q=0, application/json;q=0"],
            ),
            ("empty value", &[b""]),
            ("only commas", &[b" , ,, "]),
            ("garbage", &[b"\x00\x01garbage;;=="]),
            ("not UTF-8", &[b"\xff\xfe/\xfd"]),
        ];
        for (name, lines) in table {
            assert_eq!(choose(lines), Format::Text, "{name}");
        }
    }

    #[test]
    fn more_specific_range_overrides_less_specific() {
        use Format::*;
        let table: &[(&[u8], Format)] = &[
            // text/plain's own q=0 beats the */* that would accept it.
            (b"*/*, text/plain;q=0", Json),
            // text/html's own q beats text/*'s, in either order.
            (b"text/*;q=0.1, text/html;q=0.9", Html),
            (b"text/html;q=0.9, text/*;q=0.1", Html),
            (b"text/*;q=0.9, text/html;q=0.1", Text),
            // application/json reached only through */*.
            (b"text/*;q=0.2, */*;q=0.5", Json),
        ];
        for (accept, expected) in table {
            assert_eq!(
                choose(&[accept]),
                *expected,
                "{}",
                String::from_utf8_lossy(accept)
            );
        }
    }

    #[test]
    fn combines_several_accept_lines_into_one_list() {
        assert_eq!(
            choose(&[b"text/plain;q=0.1", b"application/json"]),
            Format::Json
        );
        assert_eq!(choose(&[b"image/png", b"text/html"]), Format::Html);
        // A garbage line does not spoil the good one.
        assert_eq!(choose(&[b"\xff\xff", b"application/json"]), Format::Json);
    }

    #[test]
    fn ignores_case_and_optional_whitespace() {
        use Format::*;
        let table: &[(&[u8], Format)] = &[
            (b"Application/JSON", Json),
            (b"TEXT/HTML", Html),
            (b"application/json;Q=0.5, text/html;Q=0.4", Json),
            (b"  application/json  ", Json),
            (b"text/plain ; q=0.1 ,\tapplication/json\t;\tq=0.2", Json),
            (b"text/plain;q=0.1,application/json;q=0.2", Json),
        ];
        for (accept, expected) in table {
            assert_eq!(
                choose(&[accept]),
                *expected,
                "{}",
                String::from_utf8_lossy(accept)
            );
        }
    }

    #[test]
    fn skips_ranges_with_a_malformed_q() {
        use Format::*;
        let table: &[(&[u8], Format)] = &[
            // Were a malformed q read as 1, html would win each of these.
            (b"application/json;q=0.5, text/html;q=2", Json),
            (b"application/json;q=0.5, text/html;q=0.1234", Json),
            (b"application/json;q=0.5, text/html;q=high", Json),
            (b"application/json;q=0.5, text/html;q=", Json),
            (b"application/json;q=0.5, text/html;q=\"1\"", Json),
            (b"application/json;q=0.5, text/html;q", Json),
        ];
        for (accept, expected) in table {
            assert_eq!(
                choose(&[accept]),
                *expected,
                "{}",
                String::from_utf8_lossy(accept)
            );
        }
    }

    #[test]
    fn skips_ranges_that_are_not_type_slash_subtype() {
        use Format::*;
        let table: &[(&[u8], Format)] = &[
            (b"json, text/html;q=0.1", Html),
            (b"*/json, text/html;q=0.1", Html),
            (b"application/, text/html;q=0.1", Html),
            (b"/json, text/html;q=0.1", Html),
            (b"application/json/x, text/html;q=0.1", Html),
            (b"app lication/json, text/html;q=0.1", Html),
            (b"application/json;flag, text/html;q=0.1", Html),
        ];
        for (accept, expected) in table {
            assert_eq!(
                choose(&[accept]),
                *expected,
                "{}",
                String::from_utf8_lossy(accept)
            );
        }
    }

    /// The parser drops a range whose type or subtype is not a token. Through
    /// [`negotiate`], keeping one would change no answer (a type that is not a token
    /// never equals a candidate's, nor `*`), so the rule is checked where it is made.
    #[test]
    fn parses_a_range_only_when_type_and_subtype_are_tokens() {
        for element in [
            "application/",
            "/json",
            "app lication/json",
            "text/ht ml",
            "text/html\u{b}",
            "text/\u{fffd}",
            "*/json",
        ] {
            assert_eq!(parse_media_range(element), None, "{element:?}");
        }
        assert_eq!(
            parse_media_range(" Text/HTML ;level=1; q=0.5"),
            Some(MediaRange {
                kind: "Text",
                subtype: "HTML",
                q: 500
            })
        );
    }

    #[test]
    fn ignores_other_parameters_even_with_quoted_commas() {
        use Format::*;
        let table: &[(&[u8], Format)] = &[
            (b"text/html;level=1", Html),
            (b"text/html;, application/json;q=0.9", Html),
            (
                b"text/html;charset=\"utf-8\";q=0.3, application/json;q=0.2",
                Html,
            ),
            // The comma and semicolon inside the quotes do not split the list.
            (
                b"application/json;x=\"a,text/html;q=1\";q=0.4, text/plain;q=0.3",
                Json,
            ),
            (
                b"application/json;x=\"a\\\",b\";q=0.4, text/plain;q=0.3",
                Json,
            ),
        ];
        for (accept, expected) in table {
            assert_eq!(
                choose(&[accept]),
                *expected,
                "{}",
                String::from_utf8_lossy(accept)
            );
        }
    }

    #[test]
    fn parses_qvalues_into_thousandths() {
        let table: &[(&str, Option<u16>)] = &[
            ("0", Some(0)),
            ("0.", Some(0)),
            ("0.8", Some(800)),
            ("0.08", Some(80)),
            ("0.001", Some(1)),
            ("0.999", Some(999)),
            ("1", Some(1000)),
            ("1.", Some(1000)),
            ("1.000", Some(1000)),
            ("1.001", None),
            ("1.5", None),
            ("2", None),
            ("0.1234", None),
            (".5", None),
            ("", None),
            ("-0", None),
            ("0.5 ", None),
            ("0.-1", None),
            ("\"0.5\"", None),
        ];
        for (text, expected) in table {
            assert_eq!(parse_qvalue(text), *expected, "{text:?}");
        }
    }

    #[test]
    fn splits_only_outside_quoted_strings() {
        let table: &[(&str, &[&str])] = &[
            ("a,b", &["a", "b"]),
            ("", &[""]),
            ("a;x=\"1,2\",b", &["a;x=\"1,2\"", "b"]),
            ("a;x=\"\\\",\",b", &["a;x=\"\\\",\"", "b"]),
        ];
        for (text, expected) in table {
            assert_eq!(split_outside_quotes(text, b','), *expected, "{text:?}");
        }
    }
}
