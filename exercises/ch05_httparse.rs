//! Exercise for chapter 5: parse the head with httparse — "not enough bytes yet" as a
//! state, and a `400 Bad Request` that says what was wrong.
//!
//! This is the chapter's server with `read_head` taken out: it is yours to write. Run
//! it, and grade it from another terminal:
//!
//! ```text
//! cargo run --example ex05_httparse                        # listens on 127.0.0.1:8095
//! cargo run -- grade 5 127.0.0.1:8095
//! ```
//!
//! Until `read_head` is written, each request reaches its `todo!()`: the server prints
//! the panic, closes that connection without an answer, and goes on listening. The
//! reference solution is `examples/ch05_httparse.rs`.

// Until the `todo!()` is written, some names go unused. Delete this line when you are
// done: the compiler then tells you about anything you left unused.
#![allow(unused_variables, dead_code)]

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::panic::{self, AssertUnwindSafe};
use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use httparse::{EMPTY_HEADER, Request, Status};

/// The most bytes of head we accept (chapter 4).
const MAX_HEAD: usize = 8 * 1024;

/// The most header lines we accept. httparse writes the headers into an array we
/// provide, so it never allocates; a request with more is `TooManyHeaders`.
const MAX_HEADERS: usize = 32;

fn main() -> ExitCode {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8095".to_owned());
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
        // A panic (the `todo!()` in `read_head`, until you write it) ends this
        // connection, not the server: the grader then finds a connection closed without
        // an answer, rather than nothing listening at all.
        let served = panic::catch_unwind(AssertUnwindSafe(|| stream.and_then(handle_connection)));
        if let Ok(Err(e)) = served {
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
    // Your turn. Read into a growing buffer, as in chapter 4, but after every read let
    // httparse judge the whole buffer: `let mut headers = [EMPTY_HEADER; MAX_HEADERS];`,
    // `Request::new(&mut headers)`, then `.parse(&buffer)`, which returns
    // - `Ok(Status::Complete(len))`: a whole head of `len` bytes: return the buffer
    //   (a head over `MAX_HEAD` is refused all the same: 431);
    // - `Ok(Status::Partial)`: a valid beginning, not an error: read more, unless the
    //   buffer is already over `MAX_HEAD` (431);
    // - `Err(httparse::Error::TooManyHeaders)`: 431, naming `MAX_HEADERS`;
    // - any other `Err(e)`: `Failure::Refuse("400 Bad Request", format!("{e}\n"))`.
    // A read of 0 bytes is `Failure::Closed`: nobody is left to answer.
    todo!("read and parse until Complete, answering 400 or 431 where the chapter says")
}
// ANCHOR_END: read_head

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
