//! Probes: what one check sends, how, what it saw — and how to do it by hand.
//!
//! A [`Probe`] is data: the bytes and the way they go out (in pieces, pipelined, on a
//! hundred connections at once, left unfinished). [`Probe::run`] is the one place
//! that does the I/O, through [`Conn`], and returns an [`Observation`] for the pure
//! judge (`judge.rs`). [`Probe::sent`] and [`Probe::reproduce`] say in words and as a
//! shell command what was sent, for the report.
//!
//! The command is the exact bytes through `printf '…' | nc -N HOST PORT` (`-N`: close
//! the sending side when the input ends, as netcat-openbsd needs), with `sleep`
//! between pieces. printf's format string is written so that printf turns it back into
//! the bytes: `\r`, `\n`, `\\`, `%%`, and octal `\NNN` for any other byte.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::client::{Conn, Heard, NoAnswer, Response, Trouble};

/// How long the grader waits, between the pieces of a head, for an answer that comes
/// too early, and after an answer for one that should not come at all. Long enough for
/// a server on the same machine to react, short enough to run often.
pub const QUIET_WAIT: Duration = Duration::from_millis(250);

/// The pieces of an oversized head are written this many bytes at a time, watching
/// for an answer between writes.
const OVERSIZED_CHUNK: usize = 1024;

/// How long the grader listens between those writes: only to say how far it got
/// before the answer, so shorter than [`QUIET_WAIT`].
const OVERSIZED_WAIT: Duration = Duration::from_millis(40);

/// What one check sends, and how.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Probe {
    /// One request, written in `pieces` with [`QUIET_WAIT`] between them, then (with
    /// `half_close`) our sending side closed; the answer read, then a short listen for
    /// anything more.
    Request {
        /// The request's bytes, in the writes that send them.
        pieces: Vec<Vec<u8>>,
        /// Close our sending side after the last piece.
        half_close: bool,
    },
    /// A head over the server's limit: `start`, then `filler` repeated `count` times,
    /// then `end`, written a kilobyte at a time.
    Oversized {
        /// The request line and the start of a header line.
        start: Vec<u8>,
        /// The byte that pads the header's value.
        filler: u8,
        /// How many of it.
        count: usize,
        /// The end of the header line and of the head.
        end: Vec<u8>,
    },
    /// Requests on one connection, each answer read before the next is sent.
    KeepAlive {
        /// The requests, in order.
        requests: Vec<Vec<u8>>,
    },
    /// Requests in one write; their answers read one after another.
    Pipelined {
        /// The requests, in order.
        requests: Vec<Vec<u8>>,
    },
    /// An unfinished head, then silence, for `wait`: the server's head time-out.
    Stall {
        /// The head, short of its empty line.
        partial: Vec<u8>,
        /// The time-out the server is meant to enforce; the grader waits that long and
        /// then its own time-out more.
        wait: Duration,
    },
    /// A connection that says nothing, held open while another sends `request`.
    SilentNeighbour {
        /// The second connection's request.
        request: Vec<u8>,
    },
    /// `clients` connections open at once, each with the start of a request; then each
    /// request finished, the last to connect first, and its answer read before the
    /// next is finished.
    Crowd {
        /// How many connections.
        clients: usize,
        /// What each sends first.
        first: Vec<u8>,
        /// What finishes each request.
        rest: Vec<u8>,
    },
}

/// What a probe saw.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Observation {
    /// [`Probe::Request`], [`Probe::Oversized`], [`Probe::Stall`],
    /// [`Probe::SilentNeighbour`]: one answer.
    One {
        /// The answer, or why none came.
        answer: Result<Response, NoAnswer>,
        /// Bytes written when the answer started to arrive (or the attempt ended).
        sent: usize,
        /// Bytes the probe meant to write.
        total: usize,
        /// After the answer, within [`QUIET_WAIT`]: `Some(bytes)` if more came, the
        /// start of a second answer.
        more: Option<Vec<u8>>,
    },
    /// [`Probe::KeepAlive`], [`Probe::Pipelined`]: the answers in order, up to the first
    /// that did not come.
    Many {
        /// One per request, until the first failure (included).
        answers: Vec<Result<Response, NoAnswer>>,
        /// How many requests were sent (or meant to be).
        requests: usize,
    },
    /// [`Probe::Crowd`].
    Crowd {
        /// How many connections were meant.
        clients: usize,
        /// How many got their answer.
        answered: usize,
        /// The first client (counting from 1, in the order they connected) that got
        /// none, and why.
        failed: Option<(usize, NoAnswer)>,
    },
}

impl Probe {
    /// Runs the probe against `addr`, every wait ending by `deadline` (a stall's by
    /// `deadline` plus its `wait`).
    pub fn run(&self, addr: SocketAddr, deadline: Instant) -> Observation {
        match self {
            Probe::Request { pieces, half_close } => {
                run_request(addr, deadline, pieces, *half_close, QUIET_WAIT)
            }
            Probe::Oversized {
                start,
                filler,
                count,
                end,
            } => {
                let mut bytes = start.clone();
                bytes.extend(std::iter::repeat_n(*filler, *count));
                bytes.extend_from_slice(end);
                // The request line first, alone, as a client that trickles would send it.
                let line = bytes
                    .iter()
                    .position(|&b| b == b'\n')
                    .map_or(bytes.len(), |i| i + 1);
                let mut pieces = vec![bytes[..line].to_vec()];
                pieces.extend(bytes[line..].chunks(OVERSIZED_CHUNK).map(<[u8]>::to_vec));
                run_request(addr, deadline, &pieces, false, OVERSIZED_WAIT)
            }
            Probe::KeepAlive { requests } => {
                let mut answers = Vec::new();
                match Conn::open(addr, deadline) {
                    Err(trouble) => answers.push(Err(nothing(trouble))),
                    Ok(mut conn) => {
                        for request in requests {
                            let answer = conn
                                .send(request)
                                .map_err(nothing)
                                .and_then(|()| conn.read_response());
                            let failed = answer.is_err();
                            answers.push(answer);
                            if failed {
                                break;
                            }
                        }
                    }
                }
                Observation::Many {
                    answers,
                    requests: requests.len(),
                }
            }
            Probe::Pipelined { requests } => {
                let mut answers = Vec::new();
                match Conn::open(addr, deadline) {
                    Err(trouble) => answers.push(Err(nothing(trouble))),
                    Ok(mut conn) => {
                        if let Err(trouble) = conn.send(&requests.concat()) {
                            answers.push(Err(nothing(trouble)));
                        } else {
                            for _ in requests {
                                let answer = conn.read_response();
                                let failed = answer.is_err();
                                answers.push(answer);
                                if failed {
                                    break;
                                }
                            }
                        }
                    }
                }
                Observation::Many {
                    answers,
                    requests: requests.len(),
                }
            }
            Probe::Stall { partial, wait } => run_request(
                addr,
                deadline + *wait,
                std::slice::from_ref(partial),
                false,
                QUIET_WAIT,
            ),
            Probe::SilentNeighbour { request } => {
                // The silent one connects first, so a server that serves connections in
                // order of arrival is stuck on it.
                let silent = Conn::open(addr, deadline);
                let observation = run_request(
                    addr,
                    deadline,
                    std::slice::from_ref(request),
                    false,
                    QUIET_WAIT,
                );
                drop(silent);
                observation
            }
            Probe::Crowd {
                clients,
                first,
                rest,
            } => run_crowd(addr, deadline, *clients, first, rest),
        }
    }

    /// What was sent, in words, with the bytes as printf would write them (long ones
    /// shortened).
    pub fn sent(&self) -> String {
        match self {
            Probe::Request { pieces, half_close } => {
                let mut text = quote_short(&pieces.concat());
                if pieces.len() > 1 {
                    text.push_str(&format!(
                        ", in {} writes {} ms apart",
                        pieces.len(),
                        QUIET_WAIT.as_millis()
                    ));
                }
                if *half_close {
                    text.push_str(", then our sending side closed (a half-close)");
                }
                text
            }
            Probe::Oversized {
                start,
                filler,
                count,
                end,
            } => format!(
                "a head of {} bytes: {}, then {} × '{}', then {}",
                group(start.len() + count + end.len()),
                quote_short(start),
                group(*count),
                char::from(*filler),
                quote_short(end)
            ),
            Probe::KeepAlive { requests } => format!(
                "{} requests on one connection, each after the answer to the one before: {}",
                requests.len(),
                requests
                    .iter()
                    .map(|r| quote_short(r))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Probe::Pipelined { requests } => format!(
                "{} requests in one write: {}",
                requests.len(),
                quote_short(&requests.concat())
            ),
            Probe::Stall { partial, wait } => format!(
                "{}, then nothing for {}",
                quote_short(partial),
                seconds(*wait)
            ),
            Probe::SilentNeighbour { request } => format!(
                "one connection that sends nothing, then on a second one {}",
                quote_short(request)
            ),
            Probe::Crowd {
                clients,
                first,
                rest,
            } => format!(
                "{clients} connections at once, each sending {}; then each finishing with \
                 {}, the last to connect first",
                quote_short(first),
                quote_short(rest)
            ),
        }
    }

    /// A shell command that sends the same bytes the same way to `addr`.
    pub fn reproduce(&self, addr: SocketAddr) -> String {
        let nc = format!("nc -N {} {}", host_for_nc(addr), addr.port());
        match self {
            Probe::Request { pieces, .. } if pieces.len() == 1 => {
                format!("printf '{}' | {nc}", printf_format(&pieces[0]))
            }
            Probe::Request { pieces, .. } => {
                let writes: Vec<String> = pieces
                    .iter()
                    .map(|p| format!("printf '{}'", printf_format(p)))
                    .collect();
                format!("({}) | {nc}", writes.join("; sleep 1; "))
            }
            Probe::Oversized {
                start,
                filler,
                count,
                end,
            } => format!(
                "(printf '{}'; head -c {count} /dev/zero | tr '\\0' '{}'; printf '{}') | {nc}",
                printf_format(start),
                char::from(*filler),
                printf_format(end)
            ),
            Probe::KeepAlive { requests } => {
                let writes: Vec<String> = requests
                    .iter()
                    .map(|p| format!("printf '{}'", printf_format(p)))
                    .collect();
                format!("({}) | {nc}", writes.join("; sleep 1; "))
            }
            Probe::Pipelined { requests } => {
                format!("printf '{}' | {nc}", printf_format(&requests.concat()))
            }
            Probe::Stall { partial, wait } => format!(
                // Without -N, nc keeps the connection open after its input ends.
                "printf '{}' | nc {} {}    # then wait {}",
                printf_format(partial),
                host_for_nc(addr),
                addr.port(),
                seconds(*wait)
            ),
            Probe::SilentNeighbour { request } => format!(
                "nc {} {} & sleep 1; printf '{}' | nc -N -w 5 {} {}; kill $!",
                host_for_nc(addr),
                addr.port(),
                printf_format(request),
                host_for_nc(addr),
                addr.port()
            ),
            Probe::Crowd {
                clients,
                first,
                rest,
            } => format!(
                // Client i finishes after (clients - i) / 10 seconds: the first to connect
                // finishes last, as in the probe.
                "for i in $(seq {clients}); do (printf '{}'; sleep $(( ({clients} - i) / 10 )); \
                 printf '{}') | {nc} & done; wait",
                printf_format(first),
                printf_format(rest)
            ),
        }
    }
}

/// One request written in `pieces`, listening `gap` between them for an answer that
/// comes too early; the answer read; then a short listen for more.
fn run_request(
    addr: SocketAddr,
    deadline: Instant,
    pieces: &[Vec<u8>],
    half_close: bool,
    gap: Duration,
) -> Observation {
    let total = pieces.iter().map(Vec::len).sum();
    let mut conn = match Conn::open(addr, deadline) {
        Ok(conn) => conn,
        Err(trouble) => {
            return Observation::One {
                answer: Err(nothing(trouble)),
                sent: 0,
                total,
                more: None,
            };
        }
    };
    for (i, piece) in pieces.iter().enumerate() {
        if let Err(trouble) = conn.send(piece) {
            // The server may have answered and closed before reading everything: its
            // answer, if any, is still ours to read.
            let answer = conn.read_response().map_err(|mut no| {
                if no.partial.is_empty() && no.trouble == Trouble::Closed {
                    no.trouble = trouble;
                }
                no
            });
            return Observation::One {
                answer,
                sent: conn.sent,
                total,
                more: None,
            };
        }
        if i + 1 < pieces.len() {
            match conn.listen(gap) {
                Heard::Nothing => {}
                Heard::Bytes | Heard::Trouble(_) => {
                    let sent = conn.sent;
                    return Observation::One {
                        answer: conn.read_response(),
                        sent,
                        total,
                        more: None,
                    };
                }
            }
        }
    }
    if half_close {
        conn.half_close();
    }
    let answer = conn.read_response();
    let more = match (&answer, conn.listen(QUIET_WAIT)) {
        (Ok(_), Heard::Bytes) => Some(
            conn.read_response()
                .map_or_else(|no| no.partial, |r| r.status_text().into_bytes()),
        ),
        _ => None,
    };
    Observation::One {
        answer,
        sent: conn.sent,
        total,
        more,
    }
}

fn run_crowd(
    addr: SocketAddr,
    deadline: Instant,
    clients: usize,
    first: &[u8],
    rest: &[u8],
) -> Observation {
    let mut conns = Vec::with_capacity(clients);
    for i in 1..=clients {
        match Conn::open(addr, deadline).and_then(|mut c| c.send(first).map(|()| c)) {
            Ok(conn) => conns.push(conn),
            Err(trouble) => {
                return Observation::Crowd {
                    clients,
                    answered: 0,
                    failed: Some((i, nothing(trouble))),
                };
            }
        }
    }
    let mut answered = 0;
    for (i, conn) in conns.iter_mut().enumerate().rev() {
        let answer = conn
            .send(rest)
            .map_err(nothing)
            .and_then(|()| conn.read_response());
        match answer {
            Ok(_) => answered += 1,
            Err(no) => {
                return Observation::Crowd {
                    clients,
                    answered,
                    failed: Some((i + 1, no)),
                };
            }
        }
    }
    Observation::Crowd {
        clients,
        answered,
        failed: None,
    }
}

fn nothing(trouble: Trouble) -> NoAnswer {
    NoAnswer {
        trouble,
        partial: Vec::new(),
    }
}

/// The host as nc takes it: an IPv6 address without its brackets.
fn host_for_nc(addr: SocketAddr) -> String {
    addr.ip().to_string()
}

/// Bytes as a printf format string inside single quotes: printf turns it back into
/// exactly these bytes.
pub fn printf_format(bytes: &[u8]) -> String {
    let mut out = String::new();
    for &b in bytes {
        match b {
            b'\r' => out.push_str("\\r"),
            b'\n' => out.push_str("\\n"),
            b'\t' => out.push_str("\\t"),
            b'\\' => out.push_str("\\\\"),
            b'%' => out.push_str("%%"),
            // A single quote ends the shell's quoting: close, add an escaped one, reopen.
            b'\'' => out.push_str("'\\''"),
            0x20..=0x7e => out.push(char::from(b)),
            _ => out.push_str(&format!("\\{b:03o}")),
        }
    }
    out
}

/// Bytes in single quotes as printf's format, shortened past 160 characters.
pub fn quote_short(bytes: &[u8]) -> String {
    const MAX: usize = 160;
    let text = printf_format(bytes);
    if text.chars().count() <= MAX {
        format!("'{text}'")
    } else {
        let cut: String = text.chars().take(MAX).collect();
        format!("'{cut}…' ({} bytes)", group(bytes.len()))
    }
}

/// `9035` → `9,035`.
pub fn group(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `1.5 s`, `10 s`.
pub fn seconds(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s.fract() == 0.0 {
        format!("{s:.0} s")
    } else {
        format!("{s} s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printf_format_escapes_what_printf_or_the_shell_would_change() {
        assert_eq!(
            printf_format(b"GET /%41 HTTP/1.1\r\nX: 'a'\\\x01\x7f\r\n"),
            "GET /%%41 HTTP/1.1\\r\\nX: '\\''a'\\''\\\\\\001\\177\\r\\n"
        );
    }

    #[test]
    fn numbers_are_grouped_by_thousands() {
        assert_eq!(group(0), "0");
        assert_eq!(group(999), "999");
        assert_eq!(group(9035), "9,035");
        assert_eq!(group(1_234_567), "1,234,567");
    }

    #[test]
    fn long_bytes_are_shortened_with_their_length() {
        let long = vec![b'a'; 500];
        let quoted = quote_short(&long);
        assert!(quoted.ends_with("…' (500 bytes)"), "{quoted}");
        assert_eq!(quote_short(b"GET / HTTP/1.1\r\n"), "'GET / HTTP/1.1\\r\\n'");
    }
}
