//! Reading and writing a non-blocking socket, edge-triggered: what each call can say,
//! and what the connection does about it.
//!
//! These are the rules of mio's [`Poll`](mio::Poll) documentation ("Draining
//! readiness"), as its `tcp_server` example applies them:
//!
//! - `WouldBlock` is not a failure: the socket is not ready right now. Stop, and wait
//!   for the next readiness event, which the OS queues as soon as it is ready again.
//! - `Interrupted`: a signal arrived during the call, which did nothing. Try again.
//! - `Ok(0)` from `read` is the peer closing its sending side; from `write`, an error.
//!
//! Edge-triggered readiness is reported once, when the socket *becomes* ready, so a
//! reader must read until `WouldBlock` — or until a read comes back short, which for a
//! socket says the same (see
//! [`Connection::drive_socket`](super::connection::Connection::drive_socket)).

use std::io::{self, Read, Write};
use std::net::SocketAddr;

use log::{Level, log_enabled, trace};
use mio::net::TcpStream;

/// What a connection needs of its stream: reads and writes that say `WouldBlock` when
/// the socket is not ready, and shutting down the write side for a lingering close.
/// A mio [`TcpStream`] in the server; an in-memory stream in the fuzz target and some
/// tests.
pub trait Stream: Read + Write {
    /// Shuts down the write side (`shutdown(2)` with `SHUT_WR`): the client reads the
    /// end of the stream after the last response, while the connection still reads.
    fn shutdown_write(&mut self) -> io::Result<()>;
}

impl Stream for TcpStream {
    fn shutdown_write(&mut self) -> io::Result<()> {
        self.shutdown(std::net::Shutdown::Write)
    }
}

/// "Would block": the socket is not ready for this call right now (nothing to read, no
/// room to write, no connection to accept). Named as in mio's example.
pub(super) fn would_block(err: &io::Error) -> bool {
    err.kind() == io::ErrorKind::WouldBlock
}

/// A signal arrived during the call, which did nothing: try it again.
pub(super) fn interrupted(err: &io::Error) -> bool {
    err.kind() == io::ErrorKind::Interrupted
}

/// What a read shorter than asked says about the stream.
///
/// After a readable event that did not report the peer's FIN, a short read
/// [`EmptiesTheQueue`](ShortRead::EmptiesTheQueue), and the read that would only say
/// `WouldBlock` can be spared. A TCP `read` that returns fewer bytes than asked has
/// emptied the socket's receive queue (Linux copies until the queue is empty or the
/// buffer is full), and with edge-triggered epoll any byte that arrives after that — or
/// a FIN — queues a new event for the socket, even one arriving between our `read` and
/// the next `epoll_wait`. So nothing is left behind without an event to bring the loop
/// back. The one thing that a short read cannot show is a FIN that arrived *with* the
/// data before the event was delivered: no later event will announce it, and the next
/// read would return 0. The event does report it (`EPOLLRDHUP`), so then a short read
/// [`ProvesNothing`](ShortRead::ProvesNothing) and the connection reads on until
/// `WouldBlock` or the end, as it does for a stream that is not a socket. tokio skips
/// the read the same way, keeping "read closed" readiness apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum ShortRead {
    /// The socket's receive queue is empty, and the poll will report any byte or FIN
    /// that arrives later: stop reading until the next event.
    EmptiesTheQueue,
    /// Nothing: read on until `WouldBlock` or the end.
    ProvesNothing,
}

/// What one read brought.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Received {
    /// As many bytes as asked for: there may be more.
    Full,
    /// Fewer bytes than asked for.
    Short,
    /// The end of the stream (`Ok(0)`): the peer closed its sending side.
    End,
    /// Nothing for now (`WouldBlock`).
    Nothing,
}

/// How far a write-out got.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Flushed {
    /// Every byte is written.
    All,
    /// The socket's send buffer is full (`WouldBlock`); the rest waits for WRITABLE.
    Partly,
}

/// Reads once into `scratch` and appends what came to `into`.
pub(super) fn read_once(
    stream: &mut impl Read,
    scratch: &mut [u8],
    into: &mut Vec<u8>,
    peer: SocketAddr,
) -> io::Result<Received> {
    loop {
        match stream.read(scratch) {
            Ok(0) => return Ok(Received::End),
            Ok(n) => {
                if log_enabled!(Level::Trace) {
                    trace!("{peer} read {n} bytes: \"{}\"", scratch[..n].escape_ascii());
                }
                into.extend_from_slice(&scratch[..n]);
                return Ok(if n < scratch.len() {
                    Received::Short
                } else {
                    Received::Full
                });
            }
            Err(e) if would_block(&e) => return Ok(Received::Nothing),
            Err(e) if interrupted(&e) => continue,
            Err(e) => return Err(e),
        }
    }
}

/// Writes `buf[*written..]` until all of it is written or the socket is full,
/// advancing `written`.
pub(super) fn write_out(
    stream: &mut impl Write,
    buf: &[u8],
    written: &mut usize,
    peer: SocketAddr,
) -> io::Result<Flushed> {
    while *written < buf.len() {
        match stream.write(&buf[*written..]) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => {
                if log_enabled!(Level::Trace) {
                    let sent = &buf[*written..*written + n];
                    trace!("{peer} wrote {n} bytes: \"{}\"", sent.escape_ascii());
                }
                *written += n;
            }
            Err(e) if would_block(&e) => return Ok(Flushed::Partly),
            Err(e) if interrupted(&e) => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(Flushed::All)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;
    use std::net::Ipv4Addr;

    /// One scripted call: `Ok(n)` hands out (or takes) `n` bytes, `Err(kind)` fails
    /// with that kind.
    type Step = Result<usize, io::ErrorKind>;

    /// A stream that answers each call with the next scripted step.
    struct Steps(VecDeque<Step>);

    impl Steps {
        fn next(&mut self) -> io::Result<usize> {
            let step = self.0.pop_front().expect("no call past the script");
            step.map_err(io::Error::from)
        }
    }

    impl Read for Steps {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.next()?;
            buf[..n].fill(b'x');
            Ok(n)
        }
    }

    impl Write for Steps {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            self.next()
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn steps(script: &[Step]) -> Steps {
        Steps(script.iter().copied().collect())
    }

    const PEER: SocketAddr = SocketAddr::new(std::net::IpAddr::V4(Ipv4Addr::LOCALHOST), 1);

    #[test]
    fn a_read_says_what_it_brought_and_retries_a_signal() {
        use io::ErrorKind::{Interrupted, WouldBlock};
        let cases: &[(&[Step], Received, usize)] = &[
            (&[Ok(4)], Received::Full, 4),
            (&[Ok(3)], Received::Short, 3),
            (&[Ok(0)], Received::End, 0),
            (&[Err(WouldBlock)], Received::Nothing, 0),
            (
                &[Err(Interrupted), Err(Interrupted), Ok(2)],
                Received::Short,
                2,
            ),
        ];
        for (script, received, appended) in cases {
            let (mut stream, mut into) = (steps(script), b"ab".to_vec());
            let got = read_once(&mut stream, &mut [0; 4], &mut into, PEER).expect("no error");
            assert_eq!(got, *received, "{script:?}");
            assert_eq!(
                into.len(),
                2 + appended,
                "{script:?}: appended to what was there"
            );
            assert!(stream.0.is_empty(), "{script:?}: every step taken");
        }
        let failed = read_once(
            &mut steps(&[Err(io::ErrorKind::ConnectionReset)]),
            &mut [0; 4],
            &mut Vec::new(),
            PEER,
        );
        assert_eq!(
            failed.map_err(|e| e.kind()),
            Err(io::ErrorKind::ConnectionReset)
        );
    }

    #[test]
    fn a_write_out_goes_on_until_done_or_full_and_retries_a_signal() {
        use io::ErrorKind::{Interrupted, WouldBlock, WriteZero};
        let cases: &[(&[Step], Result<Flushed, io::ErrorKind>, usize)] = &[
            (&[Ok(10)], Ok(Flushed::All), 10),
            (&[Ok(4), Ok(6)], Ok(Flushed::All), 10),
            (&[Ok(4), Err(WouldBlock)], Ok(Flushed::Partly), 4),
            (
                &[Err(Interrupted), Ok(3), Err(Interrupted), Ok(7)],
                Ok(Flushed::All),
                10,
            ),
            // A write that takes nothing would loop for ever: an error instead.
            (&[Ok(0)], Err(WriteZero), 0),
        ];
        for (script, flushed, written) in cases {
            let mut stream = steps(script);
            let mut at = 0;
            let got = write_out(&mut stream, &[b'y'; 10], &mut at, PEER).map_err(|e| e.kind());
            assert_eq!(got, *flushed, "{script:?}");
            assert_eq!(at, *written, "{script:?}");
            assert!(stream.0.is_empty(), "{script:?}: every step taken");
        }
    }
}
