//! Fuzzes a whole `Connection`, driven through an in-memory stream.
//!
//! Run from `fuzz/`: `RUSTC_BOOTSTRAP=1 cargo fuzz run connection -- -max_total_time=60`,
//! or `scripts/fuzz.sh connection 10` from the repository root.
//!
//! TCP is a stream: the same request can arrive in one read or in fifty, and the
//! answer must not depend on it. This target sends the same bytes to two connections,
//! once in a single piece and once split where the fuzzer says (with `WouldBlock`
//! between the pieces, exactly as a non-blocking socket says it, and with a send buffer
//! that takes only a few bytes at a time), and checks that:
//!
//! * nothing panics, and `drive` always ends (`Read` once the input is used up, or
//!   `Close`);
//! * both connections wrote the same bytes, apart from `100 Continue`, which is only
//!   sent when the body had not arrived with the head (RFC 9110 §10.1.1);
//! * whatever was written is a response: it starts with `HTTP/1.1 `.
//!
//! Input layout: byte 0 holds flags (bit 0: the client closes its side after the last
//! piece), byte 1 the send buffer's size for the split run, byte 2 how many piece
//! lengths follow; those lengths (cycled) split the rest, which is what the client sends.

#![no_main]

use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::time::Instant;

use hostecho::health::HealthPath;
use hostecho::host::{HostPolicy, PolicyOptions};
use hostecho::Config;
use hostecho::http::framing::Limits;
use hostecho::server::connection::{Connection, Context, Next};
use hostecho::server::scratch::Scratch;
use hostecho::server::stream::Stream;
use libfuzzer_sys::fuzz_target;

/// A non-blocking socket in memory: hands out the client's bytes one piece per `read`,
/// says `WouldBlock` between pieces, and collects what the server writes, taking at
/// most `room` bytes between two "the client read it" moments.
struct MemStream {
    pieces: VecDeque<Vec<u8>>,
    /// A piece was just handed out: the next `read` says `WouldBlock`.
    blocked: bool,
    /// After the last piece, `read` returns `Ok(0)` (the client shut its side).
    eof: bool,
    output: Vec<u8>,
    /// How many more bytes `write` takes before it says `WouldBlock`.
    room: usize,
    /// What `room` goes back to when the client reads.
    capacity: usize,
}

impl MemStream {
    fn new(pieces: VecDeque<Vec<u8>>, eof: bool, capacity: usize) -> MemStream {
        MemStream {
            pieces,
            blocked: false,
            eof,
            output: Vec::new(),
            room: capacity,
            capacity,
        }
    }

    /// Whether the client has nothing more to say (not even its close).
    fn exhausted(&self) -> bool {
        self.pieces.is_empty() && !self.eof
    }
}

impl Read for MemStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.blocked {
            self.blocked = false;
            return Err(io::ErrorKind::WouldBlock.into());
        }
        let Some(piece) = self.pieces.front_mut() else {
            if self.eof {
                return Ok(0);
            }
            return Err(io::ErrorKind::WouldBlock.into());
        };
        // A read gets at most what the caller has room for; the rest stays for the
        // next read, as it would in the kernel's receive buffer.
        let n = piece.len().min(buf.len());
        buf[..n].copy_from_slice(&piece[..n]);
        piece.drain(..n);
        if piece.is_empty() {
            self.pieces.pop_front();
            self.blocked = true;
        }
        Ok(n)
    }
}

/// Shutting down the write side changes nothing here: the connection reads on
/// (lingering), and what it wrote is already in `output`.
impl Stream for MemStream {
    fn shutdown_write(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Write for MemStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.room == 0 {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        let n = buf.len().min(self.room);
        self.output.extend_from_slice(&buf[..n]);
        self.room -= n;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Sends `pieces` to a fresh connection and returns everything it wrote.
fn run(policy: &HostPolicy, pieces: VecDeque<Vec<u8>>, eof: bool, capacity: usize) -> Vec<u8> {
    let peer: SocketAddr = "127.0.0.1:40000".parse().expect("a literal address");
    let local: SocketAddr = "127.0.0.1:8000".parse().expect("a literal address");
    let now = Instant::now();
    let config = Config {
        // A health path, so that the answer given before the Host check is fuzzed too.
        health_path: Some(HealthPath::parse("/healthz").expect("a valid health path")),
        // A body longer than 64 bytes is cut for the echo: small enough that the
        // fuzzer's inputs reach the cut (a character split by it, a form's pairs).
        limits: Limits {
            echo_body_bytes: 64,
            ..Limits::default()
        },
        ..Config::default()
    };
    let ctx = Context::new(&config, policy, now, "Sat, 21 Nov 2026 16:00:00 GMT");
    let total: usize = pieces.iter().map(Vec::len).sum();
    let mut conn = Connection::new(MemStream::new(pieces, eof, capacity), peer, local, now);
    let mut scratch = Scratch::new();
    // Every call makes progress (it reads a piece, or its output is taken), so this
    // bound is only there to turn a stuck connection into a finding instead of a hang.
    let mut budget = 4 * total + 64 + (64 * total + 1024 * 1024) / capacity;
    loop {
        assert!(budget > 0, "drive keeps returning without finishing");
        budget -= 1;
        match conn.drive(&ctx, &mut scratch) {
            Next::Close => break,
            Next::Read if conn.stream_mut().exhausted() => break,
            Next::Read => {}
            // The client reads what was written, making room in the send buffer.
            Next::Write => {
                let stream = conn.stream_mut();
                stream.room = stream.capacity;
            }
        }
    }
    std::mem::take(&mut conn.stream_mut().output)
}

/// `output` without the interim `100 Continue` responses.
fn without_continue(output: &[u8]) -> Vec<u8> {
    const CONTINUE: &[u8] = b"HTTP/1.1 100 Continue\r\n\r\n";
    let mut out = Vec::with_capacity(output.len());
    let mut rest = output;
    while !rest.is_empty() {
        if rest.starts_with(CONTINUE) {
            rest = &rest[CONTINUE.len()..];
        } else {
            out.push(rest[0]);
            rest = &rest[1..];
        }
    }
    out
}

fuzz_target!(|data: &[u8]| {
    thread_local! {
        static POLICY: HostPolicy =
            HostPolicy::new(PolicyOptions::default()).expect("the default policy is valid");
    }
    let [flags, room, count, rest @ ..] = data else {
        return;
    };
    let eof = flags & 1 == 1;
    let capacity = usize::from(*room) + 1;
    let count = usize::from(*count % 32).min(rest.len());
    let (lengths, input) = rest.split_at(count);

    // The split plan: piece lengths from the fuzzer, cycled; 0 counts as 1.
    let mut split = VecDeque::new();
    let mut lengths = lengths.iter().map(|&n| usize::from(n).max(1)).cycle();
    let mut at = 0;
    while at < input.len() {
        let end = lengths
            .next()
            .map_or(input.len(), |n| at + n)
            .min(input.len());
        split.push_back(input[at..end].to_vec());
        at = end;
    }

    POLICY.with(|policy| {
        // An empty piece would read as `Ok(0)`, the client closing: send none instead.
        let once: VecDeque<Vec<u8>> = [input.to_vec()]
            .into_iter()
            .filter(|p| !p.is_empty())
            .collect();
        let whole = run(policy, once, eof, usize::MAX);
        let pieces = run(policy, split, eof, capacity);
        if !whole.is_empty() {
            assert!(whole.starts_with(b"HTTP/1.1 "), "not a response");
        }
        assert_eq!(
            without_continue(&whole).escape_ascii().to_string(),
            without_continue(&pieces).escape_ascii().to_string(),
            "the answer depends on how the request was split"
        );
    });
});
