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
//!      sets both behaves as it would in front of Django. Look-alikes such as
//!      `X-Host`, `X-Forwarded-Server` and `X-HTTP-Host-Override` are never read.
//!    * the authority of an absolute-form target (`GET http://a.example/ HTTP/1.1`):
//!      RFC 9112 §3.2.2 says the server "MUST ignore the received Host header field"
//!      then, so Host's *value* is not even checked (its count still is, above);
//!    * the Host header; an empty one is refused (RFC 9110 §4.2.1: an `http` URI
//!      with an empty host "MUST" be rejected as invalid);
//!    * for HTTP/1.0 without Host, the address of the socket that accepted the
//!      connection, as Django falls back to `SERVER_NAME`.
//! 3. **Check its grammar** ([`syntax`]): `host[:port]`, normalised.
//! 4. **Match it** against the patterns ([`patterns`]), ignoring the port.
//!
//! # Rejection messages
//!
//! They follow Django's wording, so a learner can search for them, and they are
//! always printable ASCII: the raw value is escaped byte by byte and cut at
//! [`MAX_ECHOED_BYTES`], because Host can be 8 KiB of a client's choosing and the
//! message goes into a response and a log line (log injection, response splitting).

pub mod forwarded;
pub mod patterns;
pub mod syntax;

use std::borrow::Cow;
use std::net::{IpAddr, SocketAddr};

use ipnet::IpNet;

use crate::error::Error;
use crate::http::request::{Header, Version};

use self::patterns::{Pattern, PatternSet};
use self::syntax::Host;

/// How much of a client's raw value a rejection message echoes before `...`.
pub const MAX_ECHOED_BYTES: usize = 256;

/// The patterns in force when `--allowed-hosts` is not given: Django's DEBUG list.
pub const DEFAULT_ALLOWED_HOSTS: &[&str] = &[".localhost", "127.0.0.1", "[::1]"];

/// How the policy is built: the patterns and the forwarding options.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PolicyOptions {
    /// `--allowed-hosts` patterns; empty means [`DEFAULT_ALLOWED_HOSTS`].
    pub allowed_hosts: Vec<String>,
    /// `--use-x-forwarded-host`: honour `X-Forwarded-Host` and `Forwarded: host=`.
    pub use_x_forwarded_host: bool,
    /// `--trusted-proxies`: peers whose forwarding headers are honoured; empty means every peer.
    pub trusted_proxies: Vec<IpNet>,
}

/// Everything the policy decides from. It does no I/O: the connection gathers these.
#[derive(Clone, Copy, Debug)]
pub struct Facts<'a> {
    /// The request's protocol version.
    pub version: Version,
    /// The authority of an absolute-form target, if the target had that form.
    pub absolute_authority: Option<&'a str>,
    /// Every header field line, in wire order.
    pub headers: &'a [Header],
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

/// A host the policy allowed, normalised.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidHost {
    /// The host in normal form: a lowercase name without a trailing dot, or an IP
    /// address (`Display` writes IPv6 in brackets). No port.
    pub host: Host,
    /// The port, if the value named one.
    pub port: Option<u16>,
    /// Which header (or address) it came from.
    pub source: HostSource,
}

/// Why a request was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RejectionKind {
    /// HTTP/1.1 without a Host header.
    Missing,
    /// More than one Host field line.
    Duplicate,
    /// A Host header with an empty value.
    Empty,
    /// A value that is not `host[:port]`.
    InvalidSyntax,
    /// A valid host that no pattern allows.
    NotAllowed,
}

/// A refusal: always answered with 400. `message` is safe to put in a response or a
/// log line: control bytes and non-ASCII in the raw value are escaped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    /// The kind of refusal.
    pub kind: RejectionKind,
    /// The sentence sent back and logged, Django-style.
    pub message: String,
}

impl Rejection {
    fn missing() -> Rejection {
        Rejection {
            kind: RejectionKind::Missing,
            message: "missing Host header: HTTP/1.1 requests must carry exactly one Host \
                      header (RFC 9112, section 3.2)."
                .to_string(),
        }
    }

    fn duplicate(count: usize) -> Rejection {
        Rejection {
            kind: RejectionKind::Duplicate,
            message: format!(
                "duplicate Host header: the request has {count} Host field lines, and a \
                 request may carry only one, even when the values are equal \
                 (RFC 9112, section 3.2)."
            ),
        }
    }

    fn empty() -> Rejection {
        Rejection {
            kind: RejectionKind::Empty,
            message: "empty Host header: a request for an http URI must name a host \
                      (RFC 9110, section 4.2.1)."
                .to_string(),
        }
    }

    fn invalid(raw: &[u8]) -> Rejection {
        Rejection {
            kind: RejectionKind::InvalidSyntax,
            message: format!(
                "Invalid HTTP_HOST header: '{}'. The domain name provided is not valid \
                 according to RFC 1034/1035.",
                escape_for_message(raw)
            ),
        }
    }

    fn invalid_forwarded(line: &[u8], reason: &str) -> Rejection {
        Rejection {
            kind: RejectionKind::InvalidSyntax,
            message: format!(
                "Invalid Forwarded header: '{}'. It does not follow RFC 7239, section 4: \
                 {reason}.",
                escape_for_message(line)
            ),
        }
    }

    fn not_allowed(raw: &[u8], host: &Host) -> Rejection {
        Rejection {
            kind: RejectionKind::NotAllowed,
            message: format!(
                "Invalid HTTP_HOST header: '{}'. You may need to add '{host}' to \
                 --allowed-hosts.",
                escape_for_message(raw)
            ),
        }
    }
}

/// A client's bytes, made safe to put in a response or a log line: every byte that
/// is not printable ASCII (and `'`, `"`, `\`) is escaped as Rust would write it
/// (`\r`, `\n`, `\x00`, `\xc3`), and at most [`MAX_ECHOED_BYTES`] bytes are shown,
/// followed by `...` when there were more.
pub fn escape_for_message(raw: &[u8]) -> String {
    let shown = &raw[..raw.len().min(MAX_ECHOED_BYTES)];
    let mut out: String = shown
        .iter()
        .flat_map(|&b| std::ascii::escape_default(b))
        .map(char::from)
        .collect();
    if raw.len() > MAX_ECHOED_BYTES {
        out.push_str("...");
    }
    out
}

/// The value that names the host (borrowed from the request, or built from the
/// local address), and where it came from.
type Candidate<'a> = (Cow<'a, [u8]>, HostSource);

/// The compiled policy. Built once at start, shared read-only by every event loop.
#[derive(Clone, Debug)]
pub struct HostPolicy {
    options: PolicyOptions,
    /// The patterns in force, as given: `options.allowed_hosts` or the defaults.
    patterns: Vec<String>,
    /// The same patterns compiled for matching.
    compiled: PatternSet,
}

impl HostPolicy {
    /// Compiles the patterns, refusing any that is not understood.
    ///
    /// The error names the first bad pattern and says why, e.g.
    /// `invalid --allowed-hosts pattern "*example.com": '*' is only allowed alone …`.
    pub fn new(options: PolicyOptions) -> Result<HostPolicy, Error> {
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
                    reason: reason.to_string(),
                })
            })
            .collect::<Result<Vec<Pattern>, Error>>()?;
        Ok(HostPolicy {
            options,
            patterns,
            compiled: PatternSet::new(parsed),
        })
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

    /// Decides one request: the steps are in the [module documentation](self).
    pub fn decide(&self, facts: &Facts<'_>) -> Result<ValidHost, Rejection> {
        let mut host_lines = facts.headers.iter().filter(|h| h.is("host"));
        let host_line = host_lines.next();
        let more = host_lines.count();
        if more > 0 {
            return Err(Rejection::duplicate(more + 1));
        }
        if host_line.is_none() && facts.version == Version::Http11 {
            return Err(Rejection::missing());
        }

        let (raw, source) = match self.forwarded_value(facts)? {
            Some(found) => found,
            None => match (facts.absolute_authority, host_line) {
                (Some(authority), _) => (
                    Cow::Borrowed(authority.as_bytes()),
                    HostSource::AbsoluteForm,
                ),
                (None, Some(line)) if line.value.is_empty() => return Err(Rejection::empty()),
                (None, Some(line)) => (Cow::Borrowed(line.value.as_slice()), HostSource::Host),
                // Only HTTP/1.0 gets here: 1.1 without Host was refused above.
                (None, None) => (
                    Cow::Owned(local_host_port(facts.local)),
                    HostSource::LocalAddress,
                ),
            },
        };

        let parsed = syntax::parse_host_port(&raw).map_err(|why| {
            log::debug!(
                "refusing {source:?} value {:?}: {why}",
                escape_for_message(&raw)
            );
            Rejection::invalid(&raw)
        })?;
        if !self.compiled.matches(&parsed.host) {
            return Err(Rejection::not_allowed(&raw, &parsed.host));
        }
        Ok(ValidHost {
            host: parsed.host,
            port: parsed.port,
            source,
        })
    }

    /// The value a trusted proxy forwarded, if the policy reads forwarding headers,
    /// the peer is trusted, and one of them is present.
    fn forwarded_value<'a>(&self, facts: &Facts<'a>) -> Result<Option<Candidate<'a>>, Rejection> {
        if !self.options.use_x_forwarded_host {
            return Ok(None);
        }
        let lines = |name: &'static str| {
            facts
                .headers
                .iter()
                .filter(move |h| h.is(name))
                .map(|h| h.value.as_slice())
        };
        let xfh = forwarded::last_x_forwarded_host(lines("x-forwarded-host"));
        let has_forwarded = lines("forwarded").next().is_some();
        if xfh.is_none() && !has_forwarded {
            return Ok(None);
        }
        if !self.is_trusted_proxy(facts.peer.ip()) {
            // Anyone can send these headers; from a peer that is not our proxy they
            // are a client's claim, so Host decides instead.
            log::debug!(
                "ignoring X-Forwarded-Host/Forwarded from {}: not in --trusted-proxies",
                facts.peer.ip()
            );
            return Ok(None);
        }
        if let Some(value) = xfh {
            return Ok(Some((Cow::Borrowed(value), HostSource::XForwardedHost)));
        }
        match forwarded::last_forwarded_host(lines("forwarded")) {
            Ok(Some(value)) => Ok(Some((value, HostSource::Forwarded))),
            Ok(None) => Ok(None),
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
}

/// The accepting socket's address as `host:port`, for HTTP/1.0 requests without
/// Host. A v4-mapped address (an IPv4 client on a dual-stack socket) is written as
/// IPv4, which is what that client dialled; a zone id is dropped.
fn local_host_port(local: SocketAddr) -> Vec<u8> {
    let host = Host::from_ip(local.ip().to_canonical());
    format!("{host}:{}", local.port()).into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    const PEER: &str = "192.0.2.10:50000";
    const LOCAL: &str = "127.0.0.1:8090";

    fn policy(allowed: &[&str]) -> HostPolicy {
        policy_with(allowed, false, &[])
    }

    fn policy_with(allowed: &[&str], use_xfh: bool, trusted: &[&str]) -> HostPolicy {
        let options = PolicyOptions {
            allowed_hosts: allowed.iter().map(|s| s.to_string()).collect(),
            use_x_forwarded_host: use_xfh,
            trusted_proxies: trusted.iter().map(|s| s.parse().unwrap()).collect(),
        };
        HostPolicy::new(options).unwrap()
    }

    /// One request, described with the defaults most tests want.
    #[derive(Clone)]
    struct Req {
        version: Version,
        authority: Option<&'static str>,
        headers: Vec<Header>,
        peer: SocketAddr,
        local: SocketAddr,
    }

    fn req(headers: &[(&str, &[u8])]) -> Req {
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
    fn host(value: &[u8]) -> Req {
        req(&[("Host", value)])
    }

    impl Req {
        fn http10(mut self) -> Req {
            self.version = Version::Http10;
            self
        }
        fn absolute(mut self, authority: &'static str) -> Req {
            self.authority = Some(authority);
            self
        }
        fn via_peer(mut self, peer: &str) -> Req {
            self.peer = peer.parse().unwrap();
            self
        }
        fn on_local(mut self, local: &str) -> Req {
            self.local = local.parse().unwrap();
            self
        }
        fn with(mut self, name: &str, value: &[u8]) -> Req {
            self.headers.push(Header {
                name: name.to_string(),
                value: value.to_vec(),
            });
            self
        }
        fn decide(&self, policy: &HostPolicy) -> Result<ValidHost, Rejection> {
            policy.decide(&Facts {
                version: self.version,
                absolute_authority: self.authority,
                headers: &self.headers,
                peer: self.peer,
                local: self.local,
            })
        }
    }

    fn allowed(host: &str, port: Option<u16>, source: HostSource) -> Result<ValidHost, Rejection> {
        Ok(ValidHost {
            host: syntax::parse_host(host.as_bytes()).expect("a valid host in a test"),
            port,
            source,
        })
    }

    fn kind(result: Result<ValidHost, Rejection>) -> Option<RejectionKind> {
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
        for bad in [
            "ex*ample.com",
            "*example.com",
            "*.*.example.com",
            "example.*.com",
            "",
            "a b",
            "a.com/x",
            "a.com:80",
        ] {
            let options = PolicyOptions {
                allowed_hosts: vec!["good.example".into(), bad.into()],
                ..PolicyOptions::default()
            };
            match HostPolicy::new(options) {
                Err(Error::Pattern { pattern, reason }) => {
                    assert_eq!(pattern, bad);
                    assert!(!reason.is_empty());
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
            "",
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
            "Invalid HTTP_HOST header: '10.1.2.3:8090'. You may need to add '10.1.2.3' to --allowed-hosts."
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
            host(b"h").with("X-Forwarded-Host", b"evil.example,app.example ,"),
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
        for value in [&b""[..], b" , ", b"app.example/x", b"app.example@evil"] {
            let r = host(b"app.example")
                .with("X-Forwarded-Host", value)
                .decide(&p);
            assert_eq!(kind(r), Some(RejectionKind::InvalidSyntax), "{value:?}");
        }
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

    // ---- the reference suites -----------------------------------------------------

    /// Django, `tests/requests_tests/tests.py`, `HostValidationTests.test_http_get_host`.
    /// `SERVER_NAME` has no equivalent: without Host we fall back to the local
    /// address (covered by `http10_without_host_falls_back_to_local_address`).
    #[test]
    fn ports_django_test_http_get_host() {
        let p = policy(&[
            "forward.com",
            "example.com",
            "internal.com",
            "12.34.56.78",
            "[2001:19f0:feee::dead:beef:cafe]",
            "xn--4ca9at.com",
            ".multitenant.com",
            "INSENSITIVE.com",
            "[::ffff:169.254.169.254]",
        ]);
        // X-Forwarded-Host is ignored when USE_X_FORWARDED_HOST is off.
        let r = host(b"example.com")
            .with("X-Forwarded-Host", b"forward.com")
            .decide(&p);
        assert_eq!(r, allowed("example.com", None, HostSource::Host));
        let legit: &[&[u8]] = &[
            b"example.com",
            b"example.com:80",
            b"12.34.56.78",
            b"12.34.56.78:443",
            b"[2001:19f0:feee::dead:beef:cafe]",
            b"[2001:19f0:feee::dead:beef:cafe]:8080",
            b"xn--4ca9at.com",
            b"anything.multitenant.com",
            b"multitenant.com",
            b"insensitive.com",
            b"example.com.",
            b"example.com.:80",
            b"[::ffff:169.254.169.254]",
        ];
        for value in legit {
            assert!(host(value).decide(&p).is_ok(), "{value:?}");
        }
        let poisoned: &[&[u8]] = &[
            b"example.com@evil.tld",
            b"example.com:dr.frankenstein@evil.tld",
            b"example.com:dr.frankenstein@evil.tld:80",
            b"example.com:80/badpath",
            b"example.com: recovermypassword.com",
            b"other.com",
            b"example.com..",
        ];
        for value in poisoned {
            assert!(host(value).decide(&p).is_err(), "{value:?}");
        }
    }

    /// Django, `tests/requests_tests/tests.py`,
    /// `test_http_get_host_with_x_forwarded_host` (ALLOWED_HOSTS=["*"]).
    #[test]
    fn ports_django_test_http_get_host_with_x_forwarded_host() {
        let p = policy_with(&["*"], true, &[]);
        let r = host(b"example.com")
            .with("X-Forwarded-Host", b"forward.com")
            .decide(&p);
        assert_eq!(r, allowed("forward.com", None, HostSource::XForwardedHost));
        let r = host(b"example.com").decide(&p);
        assert_eq!(r, allowed("example.com", None, HostSource::Host));
        let legit: &[&[u8]] = &[
            b"example.com",
            b"example.com:80",
            b"12.34.56.78",
            b"12.34.56.78:443",
            b"[2001:19f0:feee::dead:beef:cafe]",
            b"[2001:19f0:feee::dead:beef:cafe]:8080",
            b"xn--4ca9at.com",
        ];
        for value in legit {
            assert!(host(value).decide(&p).is_ok(), "{value:?}");
        }
        let poisoned: &[&[u8]] = &[
            b"example.com@evil.tld",
            b"example.com:dr.frankenstein@evil.tld",
            b"example.com:dr.frankenstein@evil.tld:80",
            b"example.com:80/badpath",
            b"example.com: recovermypassword.com",
        ];
        for value in poisoned {
            assert_eq!(
                kind(host(value).decide(&p)),
                Some(RejectionKind::InvalidSyntax),
                "{value:?}"
            );
        }
    }

    /// Django, `tests/requests_tests/tests.py`, `test_get_host_suggestion_of_allowed_host`.
    /// Same sentences, with `--allowed-hosts` for `ALLOWED_HOSTS`. Django's list is
    /// empty with DEBUG off (so nothing is allowed); we use a pattern nothing matches.
    #[test]
    fn ports_django_test_get_host_suggestion_of_allowed_host() {
        let p = policy(&["nothing.invalid"]);
        let suggestion = |raw: &str, host: &str| {
            format!(
                "Invalid HTTP_HOST header: '{raw}'. You may need to add '{host}' to --allowed-hosts."
            )
        };
        for value in [
            "example.com",
            "12.34.56.78",
            "[2001:19f0:feee::dead:beef:cafe]",
            "xn--4ca9at.com",
        ] {
            let r = host(value.as_bytes()).decide(&p).unwrap_err();
            assert_eq!(r.message, suggestion(value, value));
        }
        for (domain, port) in [
            ("example.com", 80),
            ("12.34.56.78", 443),
            ("[2001:19f0:feee::dead:beef:cafe]", 8080),
        ] {
            let value = format!("{domain}:{port}");
            let r = host(value.as_bytes()).decide(&p).unwrap_err();
            assert_eq!(r.message, suggestion(&value, domain));
        }
        let poisoned = [
            "example.com@evil.tld",
            "example.com:dr.frankenstein@evil.tld",
            "example.com:dr.frankenstein@evil.tld:80",
            "example.com:80/badpath",
            "example.com: recovermypassword.com",
            "invalid_hostname.com",
        ];
        for value in poisoned {
            let r = host(value.as_bytes()).decide(&p).unwrap_err();
            assert_eq!(
                r.message,
                format!(
                    "Invalid HTTP_HOST header: '{value}'. The domain name provided is not valid according to RFC 1034/1035."
                )
            );
        }
    }

    /// Rails, `actionpack/test/dispatch/host_authorization_test.rb`: the hostile
    /// `X-Forwarded-Host` values ("lots of NG hosts" and its neighbours), sent by a
    /// trusted proxy with forwarding on.
    ///
    /// Deviation: Rails checks Host *and* X-Forwarded-Host ("blocks requests with
    /// spoofed X-FORWARDED-HOST"); hostecho, like Django, lets a trusted proxy's
    /// X-Forwarded-Host replace Host, and ignores it entirely otherwise. Rails's
    /// spoofing tests are therefore ported with forwarding off (the default).
    #[test]
    fn ports_rails_hostile_x_forwarded_host() {
        let p = policy_with(&["example.com"], true, &[]);
        let ng_hosts: &[&[u8]] = &[
            b"hacker%E3%80%82com",
            b"hacker%00.com",
            b"www.theirsite.com@yoursite.com",
            b"hacker.com/test/",
            b"hacker%252ecom",
            b".hacker.com",
            b"////hacker.com/",
            b"/hacker.com",
            b"../hacker.com",
            b"@hacker.com",
            b"hacker.com",
            b"hacker.com%23@example.com",
            b"hacker.com/.jpg",
            b"hacker.com\texample.com/",
            b"hacker.com/example.com",
            b"hacker.com@example.com",
            b"hacker.com/",
            b"//randomhost.com",
        ];
        for value in ng_hosts {
            let r = host(b"example.com")
                .with("X-Forwarded-Host", value)
                .decide(&p);
            assert!(r.is_err(), "{:?}", String::from_utf8_lossy(value));
        }
        // "forwarded secondary hosts are allowed when permitted" / "... blocked when mismatch"
        let p = policy_with(&[".domain.com"], true, &[]);
        let r = host(b"domain.com")
            .with("X-Forwarded-Host", b"example.com, my-sub.domain.com")
            .decide(&p);
        assert_eq!(
            r,
            allowed("my-sub.domain.com", None, HostSource::XForwardedHost)
        );
        let p = policy_with(&["domain.com"], true, &[]);
        let r = host(b"domain.com")
            .with("X-Forwarded-Host", b"domain.com, evil.com")
            .decide(&p)
            .unwrap_err();
        assert!(r.message.contains("add 'evil.com'"), "{}", r.message);
        // "forwarded hosts should be permitted" (Rails: a subdomain of an exact pattern is blocked)
        let r = host(b"domain.com")
            .with("X-Forwarded-Host", b"sub.domain.com")
            .decide(&p);
        assert_eq!(kind(r), Some(RejectionKind::NotAllowed));
        // "blocks requests with spoofed X-FORWARDED-HOST", "detects localhost domain spoofing"
        let p = policy(&["127.0.0.1", "localhost"]);
        for spoof in [&b"127.0.0.1"[..], b"localhost"] {
            let r = host(b"www.example.com")
                .with("X-Forwarded-Host", spoof)
                .decide(&p)
                .unwrap_err();
            assert!(r.message.contains("add 'www.example.com'"), "{}", r.message);
        }
        // "blocks requests with invalid hostnames", "does not allow domain name
        // notation in the HOST header itself"
        let p = policy(&[".example.com"]);
        for value in [&b"attacker.com#x.example.com"[..], b".example.com"] {
            assert_eq!(
                kind(host(value).decide(&p)),
                Some(RejectionKind::InvalidSyntax)
            );
        }
    }

    /// Go, `src/net/http/serve_test.go`, `TestServerValidatesHostHeader`, at the
    /// policy level (with `*`, since Go has no allow-list): the version and
    /// field-line rules. The values alone are in `syntax::tests`.
    #[test]
    fn ports_go_test_server_validates_host_header_rules() {
        let p = policy(&["*"]);
        // {"HTTP/1.1", "", 400}
        assert_eq!(kind(req(&[]).decide(&p)), Some(RejectionKind::Missing));
        // {"HTTP/1.1", "Host: \r\n", 200}: deviation, we refuse an empty Host
        // (RFC 9110 §4.2.1) unless the target is absolute-form.
        assert_eq!(kind(host(b"").decide(&p)), Some(RejectionKind::Empty));
        // {"HTTP/1.1", "Host: first\r\nHost: second\r\n", 400} and the same in 1.0
        let two = req(&[("Host", b"first"), ("Host", b"second")]);
        assert_eq!(kind(two.decide(&p)), Some(RejectionKind::Duplicate));
        assert_eq!(
            kind(two.http10().decide(&p)),
            Some(RejectionKind::Duplicate)
        );
        // {"HTTP/1.0", "", 200}
        assert!(req(&[]).http10().decide(&p).is_ok());
        // {"HTTP/1.0", "Host: \xff\r\n", 400}
        assert_eq!(
            kind(host(b"\xff").http10().decide(&p)),
            Some(RejectionKind::InvalidSyntax)
        );
        // {"CONNECT golang.org:443 HTTP/1.1", "", 200}: deviation, CONNECT is not
        // special here (hostecho is not a proxy), so a missing Host is refused.
    }

    /// nginx-tests, `http_host.t`: the absolute-form half (`GET http://$host/ HTTP/1.0`
    /// with `Host: localhost`), and "host repeat" as two field lines.
    #[test]
    fn ports_nginx_http_host_t_absolute_form() {
        let p = policy(&["*"]);
        let table = [
            ("abcd-ef.g02.xyz", "abcd-ef.g02.xyz", None),
            ("www.abcd-ef.g02.xyz:10", "www.abcd-ef.g02.xyz", Some(10)),
            ("www.abcd-ef.g02.xyz.", "www.abcd-ef.g02.xyz", None),
            ("abcd-ef.g02.xyz.:2", "abcd-ef.g02.xyz", Some(2)),
            ("AbC-d93.0.34ZhGt-s.nk.Ru", "abc-d93.0.34zhgt-s.nk.ru", None),
            ("123.49.0.78", "123.49.0.78", None),
            ("123.40.56.78:123", "123.40.56.78", Some(123)),
            ("[abcd::ef98:0:7654:321]", "[abcd::ef98:0:7654:321]", None),
            (
                "[abcd::ef98:0:7654:321]:5",
                "[abcd::ef98:0:7654:321]",
                Some(5),
            ),
            (
                "[::ffff:12.30.67.89]:4321",
                "[::ffff:12.30.67.89]",
                Some(4321),
            ),
        ];
        for (authority, want, port) in table {
            let r = host(b"localhost").http10().absolute(authority).decide(&p);
            assert_eq!(
                r,
                allowed(want, port, HostSource::AbsoluteForm),
                "{authority}"
            );
        }
        for authority in [
            "\\e/xample.com",
            "com.exa-m.45..:",
            "[abcd\\::ef98:0:7654:321/]:12",
            "[ab..cd::ef98:0:7654:321]",
        ] {
            let r = host(b"localhost").http10().absolute(authority).decide(&p);
            assert_eq!(kind(r), Some(RejectionKind::InvalidSyntax), "{authority}");
        }
        let repeat = req(&[("Host", b"localhost"), ("Host", b"again")]).http10();
        assert_eq!(kind(repeat.decide(&p)), Some(RejectionKind::Duplicate));
    }
}
