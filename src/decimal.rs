//! Numbers and IPv4 addresses written as text without `core::fmt`.
//!
//! `write!(out, "{port}")` is the obvious way to put a number into text, and off the hot
//! path it is the right one. On it, it is not free: every `write!` goes through
//! `core::fmt::write`, which walks the format string's pieces and calls each
//! argument's `Display` through a function pointer, and an integer's `Display` then goes
//! through `Formatter::pad_integral` to honour a width, a fill and a sign nobody asked
//! for. Under load those three were about 4.5 % of all of hostecho's samples
//! (BENCHMARKS.md, "Where the gap was after the lean path"), spent on numbers of at
//! most five digits: the status, `Content-Length`, the ports, the body's length, and
//! the four octets of every IPv4 address the echo shows.
//!
//! Writing a number by hand is a short loop: take the last two digits with `% 100`,
//! look their text up in a table, put it at the end of a small buffer on the stack,
//! divide by a hundred, until nothing is left. That is [`Decimal`]; [`push_u64`],
//! [`push_ipv4`] and [`push_socket_addr`] write it, and the addresses made of it, into
//! anything that is [`PushText`]: a `Vec<u8>` (the text echo, the response's head, the
//! access log) or a `String` (the HTML echo), in one piece.
//!
//! IPv6 addresses keep `Display`. Their text form has subtle rules (RFC 5952: the
//! longest run of zero groups becomes `::`, but a single zero group does not, the first
//! of two equal runs wins; an IPv4-mapped address ends in dotted decimal; a scope id
//! follows a `%`), and a hand-written copy that got one of them wrong would change what
//! the echo shows. Only a client on IPv6 pays for `core::fmt`, on two addresses.

use std::fmt::{self, Write as _};
use std::net::{Ipv4Addr, SocketAddr};

/// Text output the writers here append to: a `String`, or a byte buffer.
pub trait PushText {
    /// Appends `text`.
    fn push_text(&mut self, text: &str);

    /// Appends ASCII bytes: digits, and the `.` and `:` between them, gathered on the
    /// stack so that they are appended in one piece rather than one push per
    /// character.
    fn push_ascii(&mut self, bytes: &[u8]);
}

impl PushText for String {
    fn push_text(&mut self, text: &str) {
        self.push_str(text);
    }

    fn push_ascii(&mut self, bytes: &[u8]) {
        // A `String` takes only a `&str`, and without `unsafe` that means
        // `str::from_utf8` checking the bytes: for the fifteen of an address, still
        // fewer instructions than a `push` per character (the HTML echo: 20,353 → 20,157
        // by callgrind's count). ASCII is UTF-8, so the lossy branch is never taken.
        match std::str::from_utf8(bytes) {
            Ok(text) => self.push_str(text),
            Err(_) => self.push_str(&String::from_utf8_lossy(bytes)),
        }
    }
}

impl PushText for Vec<u8> {
    fn push_text(&mut self, text: &str) {
        self.extend_from_slice(text.as_bytes());
    }

    fn push_ascii(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}

/// `"00"` to `"99"`: the two digits of every number below a hundred, so that a number
/// is written two digits per division, not one. Dividing by a constant compiles to a
/// multiplication and a shift, but they still depend on each other from one digit to
/// the next: a port of five digits takes three rounds instead of five.
const DIGIT_PAIRS: [[u8; 2]; 100] = {
    let mut pairs = [[0; 2]; 100];
    let mut n = 0;
    while n < 100 {
        // `n` is below a hundred, so both casts keep it whole.
        pairs[n] = [b'0' + (n / 10) as u8, b'0' + (n % 10) as u8];
        n += 1;
    }
    pairs
};

/// The decimal digits of a number, written into a buffer on the stack.
///
/// ```
/// use hostecho::decimal::Decimal;
///
/// assert_eq!(Decimal::new(8090).as_bytes(), b"8090");
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Decimal {
    /// The digits are `digits[start..]`: they are written from the end, last digits first.
    digits: [u8; 20],
    start: usize,
}

impl Decimal {
    /// The digits of `n`, with no sign, no padding and no separators, as `n.to_string()`.
    pub fn new(mut n: u64) -> Decimal {
        // `u64::MAX` is 18,446,744,073,709,551,615: twenty digits.
        let mut digits = [0u8; 20];
        let mut start = digits.len();
        // Two digits at a time while there are more than two, from the table.
        while n >= 100 {
            // `n % 100` is below a hundred, so the cast keeps it whole.
            let pair = DIGIT_PAIRS[(n % 100) as usize];
            n /= 100;
            start -= 2;
            digits[start..start + 2].copy_from_slice(&pair);
        }
        // One or two left; `n` is now below a hundred.
        if n >= 10 {
            start -= 2;
            digits[start..start + 2].copy_from_slice(&DIGIT_PAIRS[n as usize]);
        } else {
            start -= 1;
            digits[start] = b'0' + n as u8;
        }
        Decimal { digits, start }
    }

    /// The digits, as ASCII bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.digits[self.start..]
    }
}

/// Appends `n` in decimal.
pub fn push_u64(out: &mut impl PushText, n: u64) {
    out.push_ascii(Decimal::new(n).as_bytes());
}

/// Appends `n` in decimal.
pub fn push_usize(out: &mut impl PushText, n: usize) {
    // `usize` is at most 64 bits wide on every target Rust supports, so nothing is lost.
    push_u64(out, n as u64);
}

/// The text of an IPv4 address, or of one and a port, gathered on the stack so that it
/// is appended in one piece: `255.255.255.255:65535`, the longest, is 21 bytes.
#[derive(Default)]
struct AddressText {
    bytes: [u8; 21],
    len: usize,
}

impl AddressText {
    /// Adds one ASCII byte. There is always room: see the type's documentation.
    fn push(&mut self, byte: u8) {
        if let Some(slot) = self.bytes.get_mut(self.len) {
            *slot = byte;
            self.len += 1;
        }
    }

    /// Adds an octet in decimal: at most three digits, so no buffer of its own.
    fn push_u8(&mut self, n: u8) {
        if n >= 100 {
            self.push(b'0' + n / 100);
        }
        if n >= 10 {
            self.push(b'0' + n / 10 % 10);
        }
        self.push(b'0' + n % 10);
    }

    /// Adds an IPv4 address in dotted decimal, `127.0.0.1`, as its `Display` does.
    fn push_ipv4(&mut self, ip: Ipv4Addr) {
        let [a, b, c, d] = ip.octets();
        self.push_u8(a);
        for octet in [b, c, d] {
            self.push(b'.');
            self.push_u8(octet);
        }
    }

    fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or_default()
    }
}

/// Appends an IPv4 address in dotted decimal, `127.0.0.1`, as its `Display` does.
pub fn push_ipv4(out: &mut impl PushText, ip: Ipv4Addr) {
    let mut text = AddressText::default();
    text.push_ipv4(ip);
    out.push_ascii(text.as_bytes());
}

/// Appends a socket address as its `Display` does: `127.0.0.1:8090`, `[::1]:8090`.
///
/// IPv4 is written by hand; IPv6 goes through `Display`, for the reasons in the module
/// documentation.
pub fn push_socket_addr(out: &mut impl PushText, addr: SocketAddr) {
    match addr {
        SocketAddr::V4(v4) => {
            let mut text = AddressText::default();
            text.push_ipv4(*v4.ip());
            text.push(b':');
            for &digit in Decimal::new(u64::from(v4.port())).as_bytes() {
                text.push(digit);
            }
            out.push_ascii(text.as_bytes());
        }
        SocketAddr::V6(v6) => {
            // Appending to a `String` or a `Vec` never fails, so neither does this.
            let _ = write!(Adapter(out), "{v6}");
        }
    }
}

/// Appends `value` by its `Display`, for what keeps `core::fmt`: IPv6 addresses (see
/// the module documentation).
pub fn push_display(out: &mut impl PushText, value: &impl fmt::Display) {
    // Appending to a `String` or a `Vec` never fails, so neither does this.
    let _ = write!(Adapter(out), "{value}");
}

/// Lets `write!` append to any [`PushText`], for what keeps `Display`.
struct Adapter<'a, T: ?Sized>(&'a mut T);

impl<T: PushText + ?Sized> fmt::Write for Adapter<'_, T> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0.push_text(s);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::net::{Ipv6Addr, SocketAddrV6};

    use proptest::prelude::*;

    use super::*;

    /// `n` through [`push_u64`], checked to be the same into a `String` and a `Vec`.
    fn u64_text(n: u64) -> String {
        let (mut text, mut bytes) = (String::new(), Vec::new());
        push_u64(&mut text, n);
        push_u64(&mut bytes, n);
        assert_eq!(text.as_bytes(), bytes, "{n}");
        text
    }

    /// `addr` through [`push_socket_addr`], checked to be the same into both.
    fn addr_text(addr: SocketAddr) -> String {
        let (mut text, mut bytes) = (String::new(), Vec::new());
        push_socket_addr(&mut text, addr);
        push_socket_addr(&mut bytes, addr);
        assert_eq!(text.as_bytes(), bytes, "{addr}");
        text
    }

    #[test]
    fn writes_numbers_as_display_does() {
        let table: &[(u64, &str)] = &[
            (0, "0"),
            (7, "7"),
            (10, "10"),
            (99, "99"),
            (100, "100"),
            (200, "200"),
            (8090, "8090"),
            (65_535, "65535"),
            (1_000_000, "1000000"),
            (u64::MAX, "18446744073709551615"),
        ];
        for &(n, want) in table {
            assert_eq!(u64_text(n), want);
        }
        let mut out = String::from("Content-Length: ");
        push_usize(&mut out, 342);
        assert_eq!(out, "Content-Length: 342");
    }

    #[test]
    fn writes_socket_addresses_as_display_does() {
        let v6 = |ip: &str, port, scope| {
            let ip: Ipv6Addr = ip.parse().expect("a literal address");
            SocketAddr::V6(SocketAddrV6::new(ip, port, 0, scope))
        };
        let table: &[(SocketAddr, &str)] = &[
            ("127.0.0.1:54321".parse().unwrap(), "127.0.0.1:54321"),
            ("0.0.0.0:0".parse().unwrap(), "0.0.0.0:0"),
            (
                "255.255.255.255:65535".parse().unwrap(),
                "255.255.255.255:65535",
            ),
            ("10.0.100.9:80".parse().unwrap(), "10.0.100.9:80"),
            (v6("::1", 5000, 0), "[::1]:5000"),
            (v6("::ffff:192.0.2.7", 80, 0), "[::ffff:192.0.2.7]:80"),
            (v6("fe80::1", 8090, 3), "[fe80::1%3]:8090"),
            (
                v6("2001:db8:0:0:1:0:0:1", 443, 0),
                "[2001:db8::1:0:0:1]:443",
            ),
        ];
        for &(addr, want) in table {
            assert_eq!(addr_text(addr), want);
        }
        let mut out = Vec::new();
        push_ipv4(&mut out, Ipv4Addr::new(192, 0, 2, 7));
        assert_eq!(out, b"192.0.2.7");
    }

    #[test]
    fn writes_every_octet_as_display_does() {
        for n in 0..=u8::MAX {
            let mut text = AddressText::default();
            text.push_u8(n);
            assert_eq!(text.as_bytes(), n.to_string().as_bytes());
        }
    }

    proptest! {
        #[test]
        fn any_number_is_written_as_format_writes_it(n in any::<u64>()) {
            prop_assert_eq!(u64_text(n), format!("{n}"));
        }

        #[test]
        fn any_socket_address_is_written_as_format_writes_it(addr in any::<SocketAddr>()) {
            prop_assert_eq!(addr_text(addr), format!("{addr}"));
        }
    }
}
