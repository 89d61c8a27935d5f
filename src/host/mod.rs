//! The Host policy: which host a request is for, and whether hostecho answers for it.
//!
//! TODO(host helper): implement. Interface fixed below.

pub mod patterns;
pub mod syntax;

use std::net::SocketAddr;

use ipnet::IpNet;

use crate::error::Error;
use crate::http::request::{Header, Version};

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

/// The compiled policy. Built once at start, shared read-only by every event loop.
#[derive(Clone, Debug)]
pub struct HostPolicy {
    options: PolicyOptions,
}

impl HostPolicy {
    /// Compiles the patterns, refusing any that is not understood.
    pub fn new(options: PolicyOptions) -> Result<HostPolicy, Error> {
        Ok(HostPolicy { options })
    }

    /// Whether no `--allowed-hosts` was given and [`DEFAULT_ALLOWED_HOSTS`] are in force.
    pub fn uses_defaults(&self) -> bool {
        todo!()
    }

    /// Whether a `*` pattern switched host matching off (syntax is still checked).
    pub fn allows_any(&self) -> bool {
        todo!()
    }

    /// The patterns in force, as given (or the defaults), for the start-up log.
    pub fn patterns(&self) -> &[String] {
        todo!()
    }

    /// Decides one request.
    pub fn decide(&self, facts: &Facts<'_>) -> Result<ValidHost, Rejection> {
        let _ = (facts, &self.options);
        todo!()
    }
}
