//! hostecho — a raw-socket HTTP server that echoes back the request it parsed.
//!
//! It is a teaching server: every request is answered with the request itself, as
//! hostecho understood it, after the `Host` header has been checked against an
//! allow-list. The code is laid out so that one request can be followed in the order
//! it is handled, one module per step. The connection is where it starts and ends: it
//! does the I/O, and calls each of the pure steps in turn, so a reader who follows a
//! request goes out from `server::connection` and back to it, once per step:
//!
//! ```text
//! server::event_loop     wakes the connection whose socket is ready, or whose deadline passed
//!   → server::connection reads bytes into the buffer the loop lends it, and asks
//!   → http::framing      where the request is: a FramedHead (target parsed, persistence
//!                        decided), then its body — or a RequestError
//!   → exchange::admit    whether its Host is allowed (host::HostPolicy::decide), unless
//!                        it is a --health-path check, answered first with a constant
//!                        (exchange::is_health_check, health)
//!   → exchange::respond  what the answer is: the echo (echo::render), or exchange::refuse
//!   → http::response     status, headers and body as bytes
//!   → server::connection writes them back
//! ```
//!
//! | module | holds | does I/O? |
//! |---|---|---|
//! | [`config`] | every knob: bind addresses, limits, Host policy options | no |
//! | [`error`] | the library's error types and the one place that maps them to statuses | no |
//! | [`http`] | the request model, framing with httparse, the request target, the field grammar, responses | no |
//! | [`exchange`] | what one request is answered: admit its Host, respond with the echo, or refuse | no |
//! | [`health`] | `--health-path`: the constant answer a balancer's check gets before the Host check | no |
//! | [`host`] | the Host policy: syntax, patterns, which header counts, the decision | no |
//! | [`echo`] | content negotiation and the text, JSON and HTML renderers | no |
//! | [`decimal`] | numbers and IPv4 addresses as text without `core::fmt`, for the echo and the response head | no |
//! | [`server`] | listeners, the mio event loop, per-connection state machines, timers, start-up advice | yes |
//! | [`check`] | `hostecho check`: the Host policy on values, without a socket | no |
//! | [`compat`] | models of Django's and Starlette's Host checks, for `check --compare` | no |
//! | [`grade`] | `hostecho grade`: a chapter's checks, run against any server over raw TCP | yes (a client) |
//!
//! What is deliberately left out: TLS, HTTP/2, compression, serving files, and any
//! upstream proxying. hostecho is for learning how HTTP/1.1 and Host validation work,
//! not for carrying production traffic.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod check;
pub mod compat;
pub mod config;
pub mod decimal;
pub mod echo;
pub mod error;
pub mod exchange;
pub mod grade;
pub mod health;
pub mod host;
pub mod http;
pub mod server;

pub use config::Config;
pub use error::{Error, RequestError};
pub use server::Server;
