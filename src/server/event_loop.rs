//! The event loop: one `mio::Poll`, its listeners, its connections and its timers.
//!
//! One thread runs one loop, and the loop owns everything it touches — sockets,
//! buffers, deadlines — so nothing is shared or locked. The only thing the loop borrows
//! from outside is the [`HostPolicy`], which is read-only.
//!
//! Each turn of the loop:
//!
//! 1. asks the timers how long it may sleep, and sleeps in `poll` at most that long;
//! 2. for each event: accepts on a listener until `WouldBlock`, or drives a connection
//!    (which reads and writes until `WouldBlock`: mio is edge-triggered);
//! 3. handles every connection whose deadline has passed.
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
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Instant, SystemTime};

use log::{debug, error, info, warn};
use mio::net::TcpListener;
use mio::{Events, Interest, Poll, Registry, Token, Waker};
use slab::Slab;
use socket2::{Domain, Protocol, Socket, Type};

use crate::config::Config;
use crate::error::Error;
use crate::host::HostPolicy;
use crate::server::connection::{self, Connection, Context, Next};
use crate::server::timers::Timers;

/// The token of the waker that interrupts `poll` for shutdown.
const WAKER: Token = Token(usize::MAX);

/// Listeners take tokens counting down from just below [`WAKER`]; connections take
/// their slab keys, counting up from 0. The two ranges cannot meet.
const FIRST_LISTENER: usize = usize::MAX - 1;

/// How many pending connections the kernel may queue for `accept` on each listener.
const BACKLOG: i32 = 1024;

/// The token of listener number `index`.
fn listener_token(index: usize) -> Token {
    Token(FIRST_LISTENER - index)
}

/// Which listener a token names, if it names one.
fn listener_index(token: Token, listeners: usize) -> Option<usize> {
    let index = FIRST_LISTENER.checked_sub(token.0)?;
    (index < listeners).then_some(index)
}

/// A bound listening socket and the address it really got (port 0 resolved).
#[derive(Debug)]
struct Listener {
    socket: TcpListener,
    addr: SocketAddr,
}

/// A handle that stops a running [`Server`] from another thread.
#[derive(Clone, Debug)]
pub struct ShutdownHandle {
    flag: Arc<AtomicBool>,
    waker: Arc<Waker>,
}

impl ShutdownHandle {
    /// Asks the loop to stop: it closes its listeners and connections and `run` returns.
    pub fn shutdown(&self) {
        self.flag.store(true, Ordering::SeqCst);
        if let Err(e) = self.waker.wake() {
            error!("could not wake the event loop for shutdown: {e}");
        }
    }
}

/// A bound server, ready to [`run`](Server::run).
#[derive(Debug)]
pub struct Server {
    config: Config,
    policy: HostPolicy,
    poll: Poll,
    listeners: Vec<Listener>,
    shutdown: ShutdownHandle,
}

impl Server {
    /// Compiles the Host policy and binds every address in the configuration.
    ///
    /// Binding happens here, not in `run`, so that the caller learns the real ports
    /// (port 0 picks a free one) and sees start-up errors before anything is served.
    pub fn bind(config: Config) -> Result<Server, Error> {
        let policy = HostPolicy::new(config.policy.clone())?;
        let poll = Poll::new()?;
        let mut listeners = Vec::with_capacity(config.bind.len());
        for (index, &addr) in config.bind.iter().enumerate() {
            let mut socket = bind_listener(addr)?;
            let addr = socket.local_addr()?;
            poll.registry()
                .register(&mut socket, listener_token(index), Interest::READABLE)?;
            listeners.push(Listener { socket, addr });
        }
        let waker = Arc::new(Waker::new(poll.registry(), WAKER)?);
        let shutdown = ShutdownHandle {
            flag: Arc::new(AtomicBool::new(false)),
            waker,
        };
        let server = Server {
            config,
            policy,
            poll,
            listeners,
            shutdown,
        };
        server.explain();
        Ok(server)
    }

    /// The addresses really bound, in the order they were given.
    pub fn local_addrs(&self) -> Vec<SocketAddr> {
        self.listeners.iter().map(|l| l.addr).collect()
    }

    /// A handle to stop [`run`](Server::run) from another thread.
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        self.shutdown.clone()
    }

    /// Serves until shut down. Errors from one client never end it; only a failing
    /// `poll` does.
    pub fn run(self) -> Result<(), Error> {
        let Server {
            config,
            policy,
            mut poll,
            listeners,
            shutdown,
        } = self;
        let mut events = Events::with_capacity(1024);
        let mut connections: Slab<Connection> = Slab::new();
        let mut timers = Timers::new();
        let mut scratch = vec![0u8; connection::READ_CHUNK];
        let mut date = DateCache::default();

        loop {
            let timeout = timers.poll_timeout(Instant::now());
            if let Err(e) = poll.poll(&mut events, timeout) {
                // A signal interrupted the wait: nothing happened, wait again.
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(e.into());
            }
            let now = Instant::now();
            let ctx = Context {
                policy: &policy,
                limits: config.limits,
                header_timeout: config.header_timeout,
                idle_timeout: config.idle_timeout,
                now,
                date: date.get(),
            };

            for event in events.iter() {
                let token = event.token();
                if token == WAKER {
                    continue; // the shutdown flag is checked below
                }
                if let Some(index) = listener_index(token, listeners.len()) {
                    accept_all(
                        &listeners[index],
                        poll.registry(),
                        &mut connections,
                        &mut timers,
                        &ctx,
                    );
                    continue;
                }
                let key = token.0;
                let Some(conn) = connections.get_mut(key) else {
                    // A stale event for a connection closed earlier in this batch.
                    continue;
                };
                let next = conn.drive(&ctx, &mut scratch);
                settle(
                    key,
                    next,
                    poll.registry(),
                    &mut connections,
                    &mut timers,
                    &ctx,
                );
            }

            while let Some(key) = timers.pop_expired(now) {
                if let Some(conn) = connections.get_mut(key) {
                    let next = conn.on_timeout(&ctx);
                    settle(
                        key,
                        next,
                        poll.registry(),
                        &mut connections,
                        &mut timers,
                        &ctx,
                    );
                }
            }

            if shutdown.flag.load(Ordering::SeqCst) {
                info!("shutting down: closing {} connection(s)", connections.len());
                return Ok(());
            }
        }
    }

    /// Logs, at start, what the bind and the Host policy mean for who can connect.
    fn explain(&self) {
        for (level, note) in startup_notes(&self.local_addrs(), &self.policy) {
            log::log!(level, "{note}");
        }
    }
}

/// What the bind addresses and the Host policy mean for who can connect, as log lines.
/// Kept apart from the logging so it can be tested without binding 0.0.0.0.
pub fn startup_notes(addrs: &[SocketAddr], policy: &HostPolicy) -> Vec<(log::Level, String)> {
    use log::Level::{Info, Warn};
    let mut notes = Vec::new();
    for addr in addrs {
        let ip = addr.ip();
        let note = if ip.is_loopback() {
            format!("{addr} is loopback only: only this machine can connect")
        } else if ip.is_unspecified() {
            format!(
                "{addr} listens on all interfaces: other machines can connect, and their Host must be allowed"
            )
        } else {
            format!(
                "{addr} listens on one interface: machines that reach it can connect, and their Host must be allowed"
            )
        };
        notes.push((Info, note));
    }
    let patterns = policy.patterns().join(", ");
    if policy.uses_defaults() {
        notes.push((
            Info,
            format!("no --allowed-hosts given: allowing the defaults {patterns}"),
        ));
        if addrs.iter().any(|a| !a.ip().is_loopback()) {
            // Django users meet this as "Invalid HTTP_HOST header: 'XXX.XXX.XXX.XXX:8000'"
            // right after deploying: the server is reachable, the name is not allowed.
            notes.push((
                Warn,
                "listening beyond loopback with the default allowed hosts: clients that reach this machine \
                 by its address or name will get 400 \"Invalid HTTP_HOST header\" until it is allowed; \
                 add it with --allowed-hosts, e.g. --allowed-hosts 192.0.2.10,myhost.example"
                    .to_owned(),
            ));
        }
    } else {
        notes.push((Info, format!("allowed hosts: {patterns}")));
    }
    if policy.allows_any() {
        notes.push((
            Warn,
            "--allowed-hosts contains '*': any syntactically valid Host is accepted, so Host validation is off"
                .to_owned(),
        ));
    }
    let options = policy.options();
    if options.use_x_forwarded_host && options.trusted_proxies.is_empty() {
        notes.push((
            Info,
            "--use-x-forwarded-host without --trusted-proxies: X-Forwarded-Host is honoured from \
             every client, so only use it where the proxy is the only way in"
                .to_owned(),
        ));
    }
    if !options.use_x_forwarded_host && !options.trusted_proxies.is_empty() {
        notes.push((
            Warn,
            "--trusted-proxies has no effect without --use-x-forwarded-host: forwarding headers \
             are ignored from every peer"
                .to_owned(),
        ));
    }
    if let Some(&first) = addrs.first() {
        notes.push((
            Info,
            format!(
                "try: curl -v '{}/index.html?name=jack&age=18'",
                try_url(first)
            ),
        ));
    }
    notes
}

/// The URL a learner can paste: `localhost` for loopback and wildcard IPv4 binds (the
/// name the default policy allows), the literal address otherwise.
fn try_url(addr: SocketAddr) -> String {
    let ip = addr.ip();
    if ip.is_unspecified() || ip == std::net::Ipv4Addr::LOCALHOST {
        format!("http://localhost:{}", addr.port())
    } else {
        format!("http://{addr}")
    }
}

/// Creates, binds and starts listening on one address.
///
/// socket2 rather than `TcpListener::bind`, to say what the OS should do:
/// `SO_REUSEADDR` so a restarted server can bind while old connections sit in
/// TIME_WAIT, and `IPV6_V6ONLY` so `[::]` and `0.0.0.0` can be bound side by side.
fn bind_listener(addr: SocketAddr) -> Result<TcpListener, Error> {
    let bind_err = |source| Error::Bind { addr, source };
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))
        .map_err(bind_err)?;
    socket.set_reuse_address(true).map_err(bind_err)?;
    if addr.is_ipv6() {
        socket.set_only_v6(true).map_err(bind_err)?;
    }
    socket.bind(&addr.into()).map_err(bind_err)?;
    socket.listen(BACKLOG).map_err(bind_err)?;
    socket.set_nonblocking(true).map_err(bind_err)?;
    Ok(TcpListener::from_std(socket.into()))
}

/// Accepts every pending connection on `listener` (edge-triggered: until `WouldBlock`).
fn accept_all(
    listener: &Listener,
    registry: &Registry,
    connections: &mut Slab<Connection>,
    timers: &mut Timers,
    ctx: &Context<'_>,
) {
    loop {
        let (mut stream, peer) = match listener.socket.accept() {
            Ok(accepted) => accepted,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            // The client gave up between SYN and accept: not our problem, keep going.
            Err(e) if e.kind() == io::ErrorKind::ConnectionAborted => continue,
            Err(e) => {
                // EMFILE/ENFILE and the like: the connection stays queued in the kernel
                // and will be tried again on the next event.
                warn!("accept on {} failed: {e}", listener.addr);
                return;
            }
        };
        let local = stream.local_addr().unwrap_or(listener.addr);
        let entry = connections.vacant_entry();
        let key = entry.key();
        if let Err(e) = registry.register(&mut stream, Token(key), Interest::READABLE) {
            warn!("could not register connection from {peer}: {e}");
            continue;
        }
        debug!("{peer} connected to {local}");
        let conn = entry.insert(Connection::new(stream, peer, local, ctx.now));
        timers.set(key, conn.deadline(ctx));
    }
}

/// Acts on what a connection said it waits for: adjust its interest and its deadline,
/// or close it.
fn settle(
    key: usize,
    next: Next,
    registry: &Registry,
    connections: &mut Slab<Connection>,
    timers: &mut Timers,
    ctx: &Context<'_>,
) {
    let Some(conn) = connections.get_mut(key) else {
        return;
    };
    let wants_write = match next {
        Next::Read => false,
        Next::Write => true,
        Next::Close => {
            let mut conn = connections.remove(key);
            timers.clear(key);
            // Deregistering is tidy but not required: closing the socket removes it
            // from the epoll set. An error here changes nothing, so it is only logged.
            if let Err(e) = registry.deregister(conn.stream_mut()) {
                debug!("deregister {}: {e}", conn.peer());
            }
            debug!("{} closed", conn.peer());
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
            connections.remove(key);
            timers.clear(key);
            return;
        }
        conn.set_wants_write(wants_write);
    }
    timers.set(key, conn.deadline(ctx));
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
    use crate::host::PolicyOptions;

    #[test]
    fn listener_and_connection_tokens_do_not_overlap() {
        assert_eq!(listener_index(listener_token(0), 2), Some(0));
        assert_eq!(listener_index(listener_token(1), 2), Some(1));
        assert_eq!(listener_index(listener_token(2), 2), None);
        assert_eq!(listener_index(Token(0), 2), None);
        assert_eq!(listener_index(WAKER, 2), None);
    }

    fn notes_with(addrs: &[&str], options: PolicyOptions) -> Vec<(log::Level, String)> {
        let addrs: Vec<SocketAddr> = addrs.iter().map(|a| a.parse().unwrap()).collect();
        startup_notes(&addrs, &HostPolicy::new(options).unwrap())
    }

    fn notes_for(addrs: &[&str], patterns: &[&str]) -> Vec<(log::Level, String)> {
        let options = PolicyOptions {
            allowed_hosts: patterns.iter().map(|p| p.to_string()).collect(),
            ..Default::default()
        };
        notes_with(addrs, options)
    }

    /// Whether some note at `level` contains `text`.
    fn has_note(notes: &[(log::Level, String)], level: log::Level, text: &str) -> bool {
        notes.iter().any(|(l, n)| *l == level && n.contains(text))
    }

    #[test]
    fn loopback_bind_says_only_this_machine_can_connect() {
        let notes = notes_for(&["127.0.0.1:8090"], &[]);
        assert!(
            notes
                .iter()
                .any(|(_, n)| n.contains("only this machine can connect"))
        );
        assert!(
            notes
                .iter()
                .any(|(_, n)| n.contains("allowing the defaults .localhost, 127.0.0.1, [::1]"))
        );
        assert!(notes.iter().all(|(level, _)| *level == log::Level::Info));
    }

    #[test]
    fn wildcard_bind_with_default_hosts_warns_how_to_fix_it() {
        let notes = notes_for(&["0.0.0.0:8090"], &[]);
        assert!(
            notes
                .iter()
                .any(|(_, n)| n.contains("other machines can connect"))
        );
        let warning = notes
            .iter()
            .find(|(level, _)| *level == log::Level::Warn)
            .expect("a warning");
        assert!(
            warning.1.contains("Invalid HTTP_HOST header"),
            "{}",
            warning.1
        );
        assert!(warning.1.contains("--allowed-hosts"), "{}", warning.1);
    }

    #[test]
    fn wildcard_bind_with_explicit_hosts_does_not_warn() {
        let notes = notes_for(&["[::]:8090"], &["myhost.example"]);
        assert!(notes.iter().all(|(level, _)| *level == log::Level::Info));
        assert!(
            notes
                .iter()
                .any(|(_, n)| n == "allowed hosts: myhost.example")
        );
    }

    #[test]
    fn star_pattern_warns_that_validation_is_off() {
        let notes = notes_for(&["127.0.0.1:8090"], &["*"]);
        assert!(has_note(&notes, log::Level::Warn, "Host validation is off"));
    }

    #[test]
    fn trusted_proxies_without_forwarding_warns_that_it_does_nothing() {
        let options = PolicyOptions {
            trusted_proxies: vec!["10.0.0.0/8".parse().unwrap()],
            ..Default::default()
        };
        let notes = notes_with(&["127.0.0.1:8090"], options);
        assert!(has_note(&notes, log::Level::Warn, "no effect without"));
    }

    #[test]
    fn try_url_uses_localhost_for_loopback_and_wildcard() {
        assert_eq!(
            try_url("127.0.0.1:8090".parse().unwrap()),
            "http://localhost:8090"
        );
        assert_eq!(
            try_url("0.0.0.0:80".parse().unwrap()),
            "http://localhost:80"
        );
        assert_eq!(try_url("[::1]:8090".parse().unwrap()), "http://[::1]:8090");
    }
}
