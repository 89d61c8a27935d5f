//! Start-up advice: what the bind and the Host policy mean for who can connect, and
//! which URL to try.
//!
//! [`Server::bind`](super::Server::bind) logs [`startup_notes`]; the binary prints
//! [`connect_hint`] on stdout beside `listening on`. Both take the URL from one
//! function, [`try_url`], so the log and stdout cannot disagree.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use crate::host::HostPolicy;

/// What the bind addresses and the Host policy mean for who can connect, as log lines.
/// Kept apart from the logging so it can be tested without binding 0.0.0.0.
pub fn startup_notes(addrs: &[SocketAddr], policy: &HostPolicy) -> Vec<(log::Level, String)> {
    use log::Level::{Info, Warn};
    let mut notes = Vec::new();
    for addr in addrs {
        let ip = addr.ip();
        let note = if ip.is_loopback() {
            format!("{addr} is loopback only: only this machine can connect")
        } else if ip.is_unspecified() {
            format!(
                "{addr} listens on all interfaces: other machines can connect, and their Host must be allowed"
            )
        } else {
            format!(
                "{addr} listens on one interface: machines that reach it can connect, and their Host must be allowed"
            )
        };
        notes.push((Info, note));
    }
    let patterns = policy.patterns().join(", ");
    if policy.uses_defaults() {
        notes.push((
            Info,
            format!("no --allowed-hosts given: allowing the defaults {patterns}"),
        ));
        if addrs.iter().any(|a| !a.ip().is_loopback()) {
            // Django users meet this as "Invalid HTTP_HOST header: 'XXX.XXX.XXX.XXX:8000'"
            // right after deploying: the server is reachable, the name is not allowed.
            notes.push((
                Warn,
                "listening beyond loopback with the default allowed hosts: clients that reach this machine \
                 by its address or name will get 400 \"Invalid HTTP_HOST header\" until it is allowed; \
                 add it with --allowed-hosts, e.g. --allowed-hosts 192.0.2.10,myhost.example"
                    .to_owned(),
            ));
        }
    } else {
        notes.push((Info, format!("allowed hosts: {patterns}")));
    }
    if !policy.own_addresses().is_empty() {
        let own: Vec<String> = policy
            .own_addresses()
            .iter()
            // As a Host names it: `[::1]`, not `::1`.
            .map(|ip| crate::host::syntax::Host::from_ip(*ip).to_string())
            .collect();
        notes.push((Info, format!("@self stands for {}", own.join(", "))));
    }
    if policy.allows_any() {
        notes.push((
            Warn,
            "--allowed-hosts contains '*': any syntactically valid Host is accepted, so Host validation is off"
                .to_owned(),
        ));
    }
    let options = policy.options();
    if options.use_x_forwarded_host && options.trusted_proxies.is_empty() {
        notes.push((
            Info,
            "--use-x-forwarded-host without --trusted-proxies: X-Forwarded-Host is honoured from \
             every client, so only use it where the proxy is the only way in"
                .to_owned(),
        ));
    }
    if !options.use_x_forwarded_host && !options.trusted_proxies.is_empty() {
        notes.push((
            Warn,
            "--trusted-proxies has no effect without --use-x-forwarded-host: forwarding headers \
             are ignored from every peer"
                .to_owned(),
        ));
    }
    if let Some(&first) = addrs.first() {
        notes.push((
            Info,
            format!(
                "try: curl -v '{}/index.html?name=jack&age=18'",
                try_url(first)
            ),
        ));
    }
    notes
}

/// The URL to try from this machine for a server bound to `addr`: the one function
/// that answers it, for the log's `try:` line and for [`connect_hint`].
///
/// - `127.0.0.1` and `0.0.0.0`: `localhost`, the name the default policy allows (as
///   `.localhost`). A client that looks `localhost` up and tries `::1` first is
///   refused there and falls back to `127.0.0.1` (curl and browsers do).
/// - `[::]`: `[::1]`, not `localhost`. hostecho binds `[::]` IPv6-only
///   (`IPV6_V6ONLY`, see [`listeners`](super::listeners)), so nothing answers on
///   `127.0.0.1`; on a machine whose `/etc/hosts` maps `localhost` to `127.0.0.1`
///   alone, `http://localhost` would not connect at all. `[::1]` is in the default
///   policy too.
/// - anything else: the address itself.
///
/// A wildcard is never the answer: `http://0.0.0.0:8090/` is a Host the default policy
/// refuses, and on some systems an address that does not connect at all.
pub fn try_url(addr: SocketAddr) -> String {
    match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() || ip == Ipv4Addr::LOCALHOST => {
            format!("http://localhost:{}", addr.port())
        }
        IpAddr::V6(ip) if ip.is_unspecified() => format!("http://[::1]:{}", addr.port()),
        _ => format!("http://{addr}"),
    }
}

/// For a wildcard bind (`0.0.0.0`, `[::]`), the line that says what to connect to
/// instead, printed on stdout after `listening on`; `None` for any other address.
pub fn connect_hint(addr: SocketAddr) -> Option<String> {
    let wildcard = match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => "0.0.0.0",
        IpAddr::V6(ip) if ip.is_unspecified() => "[::]",
        _ => return None,
    };
    Some(format!(
        "connect to {}/ from this machine ({wildcard} means every address; it is not one to connect to)",
        try_url(addr)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::PolicyOptions;

    fn notes_with(addrs: &[&str], options: PolicyOptions) -> Vec<(log::Level, String)> {
        let addrs: Vec<SocketAddr> = addrs.iter().map(|a| a.parse().unwrap()).collect();
        startup_notes(&addrs, &HostPolicy::new(options).unwrap())
    }

    fn notes_for(addrs: &[&str], patterns: &[&str]) -> Vec<(log::Level, String)> {
        let options = PolicyOptions {
            allowed_hosts: patterns.iter().map(|p| p.to_string()).collect(),
            ..Default::default()
        };
        notes_with(addrs, options)
    }

    /// Whether some note at `level` contains `text`.
    fn has_note(notes: &[(log::Level, String)], level: log::Level, text: &str) -> bool {
        notes.iter().any(|(l, n)| *l == level && n.contains(text))
    }

    #[test]
    fn loopback_bind_says_only_this_machine_can_connect() {
        let notes = notes_for(&["127.0.0.1:8090"], &[]);
        assert!(
            notes
                .iter()
                .any(|(_, n)| n.contains("only this machine can connect"))
        );
        assert!(
            notes
                .iter()
                .any(|(_, n)| n.contains("allowing the defaults .localhost, 127.0.0.1, [::1]"))
        );
        assert!(notes.iter().all(|(level, _)| *level == log::Level::Info));
    }

    #[test]
    fn wildcard_bind_with_default_hosts_warns_how_to_fix_it() {
        let notes = notes_for(&["0.0.0.0:8090"], &[]);
        assert!(
            notes
                .iter()
                .any(|(_, n)| n.contains("other machines can connect"))
        );
        let warning = notes
            .iter()
            .find(|(level, _)| *level == log::Level::Warn)
            .expect("a warning");
        assert!(
            warning.1.contains("Invalid HTTP_HOST header"),
            "{}",
            warning.1
        );
        assert!(warning.1.contains("--allowed-hosts"), "{}", warning.1);
    }

    #[test]
    fn wildcard_bind_with_explicit_hosts_does_not_warn() {
        let notes = notes_for(&["[::]:8090"], &["myhost.example"]);
        assert!(notes.iter().all(|(level, _)| *level == log::Level::Info));
        assert!(
            notes
                .iter()
                .any(|(_, n)| n == "allowed hosts: myhost.example")
        );
    }

    #[test]
    fn star_pattern_warns_that_validation_is_off() {
        let notes = notes_for(&["127.0.0.1:8090"], &["*"]);
        assert!(has_note(&notes, log::Level::Warn, "Host validation is off"));
    }

    #[test]
    fn trusted_proxies_without_forwarding_warns_that_it_does_nothing() {
        let options = PolicyOptions {
            trusted_proxies: vec!["10.0.0.0/8".parse().unwrap()],
            ..Default::default()
        };
        let notes = notes_with(&["127.0.0.1:8090"], options);
        assert!(has_note(&notes, log::Level::Warn, "no effect without"));
    }

    #[test]
    fn try_url_uses_localhost_for_ipv4_loopback_and_wildcard_and_loopback_for_ipv6() {
        let url = |s: &str| try_url(s.parse().expect("an address"));
        assert_eq!(url("127.0.0.1:8090"), "http://localhost:8090");
        assert_eq!(url("0.0.0.0:80"), "http://localhost:80");
        assert_eq!(url("[::1]:8090"), "http://[::1]:8090");
        assert_eq!(url("[::]:8090"), "http://[::1]:8090");
        assert_eq!(url("192.0.2.10:8090"), "http://192.0.2.10:8090");
    }

    #[test]
    fn the_log_and_the_connect_hint_agree_on_every_wildcard() {
        for addr in ["0.0.0.0:8092", "[::]:8092"] {
            let notes = notes_for(&[addr], &[]);
            let hint = connect_hint(addr.parse().expect("an address")).expect("a hint");
            let url = try_url(addr.parse().expect("an address"));
            assert!(has_note(
                &notes,
                log::Level::Info,
                &format!("try: curl -v '{url}/")
            ));
            assert!(hint.starts_with(&format!("connect to {url}/ ")), "{hint}");
        }
    }

    #[test]
    fn wildcards_get_a_url_to_connect_to_and_others_none() {
        let hint = |s: &str| connect_hint(s.parse().expect("an address"));
        assert!(
            hint("0.0.0.0:8092")
                .expect("a hint")
                .starts_with("connect to http://localhost:8092/ ")
        );
        assert!(
            hint("[::]:8092")
                .expect("a hint")
                .starts_with("connect to http://[::1]:8092/ ")
        );
        assert_eq!(hint("127.0.0.1:8092"), None);
    }
}
