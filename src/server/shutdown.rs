//! Graceful shutdown: stop taking connections, finish what is in flight, then exit.
//!
//! A [`ShutdownHandle`] is how anything outside the event loops asks them to stop: the
//! signal thread started by [`drain_on_signals`] on SIGINT (Ctrl-C) or SIGTERM (what
//! `kill`, systemd and container runtimes send), or a test or embedding program. It
//! sets one flag and wakes every worker through its `mio::Waker`, so a loop asleep in
//! `poll` sees it at once. Each loop then drains ([`Drain`]):
//!
//! 1. it closes its listeners first, so the port is free for a new server at once;
//! 2. it closes idle keep-alive connections, which owe nobody an answer;
//! 3. the others finish the request they are in — a head or a body still arriving —
//!    and the pipelined requests already buffered, and their last response says
//!    `Connection: close` (RFC 9112 §9.6), so a client knows not to send more;
//! 4. it returns once no connection is left, or when `--shutdown-grace` runs out,
//!    saying at warn which connections it cut off.
//!
//! A second signal exits at once: whoever sends it has decided not to wait.
//!
//! Signal handlers may do almost nothing safely (no allocation, no locks), so the
//! handler itself only records the signal: signal-hook's `Signals` runs it and hands
//! the signal to an ordinary thread, which does the rest.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use log::{error, info, warn};
use mio::Waker;
use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

use crate::error::Error;

/// A handle that stops a running [`Server`](super::Server) from another thread.
#[derive(Clone, Debug)]
pub struct ShutdownHandle {
    requested: Arc<AtomicBool>,
    wakers: Arc<Vec<Waker>>,
}

impl ShutdownHandle {
    /// A handle that wakes these loops.
    pub(crate) fn new(wakers: Vec<Waker>) -> ShutdownHandle {
        ShutdownHandle {
            requested: Arc::new(AtomicBool::new(false)),
            wakers: Arc::new(wakers),
        }
    }

    /// Asks every worker to drain: close its listeners, finish the requests in flight,
    /// and return from `run` (see the module's documentation).
    pub fn shutdown(&self) {
        self.requested.store(true, Ordering::SeqCst);
        for waker in self.wakers.iter() {
            if let Err(e) = waker.wake() {
                error!("could not wake an event loop for shutdown: {e}");
            }
        }
    }

    /// Whether a shutdown has been asked for.
    pub fn requested(&self) -> bool {
        self.requested.load(Ordering::SeqCst)
    }
}

/// Drains the server on the first SIGINT or SIGTERM, and exits at once on the second
/// (with status 128 + the signal's number, as a shell reports a process a signal
/// killed). Call it before serving, so a signal that comes early is not lost.
pub fn drain_on_signals(handle: ShutdownHandle) -> Result<(), Error> {
    let mut signals = Signals::new([SIGINT, SIGTERM])?;
    std::thread::Builder::new()
        .name("hostecho-signals".to_owned())
        .spawn(move || {
            let mut received = 0;
            for signal in signals.forever() {
                let name = if signal == SIGINT {
                    "SIGINT"
                } else {
                    "SIGTERM"
                };
                received += 1;
                if received == 1 {
                    info!(
                        "{name} received: finishing the requests in flight, then exiting; \
                         send it again to exit at once"
                    );
                    handle.shutdown();
                } else {
                    warn!("second {name}: exiting at once, without waiting for requests in flight");
                    // `exit` runs no destructor: write the log out first.
                    log::logger().flush();
                    std::process::exit(128 + signal);
                }
            }
        })?;
    Ok(())
}

/// One loop's drain in progress: when it started, when it gives up, and what it did.
#[derive(Debug)]
pub struct Drain {
    started: Instant,
    /// When `--shutdown-grace` runs out.
    pub deadline: Instant,
    grace: Duration,
    /// Idle connections closed as the drain began.
    pub closed_idle: usize,
    /// Connections that had something in flight as the drain began.
    pub in_flight: usize,
    /// Of those, how many have finished and closed.
    pub finished: usize,
    /// Responses sent (or queued) since the drain began, on connections now closed.
    pub answered: usize,
}

impl Drain {
    /// A drain starting `now`, allowed `grace` to finish.
    pub fn start(now: Instant, grace: Duration) -> Drain {
        Drain {
            started: now,
            deadline: now + grace,
            grace,
            closed_idle: 0,
            in_flight: 0,
            finished: 0,
            answered: 0,
        }
    }

    /// Logs, at info, what was drained. `worker` names the loop when there are several.
    pub fn log_done(&self, worker: Option<usize>, now: Instant) {
        info!(
            "{}drained in {:.3} s: {} idle connection(s) closed at once, {} finished, \
             {} request(s) answered during the drain",
            worker_prefix(worker),
            now.duration_since(self.started).as_secs_f64(),
            self.closed_idle,
            self.finished,
            self.answered
        );
    }

    /// Logs, at warn, what the grace period ran out on: each connection still open and
    /// what it was doing.
    pub fn log_cut_off(&self, worker: Option<usize>, open: &[String], answered_open: usize) {
        warn!(
            "{}--shutdown-grace of {} s ran out: cutting off {} connection(s) ({}); \
             {} finished, {} request(s) answered during the drain",
            worker_prefix(worker),
            self.grace.as_secs_f64(),
            open.len(),
            open.join(", "),
            self.finished,
            self.answered + answered_open
        );
    }
}

/// `worker 2: ` when workers are named, nothing otherwise.
fn worker_prefix(worker: Option<usize>) -> String {
    worker.map_or_else(String::new, |w| format!("worker {w}: "))
}
