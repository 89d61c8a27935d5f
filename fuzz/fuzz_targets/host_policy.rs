//! Fuzz target: `HostPolicy::decide` on requests built from arbitrary bytes.
//!
//! Layout of one input: the first byte holds flags, the rest is split on `0xFF`
//! into pieces. With the "absolute-form" flag the first piece is the target's
//! authority (lossy UTF-8, as the framing layer hands it over); every other piece
//! is one header field line whose first byte picks its name from [`NAMES`] and
//! whose remaining bytes are its value. That reaches every branch: duplicate and
//! missing Host, absolute-form, both forwarding headers, trusted and untrusted
//! peers, the local-address fallback.
//!
//! The target asserts what must hold for every input: no panic, and a rejection
//! message that is printable ASCII.

#![no_main]

use std::net::SocketAddr;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

use hostecho::host::{Facts, HostPolicy, PolicyOptions};
use hostecho::http::{Fields, Header, Version};

const NAMES: [&str; 6] = [
    "Host",
    "X-Forwarded-Host",
    "Forwarded",
    "host",
    "X-Host",
    "Accept",
];

/// Policies are built once: building one per input would fuzz start-up instead.
fn policies() -> &'static [HostPolicy; 3] {
    static POLICIES: OnceLock<[HostPolicy; 3]> = OnceLock::new();
    POLICIES.get_or_init(|| {
        let build = |allowed: &[&str], xfh: bool, trusted: &[&str]| {
            HostPolicy::new(PolicyOptions {
                allowed_hosts: allowed.iter().map(|s| s.to_string()).collect(),
                use_x_forwarded_host: xfh,
                trusted_proxies: trusted
                    .iter()
                    .map(|s| s.parse().expect("valid CIDR"))
                    .collect(),
            })
            .expect("valid patterns")
        };
        [
            build(&[], false, &[]),
            build(&["*"], true, &[]),
            build(
                &[
                    ".example.com",
                    "*.example.net",
                    "10.0.0.0/8",
                    "[::1]",
                    "bücher.example",
                ],
                true,
                &["10.0.0.0/8"],
            ),
        ]
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let mut pieces = rest.split(|&b| b == 0xFF);
    let authority = if flags & 0b10 != 0 {
        pieces
            .next()
            .map(|p| String::from_utf8_lossy(p).into_owned())
    } else {
        None
    };
    let headers: Vec<Header> = pieces
        .filter_map(|piece| {
            let (&which, value) = piece.split_first()?;
            Some(Header {
                name: NAMES[usize::from(which) % NAMES.len()].to_string(),
                value: value.to_vec(),
            })
        })
        .collect();
    let peer = if flags & 0b100 != 0 {
        SocketAddr::from(([10, 1, 2, 3], 40000))
    } else {
        SocketAddr::from(([0, 0, 0, 0, 0, 0xffff, 0xc000, 0x0201], 40000))
    };
    let facts = Facts {
        version: if flags & 1 != 0 {
            Version::Http10
        } else {
            Version::Http11
        },
        absolute_authority: authority.as_deref(),
        headers: Fields::List(&headers),
        peer,
        local: SocketAddr::from(([127, 0, 0, 1], 8090)),
    };
    for policy in policies() {
        if let Err(rejection) = policy.decide(&facts) {
            assert!(
                rejection.message.bytes().all(|b| (0x20..0x7f).contains(&b)),
                "non-printable message: {:?}",
                rejection.message
            );
        }
    }
});
