//! The `hostecho` binary's own modules, beside `main.rs`: what the command line needs
//! that is not the library's. They do the I/O the library leaves to its caller —
//! resolving `--bind` names, installing the logger, printing where the server listens,
//! reading stdin and writing stdout for `check` — so they are not part of the library.

pub mod bind;
pub mod check;
pub mod logging;
pub mod policy;
pub mod serve;
