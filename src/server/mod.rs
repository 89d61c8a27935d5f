//! The I/O half of hostecho: listening sockets, the event loop, connections, timers,
//! and shutting down.

pub mod access_log;
pub mod connection;
pub mod event_loop;
pub mod listeners;
pub mod log_output;
pub mod reserve;
pub mod scratch;
pub mod shutdown;
pub mod startup;
pub mod timers;

pub use event_loop::Server;
pub use shutdown::ShutdownHandle;

use std::io;

/// "Would block" is the OS saying the socket is not ready for this call right now:
/// nothing to read, no room to write, no connection to accept. Not a failure: wait for
/// the next readiness event. (Named as in mio's `tcp_server` example.)
fn would_block(err: &io::Error) -> bool {
    err.kind() == io::ErrorKind::WouldBlock
}

/// A signal arrived during the call, which did nothing: try it again.
fn interrupted(err: &io::Error) -> bool {
    err.kind() == io::ErrorKind::Interrupted
}
