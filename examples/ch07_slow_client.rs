//! Chapter 7: one slow client blocks everyone — the limit of a blocking server, and the
//! Rust Book's answer to it, a thread per connection.
//!
//! Run it:
//!
//! ```text
//! cargo run --example ch07_slow_client 127.0.0.1:8090           # one connection at a time
//! cargo run --example ch07_slow_client 127.0.0.1:8090 threads   # a thread per connection
//! ```
//!
//! Then, in a second terminal, connect and say nothing:
//!
//! ```text
//! nc 127.0.0.1 8090
//! ```
//!
//! and in a third, ask for a page, giving up after two seconds:
//!
//! ```text
//! curl -m 2 http://127.0.0.1:8090/
//! ```
//!
//! In the first mode curl times out: the server is stuck in `read` on the silent
//! connection. Type a request into nc (or press Ctrl-C there) and the server moves on.
//! In `threads` mode curl is answered at once, and each open connection costs a thread.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;

use anyhow::Context as _;
use log::{info, warn};

/// The largest head we read; the rest of the course explains why there must be one.
const MAX_HEAD_BYTES: usize = 8 * 1024;

/// How the server shares its time between connections.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Serve each connection to the end before accepting the next: chapters 1–6.
    OneAtATime,
    /// Hand each accepted connection to a new thread, and accept again at once.
    ThreadPerConnection,
}

/// Connections being served right now (in `threads` mode, the threads serving them).
static OPEN: AtomicUsize = AtomicUsize::new(0);

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:8090".to_string());
    let mode = match args.next().as_deref() {
        None | Some("one") => Mode::OneAtATime,
        Some("threads") => Mode::ThreadPerConnection,
        Some(other) => {
            eprintln!("error: unknown mode {other:?}: say `one` or `threads`");
            return ExitCode::from(2);
        }
    };
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"))
        .format_timestamp(None)
        .init();
    match serve(&addr, mode) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

// ANCHOR: serve
fn serve(addr: &str, mode: Mode) -> anyhow::Result<()> {
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
        match mode {
            // The loop does not come back to accept() until this client is done. If it
            // never sends its request, that is never.
            Mode::OneAtATime => serve_one(stream, peer),
            // The Rust Book's answer: the new thread waits in read() for this client,
            // and this loop goes straight back to accept(). Each thread gets its own
            // stack (2 MiB of address space by default, of which the kernel backs only
            // the pages it touches) and a kernel task the scheduler must juggle.
            Mode::ThreadPerConnection => {
                if let Err(e) = thread::Builder::new().spawn(move || serve_one(stream, peer)) {
                    // Out of threads or memory: this client gets nothing, the others go on.
                    OPEN.fetch_sub(1, Ordering::Relaxed);
                    warn!("{peer} no thread for it: {e}");
                }
            }
        }
    }
    Ok(())
}
// ANCHOR_END: serve

fn serve_one(stream: TcpStream, peer: SocketAddr) {
    match handle_connection(stream) {
        Ok(Some(request_line)) => info!("{peer} \"{}\" 200", request_line.escape_debug()),
        Ok(None) => info!("{peer} closed without a request"),
        Err(e) => warn!("{peer} failed: {e}"),
    }
    OPEN.fetch_sub(1, Ordering::Relaxed);
}

// ANCHOR: handle_connection
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
// ANCHOR_END: handle_connection
