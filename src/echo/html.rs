//! The HTML echo: the same facts as the text echo, as a page a browser shows.
//!
//! The page is self-contained — inline CSS, no scripts, no images, no fonts, nothing to
//! fetch — so that loading it makes no second request that would muddle what is being
//! studied (and so it works offline). The only links are the header notes' own
//! ([`super::notes`]), followed when clicked, never when the page loads.
//!
//! # Layout
//!
//! What matters comes first, so it fits on the first screen: the summary, host first
//! (with where it came from and the pattern that allowed it, and the forwarding chain
//! when there is one), then the request line, then the header table, which a browser
//! makes long, each well-known header with a note on what it is for and who adds it,
//! and last the body (in hex when it is not UTF-8).
//!
//! # Escaping
//!
//! Almost everything on the page comes from the client: the path, the query, every header,
//! the body. Written into HTML raw, a header `X-Name: <script>…</script>` would run in the
//! learner's browser — a reflected cross-site-scripting hole in a server meant to teach
//! security. So every value goes through [`escape_html`], which replaces the five
//! characters that can end a text node or an attribute value. The page uses no attribute
//! built from client data, and no `<script>` or `<style>` holds any, so those five are
//! enough (the OWASP rule for "HTML body" and "quoted attribute" contexts).
//!
//! We write the markup with `push_str` rather than a template crate: the page is small,
//! and seeing every value pass through `escape_html` is the point.

use std::sync::LazyLock;

use super::notes::NOTES;
use super::scan::{self, any_equal};
use super::{
    Echo, forwarding_headers, headers, hex_dump, push_body_length, push_hint, push_host_decision,
    push_left_out, push_proxy_sentence, push_verdict, reuse_as_string,
};
use crate::decimal::{push_socket_addr, push_u64};
use crate::http::form::FormPairs;

/// The page's style: readable on a phone and a desktop, long values wrap instead of
/// widening the page.
const STYLE: &str = "\
body { font-family: system-ui, sans-serif; max-width: 56rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.5; color: #222; background: #fff; }
h1 { font-size: 1.5rem; margin-bottom: 0; }
h2 { font-size: 1.1rem; margin-top: 2rem; }
p.lead { margin-top: .25rem; color: #555; }
pre, code, td, tbody th { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
pre { background: #f4f4f4; padding: .75rem 1rem; white-space: pre-wrap; overflow-wrap: anywhere; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: .3rem .6rem; border-bottom: 1px solid #ddd; overflow-wrap: anywhere; }
tbody th { white-space: nowrap; width: 1%; font-weight: 600; }
td.note { font-family: system-ui, sans-serif; font-size: .85rem; color: #555; }
.none { color: #888; font-style: italic; font-family: system-ui, sans-serif; }
footer { margin-top: 2.5rem; font-size: .9rem; color: #555; }
";

/// Renders the echo as an HTML page into `buffer` (emptied first), as
/// [`super::render`] does.
pub fn render(echo: &Echo<'_>, buffer: Vec<u8>) -> Vec<u8> {
    let mut out = reuse_as_string(buffer);
    out.reserve(capacity_for(echo));
    render_into(&mut out, echo);
    out.into_bytes()
}

/// A first guess at the page's length, so that `out` grows at most once: the style and
/// markup (~2.5 KiB), each header's row with its note (~250 bytes of markup and note),
/// and the request's text shown twice at most (escaping rarely lengthens it). Only a
/// guess: a longer page makes the `String` grow, as it would anyway.
fn capacity_for(echo: &Echo<'_>) -> usize {
    let head = &echo.request.head;
    let fields: usize = headers(echo.request)
        .map(|h| h.name.len() + h.value.len() + 250)
        .sum();
    4096 + 3 * head.request_line().len() + fields + echo.request.body.kept.len()
}

/// Appends the page to `out`.
///
/// Every value is escaped straight into `out` by [`push_html`], and numbers and IPv4
/// addresses are written into it by [`crate::decimal`], without `core::fmt`: no value
/// becomes a `String` of its own on the way, which would cost an allocation each (a
/// browser's request shows about a hundred values).
fn render_into(out: &mut String, echo: &Echo<'_>) {
    let request = echo.request;
    let head = &request.head;

    out.push_str("<!doctype html>\n<html lang=\"en\">\n<head>\n");
    out.push_str("<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    out.push_str("<title>hostecho: ");
    push_html(out, head.method());
    out.push(' ');
    push_html(out, head.raw_target());
    out.push_str("</title>\n<style>\n");
    out.push_str(STYLE);
    out.push_str("</style>\n</head>\n<body>\n");
    out.push_str("<h1>hostecho</h1>\n");
    out.push_str("<p class=\"lead\">The request hostecho received, and what it made of it.</p>\n");

    // What hostecho understood, host first: it is what the page is about.
    out.push_str("<h2>Summary</h2>\n<table>\n<tbody>\n");
    row_with(out, "host", |out| {
        write_escaped(out, |s| push_host_decision(s, echo.allowed))
    });
    row_with(out, "port", |out| match echo.allowed.port {
        Some(port) => push_u64(out, u64::from(port)),
        None => out.push_str(NONE),
    });
    if let Some(trust) = echo.allowed.proxy {
        // The forwarding chain: each line as received, then the peer that sent them.
        row_with(out, "proxies", |out| {
            for h in forwarding_headers(request) {
                push_html(out, h.name);
                out.push_str(": ");
                push_html(out, &h.value_lossy());
                out.push_str("<br>");
            }
            write_escaped(out, |s| push_proxy_sentence(s, echo.peer, trust));
        });
    }
    if let Some(hint) = &echo.allowed.hint {
        row_with(out, "hint", |out| {
            write_escaped(out, |s| push_hint(s, hint))
        });
    }
    if let Some(answers) = &echo.allowed.compared {
        row_with(out, "Django", |out| {
            write_escaped(out, |s| push_verdict(s, "Django", &answers.django))
        });
        row_with(out, "Starlette", |out| {
            write_escaped(out, |s| push_verdict(s, "Starlette", &answers.starlette))
        });
    }
    row_with(out, "method", |out| or_none(out, head.method()));
    row_with(out, "path", |out| or_none(out, echo.path));
    row_with(out, "query", |out| pairs(out, echo.query));
    row_with(out, "version", |out| or_none(out, head.version().as_str()));
    row_with(out, "endings", |out| {
        or_none(out, head.line_endings().as_str())
    });
    // Addresses and numbers hold nothing HTML could take for markup.
    row_with(out, "peer", |out| push_socket_addr(out, echo.peer));
    row_with(out, "local", |out| push_socket_addr(out, echo.local));
    row_with(out, "body", |out| push_body_length(out, &request.body));
    if let Some(form) = echo.form {
        row_with(out, "form", |out| pairs(out, form));
    }
    out.push_str("</tbody>\n</table>\n");

    // The request as it came in: the request line, then the headers.
    out.push_str("<h2>Request line</h2>\n<pre>");
    push_html(out, head.request_line());
    out.push_str("</pre>\n");

    out.push_str("<h2>Headers</h2>\n");
    if head.fields().is_empty() {
        out.push_str("<p class=\"none\">(none)</p>\n");
    } else {
        out.push_str(
            "<table>\n<thead><tr><th>Name</th><th>Value</th><th>What it is</th></tr></thead>\n<tbody>\n",
        );
        for header in headers(request) {
            out.push_str("<tr><th>");
            push_html(out, header.name);
            out.push_str("</th><td>");
            push_html(out, &header.value_lossy());
            out.push_str("</td><td class=\"note\">");
            if let Some(cell) = note_cell(header.name) {
                out.push_str(cell);
            }
            out.push_str("</td></tr>\n");
        }
        out.push_str("</tbody>\n</table>\n");
    }

    out.push_str("<h2>Body</h2>\n");
    if request.body.is_empty() {
        out.push_str("<p class=\"none\">(none)</p>\n");
    } else {
        // The HTML parser drops a newline straight after `<pre>` (HTML §13.2.6.4.7), so we
        // give it one to drop: a body that starts with a blank line keeps it.
        out.push_str("<pre>\n");
        let body = &request.body;
        match body.text() {
            Some(text) => {
                push_html(out, text);
                if body.is_cut() {
                    if !text.ends_with('\n') {
                        out.push('\n');
                    }
                    push_left_out(out, body.length - text.len() as u64);
                }
            }
            None => push_html(out, &hex_dump(&body.kept, body.length)),
        }
        out.push_str("</pre>\n");
    }

    out.push_str(
        "<footer>The same echo comes as plain text to <code>curl</code>, \
         and as JSON to <code>curl -H 'Accept: application/json'</code>.</footer>\n",
    );
    out.push_str("</body>\n</html>\n");
}

/// The note on each header in [`NOTES`], as the HTML of its cell: the sentence, then a
/// link to where the header is defined. Built once, the first time a page shows a
/// note, and copied into every page after.
///
/// The notes are ours, not the client's, but they are escaped all the same (a note
/// that says "the browser's settings" holds a `'`). Escaping them again on every
/// page was most of the HTML echo's work: a browser's fifteen headers carry about two
/// kilobytes of notes. Built once, the browser's request path went from 57,773
/// instructions to 46,689, by callgrind's count.
static NOTE_CELLS: LazyLock<Vec<String>> = LazyLock::new(|| {
    NOTES
        .iter()
        .map(|note| {
            let mut cell = String::new();
            push_html(&mut cell, note.text);
            cell.push_str(" <a href=\"");
            push_html(&mut cell, note.url);
            cell.push_str("\">");
            push_html(&mut cell, note.source);
            cell.push_str("</a>");
            cell
        })
        .collect()
});

/// The HTML of the note on the header `name`, if there is one ([`NOTE_CELLS`]). Field
/// names are case-insensitive (RFC 9110 §5.1), so `sec-ch-ua` finds `Sec-CH-UA`, as
/// [`note_for`](super::notes::note_for) finds it.
fn note_cell(name: &str) -> Option<&'static str> {
    let index = NOTES
        .iter()
        .position(|note| note.name.eq_ignore_ascii_case(name))?;
    NOTE_CELLS.get(index).map(String::as_str)
}

/// Escapes the five characters that are special in HTML text and attribute values.
///
/// `&` starts a character reference, so a client's literal `&lt;` must become `&amp;lt;`
/// or the browser would show `<`. `<` and `>` start and end tags; `"` and `'` end
/// attribute values. Anything else, including non-ASCII, is safe as-is in a UTF-8 page.
///
/// ```
/// use hostecho::echo::html::escape_html;
///
/// assert_eq!(escape_html("<b>Tom & Jerry's</b>"), "&lt;b&gt;Tom &amp; Jerry&#39;s&lt;/b&gt;");
/// ```
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    push_html(&mut out, text);
    out
}

/// Appends `text` to `out`, escaped as [`escape_html`] escapes it.
///
/// Most text has none of the five characters, so this copies the runs between them
/// in one go instead of pushing character by character. It looks for them eight bytes
/// at a time (`next_special`): the five are ASCII, and no byte of a multi-byte UTF-8
/// character is ASCII, so a byte that matches is always the whole character, and a
/// run always ends on a character boundary. (`str::find` with the five as a pattern
/// decodes every character on the way, which made this the HTML echo's largest cost.)
pub fn push_html(out: &mut String, text: &str) {
    let bytes = text.as_bytes();
    let mut run_start = 0;
    loop {
        let at = run_start + next_special(bytes.get(run_start..).unwrap_or_default());
        let entity = match bytes.get(at) {
            Some(b'&') => "&amp;",
            Some(b'<') => "&lt;",
            Some(b'>') => "&gt;",
            Some(b'"') => "&quot;",
            Some(b'\'') => "&#39;",
            // The end of the text (`next_special` finds nothing else).
            _ => break,
        };
        out.push_str(&text[run_start..at]);
        out.push_str(entity);
        run_start = at + 1;
    }
    out.push_str(&text[run_start..]);
}

/// Whether `b` is one of the five characters [`push_html`] escapes.
fn is_special(b: u8) -> bool {
    matches!(b, b'&' | b'<' | b'>' | b'"' | b'\'')
}

/// Where the first of the five characters is in `bytes`, or `bytes.len()`.
///
/// Eight bytes at a time ([`scan`]): a word is skipped when none of its bytes is any
/// of the five (`|`, not `||`: no branch between the five questions). The notes on a
/// browser's fifteen headers, a page's longest text, are mostly prose without them:
/// the browser's whole request path went from 72,492 instructions to 59,632 when
/// this replaced a loop over every byte, by callgrind's count.
fn next_special(bytes: &[u8]) -> usize {
    scan::find(
        bytes,
        |word| {
            any_equal(word, b'&')
                | any_equal(word, b'<')
                | any_equal(word, b'>')
                | any_equal(word, b'"')
                | any_equal(word, b'\'')
        },
        is_special,
    )
}

/// Appends with `write` to `out`, then escapes what it wrote, in place: a value of
/// ours that may quote a client's bytes, written without a `String` of its own
/// unless it does hold one of the five characters.
fn write_escaped(out: &mut String, write: impl FnOnce(&mut String)) {
    let start = out.len();
    write(out);
    let written = out.get(start..).unwrap_or_default().as_bytes();
    if next_special(written) < written.len() {
        let raw = out.split_off(start);
        push_html(out, &raw);
    }
}

/// A grey "(none)" in place of an empty value.
const NONE: &str = "<span class=\"none\">(none)</span>";

/// Writes one table row: `label` as the row's heading, and as its value what `cell`
/// writes, which must be escaped HTML, because some cells hold markup of ours (`<br>`).
/// An empty cell shows a grey "(none)".
///
/// `label` is plain text and is escaped here: it is ours, except for header names, which
/// are tokens (RFC 9110 §5.1) and so cannot hold markup — escaped all the same.
fn row_with(out: &mut String, label: &str, cell: impl FnOnce(&mut String)) {
    out.push_str("<tr><th>");
    push_html(out, label);
    out.push_str("</th><td>");
    let start = out.len();
    cell(out);
    if out.len() == start {
        out.push_str(NONE);
    }
    out.push_str("</td></tr>\n");
}

/// Writes `text`, escaped; [`row_with`] shows "(none)" if it is empty.
fn or_none(out: &mut String, text: &str) {
    push_html(out, text);
}

/// Writes `(name, value)` pairs as escaped HTML, `name = value`, one per line.
fn pairs(out: &mut String, pairs: FormPairs<'_>) {
    for (i, (name, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push_str("<br>");
        }
        push_html(out, &name);
        out.push_str(" = ");
        push_html(out, &value);
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{self, fixture, header};
    use super::*;

    /// The HTML echo of a fixture, as a string.
    fn page(f: &fixtures::Fixture) -> String {
        String::from_utf8(render(&f.echo(), Vec::new())).expect("the page is UTF-8")
    }

    #[test]
    fn snapshot_get() {
        insta::assert_snapshot!(page(&fixtures::get()));
    }

    #[test]
    fn snapshot_post_with_body_and_duplicate_headers() {
        insta::assert_snapshot!(page(&fixtures::post()));
    }

    #[test]
    fn escapes_the_five_special_characters() {
        let table: &[(&str, &str)] = &[
            ("plain", "plain"),
            ("", ""),
            ("a & b", "a &amp; b"),
            ("<script>", "&lt;script&gt;"),
            ("\"quoted\"", "&quot;quoted&quot;"),
            ("it's", "it&#39;s"),
            ("&lt;", "&amp;lt;"),
            ("héllo ✓", "héllo ✓"),
        ];
        for (input, expected) in table {
            assert_eq!(escape_html(input), *expected, "{input:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn escapes_any_text_as_character_by_character_does(
            // Long enough to fill several eight-byte words; the five often.
            text in "([a-z &<>\"']|é|✓){0,40}",
        ) {
            let mut want = String::new();
            for c in text.chars() {
                match c {
                    '&' => want.push_str("&amp;"),
                    '<' => want.push_str("&lt;"),
                    '>' => want.push_str("&gt;"),
                    '"' => want.push_str("&quot;"),
                    '\'' => want.push_str("&#39;"),
                    c => want.push(c),
                }
            }
            proptest::prop_assert_eq!(escape_html(&text), want);
        }
    }

    #[test]
    fn escapes_a_script_tag_wherever_the_client_puts_it() {
        let script = "<script>alert('x')</script>";
        let encoded = "%3Cscript%3Ealert('x')%3C/script%3E";
        let f = fixture(
            "POST",
            &format!("/%3Cscript%3E?{encoded}={encoded}"),
            vec![header("X-Attack", b"<script>alert('x')</script>")],
            script.as_bytes(),
            script,
        );
        let out = page(&f);
        assert!(!out.contains("<script"), "{out}");
        let escaped = "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;";
        for place in [
            format!("<th>X-Attack</th><td>{escaped}</td><td class=\"note\"></td>"),
            format!("<th>path</th><td>{escaped}</td>"),
            format!("<th>query</th><td>{escaped} = {escaped}</td>"),
            format!("<pre>\n{escaped}</pre>"),
        ] {
            assert!(out.contains(&place), "{place} missing from\n{out}");
        }
    }

    #[test]
    fn is_a_self_contained_utf8_page_for_phones_and_desktops() {
        let out = page(&fixtures::get());
        assert!(out.starts_with("<!doctype html>\n"));
        assert!(out.contains("<meta charset=\"utf-8\">"));
        assert!(out.contains("<meta name=\"viewport\""));
        // Nothing the browser would fetch or run.
        for forbidden in ["<script", "<link", "<img", "src=", "url(", "@import"] {
            assert!(!out.contains(forbidden), "{forbidden}");
        }
        // The only links are the notes', to the pages that define the headers.
        for (i, _) in out.match_indices("href=") {
            let link = &out[i..];
            assert!(
                link.starts_with("href=\"https://www.rfc-editor.org/")
                    || link.starts_with("href=\"https://developer.mozilla.org/"),
                "{}",
                &link[..60]
            );
        }
        assert!(out.ends_with("</html>\n"));
    }

    #[test]
    fn keeps_a_leading_newline_of_the_body() {
        let f = fixture("POST", "/", vec![], b"\nafter a blank line", "/");
        assert!(page(&f).contains("<pre>\n\nafter a blank line</pre>"));
    }

    #[test]
    fn renders_non_utf8_header_bytes_lossily() {
        let f = fixture("GET", "/", vec![header("X-Latin1", b"caf\xe9")], b"", "/");
        assert!(page(&f).contains("<th>X-Latin1</th><td>caf\u{fffd}</td>"));
    }

    #[test]
    fn the_summary_comes_first_with_the_host_on_top() {
        let out = page(&fixtures::get());
        let summary = out.find("<h2>Summary</h2>").expect("a summary");
        let headers = out.find("<h2>Headers</h2>").expect("headers");
        let request_line = out.find("<h2>Request line</h2>").expect("a request line");
        assert!(summary < request_line && request_line < headers, "{out}");
        assert!(
            out.contains(
                "<h2>Summary</h2>\n<table>\n<tbody>\n\
                 <tr><th>host</th><td>localhost (from Host, allowed by .localhost)</td></tr>\n"
            ),
            "{out}"
        );
    }

    #[test]
    fn well_known_headers_get_a_note_with_a_link_and_others_none() {
        let out = page(&fixtures::post());
        assert!(
            out.contains(
                "<tr><th>Host</th><td>[::1]:8090</td><td class=\"note\">The host and port the client \
                 asked for; hostecho checks it against --allowed-hosts. \
                 <a href=\"https://www.rfc-editor.org/rfc/rfc9110#section-7.2\">RFC 9110 §7.2</a></td></tr>"
            ),
            "{out}"
        );
        // Names are case-insensitive: `user-agent` gets User-Agent's note.
        assert!(out.contains("<tr><th>user-agent</th><td>curl/8.5.0</td><td class=\"note\">Names"));
        assert!(out.contains("<tr><th>X-Trace</th><td>one</td><td class=\"note\"></td></tr>"));
    }

    /// Issue 23: the hint and the frameworks' answers, a row each, escaped.
    #[test]
    fn shows_the_hint_and_the_frameworks_answers() {
        use crate::compat::{Answers, Verdict};
        use crate::host::{Cause, Hint};
        let mut f = fixtures::get();
        f.host.hint = Some(Hint {
            cause: Cause::ForwardingIgnored,
            text: "X-Forwarded-Host carries '<b>'".into(),
        });
        f.host.compared = Some(Box::new(Answers {
            django: Verdict::Allowed,
            starlette: Verdict::Refused("400 Invalid host header".into()),
        }));
        let out = page(&f);
        assert!(
            out.contains(
                "<tr><th>hint</th><td>X-Forwarded-Host carries &#39;&lt;b&gt;&#39; \
                 [forwarding-ignored]</td></tr>\n\
                 <tr><th>Django</th><td>Django: allowed</td></tr>\n\
                 <tr><th>Starlette</th><td>Starlette: refused (400 Invalid host header)</td></tr>\n"
            ),
            "{out}"
        );
        assert!(!page(&fixtures::get()).contains("<th>hint</th>"));
    }

    #[test]
    fn shows_a_form_the_chain_and_a_binary_body_in_hex() {
        use crate::host::ProxyTrust;
        let out = page(&fixtures::post());
        assert!(
            out.contains("<tr><th>form</th><td>name = jack<br>age = 18</td></tr>"),
            "{out}"
        );
        let mut f = fixture(
            "POST",
            "/",
            vec![header("X-Forwarded-For", b"<192.0.2.7>")],
            b"\xff<\x00",
            "/",
        );
        f.host.proxy = Some(ProxyTrust::Untrusted);
        let out = page(&f);
        assert!(
            out.contains(
                "<tr><th>proxies</th><td>X-Forwarded-For: &lt;192.0.2.7&gt;<br>peer 127.0.0.1 \
                 is not a trusted proxy (not in --trusted-proxies): forwarding headers ignored</td></tr>"
            ),
            "{out}"
        );
        assert!(
            out.contains("<pre>\n0000  ff 3c 00 ") && out.contains("|.&lt;.|\n</pre>"),
            "{out}"
        );
        assert!(!out.contains('\u{fffd}'), "{out}");
    }

    #[test]
    fn shows_none_for_empty_headers_query_port_and_body() {
        let mut f = fixture("GET", "/", vec![], b"", "/");
        f.host.port = None;
        let out = page(&f);
        for place in [
            "<h2>Headers</h2>\n<p class=\"none\">(none)</p>",
            "<th>query</th><td><span class=\"none\">(none)</span></td>",
            "<th>port</th><td><span class=\"none\">(none)</span></td>",
            "<h2>Body</h2>\n<p class=\"none\">(none)</p>",
        ] {
            assert!(out.contains(place), "{place} missing from\n{out}");
        }
    }

    /// `capacity_for` guesses the page's length so that rendering into a new buffer
    /// allocates once: the guess holds the whole page, and overshoots it by less than
    /// the 4096 bytes it allows for the style and markup, whatever part of the request
    /// is long (a long target, a long field, a long body).
    #[test]
    fn the_capacity_guess_holds_the_page_with_less_than_the_markup_to_spare() {
        let target = format!("/{}", "a".repeat(4000));
        let value = vec![b'v'; 4000];
        for (name, f) in [
            ("curl's GET", fixtures::get()),
            ("a form POST", fixtures::post()),
            (
                "a long target",
                fixture("GET", &target, vec![], b"", &target),
            ),
            (
                "a long field",
                fixture("GET", "/", vec![header("X-Long", &value)], b"", "/"),
            ),
            (
                "a long body",
                fixture("POST", "/", vec![], &[b'x'; 4000], "/"),
            ),
        ] {
            let echo = f.echo();
            let (guess, len) = (capacity_for(&echo), render(&echo, Vec::new()).len());
            assert!(
                len <= guess && guess - len < 4096,
                "{name}: {len} bytes, guessed {guess}"
            );
        }
    }
}
