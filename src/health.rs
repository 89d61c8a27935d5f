//! `--health-path`: the one request hostecho answers without checking its Host.
//!
//! Load balancers and orchestrators ask every backend, every few seconds, whether it
//! is alive, and most of them ask in a way a Host check refuses. HAProxy's
//! `option httpchk` sends `OPTIONS / HTTP/1.0` with no header at all; Apache's
//! `mod_proxy_hcheck` and Caddy's `health_uri` send the backend's own address as Host;
//! AWS target groups send the target's private IP, Kubernetes probes the pod's IP. A
//! Django or Starlette application refuses all of them with a 400, and the balancer
//! takes it out of service. (The book's chapter on health checks has the measurements
//! and the sources.)
//!
//! With `--health-path /healthz`, a `GET` or `HEAD` of exactly `/healthz` — no query,
//! any Host or none, any HTTP version — is answered `200` with the constant body
//! [`BODY`], *before* the Host is looked at. Every other request is checked as before,
//! `/healthz/x` and `/healthz?x` included: the exception is one exact target.
//!
//! # Why only a constant answer may skip the Host check
//!
//! The Host check exists because an application *uses* the Host: it builds links,
//! redirects and cache keys from it ([`crate::host`] has the attacks). An answer that
//! is the same bytes whatever the request says uses nothing from it: an attacker who
//! sends `Host: evil.example` to the health path learns that the server is up, which
//! the TCP handshake told them already, and gets no link, no redirect and no cache
//! entry built from their Host. The moment the answer depends on the request (echoing
//! it, naming the host, redirecting), it is an ordinary page and needs the check. That
//! is why this answer is a constant here, and why a health endpoint that reports
//! details (versions, dependencies) belongs behind the Host check, or on a port only
//! the balancer can reach.
//!
//! A request with a body, or with a target that is not exactly the path (a query, a
//! `#`, percent-encoding, absolute form), is not a health check: it goes through the
//! Host check like any other, so no request that carries anything is answered blind.

use std::fmt;

use crate::http::framing::BodyKind;
use crate::http::response::TEXT_PLAIN;
use crate::http::{Head, Persistence, Response};

/// The body of every answer on the health path: says the server is up, and nothing
/// about the request.
pub const BODY: &[u8] = b"ok\n";

/// The longest health path accepted: a path, not a document.
pub const MAX_LEN: usize = 256;

/// A validated `--health-path`: an origin-form path of unreserved characters and
/// sub-delimiters, compared byte for byte with the request target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HealthPath(String);

/// Why a `--health-path` value was refused. `Display` gives the reason, for the
/// one-line start-up error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HealthPathError {
    /// Does not start with `/`: a request target in origin form always does.
    NotAbsolute,
    /// `/` alone would take the site's root page out of the Host check.
    Root,
    /// Longer than [`MAX_LEN`].
    TooLong,
    /// A `?` or `#`: the path is matched without a query, and a fragment is never sent.
    QueryOrFragment,
    /// A `.` or `..` segment, or an empty one (`//`): paths that clients and proxies
    /// may normalise, so the request would not be the bytes configured.
    Segment,
    /// A byte outside RFC 3986's `pchar` without percent-encoding (spaces, controls,
    /// non-ASCII, `%`): such a path cannot be sent as it is written.
    Character(char),
}

impl fmt::Display for HealthPathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HealthPathError::NotAbsolute => f.write_str("must start with /"),
            HealthPathError::Root => {
                f.write_str("must not be / alone, which would exempt the whole site's root")
            }
            HealthPathError::TooLong => write!(f, "is longer than {MAX_LEN} bytes"),
            HealthPathError::QueryOrFragment => {
                f.write_str("must be a path alone, without ? or # (a query is never matched)")
            }
            HealthPathError::Segment => {
                f.write_str("must not contain empty, . or .. segments (//, /./, /../)")
            }
            HealthPathError::Character(c) => write!(
                f,
                "contains {c:?}; use letters, digits and - . _ ~ ! $ & ' ( ) * + , ; = : @ /"
            ),
        }
    }
}

impl std::error::Error for HealthPathError {}

impl HealthPath {
    /// Checks a `--health-path` value.
    pub fn parse(value: &str) -> Result<HealthPath, HealthPathError> {
        let Some(rest) = value.strip_prefix('/') else {
            return Err(HealthPathError::NotAbsolute);
        };
        if rest.is_empty() {
            return Err(HealthPathError::Root);
        }
        if value.len() > MAX_LEN {
            return Err(HealthPathError::TooLong);
        }
        if let Some(c) = value.chars().find(|&c| !is_path_char(c)) {
            return Err(match c {
                '?' | '#' => HealthPathError::QueryOrFragment,
                other => HealthPathError::Character(other),
            });
        }
        if rest
            .split('/')
            .any(|s| s.is_empty() || s == "." || s == "..")
        {
            return Err(HealthPathError::Segment);
        }
        Ok(HealthPath(value.to_owned()))
    }

    /// The path, as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this request is a health check: `GET` or `HEAD`, a target that is
    /// exactly the path, and no body. The version and every header, Host included,
    /// are not looked at.
    pub fn matches(&self, head: &Head, body: BodyKind) -> bool {
        matches!(head.method(), "GET" | "HEAD")
            && head.raw_target() == self.0
            && body == BodyKind::None
    }

    /// The answer to a health check: `200`, [`BODY`], with the persistence framing
    /// decided; nothing in it comes from the request (the head only says whether it
    /// was a `HEAD`, which leaves the body out). The body is written into `buffer`,
    /// emptied first, so that a caller that lends the same buffer every time (the
    /// connection's spare, as for the echo) allocates nothing. Logged at debug
    /// ([`Response::quiet`]): a balancer asks every few seconds, and the access log is
    /// for the requests being studied.
    pub fn answer(head: &Head, persistence: Persistence, mut buffer: Vec<u8>) -> Response {
        buffer.clear();
        buffer.extend_from_slice(BODY);
        Response {
            quiet: true,
            ..Response::ok(TEXT_PLAIN, buffer, persistence)
        }
        .for_head(head.is_head())
    }
}

/// RFC 3986 §3.3 `pchar` without `pct-encoded`, plus `/`: unreserved, sub-delims,
/// `:` and `@`.
fn is_path_char(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(
            c,
            '-' | '.'
                | '_'
                | '~'
                | '!'
                | '$'
                | '&'
                | '\''
                | '('
                | ')'
                | '*'
                | '+'
                | ','
                | ';'
                | '='
                | ':'
                | '@'
                | '/'
        )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::framing::{self, Limits};

    fn head(bytes: &[u8]) -> (Head, BodyKind) {
        match framing::parse_head(bytes, &Limits::default()) {
            Ok(Some((framed, _))) => (framed.head, framed.body),
            other => panic!("{other:?}"),
        }
    }

    fn is_check(bytes: &[u8]) -> bool {
        let (head, body) = head(bytes);
        HealthPath::parse("/healthz").unwrap().matches(&head, body)
    }

    #[test]
    fn accepts_paths_a_balancer_can_send_as_written() {
        for ok in [
            "/healthz",
            "/health/live",
            "/-/ready",
            "/status:ok",
            "/a.b_c~d",
        ] {
            assert_eq!(HealthPath::parse(ok).unwrap().as_str(), ok);
        }
    }

    #[test]
    fn refuses_what_would_not_be_matched_byte_for_byte() {
        use HealthPathError::*;
        let long = format!("/{}", "a".repeat(MAX_LEN));
        for (value, why) in [
            ("healthz", NotAbsolute),
            ("", NotAbsolute),
            ("/", Root),
            (long.as_str(), TooLong),
            ("/healthz?full=1", QueryOrFragment),
            ("/healthz#x", QueryOrFragment),
            ("/health//z", Segment),
            ("/healthz/", Segment),
            ("/./healthz", Segment),
            ("/a/../healthz", Segment),
            ("/health z", Character(' ')),
            ("/health%7a", Character('%')),
            ("/santé", Character('é')),
            ("/a\tb", Character('\t')),
        ] {
            assert_eq!(HealthPath::parse(value), Err(why), "{value:?}");
        }
    }

    #[test]
    fn every_refusal_names_the_problem_in_one_line() {
        for value in ["x", "/", "/a?b", "/a//b", "/a b"] {
            let why = HealthPath::parse(value).unwrap_err().to_string();
            assert!(!why.is_empty() && !why.contains('\n'), "{value:?}: {why}");
        }
    }

    #[test]
    fn get_and_head_of_exactly_the_path_are_checks_with_any_host_or_none() {
        assert!(is_check(
            b"GET /healthz HTTP/1.1\r\nHost: evil.example\r\n\r\n"
        ));
        assert!(is_check(
            b"HEAD /healthz HTTP/1.1\r\nHost: 10.0.0.7:8091\r\n\r\n"
        ));
        assert!(is_check(b"GET /healthz HTTP/1.0\r\n\r\n"));
        // Two Host lines would be refused by the Host check; a constant answer reveals
        // nothing either way.
        assert!(is_check(
            b"GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"
        ));
    }

    #[test]
    fn anything_else_goes_through_the_host_check() {
        for other in [
            &b"GET /healthz/x HTTP/1.1\r\nHost: a\r\n\r\n"[..],
            b"GET /healthz? HTTP/1.1\r\nHost: a\r\n\r\n",
            b"GET /healthz?x HTTP/1.1\r\nHost: a\r\n\r\n",
            b"GET /healthzz HTTP/1.1\r\nHost: a\r\n\r\n",
            b"GET /Healthz HTTP/1.1\r\nHost: a\r\n\r\n",
            b"GET /health%7a HTTP/1.1\r\nHost: a\r\n\r\n",
            b"GET http://a/healthz HTTP/1.1\r\nHost: a\r\n\r\n",
            b"OPTIONS /healthz HTTP/1.0\r\n\r\n",
            b"POST /healthz HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n",
            b"GET /healthz HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi",
        ] {
            assert!(!is_check(other), "{}", String::from_utf8_lossy(other));
        }
    }

    #[test]
    fn the_answer_is_the_same_bytes_whatever_the_request() {
        let (quiet, _) = head(b"GET /healthz HTTP/1.0\r\n\r\n");
        let (loud, _) =
            head(b"GET /healthz HTTP/1.1\r\nHost: evil.example\r\nX-Forwarded-Host: x\r\n\r\n");
        let a = HealthPath::answer(&quiet, Persistence::Close, Vec::new());
        let b = HealthPath::answer(&loud, Persistence::Close, b"left over".to_vec());
        assert_eq!((a.status, &a.body[..]), (b.status, BODY));
        assert!(a.quiet);
        let (head_request, _) = head(b"HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
        assert!(HealthPath::answer(&head_request, Persistence::Implied, Vec::new()).omit_body);
    }
}
