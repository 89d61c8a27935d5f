//! Listening sockets: binding them, and turning a connection away when the server
//! cannot take it.
//!
//! With one worker, each address is bound once. With `--workers N`, every worker binds
//! every address itself, with `SO_REUSEPORT`: the kernel then keeps one accept queue
//! per socket and spreads new connections over them by a hash of the addresses, so
//! the workers never contend for one queue (and no thundering herd wakes them all for
//! one connection). Port 0 is resolved once, by the first bind; the other workers bind
//! the port it got.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr};

use mio::net::{TcpListener, TcpStream};
use socket2::{Domain, Protocol, Socket, Type};

use crate::error::Error;
use crate::http::{Response, Status};

/// How many pending connections the kernel may queue for `accept` on each listener.
const BACKLOG: i32 = 1024;

/// A bound listening socket and the address it really got (port 0 resolved).
#[derive(Debug)]
pub struct Listener {
    /// The socket, registered with one worker's poll.
    pub socket: TcpListener,
    /// The address it is bound to.
    pub addr: SocketAddr,
}

/// Creates, binds and starts listening on one address.
///
/// socket2 rather than `TcpListener::bind`, to say what the OS should do:
/// `SO_REUSEADDR` so a restarted server can bind while old connections sit in
/// TIME_WAIT, `IPV6_V6ONLY` so `[::]` and `0.0.0.0` can be bound side by side, and,
/// with several workers, `SO_REUSEPORT` so each can bind the same address. (Only then:
/// with it, a second hostecho of the same user could bind a port already in use and
/// silently share its connections, rather than fail with "already in use".)
pub fn bind(addr: SocketAddr, reuse_port: bool) -> Result<Listener, Error> {
    let bind_err = |source| Error::Bind { addr, source };
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))
        .map_err(bind_err)?;
    socket.set_reuse_address(true).map_err(bind_err)?;
    if reuse_port {
        socket.set_reuse_port(true).map_err(bind_err)?;
    }
    if addr.is_ipv6() {
        socket.set_only_v6(true).map_err(bind_err)?;
    }
    socket.bind(&addr.into()).map_err(bind_err)?;
    socket.listen(BACKLOG).map_err(bind_err)?;
    socket.set_nonblocking(true).map_err(bind_err)?;
    let socket = TcpListener::from_std(socket.into());
    let addr = socket.local_addr().map_err(bind_err)?;
    Ok(Listener { socket, addr })
}

/// Why a connection is turned away.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// `--max-connections` are open.
    AtLimit(usize),
    /// The process is out of file descriptors.
    NoDescriptors,
}

impl Refusal {
    fn message(self) -> String {
        match self {
            Refusal::AtLimit(max) => format!(
                "hostecho is serving its maximum of {max} connections (--max-connections); try again later"
            ),
            Refusal::NoDescriptors => {
                "hostecho has run out of file descriptors; try again later".to_owned()
            }
        }
    }
}

/// Answers a just-accepted connection `503 Service Unavailable` with `Connection:
/// close`, and closes it, without ever waiting on it: the loop must stay responsive
/// for the clients it does serve.
///
/// The request the client may already have sent is read first (as much as is there,
/// up to 64 KiB) so that closing does not find unread bytes and send a reset, which
/// could destroy the 503 before the client reads it. The answer is one short write
/// into a fresh socket's empty send buffer, so it is not cut short in practice; if it
/// were, the client sees a closed connection, which is what it would get anyway.
pub fn turn_away(mut stream: TcpStream, refusal: Refusal, date: &str) {
    let mut sink = [0u8; 4096];
    for _ in 0..16 {
        match stream.read(&mut sink) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    let mut out = Vec::with_capacity(256);
    Response::error(Status::SERVICE_UNAVAILABLE, &refusal.message()).write_to(&mut out, date);
    let _ = stream.write(&out);
    let _ = stream.shutdown(Shutdown::Write);
}
