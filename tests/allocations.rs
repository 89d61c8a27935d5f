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

use hostecho::exchange::Endpoints;
use hostecho::host::{HostPolicy, PolicyOptions};

#[path = "../benches/common/mod.rs"]
mod common;
use common::{BROWSER, CURL, serve};

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

/// The most allocations one request may take, once the response buffer has grown.
/// Lower these as the hot path gets leaner; never raise them without a reason.
///
/// What is left (BENCHMARKS.md, "Allocations per request", has the breakdown): the
/// owned head, two per header field (name and value) plus the request line, method,
/// target and the list of fields (10 for curl's 3 fields, 34 for the browser's 15);
/// the query's pairs (5 for two pairs); and the echo's body (1). The allowed host
/// borrows from the head and the policy, and costs none.
const MAX_ALLOCATIONS: [(&str, u64); 2] = [("curl", 16), ("browser", 40)];

#[test]
fn allocations_per_request_stay_within_their_bound() {
    let _profiler = dhat::Profiler::builder().testing().build();
    let policy = HostPolicy::new(PolicyOptions::default()).expect("the default policy");
    let at = Endpoints {
        peer: "127.0.0.1:50000".parse().expect("a literal address"),
        local: "127.0.0.1:8000".parse().expect("a literal address"),
    };
    let mut report = Vec::new();
    for ((name, bound), bytes) in MAX_ALLOCATIONS.into_iter().zip([CURL, BROWSER]) {
        let mut out = Vec::with_capacity(64 * 1024);
        // Once, so that anything allocated lazily the first time is not counted.
        serve(bytes, &policy, at, &mut out);
        let before = dhat::HeapStats::get().total_blocks;
        const ROUNDS: u64 = 100;
        for _ in 0..ROUNDS {
            serve(bytes, &policy, at, &mut out);
        }
        let per_request = (dhat::HeapStats::get().total_blocks - before) / ROUNDS;
        eprintln!("{name}: {per_request} allocations per request (bound {bound})");
        report.push((name, per_request, bound));
    }
    for (name, per_request, bound) in report {
        assert!(
            per_request <= bound,
            "{name}: {per_request} allocations per request, more than {bound}"
        );
    }
}
