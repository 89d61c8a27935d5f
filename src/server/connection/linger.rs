//! Lingering close (RFC 9112 §9.6): closing without destroying the answer.
//!
//! Closing a socket that still has unread bytes in it makes the kernel send a reset
//! instead of a FIN, and a reset can destroy the response the client has not read yet:
//! a 413 while the body is on its way, a 431 for a huge head, a refused Host with an
//! upload behind it. So once its last response is flushed, a connection whose client
//! may still be sending shuts down its write side (the client sees the end of the
//! response) and reads and discards for at most [`LINGER_TIME`] and [`LINGER_BYTES`]
//! before it closes, as nginx's `lingering_close`.

use std::time::{Duration, Instant};

use log::debug;

use super::{Clock, Connection, Next, State};
use crate::server::stream::{Stream, interrupted, would_block};

/// The longest a lingering close reads and discards before closing anyway.
pub const LINGER_TIME: Duration = Duration::from_secs(5);

/// The most bytes a lingering close discards before closing anyway: enough for a body
/// over the default `--max-body-bytes` or a 1 MB head, not enough to be a sink for ever.
pub const LINGER_BYTES: usize = 4 * 1024 * 1024;

impl<S: Stream> Connection<S> {
    /// The last response is flushed: shut down the write side and start reading and
    /// discarding (see the module's note).
    pub(super) fn linger(&mut self, now: Instant) {
        if let Err(e) = self.stream.shutdown_write() {
            debug!("{} shutdown(write): {e}", self.at.peer);
        }
        self.read_buf = Vec::new();
        self.write_buf = Vec::new();
        self.written = 0;
        let until = now + LINGER_TIME;
        let lingering = State::Lingering {
            until,
            discarded: 0,
        };
        self.enter(lingering, Clock::Restart, now);
    }

    /// Lingering: reads and throws away until `WouldBlock` (wait for more), the end of
    /// the stream, an error, or [`LINGER_BYTES`] (close).
    pub(super) fn discard(&mut self, scratch: &mut [u8]) -> Next {
        loop {
            let n = match self.stream.read(scratch) {
                Ok(0) => return Next::Close,
                Ok(n) => n,
                Err(e) if would_block(&e) => return Next::Read,
                Err(e) if interrupted(&e) => continue,
                Err(_) => return Next::Close,
            };
            if let State::Lingering { discarded, .. } = &mut self.state {
                *discarded = discarded.saturating_add(n);
                if *discarded >= LINGER_BYTES {
                    debug!(
                        "{} lingering close: {LINGER_BYTES} bytes discarded, closing",
                        self.at.peer
                    );
                    return Next::Close;
                }
            }
        }
    }
}
