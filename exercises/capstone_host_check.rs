//! Capstone of the Host chapters: your own Host-checking server. It decides which host
//! a request is for (chapter 10), refuses it before anything else when the host is not
//! one of its own (chapter 11), and reads its allow-list in every kind of pattern
//! (chapter 12).
//!
//! `decide` and `Pattern::matches` are yours to write; reading requests, parsing
//! patterns and Host values, and answering are given. Run it with the address, then the
//! patterns (none: the capstone's allow-list, [`CAPSTONE_PATTERNS`]):
//!
//! ```text
//! cargo run --example ex_capstone_host_check               # listens on 127.0.0.1:8110
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
//! Until they are written, each request with a Host reaches a `todo!()`: the server
//! prints the panic, closes that connection without an answer, and goes on listening.
//! The reference solution is `examples/capstone_host_check.rs`.

// Until the `todo!()`s are written, some names go unused. Delete this line when you are
// done: the compiler then tells you about anything you left unused.
#![allow(unused_variables, dead_code)]

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv6Addr, TcpListener, TcpStream};
use std::panic::{self, AssertUnwindSafe};
use std::process::ExitCode;
use std::time::Duration;

use ipnet::IpNet;

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
    /// label; addresses as addresses.
    fn matches(&self, host: &Host) -> bool {
        // Your turn, as in chapter 12: `Any` allows every well-formed host; `Exact`, that
        // name; `DomainAndSubdomains`, the domain and every name under it at a dot;
        // `SubdomainsOnly`, the names under it but not itself; `Ip`, that address;
        // `Network`, the addresses in it. A name never matches an address pattern, nor
        // an address a name pattern.
        todo!("match one pattern against one host")
    }
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
        // A panic (a `todo!()`, until you write it) ends this connection, not the
        // server: the grader then finds a connection closed without an answer, rather
        // than nothing listening at all.
        let served = panic::catch_unwind(AssertUnwindSafe(|| {
            stream.and_then(|s| handle_connection(s, &patterns))
        }));
        if let Ok(Err(e)) = served {
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
    // Your turn: the rules of chapters 10 to 12, in this order, refusing at the first
    // that fails, each refusal's words saying why:
    // 1. more than one Host line, in any version; HTTP/1.1 without one (chapter 10);
    // 2. the host is the authority of an absolute-form target (`http://host:port/…`,
    //    the scheme in any case: `strip_scheme(target)`) when there is one, the Host
    //    value otherwise; `X-Forwarded-Host` is never read,
    //    since no proxy stands in front of this server (chapter 11);
    // 3. an empty host names nothing (RFC 9110, section 4.2.1);
    // 4. the whole value must be a valid `host[:port]`: `parse_host` (chapter 11's port
    //    injection stops here), or Django's "not valid according to RFC 1034/1035";
    // 5. a pattern must match it, or Django's "You may need to add 'NAME' to
    //    ALLOWED_HOSTS." Return the matching pattern as written (`patterns[i].0`).
    // Quote the client's value escaped (`value.escape_ascii()`): the client wrote it.
    todo!("one host, well-formed, allowed by a pattern, or a refusal saying why")
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
