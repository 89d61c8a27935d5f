//! How long one Host decision takes, and that it does not grow with the patterns.
//!
//! Run it with `cargo bench --bench host_policy`. Each policy holds N patterns, a
//! third each of exact names, `.x` suffixes and `*.x` suffixes (plus the defaults'
//! kinds of IP patterns); the hosts asked about are:
//!
//! * `hit_exact`: equal to the *last* exact pattern added, so a linear scan would
//!   have to walk all N patterns to find it;
//! * `hit_deep_subdomain`: five labels below the last `.x` pattern, so the suffix
//!   walk does its most lookups before it hits;
//! * `miss`: matches nothing, after the whole suffix walk.
//!
//! If matching scanned the list, the 10,000-pattern figures would be about 10,000
//! times the 1-pattern ones; with hash lookups per suffix they stay flat.

use std::hint::black_box;
use std::net::SocketAddr;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};

use hostecho::host::{Facts, HostPolicy, NoTrace, PolicyOptions};
use hostecho::http::{Fields, Header, Version};

/// A policy with `n` patterns, and the names of the last of each kind.
fn policy(n: usize) -> (HostPolicy, String, String) {
    let mut patterns = Vec::with_capacity(n);
    let (mut last_exact, mut last_suffix) = (String::new(), String::new());
    for i in 0..n {
        match i % 3 {
            0 => {
                last_exact = format!("host{i}.example.com");
                patterns.push(last_exact.clone());
            }
            1 => {
                last_suffix = format!("tenant{i}.example.org");
                patterns.push(format!(".{last_suffix}"));
            }
            _ => patterns.push(format!("*.wild{i}.example.net")),
        }
    }
    if last_suffix.is_empty() {
        // With one pattern there is no `.x` pattern; make the deep host miss-shaped
        // but still a fair, five-labels-deeper walk.
        last_suffix = "tenant.example.org".into();
    }
    let policy = HostPolicy::new(PolicyOptions {
        allowed_hosts: patterns,
        ..PolicyOptions::default()
    })
    .expect("generated patterns are valid");
    (policy, last_exact, last_suffix)
}

fn decide_once(policy: &HostPolicy, headers: &[Header]) -> bool {
    let facts = Facts {
        version: Version::Http11,
        absolute_authority: None,
        headers: Fields::List(headers),
        peer: SocketAddr::from(([192, 0, 2, 1], 40000)),
        local: SocketAddr::from(([127, 0, 0, 1], 8090)),
    };
    policy.decide(black_box(&facts)).is_ok()
}

fn decide_traced_once(policy: &HostPolicy, headers: &[Header]) -> bool {
    let facts = Facts {
        version: Version::Http11,
        absolute_authority: None,
        headers: Fields::List(headers),
        peer: SocketAddr::from(([192, 0, 2, 1], 40000)),
        local: SocketAddr::from(([127, 0, 0, 1], 8090)),
    };
    policy
        .decide_traced(black_box(&facts), &mut NoTrace)
        .is_ok()
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("decide");
    for n in [1usize, 100, 10_000] {
        let (policy, exact, suffix) = policy(n);
        let cases = [
            ("hit_exact", format!("{exact}:8080")),
            ("hit_deep_subdomain", format!("a.b.c.d.e.{suffix}")),
            ("miss", "nobody.example.invalid".to_string()),
        ];
        for (case, host) in cases {
            let headers = vec![Header {
                name: "Host".into(),
                value: host.into_bytes(),
            }];
            group.bench_with_input(BenchmarkId::new(case, n), &headers, |b, headers| {
                b.iter(|| decide_once(&policy, headers))
            });
            if case == "miss" {
                // The refusal without its hint: the same steps, traced by nothing.
                // The ratio to `miss` is what reading the cause costs (issue 23).
                group.bench_with_input(
                    BenchmarkId::new("miss_without_hint", n),
                    &headers,
                    |b, headers| b.iter(|| decide_traced_once(&policy, headers)),
                );
            }
        }
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
