//! Reverse proxies from Debian's packages — nginx, Apache, HAProxy, Caddy — started on
//! the recipes of `examples/`, with hostecho (or a recorder) behind them.
//!
//! A test crate includes it beside the common support and the transcript helpers:
//!
//! ```text
//! mod support;
//! #[path = "support/transcript.rs"]
//! mod transcript;
//! #[path = "support/proxy.rs"]
//! mod proxy;
//! ```
//!
//! # How a recipe is run
//!
//! A recipe uses the book's ports: the proxy listens on 127.0.0.1:8090, hostecho on
//! 8091 (and 8092), Caddy's admin API on 8093. For a run each book port, in the file
//! and in hostecho's arguments, is replaced by a free four-digit port ([`PortMap`]).
//! The file is written into a fresh temporary directory ([`TempDir`]), which is also
//! the proxy's working directory and, where it has one, its prefix (`nginx -p`,
//! `apache2 -d`; HAProxy and Caddy resolve relative paths from the working directory,
//! and Caddy gets it as `HOME` and `XDG_*`). Pid files, sockets, shared memory and
//! autosaved configurations all land there, so nothing is written elsewhere and two
//! runs never meet. The proxy is started in the foreground, as the recipe's comment
//! says, in a process group of its own; what it prints is kept and shown when a test
//! fails.
//!
//! Everything started is stopped by `Drop`, even when an assertion fails: the proxy
//! first (SIGTERM, the graceful stop each of them documents, then SIGKILL to its whole
//! group after [`PATIENCE`]), then the upstreams, then the directory is removed.
//!
//! # A recorder instead of hostecho
//!
//! To measure what a proxy sends, [`Recorder`] stands where hostecho would: it keeps
//! the head of every request it gets, byte for byte, and answers each with a `200`,
//! so the proxy counts its health checks as passed and forwards every request.

#![allow(dead_code)] // each test crate uses a different part of this module

use std::fs;
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use super::support;
use super::transcript::{PATIENCE, PortMap, Running, TempDir};

/// One of the four proxies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Proxy {
    Nginx,
    Apache,
    Haproxy,
    Caddy,
}

impl Proxy {
    /// All four, in the order the book's table lists them.
    pub const ALL: [Proxy; 4] = [Proxy::Nginx, Proxy::Apache, Proxy::Haproxy, Proxy::Caddy];

    /// The name the book uses, which is also the recipes' directory under `examples/`.
    pub fn name(self) -> &'static str {
        match self {
            Proxy::Nginx => "nginx",
            Proxy::Apache => "apache",
            Proxy::Haproxy => "haproxy",
            Proxy::Caddy => "caddy",
        }
    }

    /// The program Debian's package installs.
    pub fn program(self) -> &'static str {
        match self {
            Proxy::Nginx => "nginx",
            Proxy::Apache => "apache2",
            Proxy::Haproxy => "haproxy",
            Proxy::Caddy => "caddy",
        }
    }

    /// The Debian package `.ci/run` installs for it.
    pub fn package(self) -> &'static str {
        match self {
            Proxy::Nginx => "nginx-light",
            other => other.program(),
        }
    }

    /// `examples/NAME`.
    pub fn examples(self) -> PathBuf {
        root().join("examples").join(self.name())
    }

    /// Whether its program is installed; when it is not, says so where a plain
    /// `cargo test` shows it, and fails under `CI=true`, where `.ci/run` installs it.
    pub fn available(self) -> bool {
        let found = support::installed(self.program());
        if !found {
            support::skip(
                &format!("{} not installed (tests/proxies.rs)", self.program()),
                &format!("apt-get install {} (.ci/run does)", self.package()),
            );
        }
        found
    }

    /// The command that runs it in the foreground on `conf`, inside `dir`, as the
    /// recipes' comments say.
    fn command(self, conf: &Path, dir: &Path) -> Command {
        let mut command = Command::new(self.program());
        match self {
            Proxy::Nginx => {
                command.arg("-p").arg(dir).arg("-c").arg(conf).args([
                    "-e",
                    "stderr",
                    "-g",
                    "daemon off;",
                ]);
            }
            Proxy::Apache => {
                command
                    .arg("-d")
                    .arg(dir)
                    .arg("-f")
                    .arg(conf)
                    .arg("-DFOREGROUND");
            }
            Proxy::Haproxy => {
                command.arg("-db").arg("-f").arg(conf);
            }
            Proxy::Caddy => {
                command
                    .args(["run", "--adapter", "caddyfile", "--config"])
                    .arg(conf)
                    .env("HOME", dir)
                    .env("XDG_CONFIG_HOME", dir.join("config"))
                    .env("XDG_DATA_HOME", dir.join("data"));
            }
        }
        command
    }
}

/// The repository.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// What stands behind the proxy on one book port.
pub enum Upstream<'a> {
    /// hostecho with these arguments (book ports), split at spaces.
    Hostecho(&'a str),
    /// A [`Recorder`] on this book port.
    Recorder(u16),
}

/// A proxy on one recipe, what is behind it, and their directory. Fields drop in
/// order: the proxy stops first, then the upstreams, then the directory goes.
pub struct Stack {
    proxy: ProxyProcess,
    servers: Vec<Running>,
    recorders: Vec<Recorder>,
    pub ports: PortMap,
    dir: TempDir,
}

impl Stack {
    /// Starts the upstreams, then `proxy` with `examples/NAME/CONF`, and waits until
    /// the proxy accepts connections on 8090. `None` (after saying so) when the proxy
    /// is not installed.
    pub fn start(proxy: Proxy, conf: &str, upstreams: &[Upstream]) -> Option<Stack> {
        if !proxy.available() {
            return None;
        }
        let text = fs::read_to_string(proxy.examples().join(conf))
            .unwrap_or_else(|e| panic!("examples/{}/{conf}: {e}", proxy.name()));
        let mut book_text = text.clone();
        for upstream in upstreams {
            match upstream {
                Upstream::Hostecho(args) => book_text.push_str(&format!(" {args}")),
                Upstream::Recorder(port) => book_text.push_str(&format!(" {port}")),
            }
        }
        let ports = PortMap::for_text(&book_text, false);
        let dir = TempDir::new(proxy.name());
        let mut servers = Vec::new();
        let mut recorders = Vec::new();
        for upstream in upstreams {
            match upstream {
                Upstream::Hostecho(args) => {
                    let args = ports.to_run(args);
                    let mut hostecho = Command::new(env!("CARGO_BIN_EXE_hostecho"));
                    hostecho
                        .args(args.split_whitespace())
                        .env("RUST_LOG", "debug");
                    servers.push(Running::start_server(hostecho, dir.path()).unwrap_or_else(
                        |printed| {
                            panic!(
                                "hostecho {args} printed no `listening on` line within {PATIENCE:?}:\n{}",
                                printed.join("\n")
                            )
                        },
                    ));
                }
                Upstream::Recorder(port) => recorders.push(Recorder::start(ports.run_port(*port))),
            }
        }
        let conf_path = dir.path().join(conf);
        fs::write(&conf_path, ports.to_run(&text)).expect("write the configuration");
        let listen = SocketAddr::from(([127, 0, 0, 1], ports.run_port(8090)));
        let process = ProxyProcess::start(
            proxy,
            proxy.command(&conf_path, dir.path()),
            dir.path(),
            listen,
        );
        Some(Stack {
            proxy: process,
            servers,
            recorders,
            ports,
            dir,
        })
    }

    /// `127.0.0.1:PORT` with the run's port for a book port.
    pub fn run_address(&self, book_port: u16) -> String {
        format!("127.0.0.1:{}", self.ports.run_port(book_port))
    }

    /// Sends one raw request (with `Connection: close` added after the request line)
    /// to a book port, and returns the answer.
    pub fn ask(&self, book_port: u16, request: &str) -> Answer {
        let to = SocketAddr::from(([127, 0, 0, 1], self.ports.run_port(book_port)));
        let request = request.replacen("\r\n", "\r\nConnection: close\r\n", 1);
        ask(to, &request)
    }

    /// `GET /` for `example.com:8090` through the proxy, asking for the JSON echo, with
    /// `extra` header lines (each ending in CRLF) after Host.
    pub fn get(&self, path: &str, extra: &str) -> Answer {
        self.ask(
            8090,
            &format!(
                "GET {path} HTTP/1.1\r\nHost: example.com:8090\r\n{extra}Accept: application/json\r\n\r\n"
            ),
        )
    }

    /// The heads the recorder on `book_port` has received so far, with the run's ports
    /// shown as the book's.
    pub fn recorded(&self, book_port: u16) -> Vec<String> {
        let port = self.ports.run_port(book_port);
        let recorder = self
            .recorders
            .iter()
            .find(|r| r.addr.port() == port)
            .unwrap_or_else(|| panic!("no recorder on {book_port}"));
        recorder
            .heads()
            .iter()
            .map(|head| self.ports.to_book(head))
            .collect()
    }

    /// Waits until `found` returns something from the heads the recorder on
    /// `book_port` has received, and returns it; panics after [`HEALTH_PATIENCE`].
    pub fn wait_for_recorded<T>(
        &self,
        book_port: u16,
        what: &str,
        found: impl Fn(&[String]) -> Option<T>,
    ) -> T {
        self.wait(what, || found(&self.recorded(book_port)))
    }

    /// What the proxy has printed so far (its error log, and its access log where the
    /// recipe sends it to the terminal), with the run's ports shown as the book's.
    pub fn proxy_log(&self) -> String {
        self.ports.to_book(&self.proxy.running.printed().join("\n"))
    }

    /// What the `index`th hostecho has printed so far, with book ports.
    pub fn hostecho_log(&self, index: usize) -> String {
        self.ports
            .to_book(&self.servers[index].printed().join("\n"))
    }

    /// Polls `probe` until it returns something, for at most [`HEALTH_PATIENCE`];
    /// panics with `what` and both logs if it never does.
    pub fn wait<T>(&self, what: &str, mut probe: impl FnMut() -> Option<T>) -> T {
        let deadline = Instant::now() + HEALTH_PATIENCE;
        loop {
            if let Some(found) = probe() {
                return found;
            }
            assert!(
                Instant::now() < deadline,
                "waited {HEALTH_PATIENCE:?} for {what}\nthe proxy printed:\n{}\nhostecho printed:\n{}",
                self.proxy_log(),
                (0..self.servers.len())
                    .map(|i| self.hostecho_log(i))
                    .collect::<Vec<_>>()
                    .join("\n---\n"),
            );
            thread::sleep(Duration::from_millis(100));
        }
    }

    /// HAProxy's view of one server, from `show stat` on the recipe's stats socket.
    pub fn haproxy_server(&self, backend: &str, server: &str) -> HaproxyServer {
        assert_eq!(self.proxy.proxy, Proxy::Haproxy);
        // HAProxy creates its stats socket while it starts, and may not have done so
        // when its listening port first answers: try again until PATIENCE runs out.
        let path = self.dir.path().join("haproxy.sock");
        let deadline = Instant::now() + PATIENCE;
        let mut socket = loop {
            match UnixStream::connect(&path) {
                Ok(socket) => break socket,
                Err(_) if Instant::now() < deadline => thread::sleep(Duration::from_millis(50)),
                Err(e) => panic!("connect to {}: {e}", path.display()),
            }
        };
        socket
            .set_read_timeout(Some(PATIENCE))
            .expect("a read time-out");
        socket.write_all(b"show stat\n").expect("ask for the stats");
        let mut csv = String::new();
        socket.read_to_string(&mut csv).expect("read the stats");
        HaproxyServer::from_csv(&csv, backend, server)
            .unwrap_or_else(|| panic!("no {backend}/{server} in `show stat`:\n{csv}"))
    }

    /// The status Apache's balancer manager shows for the member at book port
    /// `member` (`Init Ok`, `Init HcFl`, …), from its XML page.
    pub fn apache_member_status(&self, member: u16) -> String {
        assert_eq!(self.proxy.proxy, Proxy::Apache);
        // The manager ignores parameters (here `xml`) from a request whose Referer is
        // not the manager itself: its defence against cross-site requests.
        let answer = self.ask(
            8090,
            "GET /balancer-manager?xml=1 HTTP/1.1\r\nHost: 127.0.0.1:8090\r\n\
             Referer: http://127.0.0.1:8090/balancer-manager\r\n\r\n",
        );
        assert_eq!(answer.status, 200, "{answer:?}");
        let name = format!(
            "<httpd:name>http://{}</httpd:name>",
            self.run_address(member)
        );
        let worker = answer
            .body
            .split("<httpd:worker>")
            .find(|w| w.contains(&name))
            .unwrap_or_else(|| panic!("no member {member} in:\n{}", answer.body));
        worker
            .split_once("<httpd:status>")
            .and_then(|(_, rest)| rest.split_once("</httpd:status>"))
            .map(|(status, _)| status.trim().to_owned())
            .unwrap_or_else(|| panic!("no status for member {member} in:\n{worker}"))
    }
}

/// How long a health check may take to change a proxy's mind. The recipes check every
/// second and change state after one result, so a few seconds suffice; a loaded
/// machine gets more.
pub const HEALTH_PATIENCE: Duration = Duration::from_secs(20);

/// A running proxy, stopped the way its documentation says when dropped.
pub struct ProxyProcess {
    proxy: Proxy,
    running: Running,
}

impl ProxyProcess {
    /// Starts `command` (which runs `proxy` in the foreground) in `dir`, and waits until
    /// it accepts connections on `listen`; panics with what it printed if it does not.
    pub fn start(proxy: Proxy, command: Command, dir: &Path, listen: SocketAddr) -> ProxyProcess {
        let mut process = ProxyProcess {
            proxy,
            running: Running::start(command, dir),
        };
        let deadline = Instant::now() + PATIENCE;
        while TcpStream::connect_timeout(&listen, PATIENCE).is_err() {
            let exited = process.running.exited();
            if exited || Instant::now() > deadline {
                panic!(
                    "{} is not listening on {listen} (exited: {exited}):\n{}",
                    proxy.program(),
                    process.running.printed().join("\n")
                );
            }
            thread::sleep(Duration::from_millis(20));
        }
        process
    }

    /// What it has printed so far.
    pub fn printed(&self) -> Vec<String> {
        self.running.printed()
    }
}

impl Drop for ProxyProcess {
    fn drop(&mut self) {
        // SIGTERM is a fast (nginx, HAProxy) or graceful-enough (Apache, Caddy) stop
        // for each. Apache's parent removes its shared memory and semaphores on the
        // way out, which a SIGKILL would leave behind: hence not KILL first. If it
        // lingers past PATIENCE, `finish` kills the whole group.
        self.running.signal("TERM");
        self.running.finish(PATIENCE);
    }
}

/// One answer as read off the wire, the connection closed by the server.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub head: String,
    pub body: String,
}

impl Answer {
    /// The JSON echo, parsed.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not the JSON echo ({e}): {self:?}"))
    }

    /// The values of the echoed header lines with this name, in wire order.
    pub fn echoed(&self, name: &str) -> Vec<String> {
        self.json()["headers"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|pair| {
                pair[0]
                    .as_str()
                    .is_some_and(|n| n.eq_ignore_ascii_case(name))
            })
            .filter_map(|pair| pair[1].as_str().map(str::to_owned))
            .collect()
    }
}

/// Sends `request` to `to` and reads until the server closes.
pub fn ask(to: SocketAddr, request: &str) -> Answer {
    let mut stream =
        TcpStream::connect_timeout(&to, PATIENCE).unwrap_or_else(|e| panic!("connect {to}: {e}"));
    stream
        .set_read_timeout(Some(PATIENCE))
        .expect("a read time-out");
    stream
        .write_all(request.as_bytes())
        .expect("send the request");
    let mut answer = Vec::new();
    stream
        .read_to_end(&mut answer)
        .unwrap_or_else(|e| panic!("reading the answer from {to}: {e}"));
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let (head, body) = answer
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no complete head from {to}: {answer:?}"));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line from {to}: {head:?}"));
    Answer {
        status,
        head: head.to_owned(),
        body: body.to_owned(),
    }
}

/// HAProxy's view of one server: three columns of `show stat`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HaproxyServer {
    /// `UP`, `DOWN`, `UP 1/2` (going down), `NOLB`, `MAINT`…
    pub status: String,
    /// The last check's result: `L7OK`, `L7STS` (a bad status), `L4CON`, `INI`
    /// (none yet)…
    pub check_status: String,
    /// The HTTP status of the last check, when it got one.
    pub check_code: String,
}

impl HaproxyServer {
    /// Finds `backend`/`server` in `show stat`'s CSV, whose first line names the
    /// columns (`# pxname,svname,…`).
    fn from_csv(csv: &str, backend: &str, server: &str) -> Option<HaproxyServer> {
        let mut lines = csv.lines();
        let columns: Vec<&str> = lines.next()?.trim_start_matches("# ").split(',').collect();
        let at = |name: &str| columns.iter().position(|c| *c == name);
        let (status, check_status, check_code) =
            (at("status")?, at("check_status")?, at("check_code")?);
        lines.find_map(|line| {
            let fields: Vec<&str> = line.split(',').collect();
            (fields.first() == Some(&backend) && fields.get(1) == Some(&server)).then(|| {
                HaproxyServer {
                    status: fields[status].to_owned(),
                    check_status: fields[check_status].trim_start_matches('*').to_owned(),
                    check_code: fields[check_code].to_owned(),
                }
            })
        })
    }
}

/// A stand-in upstream that keeps every request head it receives and answers `200`.
pub struct Recorder {
    pub addr: SocketAddr,
    heads: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Recorder {
    /// Listens on `127.0.0.1:PORT` and records on a thread of its own.
    pub fn start(port: u16) -> Recorder {
        let listener = TcpListener::bind(("127.0.0.1", port))
            .unwrap_or_else(|e| panic!("bind the recorder on 127.0.0.1:{port}: {e}"));
        let addr = listener.local_addr().expect("the recorder's address");
        let heads = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (heads, stop) = (Arc::clone(&heads), Arc::clone(&stop));
            thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(mut stream) = stream else { continue };
                    // A thread per connection: a proxy may open one and send nothing
                    // yet (a pooled connection), which must not hold up the next.
                    let heads = Arc::clone(&heads);
                    thread::spawn(move || {
                        if let Some(head) = read_head(&mut stream) {
                            heads.lock().expect("heads lock").push(head);
                            let _ = stream.write_all(
                                b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\
                                  Content-Length: 3\r\nConnection: close\r\n\r\nok\n",
                            );
                        }
                        let _ = stream.shutdown(Shutdown::Both);
                    });
                }
            })
        };
        Recorder {
            addr,
            heads,
            stop,
            thread: Some(thread),
        }
    }

    /// Every head received so far, in order, each up to its blank line.
    pub fn heads(&self) -> Vec<String> {
        self.heads.lock().expect("heads lock").clone()
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the blocked accept; the thread sees the flag and ends.
        let _ = TcpStream::connect_timeout(&self.addr, PATIENCE);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// One request head (to its blank line), as text; `None` if the peer closed or stalled
/// first. Bodies are not read: the proxies' requests here have none.
fn read_head(stream: &mut TcpStream) -> Option<String> {
    stream.set_read_timeout(Some(PATIENCE)).ok()?;
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => return None,
        }
    }
    Some(String::from_utf8_lossy(&head).into_owned())
}
