//! Configuration: everything the server needs to know before it binds its first socket.
//!
//! [`Config`] is plain data. `main.rs` fills it from the command line and the
//! environment (with clap; `--bind` names are resolved there, so it holds addresses
//! only); tests and examples build it directly.

use std::net::SocketAddr;
use std::time::Duration;

use crate::health::HealthPath;
use crate::host::PolicyOptions;
use crate::http::framing::Limits;

/// The default address: loopback only, so only this machine can connect.
pub const DEFAULT_BIND: &str = "127.0.0.1:8090";

/// Everything the server is configured with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Addresses to listen on, each with its own listening socket.
    pub bind: Vec<SocketAddr>,
    /// The Host policy: allowed patterns and forwarding options.
    pub policy: PolicyOptions,
    /// `--health-path`: the one path answered `200` with a constant body before the
    /// Host check, for load balancers' health checks. Off (`None`) by default.
    pub health_path: Option<HealthPath>,
    /// Framing limits: head size, header count, body size.
    pub limits: Limits,
    /// How long a client may take to send a complete head once it has started (408).
    pub header_timeout: Duration,
    /// How long a connection may sit with no request in progress before it is closed:
    /// idle between requests, or stalled with a response the client does not read
    /// (while keeping alive or while closing). A client that reads, however slowly,
    /// restarts it with every byte it takes.
    pub idle_timeout: Duration,
    /// How long a whole request body may take to arrive, from the end of its head (408).
    /// A deadline for the whole body, not for each read: a client that trickles one byte
    /// just before every idle time-out would otherwise hold the connection for ever.
    pub body_timeout: Duration,
    /// After SIGINT or SIGTERM, how long requests in flight may take to finish before
    /// the server exits anyway.
    pub shutdown_grace: Duration,
    /// Most connections open at once, all workers together. Past it a new connection is
    /// answered 503 and closed.
    pub max_connections: usize,
    /// How many event loops (threads) serve, each with its own `mio::Poll`, sharing
    /// each address through `SO_REUSEPORT`.
    pub workers: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            // The literal is a valid socket address, so parsing it cannot fail.
            bind: vec![DEFAULT_BIND.parse().expect("default bind address parses")],
            policy: PolicyOptions::default(),
            health_path: None,
            limits: Limits::default(),
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(30),
            body_timeout: Duration::from_secs(30),
            shutdown_grace: Duration::from_secs(10),
            max_connections: 10_000,
            workers: 1,
        }
    }
}
