//! The access log: one line per response, `PEER "REQUEST LINE" STATUS BYTES host=HOST`.
//!
//! Optional reading: the line can be written two ways, through `core::fmt` and by hand
//! ([`AccessLine::write_bytes`]), because once the log's lines were gathered and their
//! header written by hand, formatting this line through `core::fmt` was most of what
//! the log still cost (BENCHMARKS.md, "Logging", step 3). The test below keeps the two
//! byte for byte the same.

use std::io::Write as _;
use std::net::SocketAddr;

use log::{Level, log};

use crate::host::syntax::Host;
use crate::http::Response;

/// Logs the access line of `response` under `target`: at info, at debug for a response
/// the exchange marked [`quiet`](Response::quiet), such as the favicon's. The size is
/// the body bytes actually sent: none for a `HEAD`.
pub(super) fn log(
    target: &str,
    peer: SocketAddr,
    request_line: &str,
    response: &Response,
    host: Option<&Host<'_>>,
    worker: Option<usize>,
) {
    let level = if response.quiet {
        Level::Debug
    } else {
        Level::Info
    };
    let line = AccessLine {
        peer,
        request_line,
        status: response.status.0,
        sent: response.body_bytes_sent(),
        host,
        worker,
    };
    line.log(level, target);
}

/// One access line's fields, written as
/// `PEER "REQUEST LINE" STATUS BYTES host=HOST[ worker=N]`: the request line escaped
/// (`escape_debug`), and `-` for a request without a valid host.
///
/// It is written two ways, which give the same bytes: [`Display`](std::fmt::Display),
/// for `log!`, and [`write_bytes`](AccessLine::write_bytes), without `core::fmt`, for
/// [`log_bytes`](super::log_output::log_bytes).
struct AccessLine<'a> {
    /// The client's address.
    peer: SocketAddr,
    /// The request line as it came, or `-` when there was none.
    request_line: &'a str,
    /// The response's status code.
    status: u16,
    /// The body bytes sent: none for a `HEAD`.
    sent: usize,
    /// The allowed host, or `None` for a refused request.
    host: Option<&'a Host<'a>>,
    /// Which worker answered, when there are several.
    worker: Option<usize>,
}

impl AccessLine<'_> {
    /// Logs the line at `level` under `target`: into the log's buffer as bytes when the
    /// log is plain (a file or a pipe), since one line per response formatted through
    /// `core::fmt` was most of what the log cost; otherwise (colours, or another logger)
    /// through `log!`, which formats the same bytes. Either way `RUST_LOG` decides
    /// whether the line is written; at `warn` it costs one comparison with the maximum
    /// level.
    fn log(&self, level: Level, target: &str) {
        if !super::log_output::log_bytes(level, target, |buf| self.write_bytes(buf)) {
            log!(target: target, level, "{self}");
        }
    }

    /// Appends the line's text to `buf`, as `Display` would write it.
    fn write_bytes(&self, buf: &mut Vec<u8>) {
        use super::log_output::push_escape_debug;
        use crate::decimal::{push_ipv4, push_socket_addr, push_u64, push_usize};
        push_socket_addr(buf, self.peer);
        buf.extend_from_slice(b" \"");
        push_escape_debug(buf, self.request_line);
        buf.extend_from_slice(b"\" ");
        push_u64(buf, self.status.into());
        buf.push(b' ');
        push_usize(buf, self.sent);
        buf.extend_from_slice(b" host=");
        match self.host {
            None => buf.push(b'-'),
            Some(Host::Name(name)) => buf.extend_from_slice(name.as_bytes()),
            Some(Host::Ipv4(addr)) => push_ipv4(buf, *addr),
            // Rare, and its text is `core::fmt`'s to get right. Writing into a Vec
            // cannot fail.
            Some(host @ Host::Ipv6(_)) => {
                let _ = write!(buf, "{host}");
            }
        }
        if let Some(worker) = self.worker {
            buf.extend_from_slice(b" worker=");
            push_usize(buf, worker);
        }
    }
}

impl std::fmt::Display for AccessLine<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} \"{}\" {} {} host=",
            self.peer,
            self.request_line.escape_debug(),
            self.status,
            self.sent
        )?;
        match self.host {
            Some(host) => write!(f, "{host}")?,
            None => f.write_str("-")?,
        }
        if let Some(worker) = self.worker {
            write!(f, " worker={worker}")?;
        }
        Ok(())
    }
}

/// The access line's two writers agree, byte for byte, with each other and with the
/// format the access log has always had.
#[cfg(test)]
mod tests {
    use super::AccessLine;
    use crate::host::syntax::Host;

    #[test]
    fn access_line_bytes_are_what_display_writes() {
        let hosts = [
            None,
            Some(Host::Name("localhost".into())),
            Some(Host::Name("sub.example.com".into())),
            Some(Host::Ipv4([127, 0, 0, 1].into())),
            Some(Host::Ipv4([10, 200, 0, 255].into())),
            Some(Host::Ipv6(std::net::Ipv6Addr::LOCALHOST)),
            Some(Host::Ipv6("2001:db8::8a2e:370:7334".parse().unwrap())),
        ];
        let peers = [
            "127.0.0.1:51234",
            "0.0.0.0:0",
            "[::1]:8090",
            "[fe80::1%2]:1",
        ];
        let lines = [
            "GET / HTTP/1.1",
            "-",
            "",
            "GET /a\"b'c\\d HTTP/1.1",
            "GET /\u{1b}[31m\t\r\n\0\u{7f} HTTP/1.0",
            "GET /caf\u{e9}/\u{301}x\u{200b}\u{ffff} HTTP/1.1",
        ];
        let numbers = [(200, 0), (404, 1), (505, 18_446), (100, usize::MAX)];
        for host in &hosts {
            for peer in peers {
                for request_line in lines {
                    for (i, &(status, sent)) in numbers.iter().enumerate() {
                        let line = AccessLine {
                            peer: peer.parse().unwrap(),
                            request_line,
                            status,
                            sent,
                            host: host.as_ref(),
                            worker: [None, Some(0), Some(1), Some(17)][i],
                        };
                        let mut bytes = Vec::new();
                        line.write_bytes(&mut bytes);
                        let bytes = String::from_utf8(bytes).unwrap();
                        assert_eq!(bytes, line.to_string(), "{peer} {request_line:?}");
                        let host = host.as_ref().map_or("-".to_owned(), Host::to_string);
                        let escaped = request_line.escape_debug();
                        let mut format =
                            format!("{} \"{escaped}\" {status} {sent} host={host}", line.peer);
                        if let Some(w) = line.worker {
                            format.push_str(&format!(" worker={w}"));
                        }
                        assert_eq!(bytes, format, "{peer} {request_line:?}");
                    }
                }
            }
        }
    }
}
