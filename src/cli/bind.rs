//! `--bind` values: IP literals, or names resolved with the system's resolver.
//!
//! Binary-side: a name lookup is I/O, so it happens here, while the command line is
//! parsed, and the library's [`Config`](hostecho::Config) receives addresses only.

use std::net::{SocketAddr, ToSocketAddrs};

/// The addresses one `--bind` value stands for: one for an IP literal, every address
/// a name resolves to (`localhost` is often both 127.0.0.1 and ::1).
#[derive(Clone, Debug)]
pub struct BindAddrs(Vec<SocketAddr>);

/// Parses one listening address, allowing spaces around it (`a, b` in an env var): an
/// IP literal with a port, or a host name with a port, resolved here with the system's
/// resolver (`/etc/hosts` first), as `std::net::ToSocketAddrs` does.
pub fn parse_bind(s: &str) -> Result<BindAddrs, String> {
    let s = s.trim();
    if let Ok(addr) = s.parse::<SocketAddr>() {
        return Ok(BindAddrs(vec![addr]));
    }
    let shape = || {
        format!(
            "{s:?} is not an address with a port, like 127.0.0.1:8090, [::1]:8090 or localhost:8090"
        )
    };
    let (host, port) = s.rsplit_once(':').ok_or_else(shape)?;
    let port: u16 = port.parse().map_err(|_| shape())?;
    // Only a plain host name goes to the resolver. Anything else (`1.2.3.999`,
    // `localhost:80` before a second port, `[::1` …) is a typo, and handing it to
    // getaddrinfo would send it to the DNS server, which can take seconds to fail.
    let is_name = !host.is_empty()
        && host.len() <= 253
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
        && host.chars().any(|c| c.is_ascii_alphabetic())
        && !host.starts_with(['-', '.']);
    if !is_name {
        return Err(shape());
    }
    let resolved: Vec<SocketAddr> = (host, port)
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve {host:?}: {e}"))?
        .collect();
    // A name may list ::1 on a machine whose kernel has IPv6 turned off; binding it
    // would then fail with "Cannot assign requested address" although the IPv4
    // address would do. Keep only the families this machine can bind.
    let ipv6 = ipv6_available();
    let mut addrs: Vec<SocketAddr> = Vec::new();
    for addr in resolved {
        if (addr.is_ipv4() || ipv6) && !addrs.contains(&addr) {
            addrs.push(addr);
        }
    }
    if addrs.is_empty() {
        return Err(format!(
            "{host:?} resolves to no address this machine can bind"
        ));
    }
    Ok(BindAddrs(addrs))
}

/// Whether this machine has IPv6: its loopback address can be bound (port 0, loopback,
/// closed at once, so nothing can connect to it).
fn ipv6_available() -> bool {
    std::net::TcpListener::bind((std::net::Ipv6Addr::LOCALHOST, 0)).is_ok()
}

/// Every address to listen on, in the order given, each once: `-b localhost:8090
/// -b 127.0.0.1:8090` binds 127.0.0.1:8090 once. Port 0 asks for a new port each time,
/// so `127.0.0.1:0,127.0.0.1:0` stays two sockets.
pub fn bind_addresses(values: Vec<BindAddrs>) -> Vec<SocketAddr> {
    let mut addrs: Vec<SocketAddr> = Vec::new();
    for addr in values.into_iter().flat_map(|v| v.0) {
        if addr.port() == 0 || !addrs.contains(&addr) {
            addrs.push(addr);
        }
    }
    addrs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bind_values_resolve_names_and_refuse_typos_without_a_lookup() {
        let one = |s: &str| parse_bind(s).map(|b| b.0);
        assert_eq!(
            one(" 127.0.0.1:8090 "),
            Ok(vec!["127.0.0.1:8090".parse().expect("an address")])
        );
        let localhost = one("localhost:8090").expect("localhost resolves");
        assert!(!localhost.is_empty());
        assert!(
            localhost
                .iter()
                .all(|a| a.ip().is_loopback() && a.port() == 8090)
        );
        for typo in [
            "localhost:80:80",
            "1.2.3.999:80",
            "localhost",
            "localhost:http",
            ":80",
        ] {
            assert!(one(typo).is_err(), "{typo}");
        }
        let twice = bind_addresses(vec![
            BindAddrs(vec!["127.0.0.1:8090".parse().expect("an address")]),
            BindAddrs(localhost),
            BindAddrs(vec!["127.0.0.1:0".parse().expect("an address")]),
            BindAddrs(vec!["127.0.0.1:0".parse().expect("an address")]),
        ]);
        assert_eq!(
            twice
                .iter()
                .filter(|a| a.to_string() == "127.0.0.1:8090")
                .count(),
            1
        );
        assert_eq!(twice.iter().filter(|a| a.port() == 0).count(), 2);
    }
}
