//! Rendering cost of the three echoes, and of choosing between them.
//!
//! Run with `cargo bench --bench echo`. Figures are written down in BENCHMARKS.md.

use std::hint::black_box;
use std::net::SocketAddr;

use criterion::{Criterion, criterion_group, criterion_main};

use hostecho::echo::{self, Echo, Format, accept};
use hostecho::host::syntax::Host;
use hostecho::host::{HostSource, ValidHost};
use hostecho::http::{Head, Header, Request, Version};

/// A request as curl sends it, with a small body.
fn curl_request() -> Request {
    let header = |name: &str, value: &str| Header {
        name: name.to_owned(),
        value: value.as_bytes().to_vec(),
    };
    Request {
        head: Head::from_parts(
            "POST",
            "/index.html?name=jack&age=18",
            Version::Http11,
            &[
                header("Host", "localhost:8090"),
                header("User-Agent", "curl/8.5.0"),
                header("Accept", "*/*"),
                header("Content-Length", "11"),
                header("Content-Type", "application/x-www-form-urlencoded"),
            ],
        ),
        body: hostecho::http::Body::whole(b"hello=world".to_vec()),
    }
}

fn bench_render(c: &mut Criterion) {
    let request = curl_request();
    let host = ValidHost {
        host: Host::Name("localhost".into()),
        port: Some(8090),
        source: HostSource::Host,
        raw: b"localhost:8090"[..].into(),
        matched: ".localhost".into(),
        proxy: None,
    };
    let peer: SocketAddr = "127.0.0.1:54321".parse().expect("literal address");
    let local: SocketAddr = "127.0.0.1:8090".parse().expect("literal address");
    let e = Echo {
        request: &request,
        allowed: &host,
        peer,
        local,
        path: "/index.html",
        query: request.head.target().query_pairs(),
        form: request.form(),
    };
    let mut group = c.benchmark_group("render");
    for format in [Format::Text, Format::Json, Format::Html] {
        // One buffer for every echo, handed back each time, as a connection keeps it.
        let mut buffer = Vec::new();
        group.bench_function(format!("{format:?}"), |b| {
            b.iter(|| {
                buffer = echo::render(format, black_box(&e), std::mem::take(&mut buffer));
            })
        });
    }
    group.finish();
}

fn bench_negotiate(c: &mut Criterion) {
    let chrome: &[u8] =
        b"text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8";
    let mut group = c.benchmark_group("negotiate");
    group.bench_function("curl", |b| {
        b.iter(|| accept::negotiate(std::iter::once(black_box(&b"*/*"[..]))))
    });
    group.bench_function("chrome", |b| {
        b.iter(|| accept::negotiate(std::iter::once(black_box(chrome))))
    });
    group.finish();
}

criterion_group!(benches, bench_render, bench_negotiate);
criterion_main!(benches);
