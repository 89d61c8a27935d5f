//! `hostecho check --explain`: the decision, step by step, as the server takes it.
//!
//! The story is told from what [`HostPolicy::decide_traced`] reports while it
//! decides ([`Trace`]), and its ending from [`HostPolicy::decide`] itself, so there is
//! no second copy of the rules here to drift: this module only says, for each step
//! the decision took, what the request held and why the other sources did not count.
//! The one thing it computes on its own is which of the patterns, in the order given,
//! match the host ([`Pattern::matches`], the readable reference the compiled lookup is
//! tested against); the lookup's own answer is printed beside it.

use std::fmt::Write as _;

use super::patterns::Pattern;
use super::syntax::{HostPort, SyntaxError};
use super::{
    Facts, ForwardingStep, HostPolicy, HostSource, RejectionKind, Trace, escape_for_message,
    forwarded,
};

/// What the decision reported, step by step.
#[derive(Default)]
struct Steps {
    host_lines: Option<usize>,
    forwarding: Option<ForwardingStep>,
    candidate: Option<(Vec<u8>, HostSource)>,
    syntax: Option<Result<HostPort<'static>, SyntaxError>>,
    lookup: Option<Option<String>>,
}

impl Trace for Steps {
    fn host_lines(&mut self, count: usize) {
        self.host_lines = Some(count);
    }
    fn forwarding(&mut self, step: ForwardingStep) {
        self.forwarding = Some(step);
    }
    fn candidate(&mut self, raw: &[u8], source: HostSource) {
        self.candidate = Some((raw.to_vec(), source));
    }
    fn syntax(&mut self, result: Result<&HostPort<'_>, SyntaxError>) {
        self.syntax = Some(result.map(|hp| hp.clone().into_owned()));
    }
    fn lookup(&mut self, matched: Option<&str>) {
        self.lookup = Some(matched.map(str::to_string));
    }
}

/// The decision on one request, told step by step: numbered lines, each indented by
/// two spaces, ending with the verdict and the hint.
pub fn explain(policy: &HostPolicy, facts: &Facts<'_>) -> String {
    let mut steps = Steps::default();
    // The outcome of this run is the one `decide` gives below; only its steps count.
    let _ = policy.decide_traced(facts, &mut steps);
    let decision = policy.decide(facts);
    let mut out = String::new();
    let mut n = 0;
    let mut step = |out: &mut String, text: String| {
        n += 1;
        let _ = writeln!(out, "  {n}. {text}");
    };

    // 1. The Host lines.
    let lines = steps.host_lines.unwrap_or(0);
    step(
        &mut out,
        match lines {
            0 => format!("Host lines: none ({})", facts.version.as_str()),
            1 => "Host lines: 1".to_string(),
            more => {
                format!("Host lines: {more}: a request may carry only one (RFC 9112, section 3.2)")
            }
        },
    );

    // 2. The sources present, which one counted, and why the others did not.
    if steps.candidate.is_some() || steps.forwarding.is_some() {
        let present = sources_present(facts);
        step(
            &mut out,
            format!(
                "sources present: {}",
                if present.is_empty() {
                    "none".to_string()
                } else {
                    present
                        .iter()
                        .map(|(name, value)| format!("{name} '{value}'"))
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            ),
        );
        let counted = steps.candidate.as_ref().map(|(_, source)| *source);
        for (name, _) in &present {
            if let Some(why) = why_not(name, counted, steps.forwarding, policy, facts) {
                let _ = writeln!(out, "     {name}: not counted: {why}");
            }
        }
        match &steps.candidate {
            Some((raw, source)) => {
                let _ = writeln!(
                    out,
                    "     counted: {} '{}'{}",
                    source.name(),
                    escape_for_message(raw),
                    if *source == HostSource::LocalAddress {
                        " (HTTP/1.0 without Host: the address the connection arrived on)"
                    } else {
                        ""
                    }
                );
            }
            None => {
                let _ = writeln!(
                    out,
                    "     counted: nothing (the forwarding header was refused)"
                );
            }
        }
    }

    // 3. The syntax check.
    match &steps.syntax {
        Some(Ok(hp)) => step(
            &mut out,
            format!(
                "syntax: valid: host {}, port {}",
                hp.host,
                hp.port.map_or("none".to_string(), |p| p.to_string())
            ),
        ),
        Some(Err(why)) => step(&mut out, format!("syntax: invalid: {why}")),
        None if steps
            .candidate
            .as_ref()
            .is_some_and(|(raw, _)| raw.is_empty()) =>
        {
            step(&mut out, "syntax: the value is empty".to_string())
        }
        None => {}
    }

    // 4. The patterns, in order.
    if let Some(Ok(hp)) = &steps.syntax {
        step(&mut out, "patterns, in the order given:".to_string());
        let width = policy.patterns().iter().map(String::len).max().unwrap_or(0);
        for raw in policy.patterns() {
            let matches = Pattern::parse(raw).is_ok_and(|p| p.matches(&hp.host));
            let _ = writeln!(
                out,
                "       {raw:<width$}  {}",
                if matches { "matches" } else { "no" }
            );
        }
        if let Some(Some(named)) = &steps.lookup {
            let _ = writeln!(out, "     the decision names '{named}' (the most specific)");
        }
    }

    // 5. The verdict and the hint.
    match &decision {
        Ok(valid) => {
            step(
                &mut out,
                format!(
                    "verdict: allowed (host {}, allowed by {})",
                    valid.host, valid.matched
                ),
            );
            if let Some(hint) = &valid.hint {
                let _ = writeln!(out, "     hint: {hint}");
            }
        }
        Err(rejection) => {
            step(&mut out, format!("verdict: refused: {}", rejection.message));
            match &rejection.hint {
                Some(hint) => {
                    let _ = writeln!(out, "     hint: {hint}");
                }
                None if rejection.kind == RejectionKind::NotAllowed => {
                    let _ = writeln!(
                        out,
                        "     hint: none: nothing in the request points to a cause"
                    );
                }
                None => {}
            }
        }
    }
    out
}

/// The sources of a host the request holds, in the decision's order of precedence,
/// each with its value as shown.
fn sources_present(facts: &Facts<'_>) -> Vec<(&'static str, String)> {
    let lines = |name: &'static str| facts.headers.values(name);
    let mut present = Vec::new();
    if let Some(value) = forwarded::last_x_forwarded_host(lines("x-forwarded-host")) {
        present.push(("X-Forwarded-Host", escape_for_message(value)));
    }
    if lines("forwarded").next().is_some() {
        let shown = match forwarded::last_forwarded_host(lines("forwarded")) {
            Ok(Some(host)) => escape_for_message(&host),
            Ok(None) => "(no host=)".to_string(),
            Err(e) => format!("(malformed: {})", e.reason),
        };
        present.push(("Forwarded", shown));
    }
    if let Some(authority) = facts.absolute_authority {
        present.push(("absolute-form", escape_for_message(authority.as_bytes())));
    }
    if let Some(host) = lines("host").next() {
        present.push(("Host", escape_for_message(host)));
    }
    present
}

/// Why a source present did not count, or `None` for the one that did.
fn why_not(
    name: &str,
    counted: Option<HostSource>,
    forwarding: Option<ForwardingStep>,
    policy: &HostPolicy,
    facts: &Facts<'_>,
) -> Option<String> {
    if counted.is_some_and(|source| source.name() == name) {
        return None;
    }
    let forwarding_header = matches!(name, "X-Forwarded-Host" | "Forwarded");
    Some(match (forwarding_header, forwarding) {
        (true, Some(ForwardingStep::Off)) => "--use-x-forwarded-host is off".to_string(),
        (true, Some(ForwardingStep::Untrusted)) => {
            let trusted: Vec<String> = policy
                .options()
                .trusted_proxies
                .iter()
                .map(ToString::to_string)
                .collect();
            format!(
                "the peer {} is not in --trusted-proxies ({})",
                facts.peer.ip().to_canonical(),
                trusted.join(", ")
            )
        }
        (true, Some(ForwardingStep::Used(HostSource::XForwardedHost))) => {
            "X-Forwarded-Host wins over Forwarded, as in Django".to_string()
        }
        (true, Some(ForwardingStep::NoHostParameter)) => {
            "the nearest proxy's element has no host=".to_string()
        }
        (true, _) => "not read".to_string(),
        (false, _) => match counted {
            Some(HostSource::XForwardedHost | HostSource::Forwarded) => {
                "a trusted proxy's forwarding header wins".to_string()
            }
            Some(HostSource::AbsoluteForm) => {
                "the target is absolute-form, and RFC 9112, section 3.2.2 says to ignore Host then"
                    .to_string()
            }
            _ => "the decision stopped before it".to_string(),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::super::tests::{host, policy, policy_with, req};
    use super::*;

    fn told(r: &super::super::tests::Req, p: &HostPolicy) -> String {
        r.with_facts(|facts| explain(p, facts))
    }

    #[test]
    fn apache_without_preserve_host_step_by_step() {
        let p = policy(&["app.example", ".example.com"]);
        let r = host(b"127.0.0.1:8090")
            .with("X-Forwarded-For", b"192.0.2.44")
            .with("X-Forwarded-Host", b"app.example");
        assert_eq!(
            told(&r, &p),
            "  1. Host lines: 1\n\
             \x20 2. sources present: X-Forwarded-Host 'app.example', Host '127.0.0.1:8090'\n\
             \x20    X-Forwarded-Host: not counted: --use-x-forwarded-host is off\n\
             \x20    counted: Host '127.0.0.1:8090'\n\
             \x20 3. syntax: valid: host 127.0.0.1, port 8090\n\
             \x20 4. patterns, in the order given:\n\
             \x20      app.example   no\n\
             \x20      .example.com  no\n\
             \x20 5. verdict: refused: Invalid HTTP_HOST header: '127.0.0.1:8090'. You may need \
             to add '127.0.0.1' to --allowed-hosts.\n\
             \x20    hint: X-Forwarded-Host carries 'app.example', which --allowed-hosts allows, \
             but it was not read because --use-x-forwarded-host is off: turn it on, with \
             --trusted-proxies naming the proxy [forwarding-ignored]\n"
        );
    }

    #[test]
    fn each_reason_a_source_did_not_count() {
        let trusted = policy_with(&["*"], true, &["10.0.0.0/8"]);
        let r = host(b"h.example")
            .with("X-Forwarded-Host", b"xfh.example")
            .via_peer("192.0.2.1:1");
        assert!(
            told(&r, &trusted).contains(
                "X-Forwarded-Host: not counted: the peer 192.0.2.1 is not in --trusted-proxies \
                 (10.0.0.0/8)"
            ),
            "{}",
            told(&r, &trusted)
        );
        let r = host(b"h.example")
            .with("X-Forwarded-Host", b"xfh.example")
            .with("Forwarded", b"host=fwd.example")
            .via_peer("10.0.0.1:1");
        let t = told(&r, &trusted);
        assert!(
            t.contains("Forwarded: not counted: X-Forwarded-Host wins over Forwarded"),
            "{t}"
        );
        assert!(
            t.contains("Host: not counted: a trusted proxy's forwarding header wins"),
            "{t}"
        );
        assert!(t.contains("counted: X-Forwarded-Host 'xfh.example'"), "{t}");
        let r = host(b"h.example").absolute("abs.example");
        let t = told(&r, &trusted);
        assert!(
            t.contains("Host: not counted: the target is absolute-form"),
            "{t}"
        );
        let r = req(&[]).http10();
        let t = told(&r, &policy(&[]));
        assert!(
            t.contains("counted: local-address '127.0.0.1:8090' (HTTP/1.0 without Host"),
            "{t}"
        );
        assert!(
            t.contains("  5. verdict: allowed (host 127.0.0.1, allowed by 127.0.0.1)"),
            "{t}"
        );
        let t = told(&host(b"a_b"), &policy(&[]));
        assert!(t.contains("  3. syntax: invalid: "), "{t}");
        assert!(!t.contains("patterns"), "{t}");
        let t = told(&req(&[("Host", b"a"), ("Host", b"a")]), &policy(&[]));
        assert!(
            t.starts_with("  1. Host lines: 2: a request may carry only one"),
            "{t}"
        );
        assert!(
            t.contains("  2. verdict: refused: duplicate Host header"),
            "{t}"
        );
    }

    /// The narration and the decision cannot disagree: for many requests, the
    /// verdict it tells is `decide`'s, and the pattern the lookup names is one the
    /// in-order scan marks as matching.
    #[test]
    fn the_story_ends_as_the_decision_does() {
        let p = policy(&["*.example.com", ".example.org", "10.0.0.0/8", "[::1]"]);
        for value in [
            &b"a.example.com"[..],
            b"example.com",
            b"www.example.org:80",
            b"10.1.2.3",
            b"[::1]:8090",
            b"evil.example",
            b"",
        ] {
            let r = host(value);
            let t = told(&r, &p);
            let allowed = r.decide_full(&p).is_ok();
            assert_eq!(t.contains("verdict: allowed"), allowed, "{t}");
            if let Some(line) = t.lines().find(|l| l.contains("the decision names")) {
                let named = line.split('\'').nth(1).expect("quoted");
                assert!(
                    t.lines()
                        .any(|l| l.trim_start().starts_with(named) && l.ends_with("matches")),
                    "{t}"
                );
            }
        }
    }
}
