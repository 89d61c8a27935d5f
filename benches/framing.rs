//! Benchmarks for framing: how long it takes to turn bytes into a request.
//!
//! Run with `cargo bench --bench framing` (add `-- --warm-up-time 1 --measurement-time 2`
//! for a quick look). Each case is a whole input handed over at once, the common case
//! for requests that fit in one read:
//!
//! * `parse_head/curl`: the four-line head `curl` sends;
//! * `parse_head/browser`: a head like a browser's, with 15 header fields;
//! * `httparse_only/curl`, `httparse_only/browser`: httparse alone on the same heads,
//!   borrowing rather than copying, as a baseline: the difference is what `parse_head`
//!   adds (the owned copy, the limit checks, reading the body's framing);
//! * `decode/chunked_64k`: a 64 KiB body in 4 KiB chunks, with an extension and a
//!   trailer.
//!
//! Throughput is reported in input bytes, so the figures compare with a network's.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use hostecho::http::framing::{BodyDecoder, BodyKind, Limits, parse_head};

mod common;
use common::{BROWSER, CURL};

/// A 64 KiB body, chunked into 4 KiB chunks.
fn chunked_64k() -> Vec<u8> {
    let data: Vec<u8> = (0..64 * 1024).map(|i| b'a' + (i % 26) as u8).collect();
    let mut wire = Vec::with_capacity(data.len() + 512);
    for chunk in data.chunks(4096) {
        wire.extend_from_slice(format!("{:x};ext=1\r\n", chunk.len()).as_bytes());
        wire.extend_from_slice(chunk);
        wire.extend_from_slice(b"\r\n");
    }
    wire.extend_from_slice(b"0\r\nX-Checksum: 1234\r\n\r\n");
    wire
}

fn parse_heads(c: &mut Criterion) {
    let limits = Limits::default();
    let mut group = c.benchmark_group("parse_head");
    for (name, head) in [("curl", CURL), ("browser", BROWSER)] {
        // Check the input is what the benchmark claims before timing it.
        assert!(matches!(parse_head(head, &limits), Ok(Some((_, used))) if used == head.len()));
        group.throughput(Throughput::Bytes(head.len() as u64));
        group.bench_function(name, |b| b.iter(|| parse_head(black_box(head), &limits)));
    }
    group.finish();

    let mut group = c.benchmark_group("httparse_only");
    for (name, head) in [("curl", CURL), ("browser", BROWSER)] {
        group.throughput(Throughput::Bytes(head.len() as u64));
        group.bench_function(name, |b| {
            b.iter(|| {
                let mut headers = [httparse::EMPTY_HEADER; 32];
                let mut request = httparse::Request::new(&mut headers);
                matches!(
                    request.parse(black_box(head)),
                    Ok(httparse::Status::Complete(_))
                )
            })
        });
    }
    group.finish();
}

fn decode_chunked(c: &mut Criterion) {
    let wire = chunked_64k();
    let mut group = c.benchmark_group("decode");
    group.throughput(Throughput::Bytes(wire.len() as u64));
    group.bench_function("chunked_64k", |b| {
        let mut body = Vec::with_capacity(64 * 1024);
        b.iter(|| {
            body.clear();
            let mut decoder = BodyDecoder::new(BodyKind::Chunked, u64::MAX);
            let progress = decoder.decode(black_box(&wire), &mut body);
            assert!(matches!(progress, Ok(p) if p.complete));
        })
    });
    group.finish();
}

criterion_group!(benches, parse_heads, decode_chunked);
criterion_main!(benches);
