//! The I/O half of hostecho: listening sockets, the event loop, connections, timers.

pub mod connection;
pub mod event_loop;
pub mod timers;

pub use event_loop::Server;
