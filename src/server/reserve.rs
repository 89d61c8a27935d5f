//! A spare file descriptor, held so that running out of them does not stall the loop.
//!
//! When a process reaches its descriptor limit (`RLIMIT_NOFILE`, `ulimit -n`), `accept`
//! fails with `EMFILE` (or `ENFILE` when the whole system is out) — and the connection
//! stays queued in the kernel's backlog. The listener is edge-triggered, so no new
//! event comes for it: the loop either retries at once (and spins, since nothing has
//! changed) or gives up until the next arrival (and the queue stalls, connections
//! waiting behind ones it cannot take).
//!
//! The cure libev and nginx use: keep one descriptor in reserve (`/dev/null`). On
//! `EMFILE`, close it, which frees exactly one slot; accept the waiting connection
//! into it; answer it `503 Service Unavailable` and close it; re-open the reserve. Then
//! go on until `accept` says `WouldBlock`: the backlog is emptied, each client hears
//! why, and the next event comes with the next arrival. When descriptors come back,
//! nothing is left queued, so nothing waits.
//!
//! With several workers the descriptor table is the process's, shared: another thread
//! can take the slot between our close and our accept. Then the reserve cannot be
//! re-opened, and the loop falls back to retrying after a short back-off (see
//! `event_loop`), re-opening the reserve when it can.

use std::fs::File;
use std::io;

/// Whether an `accept` error means the process (`EMFILE`) or the system (`ENFILE`) is
/// out of file descriptors.
pub fn out_of_descriptors(e: &io::Error) -> bool {
    matches!(e.raw_os_error(), Some(libc::EMFILE | libc::ENFILE))
}

/// One descriptor, held open only to be given up when `accept` needs it.
#[derive(Debug)]
pub struct Reserve {
    file: Option<File>,
}

impl Reserve {
    /// Opens the reserve. Failing here is a start-up error: the process is already out.
    pub fn open() -> io::Result<Reserve> {
        Ok(Reserve {
            file: Some(File::open("/dev/null")?),
        })
    }

    /// Closes the reserve, freeing one descriptor. `false` if it was not held.
    pub fn release(&mut self) -> bool {
        self.file.take().is_some()
    }

    /// Re-opens the reserve if it is not held. `false` if that failed (still out).
    pub fn restore(&mut self) -> bool {
        if self.file.is_none() {
            self.file = File::open("/dev/null").ok();
        }
        self.file.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn release_and_restore_round_trip() {
        let mut reserve = Reserve::open().unwrap();
        assert!(reserve.release());
        assert!(!reserve.release(), "nothing left to release");
        assert!(reserve.restore());
        assert!(reserve.release());
    }

    #[test]
    fn recognises_emfile_and_enfile_only() {
        assert!(out_of_descriptors(&io::Error::from_raw_os_error(
            libc::EMFILE
        )));
        assert!(out_of_descriptors(&io::Error::from_raw_os_error(
            libc::ENFILE
        )));
        assert!(!out_of_descriptors(&io::Error::from_raw_os_error(
            libc::ECONNABORTED
        )));
    }
}
