//! The exchange: what hostecho answers to one request, decided without any I/O.
//!
//! A connection ([`crate::server::connection`]) moves bytes: it frames requests out of
//! what it reads, and writes out the responses it is given. What those responses *are*
//! is decided here, in two steps, as mini-redis keeps its `Connection` (frames in,
//! frames out) apart from the commands that act on them:
//!
//! ```text
//! framed head ──admit──▶ ValidHost ──(body read)──respond──▶ Response (the echo)
//!       │                    │
//!       └── error ───────────┴──refuse──▶ Response (400, 408, 413, …)
//! ```
//!
//! 1. [`admit`] decides the Host of a complete head, *before* its body is read: a
//!    request for a host hostecho does not serve is refused at once, without uploading
//!    anything (and without the `100 Continue` that would invite the upload).
//! 2. [`respond`] turns an admitted request, body and all, into the echo: it picks the
//!    format from `Accept`, renders, and carries the persistence framing decided. A
//!    browser's `GET /favicon.ico` gets a quiet `204 No Content` instead.
//! 3. [`refuse`] turns anything a client got wrong, framing or Host, into its error
//!    response, which always closes the connection.
//!
//! Nothing here reads a socket or a clock, so every path through it is unit-tested
//! without one, and the whole-path benchmark calls it directly.

use std::net::SocketAddr;

use crate::compat;
use crate::echo::{self, Echo};
use crate::error::RequestError;
use crate::health::HealthPath;
use crate::host::{Facts, HostPolicy, ValidHost};
use crate::http::{BodyKind, Head, Persistence, Request, Response};

/// The two ends of the connection a request arrived on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Endpoints {
    /// The client's address (or the proxy's, behind one).
    pub peer: SocketAddr,
    /// The address of the socket that accepted the connection.
    pub local: SocketAddr,
}

/// Decides whether hostecho answers for the host this head names.
///
/// The allowed host borrows from the head and the policy, so that admitting a request
/// allocates nothing ([`crate::host`]); it lives as long as the shorter of the two.
/// The error is [`RequestError::Host`], whose message says why, Django-style.
pub fn admit<'a>(
    head: &'a Head,
    at: Endpoints,
    policy: &'a HostPolicy,
) -> Result<ValidHost<'a>, RequestError> {
    let facts = Facts {
        version: head.version(),
        absolute_authority: head.target().absolute_authority(),
        headers: head.fields(),
        peer: at.peer,
        local: at.local,
    };
    let mut decision = policy.decide(&facts);
    if policy.options().compare {
        // Off by default: the two models allocate, and only --compare asks for them.
        let answers = Some(Box::new(compat::answers(policy, &facts, false)));
        match &mut decision {
            Ok(valid) => valid.compared = answers,
            Err(rejection) => rejection.compared = answers,
        }
    }
    decision.map_err(RequestError::Host)
}

/// Whether this head is a load balancer's health check: a `GET` or `HEAD` of exactly
/// `--health-path`, without a body ([`HealthPath::matches`]). Decided *before*
/// [`admit`], whatever the Host: the answer ([`health_answer`]) is a constant, so the
/// Host cannot be abused through it ([`crate::health`]).
pub fn is_health_check(head: &Head, body: BodyKind, health_path: Option<&HealthPath>) -> bool {
    health_path.is_some_and(|path| path.matches(head, body))
}

/// The answer to a health check, `200` and `ok`, written into `buffer` as
/// [`respond_into`] writes the echo, so that answering allocates nothing once the
/// buffer is lent back and forth.
pub fn health_answer(head: &Head, persistence: Persistence, buffer: Vec<u8>) -> Response {
    HealthPath::answer(head, persistence, buffer)
}

/// The echo of an admitted request, in the format its `Accept` asks for.
pub fn respond(
    request: &Request,
    host: &ValidHost<'_>,
    persistence: Persistence,
    at: Endpoints,
) -> Response {
    respond_into(request, host, persistence, at, Vec::new())
}

/// [`respond`], with the body rendered into `buffer` rather than a new `Vec`.
///
/// The response's body *is* `buffer`, emptied and then filled (left empty for the
/// favicon's 204), so a caller can take it back from [`Response::body`] once the
/// response is written, and pass it in again with the next request: the echo then
/// costs no allocation once the buffer has grown to the size of the echoes.
pub fn respond_into(
    request: &Request,
    host: &ValidHost,
    persistence: Persistence,
    at: Endpoints,
    mut buffer: Vec<u8>,
) -> Response {
    let head = &request.head;
    let target = head.target();
    let path = target.decoded_path();
    if is_favicon(head, &path) {
        buffer.clear();
        return Response {
            body: buffer,
            ..Response::no_content(persistence)
        };
    }
    let format = echo::accept::negotiate(head.values("accept"));
    // The answer to a `HEAD` carries the headers a `GET` would have had, and "MUST NOT
    // send Content-Length … unless its field value equals the decimal number of octets
    // that would have been sent in the content of a response if the same request had
    // used the GET method" (RFC 9110 §8.6, §9.3.2). The echo shows the method and the
    // request line, so a `HEAD` is measured by the echo of the same request as a `GET`.
    let as_get;
    let shown = if head.is_head() {
        as_get = Request {
            head: head.as_get(),
            body: request.body.clone(),
        };
        &as_get
    } else {
        request
    };
    let echo = Echo {
        request: shown,
        allowed: host,
        peer: at.peer,
        local: at.local,
        path: &path,
        query: target.query_pairs(),
        form: request.form(),
    };
    Response::ok(
        format.content_type(),
        echo::render(format, &echo, buffer),
        persistence,
    )
    .for_head(head.is_head())
}

/// Whether this is a browser asking for the site's icon: `GET` or `HEAD` of
/// `/favicon.ico`. Browsers ask on every visit to a new page, unprompted; echoing it
/// would log a second request for each one the learner made, and show them nothing.
/// A 204 answers it, and [`Response::quiet`] keeps it out of the access log at info.
fn is_favicon(head: &Head, path: &str) -> bool {
    matches!(head.method(), "GET" | "HEAD") && path == "/favicon.ico"
}

/// The response to a request hostecho will not echo. `head` is the request's head
/// when it got that far: the answer to a `HEAD` never carries a body, not even an
/// error's (RFC 9110 §9.3.2), or the client would take it for the next response.
pub fn refuse(err: &RequestError, head: Option<&Head>) -> Response {
    Response::for_request_error(err).for_head(head.is_some_and(Head::is_head))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Malformed;
    use crate::host::{HostSource, PolicyOptions, RejectionKind};
    use crate::http::Body;
    use crate::http::framing::{self, Limits};
    use crate::http::{FramedHead, Status};

    fn at() -> Endpoints {
        Endpoints {
            peer: "127.0.0.1:50000".parse().unwrap(),
            local: "127.0.0.1:8090".parse().unwrap(),
        }
    }

    fn framed(bytes: &[u8]) -> FramedHead {
        match framing::parse_head(bytes, &Limits::default()) {
            Ok(Some((framed, _))) => framed,
            other => panic!("{other:?}"),
        }
    }

    fn default_policy() -> HostPolicy {
        HostPolicy::new(PolicyOptions::default()).unwrap()
    }

    /// The whole exchange for a request without a body, as the connection runs it.
    /// The request is put together first: the allowed host borrows from its head.
    fn exchange(bytes: &[u8]) -> Response {
        let framed = framed(bytes);
        let request = Request {
            head: framed.head,
            body: Body::default(),
        };
        let policy = default_policy();
        match admit(&request.head, at(), &policy) {
            Ok(host) => respond(&request, &host, framed.persistence, at()),
            Err(err) => refuse(&err, Some(&request.head)),
        }
    }

    #[test]
    fn admits_an_allowed_host_and_refuses_others_with_the_policy_s_reason() {
        let policy = default_policy();
        let head = framed(b"GET / HTTP/1.1\r\nHost: localhost:8090\r\n\r\n").head;
        let host = admit(&head, at(), &policy).unwrap();
        assert_eq!(
            (host.host.to_string(), host.port),
            ("localhost".into(), Some(8090))
        );
        let head = framed(b"GET / HTTP/1.1\r\nHost: evil.example\r\n\r\n").head;
        match admit(&head, at(), &policy) {
            Err(RequestError::Host(rejection)) => {
                assert_eq!(rejection.kind, RejectionKind::NotAllowed)
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_absolute_form_target_names_the_host_instead_of_host() {
        let policy = default_policy();
        // Host alone would be allowed: the refusal is the target's authority's.
        let head = framed(b"GET http://evil.example/ HTTP/1.1\r\nHost: localhost\r\n\r\n").head;
        match admit(&head, at(), &policy) {
            Err(RequestError::Host(rejection)) => {
                assert_eq!(
                    (rejection.kind, rejection.source),
                    (RejectionKind::NotAllowed, Some(HostSource::AbsoluteForm))
                );
                assert_eq!(
                    rejection.message,
                    "Invalid HTTP_HOST header: 'evil.example' (from the request target). \
                     You may need to add 'evil.example' to --allowed-hosts."
                );
            }
            other => panic!("{other:?}"),
        }
        let head =
            framed(b"GET http://localhost:8090/ HTTP/1.1\r\nHost: evil.example\r\n\r\n").head;
        let host = admit(&head, at(), &policy).unwrap();
        assert_eq!(
            (host.host.to_string(), host.port, host.source),
            ("localhost".into(), Some(8090), HostSource::AbsoluteForm)
        );
    }

    #[test]
    fn echoes_in_the_format_accept_asks_for() {
        let cases: &[(&str, &str)] = &[
            ("*/*", "text/plain; charset=utf-8"),
            ("application/json", "application/json"),
            ("text/html,*/*;q=0.8", "text/html; charset=utf-8"),
        ];
        for (accept, content_type) in cases {
            let request =
                format!("GET /?a=1 HTTP/1.1\r\nHost: localhost\r\nAccept: {accept}\r\n\r\n");
            let response = exchange(request.as_bytes());
            assert_eq!(response.status, Status::OK);
            assert_eq!(response.content_type, Some(*content_type), "{accept}");
        }
    }

    #[test]
    fn the_echo_carries_the_persistence_framing_decided() {
        let cases: &[(&[u8], Persistence)] = &[
            (
                b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n",
                Persistence::Implied,
            ),
            (
                b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
                Persistence::Close,
            ),
            (
                b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
                Persistence::KeepAlive,
            ),
        ];
        for (bytes, persistence) in cases {
            assert_eq!(exchange(bytes).persistence, *persistence);
        }
    }

    #[test]
    fn a_head_request_gets_no_body_whether_echoed_or_refused() {
        let echoed = exchange(b"HEAD / HTTP/1.1\r\nHost: localhost\r\n\r\n");
        assert_eq!((echoed.status, echoed.omit_body), (Status::OK, true));
        assert!(!echoed.body.is_empty(), "the length of the body a GET gets");
        let refused = exchange(b"HEAD / HTTP/1.1\r\nHost: evil.example\r\n\r\n");
        assert_eq!(
            (refused.status, refused.omit_body),
            (Status::BAD_REQUEST, true)
        );
    }

    /// RFC 9110 §8.6: a `HEAD`'s `Content-Length` is the one its `GET` would carry. The
    /// echo names the method, so the `HEAD`'s is the `GET`'s echo, byte for byte.
    #[test]
    fn a_head_is_measured_by_the_echo_its_get_would_have() {
        for accept in ["text/plain", "application/json", "text/html"] {
            let request = |method: &str| {
                format!("{method} /x?a=1 HTTP/1.1\r\nHost: localhost\r\nAccept: {accept}\r\n\r\n")
            };
            let get = exchange(request("GET").as_bytes());
            let head = exchange(request("HEAD").as_bytes());
            assert_eq!(head.body, get.body, "{accept}");
            assert!(head.omit_body && !get.omit_body);
        }
    }

    #[test]
    fn favicon_gets_a_quiet_204_and_other_paths_the_echo() {
        let icon = exchange(b"GET /favicon.ico HTTP/1.1\r\nHost: localhost\r\n\r\n");
        assert_eq!((icon.status, icon.quiet), (Status::NO_CONTENT, true));
        assert!(icon.body.is_empty());
        let head = exchange(b"HEAD /favicon.ico HTTP/1.1\r\nHost: localhost\r\n\r\n");
        assert_eq!(head.status, Status::NO_CONTENT);
        for other in [
            &b"GET /favicon.ico.bak HTTP/1.1\r\nHost: localhost\r\n\r\n"[..],
            b"GET /static/favicon.ico HTTP/1.1\r\nHost: localhost\r\n\r\n",
            b"DELETE /favicon.ico HTTP/1.1\r\nHost: localhost\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n",
        ] {
            let r = exchange(other);
            assert_eq!((r.status, r.quiet), (Status::OK, false));
        }
        // The Host is checked first, as for any request.
        let refused = exchange(b"GET /favicon.ico HTTP/1.1\r\nHost: evil.example\r\n\r\n");
        assert_eq!(refused.status, Status::BAD_REQUEST);
        assert!(!refused.quiet);
    }

    #[test]
    fn respond_into_answers_as_respond_does_in_the_buffer_it_is_given() {
        let policy = default_policy();
        for (bytes, what) in [
            (
                &b"GET /?a=1 HTTP/1.1\r\nHost: localhost\r\n\r\n"[..],
                "an echo",
            ),
            (
                b"GET /favicon.ico HTTP/1.1\r\nHost: localhost\r\n\r\n",
                "the favicon's 204, with an empty body whatever the buffer held",
            ),
        ] {
            let framed = framed(bytes);
            let request = Request {
                head: framed.head,
                body: Body::default(),
            };
            let host = admit(&request.head, at(), &policy).unwrap();
            let fresh = respond(&request, &host, framed.persistence, at());
            let mut buffer = Vec::with_capacity(64 * 1024);
            buffer.extend_from_slice(b"what the last echo left");
            let allocation = buffer.as_ptr();
            let reused = respond_into(&request, &host, framed.persistence, at(), buffer);
            assert_eq!(reused, fresh, "{what}");
            assert_eq!(reused.body.as_ptr(), allocation, "{what}: the same buffer");
        }
    }

    #[test]
    fn a_form_body_is_decoded_for_the_echo() {
        let framed = framed(
            b"POST / HTTP/1.1\r\nHost: localhost\r\nAccept: application/json\r\n\
              Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 7\r\n\r\n",
        );
        let request = Request {
            head: framed.head,
            body: Body::whole(b"a=1&b=2".to_vec()),
        };
        let policy = default_policy();
        let host = admit(&request.head, at(), &policy).unwrap();
        let response = respond(&request, &host, framed.persistence, at());
        let json: serde_json::Value = serde_json::from_slice(&response.body).unwrap();
        assert_eq!(json["form"], serde_json::json!([["a", "1"], ["b", "2"]]));
    }

    #[test]
    fn a_refusal_closes_and_names_the_problem() {
        let err = RequestError::Malformed(Malformed::Fragment);
        let response = refuse(&err, None);
        assert_eq!(response.status, Status::BAD_REQUEST);
        assert_eq!(response.persistence, Persistence::Close);
        assert!(!response.omit_body);
        assert_eq!(
            response.body,
            b"malformed request: request target must not contain a fragment ('#')\n"
        );
    }

    #[test]
    fn a_health_check_is_answered_before_the_host_and_only_with_a_health_path() {
        let path = HealthPath::parse("/healthz").unwrap();
        let check = framed(b"GET /healthz HTTP/1.1\r\nHost: evil.example\r\n\r\n");
        // The Host alone would be refused...
        assert!(admit(&check.head, at(), &default_policy()).is_err());
        // ...but the health path is decided first, and answered with the constant.
        assert!(is_health_check(&check.head, check.body, Some(&path)));
        assert!(!is_health_check(&check.head, check.body, None));
        let response = health_answer(&check.head, check.persistence, b"old echo".to_vec());
        assert_eq!(
            (response.status, &response.body[..]),
            (Status::OK, &b"ok\n"[..])
        );
        let other = framed(b"GET /healthz?x HTTP/1.1\r\nHost: evil.example\r\n\r\n");
        assert!(!is_health_check(&other.head, other.body, Some(&path)));
    }
}
