//! Exercise for chapter 4: TCP is a stream — read until the head is complete, however
//! many reads that takes, and refuse a head that never ends.
//!
//! This is the chapter's server with `read_head` taken out: it is yours to write. Run
//! it, and grade it from another terminal:
//!
//! ```text
//! cargo run --example ex04_tcp_stream                      # listens on 127.0.0.1:8094
//! cargo run -- grade 4 127.0.0.1:8094
//! ```
//!
//! Until `read_head` is written, each request reaches its `todo!()`: the server prints
//! the panic, closes that connection without an answer, and goes on listening. The
//! reference solution is `examples/ch04_tcp_stream.rs`.

// Until the `todo!()` is written, `find` and its parameter go unused. Delete this line
// when you are done: the compiler then tells you about anything you left unused.
#![allow(unused_variables, dead_code)]

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::panic::{self, AssertUnwindSafe};
use std::process::ExitCode;
use std::time::{Duration, SystemTime};

// ANCHOR: limit
/// The most bytes of head we accept. A client that sends more (a huge cookie, or an
/// attacker who never sends the empty line) would otherwise grow our buffer without
/// end. 8 KiB is what nginx allows by default for one header line; browsers stay far
/// below it.
const MAX_HEAD: usize = 8 * 1024;
// ANCHOR_END: limit

fn main() -> ExitCode {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8094".to_owned());
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

/// How reading a head ended.
enum Head {
    /// The head, up to and including its empty line.
    Complete(Vec<u8>),
    /// The client closed its side before the head was complete.
    Closed,
    /// More than [`MAX_HEAD`] bytes arrived without the empty line.
    TooLarge,
}

// ANCHOR: read_head
/// Reads until the empty line that ends an HTTP head (`\r\n\r\n`) has arrived.
fn read_head(stream: &mut TcpStream) -> std::io::Result<Head> {
    // Your turn. Keep a `Vec<u8>` for the head and, in a loop:
    // - `stream.read` into a chunk (say `[0; 1024]`): it returns as soon as *some*
    //   bytes are there, and `Ok(0)` once the client has closed its side: `Head::Closed`;
    // - append what arrived, and look for `\r\n\r\n` with `find`: it may straddle the
    //   old bytes and the new, so search from three bytes before the new ones;
    // - found: keep the head up to and including it (`truncate`), `Head::Complete`;
    //   but a head longer than `MAX_HEAD` is `Head::TooLarge`, complete or not.
    // Printing a line per read, as the example does, lets you watch the pieces arrive.
    todo!("read until the head is complete, the client closes, or MAX_HEAD is passed")
}
// ANCHOR_END: read_head

/// Where `needle` first occurs in `haystack`.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

// ANCHOR: handle_connection
fn handle_connection(mut stream: TcpStream) -> std::io::Result<()> {
    match read_head(&mut stream)? {
        Head::Complete(head) => stream.write_all(&response("200 OK", &head)),
        Head::Closed => Ok(()),
        Head::TooLarge => {
            let body = format!("the request's head is larger than {MAX_HEAD} bytes\n");
            stream.write_all(&response(
                "431 Request Header Fields Too Large",
                body.as_bytes(),
            ))?;
            close_gently(stream)
        }
    }
}
// ANCHOR_END: handle_connection

// ANCHOR: close_gently
/// Closes a connection whose client may still be sending.
///
/// Closing a socket with unread bytes in it makes the kernel answer with a reset (RST)
/// instead of a normal close, and a reset can reach the client before it has read our
/// answer, which it then loses. So: say we are done writing (FIN), then read and
/// discard what the client still sends until it closes too, for at most 2 seconds
/// and 1 MiB (RFC 9112 §9.6 asks servers to close in this staged way).
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
// ANCHOR_END: close_gently

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
