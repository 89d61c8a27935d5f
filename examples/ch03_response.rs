//! Chapter 3: a response curl needn't guess — the status line, `Content-Type`,
//! `Content-Length`, `Connection` and `Date`, and what a client does without them.
//!
//! Run it:
//!
//! ```text
//! cargo run --example ch03_response                       # 127.0.0.1:8090
//! cargo run --example ch03_response 127.0.0.1:8091 --without-content-length
//! ```
//!
//! Then try, from another terminal:
//!
//! ```text
//! curl -i http://127.0.0.1:8090/              # -i: show the response's head too
//! curl -v -m 5 http://127.0.0.1:8091/         # no Content-Length: curl waits
//! ```
//!
//! and open <http://127.0.0.1:8090/> in a browser: the page is the request the browser
//! sent, shown as plain text.
//!
//! The body of every answer is the request as it arrived, so you can see what curl or
//! the browser sent. With `--without-content-length` the answer has neither
//! `Content-Length` nor `Connection: close`, and the server keeps the connection open
//! afterwards, as a server expecting another request would: the client cannot tell that
//! the body is over.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::ExitCode;
use std::time::{Duration, SystemTime};

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:8090".to_owned());
    let with_length = !args.any(|flag| flag == "--without-content-length");

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
        if let Err(e) = stream.and_then(|stream| handle_connection(stream, with_length)) {
            eprintln!("connection failed: {e}");
        }
    }
    ExitCode::SUCCESS
}

// ANCHOR: handle_connection
fn handle_connection(mut stream: TcpStream, with_length: bool) -> std::io::Result<()> {
    // Still one read: chapter 4 is about reading a whole request.
    let mut buffer = [0; 1024];
    let n = stream.read(&mut buffer)?;
    let request = &buffer[..n];
    let first_line =
        String::from_utf8_lossy(request.split(|&b| b == b'\n').next().unwrap_or_default());
    println!("{} {:?}", stream.peer_addr()?, first_line.trim_end());

    if with_length {
        stream.write_all(&response(request))?;
        // Dropping the stream closes the connection, as `Connection: close` announced.
        return Ok(());
    }
    stream.write_all(&response_without_length(request))?;
    // Keep the connection open, as a server would that expects the client's next
    // request, until the client hangs up (or 10 s pass: this server serves one client
    // at a time, and must not wait forever).
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    while stream.read(&mut buffer)? > 0 {}
    println!("{} closed the connection", stream.peer_addr()?);
    Ok(())
}
// ANCHOR_END: handle_connection

// ANCHOR: response
/// A complete `200 OK` whose body is `body`, shown as plain text.
fn response(body: &[u8]) -> Vec<u8> {
    // The status line: the version we speak, the status code for programs, and a
    // reason phrase for people (clients must ignore it; RFC 9112 §4).
    let mut head = String::from("HTTP/1.1 200 OK\r\n");
    // When the answer was made, in the one date format HTTP allows (IMF-fixdate,
    // RFC 9110 §5.6.7), always in GMT. Caches use it; RFC 9110 §6.6.1 says a server
    // with a clock must send it.
    head.push_str(&format!(
        "Date: {}\r\n",
        httpdate::fmt_http_date(SystemTime::now())
    ));
    // What the bytes are, so the browser does not sniff the body to guess: we echo
    // what the client sent, which may look like HTML, and must be shown as text.
    head.push_str("Content-Type: text/plain; charset=utf-8\r\n");
    // Where the body ends: its length in bytes. Without it an HTTP/1.1 client can only
    // read until the connection closes.
    head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    // We hang up after this answer; the client should not send another request here.
    head.push_str("Connection: close\r\n");
    // The empty line that ends the head.
    head.push_str("\r\n");

    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}
// ANCHOR_END: response

// ANCHOR: response_without_length
/// The same answer with no `Content-Length` and no `Connection: close`: nothing tells
/// the client where the body ends.
fn response_without_length(body: &[u8]) -> Vec<u8> {
    let date = httpdate::fmt_http_date(SystemTime::now());
    let mut bytes = format!(
        "HTTP/1.1 200 OK\r\nDate: {date}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
    )
    .into_bytes();
    bytes.extend_from_slice(body);
    bytes
}
// ANCHOR_END: response_without_length
