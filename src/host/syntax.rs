//! The `host[:port]` grammar, and the one normal form every host is compared in.
//!
//! A `Host` value (RFC 9110 §7.2) is `uri-host [ ":" port ]`, where `uri-host` is the
//! RFC 3986 §3.2.2 `host`: a registered name, an IPv4 address, or an IPv6 address in
//! brackets. RFC 3986 is generous about reg-names (it allows `%`-escapes, `_`, `~`,
//! `!`, `$` …) because URIs name more than DNS hosts. An HTTP server answers for DNS
//! hosts only, so hostecho narrows reg-name to the hostname rules of RFC 1034 §3.5,
//! RFC 1035 §2.3.4 and RFC 1123 §2.1:
//!
//! ```text
//! host-port = host [ ":" port ]
//! host      = "[" IPv6address "]" / IPv4address / hostname
//! hostname  = label *( "." label ) [ "." ]      ; at most 253 octets without the dot
//! label     = let-dig [ *61( let-dig / "-" ) let-dig ]   ; 1 to 63 octets
//! port      = 1*5DIGIT                          ; at most 65535
//! ```
//!
//! Everything else is refused, and each refusal has a reason ([`SyntaxError`]) that
//! names the attack or the confusion it stops. The decisions worth knowing:
//!
//! * **Bytes, not text.** A framed header value may hold any byte from 0x80 up, which
//!   need not be UTF-8, and one built by hand (`Fields::List`) any byte at all. The
//!   parser walks bytes and only builds a `str` from bytes it has already checked are
//!   ASCII, so nothing here assumes UTF-8 and nothing can panic on a client's bytes.
//! * **Numbers that are not dotted quads are refused.** `127.1`, `0x7f.0.0.1`,
//!   `2130706433` and `010.0.0.1` all mean 127.0.0.1 (or 8.0.0.1) to `inet_aton` and
//!   to browsers (WHATWG URL §3.5, "ends in a number"), but are names to a naive
//!   string compare: a classic way to slip a loopback address past an allow-list
//!   (SSRF). A host whose last label is all digits, or `0x` + hex digits, must be a
//!   strict dotted quad (four decimal parts, no leading zeros) or it is refused.
//! * **Labels may not start or end with `-`** (RFC 952, kept by RFC 1123 §2.1).
//!   Nothing legitimate needs it, and refusing is the safer side.
//! * **`_` is refused.** It is legal in DNS *records* (`_dmarc`, SRV) but not in host
//!   names (RFC 1123 §2.1), and Django refuses it too.
//! * **An empty port (`example.com:`) is refused.** RFC 3986 §3.2.3 allows it in a
//!   URI, but no client sends it in Host, and Django's `host_validation_re` (`(:\d+)?$`)
//!   refuses it too: a `:` must be followed by the port.
//! * **IPv6 zone ids (`[fe80::1%25eth0]`) are refused**: a zone names an interface on
//!   the *client's* machine, which means nothing to the server, and `%` is a
//!   percent-encoding trap. So is IPvFuture (`[v1.x]`), which nothing uses.
//! * **One trailing dot is allowed and removed** (`example.com.` is the fully
//!   qualified spelling of `example.com`); two are an empty label and refused.
//!
//! The normal form is: lowercase, no trailing dot, no port, IPv6 in brackets in the
//! canonical text form of RFC 5952 (what `std`'s `Display` prints), so `[0:0::1]`
//! and `[::1]` compare equal.
//!
//! # Borrowed when it can be
//!
//! A name is usually sent in its normal form already (`localhost:8090`, `example.com`):
//! then the normal form is a slice of the bytes received, and [`Host::Name`] borrows it
//! (a [`Cow::Borrowed`]) instead of copying it into a `String` on every request. Only a
//! name with an uppercase letter is copied, to lowercase it; a trailing dot costs
//! nothing, since dropping it only shortens the slice. That is why [`Host`] and
//! [`HostPort`] carry the lifetime of the value they were parsed from;
//! [`Host::into_owned`] cuts the tie when a host must outlive it.

use std::borrow::Cow;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The longest a hostname may be, without its trailing dot (RFC 1035 §2.3.4 allows
/// 255 octets on the wire, which is 253 characters in text form).
pub const MAX_NAME_LEN: usize = 253;

/// The longest a single label may be (RFC 1035 §2.3.4).
pub const MAX_LABEL_LEN: usize = 63;

/// A host that passed the grammar, in normal form.
///
/// `Display` prints the normal form: the name, the dotted quad, or the IPv6 address
/// in brackets. `'a` is the lifetime of the value it was parsed from, which a name
/// borrows when it is already in normal form ([module documentation](self)); a
/// `Host<'static>` owns its name, or is an address.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Host<'a> {
    /// A hostname: lowercase LDH labels joined by dots, without a trailing dot.
    /// Borrowed from the value received when that was already lowercase.
    Name(Cow<'a, str>),
    /// An IPv4 address written as a strict dotted quad.
    Ipv4(Ipv4Addr),
    /// An IPv6 address, written in brackets on the wire.
    Ipv6(Ipv6Addr),
}

impl Host<'_> {
    /// The address, if this host is an IP literal.
    pub fn ip(&self) -> Option<IpAddr> {
        match self {
            Host::Name(_) => None,
            Host::Ipv4(v4) => Some(IpAddr::V4(*v4)),
            Host::Ipv6(v6) => Some(IpAddr::V6(*v6)),
        }
    }

    /// The host for an address, as a client would write it in `Host`.
    pub fn from_ip(ip: IpAddr) -> Host<'static> {
        match ip {
            IpAddr::V4(v4) => Host::Ipv4(v4),
            IpAddr::V6(v6) => Host::Ipv6(v6),
        }
    }

    /// The same host, owning its name: for keeping it after the value it was parsed
    /// from is gone. Copies the name if it was borrowed; an address has nothing to copy.
    pub fn into_owned(self) -> Host<'static> {
        match self {
            Host::Name(name) => Host::Name(Cow::Owned(name.into_owned())),
            Host::Ipv4(v4) => Host::Ipv4(v4),
            Host::Ipv6(v6) => Host::Ipv6(v6),
        }
    }
}

impl fmt::Display for Host<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Name(name) => f.write_str(name),
            Host::Ipv4(v4) => write!(f, "{v4}"),
            Host::Ipv6(v6) => write!(f, "[{v6}]"),
        }
    }
}

/// A `host[:port]` value that passed the grammar; it borrows from that value as
/// [`Host`] does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostPort<'a> {
    /// The host, in normal form.
    pub host: Host<'a>,
    /// The port, if one was named. `example.com:` (empty port) gives `None`.
    pub port: Option<u16>,
}

impl HostPort<'_> {
    /// The same value, owning its host name ([`Host::into_owned`]).
    pub fn into_owned(self) -> HostPort<'static> {
        HostPort {
            host: self.host.into_owned(),
            port: self.port,
        }
    }
}

/// Why a value is not `host[:port]`. `Display` gives a sentence for the log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyntaxError {
    /// The whole value is empty.
    Empty,
    /// There is a port but no host before it (`:80`).
    EmptyHost,
    /// Two dots in a row, a leading dot, or a second trailing dot (`example.com..`).
    EmptyLabel,
    /// A label longer than 63 octets.
    LabelTooLong,
    /// A hostname longer than 253 octets.
    NameTooLong,
    /// A label that starts or ends with `-` (RFC 952, RFC 1123 §2.1).
    HyphenAtLabelEdge,
    /// A byte that may not appear at this place in a host.
    ForbiddenByte(u8),
    /// The last label is a number but the whole is not a dotted quad (`127.1`, `0x7f.1`).
    AmbiguousNumber,
    /// `[` without its `]`.
    UnclosedBracket,
    /// Something other than `:port` after the `]` (`[::1]evil.com`).
    JunkAfterBracket,
    /// An IPv6 address without brackets (`::1`): its colons would be read as a port.
    UnbracketedIpv6,
    /// Brackets around something that is not an IPv6 address (`[::z]`).
    BadIpv6,
    /// An IPv6 zone id (`[fe80::1%25eth0]`).
    ZoneId,
    /// An IPvFuture literal (`[v1.x]`, RFC 3986 §3.2.2), which hostecho does not accept.
    IpvFuture,
    /// A port that is not 1–5 digits (`example.com:evil`, `example.com:80:80`).
    BadPort,
    /// A port above 65535.
    PortOutOfRange,
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SyntaxError::Empty => f.write_str("the value is empty"),
            SyntaxError::EmptyHost => f.write_str("there is a port but no host"),
            SyntaxError::EmptyLabel => {
                f.write_str("a label is empty (two dots in a row, or a leading dot)")
            }
            SyntaxError::LabelTooLong => write!(f, "a label is longer than {MAX_LABEL_LEN} octets"),
            SyntaxError::NameTooLong => write!(f, "the name is longer than {MAX_NAME_LEN} octets"),
            SyntaxError::HyphenAtLabelEdge => {
                f.write_str("a label starts or ends with '-' (RFC 1123 section 2.1)")
            }
            SyntaxError::ForbiddenByte(byte) => {
                let shown = std::ascii::escape_default(*byte);
                let why = match byte {
                    b'@' => "userinfo ('user@') smuggles a second host past naive parsers",
                    b'/' | b'\\' | b'?' | b'#' => "a host has no path, query or fragment",
                    b' ' | b'\t' => "a host has no whitespace",
                    b'%' => "percent-encoding is not allowed in a host name",
                    b'_' => "'_' is not allowed in host names (RFC 1123 section 2.1)",
                    b'[' | b']' => "brackets belong around a whole IPv6 address",
                    0x00..=0x1f | 0x7f => "control bytes are never part of a host",
                    0x80..=0xff => "non-ASCII bytes must arrive as punycode (xn--)",
                    _ => "host names hold only letters, digits, '-' and '.'",
                };
                write!(f, "byte '{shown}' is not allowed: {why}")
            }
            SyntaxError::AmbiguousNumber => f.write_str(
                "the name ends in a number but is not a dotted-quad IPv4 address \
                 (forms like 127.1 or 0x7f.0.0.1 are refused)",
            ),
            SyntaxError::UnclosedBracket => f.write_str("'[' is not closed by ']'"),
            SyntaxError::JunkAfterBracket => f.write_str("only ':port' may follow ']'"),
            SyntaxError::UnbracketedIpv6 => {
                f.write_str("an IPv6 address must be written in brackets, e.g. [::1]")
            }
            SyntaxError::BadIpv6 => f.write_str("the bracketed value is not an IPv6 address"),
            SyntaxError::ZoneId => f.write_str("IPv6 zone ids ('%') are not allowed"),
            SyntaxError::IpvFuture => f.write_str("IPvFuture literals are not accepted"),
            SyntaxError::BadPort => f.write_str("the port is not 1 to 5 digits"),
            SyntaxError::PortOutOfRange => f.write_str("the port is above 65535"),
        }
    }
}

impl std::error::Error for SyntaxError {}

/// Parses a `host[:port]` value (a `Host` header, an absolute-form authority, an
/// `X-Forwarded-Host` element) into its normal form.
///
/// Any byte sequence is accepted as input; anything that is not `host[:port]` as
/// described in the [module documentation](self) is an error, never a panic. A name
/// already in normal form is borrowed from `raw`, not copied.
///
/// ```
/// use std::borrow::Cow;
/// use hostecho::host::syntax::{parse_host_port, Host};
///
/// let hp = parse_host_port(b"Example.COM.:8080").unwrap();
/// assert_eq!(hp.host, Host::Name("example.com".into()));
/// assert_eq!(hp.port, Some(8080));
/// assert!(parse_host_port(b"example.com@evil.tld").is_err());
/// // Already lowercase: the name is a slice of the input, not a copy.
/// let hp = parse_host_port(b"localhost:8090").unwrap();
/// assert!(matches!(hp.host, Host::Name(Cow::Borrowed("localhost"))));
/// ```
pub fn parse_host_port(raw: &[u8]) -> Result<HostPort<'_>, SyntaxError> {
    if raw.is_empty() {
        return Err(SyntaxError::Empty);
    }
    let (host, port) = split_port(raw)?;
    let host = parse_host(host)?;
    let port = port.map(parse_port).transpose()?;
    Ok(HostPort { host, port })
}

/// Parses a host without a port: a hostname, a dotted quad, or a bracketed IPv6
/// address. [`parse_host_port`] calls it once the port is split off; patterns go
/// through `parse_host_port` too, to refuse a port by name. Called on its own, it
/// still tells a `[` left open from junk after the `]`.
pub fn parse_host(raw: &[u8]) -> Result<Host<'_>, SyntaxError> {
    match raw.first() {
        None => Err(SyntaxError::EmptyHost),
        Some(b'[') => parse_ip_literal(raw),
        Some(_) => parse_name_or_ipv4(raw),
    }
}

/// Splits `host[:port]` at the port's colon. For a bracketed IPv6 address the colon
/// is the one after `]`; otherwise it is the first colon, and a second one makes the
/// value invalid (a bare IPv6 address, or `example.com:80:80`).
fn split_port(raw: &[u8]) -> Result<(&[u8], Option<&[u8]>), SyntaxError> {
    if raw.first() == Some(&b'[') {
        let close = raw
            .iter()
            .position(|&b| b == b']')
            .ok_or(SyntaxError::UnclosedBracket)?;
        let (literal, rest) = raw.split_at(close + 1);
        return match rest {
            [] => Ok((literal, None)),
            [b':', port @ ..] => Ok((literal, Some(port))),
            _ => Err(SyntaxError::JunkAfterBracket),
        };
    }
    let Some(colon) = raw.iter().position(|&b| b == b':') else {
        return Ok((raw, None));
    };
    let (host, port) = (&raw[..colon], &raw[colon + 1..]);
    if port.contains(&b':') {
        // Two colons: either someone forgot the brackets around an IPv6 address
        // (say so, it is a common mistake) or it is a "double port" trick, which
        // nginx resolves by taking the first port and we refuse outright.
        let looks_like_ipv6 = std::str::from_utf8(raw)
            .ok()
            .and_then(|s| s.parse::<Ipv6Addr>().ok())
            .is_some();
        return Err(if looks_like_ipv6 {
            SyntaxError::UnbracketedIpv6
        } else {
            SyntaxError::BadPort
        });
    }
    Ok((host, Some(port)))
}

/// `port = 1*5DIGIT`, limited to what fits in 16 bits. At most five digits are read,
/// so a client cannot make us parse a 8 KiB number. RFC 3986 §3.2.3 allows an empty
/// port in a URI; a Host value with a `:` and nothing after it is refused, as Django
/// refuses it.
fn parse_port(digits: &[u8]) -> Result<u16, SyntaxError> {
    if digits.is_empty() || digits.len() > 5 || !digits.iter().all(u8::is_ascii_digit) {
        return Err(SyntaxError::BadPort);
    }
    let value = digits
        .iter()
        .fold(0u32, |acc, &d| acc * 10 + u32::from(d - b'0'));
    u16::try_from(value).map_err(|_| SyntaxError::PortOutOfRange)
}

/// `"[" IPv6address "]"`. The inside is checked byte by byte before it is handed to
/// `std`'s parser, so the error says *why* (zone id, IPvFuture, a stray byte).
fn parse_ip_literal(raw: &[u8]) -> Result<Host<'static>, SyntaxError> {
    let inner = match raw {
        [b'[', inner @ .., b']'] => inner,
        _ if raw.contains(&b']') => return Err(SyntaxError::JunkAfterBracket),
        _ => return Err(SyntaxError::UnclosedBracket),
    };
    if matches!(inner.first(), Some(b'v' | b'V')) {
        return Err(SyntaxError::IpvFuture);
    }
    for &b in inner {
        match b {
            b'%' => return Err(SyntaxError::ZoneId),
            b'0'..=b'9' | b'a'..=b'f' | b'A'..=b'F' | b':' | b'.' => {}
            _ => return Err(SyntaxError::ForbiddenByte(b)),
        }
    }
    // Every byte is ASCII (checked just above), so this is valid UTF-8.
    let text = std::str::from_utf8(inner).map_err(|_| SyntaxError::BadIpv6)?;
    text.parse::<Ipv6Addr>()
        .map(Host::Ipv6)
        .map_err(|_| SyntaxError::BadIpv6)
}

/// A hostname or a dotted quad: they share a grammar (digits and dots are valid
/// label characters), so they are told apart by the last label, as browsers do.
fn parse_name_or_ipv4(raw: &[u8]) -> Result<Host<'_>, SyntaxError> {
    // One trailing dot is the fully qualified spelling and is dropped (RFC 1034 §3.1).
    let name = raw.strip_suffix(b".").unwrap_or(raw);
    for label in name.split(|&b| b == b'.') {
        check_label(label)?;
    }
    if name.len() > MAX_NAME_LEN {
        return Err(SyntaxError::NameTooLong);
    }
    // `split` always yields at least one item, and every label was just checked to
    // be non-empty, so the last label exists; `unwrap_or` keeps it panic-free anyway.
    let last = name.rsplit(|&b| b == b'.').next().unwrap_or(name);
    // Every byte is now a letter, digit, '-' or '.', so this is valid UTF-8.
    let text = std::str::from_utf8(name).map_err(|_| SyntaxError::ForbiddenByte(0x80))?;
    if ends_in_a_number(last) {
        return text
            .parse::<Ipv4Addr>()
            .map(Host::Ipv4)
            .map_err(|_| SyntaxError::AmbiguousNumber);
    }
    // Names nearly always arrive lowercase; only then can the normal form be the
    // received bytes themselves, borrowed rather than copied.
    if text.bytes().any(|b| b.is_ascii_uppercase()) {
        Ok(Host::Name(Cow::Owned(text.to_ascii_lowercase())))
    } else {
        Ok(Host::Name(Cow::Borrowed(text)))
    }
}

/// `label = let-dig [ *61( let-dig / "-" ) let-dig ]` (RFC 1035 §2.3.1 as relaxed by
/// RFC 1123 §2.1 to allow a leading digit).
fn check_label(label: &[u8]) -> Result<(), SyntaxError> {
    if let Some(&bad) = label
        .iter()
        .find(|&&b| !(b.is_ascii_alphanumeric() || b == b'-'))
    {
        return Err(SyntaxError::ForbiddenByte(bad));
    }
    match label {
        [] => Err(SyntaxError::EmptyLabel),
        _ if label.len() > MAX_LABEL_LEN => Err(SyntaxError::LabelTooLong),
        [b'-', ..] | [.., b'-'] => Err(SyntaxError::HyphenAtLabelEdge),
        _ => Ok(()),
    }
}

/// The WHATWG URL "ends in a number" check: a last label of decimal digits, or of
/// `0x` followed by hex digits, makes browsers parse the whole host as IPv4.
fn ends_in_a_number(last: &[u8]) -> bool {
    match last {
        [b'0', b'x' | b'X', hex @ ..] => hex.iter().all(u8::is_ascii_hexdigit),
        _ => !last.is_empty() && last.iter().all(u8::is_ascii_digit),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The normal form of an accepted value, as `host` and port, for compact tables.
    fn ok(raw: &[u8]) -> (String, Option<u16>) {
        match parse_host_port(raw) {
            Ok(hp) => (hp.host.to_string(), hp.port),
            Err(e) => panic!("{:?} was refused: {e}", String::from_utf8_lossy(raw)),
        }
    }

    #[test]
    fn accepts_and_normalises_valid_values() {
        let table: &[(&[u8], &str, Option<u16>)] = &[
            (b"example.com", "example.com", None),
            (b"EXAMPLE.Com", "example.com", None),
            (b"example.com.", "example.com", None),
            (b"example.com:80", "example.com", Some(80)),
            (b"example.com.:8080", "example.com", Some(8080)),
            (b"localhost", "localhost", None),
            (b"a", "a", None),
            (b"1a.example", "1a.example", None),
            (b"xn--bcher-kva.example", "xn--bcher-kva.example", None),
            (b"a-b--c.example", "a-b--c.example", None),
            (b"127.0.0.1", "127.0.0.1", None),
            (b"127.0.0.1:65535", "127.0.0.1", Some(65535)),
            (b"0.0.0.0:0", "0.0.0.0", Some(0)),
            (b"example.com:00080", "example.com", Some(80)),
            (b"[::1]", "[::1]", None),
            (b"[::1]:8080", "[::1]", Some(8080)),
            (b"[0:0::1]", "[::1]", None),
            (b"[::FFFF:1.2.3.4]", "[::ffff:1.2.3.4]", None),
            (b"[2001:DB8::1]", "[2001:db8::1]", None),
        ];
        for &(raw, host, port) in table {
            assert_eq!(ok(raw), (host.to_string(), port), "{raw:?}");
        }
    }

    #[test]
    fn a_name_in_normal_form_is_borrowed_and_only_uppercase_is_copied() {
        let borrowed = |raw: &[u8]| match parse_host_port(raw) {
            Ok(HostPort {
                host: Host::Name(name),
                ..
            }) => matches!(name, Cow::Borrowed(_)),
            other => panic!("{raw:?}: {other:?}"),
        };
        assert!(borrowed(b"localhost:8090"));
        assert!(borrowed(b"example.com."));
        assert!(borrowed(b"xn--bcher-kva.example"));
        assert!(!borrowed(b"LocalHost:8090"));
        // Owned or borrowed, the two compare (and print) the same.
        assert_eq!(
            parse_host_port(b"EXAMPLE.com.").map(|hp| hp.host),
            parse_host_port(b"example.com").map(|hp| hp.host)
        );
    }

    /// Through `parse_host_port`, `split_port` tells these apart before `parse_host`
    /// runs; `parse_host` is public, and called on its own it must tell them apart too.
    #[test]
    fn parse_host_alone_tells_an_open_bracket_from_junk_after_it() {
        let cases: &[(&[u8], SyntaxError)] = &[
            (b"[::1", SyntaxError::UnclosedBracket),
            (b"[", SyntaxError::UnclosedBracket),
            (b"[::1]evil", SyntaxError::JunkAfterBracket),
            (b"[::1]:80", SyntaxError::JunkAfterBracket),
            (b"[]]", SyntaxError::ForbiddenByte(b']')),
        ];
        for (raw, want) in cases {
            assert_eq!(
                parse_host(raw),
                Err(*want),
                "{:?}",
                raw.escape_ascii().to_string()
            );
        }
        assert_eq!(parse_host(b"[::1]"), Ok(Host::Ipv6(Ipv6Addr::LOCALHOST)));
    }

    #[test]
    fn empty_port_is_refused() {
        // Decision: a `:` must be followed by a port, as Django's host_validation_re
        // (`(:\d+)?$`) requires; RFC 3986 §3.2.3 would allow `host:` in a URI.
        assert!(parse_host_port(b"example.com:").is_err());
        assert!(parse_host_port(b"[::1]:").is_err());
    }

    #[test]
    fn trailing_dot_on_a_dotted_quad_is_dropped_like_on_a_name() {
        // WHATWG URL drops one trailing empty label before its IPv4 parse; so do we.
        assert_eq!(ok(b"127.0.0.1."), ("127.0.0.1".into(), None));
    }

    #[test]
    fn refuses_invalid_values_with_a_reason() {
        use SyntaxError::*;
        let long_label = [b'a'; 64];
        let long_name = {
            let mut v = Vec::new();
            for _ in 0..64 {
                v.extend_from_slice(b"abc.");
            }
            v.pop();
            v // 255 octets
        };
        let table: &[(&[u8], SyntaxError)] = &[
            (b"", Empty),
            (b":80", EmptyHost),
            (b".", EmptyLabel),
            (b"example.com..", EmptyLabel),
            (b".example.com", EmptyLabel),
            (b"a..b", EmptyLabel),
            (&long_label, LabelTooLong),
            (&long_name, NameTooLong),
            (b"-a.example", HyphenAtLabelEdge),
            (b"a-.example", HyphenAtLabelEdge),
            (b"example.com@evil.tld", ForbiddenByte(b'@')),
            (b"user@example.com", ForbiddenByte(b'@')),
            (b"example.com/path", ForbiddenByte(b'/')),
            (b"example.com path", ForbiddenByte(b' ')),
            (b"example.com\tx", ForbiddenByte(b'\t')),
            (b"exa%6dple.com", ForbiddenByte(b'%')),
            (b"foo_bar.com", ForbiddenByte(b'_')),
            (b"exa\x00mple.com", ForbiddenByte(0)),
            (b"exa\x7fmple.com", ForbiddenByte(0x7f)),
            (b"b\xc3\xbccher.example", ForbiddenByte(0xc3)),
            (b"\xff", ForbiddenByte(0xff)),
            (b"example.com]", ForbiddenByte(b']')),
            (b"127.1", AmbiguousNumber),
            (b"0x7f.0.0.1", AmbiguousNumber),
            (b"2130706433", AmbiguousNumber),
            (b"010.0.0.1", AmbiguousNumber),
            (b"256.0.0.1", AmbiguousNumber),
            (b"1.2.3.4.5", AmbiguousNumber),
            (b"example.0x7f", AmbiguousNumber),
            (b"[::1", UnclosedBracket),
            (b"[", UnclosedBracket),
            (b"[::1]evil.com", JunkAfterBracket),
            (b"[::1].", JunkAfterBracket),
            (b"::1", UnbracketedIpv6),
            (b"2001:db8::1", UnbracketedIpv6),
            (b"[::z]", ForbiddenByte(b'z')),
            (b"[1.2.3.4]", BadIpv6),
            (b"[]", BadIpv6),
            (b"[::1%25en0]", ZoneId),
            (b"[v1.fe]", IpvFuture),
            (b"example.com:evil", BadPort),
            (b"example.com:80:80", BadPort),
            (b"example.com:-1", BadPort),
            (b"example.com:+80", BadPort),
            (b"example.com:123456", BadPort),
            (b"example.com:65536", PortOutOfRange),
            (b"[::1]:99999", PortOutOfRange),
            (b"[::1]:\xb2", BadPort),
        ];
        for &(raw, want) in table {
            assert_eq!(parse_host_port(raw), Err(want), "{raw:?}");
        }
    }

    #[test]
    fn error_sentences_are_printable_ascii() {
        // They go to the log; a forbidden byte must be shown escaped, never raw.
        let msg = SyntaxError::ForbiddenByte(b'\n').to_string();
        assert!(msg.contains("\\n"), "{msg}");
        for b in 0..=255u8 {
            let msg = SyntaxError::ForbiddenByte(b).to_string();
            assert!(msg.bytes().all(|c| (0x20..0x7f).contains(&c)), "{msg:?}");
        }
    }

    /// The explanation is what an operator reads when a pattern is refused at start-up
    /// (and a client in a 400): each class of byte gets its own, at both ends of each
    /// range, and a byte of no class the catch-all.
    #[test]
    fn a_forbidden_byte_is_explained_by_its_class() {
        let classes: &[(&[u8], &str)] = &[
            (
                b"@",
                "userinfo ('user@') smuggles a second host past naive parsers",
            ),
            (b"/\\?#", "a host has no path, query or fragment"),
            (b" \t", "a host has no whitespace"),
            (b"%", "percent-encoding is not allowed in a host name"),
            (
                b"_",
                "'_' is not allowed in host names (RFC 1123 section 2.1)",
            ),
            (b"[]", "brackets belong around a whole IPv6 address"),
            (
                b"\x00\x01\x0a\x0d\x1f\x7f",
                "control bytes are never part of a host",
            ),
            (
                b"\x80\xc3\xff",
                "non-ASCII bytes must arrive as punycode (xn--)",
            ),
            (
                b"!*,;=~\"'<>^{|}`",
                "host names hold only letters, digits, '-' and '.'",
            ),
        ];
        for (bytes, why) in classes {
            for &byte in *bytes {
                let shown = std::ascii::escape_default(byte);
                assert_eq!(
                    SyntaxError::ForbiddenByte(byte).to_string(),
                    format!("byte '{shown}' is not allowed: {why}"),
                    "byte {byte:#04x}"
                );
            }
        }
    }

    /// Django, `tests/requests_tests/tests.py`, `test_split_domain_port`.
    /// Django returns ("", "") for an invalid value; we return an error.
    #[test]
    fn ports_django_test_split_domain_port() {
        let invalid: &[&[u8]] = &[
            b"<invalid>",
            b"<invalid>:8080",
            b"example.com 8080",
            b"example.com:invalid",
        ];
        for raw in invalid {
            assert!(parse_host_port(raw).is_err(), "{raw:?}");
        }
        let valid: &[(&[u8], &str, Option<u16>)] = &[
            (b"[::1]", "[::1]", None),
            (b"[::1]:8080", "[::1]", Some(8080)),
            (b"[::ffff:127.0.0.1]", "[::ffff:127.0.0.1]", None),
            (b"[::ffff:127.0.0.1]:8080", "[::ffff:127.0.0.1]", Some(8080)),
            // Deviation: Django lowercases but keeps the zeros
            // ("[1851:0000:3238:def1:0177:0000:0000:0125]"); we print the canonical
            // RFC 5952 form so two spellings of one address compare equal.
            (
                b"[1851:0000:3238:DEF1:0177:0000:0000:0125]",
                "[1851:0:3238:def1:177::125]",
                None,
            ),
            (
                b"[1851:0000:3238:DEF1:0177:0000:0000:0125]:8080",
                "[1851:0:3238:def1:177::125]",
                Some(8080),
            ),
            (b"127.0.0.1", "127.0.0.1", None),
            (b"127.0.0.1:8080", "127.0.0.1", Some(8080)),
            (b"example.com", "example.com", None),
            (b"example.com:8080", "example.com", Some(8080)),
            (b"example.com.", "example.com", None),
            (b"example.com.:8080", "example.com", Some(8080)),
            (b"xn--n28h.test", "xn--n28h.test", None),
            (b"xn--n28h.test:8080", "xn--n28h.test", Some(8080)),
            (b"subdomain.example.com", "subdomain.example.com", None),
            (
                b"subdomain.example.com:8080",
                "subdomain.example.com",
                Some(8080),
            ),
        ];
        for &(raw, host, port) in valid {
            assert_eq!(ok(raw), (host.to_string(), port), "{raw:?}");
        }
    }

    /// Django, `tests/requests_tests/tests.py`, `HostValidationTests.poisoned_hosts`
    /// and the extra `example.com..` of `test_http_get_host`: all invalid syntax.
    #[test]
    fn ports_django_poisoned_hosts() {
        let poisoned: &[&[u8]] = &[
            b"example.com@evil.tld",
            b"example.com:dr.frankenstein@evil.tld",
            b"example.com:dr.frankenstein@evil.tld:80",
            b"example.com:80/badpath",
            b"example.com: recovermypassword.com",
            b"example.com..",
            // test_get_host_suggestion_of_allowed_host: refused for its '_'.
            b"invalid_hostname.com",
        ];
        for raw in poisoned {
            assert!(parse_host_port(raw).is_err(), "{raw:?}");
        }
    }

    /// Starlette, `tests/middleware/test_trusted_host.py`,
    /// `test_trusted_host_middleware_ipv6`: the malformed IPv6 hosts.
    #[test]
    fn ports_starlette_malformed_ipv6_hosts() {
        let malformed: &[&[u8]] = &[
            b"[::1",
            b"[::1]evil.com",
            b"[::1]@attacker",
            b"[::1].",
            b"[::1]:evil",
            b"[::1]evil.example.com",
            b"[::1]:\xb2",
        ];
        for raw in malformed {
            assert!(parse_host_port(raw).is_err(), "{raw:?}");
        }
        assert_eq!(ok(b"[::1]:8000"), ("[::1]".into(), Some(8000)));
    }

    /// Go, `src/net/http/serve_test.go`, `TestServerValidatesHostHeader`: the Host
    /// values, with Go's verdict and ours.
    #[test]
    fn ports_go_test_server_validates_host_header() {
        let table: &[(&[u8], bool, &str)] = &[
            (b"1.2.3.4", true, ""),
            (b"foo.com", true, ""),
            (b"foo.com:80", true, ""),
            (b"[::1]", true, ""),
            (b"[::1]:80", true, ""),
            (b"\x06", false, ""),
            (b"\xff", false, ""),
            (b"{", false, ""),
            (b"}", false, ""),
            // Deviations: Go accepts these three (it checks bytes, not grammar).
            (
                b"foo-bar_baz.com",
                false,
                "'_' is not a hostname character (RFC 1123)",
            ),
            (b"::1", false, "RFC 3986 requires brackets around IPv6"),
            (
                b"[::1%25en0]:80",
                false,
                "zone ids name the client's interface",
            ),
        ];
        for &(raw, valid, why) in table {
            assert_eq!(parse_host_port(raw).is_ok(), valid, "{raw:?} {why}");
        }
        // Go also accepts an empty Host (`Host: \r\n`); the policy refuses it as
        // Empty (see mod.rs), and the grammar says so too.
        assert_eq!(parse_host_port(b""), Err(SyntaxError::Empty));
    }

    /// nginx-tests, `http_host.t`: nginx's `$host` is our normal form.
    #[test]
    fn ports_nginx_http_host_t() {
        let good: &[(&[u8], &str)] = &[
            (b"www.abcd-ef.g02.xyz", "www.abcd-ef.g02.xyz"),
            (b"abcd-ef.g02.xyz:8080", "abcd-ef.g02.xyz"),
            (b"www.abcd-ef.g02.xyz:10", "www.abcd-ef.g02.xyz"),
            (b"www.abcd-ef.g02.xyz.", "www.abcd-ef.g02.xyz"),
            (b"abcd-ef.g02.xyz.:88", "abcd-ef.g02.xyz"),
            (b"abcd-ef.g02.xyz.:2", "abcd-ef.g02.xyz"),
            (b"AbC-d93.0.34ZhGt-s.nk.Ru", "abc-d93.0.34zhgt-s.nk.ru"),
            (b"AbC-d93.0.34ZhGt-s.nk.Ru:88", "abc-d93.0.34zhgt-s.nk.ru"),
            (b"123.40.56.78", "123.40.56.78"),
            (b"123.49.0.78:987", "123.49.0.78"),
            (b"[abcd::ef98:0:7654:321]", "[abcd::ef98:0:7654:321]"),
            (b"[abcd::ef98:0:7654:321]:80", "[abcd::ef98:0:7654:321]"),
            (b"[::ffff:12.30.67.89]", "[::ffff:12.30.67.89]"),
            (b"[::ffff:12.30.67.89]:4321", "[::ffff:12.30.67.89]"),
            // Deviation: nginx echoes the IPv4-compatible form as written
            // ("[::123.45.67.89]"); RFC 5952 §5 prints only IPv4-*mapped* addresses
            // with a dotted tail, and so does std, so this is the canonical form.
            (b"[::123.45.67.89]:4321", "[::7b2d:4359]"),
        ];
        for &(raw, host) in good {
            assert_eq!(ok(raw).0, host, "{raw:?}");
        }
        let bad: &[&[u8]] = &[
            b"example.com/\\:552",
            b"\\e/xample.com",
            b"..examp-LE.com",
            b"com.exa-m.45..:",
            b"[abcd::e\\f98:0/:7654:321]",
            b"[abcd\\::ef98:0:7654:321/]:12",
            b"[abcd::ef98:0:7654:321]..:98",
            b"[ab..cd::ef98:0:7654:321]",
            b"localhost\x02",
            // Deviation: nginx accepts IPvFuture and lowercases it; nothing real
            // uses IPvFuture, so we refuse it.
            b"[v0123456789aBcDeF.!$&'()*+,;=-._~AbCdEfGhIjKlMnOpQrStUvWxYz0123456789:]",
            // Deviation: nginx takes the first port of this "double port hack"
            // (123.40.56.78); we refuse the value rather than guess.
            b"123.40.56.78:9000:80",
        ];
        for raw in bad {
            assert!(
                parse_host_port(raw).is_err(),
                "{:?}",
                String::from_utf8_lossy(raw)
            );
        }
    }

    #[test]
    fn name_length_limits_are_inclusive() {
        let label63 = vec![b'a'; 63];
        assert!(parse_host_port(&label63).is_ok());
        // 4 x 63 + 3 dots = 255 > 253; 3 x 63 + 61 + 3 dots = 253.
        let mut name = Vec::new();
        for _ in 0..3 {
            name.extend_from_slice(&label63);
            name.push(b'.');
        }
        name.extend_from_slice(&[b'b'; 61]);
        assert_eq!(name.len(), 253);
        assert!(parse_host_port(&name).is_ok());
        name.push(b'.'); // the trailing dot does not count
        assert!(parse_host_port(&name).is_ok());
        name.pop();
        name.push(b'c');
        assert_eq!(parse_host_port(&name), Err(SyntaxError::NameTooLong));
    }
}
