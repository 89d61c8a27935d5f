//! `hostecho check`: the Host policy without a socket, one verdict per value, with
//! the reason.
//!
//! ```text
//! $ hostecho check --allowed-hosts '.example.com,*.example.org' example.com example.com:evil
//! example.com       allowed  host=example.com port=- source=Host matched=.example.com
//! example.com:evil  refused  Invalid HTTP_HOST header: 'example.com:evil'. The domain name provided is not valid according to RFC 1034/1035.
//! ```
//!
//! Each value is the `Host` header of one HTTP/1.1 request from a loopback peer,
//! decided by the very [`HostPolicy::decide`] the server runs, so what `check` says
//! is what the server would do: allowed, with the normalised host and port, where
//! the host came from and which pattern allowed it; or refused, with the message
//! the server would send. The request around the value can be shaped like a real
//! one ([`RequestShape`]: peer, extra headers such as `X-Forwarded-Host`, an
//! absolute-form target, HTTP/1.0, no `Host` at all), so `check` also shows which
//! source counted.
//!
//! With `--compare`, the same request goes through the models of Django's and
//! Starlette's checks in [`crate::compat`], given the same pattern list.
//!
//! A verdict carries the decision's hint when one applies ([`crate::host::hint`]):
//! after the message in text, as `"hint"` in JSON. `--explain` tells one decision step
//! by step ([`crate::host::explain`]), and `--from-log` decides each value a log's
//! refusals name ([`crate::refusal_log`], [`Checker::log_rows`]).
//!
//! This module is pure: it decides, renders lines and picks the exit status
//! ([`exit_status`]). Reading arguments and stdin, and printing, live in `main.rs`.

use std::borrow::Cow;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use serde::Serialize;

use crate::compat::{self, Verdict};
use crate::host::{Facts, Hint, HostPolicy, HostSource, PolicyOptions, Rejection, ValidHost};
use crate::http::request::{Fields, Header, Version};
use crate::http::target::Target;
use crate::refusal_log::{Proposal, Refused, Row, Tally};

/// The peer `check` pretends a request comes from, unless `--peer` says otherwise.
pub const DEFAULT_PEER: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// The address `check` pretends accepted the connection, unless `--local` says
/// otherwise: the server's default bind address.
pub const DEFAULT_LOCAL: &str = crate::config::DEFAULT_BIND;

/// Exit status when every value is allowed.
pub const EXIT_ALL_ALLOWED: u8 = 0;
/// Exit status when at least one value is refused.
pub const EXIT_SOME_REFUSED: u8 = 1;
/// Exit status for bad arguments: a bad pattern, header, address or target.
pub const EXIT_BAD_ARGUMENTS: u8 = 2;

/// The request each value is put into, as the server would have framed it.
#[derive(Clone, Debug)]
pub struct RequestShape {
    /// HTTP/1.1 unless `--http10`.
    pub version: Version,
    /// The request target; an absolute-form one (`http://a.example/`) names the host.
    pub target: String,
    /// Headers besides the value's own `Host`, in order (`--header`).
    pub headers: Vec<Header>,
    /// The client's address (`--peer`): it decides whether forwarding headers count.
    pub peer: IpAddr,
    /// The accepting socket's address (`--local`): the host of last resort.
    pub local: SocketAddr,
}

impl Default for RequestShape {
    fn default() -> Self {
        RequestShape {
            version: Version::Http11,
            target: "/".to_string(),
            headers: Vec::new(),
            peer: DEFAULT_PEER,
            // The default bind address is a valid socket address.
            local: DEFAULT_LOCAL
                .parse()
                .unwrap_or(SocketAddr::from((Ipv4Addr::LOCALHOST, 8090))),
        }
    }
}

/// Everything `check` needs besides the values.
#[derive(Clone, Debug, Default)]
pub struct CheckOptions {
    /// The server's Host policy options: `--allowed-hosts`, `--use-x-forwarded-host`,
    /// `--trusted-proxies`.
    pub policy: PolicyOptions,
    /// The request around each value.
    pub request: RequestShape,
    /// `--compare`: also answer as Django and Starlette would.
    pub compare: bool,
    /// `--django-debug`: Django with `DEBUG = True` (its defaults for an empty list).
    pub django_debug: bool,
}

/// Why `check` cannot run. `Display` gives the one line printed before exit status 2.
#[derive(Debug)]
pub enum CheckError {
    /// A pattern the server would refuse at start.
    Policy(crate::Error),
    /// A `--header` that is not `Name: value`.
    Header(String),
    /// No values were given (and `--no-host` was not).
    NoValues,
}

impl fmt::Display for CheckError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CheckError::Policy(e) => write!(f, "{e}"),
            CheckError::Header(h) => write!(
                f,
                "invalid --header {h:?}: expected 'Name: value', with a name of letters, \
                 digits and '-'"
            ),
            CheckError::NoValues => f.write_str(
                "no values to check: give Host values as arguments, '-' to read them from \
                 stdin, or --no-host",
            ),
        }
    }
}

impl std::error::Error for CheckError {}

/// Parses `--header 'Name: value'`. The name must be a token of letters, digits and
/// `-` (the header names anyone passes here); spaces around the value are dropped, as
/// a server drops them (RFC 9110 §5.5).
pub fn parse_header(raw: &str) -> Result<Header, CheckError> {
    let bad = || CheckError::Header(raw.to_string());
    let (name, value) = raw.split_once(':').ok_or_else(bad)?;
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return Err(bad());
    }
    Ok(Header {
        name: name.to_string(),
        value: value.trim_matches([' ', '\t']).as_bytes().to_vec(),
    })
}

/// Splits stdin into values: one per line, `\n` or `\r\n`. A last line without its
/// newline counts; the empty piece after a final newline does not, so an empty
/// line in the middle is an empty `Host`.
pub fn split_lines(input: &[u8]) -> Vec<Vec<u8>> {
    let mut values: Vec<Vec<u8>> = input
        .split(|&b| b == b'\n')
        .map(|line| line.strip_suffix(b"\r").unwrap_or(line).to_vec())
        .collect();
    if input.is_empty() || input.ends_with(b"\n") {
        values.pop();
    }
    values
}

/// A ready checker: the compiled policy and the request shape.
#[derive(Clone, Debug)]
pub struct Checker {
    policy: HostPolicy,
    request: RequestShape,
    compare: bool,
    django_debug: bool,
}

/// One value's verdict, from hostecho and (with `--compare`) the two frameworks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// The Host value checked; `None` for a request without `Host` (`--no-host`).
    pub value: Option<Vec<u8>>,
    /// The server's decision: an allowed host carries the pattern that matched, a
    /// refusal where its value came from.
    pub decision: Result<ValidHost<'static>, Rejection>,
    /// Django's answer, with `--compare`.
    pub django: Option<Verdict>,
    /// Starlette's answer, with `--compare`.
    pub starlette: Option<Verdict>,
}

impl Checker {
    /// Compiles the policy exactly as the server does at start. Patterns with `@self`
    /// need [`Checker::with_own_addresses`].
    pub fn new(options: CheckOptions) -> Result<Checker, CheckError> {
        Checker::with_own_addresses(options, Vec::new())
    }

    /// [`Checker::new`], with `@self` standing for `own`: what the server would
    /// resolve at start if it listened on `--local` (`server::own_addresses`).
    pub fn with_own_addresses(
        options: CheckOptions,
        own: Vec<std::net::IpAddr>,
    ) -> Result<Checker, CheckError> {
        let policy =
            HostPolicy::with_own_addresses(options.policy, own).map_err(CheckError::Policy)?;
        Ok(Checker {
            policy,
            request: options.request,
            compare: options.compare,
            django_debug: options.django_debug,
        })
    }

    /// Decides one request: `Host: value` (none for `None`) plus the shape's headers.
    pub fn check(&self, value: Option<&[u8]>) -> Outcome {
        self.with_facts(value, |facts| {
            // The outcome outlives the headers the facts borrow, so it owns its host.
            let decision = self.policy.decide(facts).map(ValidHost::into_owned);
            let (django, starlette) = if self.compare {
                let answers = compat::answers(&self.policy, facts, self.django_debug);
                (Some(answers.django), Some(answers.starlette))
            } else {
                (None, None)
            };
            Outcome {
                value: value.map(<[u8]>::to_vec),
                decision,
                django,
                starlette,
            }
        })
    }

    /// `--explain`: the same request's decision told step by step
    /// ([`crate::host::explain`]), under a first line naming the value.
    pub fn explain(&self, value: Option<&[u8]>) -> String {
        self.with_facts(value, |facts| {
            format!(
                "{}\n{}",
                display_value(value),
                crate::host::explain::explain(&self.policy, facts)
            )
        })
    }

    /// `--from-log`: each distinct value counted in `tally`, most frequent first,
    /// decided as [`Checker::check`] decides it.
    pub fn log_rows(&self, tally: &Tally) -> Vec<Row> {
        tally
            .by_count()
            .into_iter()
            .map(|(refused, count)| match refused {
                Refused::Value(value) => {
                    let outcome = self.check(Some(value));
                    Row {
                        value: refused.clone(),
                        count,
                        allowed: outcome.decision.is_ok(),
                        hint: hint_of(&outcome).cloned(),
                    }
                }
                // No value to decide again: refused under any patterns, with the
                // hint the server gave, which read the whole request.
                Refused::NoHost(hint) | Refused::DuplicateHost(hint) => Row {
                    value: refused.clone(),
                    count,
                    allowed: false,
                    hint: hint.clone(),
                },
            })
            .collect()
    }

    /// The patterns in force: those given, or the defaults.
    pub fn patterns(&self) -> &[String] {
        self.policy.patterns()
    }

    /// Builds the request around `value` (its `Host`, none for `None`, plus the
    /// shape's headers) and hands its facts to `f`.
    fn with_facts<T>(&self, value: Option<&[u8]>, f: impl FnOnce(&Facts<'_>) -> T) -> T {
        let mut headers = Vec::with_capacity(self.request.headers.len() + 1);
        if let Some(value) = value {
            headers.push(Header {
                name: "Host".to_string(),
                value: value.to_vec(),
            });
        }
        headers.extend(self.request.headers.iter().cloned());
        let target = Target::parse(&self.request.target);
        let facts = Facts {
            version: self.request.version,
            absolute_authority: target.absolute_authority(),
            headers: Fields::List(&headers),
            peer: SocketAddr::new(self.request.peer, 0),
            local: self.request.local,
        };
        f(&facts)
    }
}

/// The exit status for a run: 0 when every value is allowed, 1 when any is refused.
pub fn exit_status(outcomes: &[Outcome]) -> u8 {
    if outcomes.iter().all(|o| o.decision.is_ok()) {
        EXIT_ALL_ALLOWED
    } else {
        EXIT_SOME_REFUSED
    }
}

/// A value as printed: printable ASCII as it is, every other byte escaped as Rust
/// writes it (`\r`, `\x00`, `\xc3`), so a terminal shows exactly what was checked.
/// The empty value shows as `''`, and a missing one (`--no-host`) as `(no Host)`.
pub fn display_value(value: Option<&[u8]>) -> String {
    match value {
        None => "(no Host)".to_string(),
        Some([]) => "''".to_string(),
        Some(bytes) => bytes.escape_ascii().to_string(),
    }
}

/// How wide the value column is: the widest value, but no more than this, so one
/// long value does not push every line to the right.
const MAX_VALUE_COLUMN: usize = 40;

/// The width of the value column for these values, capped at [`MAX_VALUE_COLUMN`].
fn value_column(values: &[String]) -> usize {
    values
        .iter()
        .map(String::len)
        .max()
        .unwrap_or(0)
        .min(MAX_VALUE_COLUMN)
}

/// Renders outcomes as text, one line each, columns aligned.
///
/// `VALUE  allowed  host=… port=… source=… matched=…` or `VALUE  refused  MESSAGE`;
/// with `--compare`, `django=… starlette=…` comes after the verdict.
pub fn render_text(outcomes: &[Outcome]) -> String {
    let values: Vec<String> = outcomes
        .iter()
        .map(|o| display_value(o.value.as_deref()))
        .collect();
    let width = value_column(&values);
    let mut out = String::new();
    for (outcome, value) in outcomes.iter().zip(values) {
        let verdict = if outcome.decision.is_ok() {
            "allowed"
        } else {
            "refused"
        };
        let mut line = format!("{value:<width$}  {verdict}  ");
        if let (Some(d), Some(s)) = (&outcome.django, &outcome.starlette) {
            line.push_str(&format!(
                "django={:<7}  starlette={:<8}  ",
                d.word(),
                s.word()
            ));
        }
        match &outcome.decision {
            Ok(valid) => {
                let port = valid.port.map_or("-".to_string(), |p| p.to_string());
                line.push_str(&format!(
                    "host={} port={port} source={} matched={}",
                    valid.host,
                    valid.source.name(),
                    valid.matched,
                ));
            }
            Err(rejection) => line.push_str(&rejection.message),
        }
        if let Some(hint) = hint_of(outcome) {
            line.push_str("  hint: ");
            line.push_str(&hint.to_string());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// `--from-log` as text: one line per value, `COUNT  VALUE  VERDICT  HINT`, columns
/// aligned, most frequent first.
pub fn render_log_text(rows: &[Row]) -> String {
    let values: Vec<String> = rows.iter().map(|r| r.value.display()).collect();
    let width = value_column(&values);
    let count_width = rows.first().map_or(1, |r| r.count.to_string().len());
    let mut out = String::new();
    for (row, value) in rows.iter().zip(values) {
        let verdict = if row.allowed { "allowed" } else { "refused" };
        let hint = row
            .hint
            .as_ref()
            .map_or("-".to_string(), |h| format!("hint: {h}"));
        out.push_str(&format!(
            "{:>count_width$}  {value:<width$}  {verdict}  {hint}\n",
            row.count
        ));
    }
    out
}

/// `--from-log --json`: one object per value.
pub fn render_log_json(row: &Row) -> String {
    #[derive(Serialize)]
    struct JsonRow<'a> {
        value: String,
        count: usize,
        allowed: bool,
        hint: Option<JsonHint<'a>>,
    }
    let line = JsonRow {
        value: match &row.value {
            Refused::Value(v) => json_value(v),
            other => other.display(),
        },
        count: row.count,
        allowed: row.allowed,
        hint: row.hint.as_ref().map(|h| JsonHint {
            cause: h.cause.id(),
            text: &h.text,
        }),
    };
    serde_json::to_string(&line).unwrap_or_default()
}

/// `--from-log --json`: the summary object that ends the output.
pub fn render_log_json_summary(
    tally: &Tally,
    rows: &[Row],
    proposal: &Proposal,
    in_force: &[String],
) -> String {
    let mut allowed_hosts: Vec<&str> = in_force.iter().map(String::as_str).collect();
    allowed_hosts.extend(proposal.add.iter().map(String::as_str));
    let summary = serde_json::json!({
        "summary": {
            "lines": tally.lines,
            "refusals": tally.refusals(),
            "distinct": rows.len(),
            "without_value": tally.no_value,
            "skipped": tally.skipped,
            "overflow": tally.overflow,
            "add": proposal.add,
            "allowed_hosts": allowed_hosts,
            "left_out_scanners": proposal.scanners,
            "left_out_impossible": proposal.impossible,
        }
    });
    summary.to_string()
}

/// A value as a JSON string: itself when UTF-8, escaped as the text output writes it
/// when not.
fn json_value(v: &[u8]) -> String {
    match std::str::from_utf8(v) {
        Ok(text) => text.to_string(),
        Err(_) => v.escape_ascii().to_string(),
    }
}

/// One line of `--json`: the keys are fixed, in this order; absent values are `null`.
/// `source` is where the value came from, for a refusal too (`null` only when there
/// was no value: HTTP/1.1 without Host).
#[derive(Serialize)]
struct JsonLine<'a> {
    value: Option<String>,
    allowed: bool,
    host: Option<String>,
    port: Option<u16>,
    source: Option<&'static str>,
    matched: Option<&'a str>,
    message: Option<&'a str>,
    hint: Option<JsonHint<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    django: Option<JsonVerdict<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    starlette: Option<JsonVerdict<'a>>,
}

/// A hint in `--json`: the cause's stable id and the sentence.
#[derive(Serialize)]
struct JsonHint<'a> {
    cause: &'static str,
    text: &'a str,
}

/// The hint of an outcome, refused or allowed.
pub fn hint_of(outcome: &Outcome) -> Option<&Hint> {
    match &outcome.decision {
        Ok(valid) => valid.hint.as_ref(),
        Err(rejection) => rejection.hint.as_ref(),
    }
}

/// A framework's answer in `--json`: a redirect is not allowed, and its message says
/// where it goes.
#[derive(Serialize)]
struct JsonVerdict<'a> {
    allowed: bool,
    message: Option<Cow<'a, str>>,
}

impl<'a> From<&'a Verdict> for JsonVerdict<'a> {
    fn from(v: &'a Verdict) -> Self {
        JsonVerdict {
            allowed: v.is_allowed(),
            message: v.message(),
        }
    }
}

/// Renders one outcome as a line of JSON (without the newline).
///
/// `value` is the value as given when it is UTF-8, and escaped as in the text output
/// when it is not, since JSON strings hold text, not bytes.
pub fn render_json(outcome: &Outcome) -> String {
    let value = outcome
        .value
        .as_deref()
        .map(|v| match std::str::from_utf8(v) {
            Ok(text) => text.to_string(),
            Err(_) => v.escape_ascii().to_string(),
        });
    let valid = outcome.decision.as_ref().ok();
    let line = JsonLine {
        value,
        allowed: valid.is_some(),
        host: valid.map(|v| v.host.to_string()),
        port: valid.and_then(|v| v.port),
        source: match &outcome.decision {
            Ok(valid) => Some(valid.source.name()),
            Err(rejection) => rejection.source.map(HostSource::name),
        },
        matched: valid.map(|v| v.matched.as_ref()),
        message: outcome.decision.as_ref().err().map(|r| r.message.as_str()),
        hint: hint_of(outcome).map(|h| JsonHint {
            cause: h.cause.id(),
            text: &h.text,
        }),
        django: outcome.django.as_ref().map(JsonVerdict::from),
        starlette: outcome.starlette.as_ref().map(JsonVerdict::from),
    };
    // A struct of strings, numbers and booleans always serialises.
    serde_json::to_string(&line).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::RejectionKind;

    fn checker(allowed: &[&str], compare: bool) -> Checker {
        Checker::new(CheckOptions {
            policy: PolicyOptions {
                allowed_hosts: allowed.iter().map(|p| p.to_string()).collect(),
                ..PolicyOptions::default()
            },
            compare,
            ..CheckOptions::default()
        })
        .unwrap()
    }

    fn run(checker: &Checker, values: &[&str]) -> Vec<Outcome> {
        values
            .iter()
            .map(|v| checker.check(Some(v.as_bytes())))
            .collect()
    }

    /// The issue's own example, line by line.
    #[test]
    fn text_lines_say_why() {
        let c = checker(&[".example.com", "*.example.org"], false);
        let outcomes = run(
            &c,
            &[
                "example.com",
                "EVIL.example.com:8080",
                "example.com:evil",
                "www.example.org",
                "example.org",
            ],
        );
        assert_eq!(
            render_text(&outcomes),
            "\
example.com            allowed  host=example.com port=- source=Host matched=.example.com
EVIL.example.com:8080  allowed  host=evil.example.com port=8080 source=Host matched=.example.com
example.com:evil       refused  Invalid HTTP_HOST header: 'example.com:evil'. The domain name provided is not valid according to RFC 1034/1035.
www.example.org        allowed  host=www.example.org port=- source=Host matched=*.example.org
example.org            refused  Invalid HTTP_HOST header: 'example.org'. You may need to add 'example.org' to --allowed-hosts.  hint: 'example.org' nearly matches '*.example.org', which allows only names below 'example.org': use '.example.org' for the domain and every name below it [near-miss]
"
        );
        assert_eq!(exit_status(&outcomes), EXIT_SOME_REFUSED);
    }

    #[test]
    fn text_lines_with_compare() {
        let c = checker(&["example.com", "www.example.net"], true);
        let outcomes = run(&c, &["Example.com:80", "example.com:evil", "example.net"]);
        assert_eq!(
            render_text(&outcomes),
            "\
Example.com:80    allowed  django=allowed  starlette=allowed   host=example.com port=80 source=Host matched=example.com
example.com:evil  refused  django=refused  starlette=refused   Invalid HTTP_HOST header: 'example.com:evil'. The domain name provided is not valid according to RFC 1034/1035.
example.net       refused  django=refused  starlette=redirect  Invalid HTTP_HOST header: 'example.net'. You may need to add 'example.net' to --allowed-hosts.  hint: 'example.net' differs from the pattern 'www.example.net' by a 'www.': add 'example.net' if it is yours, or '.example.net' for the domain and every name below it [near-miss]
"
        );
    }

    #[test]
    fn json_lines_have_fixed_keys() {
        let c = checker(&[".example.com"], false);
        let outcomes = run(&c, &["WWW.example.com.:8080", "evil.example"]);
        assert_eq!(
            render_json(&outcomes[0]),
            r#"{"value":"WWW.example.com.:8080","allowed":true,"host":"www.example.com","port":8080,"source":"Host","matched":".example.com","message":null,"hint":null}"#
        );
        assert_eq!(
            render_json(&outcomes[1]),
            r#"{"value":"evil.example","allowed":false,"host":null,"port":null,"source":"Host","matched":null,"message":"Invalid HTTP_HOST header: 'evil.example'. You may need to add 'evil.example' to --allowed-hosts.","hint":{"cause":"scanner","text":"'evil.example' is unlike every allowed pattern and carries no proxy's marks: probably a scanner or a bot; the refusal is working (add it if the name is yours; a proxy's default server can drop these)"}}"#
        );
        let c = checker(&["*.example.org"], true);
        let outcome = c.check(Some(b"a.example.org"));
        assert_eq!(
            render_json(&outcome),
            r#"{"value":"a.example.org","allowed":true,"host":"a.example.org","port":null,"source":"Host","matched":"*.example.org","message":null,"hint":null,"django":{"allowed":false,"message":"Invalid HTTP_HOST header: 'a.example.org'. You may need to add 'a.example.org' to ALLOWED_HOSTS."},"starlette":{"allowed":true,"message":null}}"#
        );
    }

    #[test]
    fn values_that_are_not_text_are_escaped() {
        let c = checker(&["*"], false);
        let outcome = c.check(Some(b"a\xff\x00\tb"));
        assert_eq!(display_value(outcome.value.as_deref()), r"a\xff\x00\tb");
        assert!(render_json(&outcome).starts_with(r#"{"value":"a\\xff\\x00\\tb","allowed":false"#));
        assert_eq!(display_value(Some(b"")), "''");
        assert_eq!(display_value(None), "(no Host)");
    }

    #[test]
    fn exit_status_table() {
        let c = checker(&["example.com"], false);
        let table: &[(&[&str], u8)] = &[
            (&[], EXIT_ALL_ALLOWED),
            (&["example.com"], EXIT_ALL_ALLOWED),
            (&["example.com", "EXAMPLE.COM:1"], EXIT_ALL_ALLOWED),
            (&["example.com", "other.example"], EXIT_SOME_REFUSED),
            (&["example.com:"], EXIT_SOME_REFUSED),
            (&[""], EXIT_SOME_REFUSED),
        ];
        for &(values, want) in table {
            assert_eq!(exit_status(&run(&c, values)), want, "{values:?}");
        }
    }

    #[test]
    fn bad_patterns_and_headers_are_errors() {
        let bad = Checker::new(CheckOptions {
            policy: PolicyOptions {
                allowed_hosts: vec!["*example.com".into()],
                ..PolicyOptions::default()
            },
            ..CheckOptions::default()
        });
        // The one line printed before exit status 2 names the problem.
        match bad {
            Err(error @ CheckError::Policy(crate::Error::Pattern { .. })) => assert_eq!(
                error.to_string(),
                "invalid --allowed-hosts pattern \"*example.com\": '*' is only allowed alone \
                 ('*') or as a whole leading label ('*.example.com')"
            ),
            other => panic!("{other:?}"),
        }
        for header in ["no colon", ": empty name", "sp ace: x", "Host\t: x"] {
            match parse_header(header) {
                Err(error @ CheckError::Header(_)) => assert_eq!(
                    error.to_string(),
                    format!(
                        "invalid --header {header:?}: expected 'Name: value', with a name of \
                         letters, digits and '-'"
                    )
                ),
                other => panic!("{header}: {other:?}"),
            }
        }
        assert_eq!(
            CheckError::NoValues.to_string(),
            "no values to check: give Host values as arguments, '-' to read them from stdin, \
             or --no-host"
        );
        let h = parse_header("X-Forwarded-Host:  a.example \t").unwrap();
        assert_eq!(
            (h.name.as_str(), h.value.as_slice()),
            ("X-Forwarded-Host", &b"a.example"[..])
        );
    }

    /// Every source the policy can pick, through the request shape.
    #[test]
    fn says_which_source_counted() {
        let shaped = |shape: RequestShape, forwarding: bool| {
            Checker::new(CheckOptions {
                policy: PolicyOptions {
                    allowed_hosts: vec!["*".into()],
                    use_x_forwarded_host: forwarding,
                    trusted_proxies: vec!["10.0.0.0/8".parse().unwrap()],
                    compare: false,
                },
                request: shape,
                ..CheckOptions::default()
            })
            .unwrap()
        };
        let source = |c: &Checker, value: Option<&[u8]>| -> Result<(String, &str), Rejection> {
            c.check(value)
                .decision
                .map(|v| (v.host.to_string(), v.source.name()))
        };
        let header = |line: &str| parse_header(line).unwrap();
        let from_proxy = RequestShape {
            peer: "10.0.0.2".parse().unwrap(),
            headers: vec![header("X-Forwarded-Host: xfh.example")],
            ..RequestShape::default()
        };
        assert_eq!(
            source(&shaped(from_proxy.clone(), true), Some(b"h.example")),
            Ok(("xfh.example".into(), "X-Forwarded-Host"))
        );
        // The same headers from a peer that is not a trusted proxy: Host decides.
        let from_client = RequestShape {
            peer: DEFAULT_PEER,
            ..from_proxy.clone()
        };
        assert_eq!(
            source(&shaped(from_client, true), Some(b"h.example")),
            Ok(("h.example".into(), "Host"))
        );
        // Forwarding off: Host decides.
        assert_eq!(
            source(&shaped(from_proxy, false), Some(b"h.example")),
            Ok(("h.example".into(), "Host"))
        );
        let forwarded = RequestShape {
            peer: "10.0.0.2".parse().unwrap(),
            headers: vec![header("Forwarded: for=1.2.3.4;host=fwd.example")],
            ..RequestShape::default()
        };
        assert_eq!(
            source(&shaped(forwarded, true), Some(b"h.example")),
            Ok(("fwd.example".into(), "Forwarded"))
        );
        let absolute = RequestShape {
            target: "http://abs.example:81/x".into(),
            ..RequestShape::default()
        };
        assert_eq!(
            source(&shaped(absolute, false), Some(b"h.example")),
            Ok(("abs.example".into(), "absolute-form"))
        );
        let http10 = RequestShape {
            version: Version::Http10,
            ..RequestShape::default()
        };
        assert_eq!(
            source(&shaped(http10.clone(), false), None),
            Ok(("127.0.0.1".into(), "local-address"))
        );
        // HTTP/1.1 without Host is refused, and there is no value, so no source.
        let refused = shaped(RequestShape::default(), false).check(None);
        assert_eq!(refused.value, None);
        let rejection = refused.decision.unwrap_err();
        assert_eq!(
            (rejection.kind, rejection.source),
            (RejectionKind::Missing, None)
        );
        assert_eq!(
            rejection.message,
            "missing Host header: HTTP/1.1 requests must carry exactly one Host header \
             (RFC 9112, section 3.2)."
        );
    }

    #[test]
    fn compare_gives_each_framework_its_own_default_list() {
        let c = checker(&[], true);
        let o = c.check(Some(b"localhost"));
        assert!(o.decision.is_ok());
        assert_eq!(o.django.map(|v| v.is_allowed()), Some(false));
        assert_eq!(o.starlette.map(|v| v.is_allowed()), Some(true));
        let debug = Checker::new(CheckOptions {
            compare: true,
            django_debug: true,
            ..CheckOptions::default()
        })
        .unwrap();
        assert_eq!(
            debug
                .check(Some(b"localhost"))
                .django
                .map(|v| v.is_allowed()),
            Some(true)
        );
        // Without --compare there are no columns.
        assert_eq!(checker(&[], false).check(Some(b"localhost")).django, None);
    }

    #[test]
    fn compare_reads_headers_as_each_framework_does() {
        let c = Checker::new(CheckOptions {
            policy: PolicyOptions {
                allowed_hosts: vec!["a.example".into()],
                use_x_forwarded_host: true,
                trusted_proxies: vec![],
                compare: false,
            },
            request: RequestShape {
                headers: vec![parse_header("X-Forwarded-Host: a.example").unwrap()],
                ..RequestShape::default()
            },
            compare: true,
            django_debug: false,
        })
        .unwrap();
        // Django reads X-Forwarded-Host from anyone; Starlette never reads it.
        let o = c.check(Some(b"b.example"));
        assert_eq!(o.django.map(|v| v.is_allowed()), Some(true));
        assert_eq!(o.starlette.map(|v| v.is_allowed()), Some(false));
    }

    #[test]
    fn split_lines_table() {
        let table: &[(&[u8], &[&[u8]])] = &[
            (b"", &[]),
            (b"a", &[b"a"]),
            (b"a\n", &[b"a"]),
            (b"a\r\nb\r\n", &[b"a", b"b"]),
            (b"a\n\nb", &[b"a", b"", b"b"]),
            (b"\n", &[b""]),
            (b"a\rb\n", &[b"a\rb"]),
        ];
        for &(input, want) in table {
            let want: Vec<Vec<u8>> = want.iter().map(|v| v.to_vec()).collect();
            assert_eq!(split_lines(input), want, "{input:?}");
        }
    }
}
