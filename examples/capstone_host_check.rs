//! The capstone of the Host chapters: one server that decides which host a request is
//! for (chapter 10), refuses it before anything else when the host is not one of its own
//! (chapter 11), and reads its allow-list in every kind of pattern (chapter 12).
//!
//! This is the reference solution; `exercises/capstone_host_check.rs` is the same
//! program with `decide` and `Pattern::matches` left for you to write. Run it with the
//! address, then the patterns (none: the capstone's allow-list, [`CAPSTONE_PATTERNS`]):
//!
//! ```text
//! cargo run --example capstone_host_check                  # listens on 127.0.0.1:8110
//! cargo run --example capstone_host_check -- 127.0.0.1:8110 .localhost 127.0.0.1 '[::1]'
//! ```
//!
//! and grade it against the three chapters, from another terminal, with the same list:
//!
//! ```text
//! cargo run -- grade 10 127.0.0.1:8110 --allowed-hosts 'example.com, .example.org, *.example.net, 127.0.0.1, [::1], 10.0.0.0/8'
//! cargo run -- grade 11 127.0.0.1:8110 --allowed-hosts 'example.com, .example.org, *.example.net, 127.0.0.1, [::1], 10.0.0.0/8'
//! cargo run -- grade 12 127.0.0.1:8110 --allowed-hosts 'example.com, .example.org, *.example.net, 127.0.0.1, [::1], 10.0.0.0/8'
//! ```
//!
//! Like the servers of chapters 10 to 12 it serves one connection at a time and one
//! request on each, so that the Host logic stands alone.

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv6Addr, TcpListener, TcpStream};
use std::process::ExitCode;
use std::time::Duration;

use ipnet::IpNet;

// ANCHOR: capstone_patterns
/// The capstone's allow-list: one pattern of each kind, so that the grader's corpus
/// tries each of them.
const CAPSTONE_PATTERNS: &[&str] = &[
    "example.com",
    ".example.org",
    "*.example.net",
    "127.0.0.1",
    "[::1]",
    "10.0.0.0/8",
];
// ANCHOR_END: capstone_patterns

/// One allowed-hosts pattern, parsed once at start.
#[derive(Debug)]
enum Pattern {
    /// `example.com`: that name, and nothing else.
    Exact(String),
    /// `.example.com` (Django): the name and every subdomain, at any depth.
    DomainAndSubdomains(String),
    /// `*.example.com` (Starlette): every subdomain at any depth, not the name itself.
    SubdomainsOnly(String),
    /// `*`: any host that is well-formed.
    Any,
    /// `127.0.0.1`, `[::1]`: that address.
    Ip(IpAddr),
    /// `10.0.0.0/8`: any address in the range (neither Django nor Starlette has this).
    Network(IpNet),
}

/// A host from a request: a name (lowercase, no trailing dot) or an IP literal.
#[derive(Debug, PartialEq)]
enum Host {
    Name(String),
    Ip(IpAddr),
}

impl Pattern {
    fn parse(raw: &str) -> Result<Pattern, String> {
        let lower = raw.to_ascii_lowercase();
        if lower == "*" {
            return Ok(Pattern::Any);
        }
        if lower.contains('/') {
            return lower
                .parse()
                .map(Pattern::Network)
                .map_err(|_| "not a CIDR range like 10.0.0.0/8".to_string());
        }
        if let Some(domain) = lower.strip_prefix("*.") {
            return name(domain).map(Pattern::SubdomainsOnly);
        }
        if let Some(domain) = lower.strip_prefix('.') {
            return name(domain).map(Pattern::DomainAndSubdomains);
        }
        // A bare IPv6 address is unambiguous in a pattern, which has no port.
        if let Ok(ip) = lower.parse::<Ipv6Addr>() {
            return Ok(Pattern::Ip(ip.into()));
        }
        // The port is never matched (a request may name it or not), so a pattern with
        // one would be a mistake that silently matches nothing.
        let has_port = match lower.strip_prefix('[') {
            Some(rest) => !rest.ends_with(']'),
            None => lower.contains(':'),
        };
        if has_port {
            return Err("a pattern names a host, without a port".to_string());
        }
        match parse_host(&lower) {
            Some(Host::Ip(ip)) => Ok(Pattern::Ip(ip)),
            Some(Host::Name(name)) => Ok(Pattern::Exact(name)),
            None => {
                Err("not a name, an IP address, .domain, *.domain, * or a CIDR range".to_string())
            }
        }
    }
}

/// A pattern's domain must itself be a valid name.
fn name(domain: &str) -> Result<String, String> {
    match parse_host(domain) {
        Some(Host::Name(name)) => Ok(name),
        _ => Err(format!("{domain:?} is not a domain name")),
    }
}

// ANCHOR: matches
impl Pattern {
    /// Whether this pattern allows the host. Names are compared whole label by whole
    /// label: `.example.com` must match at a dot, so `evilexample.com` is out.
    /// Addresses are compared as addresses, so `[::1]` and `[0:0::1]` are the same.
    fn matches(&self, host: &Host) -> bool {
        match (self, host) {
            (Pattern::Any, _) => true,
            (Pattern::Exact(pattern), Host::Name(name)) => name == pattern,
            (Pattern::DomainAndSubdomains(domain), Host::Name(name)) => {
                name == domain || is_subdomain(name, domain)
            }
            (Pattern::SubdomainsOnly(domain), Host::Name(name)) => is_subdomain(name, domain),
            (Pattern::Ip(ip), Host::Ip(addr)) => ip == addr,
            (Pattern::Network(net), Host::Ip(addr)) => net.contains(addr),
            // A name never matches an address pattern, nor an address a name pattern.
            _ => false,
        }
    }
}

/// `a.b.example.com` is a subdomain of `example.com`; `evilexample.com` is not.
fn is_subdomain(name: &str, domain: &str) -> bool {
    name.strip_suffix(domain)
        .is_some_and(|prefix| prefix.ends_with('.'))
}
// ANCHOR_END: matches

/// Parses a Host value, `host[:port]`, into the host alone; `None` if it is not valid.
/// The port must be digits and is then ignored: no pattern names a port.
fn parse_host(value: &str) -> Option<Host> {
    let value = value.to_ascii_lowercase();
    // `[v6]` or `[v6]:port`: the brackets keep the address's colons apart from the port's.
    if let Some(rest) = value.strip_prefix('[') {
        let (inside, after) = rest.split_once(']')?;
        let ip: Ipv6Addr = inside.parse().ok()?;
        return (after.is_empty() || is_port(after.strip_prefix(':')?))
            .then_some(Host::Ip(ip.into()));
    }
    let host = match value.rsplit_once(':') {
        Some((host, port)) if is_port(port) => host,
        Some(_) => return None,
        None => value.as_str(),
    };
    if let Ok(ip) = host.parse::<std::net::Ipv4Addr>() {
        return Some(Host::Ip(ip.into()));
    }
    // A name: one trailing dot allowed (`example.com.` is fully qualified, the same
    // name), then labels of letters, digits and hyphens (RFC 1034/1035).
    let host = host.strip_suffix('.').unwrap_or(host);
    let label = |l: &str| {
        (1..=63).contains(&l.len()) && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    (host.len() <= 253 && host.split('.').all(label)).then(|| Host::Name(host.to_string()))
}

fn is_port(port: &str) -> bool {
    (1..=5).contains(&port.len())
        && port.bytes().all(|b| b.is_ascii_digit())
        && port.parse::<u16>().is_ok()
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:8110".to_string());
    let mut given: Vec<String> = args.collect();
    if given.is_empty() {
        given = CAPSTONE_PATTERNS.iter().map(|p| p.to_string()).collect();
    }
    // Refuse a pattern we do not understand now, not on the first request: a typo in
    // an allow-list otherwise fails open or closed without a word. (Django accepts any
    // string silently; a misspelt pattern just never matches.)
    let mut patterns = Vec::new();
    for raw in &given {
        match Pattern::parse(raw) {
            Ok(pattern) => patterns.push((raw.as_str(), pattern)),
            Err(why) => {
                eprintln!("error: invalid allowed-hosts pattern {raw:?}: {why}");
                return ExitCode::FAILURE;
            }
        }
    }
    let listener = match TcpListener::bind(&addr).and_then(|l| l.local_addr().map(|a| (l, a))) {
        Ok((listener, local)) => {
            println!("listening on http://{local}");
            listener
        }
        Err(e) => {
            eprintln!("error: cannot bind {addr}: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("allowed hosts: {}", given.join(", "));
    for stream in listener.incoming() {
        if let Err(e) = stream.and_then(|s| handle_connection(s, &patterns)) {
            eprintln!("connection failed: {e}");
        }
    }
    ExitCode::SUCCESS
}

fn handle_connection(mut stream: TcpStream, patterns: &[(&str, Pattern)]) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut head = Vec::new();
    let mut chunk = [0; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 8192 {
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&chunk[..n]);
    }
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut request = httparse::Request::new(&mut headers);
    let (status, body) = match request.parse(&head) {
        Ok(httparse::Status::Complete(_)) => match decide(&request, patterns) {
            Ok(pattern) => (
                "200 OK",
                format!("allowed by {pattern}: {}", request.path.unwrap_or("/")),
            ),
            Err(refusal) => ("400 Bad Request", refusal),
        },
        _ => (
            "400 Bad Request",
            "not an HTTP/1.x request head".to_string(),
        ),
    };
    println!("{body}");
    let reply = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/plain; charset=utf-8\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}\n",
        body.len() + 1
    );
    stream.write_all(reply.as_bytes())
}

// ANCHOR: decide
/// Decides which host the request is for, and whether it is one of ours: `Ok` with the
/// pattern that allows it, or `Err` with the refusal's words. Nothing else in the server
/// looks at the request before this has said yes.
fn decide<'p>(
    request: &httparse::Request,
    patterns: &'p [(&str, Pattern)],
) -> Result<&'p str, String> {
    // Chapter 10: exactly one Host line, in every version, and one in HTTP/1.1.
    let mut hosts = request
        .headers
        .iter()
        .filter(|h| h.name.eq_ignore_ascii_case("host"));
    let (first, second) = (hosts.next(), hosts.next());
    if second.is_some() {
        return Err("more than one Host header line: a request may carry only one".into());
    }
    if first.is_none() && request.version == Some(1) {
        return Err("no Host header: HTTP/1.1 requires one".into());
    }
    // Chapter 10: an absolute-form target names the host, and Host is ignored.
    // Chapter 11: X-Forwarded-Host is never read: no proxy stands in front of us.
    let value = match request.path.and_then(strip_scheme) {
        Some(rest) => rest.split('/').next().unwrap_or_default().as_bytes(),
        None => match first {
            Some(host) => host.value,
            // HTTP/1.0 without Host names no host: nothing to check it against.
            None => return Err("no Host header, and no host in the request target".into()),
        },
    };
    let shown = value.escape_ascii().to_string();
    if value.is_empty() {
        return Err(
            "Invalid HTTP_HOST header: ''. The host is empty, and a request for \
                    an http URI must name one (RFC 9110, section 4.2.1)."
                .into(),
        );
    }
    // Chapters 11 and 12: the whole value well-formed, then one pattern that allows it.
    let Some(host) = std::str::from_utf8(value).ok().and_then(parse_host) else {
        return Err(format!(
            "Invalid HTTP_HOST header: '{shown}'. \
             The domain name provided is not valid according to RFC 1034/1035."
        ));
    };
    match patterns.iter().find(|(_, pattern)| pattern.matches(&host)) {
        Some((raw, _)) => Ok(raw),
        None => {
            let name = match &host {
                Host::Name(name) => name.clone(),
                Host::Ip(IpAddr::V4(ip)) => ip.to_string(),
                Host::Ip(IpAddr::V6(ip)) => format!("[{ip}]"),
            };
            Err(format!(
                "Invalid HTTP_HOST header: '{shown}'. \
                 You may need to add '{name}' to ALLOWED_HOSTS."
            ))
        }
    }
}
// ANCHOR_END: decide

/// The rest of an absolute-form target after its `http://` or `https://`, in any case:
/// a scheme is case-insensitive (RFC 3986, section 3.1), and a check that knew only a
/// lowercase `http://` would take `HTTP://evil.example/` for a path and believe Host.
fn strip_scheme(target: &str) -> Option<&str> {
    ["http://", "https://"].iter().find_map(|scheme| {
        let head = target.get(..scheme.len())?;
        head.eq_ignore_ascii_case(scheme)
            .then(|| &target[scheme.len()..])
    })
}
