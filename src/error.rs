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

use crate::host::Rejection;
use crate::host::patterns::PatternError;
use crate::http::Status;

/// A request hostecho will not answer with an echo, and the reason why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RequestError {
    /// The request does not follow HTTP/1.1's grammar (RFC 9112); the kind says where.
    Malformed(Malformed),
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
    /// A well-formed version of another major than HTTP/1 (`HTTP/2.0`, `HTTP/0.9`).
    /// A later minor version of HTTP/1 is answered as HTTP/1.1 instead (RFC 9110 §2.5),
    /// and anything that is not `HTTP/` DIGIT `.` DIGIT is [`Malformed::Version`].
    VersionNotSupported(String),
    /// A transfer coding other than `chunked` (RFC 9112 §6.1: 501).
    TransferCodingNotImplemented(String),
    /// A method hostecho does not implement: `CONNECT`, which asks for a tunnel
    /// (RFC 9110 §9.3.6). A 2xx would tell the client the tunnel is open.
    MethodNotImplemented(String),
    /// The head did not arrive completely within `--header-timeout`.
    HeadTimeout {
        /// The configured limit, named in the message so a client (or its operator)
        /// learns what to change.
        limit: std::time::Duration,
    },
    /// The body did not arrive completely within `--body-timeout` of its head.
    BodyTimeout {
        /// The configured limit, named in the message.
        limit: std::time::Duration,
    },
    /// The Host policy refused the request: no Host, two, an invalid one, or one that no
    /// `--allowed-hosts` pattern allows.
    Host(Rejection),
}

impl RequestError {
    /// The status this error is answered with. The only place that mapping is made.
    pub fn status(&self) -> Status {
        match self {
            RequestError::Malformed(_) | RequestError::Host(_) => Status::BAD_REQUEST,
            RequestError::HeadTooLarge { .. } | RequestError::TooManyHeaders { .. } => {
                Status::REQUEST_HEADER_FIELDS_TOO_LARGE
            }
            RequestError::UriTooLong { .. } => Status::URI_TOO_LONG,
            RequestError::BodyTooLarge { .. } => Status::PAYLOAD_TOO_LARGE,
            RequestError::VersionNotSupported(_) => Status::HTTP_VERSION_NOT_SUPPORTED,
            RequestError::TransferCodingNotImplemented(_)
            | RequestError::MethodNotImplemented(_) => Status::NOT_IMPLEMENTED,
            RequestError::HeadTimeout { .. } | RequestError::BodyTimeout { .. } => {
                Status::REQUEST_TIMEOUT
            }
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
            RequestError::HeadTimeout { limit } => write!(
                f,
                "request header section was not received within {} (--header-timeout)",
                seconds(*limit)
            ),
            RequestError::BodyTimeout { limit } => write!(
                f,
                "request body was not received within {} (--body-timeout)",
                seconds(*limit)
            ),
            RequestError::Host(rejection) => f.write_str(&rejection.body_text()),
        }
    }
}

impl std::error::Error for RequestError {}

/// A duration as the flags take it: whole seconds (`10 s`), or with a fraction when a
/// test or an embedding program configured one (`0.25 s`).
fn seconds(d: std::time::Duration) -> String {
    if d.subsec_nanos() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{} s", d.as_secs_f64())
    }
}

/// What is malformed about a request: one kind per rule a client can break, so that
/// tests and callers match on the rule, not on the wording of its message.
///
/// The `String`s hold the offending text, already made printable, for the message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Malformed {
    /// A field name with a character outside `tchar`, whitespace before the colon
    /// (RFC 9112 §5.1), or a line folded onto the previous one (obs-fold, §5.2).
    HeaderName,
    /// A field value with a control character (RFC 9110 §5.5).
    HeaderValue,
    /// A CR not followed by LF, before or inside the head.
    LineEnding,
    /// The request line is not `method SP target SP version` (RFC 9112 §3).
    RequestLine,
    /// The version is not `HTTP/` DIGIT `.` DIGIT (RFC 9112 §2.3).
    Version(String),
    /// More than two spaces in the request line: usually a space inside the target.
    SpaceInTarget(String),
    /// A target whose form does not fit any method: not `/…`, not `scheme://…`.
    NotATarget,
    /// `*` as the target of a method other than `OPTIONS` (RFC 9112 §3.2.4).
    AsteriskWithoutOptions(String),
    /// A `#fragment` in the target: clients strip it (RFC 3986 §3.5).
    Fragment,
    /// A byte that is not ASCII in the target (`/caf\xc3\xa9`): a target is a URI,
    /// which is ASCII, with anything else percent-encoded (RFC 9112 §3.2, RFC 3986
    /// §2.1). The target, escaped.
    NonAsciiTarget(String),
    /// `Content-Length` and `Transfer-Encoding` together (RFC 9112 §6.1).
    LengthAndCoding,
    /// `Content-Length` that is not plain decimal digits (RFC 9110 §8.6).
    InvalidContentLength(String),
    /// Two different `Content-Length` values (RFC 9112 §6.3).
    ConflictingContentLength,
    /// `Transfer-Encoding` in an HTTP/1.0 request (RFC 9112 §6.1).
    CodingInHttp10,
    /// `Transfer-Encoding` with no coding in it.
    EmptyTransferEncoding,
    /// `chunked` applied more than once (RFC 9112 §7).
    ChunkedTwice,
    /// `chunked` present but not the last coding (`chunked, gzip`): the body's length
    /// cannot be determined (RFC 9112 §6.3: 400, and close). The field value, escaped.
    ChunkedNotLast(String),
    /// A chunk-size line that is not hex digits, extensions and CRLF (RFC 9112 §7.1).
    InvalidChunkSize(String),
    /// A chunk-size line whose extensions do not follow RFC 9112 §7.1.1's grammar
    /// (`5;`, `5;bad[=x`, or `5 `, whitespace with no extension after it): the whole
    /// line, escaped.
    InvalidChunkExtension(String),
    /// A chunk-size line longer than the bound on what is buffered for it.
    ChunkLineTooLong {
        /// The bound, in bytes.
        limit: usize,
    },
    /// Chunk data not followed by CRLF: longer than its size said.
    ChunkDataOverrun,
    /// A trailer section larger than the bound on what is buffered for it.
    TrailerTooLarge {
        /// The bound, in bytes.
        limit: usize,
    },
    /// A trailer line that ends in a bare LF.
    TrailerLineEnding,
    /// A trailer line that is not a field line.
    TrailerField,
}

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Malformed::HeaderName => f.write_str(
                "invalid header name (a character that is not allowed in a field name, \
                 whitespace before the colon, or a line folded onto the previous one)",
            ),
            Malformed::HeaderValue => f.write_str("invalid header value (a control character)"),
            Malformed::LineEnding => f.write_str("invalid line ending (a CR not followed by LF)"),
            Malformed::RequestLine => f.write_str(
                "invalid token in request line (it must be method SP target SP version, \
                 separated by single spaces, with no control characters)",
            ),
            Malformed::Version(shown) => write!(f, "invalid HTTP version {shown:?}"),
            Malformed::SpaceInTarget(shown) => write!(
                f,
                "invalid request line (more than two spaces; a space in the target?): {shown:?}"
            ),
            Malformed::NotATarget => f.write_str(
                "request target must start with '/' or be an absolute URI like http://host/",
            ),
            Malformed::AsteriskWithoutOptions(method) => {
                write!(f, "request target '*' is only for OPTIONS, not {method}")
            }
            Malformed::Fragment => f.write_str("request target must not contain a fragment ('#')"),
            Malformed::NonAsciiTarget(target) => write!(
                f,
                "request target '{target}' is not ASCII (percent-encode other bytes, e.g. %C3%A9)"
            ),
            Malformed::LengthAndCoding => f.write_str(
                "both Content-Length and Transfer-Encoding (the body's length is ambiguous)",
            ),
            Malformed::InvalidContentLength(value) => write!(
                f,
                "invalid Content-Length {value:?} (it must be decimal digits only)"
            ),
            Malformed::ConflictingContentLength => f.write_str("conflicting Content-Length values"),
            Malformed::CodingInHttp10 => f.write_str("Transfer-Encoding in an HTTP/1.0 request"),
            Malformed::EmptyTransferEncoding => f.write_str("empty Transfer-Encoding"),
            Malformed::ChunkedTwice => f.write_str("chunked applied more than once"),
            Malformed::ChunkedNotLast(value) => write!(
                f,
                "Transfer-Encoding \"{value}\" does not end with chunked (the body's length cannot be determined)"
            ),
            Malformed::InvalidChunkSize(line) => write!(f, "invalid chunk size {line:?}"),
            Malformed::InvalidChunkExtension(line) => write!(
                f,
                "invalid chunk extension in \"{line}\" (it must be ;name or ;name=value, \
                 the name a token, the value a token or a quoted string)"
            ),
            Malformed::ChunkLineTooLong { limit } => {
                write!(f, "chunk-size line longer than {limit} bytes")
            }
            Malformed::ChunkDataOverrun => {
                f.write_str("chunk data not followed by CRLF (longer than its size)")
            }
            Malformed::TrailerTooLarge { limit } => {
                write!(f, "trailer section larger than {limit} bytes")
            }
            Malformed::TrailerLineEnding => f.write_str("trailer line does not end with CRLF"),
            Malformed::TrailerField => f.write_str("invalid trailer field"),
        }
    }
}

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
        reason: PatternError,
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
            // The message already says what the OS said, or why the pattern is refused,
            // in words a user can act on; chaining the cause as well would only repeat it.
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
