//! Exercise for chapter 11: the check that stops the five Host attacks — one Host,
//! well-formed, and allowed, before anything is built, cached or mailed from it.
//!
//! This is the chapter's site with its `checked` mode taken out: `checked_host` and
//! `matches` are yours to write. It starts in `checked` mode (say `naive` to attack
//! the naive one). Run it, and grade it from another terminal, with the site's own
//! allow-list:
//!
//! ```text
//! cargo run --example ex11_host_attacks                    # listens on 127.0.0.1:8101
//! cargo run -- grade 11 127.0.0.1:8101 --allowed-hosts '.example.com, localhost, 127.0.0.1'
//! ```
//!
//! Until they are written, each request reaches a `todo!()`: the server prints the
//! panic, closes that connection without an answer, and goes on listening. The
//! reference solution is `examples/ch11_host_attacks.rs`, run with `checked`.

// Until the `todo!()`s are written, some names go unused. Delete this line when you are
// done: the compiler then tells you about anything you left unused.
#![allow(unused_variables, dead_code)]

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::panic::{self, AssertUnwindSafe};
use std::process::ExitCode;
use std::time::Duration;

/// The hosts the checked mode answers for, in Django's notation: `.example.com` is
/// example.com and all its subdomains; the others are exact names. A real
/// application reads them from its configuration.
const ALLOWED_HOSTS: &[&str] = &[".example.com", "localhost", "127.0.0.1"];

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
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:8101".to_string());
    let mode = match args.next().as_deref() {
        Some("naive") => Mode::Naive,
        None | Some("checked") => Mode::Checked,
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
        // A panic (a `todo!()`, until you write it) ends this connection, not the
        // server: the grader then finds a connection closed without an answer, rather
        // than nothing listening at all.
        let result = panic::catch_unwind(AssertUnwindSafe(|| {
            stream.and_then(|s| handle_connection(s, mode, &mut cache, &mut resets))
        }));
        if let Ok(Err(e)) = result {
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

/// The cache key: the Host header and the path, as a CDN would build it.
fn cache_key(request: &httparse::Request) -> String {
    let host = header(request, "host").unwrap_or_default();
    format!(
        "{}{}",
        String::from_utf8_lossy(host).to_ascii_lowercase(),
        request.path.unwrap_or("/")
    )
}

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

/// The naive mode: the host is whatever the client says it is. `X-Forwarded-Host`
/// comes first because, behind a reverse proxy, it carries the name the visitor typed
/// (chapter 13); without a proxy, anyone can send it.
fn naive_host(request: &httparse::Request) -> String {
    let value = header(request, "x-forwarded-host")
        .or_else(|| header(request, "host"))
        .unwrap_or_default();
    String::from_utf8_lossy(value).into_owned()
}

// ANCHOR: checked
/// The checked mode: one Host, well-formed, and allowed; or a Django-style refusal.
/// X-Forwarded-Host is not read at all: no proxy stands in front of this server, so
/// the header can only come from the client (chapter 13 trusts it from a proxy).
fn checked_host(request: &httparse::Request) -> Result<String, String> {
    // Your turn, in this order, refusing with `Err(message)` at the first problem:
    // 1. exactly one `Host` line (none, or two, is refused);
    // 2. an absolute-form target (`http://host/…`, the scheme in any case:
    //    `strip_scheme(target)`) names the host instead (chapter 10);
    // 3. `split_host_port` the value: `None` is Django's "The domain name provided is
    //    not valid according to RFC 1034/1035." — this is what stops port injection;
    // 4. no pattern of `ALLOWED_HOSTS` `matches` the name: "You may need to add
    //    'NAME' to ALLOWED_HOSTS.";
    // 5. allowed: `Ok` the value, lowercase; only now may it go into links.
    // Quote the value in messages escaped (`raw.escape_ascii()`): the client wrote it.
    todo!("one Host, well-formed, and allowed, or a refusal")
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
/// example.com and every name that ends in `.example.com`, dot included.
fn matches(pattern: &str, name: &str) -> bool {
    // Your turn. A pattern starting with `.` is the domain and all its subdomains; any
    // other pattern is one exact name. Compare whole labels: `evilexample.com` and
    // `example.com.evil.example` are not example.com's (suffix confusion).
    todo!("match a pattern against a name, whole labels only")
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
