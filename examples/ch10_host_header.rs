//! Chapter 10: the Host header — two web sites on one address (virtual hosting), and
//! what a server must do when Host is missing, doubled, empty, or overruled by an
//! absolute-form target (RFC 9112, section 3.2).
//!
//! Run it:
//!
//! ```text
//! cargo run --example ch10_host_header              # listens on 127.0.0.1:8090
//! cargo run --example ch10_host_header 127.0.0.1:0  # or on any address
//! ```
//!
//! Then try, from another terminal (curl, and browsers, send every `*.localhost` name
//! to this machine without asking DNS):
//!
//! ```text
//! curl http://a.localhost:8090/
//! curl http://b.localhost:8090/
//! curl -H 'Host:' --http1.0 http://127.0.0.1:8090/       # no Host at all
//! printf 'GET / HTTP/1.1\r\nHost: a.localhost\r\nHost: b.localhost\r\n\r\n' | nc -N 127.0.0.1 8090
//! ```
//!
//! To keep the Host logic in view, this server is as plain as chapter 1's: it serves
//! one connection at a time and one request per connection. It reads the whole head
//! (chapter 4's lesson) and parses it with httparse (chapter 5's); the event loop of
//! chapters 8 and 9 is left out. Each request is logged on stdout, one line, with the
//! site that answered it.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::ExitCode;
use std::time::Duration;

// ANCHOR: sites
/// The sites this server hosts, by name. A name is all that tells them apart: they
/// share one IP address and one port. This is *virtual hosting*, the reason Host
/// exists.
const SITES: &[(&str, &str)] = &[
    ("a.localhost", "Welcome to site A.\n"),
    (
        "b.localhost",
        "Welcome to site B, a different site on the same address.\n",
    ),
];

/// The site for a request that names none (HTTP/1.0 without Host). nginx calls it the
/// `default_server`; Apache, the first `<VirtualHost>`.
const DEFAULT_SITE: usize = 0;
// ANCHOR_END: sites

/// The largest head we read. A real server refuses more with 431; here it is 400.
const MAX_HEAD: usize = 8192;

fn main() -> ExitCode {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8090".to_string());
    let listener = match TcpListener::bind(&addr) {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("error: cannot bind {addr}: {e}");
            return ExitCode::FAILURE;
        }
    };
    match listener.local_addr() {
        Ok(local) => println!("listening on http://{local}"),
        Err(e) => {
            eprintln!("error: cannot bind {addr}: {e}");
            return ExitCode::FAILURE;
        }
    }
    for stream in listener.incoming() {
        if let Err(e) = stream.and_then(handle_connection) {
            eprintln!("connection failed: {e}");
        }
    }
    ExitCode::SUCCESS
}

/// Reads one request head, decides which site it is for, answers, and closes.
fn handle_connection(mut stream: TcpStream) -> std::io::Result<()> {
    // One client at a time: a client that sends nothing must not hold us forever.
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let head = read_head(&mut stream)?;
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut request = httparse::Request::new(&mut headers);
    let (status, body) = match request.parse(&head) {
        Ok(httparse::Status::Complete(_)) => {
            let answer = answer(&request);
            let line = format!(
                "{} {} HTTP/1.{}",
                request.method.unwrap_or("-"),
                request.path.unwrap_or("-"),
                request.version.unwrap_or(1)
            );
            println!("{line:?} -> {} {}", answer.0, answer.2);
            (answer.0, answer.1)
        }
        _ => {
            println!("(unparsable request) -> 400");
            (
                400,
                "bad request: not an HTTP/1.x request head\n".to_string(),
            )
        }
    };
    let reason = match status {
        200 => "OK",
        421 => "Misdirected Request",
        _ => "Bad Request",
    };
    let response = format!(
        "HTTP/1.1 {status} {reason}\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\
         Content-Length: {}\r\n\
         Connection: close\r\n\
         \r\n\
         {body}",
        body.len()
    );
    stream.write_all(response.as_bytes())
}

/// Reads until the empty line that ends the head (or the client stops, or the head
/// grows too large: the parser then reports it incomplete, and we answer 400).
fn read_head(stream: &mut TcpStream) -> std::io::Result<Vec<u8>> {
    let mut head = Vec::new();
    let mut chunk = [0; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < MAX_HEAD {
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&chunk[..n]);
    }
    Ok(head)
}

/// The status, the body, and a few words for the log.
type Answer = (u16, String, String);

// ANCHOR: which_host
/// Decides which host a request names, following RFC 9112, section 3.2, in order.
fn answer(request: &httparse::Request) -> Answer {
    let hosts: Vec<&[u8]> = request
        .headers
        .iter()
        .filter(|h| h.name.eq_ignore_ascii_case("host"))
        .map(|h| h.value)
        .collect();
    let target = request.path.unwrap_or("/");
    let http11 = request.version == Some(1);

    // "A server MUST respond with a 400 (Bad Request) status code to any HTTP/1.1
    // request message that lacks a Host header field and to any request message that
    // contains more than one Host header field line or a Host header field with an
    // invalid field value." Two Host lines are two answers to "which site?": a proxy
    // in front might pick the first and we the second, and then each believes a
    // different site was asked for.
    if hosts.len() > 1 {
        return refuse(&format!(
            "{} Host header lines: a request may carry only one",
            hosts.len()
        ));
    }
    if http11 && hosts.is_empty() {
        return refuse("no Host header: HTTP/1.1 requires one");
    }

    // An absolute-form target (`GET http://b.localhost/ HTTP/1.1`) is what a client
    // sends to a proxy, and names the host itself. Then "the server MUST ignore the
    // received Host header field" (section 3.2.2) and use the target's authority.
    // A scheme is case-insensitive (RFC 3986, section 3.1): `HTTP://b.localhost/` is
    // the same target, and a server that only knew `http://` would take Host's word
    // for it, the very bypass a Host check must not allow.
    let named: &[u8] = if let Some(rest) = strip_scheme(target) {
        let authority = rest.split('/').next().unwrap_or("");
        authority.as_bytes()
    } else {
        match hosts.first() {
            // An empty Host names no site, and an `http` URI without a host is
            // invalid (RFC 9110, section 4.2.1).
            Some(&[]) => {
                return refuse("empty Host header: it names no site");
            }
            Some(value) => value,
            // HTTP/1.0 predates Host: such a client gets the default site.
            None => {
                let (name, page) = SITES[DEFAULT_SITE];
                return (200, page.to_string(), format!("{name} (default)"));
            }
        }
    };
    site_for(named)
}
// ANCHOR_END: which_host

/// The rest of an absolute-form target after its `http://` or `https://`, in any case.
fn strip_scheme(target: &str) -> Option<&str> {
    ["http://", "https://"].iter().find_map(|scheme| {
        let head = target.get(..scheme.len())?;
        head.eq_ignore_ascii_case(scheme)
            .then(|| &target[scheme.len()..])
    })
}

/// A 400 answer, with the reason in the body and in the log.
fn refuse(why: &str) -> Answer {
    (400, format!("bad request: {why}\n"), why.to_string())
}

// ANCHOR: site_for
/// Looks the named host up among our sites. Names are case-insensitive, and the port
/// is not part of the name: `A.localhost:8090` is site A.
fn site_for(named: &[u8]) -> Answer {
    let named = String::from_utf8_lossy(named).to_ascii_lowercase();
    let name = match named.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => named.as_str(),
    };
    match SITES.iter().find(|(site, _)| *site == name) {
        Some((site, page)) => (200, page.to_string(), site.to_string()),
        // We are not that site. 421 Misdirected Request says exactly this: "the
        // request was directed at a server that is unable or unwilling to produce an
        // authoritative response for the target URI" (RFC 9110, section 15.5.20).
        None => (
            421,
            format!("misdirected: this server has no site called {named:?}\n"),
            "no such site".into(),
        ),
    }
}
// ANCHOR_END: site_for
