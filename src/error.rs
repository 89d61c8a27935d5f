//! The library's errors.
//!
//! Two kinds, kept apart because they happen at different times to different people:
//!
//! * [`RequestError`] — something a *client* got wrong. Each variant maps to exactly one
//!   HTTP status in [`RequestError::status`], the one place where that mapping lives.
//!   These are expected at run time and never stop the server.
//! * [`Error`] — something the *operator* got wrong or the OS refused at start-up: an
//!   address in use, a pattern that is not a pattern. `main` prints it as one line and
//!   exits non-zero.

use std::fmt;
use std::io;
use std::net::SocketAddr;

use crate::http::Status;

/// A request hostecho will not answer with an echo, and the reason why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RequestError {
    /// The request line or a header line does not follow the grammar (RFC 9112 §3, §5).
    Malformed(String),
    /// The head (request line and headers) is larger than `--max-header-bytes`.
    HeadTooLarge {
        /// The configured limit in bytes.
        limit: usize,
    },
    /// More header lines than `--max-headers`.
    TooManyHeaders {
        /// The configured limit.
        limit: usize,
    },
    /// The request line alone is over `--max-header-bytes` (RFC 9112 §3: 414).
    UriTooLong {
        /// The configured limit in bytes.
        limit: usize,
    },
    /// The body is larger than `--max-body-bytes`.
    BodyTooLarge {
        /// The configured limit in bytes.
        limit: u64,
    },
    /// A protocol version other than HTTP/1.0 and HTTP/1.1.
    VersionNotSupported(String),
    /// A transfer coding other than `chunked` (RFC 9112 §6.1: 501).
    TransferCodingNotImplemented(String),
    /// A method hostecho does not implement: `CONNECT`, which asks for a tunnel
    /// (RFC 9110 §9.3.6). A 2xx would tell the client the tunnel is open.
    MethodNotImplemented(String),
    /// The head did not arrive completely within `--header-timeout`.
    HeadTimeout,
}

impl RequestError {
    /// The status this error is answered with. The only place that mapping is made.
    pub fn status(&self) -> Status {
        match self {
            RequestError::Malformed(_) => Status::BAD_REQUEST,
            RequestError::HeadTooLarge { .. } | RequestError::TooManyHeaders { .. } => {
                Status::REQUEST_HEADER_FIELDS_TOO_LARGE
            }
            RequestError::UriTooLong { .. } => Status::URI_TOO_LONG,
            RequestError::BodyTooLarge { .. } => Status::PAYLOAD_TOO_LARGE,
            RequestError::VersionNotSupported(_) => Status::HTTP_VERSION_NOT_SUPPORTED,
            RequestError::TransferCodingNotImplemented(_)
            | RequestError::MethodNotImplemented(_) => Status::NOT_IMPLEMENTED,
            RequestError::HeadTimeout => Status::REQUEST_TIMEOUT,
        }
    }
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RequestError::Malformed(what) => write!(f, "malformed request: {what}"),
            RequestError::HeadTooLarge { limit } => {
                write!(f, "request header section is larger than {limit} bytes")
            }
            RequestError::TooManyHeaders { limit } => {
                write!(f, "request has more than {limit} header fields")
            }
            RequestError::UriTooLong { limit } => {
                write!(f, "request line is longer than {limit} bytes")
            }
            RequestError::BodyTooLarge { limit } => {
                write!(f, "request body is larger than {limit} bytes")
            }
            RequestError::VersionNotSupported(v) => {
                write!(
                    f,
                    "HTTP version {v} is not supported; use HTTP/1.0 or HTTP/1.1"
                )
            }
            RequestError::TransferCodingNotImplemented(coding) => {
                write!(
                    f,
                    "transfer coding {coding:?} is not implemented; only chunked is"
                )
            }
            RequestError::MethodNotImplemented(method) => write!(
                f,
                "method {method} is not implemented: hostecho echoes, it does not open tunnels"
            ),
            RequestError::HeadTimeout => {
                write!(f, "request header section was not received in time")
            }
        }
    }
}

impl std::error::Error for RequestError {}

/// A start-up error: the server cannot run with this configuration on this machine.
#[derive(Debug)]
pub enum Error {
    /// A listening socket could not be bound.
    Bind {
        /// The address that was asked for.
        addr: SocketAddr,
        /// What the OS said.
        source: io::Error,
    },
    /// An `--allowed-hosts` pattern that is not one hostecho understands.
    Pattern {
        /// The pattern as given.
        pattern: String,
        /// Why it is refused.
        reason: String,
    },
    /// Any other I/O error while setting up or running the event loop.
    Io(io::Error),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Bind { addr, source } if source.kind() == io::ErrorKind::AddrInUse => {
                write!(f, "address {addr} is already in use")
            }
            Error::Bind { addr, source } if source.kind() == io::ErrorKind::AddrNotAvailable => {
                write!(f, "address {addr} is not available on this machine")
            }
            Error::Bind { addr, source } if source.kind() == io::ErrorKind::PermissionDenied => {
                write!(
                    f,
                    "permission denied binding {addr} (ports below 1024 need privileges)"
                )
            }
            Error::Bind { addr, source } => write!(f, "cannot bind {addr}: {source}"),
            Error::Pattern { pattern, reason } => {
                write!(f, "invalid --allowed-hosts pattern {pattern:?}: {reason}")
            }
            Error::Io(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            // The bind message already says what the OS said, in words a user can act
            // on; chaining the raw OS error as well would only repeat it.
            Error::Bind { .. } | Error::Pattern { .. } => None,
            Error::Io(e) => Some(e),
        }
    }
}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Self {
        Error::Io(e)
    }
}
