//! Chapter 4: TCP is a stream — read until the head is complete, however many reads that
//! takes, and refuse a head that never ends.
//!
//! Run it:
//!
//! ```text
//! cargo run --example ch04_tcp_stream                  # 127.0.0.1:8090
//! ```
//!
//! Then try, from another terminal, a request in two pieces a second apart. Each piece
//! goes through a file, because bash's `printf` may write one string in several pieces
//! and the split would be up to chance (chapter 4 explains); `cat` writes a small file
//! in one go:
//!
//! ```text
//! mkdir -p /tmp/hostecho-ch04 && cd /tmp/hostecho-ch04
//! printf 'GET / HTTP/1.1\r\n' > start; printf 'Host: 127.0.0.1\r\n\r\n' > rest
//! (cat start; sleep 1; cat rest) | nc -N 127.0.0.1 8090
//! ```
//!
//! The server prints every read, and answers only once the empty line that ends the
//! head has arrived. A head longer than 8 KiB is answered with
//! `431 Request Header Fields Too Large`.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
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
    let mut head = Vec::new();
    let mut chunk = [0; 1024];
    loop {
        // read() returns as soon as some bytes are there: one byte, 1024, or 0 when
        // the client has closed its side. It says nothing about where a request ends.
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            println!(
                "the client closed after {} bytes, head incomplete",
                head.len()
            );
            return Ok(Head::Closed);
        }
        // Search only where the end can be: in the new bytes, or straddling the old
        // and the new (the last 3 old bytes), so a long head is not searched again.
        let from = head.len().saturating_sub(3);
        head.extend_from_slice(&chunk[..n]);
        match find(&head[from..], b"\r\n\r\n") {
            // Complete, but too large all the same: the limit is on the head.
            Some(at) if from + at + 4 > MAX_HEAD => {
                println!("read {n} bytes: head complete, but {} bytes", from + at + 4);
                return Ok(Head::TooLarge);
            }
            Some(at) => {
                let end = from + at + 4;
                println!("read {n} bytes: head complete, {end} bytes");
                // Whatever follows the empty line (a body, the next request) is not
                // the head. We keep it out of it; later chapters will use it.
                head.truncate(end);
                return Ok(Head::Complete(head));
            }
            None if head.len() > MAX_HEAD => {
                println!("read {n} bytes: {} bytes and no end of head", head.len());
                return Ok(Head::TooLarge);
            }
            None => println!("read {n} bytes, no end of head yet"),
        }
    }
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
