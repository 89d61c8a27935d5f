//! Properties of the Host policy, checked on generated inputs with proptest.
//!
//! The unit tables in `src/host/` pin known cases; these pin the *invariants* that
//! must hold for every input:
//!
//! * the normal form is a fixed point: parsing a normalised host gives it back, and
//!   borrows it rather than copying it (the server allocates nothing for a host sent
//!   in normal form);
//! * feeding the normalised host back in as `Host` gives the same decision, so
//!   whatever the server echoes or logs as "the host" would be judged the same way;
//! * no byte sequence makes the parser or `decide` panic, and every rejection
//!   message is printable ASCII (it goes into responses and logs).

use std::borrow::Cow;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};

use proptest::prelude::*;

use hostecho::host::syntax::{Host, parse_host_port};
use hostecho::host::{Facts, HostPolicy, HostSource, PolicyOptions};
use hostecho::http::{Fields, Header, Version};

/// A label: letters (either case), digits and inner hyphens, 1 to 20 chars.
fn label() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9]([a-zA-Z0-9-]{0,18}[a-zA-Z0-9])?"
}

/// Host values that should be accepted, in many spellings: names (maybe with a
/// trailing dot), dotted quads, IPv6 in any text form, each maybe with a port.
fn valid_host_value() -> impl Strategy<Value = String> {
    let name = (
        prop::collection::vec(label(), 1..5),
        "[a-z][a-z0-9]{0,5}",
        any::<bool>(),
    )
        .prop_map(|(labels, tld, dot)| {
            format!("{}.{tld}{}", labels.join("."), if dot { "." } else { "" })
        });
    let v4 = any::<[u8; 4]>().prop_map(|o| Ipv4Addr::from(o).to_string());
    let v6 = (any::<[u16; 8]>(), any::<bool>()).prop_map(|(segs, upper)| {
        let text = Ipv6Addr::from(segs).to_string();
        // A non-canonical but equal spelling: every group written out in full.
        let full = segs
            .iter()
            .map(|s| format!("{s:04x}"))
            .collect::<Vec<_>>()
            .join(":");
        let chosen = if upper { full.to_uppercase() } else { text };
        format!("[{chosen}]")
    });
    let host = prop_oneof![3 => name, 1 => v4, 1 => v6];
    (host, prop::option::of(any::<u16>())).prop_map(|(h, port)| match port {
        Some(p) => format!("{h}:{p}"),
        None => h,
    })
}

/// Arbitrary bytes, biased towards the characters the grammar cares about.
fn hostile_bytes() -> impl Strategy<Value = Vec<u8>> {
    let interesting = prop_oneof![
        any::<u8>(),
        prop::sample::select(b"[]:.@/%_-,;=\" \t\\aZ09xX".to_vec()),
    ];
    prop::collection::vec(interesting, 0..80)
}

fn facts<'a>(version: Version, authority: Option<&'a str>, headers: &'a [Header]) -> Facts<'a> {
    Facts {
        version,
        absolute_authority: authority,
        headers: Fields::List(headers),
        peer: SocketAddr::from(([10, 0, 0, 1], 40000)),
        local: SocketAddr::from(([127, 0, 0, 1], 8090)),
    }
}

fn one_host(value: &[u8]) -> Vec<Header> {
    vec![Header {
        name: "Host".into(),
        value: value.to_vec(),
    }]
}

fn policies() -> Vec<HostPolicy> {
    let build = |allowed: &[&str], xfh: bool| {
        HostPolicy::new(PolicyOptions {
            allowed_hosts: allowed.iter().map(|s| s.to_string()).collect(),
            use_x_forwarded_host: xfh,
            trusted_proxies: vec![],
            ..PolicyOptions::default()
        })
        .expect("the test patterns are valid")
    };
    vec![
        build(&[], false),
        build(&["*"], true),
        build(
            &[".com", "*.net", "10.0.0.0/8", "[::1]", "fd00::/8", "a.org"],
            true,
        ),
    ]
}

proptest! {
    #[test]
    fn normalising_is_idempotent(value in valid_host_value()) {
        let first = parse_host_port(value.as_bytes()).expect("generated hosts are valid");
        let normal = first.host.to_string();
        let again = parse_host_port(normal.as_bytes()).expect("the normal form is valid");
        prop_assert_eq!(&again.host, &first.host);
        prop_assert_eq!(again.host.to_string(), normal.as_str());
        prop_assert_eq!(again.port, None);
        if let Host::Name(name) = &again.host {
            prop_assert!(matches!(name, Cow::Borrowed(_)), "{} was copied", name);
        }
    }

    #[test]
    fn normalised_host_gets_the_same_decision(value in valid_host_value()) {
        for policy in policies() {
            let headers = one_host(value.as_bytes());
            let first = policy.decide(&facts(Version::Http11, None, &headers));
            let normal = match &first {
                Ok(valid) => valid.host.to_string(),
                Err(_) => parse_host_port(value.as_bytes()).expect("valid").host.to_string(),
            };
            let headers = one_host(normal.as_bytes());
            let second = policy.decide(&facts(Version::Http11, None, &headers));
            match (&first, &second) {
                (Ok(a), Ok(b)) => {
                    prop_assert_eq!(&a.host, &b.host);
                    prop_assert_eq!(b.port, None);
                    prop_assert_eq!(b.source, HostSource::Host);
                }
                (Err(a), Err(b)) => prop_assert_eq!(a.kind, b.kind),
                _ => prop_assert!(false, "{:?} then {:?}", first, second),
            }
        }
    }

    #[test]
    fn parser_never_panics_on_arbitrary_bytes(raw in hostile_bytes()) {
        if let Ok(parsed) = parse_host_port(&raw) {
            // Anything accepted has a printable-ASCII normal form that re-parses.
            let normal = parsed.host.to_string();
            prop_assert!(normal.bytes().all(|b| b.is_ascii_graphic()));
            prop_assert_eq!(parse_host_port(normal.as_bytes()).map(|p| p.host), Ok(parsed.host));
        }
    }

    #[test]
    fn decide_never_panics_and_messages_stay_ascii(
        values in prop::collection::vec((0usize..6, hostile_bytes()), 0..4),
        authority in prop::option::of("[ -~]{0,30}"),
        http10 in any::<bool>(),
    ) {
        const NAMES: [&str; 6] = ["Host", "X-Forwarded-Host", "Forwarded", "X-Host", "host", "Other"];
        let headers: Vec<Header> = values
            .into_iter()
            .map(|(name, value)| Header { name: NAMES[name].into(), value })
            .collect();
        let version = if http10 { Version::Http10 } else { Version::Http11 };
        for policy in policies() {
            if let Err(rejection) = policy.decide(&facts(version, authority.as_deref(), &headers)) {
                prop_assert!(
                    rejection.message.bytes().all(|b| (0x20..0x7f).contains(&b)),
                    "{:?}", rejection.message
                );
            }
        }
    }
}
