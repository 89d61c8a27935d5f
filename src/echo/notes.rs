//! One line on each well-known request header: what it is for, who adds it, and where
//! to read more. The HTML echo shows it beside the header.
//!
//! A learner who opens the echo in a browser meets a dozen headers they never wrote
//! (`sec-ch-ua`, `Sec-Fetch-Mode`, `Upgrade-Insecure-Requests`, …). This table is
//! where hostecho says what each is. It is one table, in one place, so that it can be
//! tested for coverage: every header curl, Chromium and Firefox send on their own
//! (see the tests below) must have a line. A header that is not here gets no note,
//! rather than a guess.
//!
//! Links go to the section of the RFC that defines the header when there is one, and
//! to MDN for the browser headers that no RFC defines. They are plain links, followed
//! only when clicked: the page still fetches nothing when it loads.

/// A note on one header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Note {
    /// The header's name, in its usual case.
    pub name: &'static str,
    /// What it is for and who adds it, in one short sentence.
    pub text: &'static str,
    /// Where it is defined: `RFC 9110 §7.2`, or `MDN`.
    pub source: &'static str,
    /// The address of that section or page.
    pub url: &'static str,
}

/// Shorthand for a table row.
const fn note(
    name: &'static str,
    text: &'static str,
    source: &'static str,
    url: &'static str,
) -> Note {
    Note {
        name,
        text,
        source,
        url,
    }
}

/// Every note, by header name. Lookups ignore case ([`note_for`]).
pub const NOTES: &[Note] = &[
    // The core of HTTP: what every client sends (RFC 9110, RFC 9112).
    note(
        "Host",
        "The host and port the client asked for; hostecho checks it against --allowed-hosts.",
        "RFC 9110 §7.2",
        "https://www.rfc-editor.org/rfc/rfc9110#section-7.2",
    ),
    note(
        "User-Agent",
        "Names the client software: curl, or the browser and its engine.",
        "RFC 9110 §10.1.5",
        "https://www.rfc-editor.org/rfc/rfc9110#section-10.1.5",
    ),
    note(
        "Accept",
        "The media types the client prefers, with q-values; hostecho picks text, JSON or HTML from it.",
        "RFC 9110 §12.5.1",
        "https://www.rfc-editor.org/rfc/rfc9110#section-12.5.1",
    ),
    note(
        "Accept-Encoding",
        "The compressions the client can undo (gzip, br, zstd); hostecho never compresses.",
        "RFC 9110 §12.5.3",
        "https://www.rfc-editor.org/rfc/rfc9110#section-12.5.3",
    ),
    note(
        "Accept-Language",
        "The languages the user prefers, from the browser's settings.",
        "RFC 9110 §12.5.4",
        "https://www.rfc-editor.org/rfc/rfc9110#section-12.5.4",
    ),
    note(
        "Connection",
        "Options for this hop only: keep-alive or close; a proxy removes it.",
        "RFC 9110 §7.6.1",
        "https://www.rfc-editor.org/rfc/rfc9110#section-7.6.1",
    ),
    note(
        "Keep-Alive",
        "An HTTP/1.0-era hint about how long to keep the connection open; hostecho ignores it.",
        "MDN",
        "https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/Keep-Alive",
    ),
    note(
        "Content-Length",
        "The body's length in bytes: how the server knows where the body ends.",
        "RFC 9110 §8.6",
        "https://www.rfc-editor.org/rfc/rfc9110#section-8.6",
    ),
    note(
        "Content-Type",
        "The body's media type; a form posts application/x-www-form-urlencoded.",
        "RFC 9110 §8.3",
        "https://www.rfc-editor.org/rfc/rfc9110#section-8.3",
    ),
    note(
        "Content-Range",
        "Which part of the resource the body is: curl -r with an upload sends it.",
        "RFC 9110 §14.4",
        "https://www.rfc-editor.org/rfc/rfc9110#section-14.4",
    ),
    note(
        "Transfer-Encoding",
        "chunked: the body comes in pieces, each with its length, instead of Content-Length.",
        "RFC 9112 §6.1",
        "https://www.rfc-editor.org/rfc/rfc9112#section-6.1",
    ),
    note(
        "Expect",
        "100-continue: curl asks before sending a large body, and waits for 100 Continue.",
        "RFC 9110 §10.1.1",
        "https://www.rfc-editor.org/rfc/rfc9110#section-10.1.1",
    ),
    note(
        "TE",
        "The transfer codings the client accepts in a response; Firefox sends trailers.",
        "RFC 9110 §10.1.4",
        "https://www.rfc-editor.org/rfc/rfc9110#section-10.1.4",
    ),
    note(
        "Upgrade",
        "Asks to switch protocols on this connection, e.g. to WebSocket.",
        "RFC 9110 §7.8",
        "https://www.rfc-editor.org/rfc/rfc9110#section-7.8",
    ),
    note(
        "Authorization",
        "Credentials for this server: curl -u sends them Basic, base64 but not encrypted.",
        "RFC 9110 §11.6.2",
        "https://www.rfc-editor.org/rfc/rfc9110#section-11.6.2",
    ),
    note(
        "Referer",
        "The page the request came from (the misspelling is the standard's).",
        "RFC 9110 §10.1.3",
        "https://www.rfc-editor.org/rfc/rfc9110#section-10.1.3",
    ),
    note(
        "Range",
        "Asks for part of the resource, e.g. to resume a download.",
        "RFC 9110 §14.2",
        "https://www.rfc-editor.org/rfc/rfc9110#section-14.2",
    ),
    note(
        "If-None-Match",
        "Sent by a browser with a cached copy: answer 304 if its ETag still matches.",
        "RFC 9110 §13.1.2",
        "https://www.rfc-editor.org/rfc/rfc9110#section-13.1.2",
    ),
    note(
        "If-Modified-Since",
        "Sent by a browser with a cached copy: answer 304 if nothing changed since this date.",
        "RFC 9110 §13.1.3",
        "https://www.rfc-editor.org/rfc/rfc9110#section-13.1.3",
    ),
    note(
        "Cache-Control",
        "Cache directives; a browser sends max-age=0 or no-cache when you reload.",
        "RFC 9111 §5.2",
        "https://www.rfc-editor.org/rfc/rfc9111#section-5.2",
    ),
    note(
        "Pragma",
        "no-cache: the HTTP/1.0 way to bypass caches, still sent on a forced reload.",
        "RFC 9111 §5.4",
        "https://www.rfc-editor.org/rfc/rfc9111#section-5.4",
    ),
    note(
        "Cookie",
        "The cookies the browser stored for this host, sent back on every request.",
        "RFC 6265 §5.4",
        "https://www.rfc-editor.org/rfc/rfc6265#section-5.4",
    ),
    note(
        "Origin",
        "The scheme, host and port of the page that made the request; sent with POSTs and fetches.",
        "RFC 6454 §7",
        "https://www.rfc-editor.org/rfc/rfc6454#section-7",
    ),
    note(
        "Priority",
        "How urgent the browser thinks this response is (u=0 highest; i: can be used in pieces).",
        "RFC 9218 §5",
        "https://www.rfc-editor.org/rfc/rfc9218#section-5",
    ),
    // What browsers add on their own.
    note(
        "Upgrade-Insecure-Requests",
        "A browser saying it prefers https: a server may redirect it there.",
        "MDN",
        "https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/Upgrade-Insecure-Requests",
    ),
    note(
        "Sec-Fetch-Site",
        "Where the request came from, relative to this site: none (typed), same-origin, cross-site.",
        "MDN",
        "https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/Sec-Fetch-Site",
    ),
    note(
        "Sec-Fetch-Mode",
        "How the browser fetches: navigate for a page, cors or no-cors for a script's fetch.",
        "MDN",
        "https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/Sec-Fetch-Mode",
    ),
    note(
        "Sec-Fetch-User",
        "?1 when a person started the navigation (a click, a typed address).",
        "MDN",
        "https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/Sec-Fetch-User",
    ),
    note(
        "Sec-Fetch-Dest",
        "What the response is for: document, image, script, empty …",
        "MDN",
        "https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/Sec-Fetch-Dest",
    ),
    note(
        "Sec-CH-UA",
        "Chromium's client hint: the browser's brands and major versions.",
        "MDN",
        "https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/Sec-CH-UA",
    ),
    note(
        "Sec-CH-UA-Mobile",
        "Chromium's client hint: ?1 on a phone or tablet.",
        "MDN",
        "https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/Sec-CH-UA-Mobile",
    ),
    note(
        "Sec-CH-UA-Platform",
        "Chromium's client hint: the operating system.",
        "MDN",
        "https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/Sec-CH-UA-Platform",
    ),
    note(
        "Sec-Purpose",
        "prefetch: the browser is loading the page ahead of a click, which may never come.",
        "MDN",
        "https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/Sec-Purpose",
    ),
    note(
        "Purpose",
        "prefetch: the older name of Sec-Purpose.",
        "MDN",
        "https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/Sec-Purpose",
    ),
    note(
        "DNT",
        "Do Not Track, from a privacy setting; deprecated.",
        "MDN",
        "https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/DNT",
    ),
    note(
        "Sec-GPC",
        "Global Privacy Control: the user asks not to have their data sold or shared.",
        "MDN",
        "https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/Sec-GPC",
    ),
    // What proxies add: hostecho shows them as the forwarding chain.
    note(
        "X-Forwarded-Host",
        "Added by a reverse proxy: the Host the client asked it for. Honoured only with --use-x-forwarded-host, from a trusted proxy.",
        "MDN",
        "https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/X-Forwarded-Host",
    ),
    note(
        "X-Forwarded-For",
        "Added by each proxy: the address it got the request from; the last one is the nearest proxy's.",
        "MDN",
        "https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/X-Forwarded-For",
    ),
    note(
        "X-Forwarded-Proto",
        "Added by a reverse proxy: the scheme the client used, https when TLS ended at the proxy.",
        "MDN",
        "https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/X-Forwarded-Proto",
    ),
    note(
        "X-Forwarded-Port",
        "Added by a load balancer: the port the client connected to.",
        "AWS ELB",
        "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/x-forwarded-headers.html",
    ),
    note(
        "X-Real-IP",
        "Added by nginx (proxy_set_header): the address of the client it served.",
        "nginx",
        "https://nginx.org/en/docs/http/ngx_http_realip_module.html",
    ),
    note(
        "Forwarded",
        "The standard form of the X-Forwarded-* headers: for=, by=, host=, proto= per proxy.",
        "RFC 7239 §4",
        "https://www.rfc-editor.org/rfc/rfc7239#section-4",
    ),
    note(
        "Via",
        "Added by each proxy: its protocol version and name, one entry per hop.",
        "RFC 9110 §7.6.3",
        "https://www.rfc-editor.org/rfc/rfc9110#section-7.6.3",
    ),
];

/// The note on a header, if hostecho knows it. Field names are case-insensitive
/// (RFC 9110 §5.1), so `sec-ch-ua` finds `Sec-CH-UA`.
pub fn note_for(name: &str) -> Option<&'static Note> {
    NOTES.iter().find(|n| n.name.eq_ignore_ascii_case(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What curl 8 sends: by default (`Host`, `User-Agent`, `Accept`), with `-d`,
    /// `-T`, `-u`, `-b`, `-e`, `-r`, `--compressed`, and what a large upload adds.
    const CURL: &[&str] = &[
        "Host",
        "User-Agent",
        "Accept",
        "Content-Length",
        "Content-Type",
        "Expect",
        "Transfer-Encoding",
        "Authorization",
        "Cookie",
        "Referer",
        "Range",
        "Content-Range",
        "Accept-Encoding",
    ];

    /// What Chromium (desktop, 120 and later) sends when it navigates to a page, as
    /// `chrome://net-export` and the echo itself show: a typed address, a reload, a
    /// forced reload, a form post, a page with a cached copy, a prefetch.
    const CHROMIUM: &[&str] = &[
        "Host",
        "Connection",
        "Cache-Control",
        "sec-ch-ua",
        "sec-ch-ua-mobile",
        "sec-ch-ua-platform",
        "Upgrade-Insecure-Requests",
        "User-Agent",
        "Accept",
        "Sec-Fetch-Site",
        "Sec-Fetch-Mode",
        "Sec-Fetch-User",
        "Sec-Fetch-Dest",
        "Accept-Encoding",
        "Accept-Language",
        "Priority",
        "Cookie",
        "Referer",
        "Origin",
        "Content-Type",
        "Content-Length",
        "Pragma",
        "If-None-Match",
        "If-Modified-Since",
        "Sec-Purpose",
        "Purpose",
        "DNT",
    ];

    /// What Firefox (115 ESR and later) sends in the same cases, over HTTP/1.1.
    const FIREFOX: &[&str] = &[
        "Host",
        "User-Agent",
        "Accept",
        "Accept-Language",
        "Accept-Encoding",
        "Connection",
        "Upgrade-Insecure-Requests",
        "Sec-Fetch-Dest",
        "Sec-Fetch-Mode",
        "Sec-Fetch-Site",
        "Sec-Fetch-User",
        "Priority",
        "DNT",
        "Sec-GPC",
        "TE",
        "Cache-Control",
        "Pragma",
        "If-Modified-Since",
        "If-None-Match",
        "Referer",
        "Origin",
        "Cookie",
        "Content-Type",
        "Content-Length",
    ];

    #[test]
    fn every_header_curl_chromium_and_firefox_send_has_a_note() {
        for (client, headers) in [("curl", CURL), ("Chromium", CHROMIUM), ("Firefox", FIREFOX)] {
            for name in headers {
                assert!(
                    note_for(name).is_some(),
                    "{client} sends {name}, which has no note"
                );
            }
        }
    }

    #[test]
    fn every_forwarding_header_the_echo_shows_has_a_note() {
        for name in crate::host::forwarded::FORWARDING_HEADERS {
            assert!(note_for(name).is_some(), "{name}");
        }
    }

    #[test]
    fn lookups_ignore_case_and_unknown_headers_get_none() {
        assert_eq!(note_for("sec-ch-ua").map(|n| n.name), Some("Sec-CH-UA"));
        assert_eq!(note_for("HOST").map(|n| n.name), Some("Host"));
        assert_eq!(note_for("X-Trace"), None);
        assert_eq!(note_for(""), None);
    }

    #[test]
    fn the_table_is_well_formed() {
        let mut names: Vec<String> = NOTES.iter().map(|n| n.name.to_ascii_lowercase()).collect();
        names.sort();
        let count = names.len();
        names.dedup();
        assert_eq!(names.len(), count, "a header is in the table twice");
        for n in NOTES {
            assert!(n.url.starts_with("https://"), "{}: {}", n.name, n.url);
            // The page escapes the text, but a URL that needed escaping would be a typo.
            assert!(
                !n.url.contains(['<', '>', '"', '\'', '&', ' ']),
                "{}",
                n.url
            );
            assert!(n.text.ends_with(['.', '…']), "{}", n.name);
            if n.source.starts_with("RFC") {
                let number = n.source[4..].split(' ').next().unwrap_or_default();
                assert!(n.url.contains(&format!("rfc{number}")), "{}", n.name);
            }
        }
    }
}
