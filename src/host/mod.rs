//! The Host policy: which host a request is for, and whether hostecho answers for it.
//!
//! # Why a server checks Host at all
//!
//! A server reachable by IP answers whatever name a client puts in `Host`. If the
//! application then *uses* that name (password-reset links, redirects, cache keys,
//! absolute URLs), an attacker who sends `Host: evil.com` gets links to evil.com
//! mailed to your users, or poisons a shared cache. DNS rebinding works the same way
//! in reverse: a page on evil.com re-points its name at 127.0.0.1 and talks to your
//! local dev server with `Host: evil.com`. Checking Host against an allow-list
//! (Django's `ALLOWED_HOSTS`, Starlette's `TrustedHostMiddleware`, Rails'
//! `config.hosts`) stops both.
//!
//! # The decision, in order
//!
//! [`HostPolicy::decide`] reads only [`Facts`] and does no I/O:
//!
//! 1. **Count the Host field lines.** More than one, in any version, is refused:
//!    two front ends could each pick a different one (RFC 9112 §3.2: a server "MUST
//!    respond with a 400 … to any request message that contains more than one Host
//!    header field line"). HTTP/1.1 without Host is refused too, *even with an
//!    absolute-form target*: the same sentence requires it of "any HTTP/1.1 request
//!    message that lacks a Host header field".
//! 2. **Pick the value that names the host**, first match wins:
//!    * a forwarding header (`X-Forwarded-Host`, then `Forwarded: host=`), only with
//!      `--use-x-forwarded-host` and only from a trusted peer. It wins over both
//!      below because it reports what the *client* asked the proxy for; Host and the
//!      target describe the proxy's hop to us. `X-Forwarded-Host` wins over
//!      `Forwarded`, as in Django (which reads only the former), so a proxy that
//!      sets both behaves as it would in front of Django. Only the nearest proxy's
//!      element counts ([`forwarded`]): an empty `X-Forwarded-Host` element, or
//!      `host=""`, is refused (step 3), while a `Forwarded` element that is empty or
//!      has no `host=` forwarded no host and leaves the decision to the items below.
//!      Look-alikes such as `X-Host`, `X-Forwarded-Server` and `X-HTTP-Host-Override`
//!      are never read.
//!    * the authority of an absolute-form target (`GET http://a.example/ HTTP/1.1`):
//!      RFC 9112 §3.2.2 says the server "MUST ignore the received Host header field"
//!      then, so Host's *value* is not even checked (its count still is, above);
//!    * the Host header;
//!    * for HTTP/1.0 without Host, the address of the socket that accepted the
//!      connection, as Django falls back to `SERVER_NAME`.
//! 3. **Refuse an empty value**, wherever it came from (`Host:`, `GET http:///x`,
//!    an empty `X-Forwarded-Host`), with one message: RFC 9110 §4.2.1 says an `http`
//!    URI with an empty host "MUST" be rejected as invalid.
//! 4. **Check its grammar** ([`syntax`]): `host[:port]`, normalised.
//! 5. **Match it** against the patterns ([`patterns`]), ignoring the port, and
//!    remember which pattern allowed it.
//!
//! A refusal names where its value came from when that is not the Host header
//! (`… 'evil.example' (from the request target) …`), and an allowed host carries its
//! source, the raw value, the pattern that matched, and whether forwarding headers
//! came from a trusted proxy: the echo shows all of it (`host_decision`).
//!
//! # An allowed request allocates nothing
//!
//! Every request the server answers goes through [`HostPolicy::decide`], so what it
//! returns is on the hot path. [`ValidHost`] therefore *borrows* rather than copies:
//! the raw value from the request, the pattern from the policy, and the normal-form
//! name from the raw value when it is already lowercase (`localhost:8090` →
//! `localhost`, see [`syntax`]). Allowing a plain `Host` costs no allocation at all.
//! A refusal still allocates its message: refusals are rare, and their sentence is
//! worth more than the bytes.
//!
//! # Where things are
//!
//! [`HostPolicy::decide`] comes first below, then what it is built from. The
//! sentences a refusal sends back, Django-style and always printable ASCII, are in
//! `messages.rs`; the likely cause of a refusal, and its fix, in [`hint`] (the
//! decision attaches it to a [`Rejection`], and to a [`ValidHost`] whose forwarding
//! looks wrong); the ported reference suites of Django, Starlette, Rails, Go and nginx
//! are a test module of their own, `reference_suites.rs`.

pub mod explain;
pub mod forwarded;
pub mod hint;
mod messages;
pub mod patterns;
pub mod syntax;

use std::borrow::Cow;
use std::net::{IpAddr, SocketAddr};

use ipnet::IpNet;

use crate::compat::Answers;
use crate::error::Error;
use crate::http::request::{Fields, Version};

pub use self::hint::{Cause, Hint};
pub use self::messages::{
    DUPLICATE_HOST, MAX_ECHOED_BYTES, MISSING_HOST, Rejection, RejectionKind, escape_for_message,
};
use self::patterns::{Pattern, PatternSet};
use self::syntax::{Host, HostPort, SyntaxError};

/// The compiled policy. Built once at start, shared read-only by every event loop.
#[derive(Clone, Debug)]
pub struct HostPolicy {
    options: PolicyOptions,
    /// The patterns in force, as given: `options.allowed_hosts` or the defaults.
    patterns: Vec<String>,
    /// The same patterns compiled for matching; it answers with an index into
    /// `patterns`.
    compiled: PatternSet,
    /// The same patterns parsed, in the order given: what a hint compares a refused
    /// host with ([`hint`]), without parsing them again on every refusal.
    parsed: Vec<Pattern>,
    /// The addresses `@self` stands for, resolved at start (empty without `@self`).
    own_addresses: Vec<IpAddr>,
}

impl HostPolicy {
    /// Decides one request: the steps are in the [module documentation](self).
    ///
    /// An allowed host borrows from both the request's header values (`facts`) and
    /// the policy (`self`), hence the one lifetime `'a` for all three; call
    /// [`ValidHost::into_owned`] to keep it longer.
    pub fn decide<'a>(&'a self, facts: &Facts<'a>) -> Result<ValidHost<'a>, Rejection> {
        match self.decide_traced(facts, &mut NoTrace) {
            Ok(mut valid) => {
                // Only a request with proxy marks can have forwarding that looks wrong:
                // the plain request, the hot path, skips the look entirely.
                if valid.proxy.is_some() || facts.version == Version::Http10 {
                    valid.hint = hint::for_allowed(self, facts, &valid);
                }
                Ok(valid)
            }
            Err(mut rejection) => {
                rejection.hint = hint::for_refusal(self, facts, &rejection);
                Err(rejection)
            }
        }
    }

    /// [`HostPolicy::decide`], telling `trace` each step as it is taken, and without
    /// the hint: `hostecho check --explain` narrates the decision from these calls,
    /// so its story cannot drift from what the server does. With [`NoTrace`] every
    /// call is an empty inlined function.
    pub fn decide_traced<'a>(
        &'a self,
        facts: &Facts<'a>,
        trace: &mut impl Trace,
    ) -> Result<ValidHost<'a>, Rejection> {
        let (raw, source) = self.candidate(facts, trace)?;
        trace.candidate(&raw, source);

        // `Host:`, `GET http:///x` and an empty X-Forwarded-Host all get one message.
        if raw.is_empty() {
            return Err(Rejection::empty(source));
        }
        let parsed = match parse_candidate(&raw) {
            Ok(parsed) => {
                trace.syntax(Ok(&parsed));
                parsed
            }
            Err(why) => {
                trace.syntax(Err(why));
                log::debug!(
                    "refusing {source:?} value {:?}: {why}",
                    escape_for_message(&raw)
                );
                return Err(Rejection::invalid(&raw, source));
            }
        };
        let matched = self.compiled.matching(&parsed.host);
        trace.lookup(matched.map(|index| self.patterns[index].as_str()));
        let Some(index) = matched else {
            return Err(Rejection::not_allowed(&raw, &parsed.host, source));
        };
        Ok(ValidHost {
            host: parsed.host,
            port: parsed.port,
            source,
            raw,
            matched: Cow::Borrowed(&self.patterns[index]),
            proxy: self.proxy_trust(facts),
            hint: None,
            compared: None,
        })
    }

    /// Steps 1 and 2: the Host lines counted, and the value that names the host, with
    /// where it came from.
    fn candidate<'a>(
        &self,
        facts: &Facts<'a>,
        trace: &mut impl Trace,
    ) -> Result<Candidate<'a>, Rejection> {
        let mut host_lines = facts.headers.iter().filter(|h| h.is("host"));
        let host_line = host_lines.next();
        let count = usize::from(host_line.is_some()) + host_lines.count();
        trace.host_lines(count);
        if count > 1 {
            return Err(Rejection::duplicate(count));
        }
        if host_line.is_none() && facts.version == Version::Http11 {
            return Err(Rejection::missing());
        }
        Ok(match self.forwarded_value(facts, trace)? {
            Some(found) => found,
            None => match (facts.absolute_authority, host_line) {
                (Some(authority), _) => (
                    Cow::Borrowed(authority.as_bytes()),
                    HostSource::AbsoluteForm,
                ),
                (None, Some(line)) => (Cow::Borrowed(line.value), HostSource::Host),
                // Only HTTP/1.0 gets here: 1.1 without Host was refused above.
                (None, None) => (
                    Cow::Owned(local_host_port(facts.local)),
                    HostSource::LocalAddress,
                ),
            },
        })
    }

    /// Whether the request carries forwarding headers and, if so, whether the policy
    /// honours them from this peer: `None` when it carries none.
    fn proxy_trust(&self, facts: &Facts<'_>) -> Option<ProxyTrust> {
        let forwarding = facts
            .headers
            .iter()
            .any(|h| forwarded::is_forwarding_header(h.name));
        if !forwarding {
            None
        } else if !self.options.use_x_forwarded_host {
            Some(ProxyTrust::ForwardingOff)
        } else if self.is_trusted_proxy(facts.peer.ip()) {
            Some(ProxyTrust::Trusted)
        } else {
            Some(ProxyTrust::Untrusted)
        }
    }

    /// The value a trusted proxy forwarded, if the policy reads forwarding headers,
    /// the peer is trusted, and one of them is present.
    fn forwarded_value<'a>(
        &self,
        facts: &Facts<'a>,
        trace: &mut impl Trace,
    ) -> Result<Option<Candidate<'a>>, Rejection> {
        if !self.options.use_x_forwarded_host {
            trace.forwarding(ForwardingStep::Off);
            return Ok(None);
        }
        let lines = |name: &'static str| facts.headers.values(name);
        let xfh = forwarded::last_x_forwarded_host(lines("x-forwarded-host"));
        let has_forwarded = lines("forwarded").next().is_some();
        if xfh.is_none() && !has_forwarded {
            trace.forwarding(ForwardingStep::Absent);
            return Ok(None);
        }
        if !self.is_trusted_proxy(facts.peer.ip()) {
            // Anyone can send these headers; from a peer that is not our proxy they
            // are a client's claim, so Host decides instead.
            log::debug!(
                "ignoring X-Forwarded-Host/Forwarded from {}: not in --trusted-proxies",
                facts.peer.ip()
            );
            trace.forwarding(ForwardingStep::Untrusted);
            return Ok(None);
        }
        if let Some(value) = xfh {
            trace.forwarding(ForwardingStep::Used(HostSource::XForwardedHost));
            return Ok(Some((Cow::Borrowed(value), HostSource::XForwardedHost)));
        }
        // No host= in the nearest proxy's element: it forwarded no host, so the
        // request's own Host (or target) decides, as if no proxy had written any.
        match forwarded::last_forwarded_host(lines("forwarded")) {
            Ok(Some(value)) => {
                trace.forwarding(ForwardingStep::Used(HostSource::Forwarded));
                Ok(Some((value, HostSource::Forwarded)))
            }
            Ok(None) => {
                trace.forwarding(ForwardingStep::NoHostParameter);
                Ok(None)
            }
            Err(e) => Err(Rejection::invalid_forwarded(e.line, e.reason)),
        }
    }

    /// Whether forwarding headers from this peer are honoured. An IPv4 client on a
    /// dual-stack socket shows up as `::ffff:10.0.0.1`, so it is also checked as
    /// `10.0.0.1` and matches `10.0.0.0/8`.
    fn is_trusted_proxy(&self, peer: IpAddr) -> bool {
        let ranges = &self.options.trusted_proxies;
        ranges.is_empty()
            || ranges
                .iter()
                .any(|net| net.contains(&peer) || net.contains(&peer.to_canonical()))
    }

    /// Compiles the patterns, refusing any that is not understood.
    ///
    /// The error names the first bad pattern and says why, e.g.
    /// `invalid --allowed-hosts pattern "*example.com": '*' is only allowed alone …`.
    ///
    /// A policy with `@self` needs the addresses it stands for: build it with
    /// [`HostPolicy::with_own_addresses`]; here it is refused.
    pub fn new(options: PolicyOptions) -> Result<HostPolicy, Error> {
        HostPolicy::with_own_addresses(options, Vec::new())
    }

    /// [`HostPolicy::new`], with `@self` standing for `own`: the addresses the server
    /// listens on, and for a wildcard bind the machine's interface addresses,
    /// resolved once at start (by `server::own_addresses`). `own` is ignored without
    /// `@self`; with it, it must not be empty.
    pub fn with_own_addresses(
        options: PolicyOptions,
        mut own: Vec<IpAddr>,
    ) -> Result<HostPolicy, Error> {
        let patterns: Vec<String> = if options.allowed_hosts.is_empty() {
            DEFAULT_ALLOWED_HOSTS
                .iter()
                .map(|p| p.to_string())
                .collect()
        } else {
            options.allowed_hosts.clone()
        };
        let parsed = patterns
            .iter()
            .map(|raw| {
                Pattern::parse(raw).map_err(|reason| Error::Pattern {
                    pattern: raw.clone(),
                    reason,
                })
            })
            .collect::<Result<Vec<Pattern>, Error>>()?;
        if !parsed.contains(&Pattern::OwnAddresses) {
            own.clear();
        } else if own.is_empty() {
            return Err(Error::Pattern {
                pattern: patterns::OWN_ADDRESSES.to_owned(),
                reason: patterns::PatternError::NoOwnAddresses,
            });
        }
        own.sort_unstable();
        own.dedup();
        Ok(HostPolicy {
            options,
            patterns,
            compiled: PatternSet::with_own_addresses(parsed.clone(), &own),
            parsed,
            own_addresses: own,
        })
    }

    /// The addresses `@self` stands for, sorted, for the start-up log; empty when the
    /// patterns do not use it.
    pub fn own_addresses(&self) -> &[IpAddr] {
        &self.own_addresses
    }

    /// Whether no `--allowed-hosts` was given and [`DEFAULT_ALLOWED_HOSTS`] are in force.
    pub fn uses_defaults(&self) -> bool {
        self.options.allowed_hosts.is_empty()
    }

    /// Whether a `*` pattern switched host matching off (syntax is still checked).
    pub fn allows_any(&self) -> bool {
        self.compiled.allows_any()
    }

    /// The patterns in force, as given (or the defaults), for the start-up log.
    pub fn patterns(&self) -> &[String] {
        &self.patterns
    }

    /// The options the policy was built from.
    pub fn options(&self) -> &PolicyOptions {
        &self.options
    }
}

/// The accepting socket's address as `host:port`, for HTTP/1.0 requests without
/// Host. A v4-mapped address (an IPv4 client on a dual-stack socket) is written as
/// IPv4, which is what that client dialled; a zone id is dropped.
fn local_host_port(local: SocketAddr) -> Vec<u8> {
    let host = Host::from_ip(local.ip().to_canonical());
    format!("{host}:{}", local.port()).into_bytes()
}

/// The value that names the host (borrowed from the request, or built from the
/// local address), and where it came from.
type Candidate<'a> = (Cow<'a, [u8]>, HostSource);

/// Parses a candidate value so that the result may outlive the `Cow` it came in: a
/// value borrowed from the request lends its name to the host for as long as the
/// request lives; a value built here (the local address, an unquoted `Forwarded`
/// host) is about to move into the [`ValidHost`], so the host copies what it needs.
fn parse_candidate<'a>(raw: &Cow<'a, [u8]>) -> Result<HostPort<'a>, SyntaxError> {
    match raw {
        Cow::Borrowed(bytes) => syntax::parse_host_port(bytes),
        Cow::Owned(bytes) => syntax::parse_host_port(bytes).map(HostPort::into_owned),
    }
}

/// How the policy is built: the patterns and the forwarding options.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PolicyOptions {
    /// `--allowed-hosts` patterns; empty means [`DEFAULT_ALLOWED_HOSTS`].
    pub allowed_hosts: Vec<String>,
    /// `--use-x-forwarded-host`: honour `X-Forwarded-Host` and `Forwarded: host=`.
    pub use_x_forwarded_host: bool,
    /// `--trusted-proxies`: peers whose forwarding headers are honoured; empty means every peer.
    pub trusted_proxies: Vec<IpNet>,
    /// `--compare`: also say what Django and Starlette would answer, in every echo
    /// and every refusal's log line. Off by default: it costs two models per request.
    pub compare: bool,
}

impl PolicyOptions {
    /// Whether the patterns use `@self`, so that the addresses it stands for must be
    /// resolved before the policy is built.
    pub fn uses_own_addresses(&self) -> bool {
        self.allowed_hosts
            .iter()
            .any(|p| p.trim() == patterns::OWN_ADDRESSES)
    }
}

/// Everything the policy decides from. It does no I/O: the connection gathers these.
#[derive(Clone, Copy, Debug)]
pub struct Facts<'a> {
    /// The request's protocol version.
    pub version: Version,
    /// The authority of an absolute-form target, if the target had that form.
    pub absolute_authority: Option<&'a str>,
    /// Every header field line, in wire order.
    pub headers: Fields<'a>,
    /// The client's address (or the proxy's, behind one).
    pub peer: SocketAddr,
    /// The address of the socket that accepted the connection.
    pub local: SocketAddr,
}

/// Where the validated host came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostSource {
    /// The `Host` header.
    Host,
    /// The authority of an absolute-form request target.
    AbsoluteForm,
    /// `X-Forwarded-Host`, from a trusted proxy.
    XForwardedHost,
    /// `Forwarded: host=`, from a trusted proxy.
    Forwarded,
    /// The accepting socket's address (HTTP/1.0 without Host).
    LocalAddress,
}

impl HostSource {
    /// The name `hostecho check` and the JSON echo print: `Host`, `X-Forwarded-Host`,
    /// `Forwarded`, `absolute-form` or `local-address`.
    pub fn name(self) -> &'static str {
        match self {
            HostSource::Host => "Host",
            HostSource::XForwardedHost => "X-Forwarded-Host",
            HostSource::Forwarded => "Forwarded",
            HostSource::AbsoluteForm => "absolute-form",
            HostSource::LocalAddress => "local-address",
        }
    }

    /// The source as a sentence names it, after "from": `Host`, `X-Forwarded-Host`,
    /// `Forwarded`, `the request target` or `the local address`.
    pub fn describe(self) -> &'static str {
        match self {
            HostSource::AbsoluteForm => "the request target",
            HostSource::LocalAddress => "the local address",
            other => other.name(),
        }
    }
}

/// What the policy made of a request's forwarding headers ([`forwarded::FORWARDING_HEADERS`]),
/// for the echo to say whether the peer is a proxy hostecho trusts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProxyTrust {
    /// `--use-x-forwarded-host` is on and the peer is in `--trusted-proxies` (or that
    /// list is empty): its `X-Forwarded-Host` and `Forwarded: host=` are read.
    Trusted,
    /// `--use-x-forwarded-host` is on, but the peer is not in `--trusted-proxies`: its
    /// forwarding headers are a client's claim, and ignored.
    Untrusted,
    /// `--use-x-forwarded-host` is off: no peer's forwarding headers are read.
    ForwardingOff,
}

impl ProxyTrust {
    /// Whether the peer's forwarding headers are honoured.
    pub fn is_trusted(self) -> bool {
        self == ProxyTrust::Trusted
    }
}

/// A host the policy allowed, normalised, and why it was allowed.
///
/// It borrows for `'a`, the shorter of the request's and the policy's lifetimes,
/// because it is made for every request the server answers and copying its parts
/// would cost three allocations each time ([module documentation](self)). Each part
/// is a [`Cow`] that is borrowed in the usual case and owned only where there is
/// nothing to borrow from (the local address, an uppercase name). A connection that
/// must keep it past the head it came from, while the body arrives, calls
/// [`ValidHost::into_owned`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidHost<'a> {
    /// The host in normal form: a lowercase name without a trailing dot, or an IP
    /// address (`Display` writes IPv6 in brackets). No port.
    pub host: Host<'a>,
    /// The port, if the value named one.
    pub port: Option<u16>,
    /// Which header (or address) it came from.
    pub source: HostSource,
    /// The value as received (trimmed of the whitespace around a header value), e.g.
    /// `LocalHost.:8090`: borrowed from the request, owned when it was built from the
    /// local address or unquoted from `Forwarded`.
    pub raw: Cow<'a, [u8]>,
    /// The pattern that allowed the host, as given: the most specific one when several
    /// do ([`PatternSet::matching`]). Borrowed from the policy.
    pub matched: Cow<'a, str>,
    /// Whether forwarding headers came from a trusted proxy; `None` when the request
    /// carries none.
    pub proxy: Option<ProxyTrust>,
    /// What looks wrong about the forwarding although the host was allowed (for
    /// example, an `X-Forwarded-Host` that was present but not read): [`hint`].
    pub hint: Option<Hint>,
    /// What Django and Starlette would answer for the same request, with
    /// `--compare` ([`crate::exchange::admit`] fills it in); boxed, so the usual
    /// `None` costs one word.
    pub compared: Option<Box<Answers>>,
}

impl ValidHost<'_> {
    /// The same decision, owning every part: for keeping it after the request's head
    /// or the policy it borrows from, as a connection does while a request's body
    /// arrives. It copies what was borrowed, so it costs up to the three allocations
    /// that borrowing saves: call it only where the host must outlive its head.
    pub fn into_owned(self) -> ValidHost<'static> {
        ValidHost {
            host: self.host.into_owned(),
            port: self.port,
            source: self.source,
            raw: Cow::Owned(self.raw.into_owned()),
            matched: Cow::Owned(self.matched.into_owned()),
            proxy: self.proxy,
            hint: self.hint,
            compared: self.compared,
        }
    }
}

/// What [`HostPolicy::decide_traced`] reports as it decides, step by step. Every
/// method does nothing unless overridden.
pub trait Trace {
    /// Step 1: how many Host field lines the request has.
    fn host_lines(&mut self, _count: usize) {}
    /// Step 2: what became of the forwarding headers.
    fn forwarding(&mut self, _step: ForwardingStep) {}
    /// Step 2: the value that names the host, and where it came from.
    fn candidate(&mut self, _raw: &[u8], _source: HostSource) {}
    /// Step 4: the grammar's verdict on a non-empty value.
    fn syntax(&mut self, _result: Result<&HostPort<'_>, SyntaxError>) {}
    /// Step 5: the pattern the lookup named, if any.
    fn lookup(&mut self, _matched: Option<&str>) {}
}

/// The trace that records nothing: what [`HostPolicy::decide`] runs with.
pub struct NoTrace;

impl Trace for NoTrace {}

/// What the policy did with `X-Forwarded-Host` and `Forwarded`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ForwardingStep {
    /// `--use-x-forwarded-host` is off: they were not looked at.
    Off,
    /// It is on, and the request carries neither.
    Absent,
    /// It is on, but the peer is not in `--trusted-proxies`: they were ignored.
    Untrusted,
    /// One of them named the host.
    Used(HostSource),
    /// The nearest proxy's `Forwarded` element has no `host=`: the request's own
    /// Host (or target) decides.
    NoHostParameter,
}

/// The patterns in force when `--allowed-hosts` is not given: Django's DEBUG list.
pub const DEFAULT_ALLOWED_HOSTS: &[&str] = &[".localhost", "127.0.0.1", "[::1]"];

#[cfg(test)]
mod reference_suites;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::Header;

    pub(super) const PEER: &str = "192.0.2.10:50000";
    pub(super) const LOCAL: &str = "127.0.0.1:8090";

    pub(super) fn policy(allowed: &[&str]) -> HostPolicy {
        policy_with(allowed, false, &[])
    }

    pub(super) fn policy_with(allowed: &[&str], use_xfh: bool, trusted: &[&str]) -> HostPolicy {
        let options = PolicyOptions {
            allowed_hosts: allowed.iter().map(|s| s.to_string()).collect(),
            use_x_forwarded_host: use_xfh,
            trusted_proxies: trusted.iter().map(|s| s.parse().unwrap()).collect(),
            compare: false,
        };
        HostPolicy::new(options).unwrap()
    }

    /// One request, described with the defaults most tests want.
    #[derive(Clone)]
    pub(super) struct Req {
        version: Version,
        authority: Option<&'static str>,
        headers: Vec<Header>,
        peer: SocketAddr,
        local: SocketAddr,
    }

    pub(super) fn req(headers: &[(&str, &[u8])]) -> Req {
        Req {
            version: Version::Http11,
            authority: None,
            headers: headers
                .iter()
                .map(|(name, value)| Header {
                    name: name.to_string(),
                    value: value.to_vec(),
                })
                .collect(),
            peer: PEER.parse().unwrap(),
            local: LOCAL.parse().unwrap(),
        }
    }

    /// A request with one Host header.
    pub(super) fn host(value: &[u8]) -> Req {
        req(&[("Host", value)])
    }

    impl Req {
        pub(super) fn http10(mut self) -> Req {
            self.version = Version::Http10;
            self
        }
        pub(super) fn absolute(mut self, authority: &'static str) -> Req {
            self.authority = Some(authority);
            self
        }
        pub(super) fn via_peer(mut self, peer: &str) -> Req {
            self.peer = peer.parse().unwrap();
            self
        }
        pub(super) fn on_local(mut self, local: &str) -> Req {
            self.local = local.parse().unwrap();
            self
        }
        pub(super) fn with(mut self, name: &str, value: &[u8]) -> Req {
            self.headers.push(Header {
                name: name.to_string(),
                value: value.to_vec(),
            });
            self
        }
        /// Runs `f` on the request's facts.
        pub(super) fn with_facts<T>(&self, f: impl FnOnce(&Facts<'_>) -> T) -> T {
            f(&Facts {
                version: self.version,
                absolute_authority: self.authority,
                headers: Fields::List(&self.headers),
                peer: self.peer,
                local: self.local,
            })
        }

        /// The decision, with everything it carries.
        pub(super) fn decide_full<'a>(
            &'a self,
            policy: &'a HostPolicy,
        ) -> Result<ValidHost<'a>, Rejection> {
            policy.decide(&Facts {
                version: self.version,
                absolute_authority: self.authority,
                headers: Fields::List(&self.headers),
                peer: self.peer,
                local: self.local,
            })
        }

        /// The decision, reduced to what most tests compare: host, port and source.
        pub(super) fn decide(&self, policy: &HostPolicy) -> Result<Got, Rejection> {
            self.decide_full(policy)
                .map(|v| Got(v.host.into_owned(), v.port, v.source))
        }
    }

    /// An allowed host, port and source.
    #[derive(Debug, PartialEq, Eq)]
    pub(super) struct Got(Host<'static>, Option<u16>, HostSource);

    pub(super) fn allowed(
        host: &str,
        port: Option<u16>,
        source: HostSource,
    ) -> Result<Got, Rejection> {
        Ok(Got(
            syntax::parse_host(host.as_bytes())
                .expect("a valid host in a test")
                .into_owned(),
            port,
            source,
        ))
    }

    pub(super) fn kind(result: Result<Got, Rejection>) -> Option<RejectionKind> {
        result.err().map(|r| r.kind)
    }

    // ---- building the policy -------------------------------------------------

    #[test]
    fn defaults_are_in_force_without_patterns() {
        let p = policy(&[]);
        assert!(p.uses_defaults());
        assert!(!p.allows_any());
        assert_eq!(p.patterns(), DEFAULT_ALLOWED_HOSTS);
        // Starlette's default is ["*"] (test_default_allowed_hosts); ours is
        // Django's DEBUG list: a fresh server answers for this machine only.
        assert_eq!(
            host(b"localhost").decide(&p),
            allowed("localhost", None, HostSource::Host)
        );
        assert_eq!(
            kind(host(b"example.com").decide(&p)),
            Some(RejectionKind::NotAllowed)
        );
    }

    #[test]
    fn patterns_are_reported_as_given() {
        let p = policy(&[" Example.com", "*"]);
        assert!(!p.uses_defaults());
        assert!(p.allows_any());
        assert_eq!(p.patterns(), [" Example.com", "*"]);
    }

    #[test]
    fn bad_pattern_is_refused_at_start_naming_it() {
        use patterns::PatternError::*;
        for (bad, why) in [
            ("ex*ample.com", Wildcard),
            ("*example.com", Wildcard),
            ("*.*.example.com", Wildcard),
            ("example.*.com", Wildcard),
            ("", Empty),
            ("a b", Syntax(SyntaxError::ForbiddenByte(b' '))),
            ("a.com/x", Path),
            ("a.com:80", Port),
        ] {
            let options = PolicyOptions {
                allowed_hosts: vec!["good.example".into(), bad.into()],
                ..PolicyOptions::default()
            };
            match HostPolicy::new(options) {
                Err(error @ Error::Pattern { .. }) => {
                    assert_eq!(
                        error.to_string(),
                        format!("invalid --allowed-hosts pattern {bad:?}: {why}")
                    );
                    let Error::Pattern { pattern, reason } = error else {
                        unreachable!()
                    };
                    assert_eq!((pattern.as_str(), reason), (bad, why));
                }
                other => panic!("{bad:?}: {other:?}"),
            }
        }
    }

    // ---- which host is validated ---------------------------------------------

    #[test]
    fn rejects_http11_request_without_host() {
        let r = req(&[]).decide(&policy(&["*"])).unwrap_err();
        assert_eq!(r.kind, RejectionKind::Missing);
        assert!(r.message.contains("RFC 9112"), "{}", r.message);
    }

    #[test]
    fn rejects_http11_absolute_form_without_host() {
        // RFC 9112 §3.2: the MUST covers every HTTP/1.1 request, whatever its target.
        let r = req(&[]).absolute("example.com").decide(&policy(&["*"]));
        assert_eq!(kind(r), Some(RejectionKind::Missing));
    }

    #[test]
    fn rejects_second_host_header_in_any_version_even_if_equal() {
        let p = policy(&["*"]);
        let two = req(&[("Host", b"a.example"), ("host", b"a.example")]);
        assert_eq!(kind(two.decide(&p)), Some(RejectionKind::Duplicate));
        assert_eq!(
            kind(two.clone().http10().decide(&p)),
            Some(RejectionKind::Duplicate)
        );
        assert_eq!(
            kind(two.absolute("a.example").decide(&p)),
            Some(RejectionKind::Duplicate)
        );
        let three = req(&[("HOST", b"a"), ("Host", b"b"), ("hOsT", b"c")]);
        let r = three.decide(&p).unwrap_err();
        assert!(r.message.contains("3 Host field lines"), "{}", r.message);
    }

    #[test]
    fn rejects_empty_host() {
        let r = host(b"").decide(&policy(&["*"])).unwrap_err();
        assert_eq!(r.kind, RejectionKind::Empty);
        assert_eq!(
            kind(host(b"").http10().decide(&policy(&["*"]))),
            Some(RejectionKind::Empty)
        );
    }

    #[test]
    fn absolute_form_authority_replaces_host_value() {
        let p = policy(&["target.example"]);
        // RFC 9112 §3.2.2: Host's value is ignored, even when it is garbage or empty.
        for host_value in [
            &b"other.example"[..],
            b"",
            b"bad\x01value",
            b"target.example",
        ] {
            let r = host(host_value).absolute("Target.example:8080").decide(&p);
            assert_eq!(
                r,
                allowed("target.example", Some(8080), HostSource::AbsoluteForm)
            );
        }
        let r = host(b"target.example").absolute("other.example").decide(&p);
        assert_eq!(kind(r), Some(RejectionKind::NotAllowed));
    }

    #[test]
    fn absolute_form_with_userinfo_is_invalid() {
        let p = policy(&["*"]);
        for authority in [
            "user@target.example",
            "user:pass@target.example:80",
            "target.example@evil.example",
        ] {
            let r = host(b"target.example").absolute(authority).decide(&p);
            assert_eq!(kind(r), Some(RejectionKind::InvalidSyntax), "{authority:?}");
        }
    }

    #[test]
    fn http10_without_host_falls_back_to_local_address() {
        let p = policy(&[]);
        let r = req(&[]).http10().decide(&p);
        assert_eq!(
            r,
            allowed("127.0.0.1", Some(8090), HostSource::LocalAddress)
        );
        let r = req(&[]).http10().on_local("[::1]:8090").decide(&p);
        assert_eq!(r, allowed("[::1]", Some(8090), HostSource::LocalAddress));
        // An IPv4 client on a dual-stack socket: the local address is v4-mapped.
        let r = req(&[])
            .http10()
            .on_local("[::ffff:127.0.0.1]:80")
            .decide(&p);
        assert_eq!(r, allowed("127.0.0.1", Some(80), HostSource::LocalAddress));
        // Validated like any other value: not in the defaults, so refused.
        let r = req(&[])
            .http10()
            .on_local("10.1.2.3:8090")
            .decide(&p)
            .unwrap_err();
        assert_eq!(r.kind, RejectionKind::NotAllowed);
        assert_eq!(
            r.message,
            "Invalid HTTP_HOST header: '10.1.2.3:8090' (from the local address). You may need to add '10.1.2.3' to --allowed-hosts."
        );
    }

    #[test]
    fn http10_with_host_uses_it() {
        let r = host(b"LOCALHOST:1").http10().decide(&policy(&[]));
        assert_eq!(r, allowed("localhost", Some(1), HostSource::Host));
    }

    // ---- forwarding headers ----------------------------------------------------

    #[test]
    fn forwarding_headers_are_ignored_by_default() {
        let p = policy(&["app.example", "proxy.example"]);
        let r = host(b"proxy.example")
            .with("X-Forwarded-Host", b"evil.example")
            .decide(&p);
        assert_eq!(r, allowed("proxy.example", None, HostSource::Host));
        let r = host(b"proxy.example")
            .with("Forwarded", b"host=evil.example")
            .decide(&p);
        assert_eq!(r, allowed("proxy.example", None, HostSource::Host));
    }

    #[test]
    fn x_forwarded_host_replaces_host_when_enabled() {
        let p = policy_with(&["app.example"], true, &[]);
        let r = host(b"127.0.0.1:8090")
            .with("X-Forwarded-Host", b"App.example:443")
            .decide(&p);
        assert_eq!(
            r,
            allowed("app.example", Some(443), HostSource::XForwardedHost)
        );
    }

    #[test]
    fn x_forwarded_host_last_value_counts() {
        let p = policy_with(&["app.example"], true, &[]);
        for r in [
            host(b"h").with("X-Forwarded-Host", b"evil.example, app.example"),
            host(b"h").with("X-Forwarded-Host", b"evil.example,  app.example "),
            host(b"h")
                .with("X-Forwarded-Host", b"evil.example")
                .with("x-forwarded-host", b" app.example "),
        ] {
            assert_eq!(
                r.decide(&p),
                allowed("app.example", None, HostSource::XForwardedHost)
            );
        }
        let r = host(b"app.example")
            .with("X-Forwarded-Host", b"app.example, evil.example")
            .decide(&p);
        assert_eq!(kind(r), Some(RejectionKind::NotAllowed));
    }

    #[test]
    fn invalid_or_empty_x_forwarded_host_is_refused_not_skipped() {
        let p = policy_with(&["*"], true, &[]);
        for value in [
            &b"app.example/x"[..],
            b"app.example@evil",
            b"a.example, b/c",
        ] {
            let r = host(b"app.example")
                .with("X-Forwarded-Host", value)
                .decide_full(&p)
                .unwrap_err();
            assert_eq!(r.kind, RejectionKind::InvalidSyntax, "{value:?}");
            assert_eq!(r.source, Some(HostSource::XForwardedHost));
            assert!(
                r.message.contains("' (from X-Forwarded-Host). The domain"),
                "{}",
                r.message
            );
        }
        for value in [&b""[..], b" , ", b"app.example, "] {
            let r = host(b"app.example")
                .with("X-Forwarded-Host", value)
                .decide(&p);
            assert_eq!(kind(r), Some(RejectionKind::Empty), "{value:?}");
        }
    }

    /// Issue: an empty last X-Forwarded-Host line let an earlier element, perhaps the
    /// client's, decide.
    #[test]
    fn an_empty_last_x_forwarded_host_is_refused_not_replaced_by_an_earlier_one() {
        let p = policy_with(&["example.com", "h.example"], true, &[]);
        let r = host(b"h.example")
            .with("X-Forwarded-Host", b"example.com")
            .with("X-Forwarded-Host", b"")
            .decide_full(&p)
            .unwrap_err();
        assert_eq!(r.kind, RejectionKind::Empty);
        assert_eq!(r.source, Some(HostSource::XForwardedHost));
        assert_eq!(
            r.message,
            "Invalid HTTP_HOST header: '' (from X-Forwarded-Host). The host is empty, and a \
             request for an http URI must name one (RFC 9110, section 4.2.1)."
        );
    }

    /// Issue: a last Forwarded element without host= let an earlier element decide.
    #[test]
    fn a_last_forwarded_element_without_host_falls_back_to_host() {
        let p = policy_with(&["example.com", "h.example"], true, &[]);
        let r = host(b"h.example")
            .with("Forwarded", b"host=example.com, for=192.0.2.1")
            .decide(&p);
        assert_eq!(r, allowed("h.example", None, HostSource::Host));
        let r = host(b"h.example")
            .with("Forwarded", b"host=example.com")
            .with("Forwarded", b"for=192.0.2.1;proto=https")
            .decide(&p);
        assert_eq!(r, allowed("h.example", None, HostSource::Host));
    }

    #[test]
    fn every_empty_value_gets_one_message_naming_its_source() {
        let p = policy_with(&["*"], true, &[]);
        let cases = [
            (host(b""), HostSource::Host, ""),
            (host(b"").http10(), HostSource::Host, ""),
            (
                host(b"h").absolute(""),
                HostSource::AbsoluteForm,
                " (from the request target)",
            ),
            (
                host(b"h").with("X-Forwarded-Host", b""),
                HostSource::XForwardedHost,
                " (from X-Forwarded-Host)",
            ),
            (
                host(b"h").with("Forwarded", b"host=\"\""),
                HostSource::Forwarded,
                " (from Forwarded)",
            ),
        ];
        for (case, source, from) in cases {
            let r = case.decide_full(&p).unwrap_err();
            assert_eq!((r.kind, r.source), (RejectionKind::Empty, Some(source)));
            assert_eq!(
                r.message,
                format!(
                    "Invalid HTTP_HOST header: ''{from}. The host is empty, and a request for an \
                     http URI must name one (RFC 9110, section 4.2.1)."
                )
            );
        }
    }

    /// Issue: `GET http://evil.example/` with `Host: localhost:8090` was refused naming
    /// only 'evil.example', and the newcomer looked for it in the Host header.
    #[test]
    fn a_refusal_names_where_its_value_came_from_unless_it_is_host() {
        let p = policy_with(&["localhost"], true, &["10.0.0.0/8"]);
        let r = host(b"localhost:8090")
            .absolute("evil.example")
            .decide_full(&p)
            .unwrap_err();
        assert_eq!(r.source, Some(HostSource::AbsoluteForm));
        assert_eq!(
            r.message,
            "Invalid HTTP_HOST header: 'evil.example' (from the request target). You may need \
             to add 'evil.example' to --allowed-hosts."
        );
        let r = host(b"localhost")
            .with("Forwarded", b"host=evil.example")
            .via_peer("10.0.0.1:1")
            .decide_full(&p)
            .unwrap_err();
        assert!(
            r.message
                .contains("'evil.example' (from Forwarded). You may"),
            "{}",
            r.message
        );
        let r = host(b"evil.example").decide_full(&p).unwrap_err();
        assert_eq!(r.source, Some(HostSource::Host));
        assert!(
            r.message
                .starts_with("Invalid HTTP_HOST header: 'evil.example'. You may")
        );
        assert_eq!(req(&[]).decide_full(&p).unwrap_err().source, None);
    }

    #[test]
    fn an_allowed_host_carries_its_raw_value_pattern_and_proxy_trust() {
        let p = policy_with(
            &["*", ".example.com", "www.example.com"],
            true,
            &["10.0.0.0/8"],
        );
        let r = host(b"WWW.Example.com.:8080");
        let v = r.decide_full(&p).unwrap();
        assert_eq!(v.raw, &b"WWW.Example.com.:8080"[..]);
        // The most specific pattern is named, not the first.
        assert_eq!(v.matched, "www.example.com");
        assert_eq!(v.proxy, None);
        assert_eq!(
            host(b"a.example.com").decide_full(&p).unwrap().matched,
            ".example.com"
        );
        assert_eq!(host(b"other.example").decide_full(&p).unwrap().matched, "*");
        let proxied = host(b"h.example").with("X-Forwarded-For", b"192.0.2.1");
        let trust = |r: Req, p: &HostPolicy| r.decide_full(p).unwrap().proxy;
        assert_eq!(
            trust(proxied.clone().via_peer("10.0.0.1:1"), &p),
            Some(ProxyTrust::Trusted)
        );
        assert_eq!(trust(proxied.clone(), &p), Some(ProxyTrust::Untrusted));
        let off = policy_with(&["*"], false, &[]);
        assert_eq!(
            trust(proxied.clone(), &off),
            Some(ProxyTrust::ForwardingOff)
        );
        let r = host(b"h")
            .with("X-Forwarded-Host", b" App.example ")
            .via_peer("10.0.0.1:1");
        let v = r.decide_full(&p).unwrap();
        assert_eq!(
            (&*v.raw, v.source),
            (&b"App.example"[..], HostSource::XForwardedHost)
        );
    }

    /// The hot path: a plain `Host` allowed without a single copy.
    #[test]
    fn an_allowed_host_borrows_its_parts_and_into_owned_keeps_them_equal() {
        let p = policy(&[]);
        let r = host(b"localhost:8090");
        let v = r.decide_full(&p).unwrap();
        assert!(matches!(v.host, Host::Name(Cow::Borrowed("localhost"))));
        assert!(matches!(v.raw, Cow::Borrowed(b"localhost:8090")));
        assert!(matches!(v.matched, Cow::Borrowed(".localhost")));
        assert_eq!(v.clone().into_owned(), v);
        // An uppercase name is the one part that must be copied, to lowercase it.
        let r = host(b"LocalHost:8090");
        let v = r.decide_full(&p).unwrap();
        assert!(matches!(v.host, Host::Name(Cow::Owned(_))));
        assert!(matches!(v.raw, Cow::Borrowed(b"LocalHost:8090")));
        // The local address is built, not received: there is nothing to borrow.
        let r = req(&[]).http10();
        let v = r.decide_full(&p).unwrap();
        assert!(matches!(v.raw, Cow::Owned(_)));
    }

    #[test]
    fn forwarded_host_replaces_host_when_enabled() {
        let p = policy_with(&["app.example", "[::1]"], true, &[]);
        let r = host(b"h")
            .with("Forwarded", b"for=192.0.2.1;Host=app.example;proto=https")
            .decide(&p);
        assert_eq!(r, allowed("app.example", None, HostSource::Forwarded));
        let r = host(b"h")
            .with("Forwarded", b"host=evil.example, host=\"[::1]:8443\"")
            .decide(&p);
        assert_eq!(r, allowed("[::1]", Some(8443), HostSource::Forwarded));
    }

    #[test]
    fn forwarded_without_host_param_leaves_host_in_charge() {
        let p = policy_with(&["app.example"], true, &[]);
        let r = host(b"app.example")
            .with("Forwarded", b"for=192.0.2.1;proto=https")
            .decide(&p);
        assert_eq!(r, allowed("app.example", None, HostSource::Host));
    }

    #[test]
    fn malformed_forwarded_is_refused_with_its_reason() {
        let p = policy_with(&["*"], true, &[]);
        let r = host(b"app.example")
            .with("Forwarded", b"host=a.example:80\r\n")
            .decide(&p)
            .unwrap_err();
        assert_eq!(r.kind, RejectionKind::InvalidSyntax);
        assert!(
            r.message
                .starts_with("Invalid Forwarded header: 'host=a.example:80\\r\\n'."),
            "{}",
            r.message
        );
    }

    #[test]
    fn x_forwarded_host_wins_over_forwarded() {
        // Decision: as Django, which only knows X-Forwarded-Host.
        let p = policy_with(&["*"], true, &[]);
        let r = host(b"h")
            .with("Forwarded", b"host=from-forwarded.example")
            .with("X-Forwarded-Host", b"from-xfh.example")
            .decide(&p);
        assert_eq!(
            r,
            allowed("from-xfh.example", None, HostSource::XForwardedHost)
        );
    }

    #[test]
    fn forwarding_header_wins_over_absolute_form() {
        let p = policy_with(&["*"], true, &[]);
        let r = host(b"h")
            .absolute("hop.example")
            .with("X-Forwarded-Host", b"client.example")
            .decide(&p);
        assert_eq!(
            r,
            allowed("client.example", None, HostSource::XForwardedHost)
        );
    }

    #[test]
    fn look_alike_forwarding_headers_are_never_honoured() {
        let p = policy_with(&["app.example"], true, &[]);
        for name in [
            "X-Host",
            "X-Forwarded-Server",
            "X-HTTP-Host-Override",
            "X-Original-Host",
        ] {
            let r = host(b"app.example").with(name, b"evil.example").decide(&p);
            assert_eq!(r, allowed("app.example", None, HostSource::Host), "{name}");
        }
    }

    #[test]
    fn forwarding_headers_need_a_host_header_on_http11() {
        let p = policy_with(&["*"], true, &[]);
        let r = req(&[("X-Forwarded-Host", b"app.example")]).decide(&p);
        assert_eq!(kind(r), Some(RejectionKind::Missing));
        let r = req(&[("X-Forwarded-Host", b"app.example")])
            .http10()
            .decide(&p);
        assert_eq!(r, allowed("app.example", None, HostSource::XForwardedHost));
    }

    // ---- trusted proxies -------------------------------------------------------

    #[test]
    fn forwarding_headers_are_honoured_from_trusted_proxy() {
        let p = policy_with(
            &["app.example", "proxy.example"],
            true,
            &["10.0.0.0/8", "fd00::/8"],
        );
        let xfh = host(b"proxy.example").with("X-Forwarded-Host", b"app.example");
        let via_xfh = allowed("app.example", None, HostSource::XForwardedHost);
        assert_eq!(xfh.clone().via_peer("10.1.2.3:4000").decide(&p), via_xfh);
        assert_eq!(xfh.clone().via_peer("[fd00::5]:4000").decide(&p), via_xfh);
        // IPv4 proxy on a dual-stack listener.
        assert_eq!(
            xfh.clone().via_peer("[::ffff:10.0.0.1]:4000").decide(&p),
            via_xfh
        );
    }

    #[test]
    fn forwarding_headers_are_ignored_from_untrusted_peer() {
        let p = policy_with(&["app.example", "proxy.example"], true, &["10.0.0.0/8"]);
        let via_host = allowed("proxy.example", None, HostSource::Host);
        for peer in [
            "192.0.2.10:4000",
            "[::ffff:192.0.2.10]:4000",
            "[2001:db8::1]:4000",
            "11.0.0.1:1",
        ] {
            let r = host(b"proxy.example")
                .with("X-Forwarded-Host", b"evil.example")
                .via_peer(peer);
            assert_eq!(r.decide(&p), via_host, "{peer}");
            let r = host(b"proxy.example")
                .with("Forwarded", b"host=evil.example;;bad=\"")
                .via_peer(peer);
            assert_eq!(r.decide(&p), via_host, "{peer}");
        }
    }

    // ---- messages ----------------------------------------------------------------

    #[test]
    fn not_allowed_message_suggests_the_normalised_host() {
        let r = host(b"Example.COM.:80")
            .decide(&policy(&["other.example"]))
            .unwrap_err();
        assert_eq!(r.kind, RejectionKind::NotAllowed);
        assert_eq!(
            r.message,
            "Invalid HTTP_HOST header: 'Example.COM.:80'. You may need to add 'example.com' to --allowed-hosts."
        );
    }

    #[test]
    fn invalid_message_escapes_control_and_non_ascii_bytes() {
        let r = host(b"evil\r\nSet-Cookie: x\x00\xc3\xa9'")
            .decide(&policy(&["*"]))
            .unwrap_err();
        assert_eq!(r.kind, RejectionKind::InvalidSyntax);
        assert_eq!(
            r.message,
            "Invalid HTTP_HOST header: 'evil\\r\\nSet-Cookie: x\\x00\\xc3\\xa9\\''. \
             The domain name provided is not valid according to RFC 1034/1035."
        );
    }

    #[test]
    fn long_raw_values_are_cut_in_messages() {
        let long = vec![b'a'; 8192];
        let r = host(&long).decide(&policy(&["*"])).unwrap_err();
        assert!(
            r.message
                .contains(&format!("'{}...'", "a".repeat(MAX_ECHOED_BYTES)))
        );
        assert!(r.message.len() < MAX_ECHOED_BYTES + 200);
        // Every escaped byte is at most 4 characters.
        let long = vec![0xffu8; 8192];
        let r = host(&long).decide(&policy(&["*"])).unwrap_err();
        assert!(r.message.len() < 4 * MAX_ECHOED_BYTES + 200);
    }

    #[test]
    fn every_message_is_printable_ascii() {
        let p = policy_with(&["app.example"], true, &[]);
        let cases = [
            req(&[]),
            req(&[("Host", b"a"), ("Host", b"a")]),
            host(b""),
            host(b"\x00\x7f\xff\r\n\t"),
            host(b"other.example"),
            host(b"h").with("Forwarded", b"host=\"\xff"),
        ];
        for case in cases {
            let message = case.decide(&p).unwrap_err().message;
            assert!(
                message.bytes().all(|b| (0x20..0x7f).contains(&b)),
                "{message:?}"
            );
        }
    }

    #[test]
    fn at_self_needs_its_addresses_and_names_itself_when_it_matches() {
        let options = PolicyOptions {
            allowed_hosts: vec!["app.example".into(), "@self".into()],
            ..PolicyOptions::default()
        };
        assert!(options.uses_own_addresses());
        let err = HostPolicy::new(options.clone()).unwrap_err().to_string();
        assert!(
            err.contains("\"@self\"") && err.contains("no addresses"),
            "{err}"
        );
        let own = vec!["10.0.0.7".parse().unwrap(), "10.0.0.7".parse().unwrap()];
        let policy = HostPolicy::with_own_addresses(options, own).unwrap();
        assert_eq!(
            policy.own_addresses(),
            ["10.0.0.7".parse::<IpAddr>().unwrap()]
        );
        let request = host(b"10.0.0.7:8090");
        let allowed = request.decide_full(&policy).unwrap();
        assert_eq!(allowed.matched, "@self");
        assert!(host(b"10.0.0.8").decide(&policy).is_err());
        // Without @self, addresses given are not used.
        let plain = PolicyOptions {
            allowed_hosts: vec!["app.example".into()],
            ..PolicyOptions::default()
        };
        let policy =
            HostPolicy::with_own_addresses(plain, vec!["10.0.0.7".parse().unwrap()]).unwrap();
        assert!(policy.own_addresses().is_empty());
        assert!(host(b"10.0.0.7").decide(&policy).is_err());
    }
}
