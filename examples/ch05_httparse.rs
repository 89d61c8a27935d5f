//! Chapter 5: parsing with httparse — the request line and headers as data, "not enough
//! bytes yet" as a state, and a `400 Bad Request` that says what was wrong.
//!
//! Run it:
//!
//! ```text
//! cargo run --example ch05_httparse                   # 127.0.0.1:8090
//! ```
//!
//! Then try, from another terminal:
//!
//! ```text
//! curl 'http://127.0.0.1:8090/index.html?name=jack&age=18'
//! printf 'HELLO\r\n\r\n' | nc -N 127.0.0.1 8090
//! ```
//!
//! The answer is what the server understood: method, target, path, query, version and
//! headers. The server prints, for every read, what httparse made of the bytes so far:
//! `Partial`, `Complete` or an error.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use httparse::{EMPTY_HEADER, Request, Status};

/// The most bytes of head we accept (chapter 4).
const MAX_HEAD: usize = 8 * 1024;

// ANCHOR: max_headers
/// The most header lines we accept. httparse writes the headers into an array we
/// provide, so it never allocates; a request with more is `TooManyHeaders`.
const MAX_HEADERS: usize = 32;
// ANCHOR_END: max_headers

fn main() -> ExitCode {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8090".to_owned());
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
            eprintln!("error: {addr}: {e}");
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

/// Why a head could not be had.
enum Failure {
    /// The client closed before the head was complete: nobody to answer.
    Closed,
    /// An answer to send instead: the status line's code and reason, and a body.
    Refuse(&'static str, String),
}

// ANCHOR: read_head
/// Reads until httparse says the head is complete; returns the bytes read (the head,
/// and whatever came after it).
fn read_head(stream: &mut TcpStream) -> std::io::Result<Result<Vec<u8>, Failure>> {
    let mut buffer = Vec::new();
    let mut chunk = [0; 1024];
    loop {
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            println!("the client closed after {} bytes", buffer.len());
            return Ok(Err(Failure::Closed));
        }
        buffer.extend_from_slice(&chunk[..n]);

        // httparse keeps no state between calls: each time it parses the buffer from
        // the start. Parsing is cheap next to a system call, and a head is small.
        let mut headers = [EMPTY_HEADER; MAX_HEADERS];
        let mut request = Request::new(&mut headers);
        match request.parse(&buffer) {
            // The head is complete and is the first `len` bytes of the buffer.
            Ok(Status::Complete(len)) if len <= MAX_HEAD => {
                println!("read {n} bytes: Complete, a {len}-byte head");
                return Ok(Ok(buffer));
            }
            Ok(Status::Complete(_)) => {}
            // Not an error: what arrived so far is a valid beginning. Read more.
            Ok(Status::Partial) => println!("read {n} bytes: Partial"),
            // More header lines than `headers` has room for.
            Err(httparse::Error::TooManyHeaders) => {
                println!("read {n} bytes: too many headers");
                let body = format!("more than {MAX_HEADERS} header lines\n");
                return Ok(Err(Failure::Refuse(
                    "431 Request Header Fields Too Large",
                    body,
                )));
            }
            // Bytes that no more bytes can turn into a request: say which rule broke.
            Err(e) => {
                println!("read {n} bytes: error: {e}");
                return Ok(Err(Failure::Refuse("400 Bad Request", format!("{e}\n"))));
            }
        }
        if buffer.len() > MAX_HEAD {
            println!("read {n} bytes: over {MAX_HEAD} bytes");
            let body = format!("the request's head is larger than {MAX_HEAD} bytes\n");
            return Ok(Err(Failure::Refuse(
                "431 Request Header Fields Too Large",
                body,
            )));
        }
    }
}
// ANCHOR_END: read_head

// ANCHOR: handle_connection
fn handle_connection(mut stream: TcpStream) -> std::io::Result<()> {
    let buffer = match read_head(&mut stream)? {
        Ok(buffer) => buffer,
        Err(Failure::Closed) => return Ok(()),
        Err(Failure::Refuse(status, body)) => {
            stream.write_all(&response(status, body.as_bytes()))?;
            return close_gently(stream);
        }
    };
    // Parse once more, to borrow from `buffer` for as long as we need the request:
    // method, path and header names are `&str`, header values `&[u8]`, all pointing
    // into `buffer`. Nothing is copied.
    let mut headers = [EMPTY_HEADER; MAX_HEADERS];
    let mut request = Request::new(&mut headers);
    let body = match request.parse(&buffer) {
        Ok(Status::Complete(_)) => describe(&request),
        // read_head returned only once this parse was Complete.
        _ => unreachable!("the same bytes parsed as Complete a moment ago"),
    };
    stream.write_all(&response("200 OK", body.as_bytes()))
}
// ANCHOR_END: handle_connection

// ANCHOR: describe
/// What the server understood, one field per line.
fn describe(request: &Request) -> String {
    // A Complete parse fills method, path and version; httparse leaves them `None`
    // only while Partial.
    let method = request.method.unwrap_or_default();
    let target = request.path.unwrap_or_default();
    let version = request.version.unwrap_or_default();
    // The target is the path, then optionally `?` and the query string. httparse only
    // checks its characters; splitting it is ours to do.
    let (path, query) = target.split_once('?').unwrap_or((target, ""));

    let mut out = format!("method:  {method}\ntarget:  {target}\npath:    {path}\n");
    out.push_str(&format!("query:   {query}\n"));
    // `name=jack&age=18`: pairs separated by `&`, `+` for a space and %XX escapes, as
    // an HTML form sends them (application/x-www-form-urlencoded).
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        out.push_str(&format!("         {name} = {value}\n"));
    }
    out.push_str(&format!("version: HTTP/1.{version}\n"));
    out.push_str(&format!("headers: {}\n", request.headers.len()));
    for header in request.headers.iter() {
        // A header value is bytes, not text: RFC 9110 allows any byte from 0x80 up.
        // escape_ascii shows them as \xNN rather than guessing an encoding.
        out.push_str(&format!(
            "  {}: {}\n",
            header.name,
            header.value.escape_ascii()
        ));
    }
    out
}
// ANCHOR_END: describe

/// Closes a connection whose client may still be sending (chapter 4).
fn close_gently(mut stream: TcpStream) -> std::io::Result<()> {
    stream.shutdown(Shutdown::Write)?;
    stream.set_read_timeout(Some(Duration::from_secs(2)))?;
    let mut chunk = [0; 4096];
    let mut discarded = 0;
    while discarded < 1024 * 1024 {
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => discarded += n,
        }
    }
    Ok(())
}

/// A complete response whose body is `body`, shown as plain text (chapter 3).
fn response(status: &str, body: &[u8]) -> Vec<u8> {
    let date = httpdate::fmt_http_date(SystemTime::now());
    let mut bytes = format!(
        "HTTP/1.1 {status}\r\n\
         Date: {date}\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\
         Content-Length: {}\r\n\
         Connection: close\r\n\
         \r\n",
        body.len()
    )
    .into_bytes();
    bytes.extend_from_slice(body);
    bytes
}
