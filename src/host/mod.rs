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
    /// Lowercase, trailing dot removed, IPv6 in brackets, no port.
    pub host: String,
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
            host: parsed.host.to_string(),
            port: parsed.port,
            source,
        })
    }

    /// The value a trusted proxy forwarded, if the policy reads forwarding headers,
    /// the peer is trusted, and one of them is present.
    fn forwarded_value<'a>(
        &self,
        facts: &Facts<'a>,
    ) -> Result<Option<(Cow<'a, [u8]>, HostSource)>, Rejection> {
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
