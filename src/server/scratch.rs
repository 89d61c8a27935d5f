//! Buffers lent by the event loop to the connection it drives: where reads land, and
//! spare buffers handed from one connection to the next.
//!
//! Optional reading: this is a speed trick, measured in BENCHMARKS.md. Without it, each
//! connection would allocate its own buffers and free them when it goes idle; what
//! [`connection`](super::connection) does with them would not change.
//!
//! A connection needs an input buffer, an output buffer and a head's buffers only
//! while it is in the middle of something: bytes read but not yet answered, an answer
//! not yet sent, a head waiting for its body. Most of the time (a keep-alive client
//! that sends a request, reads the answer and sends the next) it is in the middle of
//! nothing between two events. So instead of allocating its own buffers on every
//! request and freeing them when it goes idle, a connection borrows the loop's spare
//! ones when an event comes, and gives back whatever it leaves empty when it returns
//! ([`Connection::drive`](super::connection::Connection::drive)). Only a connection
//! left holding bytes keeps a buffer, and the loop makes a new spare the next time it
//! needs one. A connection between two requests, with nothing left to answer or send,
//! holds no buffer at all; a busy loop allocates nothing per request once its spares
//! have grown (`tests/allocations.rs` counts it).

use crate::http::Head;

/// How much one `read` call asks for. Reads land in the loop's scratch buffer first, so
/// this is also the most a connection's own buffer grows by in one step.
pub const READ_CHUNK: usize = 16 * 1024;

/// The largest spare buffer the loop keeps for the next connection: one grown larger
/// (a big upload, a long pipelined burst) is freed instead of kept.
pub const MAX_SPARE: usize = 64 * 1024;

/// What the event loop lends each connection it drives (see the module's note).
#[derive(Debug)]
pub struct Scratch {
    /// Where reads land: [`READ_CHUNK`] bytes, whose contents are copied into the
    /// connection's input buffer.
    pub(super) read: Vec<u8>,
    /// A spare input buffer.
    pub(super) input: Vec<u8>,
    /// A spare output buffer.
    pub(super) output: Vec<u8>,
    /// What a request being answered borrows.
    pub(super) spare: Spare,
}

/// The spares a request borrows while it is framed and answered, and hands back.
#[derive(Debug, Default)]
pub(super) struct Spare {
    /// A head, whose buffers the next head is framed into
    /// ([`framing::parse_head_into`](crate::http::framing::parse_head_into)). Kept
    /// whatever its size: `--max-header-bytes` already bounds it.
    pub(super) head: Head,
    /// A buffer the next echo is rendered into
    /// ([`exchange::respond_into`](crate::exchange::respond_into)).
    pub(super) body: Vec<u8>,
}

impl Scratch {
    /// A read buffer of [`READ_CHUNK`] bytes, and no spares yet.
    pub fn new() -> Scratch {
        Scratch::with_read_size(READ_CHUNK)
    }

    /// The same with reads of at most `len` bytes (tests use short reads).
    pub fn with_read_size(len: usize) -> Scratch {
        Scratch {
            read: vec![0; len],
            input: Vec::new(),
            output: Vec::new(),
            spare: Spare::default(),
        }
    }
}

impl Default for Scratch {
    fn default() -> Scratch {
        Scratch::new()
    }
}

/// Lends `slot`'s spare into `buf` if `buf` has no buffer of its own.
pub(super) fn lend(buf: &mut Vec<u8>, slot: &mut Vec<u8>) {
    if buf.capacity() == 0 {
        *buf = std::mem::take(slot);
    }
}

/// Keeps `buf` as the spare in `slot` if it is empty and not too large (and the slot
/// has none), else frees it.
pub(super) fn give_back(slot: &mut Vec<u8>, mut buf: Vec<u8>) {
    if slot.capacity() == 0 && buf.capacity() <= MAX_SPARE {
        buf.clear();
        *slot = buf;
    }
}
