//! Chapter 2: where you bind — which addresses a listening socket answers on, and what
//! happens when you restart it.
//!
//! Run it:
//!
//! ```text
//! cargo run --example ch02_where_you_bind                     # 127.0.0.1:8090
//! cargo run --example ch02_where_you_bind 127.0.0.1:0         # any free port
//! cargo run --example ch02_where_you_bind '[::1]:8090'        # IPv6 loopback only
//! cargo run --example ch02_where_you_bind 127.0.0.1:8090 --without-reuseaddr
//! cargo run --example ch02_where_you_bind 127.0.0.1:8090 --once
//! ```
//!
//! Then try, from another terminal:
//!
//! ```text
//! curl http://127.0.0.1:8090/       # answered
//! curl http://127.0.0.2:8090/       # refused: nothing listens on 127.0.0.2
//! ss -ltn 'sport = :8090'           # the listening socket, as the kernel sees it
//! ```
//!
//! Each answer says which of the machine's addresses the connection arrived at. With
//! `--once` the server answers one connection and exits, so you can restart it at once
//! and watch `SO_REUSEADDR` at work; `--without-reuseaddr` binds without that option, as
//! a C program that never sets it would.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::ExitCode;

use socket2::{Domain, SockRef, Socket, Type};

// ANCHOR: main
fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:8090".to_owned());
    let flags: Vec<String> = args.collect();
    let reuse = !flags.iter().any(|f| f == "--without-reuseaddr");
    let once = flags.iter().any(|f| f == "--once");

    // A start-up error is one line that names the address and the reason, and a
    // non-zero exit: what a learner (or a script) needs, without a backtrace.
    let listener = match bind(&addr, reuse) {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("error: cannot bind {addr}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let Ok(local) = listener.local_addr() else {
        eprintln!("error: {addr}: the socket has no local address");
        return ExitCode::FAILURE;
    };
    println!("listening on http://{local}");
    // Read the option back from the kernel rather than trusting what we asked for.
    let reuse_now = SockRef::from(&listener).reuse_address().unwrap_or(false);
    println!("SO_REUSEADDR is {}", if reuse_now { "on" } else { "off" });

    loop {
        let stream = match listener.accept() {
            Ok((stream, _peer)) => stream,
            Err(e) => {
                eprintln!("accept failed: {e}");
                continue;
            }
        };
        if once {
            // Stop listening before answering: by the time the client has its answer,
            // nothing listens on the port any more, and a restart can begin at once.
            drop(listener);
            if let Err(e) = handle_connection(stream) {
                eprintln!("connection failed: {e}");
            }
            return ExitCode::SUCCESS;
        }
        if let Err(e) = handle_connection(stream) {
            eprintln!("connection failed: {e}");
        }
    }
}
// ANCHOR_END: main

// ANCHOR: bind
/// Binds a listening TCP socket on `addr`, step by step, as `TcpListener::bind` does.
fn bind(addr: &str, reuse: bool) -> std::io::Result<TcpListener> {
    let addr: SocketAddr = addr
        .parse()
        .map_err(|_| std::io::Error::other("not an IP address with a port, like 127.0.0.1:8090"))?;
    if reuse {
        // The standard library's way. On Unix it sets SO_REUSEADDR before bind() (see
        // `std::sys::net`), for the reason shown with --without-reuseaddr.
        return TcpListener::bind(addr);
    }
    // The same steps by hand, without SO_REUSEADDR. socket(): an IPv4 or IPv6 TCP socket.
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
    // bind(): claim the address and port. Without SO_REUSEADDR, Linux refuses a port
    // that any socket still uses, even one in TIME-WAIT from a connection we closed.
    socket.bind(&addr.into())?;
    // listen(): from now on the kernel accepts connections and queues up to 128 of them.
    socket.listen(128)?;
    Ok(socket.into())
}
// ANCHOR_END: bind

// ANCHOR: handle_connection
fn handle_connection(mut stream: TcpStream) -> std::io::Result<()> {
    // Still chapter 1's single read: this chapter is about addresses, not requests.
    // What it read does not matter here: every request gets the same answer.
    let mut buffer = [0; 1024];
    let _request_bytes = stream.read(&mut buffer)?;

    // The connection has two ends. `peer_addr` is the client's; `local_addr` is ours:
    // the address *the client connected to*. Bound to one address, it is always that
    // one; bound to a wildcard (0.0.0.0 or [::]), it is whichever address of this
    // machine the client chose.
    let (peer, local) = (stream.peer_addr()?, stream.local_addr()?);
    println!("{peer} -> {local}");

    let body = format!("you reached {local}\n");
    let response = format!(
        "HTTP/1.1 200 OK\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\
         Content-Length: {}\r\n\
         Connection: close\r\n\
         \r\n\
         {body}",
        body.len()
    );
    stream.write_all(response.as_bytes())
}
// ANCHOR_END: handle_connection
