//! Django's Host check: `HttpRequest.get_host()` in Django 5.2 (checked against 5.2.19).
//!
//! The functions here follow `django/http/request.py` and `django/utils/http.py`
//! line by line, with the Python quoted beside each step, so that a difference from
//! hostecho can be read in both places. Django's rules, in short:
//!
//! * **Which value**: `X-Forwarded-Host` when `USE_X_FORWARDED_HOST` is on (from any
//!   peer: Django has no notion of a trusted proxy), else `Host` (`HTTP_HOST`), else
//!   `SERVER_NAME` and `SERVER_PORT` (PEP 333's reconstruction).
//! * **Syntax** (`host_validation_re`, on the lowercased value):
//!   `([a-z0-9.-]+|\[[a-f0-9]*:[a-f0-9.:]+\])(:[0-9]+)?`. Looser than hostecho: a
//!   name may be `127.1`, start with `-`, hold `..` or be 300 characters long; the
//!   brackets need not hold a real IPv6 address (`[::::]` passes); a port is any
//!   number of digits (`:99999999` passes). One trailing dot is removed.
//! * **Patterns** (`validate_host`, `is_same_domain`): `*`, `.example.com` (the domain
//!   and every subdomain), or an exact, case-insensitive string compare. So `*.x`,
//!   CIDR ranges and non-ASCII names are exact compares that no valid host can meet.
//! * **Lists**: `ALLOWED_HOSTS` defaults to `[]`, which allows nothing when `DEBUG` is
//!   off; with `DEBUG` on, an empty list means `['.localhost', '127.0.0.1', '[::1]']`.
//! * **Message**: `DisallowedHost`, with the values quoted by Python's `repr`.

use super::{Verdict, py_lower};

/// The `DEBUG` defaults: what an empty `ALLOWED_HOSTS` means when `DEBUG` is on.
pub const DEBUG_ALLOWED_HOSTS: &[&str] = &[".localhost", "127.0.0.1", "[::1]"];

/// The settings `get_host` reads.
#[derive(Clone, Copy, Debug)]
pub struct Settings<'a> {
    /// `ALLOWED_HOSTS`.
    pub allowed_hosts: &'a [String],
    /// `DEBUG`.
    pub debug: bool,
    /// `USE_X_FORWARDED_HOST`.
    pub use_x_forwarded_host: bool,
}

/// The parts of a WSGI `environ` that `get_host` reads, as text (see
/// [`super::latin1`]).
#[derive(Clone, Copy, Debug)]
pub struct Environ<'a> {
    /// `HTTP_HOST`: the `Host` header, if the request had one.
    pub http_host: Option<&'a str>,
    /// `HTTP_X_FORWARDED_HOST`, if the request had one.
    pub http_x_forwarded_host: Option<&'a str>,
    /// `SERVER_NAME`: the server's own name or address.
    pub server_name: &'a str,
    /// `SERVER_PORT`.
    pub server_port: &'a str,
}

/// `HttpRequest.get_host()`: the host if it is allowed, or `DisallowedHost`'s message.
pub fn get_host(environ: &Environ<'_>, settings: &Settings<'_>) -> Verdict {
    let host = raw_host(environ, settings);
    // allowed_hosts = settings.ALLOWED_HOSTS
    // if settings.DEBUG and not allowed_hosts:
    //     allowed_hosts = [".localhost", "127.0.0.1", "[::1]"]
    let debug_defaults: Vec<String>;
    let allowed_hosts = if settings.debug && settings.allowed_hosts.is_empty() {
        debug_defaults = DEBUG_ALLOWED_HOSTS.iter().map(|p| p.to_string()).collect();
        &debug_defaults[..]
    } else {
        settings.allowed_hosts
    };
    // domain, port = split_domain_port(host)
    // if domain and validate_host(domain, allowed_hosts):
    //     return host
    let (domain, _port) = split_domain_port(&host);
    if !domain.is_empty() && validate_host(&domain, allowed_hosts) {
        return Verdict::Allowed;
    }
    let mut message = format!("Invalid HTTP_HOST header: {}.", py_repr(&host));
    if domain.is_empty() {
        message.push_str(" The domain name provided is not valid according to RFC 1034/1035.");
    } else {
        message.push_str(&format!(
            " You may need to add {} to ALLOWED_HOSTS.",
            py_repr(&domain)
        ));
    }
    Verdict::Refused(message)
}

/// `HttpRequest._get_raw_host()`: which value is checked.
fn raw_host(environ: &Environ<'_>, settings: &Settings<'_>) -> String {
    if settings.use_x_forwarded_host
        && let Some(forwarded) = environ.http_x_forwarded_host
    {
        return forwarded.to_string();
    }
    if let Some(host) = environ.http_host {
        return host.to_string();
    }
    // PEP 333: SERVER_NAME, and the port unless it is the scheme's default (Django
    // compares with "443" when is_secure(); hostecho has no TLS, so "80").
    if environ.server_port == "80" {
        environ.server_name.to_string()
    } else {
        format!("{}:{}", environ.server_name, environ.server_port)
    }
}

/// `split_domain_port(host)`: the lowercased domain without one trailing dot, and the
/// port; both empty when `host_validation_re` does not match the whole value.
///
/// ```python
/// host_validation_re = re.compile(r"^([a-z0-9.-]+|\[[a-f0-9]*:[a-f0-9.:]+\])(?::([0-9]+))?$")
/// if match := host_validation_re.fullmatch(host.lower()):
///     domain, port = match.groups(default="")
///     return domain.removesuffix("."), port
/// return "", ""
/// ```
pub fn split_domain_port(host: &str) -> (String, String) {
    let lowered = py_lower(host);
    match match_host_validation_re(&lowered) {
        Some((domain, port)) => (
            domain.strip_suffix('.').unwrap_or(domain).to_string(),
            port.to_string(),
        ),
        None => (String::new(), String::new()),
    }
}

/// `host_validation_re.fullmatch(s)`, written out: `Some((domain, port))` on a match.
///
/// The regex has no case-insensitive flag; it runs on a lowercased value. `$` can
/// match before a final newline, but `fullmatch` must consume the whole string and
/// nothing in the pattern consumes a newline, so a trailing newline fails.
fn match_host_validation_re(s: &str) -> Option<(&str, &str)> {
    let is_name = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-';
    let is_hex = |c: char| matches!(c, 'a'..='f' | '0'..='9');
    let (domain, rest) = if let Some(inside) = s.strip_prefix('[') {
        // \[ [a-f0-9]* : [a-f0-9.:]+ \]  — no class holds ']', so the first ']' closes.
        let close = inside.find(']')?;
        let literal = &inside[..close];
        let hex_run = literal.find(|c: char| !is_hex(c)).unwrap_or(literal.len());
        let after_colon = literal[hex_run..].strip_prefix(':')?;
        if after_colon.is_empty()
            || !after_colon
                .chars()
                .all(|c| is_hex(c) || c == '.' || c == ':')
        {
            return None;
        }
        s.split_at(close + 2)
    } else {
        // [a-z0-9.-]+ holds no ':', so the name ends at the first one.
        let end = s.find(':').unwrap_or(s.len());
        let name = &s[..end];
        if name.is_empty() || !name.chars().all(is_name) {
            return None;
        }
        s.split_at(end)
    };
    // (?::([0-9]+))?$
    if rest.is_empty() {
        return Some((domain, ""));
    }
    let port = rest.strip_prefix(':')?;
    if port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((domain, port))
}

/// `validate_host(host, allowed_hosts)`: whether any pattern allows the domain.
///
/// ```python
/// return any(pattern == "*" or is_same_domain(host, pattern) for pattern in allowed_hosts)
/// ```
pub fn validate_host(host: &str, allowed_hosts: &[String]) -> bool {
    allowed_hosts
        .iter()
        .any(|pattern| pattern == "*" || is_same_domain(host, pattern))
}

/// `is_same_domain(host, pattern)` from `django/utils/http.py`.
///
/// ```python
/// if not pattern:
///     return False
/// pattern = pattern.lower()
/// return (
///     pattern[0] == "." and (host.endswith(pattern) or host == pattern[1:])
///     or pattern == host
/// )
/// ```
pub fn is_same_domain(host: &str, pattern: &str) -> bool {
    if pattern.is_empty() {
        return false;
    }
    let pattern = py_lower(pattern);
    match pattern.strip_prefix('.') {
        Some(rest) if host.ends_with(&pattern) || host == rest => true,
        _ => pattern == host,
    }
}

/// Python's `repr(s)` of a string, as `DisallowedHost` quotes values with `%r`.
///
/// Single quotes, unless the text holds `'` and no `"`; then `\\`, the chosen quote,
/// `\t`, `\n` and `\r` are escaped, other control characters and the non-printable
/// Latin-1 characters (U+0080–U+00A0 and the soft hyphen U+00AD) become `\xNN`, and
/// printable characters, `é` included, stay as they are. Characters above U+00FF
/// (which a Latin-1 value cannot hold) are kept as they are.
pub fn py_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{a0}' | '\u{ad}' => {
                out.push_str(&format!("\\x{:02x}", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(patterns: &[&str]) -> Vec<String> {
        patterns.iter().map(|p| p.to_string()).collect()
    }

    fn host_only(value: &str, allowed: &[&str], debug: bool) -> Verdict {
        let allowed = list(allowed);
        get_host(
            &Environ {
                http_host: Some(value),
                http_x_forwarded_host: None,
                server_name: "127.0.0.1",
                server_port: "8090",
            },
            &Settings {
                allowed_hosts: &allowed,
                debug,
                use_x_forwarded_host: false,
            },
        )
    }

    #[test]
    fn split_domain_port_table() {
        let table: &[(&str, &str, &str)] = &[
            ("example.com", "example.com", ""),
            ("Example.COM.:80", "example.com", "80"),
            ("example.com..", "example.com.", ""),
            ("127.1", "127.1", ""),
            ("-a-.b", "-a-.b", ""),
            ("[::1]:8000", "[::1]", "8000"),
            ("[::::]", "[::::]", ""),
            ("[ABCD::1]", "[abcd::1]", ""),
            ("example.com:99999999", "example.com", "99999999"),
            ("example.com:", "", ""),
            ("example.com:evil", "", ""),
            ("example.com:80:80", "", ""),
            ("[::1]x", "", ""),
            ("[1.2.3.4:5]", "", ""),
            ("[:]", "", ""),
            ("[a:]", "", ""),
            ("ex_ample.com", "", ""),
            ("example.com\n", "", ""),
            ("", "", ""),
            (".", "", ""),
            ("..", ".", ""),
        ];
        for &(value, domain, port) in table {
            assert_eq!(
                split_domain_port(value),
                (domain.to_string(), port.to_string()),
                "{value:?}"
            );
        }
    }

    /// Django, `tests/utils_tests/test_http.py`, `IsSameDomainTests`.
    #[test]
    fn ports_django_is_same_domain() {
        for (host, pattern) in [
            ("example.com", "example.com"),
            ("example.com", ".example.com"),
            ("foo.example.com", ".example.com"),
            ("example.com:8888", "example.com:8888"),
            ("example.com:8888", ".example.com:8888"),
            ("foo.example.com:8888", ".example.com:8888"),
        ] {
            assert!(is_same_domain(host, pattern), "{host} {pattern}");
        }
        for (host, pattern) in [
            ("example2.com", "example.com"),
            ("foo.example.com", "example.com"),
            ("example.com:9999", "example.com:8888"),
            ("foo.example.com:8888", ""),
        ] {
            assert!(!is_same_domain(host, pattern), "{host} {pattern}");
        }
    }

    /// Django's docs, "validate_host" session in the ALLOWED_HOSTS discussion.
    #[test]
    fn validate_host_session() {
        assert!(validate_host("example.com", &list(&[".example.com"])));
        assert!(validate_host("www.example.com", &list(&[".example.com"])));
        assert!(!validate_host("evilexample.com", &list(&[".example.com"])));
        assert!(!validate_host("www.example.org", &list(&["*.example.org"])));
        assert!(validate_host("anything", &list(&["*"])));
    }

    #[test]
    fn messages_quote_with_python_repr() {
        let refused = |message: &str| Verdict::Refused(message.to_string());
        assert_eq!(
            host_only("evil.example", &["example.com"], false),
            refused(
                "Invalid HTTP_HOST header: 'evil.example'. You may need to add 'evil.example' to ALLOWED_HOSTS."
            )
        );
        assert_eq!(
            host_only("Example.COM.:80", &["other"], false),
            refused(
                "Invalid HTTP_HOST header: 'Example.COM.:80'. You may need to add 'example.com' to ALLOWED_HOSTS."
            )
        );
        assert_eq!(
            host_only("a'b", &["*"], false),
            refused(
                "Invalid HTTP_HOST header: \"a'b\". The domain name provided is not valid according to RFC 1034/1035."
            )
        );
        assert_eq!(py_repr("a\"b'"), r#"'a"b\''"#);
        assert_eq!(
            py_repr("\0\x7f\u{80}\u{a0}\u{ad}é\\\t"),
            r"'\x00\x7f\x80\xa0\xadé\\\t'"
        );
    }

    #[test]
    fn debug_defaults_only_for_an_empty_list() {
        assert!(!host_only("localhost", &[], false).is_allowed());
        assert!(host_only("localhost", &[], true).is_allowed());
        assert!(host_only("a.localhost:8000", &[], true).is_allowed());
        assert!(host_only("[::1]:8000", &[], true).is_allowed());
        assert!(!host_only("localhost", &["example.com"], true).is_allowed());
    }

    #[test]
    fn raw_host_prefers_x_forwarded_host_then_host_then_server_name() {
        let allowed = list(&["*"]);
        let environ = |host, xfh| Environ {
            http_host: host,
            http_x_forwarded_host: xfh,
            server_name: "127.0.0.1",
            server_port: "8090",
        };
        let settings = |xfh| Settings {
            allowed_hosts: &allowed,
            debug: false,
            use_x_forwarded_host: xfh,
        };
        assert_eq!(
            raw_host(&environ(Some("h"), Some("x")), &settings(true)),
            "x"
        );
        assert_eq!(
            raw_host(&environ(Some("h"), Some("x")), &settings(false)),
            "h"
        );
        assert_eq!(
            raw_host(&environ(None, None), &settings(true)),
            "127.0.0.1:8090"
        );
        let port80 = Environ {
            server_port: "80",
            ..environ(None, None)
        };
        assert_eq!(raw_host(&port80, &settings(false)), "127.0.0.1");
    }
}
