//! The hosts the grader puts in `Host`, each decided by hostecho's own policy.
//!
//! Chapters 10 to 12 need names the server under test is meant to answer for and names
//! it is meant to refuse. Both come from `--allowed-hosts` (the course's `.localhost,
//! 127.0.0.1, [::1]` by default): a pattern gives the names it allows (`.localhost` →
//! `localhost`, `a.localhost`), the attacks are built around them (`evil-localhost`,
//! `localhost.evil`), and every value is decided by [`Checker`] — the very
//! `HostPolicy::decide` hostecho runs — so what the grader expects is what hostecho
//! would do. Pure: no I/O.

use crate::check::{CheckOptions, Checker};
use crate::host::PolicyOptions;
use crate::host::patterns::Pattern;

/// The attacker's name in the course: a domain the allow-list is not meant to hold.
pub const FOREIGN: &str = "evil.example";

/// Names to try, in order, when the allow-list holds [`FOREIGN`] too.
const FOREIGN_FALLBACKS: [&str; 3] = [FOREIGN, "attacker.invalid", "evil.test"];

/// The allow-list, compiled as hostecho compiles it.
#[derive(Clone, Debug)]
pub struct Hosts {
    checker: Checker,
    patterns: Vec<String>,
    /// The addresses `@self` stands for: the graded server's.
    own: Vec<std::net::IpAddr>,
}

/// hostecho's verdict on one Host value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// Whether hostecho would answer it.
    pub allowed: bool,
    /// Why: `allowed by .localhost`, or the refusal's message.
    pub why: String,
}

impl Hosts {
    /// Compiles the patterns, or says which one is not understood (the server's own
    /// start-up message). `@self` stands for `own`: the address the graded server
    /// listens on, as that server resolves `@self` for a bind to one address; with no
    /// address it is refused, as by the server.
    pub fn new(allowed_hosts: &[String], own: &[std::net::IpAddr]) -> Result<Hosts, String> {
        // `'a.example, b.example'` splits into ` b.example`: spaces around a pattern
        // are dropped, as the server drops them.
        let given: Vec<String> = allowed_hosts.iter().map(|p| p.trim().to_string()).collect();
        let checker = Checker::with_own_addresses(
            CheckOptions {
                policy: PolicyOptions {
                    allowed_hosts: given.clone(),
                    ..PolicyOptions::default()
                },
                ..CheckOptions::default()
            },
            own.to_vec(),
        )
        .map_err(|e| e.to_string())?;
        let patterns = if given.is_empty() {
            crate::host::DEFAULT_ALLOWED_HOSTS
                .iter()
                .map(|p| p.to_string())
                .collect()
        } else {
            given
        };
        Ok(Hosts {
            checker,
            patterns,
            own: own.to_vec(),
        })
    }

    /// What hostecho decides for `Host: value` from a loopback client.
    pub fn verdict(&self, value: &str) -> Verdict {
        let outcome = self.checker.check(Some(value.as_bytes()));
        match outcome.decision {
            Ok(valid) => Verdict {
                allowed: true,
                why: format!("allowed by {}", valid.matched),
            },
            Err(rejection) => Verdict {
                allowed: false,
                why: rejection.message,
            },
        }
    }

    /// Names the allow-list allows, one or two per pattern, in the patterns' order:
    /// `example.com` for itself, `example.com` and `a.example.com` for `.example.com`,
    /// `a.example.com` for `*.example.com`, the address for an IP, the first host of a
    /// range, `localhost` for `*`, the graded server's address for `@self`.
    pub fn allowed(&self) -> Vec<String> {
        let mut names = Vec::new();
        for raw in &self.patterns {
            let candidates = match Pattern::parse(raw) {
                Ok(Pattern::Exact(name)) => vec![name],
                Ok(Pattern::DomainAndBelow(domain)) => vec![domain.clone(), format!("a.{domain}")],
                Ok(Pattern::StrictlyBelow(domain)) => vec![format!("a.{domain}")],
                Ok(Pattern::Ip(ip)) => vec![bracketed(ip)],
                Ok(Pattern::Cidr(net)) => net.hosts().next().map(bracketed).into_iter().collect(),
                Ok(Pattern::Any) => vec!["localhost".to_string()],
                Ok(Pattern::OwnAddresses) => self.own.iter().copied().map(bracketed).collect(),
                Err(_) => Vec::new(),
            };
            for name in candidates {
                if self.verdict(&name).allowed && !names.contains(&name) {
                    names.push(name);
                }
            }
        }
        names
    }

    /// The domains the name patterns are built on (`localhost` for `.localhost`), for
    /// suffix confusion; `localhost` when there are none.
    pub fn domains(&self) -> Vec<String> {
        let mut domains: Vec<String> = self
            .patterns
            .iter()
            .filter_map(|raw| match Pattern::parse(raw) {
                Ok(Pattern::Exact(d) | Pattern::DomainAndBelow(d) | Pattern::StrictlyBelow(d)) => {
                    Some(d)
                }
                _ => None,
            })
            .collect();
        if domains.is_empty() {
            domains.push("localhost".to_string());
        }
        domains
    }

    /// A name the allow-list refuses: [`FOREIGN`], unless the list holds it.
    pub fn foreign(&self) -> Option<String> {
        FOREIGN_FALLBACKS
            .iter()
            .find(|name| !self.verdict(name).allowed)
            .map(|name| name.to_string())
    }

    /// Chapter 12's corpus: values around each allowed name and domain (with and
    /// without the port, in capitals, with a trailing dot, with a port out of range or
    /// not made of digits, with a second host injected after the colon), suffix
    /// look-alikes, and addresses written in the forms that fool a loose parser.
    pub fn corpus(&self, port: u16) -> Vec<String> {
        let mut values: Vec<String> = Vec::new();
        for name in self.allowed() {
            values.push(name.clone());
            values.push(format!("{name}:{port}"));
            if !name.starts_with('[') && name.parse::<std::net::Ipv4Addr>().is_err() {
                values.push(name.to_ascii_uppercase());
                values.push(format!("{name}."));
            }
            values.push(format!("{name}:99999"));
            values.push(format!("{name}:http"));
            values.push(format!("{name}:@{FOREIGN}"));
            values.push(format!("{name}:{port}:{port}"));
        }
        for domain in self.domains() {
            values.push(format!("deep.sub.{domain}"));
            values.push(format!("evil{domain}"));
            values.push(format!("evil-{domain}"));
            values.push(format!("{domain}.evil"));
        }
        for fixed in [
            FOREIGN.to_string(),
            format!("{FOREIGN}:{port}"),
            "127.0.0.1".to_string(),
            "127.1".to_string(),
            "0x7f.0.0.1".to_string(),
            "2130706433".to_string(),
            "[::1]".to_string(),
            format!("[::1]:{port}"),
            "::1".to_string(),
            "10.0.0.1".to_string(),
            "local_host".to_string(),
            "a..localhost".to_string(),
        ] {
            values.push(fixed);
        }
        let mut seen = std::collections::HashSet::new();
        values.retain(|v| seen.insert(v.clone()));
        values
    }
}

/// An address as it appears in `Host`: IPv6 in brackets.
fn bracketed(ip: std::net::IpAddr) -> String {
    match ip {
        std::net::IpAddr::V4(v4) => v4.to_string(),
        std::net::IpAddr::V6(v6) => format!("[{v6}]"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hosts(patterns: &[&str]) -> Hosts {
        Hosts::new(
            &patterns.iter().map(|p| p.to_string()).collect::<Vec<_>>(),
            &[],
        )
        .expect("valid patterns")
    }

    #[test]
    fn the_defaults_give_the_course_names() {
        let defaults = hosts(&[]);
        assert_eq!(
            defaults.allowed(),
            ["localhost", "a.localhost", "127.0.0.1", "[::1]"]
        );
        assert_eq!(defaults.domains(), ["localhost"]);
        assert_eq!(defaults.foreign().as_deref(), Some(FOREIGN));
        assert!(!defaults.verdict("evil-localhost").allowed);
        assert!(defaults.verdict("a.localhost:8094").allowed);
    }

    #[test]
    fn each_pattern_kind_gives_a_name_it_allows() {
        let list = hosts(&[
            "example.com",
            ".example.org",
            "*.example.net",
            "10.0.0.0/8",
            "[::1]",
        ]);
        assert_eq!(
            list.allowed(),
            [
                "example.com",
                "example.org",
                "a.example.org",
                "a.example.net",
                "10.0.0.1",
                "[::1]"
            ]
        );
        assert_eq!(
            list.domains(),
            ["example.com", "example.org", "example.net"]
        );
    }

    #[test]
    fn spaces_around_patterns_are_dropped() {
        let list = hosts(&["example.com", " .example.org", " 127.0.0.1 "]);
        assert_eq!(
            list.allowed(),
            ["example.com", "example.org", "a.example.org", "127.0.0.1"]
        );
        assert_eq!(list.domains(), ["example.com", "example.org"]);
    }

    #[test]
    fn a_list_that_allows_everything_has_no_foreign_name() {
        assert_eq!(hosts(&["*"]).foreign(), None);
        assert_eq!(
            hosts(&["evil.example"]).foreign().as_deref(),
            Some("attacker.invalid")
        );
    }

    #[test]
    fn the_corpus_holds_both_verdicts() {
        let list = hosts(&[]);
        let corpus = list.corpus(8094);
        let allowed = corpus.iter().filter(|v| list.verdict(v).allowed).count();
        assert!(allowed >= 5 && allowed < corpus.len(), "{corpus:?}");
        assert!(corpus.contains(&"LOCALHOST".to_string()));
        assert!(corpus.contains(&"localhost:@evil.example".to_string()));
    }

    #[test]
    fn at_self_is_the_graded_servers_address() {
        let own = ["127.0.0.1".parse().expect("an address")];
        let list =
            Hosts::new(&["app.example".into(), "@self".into()], &own).expect("valid patterns");
        assert_eq!(list.allowed(), ["app.example", "127.0.0.1"]);
        assert_eq!(list.verdict("127.0.0.1:8094").why, "allowed by @self");
        assert!(!list.verdict("[::1]").allowed);
        // Without an address to stand for, @self is refused, as by the server.
        assert!(Hosts::new(&["@self".into()], &[]).is_err());
    }
}
