//! Exercise for chapter 3: write the response head that curl needn't guess.
//!
//! This is the chapter's server, without its `--without-content-length` mode, with its
//! answer taken out: `response` is yours to write. Run it, and grade it from another
//! terminal:
//!
//! ```text
//! cargo run --example ex03_response                        # listens on 127.0.0.1:8093
//! cargo run -- grade 3 127.0.0.1:8093
//! ```
//!
//! Until `response` is written, each request reaches its `todo!()`: the server prints
//! the panic, closes that connection without an answer, and goes on listening. The
//! reference solution is `examples/ch03_response.rs`.

// Until the `todo!()` is written, its parameter and `SystemTime` go unused. Delete this line when you
// are done: the compiler then tells you about anything you left unused.
#![allow(unused_variables, unused_imports)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::panic::{self, AssertUnwindSafe};
use std::process::ExitCode;
use std::time::SystemTime;

fn main() -> ExitCode {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8093".to_owned());
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
        // A panic (the `todo!()` below, until you write it) ends this connection, not the
        // server: the grader then finds a connection closed without an answer, rather
        // than nothing listening at all.
        let served = panic::catch_unwind(AssertUnwindSafe(|| stream.and_then(handle_connection)));
        if let Ok(Err(e)) = served {
            eprintln!("connection failed: {e}");
        }
    }
    ExitCode::SUCCESS
}

fn handle_connection(mut stream: TcpStream) -> std::io::Result<()> {
    // Still one read: chapter 4 is about reading a whole request.
    let mut buffer = [0; 1024];
    let n = stream.read(&mut buffer)?;
    let request = &buffer[..n];
    let first_line =
        String::from_utf8_lossy(request.split(|&b| b == b'\n').next().unwrap_or_default());
    println!("{} {:?}", stream.peer_addr()?, first_line.trim_end());

    stream.write_all(&response(request))
    // Dropping the stream closes the connection, as `Connection: close` will announce.
}

// ANCHOR: response
/// A complete `200 OK` whose body is `body`, shown as plain text.
fn response(body: &[u8]) -> Vec<u8> {
    // Your turn. Build the bytes of a whole response, each line ending in "\r\n":
    // - the status line, `HTTP/1.1 200 OK`;
    // - `Date:` now, in HTTP's one date format: `httpdate::fmt_http_date(SystemTime::now())`;
    // - `Content-Type: text/plain; charset=utf-8`, so no browser sniffs the echo as HTML;
    // - `Content-Length:` the body's length in bytes, so the client knows where it ends;
    // - `Connection: close`, since we hang up after this answer;
    // - the empty line that ends the head, then the body's bytes.
    todo!("write the status line, the four headers, the empty line and the body")
}
// ANCHOR_END: response
