//! The I/O half of hostecho: listening sockets, the event loop, connections, timers,
//! and shutting down.

mod access_log;
pub mod connection;
pub mod event_loop;
pub mod listeners;
pub mod log_output;
pub mod own_addresses;
pub mod reserve;
pub mod scratch;
pub mod shutdown;
pub mod startup;
pub mod stream;
pub mod timers;

pub use event_loop::Server;
pub use shutdown::ShutdownHandle;
