//! Exercise for chapter 7: one slow client must not block everyone — give each
//! connection a thread of its own, as the Rust Book's final project does.
//!
//! This is the chapter's server without its `threads` mode: `serve_in_a_thread`, which
//! hands a connection to a thread of its own, is yours to write. Run it, and grade it
//! from another terminal:
//!
//! ```text
//! cargo run --example ex07_slow_client                     # listens on 127.0.0.1:8097
//! cargo run -- grade 7 127.0.0.1:8097
//! ```
//!
//! Until `serve_in_a_thread` is written, each connection reaches its `todo!()`: the
//! server prints the panic, closes that connection without an answer, and goes on
//! listening. The reference solution is `examples/ch07_slow_client.rs` in its `threads`
//! mode.

// Until the `todo!()` is written, some names go unused. Delete this line when you are
// done: the compiler then tells you about anything you left unused.
#![allow(unused_variables, unused_imports, dead_code)]

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::panic::{self, AssertUnwindSafe};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;

use anyhow::Context as _;
use log::{info, warn};

/// The largest head we read; the rest of the course explains why there must be one.
const MAX_HEAD_BYTES: usize = 8 * 1024;

/// Connections being served right now: once you are done, the threads serving them.
static OPEN: AtomicUsize = AtomicUsize::new(0);

fn main() -> ExitCode {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8097".to_string());
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"))
        .format_timestamp(None)
        .init();
    match serve(&addr) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn serve(addr: &str) -> anyhow::Result<()> {
    let listener = TcpListener::bind(addr).with_context(|| format!("cannot bind {addr}"))?;
    println!("listening on http://{}", listener.local_addr()?);

    for stream in listener.incoming() {
        // accept() can fail for one connection (it was reset while queued, or we are out
        // of file descriptors); that is no reason to stop serving the others.
        let accepted = stream.and_then(|stream| Ok((stream.peer_addr()?, stream)));
        let (peer, stream) = match accepted {
            Ok(accepted) => accepted,
            Err(e) => {
                warn!("accept failed: {e}");
                continue;
            }
        };
        let open = OPEN.fetch_add(1, Ordering::Relaxed) + 1;
        info!("{peer} connected ({open} open)");
        // A panic (the `todo!()` in `serve_in_a_thread`, until you write it) ends this
        // connection, not the server: the grader then finds a connection closed without
        // an answer, rather than nothing listening at all.
        if panic::catch_unwind(AssertUnwindSafe(|| serve_in_a_thread(stream, peer))).is_err() {
            OPEN.fetch_sub(1, Ordering::Relaxed);
        }
    }
    Ok(())
}

// ANCHOR: serve_in_a_thread
/// Serves one connection without keeping this loop from going back to `accept()`.
fn serve_in_a_thread(stream: TcpStream, peer: SocketAddr) {
    // Your turn. Calling `serve_one(stream, peer)` here would serve this client to the
    // end before the next is accepted, and a client that never sends its request would
    // hold everyone up for ever. Hand it to a new thread instead, and return at once:
    // `thread::Builder::new().spawn(move || serve_one(stream, peer))`. `spawn` fails
    // when the system is out of threads or memory: then log a warning, and take this
    // connection back out of `OPEN`, since no thread will.
    todo!("serve this connection on a thread of its own")
}
// ANCHOR_END: serve_in_a_thread

fn serve_one(stream: TcpStream, peer: SocketAddr) {
    match handle_connection(stream) {
        Ok(Some(request_line)) => info!("{peer} \"{}\" 200", request_line.escape_debug()),
        Ok(None) => info!("{peer} closed without a request"),
        Err(e) => warn!("{peer} failed: {e}"),
    }
    OPEN.fetch_sub(1, Ordering::Relaxed);
}

/// Reads one head and answers with it. `Ok(None)`: the client closed first.
fn handle_connection(mut stream: TcpStream) -> io::Result<Option<String>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        // This is where a silent client holds us: read() blocks the whole thread until
        // the client sends a byte or closes. A blocking socket has no other way to wait.
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
        let mut headers = [httparse::EMPTY_HEADER; 64];
        match httparse::Request::new(&mut headers).parse(&buf) {
            Ok(httparse::Status::Complete(len)) => {
                buf.truncate(len);
                break;
            }
            Ok(httparse::Status::Partial) if buf.len() <= MAX_HEAD_BYTES => {}
            Ok(httparse::Status::Partial) => return Err(io::Error::other("head too large")),
            Err(e) => return Err(io::Error::other(format!("malformed request: {e}"))),
        }
    }
    // The echo: the head as it arrived. The head parsed, so it is printable ASCII.
    let head = String::from_utf8_lossy(&buf).replace("\r\n", "\n");
    let request_line = head.lines().next().unwrap_or_default().to_owned();
    let response = format!(
        "HTTP/1.1 200 OK\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\
         Content-Length: {}\r\n\
         Connection: close\r\n\
         \r\n\
         {head}",
        head.len()
    );
    stream.write_all(response.as_bytes())?;
    Ok(Some(request_line))
}
