//! The event loop: one `mio::Poll`, its listeners, its connections and its timers.
//!
//! One thread runs one loop, and the loop owns everything it touches — sockets,
//! buffers, deadlines — so nothing is locked. What it borrows from outside is what
//! every loop of the server shares (`Shared`): the read-only configuration and
//! [`HostPolicy`], and the atomic count of open connections that `--max-connections`
//! limits; and the [`ShutdownHandle`], whose flag it checks each turn.
//!
//! Each turn of the loop:
//!
//! 1. asks the timers how long it may sleep, and sleeps in `poll` at most that long;
//! 2. for each event: accepts on a listener until `WouldBlock`, or drives a connection
//!    (which reads and writes until `WouldBlock`, or, for reads, a short read: mio is
//!    edge-triggered);
//! 3. handles every connection whose deadline has passed;
//! 4. when a shutdown was asked for, drains: stops accepting, closes idle connections
//!    and lets the others finish (see [`shutdown`](super::shutdown));
//! 5. before sleeping again, writes out the turn's log lines in one `write` (see
//!    [`log_output`](super::log_output)).
//!
//! `--workers N` runs N such loops, one per thread, each with its own listeners bound
//! to the same addresses (`SO_REUSEPORT`, see [`super::listeners`]); they share the
//! read-only settings, one count of open connections and the shutdown flag, nothing
//! else.
//!
//! A connection asks for WRITABLE only while it has bytes it could not write. mio is
//! edge-triggered (epoll with `EPOLLET`), so asking for it all the time would *not*
//! spin: a socket that stays writable is reported once, when it becomes so. The cost
//! is elsewhere: an extra event per response for a socket nobody needs to write to,
//! and with it an extra turn of the loop. Registering WRITABLE only while output waits
//! costs an `epoll_ctl` call each time it is switched on or off instead; for an echo
//! server, whose answers almost always fit in the socket's send buffer at once, the
//! switch is rare and the saving in events is real. (With level-triggered polling —
//! `poll(2)`, `select(2)`, epoll without `EPOLLET` — always asking for WRITABLE *is* a
//! busy loop: the call returns at once, every time.)

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime};

use log::{debug, info, warn};
use mio::{Events, Interest, Poll, Registry, Token, Waker};
use slab::Slab;

use crate::config::Config;
use crate::error::Error;
use crate::host::HostPolicy;
use crate::server::connection::{Connection, Context, Next};
use crate::server::listeners::{self, Listener, Refusal};
use crate::server::own_addresses;
use crate::server::reserve::{self, Reserve};
use crate::server::scratch::Scratch;
use crate::server::shutdown::{Drain, ShutdownHandle};
use crate::server::startup;
use crate::server::stream::{interrupted, would_block};
use crate::server::timers::Timers;

/// The token of the waker that interrupts `poll` for shutdown.
const WAKER: Token = Token(usize::MAX);

/// Listeners take tokens counting down from just below [`WAKER`]; connections take
/// their slab keys, counting up from 0. The two ranges cannot meet.
const FIRST_LISTENER: usize = usize::MAX - 1;

/// How long to wait before accepting again when out of descriptors and without a
/// reserve to fall back on (see [`reserve`]): long enough not to spin, short enough
/// that a queued client hardly notices.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// The token of listener number `index`.
fn listener_token(index: usize) -> Token {
    Token(FIRST_LISTENER - index)
}

/// Which listener a token names, if it names one.
fn listener_index(token: Token, listeners: usize) -> Option<usize> {
    let index = FIRST_LISTENER.checked_sub(token.0)?;
    (index < listeners).then_some(index)
}

/// One event loop's own resources: its poll, its listeners, its spare descriptor.
#[derive(Debug)]
struct Worker {
    /// 1, 2, …: named in the log when there are several.
    id: usize,
    poll: Poll,
    listeners: Vec<Listener>,
    reserve: Reserve,
}

/// What the workers of one server share: read-only settings, and the count of open
/// connections that `--max-connections` limits.
#[derive(Debug)]
struct Shared {
    config: Config,
    policy: HostPolicy,
    open: AtomicUsize,
}

/// A bound server, ready to [`run`](Server::run).
#[derive(Debug)]
pub struct Server {
    shared: Shared,
    workers: Vec<Worker>,
    addrs: Vec<SocketAddr>,
    shutdown: ShutdownHandle,
}

impl Server {
    /// Compiles the Host policy and binds every address in the configuration, once per
    /// worker.
    ///
    /// Binding happens here, not in `run`, so that the caller learns the real ports
    /// (port 0 picks a free one) and sees start-up errors before anything is served.
    pub fn bind(config: Config) -> Result<Server, Error> {
        // `@self` stands for the addresses bound, resolved once, now (the port does
        // not matter, so port 0 need not be resolved first).
        let own = if config.policy.uses_own_addresses() {
            own_addresses::resolve(&config.bind)?
        } else {
            Vec::new()
        };
        let policy = HostPolicy::with_own_addresses(config.policy.clone(), own)?;
        let count = config.workers.max(1);
        let reuse_port = count > 1;
        let mut addrs = config.bind.clone();
        let mut workers = Vec::with_capacity(count);
        let mut wakers = Vec::with_capacity(count);
        for id in 1..=count {
            let poll = Poll::new()?;
            let mut bound = Vec::with_capacity(addrs.len());
            for (index, addr) in addrs.iter_mut().enumerate() {
                let mut listener = listeners::bind(*addr, reuse_port)?;
                // The first worker resolves port 0; the others bind the port it got.
                *addr = listener.addr;
                poll.registry().register(
                    &mut listener.socket,
                    listener_token(index),
                    Interest::READABLE,
                )?;
                bound.push(listener);
            }
            wakers.push(Waker::new(poll.registry(), WAKER)?);
            workers.push(Worker {
                id,
                poll,
                listeners: bound,
                reserve: Reserve::open()?,
            });
        }
        let server = Server {
            shared: Shared {
                config,
                policy,
                open: AtomicUsize::new(0),
            },
            workers,
            addrs,
            shutdown: ShutdownHandle::new(wakers),
        };
        server.explain();
        Ok(server)
    }

    /// The addresses really bound, in the order they were given.
    pub fn local_addrs(&self) -> Vec<SocketAddr> {
        self.addrs.clone()
    }

    /// A handle to stop [`run`](Server::run) from another thread: a graceful drain.
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        self.shutdown.clone()
    }

    /// Serves until shut down and drained. Errors from one client never end it; only a
    /// failing `poll` does (and then the other workers are drained too).
    pub fn run(self) -> Result<(), Error> {
        let Server {
            shared,
            workers,
            shutdown,
            ..
        } = self;
        let named = workers.len() > 1;
        if !named {
            return workers
                .into_iter()
                .try_for_each(|worker| worker.run(&shared, &shutdown, None));
        }
        std::thread::scope(|scope| {
            let threads: Vec<_> = workers
                .into_iter()
                .map(|worker| {
                    let (shared, shutdown) = (&shared, &shutdown);
                    std::thread::Builder::new()
                        .name(format!("hostecho-w{}", worker.id))
                        .spawn_scoped(scope, move || {
                            let id = worker.id;
                            let result = worker.run(shared, shutdown, Some(id));
                            if result.is_err() {
                                // One loop failing stops the server; the others drain.
                                shutdown.shutdown();
                            }
                            result
                        })
                })
                .collect::<Result<_, _>>()?;
            let mut outcome = Ok(());
            for thread in threads {
                let result = thread
                    .join()
                    .unwrap_or_else(|_| Err(Error::Io(io::Error::other("a worker panicked"))));
                if outcome.is_ok() {
                    outcome = result;
                }
            }
            outcome
        })
    }

    /// Logs, at start, what the bind and the Host policy mean for who can connect.
    fn explain(&self) {
        for (level, note) in startup::startup_notes(&self.addrs, &self.shared.policy) {
            log::log!(level, "{note}");
        }
        if let Some(path) = &self.shared.config.health_path {
            log::info!(
                "health path: GET and HEAD of exactly {} are answered 200 \"ok\" without a Host check",
                path.as_str()
            );
        }
        // Seen now, before `listening on`, not after the loop's first turn.
        log::logger().flush();
    }
}

/// A loop's connections, their deadlines, and its drain once one begins.
struct Connections<'s> {
    shared: &'s Shared,
    slab: Slab<Connection>,
    timers: Timers,
    drain: Option<Drain>,
    /// Connections closed since the loop last looked: slots, and descriptors, freed.
    closed: usize,
    /// How many were turned away in the current run of refusals (0: none).
    turned_away: usize,
}

impl Worker {
    /// The event loop itself.
    fn run(
        mut self,
        shared: &Shared,
        shutdown: &ShutdownHandle,
        name: Option<usize>,
    ) -> Result<(), Error> {
        let config = &shared.config;
        let mut events = Events::with_capacity(1024);
        let mut conns = Connections {
            shared,
            slab: Slab::new(),
            timers: Timers::new(),
            drain: None,
            closed: 0,
            turned_away: 0,
        };
        // Where reads land, and the spare buffers each connection borrows while it
        // works: see `scratch`.
        let mut scratch = Scratch::new();
        let mut date = DateCache::default();
        // Set while out of descriptors with no reserve: when to try `accept` again.
        let mut accept_retry: Option<Instant> = None;

        loop {
            let now = Instant::now();
            let timeout = [
                conns.timers.poll_timeout(now),
                accept_retry.map(|at| at.saturating_duration_since(now)),
                conns
                    .drain
                    .as_ref()
                    .map(|d| d.deadline.saturating_duration_since(now)),
            ]
            .into_iter()
            .flatten()
            .min();
            // The log lines of the last turn go out in one `write`, before sleeping (see
            // `log_output`).
            log::logger().flush();
            if let Err(e) = self.poll.poll(&mut events, timeout) {
                // A signal interrupted the wait: nothing happened, wait again.
                if interrupted(&e) {
                    continue;
                }
                return Err(e.into());
            }
            let now = Instant::now();
            let ctx = Context {
                worker: name,
                ..Context::new(config, &shared.policy, now, date.get())
            };
            let registry = self.poll.registry();

            for event in events.iter() {
                let token = event.token();
                if token == WAKER {
                    continue; // the shutdown flag is checked below
                }
                if let Some(index) = listener_index(token, self.listeners.len()) {
                    if accept_all(
                        &self.listeners[index],
                        &mut self.reserve,
                        registry,
                        &mut conns,
                        &ctx,
                    ) == Accepted::Starved
                    {
                        accept_retry = Some(now + ACCEPT_BACKOFF);
                    }
                    continue;
                }
                let key = token.0;
                let Some(conn) = conns.slab.get_mut(key) else {
                    // A stale event for a connection closed earlier in this batch.
                    continue;
                };
                let closed = event.is_read_closed() || event.is_error();
                let next = conn.drive_socket(&ctx, &mut scratch, closed);
                conns.settle(key, next, registry, &ctx);
            }

            while let Some(key) = conns.timers.pop_expired(now) {
                if let Some(conn) = conns.slab.get_mut(key) {
                    let next = conn.on_timeout(&ctx);
                    conns.settle(key, next, registry, &ctx);
                }
            }

            // Out of descriptors earlier, with connections perhaps still queued: try
            // again once some have been freed, or after the back-off. No event will
            // come for connections already queued (edge-triggered).
            if accept_retry.is_some_and(|at| conns.closed > 0 || at <= now) {
                accept_retry = None;
                for listener in &self.listeners {
                    if accept_all(listener, &mut self.reserve, registry, &mut conns, &ctx)
                        == Accepted::Starved
                    {
                        accept_retry = Some(now + ACCEPT_BACKOFF);
                    }
                }
            }
            conns.closed = 0;

            if conns.drain.is_none() && shutdown.requested() {
                accept_retry = None;
                begin_drain(&mut self.listeners, &mut conns, registry, now);
            }
            if let Some(drain) = &conns.drain {
                if conns.slab.is_empty() {
                    drain.log_done(name, now);
                    return Ok(());
                }
                if now >= drain.deadline {
                    let open: Vec<String> = conns
                        .slab
                        .iter()
                        .map(|(_, c)| format!("{} {}", c.peer(), c.doing()))
                        .collect();
                    let answered = conns
                        .slab
                        .iter()
                        .map(|(_, c)| c.answered_while_draining())
                        .sum();
                    drain.log_cut_off(name, &open, answered);
                    let left = conns.slab.len();
                    shared.open.fetch_sub(left, Ordering::SeqCst);
                    return Ok(());
                }
            }
        }
    }
}

/// Stops accepting (the listeners close, so the port is free at once), closes idle
/// connections, and lets the others finish.
fn begin_drain(
    listeners: &mut Vec<Listener>,
    conns: &mut Connections<'_>,
    registry: &Registry,
    now: Instant,
) {
    for mut listener in std::mem::take(listeners) {
        if let Err(e) = registry.deregister(&mut listener.socket) {
            debug!("deregister listener {}: {e}", listener.addr);
        }
    }
    let mut drain = Drain::start(now, conns.shared.config.shutdown_grace);
    let keys: Vec<usize> = conns.slab.iter().map(|(key, _)| key).collect();
    for key in keys {
        let idle = conns.slab.get_mut(key).is_some_and(|c| c.begin_drain());
        if idle {
            conns.close(key, registry);
            drain.closed_idle += 1;
        } else {
            drain.in_flight += 1;
        }
    }
    info!(
        "shutting down: listeners closed, {} idle connection(s) closed, {} to finish \
             within {} s",
        drain.closed_idle,
        drain.in_flight,
        conns.shared.config.shutdown_grace.as_secs_f64()
    );
    conns.drain = Some(drain);
}

impl Connections<'_> {
    /// Acts on what a connection said it waits for: adjust its interest and its
    /// deadline, or close it.
    fn settle(&mut self, key: usize, next: Next, registry: &Registry, ctx: &Context<'_>) {
        let Some(conn) = self.slab.get_mut(key) else {
            return;
        };
        let wants_write = match next {
            Next::Read => false,
            Next::Write => true,
            Next::Close => {
                self.close(key, registry);
                return;
            }
        };
        if wants_write != conn.wants_write() {
            let interest = if wants_write {
                Interest::READABLE | Interest::WRITABLE
            } else {
                Interest::READABLE
            };
            if let Err(e) = registry.reregister(conn.stream_mut(), Token(key), interest) {
                warn!("could not change interest for {}: {e}", conn.peer());
                self.close(key, registry);
                return;
            }
            conn.set_wants_write(wants_write);
        }
        self.timers.set(key, conn.deadline(ctx));
    }

    /// Closes a connection: its slot, its deadline, its place in the count.
    fn close(&mut self, key: usize, registry: &Registry) {
        let Some(mut conn) = self.slab.try_remove(key) else {
            return;
        };
        self.timers.clear(key);
        self.closed += 1;
        self.shared.open.fetch_sub(1, Ordering::SeqCst);
        if let Some(drain) = &mut self.drain {
            drain.finished += 1;
            drain.answered += conn.answered_while_draining();
        }
        // Deregistering is tidy but not required: closing the socket removes it from
        // the epoll set. An error here changes nothing, so it is only logged.
        if let Err(e) = registry.deregister(conn.stream_mut()) {
            debug!("deregister {}: {e}", conn.peer());
        }
        debug!("{} closed", conn.peer());
    }

    /// Counts a connection turned away; the first of a run is logged at warn.
    fn turned_away(&mut self, peer: SocketAddr, refusal: Refusal) {
        if self.turned_away == 0 {
            match refusal {
                Refusal::AtLimit(max) => warn!(
                    "{max} connections open (--max-connections): answering new ones 503 until some close"
                ),
                Refusal::NoDescriptors => warn!(
                    "out of file descriptors (ulimit -n): answering new connections 503 until some close"
                ),
            }
        }
        self.turned_away += 1;
        debug!("{peer} turned away with 503: {refusal:?}");
    }

    /// A connection was taken in normally: a run of refusals, if any, is over.
    fn accepting_again(&mut self) {
        if self.turned_away > 0 {
            info!(
                "accepting connections again, after answering {} with 503",
                self.turned_away
            );
            self.turned_away = 0;
        }
    }
}

/// How an [`accept_all`] ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Accepted {
    /// The backlog is empty (`WouldBlock`): the next arrival brings a new event.
    Emptied,
    /// Out of descriptors, without a reserve: connections may still be queued, and
    /// no event will come for them. Try again later.
    Starved,
}

/// Accepts every pending connection on `listener` (edge-triggered: until `WouldBlock`).
fn accept_all(
    listener: &Listener,
    reserve: &mut Reserve,
    registry: &Registry,
    conns: &mut Connections<'_>,
    ctx: &Context<'_>,
) -> Accepted {
    let max = conns.shared.config.max_connections;
    loop {
        let (mut stream, peer) = match listener.socket.accept() {
            Ok(accepted) => accepted,
            Err(e) if would_block(&e) => return Accepted::Emptied,
            Err(e) if interrupted(&e) => continue,
            // The client gave up between SYN and accept: not our problem, keep going.
            Err(e) if e.kind() == io::ErrorKind::ConnectionAborted => continue,
            Err(e) if reserve::out_of_descriptors(&e) => {
                // Free the spare descriptor, take the waiting connection into it, tell
                // it why it cannot be served, and take the spare back (see `reserve`).
                if !reserve.release() {
                    if !reserve.restore() {
                        debug!("accept on {}: {e}; retrying shortly", listener.addr);
                        return Accepted::Starved;
                    }
                    continue;
                }
                let accepted = listener.socket.accept();
                let outcome = match accepted {
                    Ok((stream, peer)) => {
                        conns.turned_away(peer, Refusal::NoDescriptors);
                        listeners::turn_away(stream, Refusal::NoDescriptors, ctx.date);
                        None
                    }
                    // Linux takes a descriptor before it looks at the queue, so an
                    // empty backlog says EMFILE, not WouldBlock, until one is free:
                    // only this accept, with the spare freed, can tell them apart.
                    Err(e) if would_block(&e) => Some(Accepted::Emptied),
                    Err(e) if interrupted(&e) => None,
                    Err(e) if e.kind() == io::ErrorKind::ConnectionAborted => None,
                    // Another thread took the freed slot first (workers share the
                    // process's descriptor table), or something else failed.
                    Err(_) => Some(Accepted::Starved),
                };
                if !reserve.restore() {
                    warn!("out of file descriptors: the spare one could not be re-opened");
                }
                match outcome {
                    Some(done) => return done,
                    None => continue,
                }
            }
            Err(e) => {
                // Something else (ENOBUFS, ENOMEM): the connection may stay queued, so
                // come back after the back-off rather than wait for a new arrival.
                warn!("accept on {} failed: {e}", listener.addr);
                return Accepted::Starved;
            }
        };
        if conns.shared.open.fetch_add(1, Ordering::SeqCst) >= max {
            conns.shared.open.fetch_sub(1, Ordering::SeqCst);
            conns.turned_away(peer, Refusal::AtLimit(max));
            listeners::turn_away(stream, Refusal::AtLimit(max), ctx.date);
            continue;
        }
        let local = stream.local_addr().unwrap_or(listener.addr);
        let entry = conns.slab.vacant_entry();
        let key = entry.key();
        if let Err(e) = registry.register(&mut stream, Token(key), Interest::READABLE) {
            conns.shared.open.fetch_sub(1, Ordering::SeqCst);
            warn!("could not register connection from {peer}: {e}");
            continue;
        }
        debug!("{peer} connected to {local}");
        let conn = entry.insert(Connection::new(stream, peer, local, ctx.now));
        conns.timers.set(key, conn.deadline(ctx));
        conns.accepting_again();
    }
}

/// The `Date` header value, formatted once per second rather than once per response.
#[derive(Debug, Default)]
struct DateCache {
    second: u64,
    text: String,
}

impl DateCache {
    /// The current IMF-fixdate (RFC 9110 §5.6.7).
    fn get(&mut self) -> &str {
        let now = SystemTime::now();
        let second = now
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        if second != self.second || self.text.is_empty() {
            self.second = second;
            self.text = httpdate::fmt_http_date(now);
        }
        &self.text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listener_and_connection_tokens_do_not_overlap() {
        assert_eq!(listener_index(listener_token(0), 2), Some(0));
        assert_eq!(listener_index(listener_token(1), 2), Some(1));
        assert_eq!(listener_index(listener_token(2), 2), None);
        assert_eq!(listener_index(Token(0), 2), None);
        assert_eq!(listener_index(WAKER, 2), None);
    }
}
