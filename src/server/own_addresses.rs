//! The addresses `@self` stands for: those hostecho listens on, and for a wildcard bind
//! the machine's own interface addresses.
//!
//! A health check that addresses an instance by its IP (an AWS target group, a
//! Kubernetes probe, Apache's `mod_proxy_hcheck`) sends that IP as its Host. An
//! operator who wants it allowed writes the instance's addresses into the allow-list by
//! hand, and must keep them in step with the machine; `--allowed-hosts app.example,@self`
//! asks hostecho to do it once, at start:
//!
//! - a specific address (`127.0.0.1:8090`, `[::1]:8090`, `10.0.0.7:8090`) stands for
//!   itself: it is the only address a client can reach that socket by;
//! - `0.0.0.0` stands for every IPv4 address of every interface, and `[::]` for every
//!   IPv6 one (hostecho binds `[::]` IPv6-only, so IPv4 clients never reach it): a
//!   wildcard socket accepts connections to any of them. The addresses are read with
//!   `getifaddrs(3)` through the `if-addrs` crate, which holds the `unsafe` FFI.
//!
//! The port is not part of it: patterns never match ports. The list is fixed at start
//! and logged; an address added to an interface later is not allowed until a restart.

use std::io;
use std::net::{IpAddr, SocketAddr};

/// The addresses `@self` stands for, given the addresses bound (or, for `hostecho
/// check`, `--local`), sorted and without repeats. Reads the interfaces only if one
/// of them is a wildcard.
pub fn resolve(bound: &[SocketAddr]) -> io::Result<Vec<IpAddr>> {
    let interfaces = if bound.iter().any(|a| a.ip().is_unspecified()) {
        if_addrs::get_if_addrs()?
            .into_iter()
            .map(|interface| interface.ip())
            .collect()
    } else {
        Vec::new()
    };
    Ok(own_addresses(bound, &interfaces))
}

/// The pure part of [`resolve`]: each bound address stands for itself, a wildcard for
/// the interface addresses of its family. An interface's IPv6 address with a scope
/// (link-local `fe80::…%eth0`) is kept: a Host cannot carry the zone, but the address
/// is still this machine's.
fn own_addresses(bound: &[SocketAddr], interfaces: &[IpAddr]) -> Vec<IpAddr> {
    let mut own: Vec<IpAddr> = Vec::new();
    for addr in bound {
        let ip = addr.ip();
        if ip.is_unspecified() {
            own.extend(
                interfaces
                    .iter()
                    .filter(|i| i.is_ipv4() == ip.is_ipv4())
                    .copied(),
            );
        } else {
            own.push(ip.to_canonical());
        }
    }
    own.sort_unstable();
    own.dedup();
    own
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addrs(list: &[&str]) -> Vec<SocketAddr> {
        list.iter().map(|a| a.parse().unwrap()).collect()
    }

    fn ips(list: &[&str]) -> Vec<IpAddr> {
        list.iter().map(|a| a.parse().unwrap()).collect()
    }

    #[test]
    fn a_specific_bind_stands_for_itself_and_the_interfaces_are_not_read() {
        let interfaces = ips(&["10.0.0.7"]);
        assert_eq!(
            own_addresses(&addrs(&["127.0.0.1:8090", "[::1]:8091"]), &interfaces),
            ips(&["127.0.0.1", "::1"])
        );
    }

    #[test]
    fn a_wildcard_stands_for_its_familys_interface_addresses() {
        let interfaces = ips(&["127.0.0.1", "10.0.0.7", "::1", "fd00::7"]);
        assert_eq!(
            own_addresses(&addrs(&["0.0.0.0:8090"]), &interfaces),
            ips(&["10.0.0.7", "127.0.0.1"])
        );
        assert_eq!(
            own_addresses(&addrs(&["[::]:8090"]), &interfaces),
            ips(&["::1", "fd00::7"])
        );
        assert_eq!(
            own_addresses(
                &addrs(&["0.0.0.0:8090", "[::]:8090", "127.0.0.1:9"]),
                &interfaces
            ),
            ips(&["10.0.0.7", "127.0.0.1", "::1", "fd00::7"])
        );
    }

    #[test]
    fn the_loopback_interface_is_always_there() {
        // Every Linux network namespace has `lo`, up or down, with 127.0.0.1 when up;
        // `unshare -n` tests the wildcard end to end (tests/own_addresses.rs).
        let own = resolve(&addrs(&["127.0.0.1:0"])).unwrap();
        assert_eq!(own, ips(&["127.0.0.1"]));
    }
}
