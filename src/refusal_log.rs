//! `hostecho check --from-log`: the refused Host values in a log, counted.
//!
//! A production log holds the refusals a framework already made. Each line is read
//! on its own ([`extract`]) and the values are counted ([`Tally`]), so a log of any
//! size is read as a stream: memory grows with the number of *distinct* values, and
//! that is capped at [`MAX_DISTINCT`]. The lines it knows:
//!
//! | written by | line | value |
//! |---|---|---|
//! | Django (`django.security.DisallowedHost`) | `Invalid HTTP_HOST header: 'a.example:8000'. You may need to add …` | the quoted `repr` |
//! | hostecho's own `warn` lines | `… rejected: Invalid HTTP_HOST header: 'a.example' (from X-Forwarded-Host). …` | the quoted value |
//! | hostecho, HTTP/1.1 without Host | `… rejected: missing Host header: … hint: … [missing-host-behind-proxy]` | none: counted as `(no Host)`, with the line's hint |
//! | hostecho, two Host lines | `… rejected: duplicate Host header: … hint: … [duplicate-host]` | none: counted as `(duplicate Host)`, with the line's hint |
//! | Rails' `HostAuthorization` | `Blocked hosts: a.example, b.example` (7.1 and later), `Blocked host: a.example` | each, split at `, ` |
//! | Vite | `Blocked request. This host ("a.example") is not allowed.` | the quoted JSON string |
//! | webpack-dev-server | `Invalid Host header` | none: it names no value, and is counted as such |
//!
//! Everything else is skipped and counted. This module is pure: the driver in
//! `cli/check.rs` reads the file and prints.

use std::collections::HashMap;

use crate::host::hint::{Cause, Hint, private_range};
use crate::host::syntax::{self, Host};
use crate::host::{DUPLICATE_HOST, MISSING_HOST};

/// How many distinct values are kept; any further new value is only counted in
/// [`Tally::overflow`], so a log full of random names cannot exhaust memory.
pub const MAX_DISTINCT: usize = 100_000;

/// What a refusal refused: a value, or a request hostecho refused before any value
/// could be read. The last two have no value to decide again under other patterns
/// (no pattern can let them in), so they keep the hint their log line gave: it came
/// from the whole request (its forwarding headers, its User-Agent), which the log
/// does not hold.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Refused {
    /// A Host value, as the log quoted it.
    Value(Vec<u8>),
    /// HTTP/1.1 without Host (hostecho's `missing Host header`).
    NoHost(Option<Hint>),
    /// Two or more Host lines (hostecho's `duplicate Host header`).
    DuplicateHost(Option<Hint>),
}

impl Refused {
    /// The value as the text and JSON reports show it: the bytes, escaped, or
    /// `(no Host)` / `(duplicate Host)`, as `check` shows a request without Host.
    pub fn display(&self) -> String {
        match self {
            Refused::Value(v) if v.is_empty() => "''".to_string(),
            Refused::Value(v) => v.escape_ascii().to_string(),
            Refused::NoHost(_) => "(no Host)".to_string(),
            Refused::DuplicateHost(_) => "(duplicate Host)".to_string(),
        }
    }
}

/// What one log line holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Found {
    /// Refused Host values (Rails may log two on one line).
    Values(Vec<Vec<u8>>),
    /// A refusal of hostecho's with no value to quote: a missing or a duplicate Host.
    Request(Refused),
    /// A refusal that names no value (webpack-dev-server's `Invalid Host header`).
    NoValue,
    /// Not a refusal this module knows.
    Unrecognised,
}

/// Reads one line.
pub fn extract(line: &[u8]) -> Found {
    const DJANGO: &[u8] = b"Invalid HTTP_HOST header: ";
    const RAILS: &[u8] = b"Blocked host";
    const VITE: &[u8] = b"Blocked request. This host (";
    const WEBPACK: &[u8] = b"Invalid Host header";
    // hostecho's refusals without a value come first: with `--compare` their line
    // goes on with Django's answer, `django: refused (Invalid HTTP_HOST header:
    // '127.0.0.1:8000'. …)`, which names the value Django would have read, not one
    // the request carried.
    if let Some(rest) = after(line, MISSING_HOST.as_bytes()) {
        return Found::Request(Refused::NoHost(logged_hint(rest)));
    }
    if let Some(rest) = after(line, DUPLICATE_HOST.as_bytes()) {
        return Found::Request(Refused::DuplicateHost(logged_hint(rest)));
    }
    if let Some(rest) = after(line, DJANGO) {
        // Django writes `%r` of the value (single quotes unless it holds one);
        // hostecho escapes as Rust's `escape_default`. Both read back the same way.
        return match rest.first() {
            Some(&q @ (b'\'' | b'"')) => {
                quoted(&rest[1..], q).map_or(Found::Unrecognised, |v| Found::Values(vec![v]))
            }
            _ => Found::Unrecognised,
        };
    }
    if let Some(rest) = after(line, VITE) {
        return match rest.first() {
            Some(b'"') => {
                quoted(&rest[1..], b'"').map_or(Found::Unrecognised, |v| Found::Values(vec![v]))
            }
            _ => Found::Unrecognised,
        };
    }
    if let Some(rest) = after(line, RAILS) {
        let rest = rest
            .strip_prefix(b"s: ")
            .or_else(|| rest.strip_prefix(b": "));
        let Some(rest) = rest else {
            return Found::Unrecognised;
        };
        let values: Vec<Vec<u8>> = rest
            .trim_ascii_end()
            .split(|&b| b == b',')
            .map(|v| v.trim_ascii().to_vec())
            .filter(|v| !v.is_empty())
            .collect();
        return if values.is_empty() {
            Found::Unrecognised
        } else {
            Found::Values(values)
        };
    }
    if after(line, WEBPACK).is_some() {
        return Found::NoValue;
    }
    Found::Unrecognised
}

/// The hint a hostecho log line carries after its sentence: ` hint: TEXT [cause-id]`
/// ([`crate::host::Rejection::log_line`]), maybe followed by `--compare`'s
/// ` django: …`. The text ends at the first ` [id]` that names a cause.
fn logged_hint(rest: &[u8]) -> Option<Hint> {
    let text = after(rest, b" hint: ")?;
    let (at, cause) = Cause::ALL
        .iter()
        .filter_map(|&cause| {
            let tag = format!(" [{}]", cause.id());
            text.windows(tag.len())
                .position(|w| w == tag.as_bytes())
                .map(|at| (at, cause))
        })
        .min_by_key(|&(at, _)| at)?;
    Some(Hint {
        cause,
        text: String::from_utf8_lossy(&text[..at]).into_owned(),
    })
}

/// The bytes after the first occurrence of `needle`.
fn after<'a>(line: &'a [u8], needle: &[u8]) -> Option<&'a [u8]> {
    line.windows(needle.len())
        .position(|w| w == needle)
        .map(|at| &line[at + needle.len()..])
}

/// A quoted string up to its closing `quote`, with the escapes Python's `repr`,
/// Rust's `escape_default` and JSON write (`\\`, `\'`, `\"`, `\n`, `\r`, `\t`,
/// `\xNN`, `\uNNNN` for a Latin-1 character) read back into bytes. `None` when the
/// quote is never closed (a line cut short).
fn quoted(s: &[u8], quote: u8) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b if b == quote => return Some(out),
            b'\\' => {
                let code = *s.get(i + 1)?;
                i += 2;
                match code {
                    b'n' => out.push(b'\n'),
                    b'r' => out.push(b'\r'),
                    b't' => out.push(b'\t'),
                    b'0' => out.push(0),
                    b'x' => {
                        out.push(hex(s.get(i..i + 2)?)?);
                        i += 2;
                    }
                    b'u' => {
                        let digits = s.get(i..i + 4)?;
                        let high = hex(&digits[..2])?;
                        if high != 0 {
                            return None;
                        }
                        out.push(hex(&digits[2..])?);
                        i += 4;
                    }
                    other => out.push(other),
                }
                continue;
            }
            b => out.push(b),
        }
        i += 1;
    }
    None
}

fn hex(two: &[u8]) -> Option<u8> {
    u8::from_str_radix(std::str::from_utf8(two).ok()?, 16).ok()
}

/// The values counted so far.
#[derive(Debug, Default)]
pub struct Tally {
    counts: HashMap<Refused, usize>,
    /// Refusals without a value (webpack-dev-server).
    pub no_value: usize,
    /// Lines that were not refusals this module knows.
    pub skipped: usize,
    /// Every line read.
    pub lines: usize,
    /// Values counted after [`MAX_DISTINCT`] distinct ones were already kept.
    pub overflow: usize,
}

impl Tally {
    /// Counts one line (without its line ending).
    pub fn add_line(&mut self, line: &[u8]) {
        self.lines += 1;
        match extract(line) {
            Found::Values(values) => {
                for value in values {
                    self.count(Refused::Value(value));
                }
            }
            Found::Request(refused) => self.count(refused),
            Found::NoValue => self.no_value += 1,
            Found::Unrecognised => self.skipped += 1,
        }
    }

    fn count(&mut self, refused: Refused) {
        if let Some(count) = self.counts.get_mut(&refused) {
            *count += 1;
        } else if self.counts.len() < MAX_DISTINCT {
            self.counts.insert(refused, 1);
        } else {
            self.overflow += 1;
        }
    }

    /// The distinct values and their counts, most frequent first (ties in a fixed
    /// order: values by their bytes, then the refusals without one, so the output is
    /// the same on every run).
    pub fn by_count(&self) -> Vec<(&Refused, usize)> {
        let mut all: Vec<(&Refused, usize)> = self.counts.iter().map(|(v, &n)| (v, n)).collect();
        all.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        all
    }

    /// How many refusals were counted, with or without a value.
    pub fn refusals(&self) -> usize {
        self.counts.values().sum::<usize>() + self.no_value + self.overflow
    }
}

/// One distinct value, counted, with the verdict and the hint it gets under the
/// patterns given ([`crate::check::Checker`] decides it as `check` would).
#[derive(Clone, Debug)]
pub struct Row {
    /// The value as the log wrote it, or the refusal that had none.
    pub value: Refused,
    /// How many refusals named it.
    pub count: usize,
    /// Whether the patterns given allow it.
    pub allowed: bool,
    /// The hint, when one applies.
    pub hint: Option<Hint>,
}

impl Row {
    fn cause(&self) -> Option<Cause> {
        self.hint.as_ref().map(|h| h.cause)
    }
}

/// The smallest pattern list that lets in every value that looks legitimate: the
/// patterns in force, and what must be added.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Proposal {
    /// Patterns to add, most frequent value first.
    pub add: Vec<String>,
    /// Values no pattern can allow (a `_` in a name, an invalid value), not proposed.
    pub impossible: usize,
    /// Values left out because they look like a scanner's.
    pub scanners: usize,
}

/// Proposes patterns for the refused values that look legitimate. Never `*`, never
/// a scanner's value, never a tunnel's whole suffix. Two or more addresses in one
/// private range become that range; a name and its `www.` become `.name`; two or
/// more names below one domain become `.domain`; anything else is added exactly.
pub fn propose(rows: &[Row]) -> Proposal {
    let mut proposal = Proposal {
        add: Vec::new(),
        impossible: 0,
        scanners: 0,
    };
    let mut hosts: Vec<(Host<'static>, Option<Cause>)> = Vec::new();
    for row in rows.iter().filter(|r| !r.allowed) {
        if row.cause().is_some_and(|c| !c.looks_legitimate()) {
            proposal.scanners += 1;
            continue;
        }
        let Refused::Value(value) = &row.value else {
            // A missing or duplicate Host: no pattern can let it in.
            proposal.impossible += 1;
            continue;
        };
        match syntax::parse_host_port(value) {
            Ok(hp) if !hosts.iter().any(|(h, _)| *h == hp.host) => {
                hosts.push((hp.host.into_owned(), row.cause()))
            }
            Ok(_) => {}
            Err(_) => proposal.impossible += 1,
        }
    }
    let mut push = |pattern: String| {
        if !proposal.add.contains(&pattern) {
            proposal.add.push(pattern);
        }
    };
    for (host, cause) in &hosts {
        match host {
            Host::Name(name) => {
                if *cause == Some(Cause::DevTunnel) {
                    push(name.to_string());
                    continue;
                }
                let apex = name.strip_prefix("www.").unwrap_or(name);
                let parent = parent_domain(name);
                let is_name =
                    |h: &Host<'_>, f: &dyn Fn(&str) -> bool| matches!(h, Host::Name(n) if f(n));
                let www_pair = hosts.iter().any(|(h, _)| {
                    is_name(h, &|n| {
                        n != name.as_ref() && n.strip_prefix("www.").unwrap_or(n) == apex
                    })
                });
                let siblings = parent.is_some_and(|p| {
                    hosts
                        .iter()
                        .filter(|(h, c)| {
                            *c != Some(Cause::DevTunnel)
                                && is_name(h, &|n| parent_domain(n) == Some(p))
                        })
                        .count()
                        >= 2
                });
                match (www_pair, siblings, parent) {
                    (_, true, Some(parent)) => push(format!(".{parent}")),
                    (true, _, _) => push(format!(".{apex}")),
                    _ => push(name.to_string()),
                }
            }
            other => {
                let Some(ip) = other.ip() else { continue };
                let range = private_range(ip);
                let neighbours = range.is_some_and(|r| {
                    hosts
                        .iter()
                        .filter(|(h, _)| h.ip().is_some_and(|i| private_range(i) == Some(r)))
                        .count()
                        >= 2
                });
                match range {
                    Some(range) if neighbours => push(range.to_string()),
                    _ => push(other.to_string()),
                }
            }
        }
    }
    proposal
}

/// The report's last line: what was read, and the proposal.
pub fn summary_text(
    tally: &Tally,
    rows: &[Row],
    proposal: &Proposal,
    in_force: &[String],
) -> String {
    let mut out = format!(
        "{} in {}: {}",
        plural(tally.refusals(), "refusal", "refusals"),
        plural(tally.lines, "line", "lines"),
        plural(rows.len(), "distinct value", "distinct values")
    );
    if tally.no_value > 0 {
        out.push_str(&format!(
            ", {} without a value (webpack-dev-server's Invalid Host header)",
            tally.no_value
        ));
    }
    if tally.overflow > 0 {
        out.push_str(&format!(
            ", {} more past the first {MAX_DISTINCT} distinct values",
            tally.overflow
        ));
    }
    out.push_str(&format!(
        ", {} skipped\n",
        plural(tally.skipped, "line", "lines")
    ));
    if proposal.add.is_empty() {
        out.push_str("propose: nothing to add");
    } else {
        let mut all: Vec<&str> = in_force.iter().map(String::as_str).collect();
        all.extend(proposal.add.iter().map(String::as_str));
        out.push_str(&format!(
            "propose: --allowed-hosts '{}' (adds {})",
            all.join(","),
            proposal.add.join(", ")
        ));
    }
    let mut left_out = Vec::new();
    if proposal.scanners > 0 {
        left_out.push(plural(
            proposal.scanners,
            "value that looks like a scanner's",
            "values that look like scanners'",
        ));
    }
    if proposal.impossible > 0 {
        left_out.push(plural(
            proposal.impossible,
            "value no pattern can allow",
            "values no pattern can allow",
        ));
    }
    if !left_out.is_empty() {
        out.push_str(&format!("; left out: {}", left_out.join(", ")));
    }
    out.push('\n');
    out
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The domain a name is directly below: `api.example.com` → `example.com`; `None`
/// for a name of one or two labels, whose parent would be a public suffix.
fn parent_domain(name: &str) -> Option<&str> {
    let (_, parent) = name.split_once('.')?;
    parent.contains('.').then_some(parent)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// hostecho's refusals that quote no value: counted as such, with the line's hint
    /// (up to its `[cause-id]`, not into `--compare`'s Django answer that follows).
    #[test]
    fn hostecho_s_missing_and_duplicate_host() {
        let missing = "[2026-12-07T11:50:15Z WARN  hostecho::server::connection] \
                       127.0.0.1:38656 rejected: missing Host header: HTTP/1.1 requests must \
                       carry exactly one Host header (RFC 9112, section 3.2). hint: a proxy \
                       (X-Forwarded-For) sent none [missing-host-behind-proxy] django: refused \
                       (Invalid HTTP_HOST header: '127.0.0.1:8291'. You may need to add \
                       '127.0.0.1' to ALLOWED_HOSTS.) starlette: refused (Invalid host header)";
        assert_eq!(
            extract(missing.as_bytes()),
            Found::Request(Refused::NoHost(Some(Hint {
                cause: Cause::MissingHostBehindProxy,
                text: "a proxy (X-Forwarded-For) sent none".to_string(),
            })))
        );
        let bare = "127.0.0.1:1 rejected: missing Host header: HTTP/1.1 requests must carry \
                    exactly one Host header (RFC 9112, section 3.2).";
        assert_eq!(
            extract(bare.as_bytes()),
            Found::Request(Refused::NoHost(None))
        );
        let duplicate = "127.0.0.1:1 rejected: duplicate Host header: the request has 2 Host \
                         field lines, and a request may carry only one. hint: keep one \
                         [duplicate-host]";
        assert_eq!(
            extract(duplicate.as_bytes()),
            Found::Request(Refused::DuplicateHost(Some(Hint {
                cause: Cause::DuplicateHost,
                text: "keep one".to_string(),
            })))
        );
        let mut tally = Tally::default();
        for line in [missing, bare, duplicate, duplicate] {
            tally.add_line(line.as_bytes());
        }
        assert_eq!((tally.refusals(), tally.skipped), (4, 0));
        assert_eq!(
            tally.by_count()[0],
            (
                &Refused::DuplicateHost(Some(Hint {
                    cause: Cause::DuplicateHost,
                    text: "keep one".to_string(),
                })),
                2
            )
        );
    }

    #[test]
    fn each_framework_s_line() {
        let v = |s: &str| Found::Values(vec![s.as_bytes().to_vec()]);
        let table: &[(&str, Found)] = &[
            (
                "Invalid HTTP_HOST header: '10.0.3.7:8000'. You may need to add '10.0.3.7' to \
                 ALLOWED_HOSTS.",
                v("10.0.3.7:8000"),
            ),
            (
                "[2026-12-07 10:00:00,123] ERROR django.security.DisallowedHost: Invalid \
                 HTTP_HOST header: 'app_server:8000'. The domain name provided is not valid \
                 according to RFC 1034/1035.",
                v("app_server:8000"),
            ),
            (
                r#"Invalid HTTP_HOST header: "it's.example". You may need to add "it's.example" to ALLOWED_HOSTS."#,
                v("it's.example"),
            ),
            (
                r"Invalid HTTP_HOST header: 'caf\xe9\r\n'. The domain name provided is not valid according to RFC 1034/1035.",
                Found::Values(vec![b"caf\xe9\r\n".to_vec()]),
            ),
            (
                "[2026-12-07T10:00:00Z WARN  hostecho::server::connection] 10.0.0.2:41000 \
                 rejected: Invalid HTTP_HOST header: 'evil.example' (from X-Forwarded-Host). \
                 You may need to add 'evil.example' to --allowed-hosts. hint: … [scanner]",
                v("evil.example"),
            ),
            (
                "[ActionDispatch::HostAuthorization::DefaultResponseApp] Blocked hosts: \
                 a.example, b.example",
                Found::Values(vec![b"a.example".to_vec(), b"b.example".to_vec()]),
            ),
            ("Blocked host: www.example.com", v("www.example.com")),
            (
                r#"Blocked request. This host ("1a2b.ngrok-free.app") is not allowed."#,
                v("1a2b.ngrok-free.app"),
            ),
            (
                "<i> [webpack-dev-server] Invalid Host header",
                Found::NoValue,
            ),
            ("GET / 200", Found::Unrecognised),
            ("Invalid HTTP_HOST header: 'cut sho", Found::Unrecognised),
            ("Blocked hosts:", Found::Unrecognised),
            ("", Found::Unrecognised),
        ];
        for (line, want) in table {
            assert_eq!(&extract(line.as_bytes()), want, "{line}");
        }
    }

    #[test]
    fn counts_most_frequent_first_and_skips_the_rest() {
        let mut t = Tally::default();
        for line in [
            "Invalid HTTP_HOST header: 'b.example'.",
            "Invalid HTTP_HOST header: 'a.example'.",
            "noise",
            "Blocked hosts: a.example",
            "Invalid Host header",
            "Invalid HTTP_HOST header: 'c.example'.",
            "Invalid HTTP_HOST header: 'a.example'.",
        ] {
            t.add_line(line.as_bytes());
        }
        let v = |s: &str| Refused::Value(s.as_bytes().to_vec());
        assert_eq!(
            t.by_count(),
            vec![
                (&v("a.example"), 3),
                (&v("b.example"), 1),
                (&v("c.example"), 1)
            ]
        );
        assert_eq!((t.lines, t.skipped, t.no_value, t.refusals()), (7, 1, 1, 6));
    }

    fn row(value: &str, cause: Option<Cause>) -> Row {
        Row {
            value: Refused::Value(value.as_bytes().to_vec()),
            count: 1,
            allowed: false,
            hint: cause.map(|cause| Hint {
                cause,
                text: String::new(),
            }),
        }
    }

    #[test]
    fn proposes_the_smallest_list_never_a_scanner_s() {
        let rows = [
            row("10.0.3.7:8000", Some(Cause::HealthCheck)),
            row("10.0.4.9:8000", Some(Cause::HealthCheck)),
            row("192.168.1.5", Some(Cause::HealthCheck)),
            row("203.0.113.80", Some(Cause::Scanner)),
            row("evil.example", Some(Cause::Scanner)),
            row("app_server:8000", Some(Cause::Underscore)),
            row("www.shop.example", Some(Cause::NearMiss)),
            row("shop.example", None),
            row("a.api.example.org", None),
            row("b.api.example.org", None),
            row("1a2b.ngrok-free.app", Some(Cause::DevTunnel)),
            row("3c4d.ngrok-free.app", Some(Cause::DevTunnel)),
            Row {
                allowed: true,
                ..row("localhost", None)
            },
        ];
        assert_eq!(
            propose(&rows),
            Proposal {
                add: vec![
                    "10.0.0.0/8".into(),
                    "192.168.1.5".into(),
                    ".shop.example".into(),
                    ".api.example.org".into(),
                    "1a2b.ngrok-free.app".into(),
                    "3c4d.ngrok-free.app".into(),
                ],
                impossible: 1,
                scanners: 2,
            }
        );
        assert!(!propose(&rows).add.iter().any(|p| p == "*"));
    }
}
