//! Chapter 11: Host header attacks — a small site that builds links from the Host it
//! is sent, run in two modes: `naive`, which trusts Host (and `X-Forwarded-Host`), and
//! `checked`, which validates Host against an allow-list first, as Django does.
//!
//! Run it:
//!
//! ```text
//! cargo run --example ch11_host_attacks -- 127.0.0.1:8090 naive
//! cargo run --example ch11_host_attacks -- 127.0.0.1:8090 checked
//! ```
//!
//! Then attack it from another terminal, and watch its log (the mails it "sends"):
//!
//! ```text
//! curl -s -H 'Host: example.com' -H 'X-Forwarded-Host: evil.example' http://127.0.0.1:8090/
//! curl -s -H 'Host: example.com' http://127.0.0.1:8090/     # the cache now serves evil.example's script
//! curl -s -H 'Host: evil.example' -d 'email=alice@example.com' http://127.0.0.1:8090/password-reset
//! curl -s --resolve evil.example:8090:127.0.0.1 http://evil.example:8090/
//! ```
//!
//! The site has two pages. `GET /` is a page whose script is loaded from an absolute
//! URL made from the host, and it goes through a small shared cache, as a CDN in front
//! of a site would. `POST /password-reset` "mails" a reset link made from the host: the
//! mail is printed on stdout. As in chapter 10 the server is plain (one connection at a
//! time, one request each) so that the Host logic stands alone.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::ExitCode;
use std::time::Duration;

// ANCHOR: allowed_hosts
/// The hosts the checked mode answers for, in Django's notation: `.example.com` is
/// example.com and all its subdomains; the others are exact names. A real
/// application reads them from its configuration.
const ALLOWED_HOSTS: &[&str] = &[".example.com", "localhost", "127.0.0.1"];
// ANCHOR_END: allowed_hosts

/// Largest head and body we read; this site only takes small forms.
const MAX_HEAD: usize = 8192;
const MAX_BODY: usize = 1024;

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Naive,
    Checked,
}

/// Responses the shared cache holds, by cache key (see [`cache_key`]).
type Cache = HashMap<String, Response>;

#[derive(Clone)]
struct Response {
    status: &'static str,
    content_type: &'static str,
    /// `X-Cache: hit` or `miss` for a page that went through the cache.
    x_cache: Option<&'static str>,
    body: String,
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:8090".to_string());
    let mode = match args.next().as_deref() {
        None | Some("naive") => Mode::Naive,
        Some("checked") => Mode::Checked,
        Some(other) => {
            eprintln!("error: unknown mode {other:?}: say naive or checked");
            return ExitCode::FAILURE;
        }
    };
    let listener = match TcpListener::bind(&addr).and_then(|l| l.local_addr().map(|a| (l, a))) {
        Ok((listener, local)) => {
            println!("listening on http://{local}");
            listener
        }
        Err(e) => {
            eprintln!("error: cannot bind {addr}: {e}");
            return ExitCode::FAILURE;
        }
    };
    match mode {
        Mode::Naive => println!("mode: naive (trusts Host and X-Forwarded-Host)"),
        Mode::Checked => println!("mode: checked (ALLOWED_HOSTS = {ALLOWED_HOSTS:?})"),
    }

    let mut cache = Cache::new();
    let mut resets = 0;
    for stream in listener.incoming() {
        let result = stream.and_then(|s| handle_connection(s, mode, &mut cache, &mut resets));
        if let Err(e) = result {
            eprintln!("connection failed: {e}");
        }
    }
    ExitCode::SUCCESS
}

fn handle_connection(
    mut stream: TcpStream,
    mode: Mode,
    cache: &mut Cache,
    resets: &mut u32,
) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let (head, mut rest) = read_head(&mut stream)?;
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut request = httparse::Request::new(&mut headers);
    let response = match request.parse(&head) {
        Ok(httparse::Status::Complete(_)) => {
            // The body, for the reset form: Content-Length bytes, some already read.
            let length = header(&request, "content-length")
                .and_then(|v| std::str::from_utf8(v).ok()?.trim().parse::<usize>().ok())
                .unwrap_or(0)
                .min(MAX_BODY);
            while rest.len() < length {
                let mut chunk = [0; 1024];
                let n = stream.read(&mut chunk)?;
                if n == 0 {
                    break;
                }
                rest.extend_from_slice(&chunk[..n]);
            }
            rest.truncate(length);
            handle(&request, &rest, mode, cache, resets)
        }
        _ => error("400 Bad Request", "not an HTTP/1.x request head"),
    };
    let x_cache = response
        .x_cache
        .map(|v| format!("X-Cache: {v}\r\n"))
        .unwrap_or_default();
    let reply = format!(
        "HTTP/1.1 {}\r\nContent-Type: {}\r\nContent-Length: {}\r\n{x_cache}Connection: close\r\n\r\n{}",
        response.status,
        response.content_type,
        response.body.len(),
        response.body
    );
    stream.write_all(reply.as_bytes())
}

/// Reads until the end of the head; returns the head and whatever followed it.
fn read_head(stream: &mut TcpStream) -> std::io::Result<(Vec<u8>, Vec<u8>)> {
    let mut buf = Vec::new();
    let mut chunk = [0; 1024];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let rest = buf.split_off(end + 4);
            return Ok((buf, rest));
        }
        if buf.len() >= MAX_HEAD {
            return Ok((buf, Vec::new()));
        }
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Ok((buf, Vec::new()));
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

fn header<'a>(request: &httparse::Request<'_, 'a>, name: &str) -> Option<&'a [u8]> {
    request
        .headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case(name))
        .map(|h| h.value)
}

fn error(status: &'static str, message: &str) -> Response {
    Response {
        status,
        content_type: "text/plain; charset=utf-8",
        x_cache: None,
        body: format!("{message}\n"),
    }
}

// ANCHOR: handle
/// Answers one request: decide the host (the two modes differ only here), then serve
/// the page through the cache, or send the reset mail.
fn handle(
    request: &httparse::Request,
    body: &[u8],
    mode: Mode,
    cache: &mut Cache,
    resets: &mut u32,
) -> Response {
    let line = format!(
        "{} {}",
        request.method.unwrap_or("-"),
        request.path.unwrap_or("-")
    );
    let host = match mode {
        Mode::Naive => naive_host(request),
        Mode::Checked => match checked_host(request) {
            Ok(host) => host,
            Err(message) => {
                println!("{line:?} refused: {message}");
                return error("400 Bad Request", &message);
            }
        },
    };
    println!("{line:?} host={host:?}");
    match (request.method, request.path) {
        (Some("GET"), Some("/")) => {
            // A shared cache (a CDN, a caching proxy) keys what it stores by the URL:
            // host and path. Whatever else shaped the page is "unkeyed": here, the
            // X-Forwarded-Host the naive mode reads.
            let key = cache_key(request);
            if let Some(hit) = cache.get(&key) {
                return Response {
                    x_cache: Some("hit"),
                    ..hit.clone()
                };
            }
            let page = Response {
                status: "200 OK",
                content_type: "text/html; charset=utf-8",
                x_cache: Some("miss"),
                body: home_page(&host),
            };
            cache.insert(key, page.clone());
            page
        }
        (Some("POST"), Some("/password-reset")) => {
            let email = form_urlencoded::parse(body)
                .find(|(name, _)| name == "email")
                .map(|(_, value)| value.into_owned())
                .unwrap_or_default();
            *resets += 1;
            send_reset_mail(&email, &host, *resets);
            let text = format!("If {email} has an account, a reset link is on its way.");
            Response {
                x_cache: None,
                ..error("200 OK", &text)
            }
        }
        _ => error("404 Not Found", "no such page"),
    }
}
// ANCHOR_END: handle

/// The cache key: the Host header and the path, as a CDN would build it.
fn cache_key(request: &httparse::Request) -> String {
    let host = header(request, "host").unwrap_or_default();
    format!(
        "{}{}",
        String::from_utf8_lossy(host).to_ascii_lowercase(),
        request.path.unwrap_or("/")
    )
}

// ANCHOR: pages
/// The home page. Its script comes from an absolute URL built from the host, as
/// frameworks do for static files, canonical links and redirects.
fn home_page(host: &str) -> String {
    format!(
        "<!doctype html>\n\
         <title>example.com</title>\n\
         <script src=\"http://{host}/static/app.js\"></script>\n\
         <p>Welcome to example.com.</p>\n"
    )
}

/// "Sends" the reset mail by printing it. The token stands for a secret that lets
/// whoever holds it choose alice's new password; a real one is long and random (this
/// one counts, so that the transcripts stay the same).
fn send_reset_mail(email: &str, host: &str, token: u32) {
    println!("mail to {email}:");
    println!("  To choose a new password, follow http://{host}/reset?token=secret-{token}");
}
// ANCHOR_END: pages

// ANCHOR: naive
/// The naive mode: the host is whatever the client says it is. `X-Forwarded-Host`
/// comes first because, behind a reverse proxy, it carries the name the visitor typed
/// (chapter 13); without a proxy, anyone can send it.
fn naive_host(request: &httparse::Request) -> String {
    let value = header(request, "x-forwarded-host")
        .or_else(|| header(request, "host"))
        .unwrap_or_default();
    String::from_utf8_lossy(value).into_owned()
}
// ANCHOR_END: naive

// ANCHOR: checked
/// The checked mode: one Host, well-formed, and allowed; or a Django-style refusal.
/// X-Forwarded-Host is not read at all: no proxy stands in front of this server, so
/// the header can only come from the client (chapter 13 trusts it from a proxy).
fn checked_host(request: &httparse::Request) -> Result<String, String> {
    let mut hosts = request
        .headers
        .iter()
        .filter(|h| h.name.eq_ignore_ascii_case("host"));
    let raw = match (hosts.next(), hosts.next()) {
        (Some(host), None) => host.value,
        _ => return Err("a request must carry exactly one Host header".to_string()),
    };
    // An absolute-form target names the host instead of Host (chapter 10).
    let raw = match request.path.and_then(strip_scheme) {
        Some(rest) => rest.split('/').next().unwrap_or_default().as_bytes(),
        None => raw,
    };
    let shown = raw.escape_ascii().to_string();
    let Some((name, _port)) = split_host_port(raw) else {
        return Err(format!(
            "Invalid HTTP_HOST header: '{shown}'. \
             The domain name provided is not valid according to RFC 1034/1035."
        ));
    };
    if !ALLOWED_HOSTS.iter().any(|pattern| matches(pattern, &name)) {
        return Err(format!(
            "Invalid HTTP_HOST header: '{shown}'. \
             You may need to add '{name}' to ALLOWED_HOSTS."
        ));
    }
    // From here on, the host is one we chose to serve: safe to put in links.
    Ok(String::from_utf8_lossy(raw).to_ascii_lowercase())
}

/// Splits `host[:port]` and checks both parts, returning the lowercase name (one
/// trailing dot removed) and the port. A port is digits only: that is what stops
/// `example.com:@evil.example`, which a check that only looks before the first
/// colon lets through, and which a browser reads as user `example.com`, empty
/// password, at host `evil.example`. (IPv6 literals are left out here; hostecho
/// handles them in `src/host/syntax.rs`.)
fn split_host_port(raw: &[u8]) -> Option<(String, Option<u16>)> {
    let text = std::str::from_utf8(raw).ok()?.to_ascii_lowercase();
    let (name, port) = match text.rsplit_once(':') {
        Some((name, port)) => {
            let digits = !port.is_empty() && port.len() <= 5;
            if !(digits && port.bytes().all(|b| b.is_ascii_digit())) {
                return None;
            }
            (name, Some(port.parse::<u16>().ok()?))
        }
        None => (text.as_str(), None),
    };
    let name = name.strip_suffix('.').unwrap_or(name);
    // RFC 1034/1035 names: dot-separated labels of letters, digits and hyphens.
    let label_ok = |label: &str| {
        !label.is_empty()
            && label.len() <= 63
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    if name.len() > 253 || !name.split('.').all(label_ok) {
        return None;
    }
    Some((name.to_string(), port))
}

/// Whether an allowed-hosts pattern matches a name. `.example.com` matches
/// example.com and every name that ends in `.example.com`, dot included: comparing
/// whole labels is what keeps `evilexample.com` out, which `ends_with("example.com")`
/// would let in.
fn matches(pattern: &str, name: &str) -> bool {
    match pattern.strip_prefix('.') {
        Some(domain) => name == domain || name.ends_with(pattern),
        None => name == pattern,
    }
}
// ANCHOR_END: checked

/// The rest of an absolute-form target after its `http://` or `https://`, in any case:
/// a scheme is case-insensitive (RFC 3986, section 3.1), and a check that knew only a
/// lowercase `http://` would take `HTTP://evil.example/` for a path and believe Host.
fn strip_scheme(target: &str) -> Option<&str> {
    ["http://", "https://"].iter().find_map(|scheme| {
        let head = target.get(..scheme.len())?;
        head.eq_ignore_ascii_case(scheme)
            .then(|| &target[scheme.len()..])
    })
}
