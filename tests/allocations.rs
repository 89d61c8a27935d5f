//! How many heap allocations one request costs on the whole path, without a socket.
//!
//! A count, not a time: it is the same on every run and every machine, so it can be a
//! test. It pins the figure the performance work brings down (BENCHMARKS.md,
//! "Allocations per request"); a change that adds an allocation to the hot path fails
//! here and must say why, by raising the bound with a note.
//!
//! dhat counts every allocation of this test binary once it is the global allocator,
//! which is why this file holds a single test: the count must not include other tests
//! running in parallel threads.

use std::io::{self, Read, Write};
use std::time::Instant;

use hostecho::Config;
use hostecho::exchange::Endpoints;
use hostecho::health::HealthPath;
use hostecho::host::{HostPolicy, PolicyOptions};
use hostecho::server::connection::{Connection, Context, Next};
use hostecho::server::scratch::Scratch;
use hostecho::server::stream::Stream;

#[path = "../benches/common/mod.rs"]
mod common;
use common::{BROWSER, Buffers, CURL, SCRIPT, serve};

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

/// The most allocations one request may take, once the buffers it borrows (the
/// response's bytes, the echo's body and the head, handed back after each request)
/// have grown: none. A change that makes the hot path allocate fails here, and must
/// say why by raising a bound with a note.
///
/// How it gets to none (BENCHMARKS.md, "Request path … and allocations per request"):
/// the head is framed into a reused `Head` (one copy of its text and values, its parts
/// as ranges); the allowed host borrows from the request and the policy; the echo is
/// rendered into the buffer of the request before, its query and form pairs borrow the request, and
/// nothing in it is formatted into a `String` of its own, in any format (`json` is
/// curl's request asking for JSON).
const MAX_ALLOCATIONS: [(&str, u64); 3] = [("curl", 0), ("browser", 0), ("json", 0)];

/// The same, for a request answered by a [`Connection`] on a keep-alive connection:
/// the whole of what the server does for it but the system calls and the access log,
/// buffers included. The connection borrows the loop's spare input, output, head and
/// body buffers ([`Scratch`]) and hands them back, so once they have grown it
/// allocates nothing either.
const MAX_ALLOCATIONS_ON_A_CONNECTION: [(&str, u64); 2] = [("curl", 0), ("browser", 0)];

/// The same, for a load balancer's health check of `--health-path` (HAProxy's, HTTP/1.1
/// here so the connection stays open): its constant answer is written into the spare
/// body buffer, like the echo, so it allocates nothing either.
const MAX_ALLOCATIONS_FOR_A_HEALTH_CHECK: u64 = 0;

/// A health check as HAProxy's `http-check send meth GET uri /healthz ver HTTP/1.1` sends
/// it, with a Host the policy would refuse on any other path.
const HEALTH_CHECK: &[u8] = b"GET /healthz HTTP/1.1\r\nHost: 10.0.3.17:8080\r\n\r\n";

/// An in-memory stream as a non-blocking socket behaves: a read returns what the
/// client sent since the last one, then `WouldBlock`; writes are counted, not kept.
#[derive(Debug, Default)]
struct Loopback {
    incoming: Vec<u8>,
    at: usize,
    written: usize,
}

impl Read for Loopback {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let rest = &self.incoming[self.at..];
        if rest.is_empty() {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        let n = rest.len().min(buf.len());
        buf[..n].copy_from_slice(&rest[..n]);
        self.at += n;
        Ok(n)
    }
}

impl Stream for Loopback {
    fn shutdown_write(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Write for Loopback {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.written += buf.len();
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Sends `request` on a keep-alive connection and drives it until answered, as the
/// event loop does after a readable event.
fn exchange_on(
    conn: &mut Connection<Loopback>,
    ctx: &Context<'_>,
    scratch: &mut Scratch,
    request: &[u8],
) {
    let stream = conn.stream_mut();
    stream.incoming.clear();
    stream.incoming.extend_from_slice(request);
    stream.at = 0;
    let before = stream.written;
    assert_eq!(conn.drive(ctx, scratch), Next::Read);
    assert!(conn.stream_mut().written > before, "no answer");
}

#[test]
fn allocations_per_request_stay_within_their_bound() {
    let _profiler = dhat::Profiler::builder().testing().build();
    let policy = HostPolicy::new(PolicyOptions::default()).expect("the default policy");
    let at = Endpoints {
        peer: "127.0.0.1:50000".parse().expect("a literal address"),
        local: "127.0.0.1:8000".parse().expect("a literal address"),
    };
    let mut report = Vec::new();
    for ((name, bound), bytes) in MAX_ALLOCATIONS.into_iter().zip([CURL, BROWSER, SCRIPT]) {
        let mut buffers = Buffers::default();
        // Once, so that anything allocated lazily the first time is not counted, and
        // the echo's buffer has grown to its size.
        serve(bytes, &policy, at, &mut buffers);
        let before = dhat::HeapStats::get().total_blocks;
        const ROUNDS: u64 = 100;
        for _ in 0..ROUNDS {
            serve(bytes, &policy, at, &mut buffers);
        }
        let per_request = (dhat::HeapStats::get().total_blocks - before) / ROUNDS;
        eprintln!("{name}: {per_request} allocations per request (bound {bound})");
        report.push((name, per_request, bound));
    }

    // The same requests through a connection, with the loop's scratch.
    let (config, date) = (Config::default(), "Thu, 26 Nov 2026 12:00:00 GMT");
    let ctx = Context::new(&config, &policy, Instant::now(), date);
    let mut scratch = Scratch::new();
    for ((name, bound), bytes) in MAX_ALLOCATIONS_ON_A_CONNECTION
        .into_iter()
        .zip([CURL, BROWSER])
    {
        // The stream's own buffer is the client's, not the server's: sized up front.
        let stream = Loopback {
            incoming: Vec::with_capacity(bytes.len()),
            ..Loopback::default()
        };
        let mut conn = Connection::new(stream, at.peer, at.local, ctx.now);
        exchange_on(&mut conn, &ctx, &mut scratch, bytes);
        let before = dhat::HeapStats::get().total_blocks;
        const ROUNDS: u64 = 100;
        for _ in 0..ROUNDS {
            exchange_on(&mut conn, &ctx, &mut scratch, bytes);
        }
        let per_request = (dhat::HeapStats::get().total_blocks - before) / ROUNDS;
        let name = if name == "curl" {
            "curl, on a connection"
        } else {
            "browser, on a connection"
        };
        eprintln!("{name}: {per_request} allocations per request (bound {bound})");
        report.push((name, per_request, bound));
    }

    // A health check, answered before the Host check.
    let health = HealthPath::parse("/healthz").expect("a valid health path");
    let checked = Context {
        health_path: Some(&health),
        ..ctx
    };
    let stream = Loopback {
        incoming: Vec::with_capacity(HEALTH_CHECK.len()),
        ..Loopback::default()
    };
    let mut conn = Connection::new(stream, at.peer, at.local, ctx.now);
    exchange_on(&mut conn, &checked, &mut scratch, HEALTH_CHECK);
    let before = dhat::HeapStats::get().total_blocks;
    const ROUNDS: u64 = 100;
    for _ in 0..ROUNDS {
        exchange_on(&mut conn, &checked, &mut scratch, HEALTH_CHECK);
    }
    let per_request = (dhat::HeapStats::get().total_blocks - before) / ROUNDS;
    eprintln!(
        "health check, on a connection: {per_request} allocations per request (bound {MAX_ALLOCATIONS_FOR_A_HEALTH_CHECK})"
    );
    report.push((
        "health check, on a connection",
        per_request,
        MAX_ALLOCATIONS_FOR_A_HEALTH_CHECK,
    ));

    for (name, per_request, bound) in report {
        assert!(
            per_request <= bound,
            "{name}: {per_request} allocations per request, more than {bound}"
        );
    }
}
