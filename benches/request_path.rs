//! The whole request path without a socket: bytes in, response bytes out.
//!
//! Run with `cargo bench --bench request_path`. Each iteration does what a connection
//! does for one request that arrived whole, in the same order, with the same calls:
//!
//! 1. `framing::skip_empty_lines` and `framing::parse_head` frame the head;
//! 2. `exchange::admit` decides its Host with the default policy;
//! 3. `exchange::respond_into` renders the echo in the format `Accept` asks for, into
//!    a body buffer that is handed back and reused;
//! 4. `Response::write_to` serialises it into a buffer that is reused, as a
//!    connection's write buffer is.
//!
//! So the figure is the server's own work per request, everything but the system
//! calls: compare it with the load harness's CPU per request (`scripts/bench-load.sh`)
//! to see how much of a request's cost is ours and how much the kernel's. The cases are
//! `curl` (text echo), `wrk` (the text echo of what the load harness sends: a bare `/`
//! and an IPv4 Host) and `browser` (HTML echo of a 15-field head).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use hostecho::exchange::Endpoints;
use hostecho::host::{HostPolicy, PolicyOptions};

mod common;
use common::{BROWSER, Buffers, CURL, WRK, serve};

fn request_path(c: &mut Criterion) {
    let policy = HostPolicy::new(PolicyOptions::default()).expect("the default policy");
    let at = Endpoints {
        peer: "127.0.0.1:50000".parse().expect("a literal address"),
        local: "127.0.0.1:8000".parse().expect("a literal address"),
    };
    let mut group = c.benchmark_group("request_path");
    for (name, bytes) in [("curl", CURL), ("wrk", WRK), ("browser", BROWSER)] {
        let mut buffers = Buffers::default();
        serve(bytes, &policy, at, &mut buffers);
        assert!(
            buffers.out.starts_with(b"HTTP/1.1 200 OK\r\n"),
            "{name} is echoed"
        );
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_function(name, |b| {
            b.iter(|| serve(black_box(bytes), &policy, at, &mut buffers))
        });
    }
    group.finish();
}

criterion_group!(benches, request_path);
criterion_main!(benches);
