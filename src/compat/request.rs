//! One request, as Django and Starlette would each see it and answer it, given the
//! pattern list hostecho was given: what `hostecho check --compare` prints and what
//! the server's `--compare` adds to every echo and every refusal's log line.

use std::borrow::Cow;
use std::net::IpAddr;

use super::{Verdict, django, latin1, starlette};
use crate::host::{Facts, HostPolicy};

/// Django's and Starlette's answers for one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answers {
    /// Django's `HttpRequest.get_host()`, `DEBUG` as asked.
    pub django: Verdict,
    /// Starlette's `TrustedHostMiddleware`.
    pub starlette: Verdict,
}

/// Whether a framework lets the request through, and its message when it does not
/// (a redirect's names where it goes).
pub fn verdict_parts(verdict: &Verdict) -> (bool, Option<Cow<'_, str>>) {
    (verdict.is_allowed(), verdict.message())
}

/// A verdict in a few words for a log line or an echo: `allowed`, `refused
/// (MESSAGE)` or `redirect (307 Temporary Redirect to URL)`. The message is the framework's, and quotes the client's value as
/// Latin-1 text, so anything but printable ASCII in it is escaped (`\u{e9}`): a log
/// line stays one line of plain text.
pub fn describe(verdict: &Verdict) -> String {
    match verdict_parts(verdict) {
        (true, _) => "allowed".to_string(),
        (false, message) => {
            let mut out = format!("{} (", verdict.word());
            for c in message.unwrap_or_default().chars() {
                if c == ' ' || c.is_ascii_graphic() {
                    out.push(c);
                } else {
                    out.extend(c.escape_unicode());
                }
            }
            out.push(')');
            out
        }
    }
}

/// Both frameworks' answers for the request `facts` describe, with the patterns
/// `policy` was given (or, when none were, each framework's own default: `[]` for
/// Django, `None` — read as `["*"]` — for Starlette), and Django's
/// `USE_X_FORWARDED_HOST` set as hostecho's `--use-x-forwarded-host`.
pub fn answers(policy: &HostPolicy, facts: &Facts<'_>, django_debug: bool) -> Answers {
    let given = (!policy.uses_defaults()).then(|| policy.patterns());
    Answers {
        django: as_django(policy, facts, given.unwrap_or(&[]), django_debug),
        starlette: as_starlette(facts, given),
    }
}

/// Django behind a WSGI server: repeated headers reach `environ` joined with `,`
/// (as gunicorn joins them), and `X-Forwarded-Host` is read from any peer when
/// `USE_X_FORWARDED_HOST` is on.
fn as_django(
    policy: &HostPolicy,
    facts: &Facts<'_>,
    allowed_hosts: &[String],
    debug: bool,
) -> Verdict {
    let joined = |name: &str| -> Option<String> {
        let values: Vec<String> = facts
            .headers
            .iter()
            .filter(|h| h.is(name))
            .map(|h| latin1(h.value))
            .collect();
        (!values.is_empty()).then(|| values.join(","))
    };
    let http_host = joined("host");
    let http_x_forwarded_host = joined("x-forwarded-host");
    let server_name = match facts.local.ip() {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => format!("[{v6}]"),
    };
    let server_port = facts.local.port().to_string();
    django::get_host(
        &django::Environ {
            http_host: http_host.as_deref(),
            http_x_forwarded_host: http_x_forwarded_host.as_deref(),
            server_name: &server_name,
            server_port: &server_port,
        },
        &django::Settings {
            allowed_hosts,
            debug,
            use_x_forwarded_host: policy.options().use_x_forwarded_host,
        },
    )
}

/// Starlette behind an ASGI server: the first `Host` header, nothing else.
fn as_starlette(facts: &Facts<'_>, given: Option<&[String]>) -> Verdict {
    let host = facts
        .headers
        .iter()
        .find(|h| h.is("host"))
        .map(|h| latin1(h.value));
    starlette::trusted_host(host.as_deref(), given, facts.local)
}
