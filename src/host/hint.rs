//! Hints: what most likely sent a refused host, and what to do about it.
//!
//! Every framework's refusal says only what to add to the allow-list. Issue trackers
//! (Django's, Rails', Kubernetes', Vite's, Starlette's…) show that people behind a
//! proxy or a load balancer meet the same few causes again and again, and that the
//! request itself usually says which: a health check addresses the instance by IP, a
//! proxy that does not pass Host sends its upstream's address, a Docker Compose
//! service name has a `_`. This module reads those signals from the facts the
//! decision already has and names the likely cause, with a stable id and one
//! sentence on the fix.
//!
//! The whole table is [`Cause`]: one variant per row, its id, its signal, and (in
//! [`for_refusal`] and [`for_allowed`]) the order the rows are tried in. It is pure:
//! the same facts always give the same hint, and a request where nothing looks
//! wrong gets none.
//!
//! The request shapes the tests build come from the proxies' and checkers' own
//! documentation and code:
//! - nginx's `proxy_pass` sends `HTTP/1.0` (`proxy_http_version`'s default),
//!   `Connection: close`, and `Host: $proxy_host`, the upstream's address
//!   (<https://nginx.org/en/docs/http/ngx_http_proxy_module.html#proxy_set_header>);
//! - Apache's `mod_proxy` without `ProxyPreserveHost On` sends the `ProxyPass` URL's
//!   host, and adds `X-Forwarded-For`, `X-Forwarded-Host` and `X-Forwarded-Server`
//!   (<https://httpd.apache.org/docs/2.4/mod/mod_proxy.html#x-headers>);
//! - HAProxy's `option httpchk` sends `OPTIONS / HTTP/1.0` and no header at all
//!   unless told to (<https://docs.haproxy.org/2.8/configuration.html#4.2-option%20httpchk>);
//! - Caddy's active health checks dial the upstream and send its address as Host,
//!   with Go's `Go-http-client/1.1` User-Agent
//!   (`modules/caddyhttp/reverseproxy/healthchecks.go`);
//! - AWS target-group health checks send the target's private `IP:port` with
//!   `User-Agent: ELB-HealthChecker/2.0`
//!   (<https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html>);
//! - Kubernetes' kubelet probes send the pod's `IP:port` (the `host` field "defaults
//!   to the pod IP") with `User-Agent: kube-probe/1.N`
//!   (`pkg/probe/http/request.go`; <https://kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/>).

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::patterns::Pattern;
use super::syntax::{self, Host};
use super::{
    Facts, ForwardingStep, HostPolicy, HostSource, NoTrace, Rejection, RejectionKind, Trace,
    ValidHost, escape_for_message, forwarded,
};
use crate::http::request::{Field, Version};

/// The likely cause of a refused (or oddly forwarded) host: one row of the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Cause {
    /// A load balancer's health check or an orchestrator's probe addressed this
    /// instance by IP. Signal: a private, link-local or CGNAT IP literal as the host;
    /// HTTP/1.0 without Host answered from a private local address; or a request with
    /// no headers at all. A checker's User-Agent makes it surer.
    HealthCheck,
    /// A name with `_`, which no pattern can allow: a Docker Compose service or an
    /// nginx `upstream` name.
    Underscore,
    /// Exactly `_`: nginx's catch-all `server_name _`, sent as `$host` for a client
    /// that sent no Host.
    CatchAll,
    /// The host is the address the request arrived on (or a loopback or private
    /// address), and the request carries a proxy's marks: the proxy forwarded it by
    /// address.
    ProxyAddress,
    /// `X-Forwarded-Host` or `Forwarded` carries a host that would be allowed, but
    /// was not read.
    ForwardingIgnored,
    /// An empty `X-Forwarded-Host` or `host=""`.
    EmptyForwardedHost,
    /// A comma list in `X-Forwarded-Host`.
    AppendedForwardedHost,
    /// Two Host lines.
    DuplicateHost,
    /// HTTP/1.1 without Host, with forwarding headers.
    MissingHostBehindProxy,
    /// The host differs from an allowed pattern by a `www.`, a `*.` that leaves the
    /// domain itself out, or one character.
    NearMiss,
    /// A known tunnel's or cloud IDE's name.
    DevTunnel,
    /// A public IP literal, or a name unrelated to every pattern, with no proxy marks.
    Scanner,
}

impl Cause {
    /// Every cause, in the table's order.
    pub const ALL: [Cause; 12] = [
        Cause::HealthCheck,
        Cause::Underscore,
        Cause::CatchAll,
        Cause::ProxyAddress,
        Cause::ForwardingIgnored,
        Cause::EmptyForwardedHost,
        Cause::AppendedForwardedHost,
        Cause::DuplicateHost,
        Cause::MissingHostBehindProxy,
        Cause::NearMiss,
        Cause::DevTunnel,
        Cause::Scanner,
    ];

    /// The stable id: what the refusal, the log and `check --json` print.
    pub fn id(self) -> &'static str {
        match self {
            Cause::HealthCheck => "health-check",
            Cause::Underscore => "underscore",
            Cause::CatchAll => "catch-all",
            Cause::ProxyAddress => "proxy-address",
            Cause::ForwardingIgnored => "forwarding-ignored",
            Cause::EmptyForwardedHost => "empty-forwarded-host",
            Cause::AppendedForwardedHost => "appended-forwarded-host",
            Cause::DuplicateHost => "duplicate-host",
            Cause::MissingHostBehindProxy => "missing-host-behind-proxy",
            Cause::NearMiss => "near-miss",
            Cause::DevTunnel => "dev-tunnel",
            Cause::Scanner => "scanner",
        }
    }

    /// Whether the value is worth letting in: everything but a scanner's. `check
    /// --from-log` proposes patterns only for these.
    pub fn looks_legitimate(self) -> bool {
        self != Cause::Scanner
    }
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// A cause and the sentence that names it and its fix, filled in from the request.
/// The text is printable ASCII: a client's bytes are escaped as in a refusal.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Hint {
    /// The row of the table.
    pub cause: Cause,
    /// One sentence: the likely cause and the fix.
    pub text: String,
}

impl fmt::Display for Hint {
    /// `TEXT [cause-id]`, as the refusal's `hint:` line and the log print it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} [{}]", self.text, self.cause.id())
    }
}

fn hint(cause: Cause, text: String) -> Option<Hint> {
    Some(Hint { cause, text })
}

/// The most patterns the near-miss and scanner rows compare a refused name with. They
/// scan the list on each refusal; measured (BENCHMARKS.md, "Refusal hints"), a scan
/// of 10,000 patterns made a refusal some 500 times dearer, so a longer list skips
/// those two rows instead.
pub const SCAN_LIMIT: usize = 256;

/// The User-Agents of health checkers, by prefix: AWS's load balancers, Kubernetes'
/// kubelet, Google Cloud's health checks, and Go's default client (Caddy's and many
/// home-made checkers').
const CHECKER_AGENTS: &[&str] = &[
    "ELB-HealthChecker/",
    "kube-probe/",
    "GoogleHC/",
    "Go-http-client/",
];

/// Tunnels and cloud IDEs that hand out names under a shared suffix: anyone can get
/// a name there, so only the exact name is safe to allow.
const TUNNEL_SUFFIXES: &[(&str, &str)] = &[
    ("ngrok-free.app", "an ngrok tunnel"),
    ("ngrok-free.dev", "an ngrok tunnel"),
    ("ngrok.app", "an ngrok tunnel"),
    ("ngrok.io", "an ngrok tunnel"),
    ("trycloudflare.com", "a Cloudflare quick tunnel"),
    ("app.github.dev", "a GitHub Codespaces port"),
    ("gitpod.io", "a Gitpod workspace"),
    ("loca.lt", "a localtunnel tunnel"),
    ("devtunnels.ms", "a Visual Studio dev tunnel"),
    ("lhr.life", "a localhost.run tunnel"),
    ("ts.net", "a Tailscale Funnel"),
    ("csb.app", "a CodeSandbox preview"),
    ("replit.dev", "a Replit preview"),
];

/// What the request's headers say about how it got here.
struct Signals<'a> {
    /// Names of the proxy marks present, for the sentence: `X-Forwarded-For`,
    /// `Via`, `HTTP/1.0 with Connection: close`…
    marks: Marks,
    /// Whether any forwarding header (`X-Forwarded-*`, `Forwarded`, `Via`,
    /// `X-Real-IP`) is present: nginx's HTTP/1.0 mark alone does not count here.
    forwarding: bool,
    /// The User-Agent, when it is a known checker's.
    checker: Option<&'a [u8]>,
    /// Whether the request has no header at all.
    bare: bool,
}

impl<'a> Signals<'a> {
    fn read(facts: &Facts<'a>) -> Signals<'a> {
        let mut marks = Marks::default();
        let mut checker = None;
        let mut close = false;
        let mut bare = true;
        for field in facts.headers.iter() {
            bare = false;
            if let Some(name) = proxy_mark(&field)
                && !marks.contains(&name)
            {
                marks.push(name);
            }
            if field.is("user-agent")
                && CHECKER_AGENTS
                    .iter()
                    .any(|agent| field.value.starts_with(agent.as_bytes()))
            {
                checker = Some(field.value);
            }
            if field.is("connection") && field.value.eq_ignore_ascii_case(b"close") {
                close = true;
            }
        }
        let forwarding = !marks.is_empty();
        // nginx's proxy_pass, by default: HTTP/1.0 and `Connection: close`. A client
        // on HTTP/1.0 has no reason to ask for a close: it is the default there.
        if facts.version == Version::Http10 && close {
            marks.push("HTTP/1.0 with Connection: close");
        }
        Signals {
            marks,
            forwarding,
            checker,
            bare,
        }
    }

    fn proxied(&self) -> bool {
        !self.marks.is_empty()
    }

    fn marks_list(&self) -> String {
        self.marks.names[..self.marks.len].join(", ")
    }

    /// ` (User-Agent: kube-probe/1.30)`, or nothing.
    fn agent_note(&self) -> String {
        self.checker
            .map(|ua| format!(" (User-Agent: {})", escape_for_message(ua)))
            .unwrap_or_default()
    }
}

/// The names of the proxy marks a request carries, each once, in the order met: at
/// most one per [`forwarded::FORWARDING_HEADERS`], plus `X-Forwarded-Server`, other
/// `X-Forwarded-*`, and nginx's HTTP/1.0 with `Connection: close`. A list of names,
/// not a vector: reading a proxied request's marks allocates nothing.
#[derive(Default)]
struct Marks {
    names: [&'static str; 10],
    len: usize,
}

impl Marks {
    fn push(&mut self, name: &'static str) {
        if self.len < self.names.len() {
            self.names[self.len] = name;
            self.len += 1;
        }
    }
    fn contains(&self, name: &&'static str) -> bool {
        self.names[..self.len].contains(name)
    }
    fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// The name of a header that a proxy adds, as the sentence names it.
fn proxy_mark(field: &Field<'_>) -> Option<&'static str> {
    if let Some(name) = forwarded::FORWARDING_HEADERS
        .iter()
        .find(|h| h.eq_ignore_ascii_case(field.name))
    {
        return Some(name);
    }
    let name = field.name.as_bytes();
    let forwarded_kind = name.len() > 12 && name[..12].eq_ignore_ascii_case(b"x-forwarded-");
    forwarded_kind.then_some(if field.name.eq_ignore_ascii_case("x-forwarded-server") {
        "X-Forwarded-Server"
    } else {
        "X-Forwarded-*"
    })
}

/// The private, link-local, CGNAT or unique-local range an address is in, as a
/// pattern: what a health check's address is allowed with.
pub fn private_range(ip: IpAddr) -> Option<&'static str> {
    match ip.to_canonical() {
        IpAddr::V4(v4) => private_v4(v4),
        IpAddr::V6(v6) => private_v6(v6),
    }
}

fn private_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, ..] = ip.octets();
    match (a, b) {
        (10, _) => Some("10.0.0.0/8"),
        (172, 16..=31) => Some("172.16.0.0/12"),
        (192, 168) => Some("192.168.0.0/16"),
        (169, 254) => Some("169.254.0.0/16"),
        // RFC 6598's shared address space, which carrier-grade NATs and some
        // container networks use.
        (100, 64..=127) => Some("100.64.0.0/10"),
        _ => None,
    }
}

fn private_v6(ip: Ipv6Addr) -> Option<&'static str> {
    let first = ip.segments()[0];
    if first & 0xfe00 == 0xfc00 {
        Some("fc00::/7")
    } else if first & 0xffc0 == 0xfe80 {
        Some("fe80::/10")
    } else {
        None
    }
}

fn is_public(ip: IpAddr) -> bool {
    let ip = ip.to_canonical();
    !ip.is_loopback() && !ip.is_unspecified() && !ip.is_multicast() && private_range(ip).is_none()
}

/// The hint for a refusal: the rows tried in order, the first that fits wins. The
/// order puts the most specific signal first: a forwarding header that would have
/// fixed everything, then what the value's bytes alone prove (`_`), then what the
/// request's shape says (a checker, a proxy), then the pattern list (a near miss, a
/// tunnel), and last the scanner, which is what is left.
pub fn for_refusal(policy: &HostPolicy, facts: &Facts<'_>, rejection: &Rejection) -> Option<Hint> {
    let signals = Signals::read(facts);
    match rejection.kind {
        RejectionKind::Duplicate => {
            return hint(
                Cause::DuplicateHost,
                "the request has more than one Host line: a proxy configuration sets Host \
                 twice (for example nginx's `include proxy_params;` plus its own \
                 `proxy_set_header Host`); keep one"
                    .to_string(),
            );
        }
        RejectionKind::Missing if signals.forwarding => {
            return hint(
                Cause::MissingHostBehindProxy,
                format!(
                    "an HTTP/1.1 request without Host came through a proxy ({}): it copies \
                     the client's Host (nginx's `$http_host`) and this client sent none; \
                     use `$host`, which falls back to the server's name",
                    signals.marks_list()
                ),
            );
        }
        RejectionKind::Missing => {
            return bare_check(&signals, facts, Allowable::No);
        }
        _ => {}
    }
    if let Some(h) = forwarding_ignored(policy, facts, None) {
        return Some(h);
    }
    // The value the policy looked at; a malformed Forwarded line has none.
    let (raw, source) = policy.candidate(facts, &mut NoTrace).ok()?;
    if raw.is_empty() && matches!(source, HostSource::XForwardedHost | HostSource::Forwarded) {
        return hint(
            Cause::EmptyForwardedHost,
            format!(
                "{} is empty: the proxy built it from a Host the client did not send \
                 (HAProxy's `set-header X-Forwarded-Host %[req.hdr(host)]`, Caddy for an \
                 HTTP/1.0 client); set it only when the client sent a Host",
                source.name()
            ),
        );
    }
    if let Some(h) = appended(facts, source, None) {
        return Some(h);
    }
    if raw.as_ref() == b"_" {
        return hint(
            Cause::CatchAll,
            "'_' is nginx's catch-all `server_name _`: `proxy_set_header Host $host` sends \
             it when the client sent no Host (an HTTP/1.0 client or a checker); give that \
             server block a real server_name, or answer such requests at the proxy"
                .to_string(),
        );
    }
    let shown = escape_for_message(&raw);
    if raw.contains(&b'_') {
        return hint(
            Cause::Underscore,
            format!(
                "'{shown}' has a '_', which is not valid in a host name, so no pattern can \
                 allow it: it looks like a Docker Compose service or an nginx upstream \
                 name, so the proxy or caller is not sending the visitor's host (nginx: \
                 `proxy_set_header Host $host`; Apache: `ProxyPreserveHost On`)"
            ),
        );
    }
    let Ok(parsed) = syntax::parse_host_port(&raw) else {
        return None;
    };
    if signals.bare {
        return bare_check(&signals, facts, Allowable::Yes);
    }
    if let Some(ip) = parsed.host.ip() {
        return for_address(ip, &shown, source, &signals, facts);
    }
    let Host::Name(name) = &parsed.host else {
        return None;
    };
    if signals.proxied() && is_upstream_name(name, parsed.port, facts) {
        return proxy_address(&shown, &signals);
    }
    if let Some(h) = near_miss(policy, name) {
        return Some(h);
    }
    if let Some((suffix, what)) = TUNNEL_SUFFIXES
        .iter()
        .find(|(suffix, _)| is_below(name, suffix))
    {
        return hint(
            Cause::DevTunnel,
            format!(
                "'{name}' is {what}'s name: allow exactly '{name}', never '.{suffix}', \
                 under which anyone can get a name"
            ),
        );
    }
    // `localhost` is the learner's own machine, never a scanner's guess.
    if !signals.proxied() && !is_local_name(name) && !related(policy, name) {
        return hint(
            Cause::Scanner,
            format!(
                "'{name}' is unlike every allowed pattern and carries no proxy's marks: \
                 probably a scanner or a bot; the refusal is working (add it if the name \
                 is yours; a proxy's default server can drop these)"
            ),
        );
    }
    None
}

/// The hint for an allowed host whose forwarding looks wrong: a forwarding header
/// that was not read, a list of them, or a proxy that sent its upstream's address.
pub fn for_allowed(policy: &HostPolicy, facts: &Facts<'_>, valid: &ValidHost<'_>) -> Option<Hint> {
    if let Some(h) = forwarding_ignored(policy, facts, Some(&valid.host)) {
        return Some(h);
    }
    if let Some(h) = appended(facts, valid.source, Some(&valid.host)) {
        return Some(h);
    }
    if valid.source != HostSource::Host {
        return None;
    }
    let signals = Signals::read(facts);
    if !signals.proxied() {
        return None;
    }
    // Allowed, the host is only suspect when it carries the very port the request
    // arrived on: what `proxy_pass http://127.0.0.1:8091` sends (nginx's
    // `$proxy_host`), and never what a visitor asking the proxy sends.
    if valid.port != Some(facts.local.port()) {
        return None;
    }
    proxy_address(&escape_for_message(&valid.raw), &signals)
}

/// A request with no header at all (HAProxy's default check), or HTTP/1.0 without
/// Host refused on a private local address.
/// Whether a pattern could let the refused request in. An HTTP/1.0 request without
/// Host is judged by the address it arrived on, which a pattern can allow; an HTTP/1.1
/// request without Host is refused whatever the list holds (RFC 9112, section 3.2), so
/// its hint must not tell anyone to allow an address.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Allowable {
    Yes,
    No,
}

fn bare_check(signals: &Signals<'_>, facts: &Facts<'_>, allowable: Allowable) -> Option<Hint> {
    let local = facts.local.ip();
    if !signals.bare && private_range(local).is_none() {
        return None;
    }
    let range = private_range(local).unwrap_or("");
    let what = format!("a request with no Host, answered on {}", facts.local);
    match allowable {
        Allowable::Yes => health_check(
            &what,
            if range.is_empty() {
                facts.local.ip().to_canonical().to_string()
            } else {
                range.to_string()
            },
            signals,
        ),
        Allowable::No => hint(
            Cause::HealthCheck,
            format!(
                "{what}{}: a load balancer's health check or an orchestrator's probe; no \
                 pattern can allow an HTTP/1.1 request without Host, so give the check a \
                 Host (Kubernetes `httpHeaders`, HAProxy `http-check send hdr Host ...`), \
                 or answer it on a health path",
                signals.agent_note()
            ),
        ),
    }
}

fn health_check(what: &str, allow: String, signals: &Signals<'_>) -> Option<Hint> {
    hint(
        Cause::HealthCheck,
        format!(
            "{what}{}: a load balancer's health check or an orchestrator's probe \
             addressed this instance by IP; allow '{allow}', give the check a Host \
             (Kubernetes `httpHeaders`, HAProxy `http-check send hdr Host ...`), or answer \
             it on a health path",
            signals.agent_note()
        ),
    )
}

/// An IP literal as the host.
fn for_address(
    ip: IpAddr,
    shown: &str,
    source: HostSource,
    signals: &Signals<'_>,
    facts: &Facts<'_>,
) -> Option<Hint> {
    if signals.proxied() && signals.checker.is_none() && is_proxy_address(ip, facts) {
        return proxy_address(shown, signals);
    }
    let what = if source == HostSource::LocalAddress {
        format!("a request with no Host, answered on {}", facts.local)
    } else {
        format!("'{shown}' is an IP address")
    };
    if let Some(range) = private_range(ip) {
        return health_check(&what, range.to_string(), signals);
    }
    if signals.checker.is_some() {
        return health_check(&what, ip.to_canonical().to_string(), signals);
    }
    if !signals.proxied() && is_public(ip) {
        return hint(
            Cause::Scanner,
            format!(
                "'{shown}' is a public IP address and carries no proxy's marks: probably a \
                 scanner or a bot that found this address; the refusal is working (a \
                 proxy's default server can drop these)"
            ),
        );
    }
    None
}

/// The address the request arrived on, a loopback address, or a private one.
fn is_proxy_address(ip: IpAddr, facts: &Facts<'_>) -> bool {
    let ip = ip.to_canonical();
    ip == facts.local.ip().to_canonical() || ip.is_loopback() || private_range(ip).is_some()
}

/// A name that names an upstream rather than a site: a name of one label other than
/// `localhost` (an nginx `upstream` block's, a Compose service's: no public site has
/// one), or any name with the port the request arrived on. `localhost` alone is what
/// a visitor on the same machine asks a proxy for, and a proxy passing `$host` sends.
fn is_upstream_name(name: &str, port: Option<u16>, facts: &Facts<'_>) -> bool {
    (!name.contains('.') && name != "localhost") || port == Some(facts.local.port())
}

fn is_local_name(name: &str) -> bool {
    name == "localhost" || name.ends_with(".localhost")
}

fn proxy_address(shown: &str, signals: &Signals<'_>) -> Option<Hint> {
    hint(
        Cause::ProxyAddress,
        format!(
            "'{shown}' names an upstream, not a site, and the request carries a proxy's marks \
             ({}): the proxy sent its upstream's name or address instead of the visitor's host; pass that on \
             (nginx: `proxy_set_header Host $host`; Apache: `ProxyPreserveHost On`; Caddy: \
             drop `header_up Host {{upstream_hostport}}`)",
            signals.marks_list()
        ),
    )
}

/// `X-Forwarded-Host` or `Forwarded: host=` carries a host the patterns allow, and it
/// was not read: the flag is off or the peer is not trusted. For an allowed request
/// (`allowed` is its host), only when that host differs from the forwarded one.
fn forwarding_ignored(
    policy: &HostPolicy,
    facts: &Facts<'_>,
    allowed: Option<&Host<'_>>,
) -> Option<Hint> {
    let lines = |name: &'static str| facts.headers.values(name);
    let (header, value) = match forwarded::last_x_forwarded_host(lines("x-forwarded-host")) {
        Some(value) => ("X-Forwarded-Host", std::borrow::Cow::Borrowed(value)),
        None => (
            "Forwarded",
            forwarded::last_forwarded_host(lines("forwarded")).ok()??,
        ),
    };
    let why = match forwarding_step(policy, facts) {
        ForwardingStep::Off => "--use-x-forwarded-host is off".to_string(),
        ForwardingStep::Untrusted => format!(
            "the peer {} is not in --trusted-proxies",
            facts.peer.ip().to_canonical()
        ),
        _ => return None,
    };
    let parsed = syntax::parse_host_port(&value).ok()?;
    policy.compiled.matching(&parsed.host)?;
    if allowed.is_some_and(|host| *host == parsed.host) {
        return None;
    }
    let fix = if why.starts_with("--use") {
        "turn it on, with --trusted-proxies naming the proxy"
    } else {
        "add the proxy's address or range to --trusted-proxies"
    };
    hint(
        Cause::ForwardingIgnored,
        format!(
            "{header} carries '{}', which --allowed-hosts allows, but it was not read \
             because {why}: {fix}",
            escape_for_message(&value)
        ),
    )
}

/// What the decision did with the forwarding headers, from the same step it runs.
fn forwarding_step(policy: &HostPolicy, facts: &Facts<'_>) -> ForwardingStep {
    struct Last(ForwardingStep);
    impl Trace for Last {
        fn forwarding(&mut self, step: ForwardingStep) {
            self.0 = step;
        }
    }
    let mut last = Last(ForwardingStep::Absent);
    // A malformed Forwarded line is the decision's to refuse; here it is only a step.
    let _ = policy.forwarded_value(facts, &mut last);
    last.0
}

/// A comma list in `X-Forwarded-Host`, when that header named the host.
fn appended(facts: &Facts<'_>, source: HostSource, allowed: Option<&Host<'_>>) -> Option<Hint> {
    if source != HostSource::XForwardedHost {
        return None;
    }
    let lines = || {
        facts
            .headers
            .iter()
            .filter(|h| h.is("x-forwarded-host"))
            .map(|h| h.value)
    };
    let appended = lines().count() > 1 || lines().any(|line| line.contains(&b','));
    if !appended {
        return None;
    }
    let lines: Vec<&[u8]> = lines().collect();
    let joined = lines.join(&b", "[..]);
    let used = forwarded::last_x_forwarded_host(lines.iter().copied()).unwrap_or_default();
    let verdict = if allowed.is_some() {
        "allowed it"
    } else {
        "refused it"
    };
    hint(
        Cause::AppendedForwardedHost,
        format!(
            "X-Forwarded-Host is a list ('{}'): several proxies each added a value, or one \
             appended to the client's own (Apache's mod_proxy does); hostecho used the \
             last, '{}', and {verdict}, while Django would refuse the whole list; have \
             the outermost proxy set the header instead of appending to it",
            escape_for_message(&joined),
            escape_for_message(used)
        ),
    )
}

/// The host nearly matches a name pattern: a `www.` more or less, the apex of a
/// `*.` pattern (which allows only what is below it), or one character. A port in a
/// pattern and a trailing dot are not near misses here: a pattern with a port is
/// refused at start, and a trailing dot is normalised away on both sides.
///
/// It scans the list, a few string compares per pattern, on refusals only; past
/// [`SCAN_LIMIT`] patterns it does not look at all, so a flood of refusals costs a
/// bounded scan each, whatever the list's length.
fn near_miss(policy: &HostPolicy, name: &str) -> Option<Hint> {
    if policy.parsed.len() > SCAN_LIMIT {
        return None;
    }
    for (raw, pattern) in policy.patterns.iter().zip(&policy.parsed) {
        let (base, exact) = match pattern {
            Pattern::Exact(base) => (base.as_str(), true),
            Pattern::DomainAndBelow(base) => (base.as_str(), false),
            Pattern::StrictlyBelow(base) => {
                if name == base {
                    return hint(
                        Cause::NearMiss,
                        format!(
                            "'{name}' nearly matches '{raw}', which allows only names below \
                             '{base}': use '.{base}' for the domain and every name below it"
                        ),
                    );
                }
                (base.as_str(), false)
            }
            _ => continue,
        };
        let how = if (exact && name.strip_prefix("www.") == Some(base))
            || base.strip_prefix("www.") == Some(name)
        {
            "a 'www.'"
        } else if first_label(name).len() >= 3
            && first_label(base).len() >= 3
            && one_edit_apart(name, base)
        {
            "one character"
        } else {
            continue;
        };
        return hint(
            Cause::NearMiss,
            format!(
                "'{name}' differs from the pattern '{raw}' by {how}: add '{name}' if it is \
                 yours{}",
                if how == "a 'www.'" {
                    let apex = name.strip_prefix("www.").unwrap_or(name);
                    format!(", or '.{apex}' for the domain and every name below it")
                } else {
                    ", or fix the typo where the name is set".to_string()
                }
            ),
        );
    }
    None
}

/// A name's first label: `a` in `a.example`. One character away from a one- or
/// two-character label is another name, not a typo (`a.example`, `b.example`).
fn first_label(name: &str) -> &str {
    name.split('.').next().unwrap_or(name)
}

/// Whether two names differ by one substituted, inserted or deleted character.
fn one_edit_apart(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if long.len() - short.len() > 1 || a == b {
        return false;
    }
    let prefix = short.iter().zip(long).take_while(|(x, y)| x == y).count();
    if short.len() == long.len() {
        short[prefix + 1..] == long[prefix + 1..]
    } else {
        short[prefix..] == long[prefix + 1..]
    }
}

/// Whether `name` is `suffix` or below it.
fn is_below(name: &str, suffix: &str) -> bool {
    name == suffix
        || (name.len() > suffix.len()
            && name.ends_with(suffix)
            && name.as_bytes()[name.len() - suffix.len() - 1] == b'.')
}

/// Whether a name shares its last two labels with a name pattern: `api.example.com`
/// is related to `.example.com` and to `www.example.com`; `evil.example` to neither.
///
/// Past [`SCAN_LIMIT`] patterns every name counts as related: the hint then never
/// calls a name a scanner's, rather than scan the whole list on every refusal.
fn related(policy: &HostPolicy, name: &str) -> bool {
    if policy.parsed.len() > SCAN_LIMIT {
        return true;
    }
    let tail = last_labels(name, 2);
    policy.parsed.iter().any(|pattern| match pattern {
        Pattern::Exact(base) | Pattern::DomainAndBelow(base) | Pattern::StrictlyBelow(base) => {
            last_labels(base, 2) == tail
        }
        _ => false,
    })
}

fn last_labels(name: &str, n: usize) -> &str {
    let mut start = name.len();
    for _ in 0..n {
        match name[..start].rfind('.') {
            Some(dot) => start = dot,
            None => return name,
        }
    }
    &name[start + 1..]
}

#[cfg(test)]
mod tests {
    use super::super::tests::{Req, host, policy, policy_with, req};
    use super::*;

    /// The hint the policy attaches, refused or allowed, with whether it was refused.
    fn hint_of(r: &Req, p: &HostPolicy) -> (bool, Option<Hint>) {
        match r.decide_full(p) {
            Ok(valid) => (false, valid.hint),
            Err(rejection) => (true, rejection.hint),
        }
    }

    /// One row per request shape a real proxy or checker sends (see the module's
    /// sources), with the cause it must be given and a piece of its sentence.
    fn shapes() -> Vec<(&'static str, Req, HostPolicy, bool, Cause, &'static str)> {
        let app = || policy(&["app.example"]);
        vec![
            (
                "AWS target group health check: the target's private IP:port",
                host(b"10.0.3.7:8000")
                    .with("Connection", b"close")
                    .with("User-Agent", b"ELB-HealthChecker/2.0")
                    .via_peer("10.0.1.20:41000")
                    .on_local("10.0.3.7:8000"),
                app(),
                true,
                Cause::HealthCheck,
                "(User-Agent: ELB-HealthChecker/2.0): a load balancer's health check or an \
                 orchestrator's probe addressed this instance by IP; allow '10.0.0.0/8'",
            ),
            (
                "Kubernetes liveness probe: the pod IP",
                host(b"10.244.1.17:8080")
                    .with("User-Agent", b"kube-probe/1.30")
                    .with("Accept", b"*/*")
                    .with("Connection", b"close")
                    .via_peer("10.244.1.1:53000")
                    .on_local("10.244.1.17:8080"),
                app(),
                true,
                Cause::HealthCheck,
                "'10.244.1.17:8080' is an IP address (User-Agent: kube-probe/1.30)",
            ),
            (
                "HAProxy option httpchk: OPTIONS / HTTP/1.0 and no header at all",
                req(&[])
                    .http10()
                    .via_peer("10.0.0.2:40000")
                    .on_local("10.0.0.7:80"),
                app(),
                true,
                Cause::HealthCheck,
                "a request with no Host, answered on 10.0.0.7:80: a load balancer's health check",
            ),
            (
                "HAProxy option httpchk on a public address: no header at all is enough",
                req(&[]).http10().on_local("203.0.113.5:80"),
                app(),
                true,
                Cause::HealthCheck,
                "allow '203.0.113.5'",
            ),
            (
                "Caddy active health check: the upstream's dial address, Go's User-Agent",
                host(b"127.0.0.1:8090")
                    .with("User-Agent", b"Go-http-client/1.1")
                    .with("Accept-Encoding", b"gzip")
                    .via_peer("127.0.0.1:51000"),
                app(),
                true,
                Cause::HealthCheck,
                "allow '127.0.0.1'",
            ),
            (
                "nginx proxy_pass http://app_server:8000 (a Compose service), defaults",
                host(b"app_server:8000")
                    .http10()
                    .with("Connection", b"close")
                    .via_peer("172.18.0.3:40000"),
                app(),
                true,
                Cause::Underscore,
                "'app_server:8000' has a '_'",
            ),
            (
                "nginx server_name _ with proxy_set_header Host $host, client without Host",
                host(b"_")
                    .with("X-Real-IP", b"192.0.2.44")
                    .with("X-Forwarded-For", b"192.0.2.44")
                    .via_peer("127.0.0.1:51000"),
                app(),
                true,
                Cause::CatchAll,
                "nginx's catch-all",
            ),
            (
                "nginx proxy_pass http://127.0.0.1:8090, defaults: HTTP/1.0, Connection: close",
                host(b"127.0.0.1:8090")
                    .http10()
                    .with("Connection", b"close")
                    .via_peer("127.0.0.1:51000"),
                app(),
                true,
                Cause::ProxyAddress,
                "carries a proxy's marks (HTTP/1.0 with Connection: close)",
            ),
            (
                "nginx proxy_pass http://hostecho; to an upstream block, defaults",
                host(b"hostecho")
                    .http10()
                    .with("Connection", b"close")
                    .via_peer("127.0.0.1:51000")
                    .on_local("127.0.0.1:8091"),
                policy(&["example.com"]),
                true,
                Cause::ProxyAddress,
                "'hostecho' names an upstream, not a site,",
            ),
            (
                "the same nginx, with the default patterns: allowed, and still wrong",
                host(b"127.0.0.1:8090")
                    .http10()
                    .with("Connection", b"close")
                    .via_peer("127.0.0.1:51000"),
                policy(&[]),
                false,
                Cause::ProxyAddress,
                "nginx: `proxy_set_header Host $host`",
            ),
            (
                "Apache ProxyPass without ProxyPreserveHost, forwarding off",
                host(b"127.0.0.1:8090")
                    .with("X-Forwarded-For", b"192.0.2.44")
                    .with("X-Forwarded-Host", b"app.example")
                    .with("X-Forwarded-Server", b"app.example")
                    .via_peer("127.0.0.1:51000"),
                app(),
                true,
                Cause::ForwardingIgnored,
                "X-Forwarded-Host carries 'app.example', which --allowed-hosts allows, but it \
                 was not read because --use-x-forwarded-host is off",
            ),
            (
                "the same Apache, forwarding on, but the proxy is not trusted",
                host(b"127.0.0.1:8090")
                    .with("X-Forwarded-For", b"192.0.2.44")
                    .with("X-Forwarded-Host", b"app.example")
                    .with("X-Forwarded-Server", b"app.example")
                    .via_peer("10.0.0.9:51000"),
                policy_with(&["app.example"], true, &["192.168.0.0/16"]),
                true,
                Cause::ForwardingIgnored,
                "because the peer 10.0.0.9 is not in --trusted-proxies",
            ),
            (
                "the same Apache, app.example not allowed: the address is all there is",
                host(b"127.0.0.1:8090")
                    .with("X-Forwarded-For", b"192.0.2.44")
                    .with("X-Forwarded-Host", b"other.example")
                    .with("X-Forwarded-Server", b"other.example")
                    .via_peer("127.0.0.1:51000"),
                app(),
                true,
                Cause::ProxyAddress,
                "(X-Forwarded-For, X-Forwarded-Host, X-Forwarded-Server)",
            ),
            (
                "HAProxy set-header X-Forwarded-Host %[req.hdr(host)], HTTP/1.0 client",
                req(&[
                    ("X-Forwarded-Host", b""),
                    ("X-Forwarded-For", b"192.0.2.44"),
                ])
                .http10()
                .via_peer("10.0.0.2:40000"),
                policy_with(&["app.example"], true, &[]),
                true,
                Cause::EmptyForwardedHost,
                "X-Forwarded-Host is empty",
            ),
            (
                "Apache appends to a client's X-Forwarded-Host: the last is allowed",
                host(b"127.0.0.1:8090")
                    .with("X-Forwarded-Host", b"evil.example, app.example")
                    .with("X-Forwarded-For", b"192.0.2.44, 10.0.0.2"),
                policy_with(&["app.example"], true, &[]),
                false,
                Cause::AppendedForwardedHost,
                "hostecho used the last, 'app.example', and allowed it, while Django would \
                 refuse the whole list",
            ),
            (
                "two proxies, each appending: the last is refused",
                host(b"127.0.0.1:8090")
                    .with("X-Forwarded-Host", b"app.example")
                    .with("X-Forwarded-Host", b"lb.internal"),
                policy_with(&["app.example"], true, &[]),
                true,
                Cause::AppendedForwardedHost,
                "('app.example, lb.internal')",
            ),
            (
                "nginx include proxy_params; plus its own proxy_set_header Host",
                req(&[
                    ("Host", b"app.example"),
                    ("X-Real-IP", b"192.0.2.44"),
                    ("Host", b"app.example"),
                ]),
                app(),
                true,
                Cause::DuplicateHost,
                "more than one Host line",
            ),
            (
                "nginx proxy_http_version 1.1 with Host $http_host, client sent no Host",
                req(&[
                    ("X-Real-IP", b"192.0.2.44"),
                    ("X-Forwarded-For", b"192.0.2.44"),
                    ("Connection", b""),
                ]),
                app(),
                true,
                Cause::MissingHostBehindProxy,
                "use `$host`",
            ),
            (
                "a www. too many",
                host(b"www.app.example").with("X-Forwarded-For", b"192.0.2.44"),
                app(),
                true,
                Cause::NearMiss,
                "'www.app.example' differs from the pattern 'app.example' by a 'www.'",
            ),
            (
                "*. leaves the domain itself out",
                host(b"example.com"),
                policy(&["*.example.com"]),
                true,
                Cause::NearMiss,
                "use '.example.com'",
            ),
            (
                "one character",
                host(b"examples.com"),
                policy(&["example.com"]),
                true,
                Cause::NearMiss,
                "by one character",
            ),
            (
                "ngrok's edge: a tunnel name, X-Forwarded-For and -Proto",
                host(b"1a2b-203-0-113-9.ngrok-free.app")
                    .with("X-Forwarded-For", b"203.0.113.9")
                    .with("X-Forwarded-Proto", b"https"),
                policy(&[]),
                true,
                Cause::DevTunnel,
                "allow exactly '1a2b-203-0-113-9.ngrok-free.app', never '.ngrok-free.app'",
            ),
            (
                "a scanner on the public address",
                host(b"203.0.113.80").with("User-Agent", b"Mozilla/5.0 zgrab/0.x"),
                app(),
                true,
                Cause::Scanner,
                "'203.0.113.80' is a public IP address",
            ),
            (
                "a bot with an unrelated name",
                host(b"evil.example").with("User-Agent", b"python-requests/2.32"),
                policy(&["www.app.example", ".api.example"]),
                true,
                Cause::Scanner,
                "'evil.example' is unlike every allowed pattern",
            ),
        ]
    }

    #[test]
    fn each_real_request_shape_gets_its_cause() {
        for (what, r, p, refused, cause, text) in shapes() {
            let (was_refused, got) = hint_of(&r, &p);
            assert_eq!(was_refused, refused, "{what}");
            let got = got.unwrap_or_else(|| panic!("{what}: no hint"));
            assert_eq!(got.cause, cause, "{what}: {}", got.text);
            assert!(got.text.contains(text), "{what}: {}", got.text);
            assert!(
                got.text.bytes().all(|b| (0x20..0x7f).contains(&b)),
                "{what}: {}",
                got.text
            );
        }
    }

    #[test]
    fn every_cause_has_a_real_shape() {
        let covered: Vec<Cause> = shapes().into_iter().map(|row| row.4).collect();
        for cause in Cause::ALL {
            assert!(covered.contains(&cause), "{cause} has no shape");
        }
        let mut ids: Vec<&str> = Cause::ALL.iter().map(|c| c.id()).collect();
        ids.dedup();
        assert_eq!(ids.len(), Cause::ALL.len());
    }

    /// An HTTP/1.1 check with no header at all is refused whatever the list holds: its
    /// hint names the fixes that work and never says to allow an address. The same
    /// check over HTTP/1.0 is judged by the address it arrived on, which a pattern can
    /// allow, so that hint does say which.
    #[test]
    fn a_check_without_host_over_http11_is_not_told_to_allow_an_address() {
        let policy = policy(&["app.example"]);
        let (refused, h) = hint_of(&req(&[]).on_local("10.0.0.7:80"), &policy);
        let h = h.expect("a health-check hint");
        assert!(refused);
        assert_eq!(h.cause, Cause::HealthCheck);
        assert!(!h.text.contains("allow '"), "{}", h.text);
        assert!(h.text.contains("no pattern can allow"), "{}", h.text);
        assert!(h.text.contains("give the check a Host"), "{}", h.text);
        let (_, h) = hint_of(&req(&[]).http10().on_local("10.0.0.7:80"), &policy);
        assert!(h.expect("a hint").text.contains("allow '10.0.0.0/8'"));
    }

    /// Nothing wrong, no hint: plain requests, a trusted proxy doing its job, a
    /// proxied name that is simply not on the list yet.
    #[test]
    fn no_hint_where_nothing_is_wrong() {
        let app = policy(&["app.example", ".example.com"]);
        let cases = [
            (host(b"app.example"), &app),
            (host(b"localhost:8090"), &policy(&[])),
            // A visitor on the same machine, through a proxy that passes `$host`.
            (
                host(b"localhost").with("X-Forwarded-For", b"127.0.0.1"),
                &policy(&[]),
            ),
            (
                host(b"127.0.0.1").http10().with("Connection", b"close"),
                &policy(&[]),
            ),
            (host(b"127.0.0.1:8090"), &policy(&[])),
            (req(&[]).http10(), &policy(&[])),
            (host(b"app.example").http10(), &app),
            (
                host(b"app.example")
                    .http10()
                    .with("Connection", b"close")
                    .with("X-Forwarded-For", b"192.0.2.44"),
                &app,
            ),
            (
                host(b"10.0.0.7:8000")
                    .with("X-Forwarded-Host", b"app.example")
                    .with("X-Forwarded-For", b"192.0.2.44")
                    .via_peer("10.0.0.2:1"),
                &policy_with(&["app.example"], true, &["10.0.0.0/8"]),
            ),
            // Two sites, not a typo: one-letter labels.
            (
                host(b"a.example").with("X-Forwarded-For", b"192.0.2.44"),
                &policy(&["b.example"]),
            ),
            // Refused, but ordinary: one's own machine by name, and a proxy passing a
            // related name not yet allowed.
            (host(b"localhost:8000"), &app),
            (
                host(b"shop.example.org").with("X-Forwarded-For", b"192.0.2.44"),
                &policy(&["www.example.org"]),
            ),
        ];
        for (r, p) in cases {
            assert_eq!(hint_of(&r, p).1, None, "{:?}", r.decide_full(p));
        }
    }

    /// Past SCAN_LIMIT patterns the two scanning rows stay silent, rather than scan.
    #[test]
    fn long_lists_skip_the_scanning_rows() {
        let mut many: Vec<String> = (0..=SCAN_LIMIT).map(|i| format!("h{i}.example")).collect();
        many.push("www.app.example".into());
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        let p = policy(&many);
        assert_eq!(hint_of(&host(b"app.example"), &p).1, None);
        assert_eq!(hint_of(&host(b"evil.invalid"), &p).1, None);
        // The rows that read only the request still speak.
        let (_, h) = hint_of(&host(b"10.0.0.5:80"), &p);
        assert_eq!(h.map(|h| h.cause), Some(Cause::HealthCheck));
    }

    #[test]
    fn one_edit_apart_table() {
        for (a, b, want) in [
            ("example.com", "examples.com", true),
            ("example.com", "exmple.com", true),
            ("example.com", "exbmple.com", true),
            ("example.com", "example.com", false),
            ("example.com", "exampel.com", false),
            ("a", "abc", false),
        ] {
            assert_eq!(one_edit_apart(a, b), want, "{a} {b}");
            assert_eq!(one_edit_apart(b, a), want, "{b} {a}");
        }
    }

    #[test]
    fn private_ranges_are_the_issue_s() {
        for (ip, want) in [
            ("10.1.2.3", Some("10.0.0.0/8")),
            ("172.31.0.1", Some("172.16.0.0/12")),
            ("172.32.0.1", None),
            ("192.168.1.1", Some("192.168.0.0/16")),
            ("169.254.169.254", Some("169.254.0.0/16")),
            ("100.64.0.1", Some("100.64.0.0/10")),
            ("100.128.0.1", None),
            ("fd12::1", Some("fc00::/7")),
            ("fe80::1", Some("fe80::/10")),
            ("::ffff:10.0.0.1", Some("10.0.0.0/8")),
            ("8.8.8.8", None),
            ("127.0.0.1", None),
        ] {
            assert_eq!(private_range(ip.parse().unwrap()), want, "{ip}");
        }
    }
}
