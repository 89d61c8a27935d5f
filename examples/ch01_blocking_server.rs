//! Chapter 1: the classic blocking server — bind, listen, accept, read once, answer, close.
//!
//! Run it:
//!
//! ```text
//! cargo run --example ch01_blocking_server              # listens on 127.0.0.1:8090
//! cargo run --example ch01_blocking_server 127.0.0.1:0  # or on any address; port 0 = "any free port"
//! ```
//!
//! Then try, from another terminal:
//!
//! ```text
//! curl -v http://localhost:8090/
//! ```
//!
//! and open <http://localhost:8090/> in a browser. The server prints every byte the
//! client sent, exactly as it arrived, and answers each connection with a fixed
//! `200 OK`.
//!
//! This server is short because it gets things wrong on purpose. Each shortcut is named
//! where it is taken, and each is the reason for a later chapter:
//!
//! - it reads once, at most 1024 bytes, and treats that as "the request": a request can
//!   arrive in several pieces, be longer than 1024 bytes, or come with the next request
//!   stuck to it (chapters 4 and 9);
//! - it never parses what it read (chapter 5);
//! - it closes the connection after one answer (chapter 9);
//! - it serves one client at a time, and a client that connects and says nothing stops
//!   everyone else forever (chapters 7 to 9);
//! - it never looks at the `Host` header (chapters 10 to 12).
//!
//! It uses only the standard library. If it cannot bind (the port is taken, or needs
//! privileges) it says which address and why in one line, and exits with status 1.

// ANCHOR: main
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::ExitCode;

fn main() -> ExitCode {
    // The address comes from the command line so a test can ask for port 0 and let the
    // OS pick a free one. 8090 is the first of the ports the chapters use (8090–8099),
    // as hostecho does: stop one program (Ctrl-C) before starting the next on it.
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8090".to_string());

    // `bind` does three system calls: socket(), bind() and listen(). From here on the OS
    // accepts connections for us and queues them (the "backlog") until we call accept().
    // If bind fails, nothing can be served: say which address and why, in one line, and
    // exit with a failure status. (The OS's reason, such as "Address already in use (os
    // error 98)", is what to search for.)
    let listener = match TcpListener::bind(&addr) {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("error: cannot bind {addr}: {e}");
            return ExitCode::FAILURE;
        }
    };

    // Print the address we really got (with port 0 the OS chose it). Rust's stdout is
    // line-buffered, so the newline flushes it even when stdout is a pipe: whoever
    // started us can read this line and know we are ready.
    let local = listener
        .local_addr()
        .expect("a socket that was just bound has a local address");
    println!("listening on http://{local}");

    // `incoming()` calls accept() in a loop. Each accept() blocks until a client has
    // connected, and hands us one connected socket. While we are busy with that client,
    // nobody else is served: the next connections wait in the backlog.
    for stream in listener.incoming() {
        // Either step can fail: accept() (the client gave up while queued, or we ran out
        // of file descriptors), or the conversation (a browser often opens a spare
        // connection and closes it unused; a client may hang up before our answer
        // arrives). Each is about one connection, not the server: report it, carry on.
        if let Err(e) = stream.and_then(handle_connection) {
            eprintln!("connection failed: {e}");
        }
    }
    ExitCode::SUCCESS
}
// ANCHOR_END: main

// ANCHOR: handle_connection
fn handle_connection(mut stream: TcpStream) -> std::io::Result<()> {
    // One read, of at most 1024 bytes. read() returns as soon as *some* bytes have
    // arrived — whatever the network delivered so far — not when "the request" is
    // complete: TCP is a stream of bytes and knows nothing of requests. This works in
    // this chapter only because curl sends a small request in one go over loopback.
    let mut buffer = [0; 1024];
    let n = stream.read(&mut buffer)?;

    // Print exactly what arrived. `from_utf8_lossy` turns any bytes that are not UTF-8
    // into U+FFFD instead of failing: HTTP heads are bytes, not text.
    println!("--- read {n} bytes from {} ---", stream.peer_addr()?);
    print!("{}", String::from_utf8_lossy(&buffer[..n]));
    // The request usually ends in a newline, but one cut off at 1024 bytes would not;
    // this line ends the dump either way (and flushes stdout).
    println!("--- end ---");

    // The same answer for everything, whatever was asked. The status line and each
    // header end in CRLF, and an empty line ends the head. Content-Type stops a browser
    // from guessing what the body is. Content-Length says where the body ends (in bytes,
    // not characters), and `Connection: close` warns the client that we hang up after
    // it, so neither curl nor a browser waits for more.
    let body = "Hello, world!\n";
    let response = format!(
        "HTTP/1.1 200 OK\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\
         Content-Length: {}\r\n\
         Connection: close\r\n\
         \r\n\
         {body}",
        body.len()
    );
    // write() may send only part of a buffer; write_all() loops until all of it is sent.
    stream.write_all(response.as_bytes())?;

    // Returning drops `stream`, which closes the connection. If the client sent more
    // than we read, the OS answers the unread bytes with a reset (RST), which can destroy
    // the response before the client reads it: one more reason to read the whole request.
    Ok(())
}
// ANCHOR_END: handle_connection
