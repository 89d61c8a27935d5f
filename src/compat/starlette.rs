//! Starlette's Host check: `TrustedHostMiddleware` in Starlette 1.7 and later
//! (checked against 1.10.0).
//!
//! The functions here follow `starlette/middleware/trustedhost.py` and
//! `parse_host_header` in `starlette/_utils.py`, with the Python quoted beside each
//! step. Starlette's rules, in short:
//!
//! * **Which value**: the first `Host` header. Forwarding headers are not read.
//! * **Syntax** (`parse_host_header`, case-insensitive): an RFC 3986 reg-name
//!   (`[a-z0-9._~%!$&'()*+,;=-]+`, so `_`, `%`, `!` and a leading `.` pass), or
//!   brackets around an IPv6 address (which Python's `ipaddress` must accept) or an
//!   IPvFuture literal, then an optional `:` and any number of digits.
//! * **Patterns**: lowercased; `*` allows everything, *even a missing or malformed
//!   Host*, because the middleware then returns before looking; `*.example.com`
//!   is `host.endswith(".example.com")`; anything else an exact compare. So
//!   `.example.com` matches only a Host of `.example.com`, and CIDR ranges and
//!   non-ASCII names match nothing.
//! * **`www` redirect**: a refused `example.com` when `www.example.com` is a pattern
//!   is redirected there (307) instead of refused.
//! * **Message**: the 400 body `Invalid host header`.
//!
//! # Starlette 1.6 and earlier
//!
//! Before 1.7 the middleware did not parse the value at all: it took
//! `headers.get("host", "").split(":")[0]` and compared it with the patterns as given.
//! So it was **case-sensitive** (`Example.com` refused by `example.com`), **never
//! checked the port** (`example.com:evil` allowed), could not allow an **IPv6 address
//! with a port** (`[::1]:8000` split to `[`; Starlette issue #3357), and let any
//! bytes through in the name (`ex ample.com` was just another string to compare).

use std::net::SocketAddr;

use super::{Verdict, py_lower};

/// The 400 body Starlette sends for a refused Host.
pub const INVALID_HOST: &str = "Invalid host header";

/// A `Host` value split by `parse_host_header`: the host as written (brackets kept,
/// case kept) and the port digits as written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParsedHost<'a> {
    /// `host`, brackets and case as received.
    pub host: &'a str,
    /// `port`, the digits as received (leading zeros kept).
    pub port: Option<&'a str>,
}

impl ParsedHost<'_> {
    /// `ParsedHost.is_valid_port`: no port, or at most five digits once leading zeros
    /// are dropped, and at most 65535.
    pub fn is_valid_port(&self) -> bool {
        match self.port {
            None => true,
            Some(port) => {
                let digits = port.trim_start_matches('0');
                digits.len() <= 5 && digits.parse::<u32>().unwrap_or(0) <= 65535
            }
        }
    }
}

/// `TrustedHostMiddleware(app, allowed_hosts)` answering one request whose first
/// `Host` header is `host_header` (text, see [`super::latin1`]). `allowed_hosts` is
/// `None` when the application passed none, which Starlette reads as `["*"]`.
/// `server` is the ASGI scope's `server`, used only to build a redirect for a Host
/// whose port is out of range.
pub fn trusted_host(
    host_header: Option<&str>,
    allowed_hosts: Option<&[String]>,
    server: SocketAddr,
) -> Verdict {
    let star = ["*".to_string()];
    let allowed_hosts = allowed_hosts.unwrap_or(&star);
    // self.allow_any = "*" in allowed_hosts  (checked before anything is parsed)
    if allowed_hosts.iter().any(|p| p == "*") {
        return Verdict::Allowed;
    }
    let Some(parsed) = host_header.and_then(parse_host_header) else {
        return Verdict::Refused(INVALID_HOST.to_string());
    };
    let host = py_lower(parsed.host);
    let mut found_www_redirect = false;
    for pattern in allowed_hosts.iter().map(|p| py_lower(p)) {
        // if host == pattern or (pattern.startswith("*") and host.endswith(pattern[1:])):
        if host == pattern
            || pattern
                .strip_prefix('*')
                .is_some_and(|suffix| host.ends_with(suffix))
        {
            return Verdict::Allowed;
        }
        // elif "www." + host == pattern:
        if format!("www.{host}") == pattern {
            found_www_redirect = true;
        }
    }
    if found_www_redirect {
        return Verdict::Redirected(www_redirect_url(&parsed, server));
    }
    Verdict::Refused(INVALID_HOST.to_string())
}

/// Where the `www` redirect goes, for a request to `/`: `URL(scope=scope)` uses the
/// Host's authority when its port is valid, else the scope's `server`; then
/// `replace(netloc="www." + url.netloc)`.
fn www_redirect_url(parsed: &ParsedHost<'_>, server: SocketAddr) -> String {
    let netloc = if parsed.is_valid_port() {
        match parsed.port {
            Some(port) => format!("{}:{port}", parsed.host),
            None => parsed.host.to_string(),
        }
    } else {
        let host = match server.ip() {
            std::net::IpAddr::V4(v4) => v4.to_string(),
            std::net::IpAddr::V6(v6) => format!("[{v6}]"),
        };
        if server.port() == 80 {
            host
        } else {
            format!("{host}:{}", server.port())
        }
    };
    format!("http://www.{netloc}/")
}

/// `parse_host_header(value)`: `None` when the value does not match `_HOST_RE`, or
/// when its bracketed IPv6 part is not an address to Python's `ipaddress`.
///
/// ```python
/// _HOST_RE = re.compile(
///     r"^(?P<host>[a-z0-9._~%!$&'()*+,;=-]+|\[(?:(?P<ipv6>[a-f0-9]*:[a-f0-9.:]+)|"
///     r"(?-i:v)[a-f0-9]+\.[a-z0-9._~!$&'()*+,;=:-]+)\])(?::(?P<port>[0-9]+))?$",
///     re.IGNORECASE,
/// )
/// ```
///
/// Under `re.IGNORECASE` a Unicode pattern also matches the Kelvin sign and the long
/// s as `k` and `s`, but a Latin-1 value cannot hold them, so ASCII case-folding is
/// exact here.
pub fn parse_host_header(value: &str) -> Option<ParsedHost<'_>> {
    let is_reg_name = |c: char| c.is_ascii_alphanumeric() || "._~%!$&'()*+,;=-".contains(c);
    let (host, rest) = if let Some(inside) = value.strip_prefix('[') {
        // No class inside the brackets holds ']', so the first ']' closes them.
        let close = inside.find(']')?;
        let literal = &inside[..close];
        if let Some(ipv6) = match_ipv6_group(literal) {
            // try: IPv6Address(ipv6) except AddressValueError: return None
            python_ipv6_address(ipv6)?;
        } else if !is_ipv_future(literal) {
            return None;
        }
        value.split_at(close + 2)
    } else {
        // The reg-name class holds no ':', so the name ends at the first one.
        let end = value.find(':').unwrap_or(value.len());
        let name = &value[..end];
        if name.is_empty() || !name.chars().all(is_reg_name) {
            return None;
        }
        value.split_at(end)
    };
    let port = match rest.strip_prefix(':') {
        None if rest.is_empty() => None,
        None => return None,
        Some(port) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => Some(port),
        Some(_) => return None,
    };
    Some(ParsedHost { host, port })
}

/// `(?P<ipv6>[a-f0-9]*:[a-f0-9.:]+)`, case-insensitive, as the whole bracketed text.
fn match_ipv6_group(literal: &str) -> Option<&str> {
    let hex_run = literal
        .find(|c: char| !c.is_ascii_hexdigit())
        .unwrap_or(literal.len());
    let after_colon = literal[hex_run..].strip_prefix(':')?;
    let ok = !after_colon.is_empty()
        && after_colon
            .chars()
            .all(|c| c.is_ascii_hexdigit() || c == '.' || c == ':');
    ok.then_some(literal)
}

/// `(?-i:v)[a-f0-9]+\.[a-z0-9._~!$&'()*+,;=:-]+`: the `v` must be lowercase.
fn is_ipv_future(literal: &str) -> bool {
    let Some(rest) = literal.strip_prefix('v') else {
        return false;
    };
    let hex_run = rest
        .find(|c: char| !c.is_ascii_hexdigit())
        .unwrap_or(rest.len());
    if hex_run == 0 {
        return false;
    }
    let Some(tail) = rest[hex_run..].strip_prefix('.') else {
        return false;
    };
    !tail.is_empty()
        && tail
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._~!$&'()*+,;=:-".contains(c))
}

/// Whether Python's `ipaddress.IPv6Address(text)` accepts the text (3.9.5 and later:
/// `IPv6Address._ip_int_from_string`), for text made of hex digits, `.` and `:` as
/// the regex lets through. Its rules differ from `std`'s parser in small ways, so
/// they are written out rather than borrowed.
fn python_ipv6_address(text: &str) -> Option<()> {
    const HEXTETS: usize = 8;
    if text.is_empty() || text.len() > 45 {
        return None;
    }
    let mut parts: Vec<&str> = text.split(':').collect();
    if parts.len() < 3 {
        return None;
    }
    // An IPv4 suffix counts as two hextets.
    let mut v4_hextets = 0;
    if parts.last().is_some_and(|p| p.contains('.')) {
        let v4 = parts.pop().unwrap_or_default();
        python_ipv4_address(v4)?;
        v4_hextets = 2;
    }
    let count = parts.len() + v4_hextets;
    if count > HEXTETS + 1 {
        return None;
    }
    // Checked as Python checks: an empty part between the ends is '::'.
    let all: Vec<&str> = parts
        .iter()
        .copied()
        .chain(std::iter::repeat_n("0", v4_hextets))
        .collect();
    let mut skip_index = None;
    for (i, part) in all.iter().enumerate().take(count - 1).skip(1) {
        if part.is_empty() {
            if skip_index.is_some() {
                return None;
            }
            skip_index = Some(i);
        }
    }
    let (hi, lo) = match skip_index {
        Some(skip) => {
            let mut hi = skip;
            let mut lo = count - skip - 1;
            if all[0].is_empty() {
                hi -= 1;
                if hi > 0 {
                    return None;
                }
            }
            if all[count - 1].is_empty() {
                lo -= 1;
                if lo > 0 {
                    return None;
                }
            }
            if HEXTETS < hi + lo + 1 {
                return None;
            }
            (hi, lo)
        }
        None => {
            if count != HEXTETS || all[0].is_empty() || all[count - 1].is_empty() {
                return None;
            }
            (count, 0)
        }
    };
    // _parse_hextet: 1 to 4 hex digits ("" fails in int("", 16)).
    let hextet =
        |s: &str| !s.is_empty() && s.len() <= 4 && s.chars().all(|c| c.is_ascii_hexdigit());
    let ok = all[..hi].iter().all(|p| hextet(p)) && all[count - lo..].iter().all(|p| hextet(p));
    ok.then_some(())
}

/// Whether Python's `ipaddress.IPv4Address(text)` accepts the text: four decimal
/// octets of 1 to 3 ASCII digits, at most 255, without leading zeros.
fn python_ipv4_address(text: &str) -> Option<()> {
    let octets: Vec<&str> = text.split('.').collect();
    if octets.len() != 4 {
        return None;
    }
    for octet in octets {
        if octet.is_empty()
            || octet.len() > 3
            || !octet.bytes().all(|b| b.is_ascii_digit())
            || (octet.len() > 1 && octet.starts_with('0'))
            || octet.parse::<u16>().ok()? > 255
        {
            return None;
        }
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SERVER: &str = "127.0.0.1:8090";

    fn verdict(host: Option<&str>, allowed: Option<&[&str]>) -> Verdict {
        let allowed: Option<Vec<String>> =
            allowed.map(|list| list.iter().map(|p| p.to_string()).collect());
        trusted_host(host, allowed.as_deref(), SERVER.parse().unwrap())
    }

    /// A value, and the host and port `parse_host_header` splits it into.
    type Split = (&'static str, Option<(&'static str, Option<&'static str>)>);

    #[test]
    fn parse_host_header_table() {
        let table: &[Split] = &[
            ("example.com", Some(("example.com", None))),
            ("Example.COM:8080", Some(("Example.COM", Some("8080")))),
            (
                "example.com:99999999",
                Some(("example.com", Some("99999999"))),
            ),
            ("ex_am%ple!.com", Some(("ex_am%ple!.com", None))),
            (".example.com", Some((".example.com", None))),
            ("[::1]:8000", Some(("[::1]", Some("8000")))),
            ("[ABCD::1]", Some(("[ABCD::1]", None))),
            ("[v1.x:y]", Some(("[v1.x:y]", None))),
            ("[V1.x]", None),
            ("[::1%25eth0]", None),
            ("[:::]", None),
            ("[1::2:3:4:5:6:7:8]", None),
            ("[::01.2.3.4]", None),
            ("[::1.2.3.4]", Some(("[::1.2.3.4]", None))),
            ("example.com:", None),
            ("example.com:evil", None),
            ("example.com:80:80", None),
            ("ex ample.com", None),
            ("example.com@evil", None),
            ("caf\u{e9}.example", None),
            ("", None),
        ];
        for &(value, want) in table {
            let got = parse_host_header(value).map(|p| (p.host, p.port));
            assert_eq!(got, want, "{value:?}");
        }
    }

    #[test]
    fn valid_port_drops_leading_zeros() {
        let port = |p| ParsedHost {
            host: "h",
            port: Some(p),
        };
        assert!(port("000065535").is_valid_port());
        assert!(!port("65536").is_valid_port());
        assert!(!port("123456").is_valid_port());
        assert!(port("0").is_valid_port());
    }

    /// Starlette, `tests/middleware/test_trusted_host.py`: `test_trusted_host_middleware`
    /// and `test_default_allowed_hosts`, and the www redirect tests.
    #[test]
    fn ports_starlette_trusted_host_tests() {
        let allowed = Some(&["testserver", "*.testserver"][..]);
        assert!(verdict(Some("testserver"), allowed).is_allowed());
        assert!(verdict(Some("subdomain.testserver"), allowed).is_allowed());
        assert_eq!(
            verdict(Some("invalidhost"), allowed),
            Verdict::Refused(INVALID_HOST.to_string())
        );
        // Since 1.7 the host is lowercased (1.6 refused this).
        assert!(verdict(Some("TestServer:8000"), allowed).is_allowed());
        assert!(verdict(Some("anything at all"), None).is_allowed());
        let www = Some(&["www.example.com"][..]);
        assert_eq!(
            verdict(Some("example.com"), www),
            Verdict::Redirected("http://www.example.com/".to_string())
        );
        assert_eq!(
            verdict(Some("Example.com:8080"), www),
            Verdict::Redirected("http://www.Example.com:8080/".to_string())
        );
        // A port out of range is not used in the redirect: the server's address is.
        assert_eq!(
            verdict(Some("example.com:99999"), www),
            Verdict::Redirected("http://www.127.0.0.1:8090/".to_string())
        );
    }

    #[test]
    fn star_allows_even_a_missing_or_malformed_host() {
        for host in [None, Some(""), Some("example.com:evil"), Some("\u{0}")] {
            assert!(
                verdict(host, Some(&["a.example", "*"])).is_allowed(),
                "{host:?}"
            );
        }
        assert!(!verdict(None, Some(&["a.example"])).is_allowed());
    }

    #[test]
    fn patterns_it_does_not_support_are_literal_strings() {
        // `.x` is an exact compare: only a Host of `.x` matches it.
        assert!(!verdict(Some("example.com"), Some(&[".example.com"])).is_allowed());
        assert!(verdict(Some(".example.com"), Some(&[".example.com"])).is_allowed());
        // `*.x` is `endswith(".x")`, so a Host of `.x` matches too.
        assert!(verdict(Some(".example.com"), Some(&["*.example.com"])).is_allowed());
        assert!(!verdict(Some("example.com"), Some(&["*.example.com"])).is_allowed());
        // CIDR and IDNA patterns match nothing; a bare IPv6 pattern neither.
        assert!(!verdict(Some("10.0.0.1"), Some(&["10.0.0.0/8"])).is_allowed());
        assert!(!verdict(Some("[::1]"), Some(&["::1"])).is_allowed());
        assert!(!verdict(Some("xn--bcher-kva.example"), Some(&["bücher.example"])).is_allowed());
        // Patterns are lowercased, hosts too.
        assert!(verdict(Some("[2001:db8::1]"), Some(&["[2001:DB8::1]"])).is_allowed());
    }
}
