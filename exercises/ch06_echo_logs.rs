//! Exercise for chapter 6: the echo — answer every request with the request itself,
//! the head as it arrived and then what the server made of it.
//!
//! This is the chapter's server with `render_text` taken out: it is yours to write.
//! Run it, and grade it from another terminal:
//!
//! ```text
//! cargo run --example ex06_echo_logs                       # listens on 127.0.0.1:8096
//! cargo run -- grade 6 127.0.0.1:8096
//! ```
//!
//! and run the unit tests at the bottom of this file, which check parts of the echo
//! without a socket:
//!
//! ```text
//! cargo test --example ex06_echo_logs
//! ```
//!
//! Until `render_text` is written, each request reaches its `todo!()`: the server prints
//! the panic, closes that connection without an answer, and goes on listening. The
//! reference solution is `examples/ch06_echo_logs.rs`.

// Until the `todo!()` is written, some names go unused. Delete this line when you are
// done: the compiler then tells you about anything you left unused.
#![allow(unused_variables, dead_code)]

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::panic::{self, AssertUnwindSafe};
use std::process::ExitCode;
use std::time::SystemTime;

use anyhow::Context as _;
use log::{debug, info, trace, warn};

/// The largest head we read: request line and headers. Real servers pick 8–16 KiB
/// (nginx 8 KiB per line, hostecho 8 KiB in all); past it the client gets 431.
const MAX_HEAD_BYTES: usize = 8 * 1024;
/// The most header lines httparse may fill in; more is a 431 too.
const MAX_HEADERS: usize = 64;
/// The largest body we read and echo; more is a 413.
const MAX_BODY_BYTES: usize = 64 * 1024;

fn main() -> ExitCode {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8096".to_string());

    // `RUST_LOG` picks what is logged: `debug`, `info`, or per module, `ex06_echo_logs=trace`
    // (a crate's name is its target). Without it, `info`: one line per response.
    // No timestamps: a terminal does not need them and journald adds its own; it also
    // keeps the book's transcripts the same from one run to the next.
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"))
        .format_timestamp(None)
        .init();

    match serve(&addr) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // `{:#}` prints the error and its causes on one line, with no backtrace:
            // "error: cannot bind 127.0.0.1:8096: Address already in use (os error 98)".
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn serve(addr: &str) -> anyhow::Result<()> {
    let listener = TcpListener::bind(addr).with_context(|| format!("cannot bind {addr}"))?;
    // On stdout, not through the logger: whatever started us waits for this exact line,
    // whatever RUST_LOG says.
    println!("listening on http://{}", listener.local_addr()?);

    for stream in listener.incoming() {
        // A panic (the `todo!()` in `render_text`, until you write it) ends this
        // connection, not the server: the grader then finds a connection closed without
        // an answer, rather than nothing listening at all.
        let result = panic::catch_unwind(AssertUnwindSafe(|| {
            stream.and_then(|stream| {
                let peer = stream.peer_addr()?;
                handle_connection(stream, peer).map_err(|e| {
                    // One client's trouble is not the server's: log it and serve the next.
                    warn!("{peer} connection failed: {e}");
                    e
                })
            })
        }));
        if let Ok(Err(e)) = result {
            debug!("accept or connection error: {e}");
        }
    }
    Ok(())
}

/// A request as the echo needs it: owned, because the read buffer is reused.
#[derive(Debug)]
struct Request {
    /// The first line, exactly as received (without its CRLF).
    request_line: String,
    method: String,
    target: String,
    /// The minor version: 1 for HTTP/1.1, 0 for HTTP/1.0 (httparse accepts only these).
    version: u8,
    /// Every header in wire order, with its original case; values are bytes, since
    /// HTTP allows any byte but controls in them (RFC 9110 §5.5).
    headers: Vec<(String, Vec<u8>)>,
    body: Vec<u8>,
}

/// Why a request could not be read, with the status to answer it with.
struct Refusal {
    status: &'static str,
    reason: String,
}

fn handle_connection(mut stream: TcpStream, peer: SocketAddr) -> io::Result<()> {
    let local = stream.local_addr()?;
    debug!("{peer} connected to {local}");

    let (status, body) = match read_request(&mut stream, peer)? {
        // The client closed before sending a whole request: nobody to answer.
        None => {
            debug!("{peer} closed without a complete request");
            return Ok(());
        }
        Some(Ok(request)) => {
            let body = render_text(&request, peer, local);
            info!(
                "{peer} \"{}\" 200 {}",
                request.request_line.escape_debug(),
                body.len()
            );
            ("200 OK", body)
        }
        Some(Err(refusal)) => {
            warn!("{peer} refused: {} {}", refusal.status, refusal.reason);
            (refusal.status, format!("{}\n", refusal.reason))
        }
    };

    // `Date` is required of a server with a clock (RFC 9110 §6.6.1); httpdate writes the
    // one format HTTP allows, IMF-fixdate, always in GMT.
    let response = format!(
        "HTTP/1.1 {status}\r\n\
         Date: {}\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\
         Content-Length: {}\r\n\
         Connection: close\r\n\
         \r\n\
         {body}",
        httpdate::fmt_http_date(SystemTime::now()),
        body.len()
    );
    trace!(
        "{peer} wrote {} bytes: \"{}\"",
        response.len(),
        response.as_bytes().escape_ascii()
    );
    stream.write_all(response.as_bytes())?;
    debug!("{peer} closed");
    Ok(())
}

/// Reads until the head is complete (chapter 5), then a `Content-Length` body.
/// `Ok(None)`: the client closed first. `Ok(Some(Err(_)))`: a request we refuse.
fn read_request(
    stream: &mut TcpStream,
    peer: SocketAddr,
) -> io::Result<Option<Result<Request, Refusal>>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Ok(None);
        }
        // The raw bytes, escaped so that `\r\n` shows and nothing can reach the terminal
        // as a control sequence. Free when trace is off: the macro checks the level
        // before it evaluates its arguments, and `escape_ascii` only escapes when the
        // message is written.
        trace!("{peer} read {n} bytes: \"{}\"", chunk[..n].escape_ascii());
        buf.extend_from_slice(&chunk[..n]);

        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut parsed = httparse::Request::new(&mut headers);
        let head_len = match parsed.parse(&buf) {
            Ok(httparse::Status::Complete(len)) => len,
            // Not an error: the rest of the head has not arrived yet.
            Ok(httparse::Status::Partial) if buf.len() <= MAX_HEAD_BYTES => continue,
            Ok(httparse::Status::Partial) | Err(httparse::Error::TooManyHeaders) => {
                return Ok(Some(Err(Refusal {
                    status: "431 Request Header Fields Too Large",
                    reason: format!(
                        "the head is over {MAX_HEAD_BYTES} bytes or {MAX_HEADERS} lines"
                    ),
                })));
            }
            Err(e) => {
                return Ok(Some(Err(Refusal {
                    status: "400 Bad Request",
                    reason: format!("malformed request: {e}"),
                })));
            }
        };

        // httparse accepts a bare LF as a line end (RFC 9112 §2.2 allows it), so cut
        // the request line at the LF and drop a CR if there was one.
        let line_end = buf.iter().position(|&b| b == b'\n').unwrap_or(0);
        let request_line = String::from_utf8_lossy(&buf[..line_end])
            .trim_end_matches('\r')
            .to_owned();
        // The debug log: the head as the client sent it, one line per log line, as
        // chapter 1's console printed it.
        debug!("{peer} > {request_line}");
        for h in parsed.headers.iter() {
            debug!("{peer} > {}: {}", h.name, h.value.escape_ascii());
        }

        let mut request = Request {
            request_line,
            // A Complete parse always has all three: httparse fills them before it
            // says Complete, so these defaults are never used.
            method: parsed.method.unwrap_or_default().to_owned(),
            target: parsed.path.unwrap_or_default().to_owned(),
            version: parsed.version.unwrap_or(1),
            headers: parsed
                .headers
                .iter()
                .map(|h| (h.name.to_owned(), h.value.to_vec()))
                .collect(),
            body: Vec::new(),
        };
        let length = match content_length(&request.headers) {
            Ok(length) => length,
            Err(refusal) => return Ok(Some(Err(refusal))),
        };
        // Whatever followed the head in the buffer is the start of the body.
        request.body = buf[head_len..].to_vec();
        while request.body.len() < length {
            let n = stream.read(&mut chunk)?;
            if n == 0 {
                return Ok(None);
            }
            trace!("{peer} read {n} bytes: \"{}\"", chunk[..n].escape_ascii());
            request.body.extend_from_slice(&chunk[..n]);
        }
        // Bytes past the body would be a pipelined second request: this server answers
        // one per connection and drops them (chapter 9 keeps them).
        request.body.truncate(length);
        return Ok(Some(Ok(request)));
    }
}

/// The body's length from `Content-Length`, 0 without one. Two different values, or one
/// that is not a number, make the body's end unknowable: 400 (RFC 9112 §6.3).
fn content_length(headers: &[(String, Vec<u8>)]) -> Result<usize, Refusal> {
    let mut length = None;
    for (name, value) in headers {
        if !name.eq_ignore_ascii_case("content-length") {
            continue;
        }
        let parsed = std::str::from_utf8(value)
            .ok()
            .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|v| v.parse::<usize>().ok());
        match (parsed, length) {
            (Some(n), None) => length = Some(n),
            (Some(n), Some(m)) if n == m => {}
            _ => {
                return Err(Refusal {
                    status: "400 Bad Request",
                    reason: "invalid or conflicting Content-Length".to_owned(),
                });
            }
        }
    }
    match length {
        Some(n) if n > MAX_BODY_BYTES => Err(Refusal {
            status: "413 Content Too Large",
            reason: format!("the body is over {MAX_BODY_BYTES} bytes"),
        }),
        n => Ok(n.unwrap_or(0)),
    }
}

// ANCHOR: render_text
/// The text echo: the request as it arrived, then what we made of it, then the body.
/// Pure: no socket, no clock, so a unit test can pin its whole output.
fn render_text(request: &Request, peer: SocketAddr, local: SocketAddr) -> String {
    // Your turn. Three parts, separated by blank lines, every line ending in "\n":
    // 1. the head as the client sent it: `request.request_line`, then each header as
    //    `Name: value`, in wire order and original case (`String::from_utf8_lossy` for
    //    a value);
    // 2. what the server understood, one `label:` per line, padded to 9 columns as
    //    `field` does: method; path (the target before `?`, percent-decoded with
    //    `percent_encoding::percent_decode_str(path).decode_utf8_lossy()`); query (each
    //    pair from `form_urlencoded::parse` on a line of its own, `name = value`, or
    //    `name =` for an empty value; `(none)` without pairs); version
    //    (`HTTP/1.{version}`); peer; local; the body's length (`0 bytes`, `1 byte`,
    //    followed by ` (not UTF-8: shown with U+FFFD)` when it is not UTF-8);
    // 3. the body (lossy UTF-8), if there is one, ending in a newline.
    // Every piece the client chose goes through `push_escaped`, so no byte of it can
    // reach a terminal as a control sequence: the tests below check that it does.
    todo!("write the echo: the head as sent, the summary, the body")
}

/// One summary line, its label padded so the values line up.
fn field(out: &mut String, label: &str, value: &str) {
    out.push_str(&format!("{:<9}", format!("{label}:")));
    push_escaped(out, value, Layout::Line);
    out.push('\n');
}
// ANCHOR_END: render_text

/// Where text sits decides which control characters may stay raw.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Layout {
    /// One line: a newline would forge the next line of the echo.
    Line,
    /// The body: its line breaks are its own.
    Block,
}

/// Appends `text` with every control character made visible. This text goes to a
/// terminal and the client wrote it: `ESC [ 2 J` in a header would clear the screen of
/// whoever runs curl, and other sequences can retitle the window or worse.
fn push_escaped(out: &mut String, text: &str, layout: Layout) {
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\t' => out.push(c),
            '\n' if layout == Layout::Block => out.push(c),
            // Only CR before LF is harmless; a lone CR moves the cursor back and lets
            // what follows overwrite what came before.
            '\r' if layout == Layout::Block && chars.peek() == Some(&'\n') => out.push(c),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            // C0 controls and DEL as `\x1b`; C1 (U+0080–U+009F) as `\u{9b}`.
            c if c.is_ascii_control() => out.push_str(&format!("\\x{:02x}", u32::from(c))),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(target: &str, headers: &[(&str, &[u8])], body: &[u8]) -> Request {
        Request {
            request_line: format!("GET {target} HTTP/1.1"),
            method: "GET".to_owned(),
            target: target.to_owned(),
            version: 1,
            headers: headers
                .iter()
                .map(|(n, v)| ((*n).to_owned(), v.to_vec()))
                .collect(),
            body: body.to_vec(),
        }
    }

    fn addr(s: &str) -> SocketAddr {
        s.parse().expect("a valid address in the test")
    }

    #[test]
    fn an_escape_sequence_in_a_header_reaches_the_terminal_as_text() {
        let r = request("/", &[("X-Evil", b"\x1b[2J\r\nHost: forged")], b"");
        let out = render_text(&r, addr("127.0.0.1:1"), addr("127.0.0.1:2"));
        assert!(!out.contains('\x1b'), "{out:?}");
        assert!(
            out.contains("X-Evil: \\x1b[2J\\r\\nHost: forged\n"),
            "{out}"
        );
    }

    #[test]
    fn decodes_the_path_and_the_query() {
        let r = request("/a%20b?q=x+y&empty=", &[], b"");
        let out = render_text(&r, addr("127.0.0.1:1"), addr("127.0.0.1:2"));
        assert!(out.contains("path:    /a b\n"), "{out}");
        assert!(
            out.contains("query:   q = x y\n         empty =\n"),
            "{out}"
        );
    }

    #[test]
    fn says_how_long_the_body_is_and_shows_it() {
        let r = request("/", &[], b"hi\xff");
        let out = render_text(&r, addr("127.0.0.1:1"), addr("127.0.0.1:2"));
        assert!(
            out.ends_with("body:    3 bytes (not UTF-8: shown with U+FFFD)\n\nhi\u{fffd}\n"),
            "{out}"
        );
    }
}
