//! Exercise for chapter 10: the Host header — which site a request is for, and when
//! Host is missing, doubled, empty, or overruled by an absolute-form target (RFC 9112,
//! section 3.2).
//!
//! This is the chapter's server with `answer` taken out: it is yours to write. Run it,
//! and grade it from another terminal:
//!
//! ```text
//! cargo run --example ex10_host_header                     # listens on 127.0.0.1:8100
//! cargo run -- grade 10 127.0.0.1:8100
//! ```
//!
//! Until `answer` is written, each request reaches its `todo!()`: the server prints the
//! panic, closes that connection without an answer, and goes on listening. The
//! reference solution is `examples/ch10_host_header.rs`.

// Until the `todo!()` is written, some names go unused. Delete this line when you are
// done: the compiler then tells you about anything you left unused.
#![allow(unused_variables, dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::panic::{self, AssertUnwindSafe};
use std::process::ExitCode;
use std::time::Duration;

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

/// The largest head we read. A real server refuses more with 431; here it is 400.
const MAX_HEAD: usize = 8192;

fn main() -> ExitCode {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8100".to_string());
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
        // A panic (the `todo!()` in `answer`, until you write it) ends this
        // connection, not the server: the grader then finds a connection closed without
        // an answer, rather than nothing listening at all.
        let served = panic::catch_unwind(AssertUnwindSafe(|| stream.and_then(handle_connection)));
        if let Ok(Err(e)) = served {
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
    // Your turn. Collect the values of the `Host` lines (`request.headers`, names
    // compared with `eq_ignore_ascii_case`), then, in this order:
    // 1. more than one Host line: `refuse(…)`, whatever the version;
    // 2. HTTP/1.1 (`request.version == Some(1)`) without Host: refuse;
    // 3. an absolute-form target (`request.path` starts with `http://` or `https://`,
    //    in any case: `strip_scheme(target)` gives what follows): its authority, up to
    //    the next `/`, names the host, and Host is ignored;
    // 4. otherwise the one Host value: empty, refuse (it names no site);
    // 5. HTTP/1.0 without Host: the `DEFAULT_SITE`, answered 200.
    // Hand the named host to `site_for`, which finds the site or answers 421.
    todo!("decide which host the request names, or refuse it")
}
// ANCHOR_END: which_host

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

/// A 400 answer, with the reason in the body and in the log.
fn refuse(why: &str) -> Answer {
    (400, format!("bad request: {why}\n"), why.to_string())
}

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
