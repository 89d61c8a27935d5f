//! hostecho behind a real nginx: the recipes in `examples/nginx/` and the nginx
//! sessions of chapter 13 (`tutorial/src/ch13-proxies.md`), run end to end.
//!
//! Run it with `cargo test --test nginx`. It needs nginx (Debian's `nginx-light`) and,
//! for the chapter's sessions, curl. Without them each test prints
//! `skipped: nginx not installed` (or curl) to stderr and passes, except under
//! `CI=true`, where it fails: `.ci/run` installs both.
//!
//! # How a recipe is run
//!
//! The configuration files are the ones the book shows, unchanged but for their ports:
//! they use the book's ports (nginx listens on 127.0.0.1:8090, hostecho on 8091 and
//! 8092), and for a run each book port, in the file, in hostecho's arguments and in the
//! commands, is replaced by a free four-digit port, and mapped back in what the
//! commands print. (Four digits, as the book's, so lengths and columns do not move.)
//! The file is written into a fresh temporary directory, which nginx gets as its prefix
//! (`-p`): the files' relative `pid`, temp paths and logs all land there, so nginx runs
//! as whoever runs the test and writes nothing elsewhere. nginx is started as the book
//! says, `nginx -p DIR -c FILE -e stderr -g 'daemon off;'`, in a process group of its
//! own, its output going to `DIR/nginx.log`.
//!
//! Everything started is stopped by `Drop` guards, even when an assertion fails: nginx
//! first (SIGTERM to its master, which stops its workers; SIGKILL to the whole group if
//! it lingers), then the hostecho servers, then the directory is removed.
//!
//! # The chapter's sessions
//!
//! Chapter 13 marks each nginx session with a comment before a `console` block:
//!
//! ```text
//! <!-- nginx: CONF | hostecho ARGS [| hostecho ARGS …] -->
//! ```
//!
//! CONF is a file of `examples/nginx/`; each `hostecho ARGS` starts one hostecho (the
//! binary this crate builds) with those arguments, split at spaces. The block is read as `tests/tutorial.rs` reads a
//! session: `$ ` lines are commands (a line ending in ` \` continues on the next), the
//! lines up to the next `$ ` their expected output. Each command runs with `bash -c`
//! in the temporary directory, stderr merged into stdout, and may take 30 seconds.
//! Before comparing, both sides are normalised: book ports mapped back, the port of any
//! other `127.0.0.1:` address (a client's, chosen by the system) shown as `PORT`,
//! `curl/X.Y.Z` as `curl/VERSION`, HTTP dates as `DATE`, trailing spaces dropped.
//! (The commands use `curl -s`, so no terminal is needed: `tests/tutorial.rs` runs
//! sessions in one, and checks the chapter's other sessions.)

use std::collections::BTreeSet;
use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// How long a server may take to start, or a socket to answer.
const PATIENCE: Duration = Duration::from_secs(10);

/// How long one command of a session may run.
const COMMAND_PATIENCE: Duration = Duration::from_secs(30);

/// The ports the book uses.
const BOOK_PORTS: std::ops::RangeInclusive<u16> = 8090..=8099;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn chapter() -> String {
    fs::read_to_string(root().join("tutorial/src/ch13-proxies.md")).expect("chapter 13 exists")
}

// ---- the behaviour of each recipe ------------------------------------------------

#[test]
fn proxy_conf_passes_the_visitors_host() {
    let Some(stack) = Stack::start("proxy.conf", &["-b 127.0.0.1:8091 -a example.com"]) else {
        return;
    };
    let (status, body) = stack.ask(
        None,
        8090,
        "GET / HTTP/1.1\r\nHost: example.com:8090\r\nAccept: application/json\r\n\r\n",
    );
    assert_eq!(status, 200, "{body}");
    let echo = json(&body);
    assert_eq!(echo["host"], "example.com", "{body}");
    // `$host` has no port: nginx sends the name alone.
    assert_eq!(headers(&echo, "Host"), ["example.com"], "{body}");
    assert_eq!(echo["local"], stack.run_address(8091), "{body}");
}

#[test]
fn without_proxy_set_header_host_hostecho_refuses_the_upstream_name() {
    let Some(stack) = Stack::start(
        "proxy-without-host.conf",
        &["-b 127.0.0.1:8091 -a example.com"],
    ) else {
        return;
    };
    let (status, body) = stack.ask(None, 8090, "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n");
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body,
        "Invalid HTTP_HOST header: 'hostecho'. You may need to add 'hostecho' to --allowed-hosts.\n"
    );
}

#[test]
fn forwarded_host_is_honoured_from_nginx_and_ignored_from_outside_the_trusted_range() {
    let Some(stack) = Stack::start(
        "forwarded-host.conf",
        &["-b 127.0.0.1:8091 -a example.com --use-x-forwarded-host --trusted-proxies 127.0.0.1/32"],
    ) else {
        return;
    };
    // Through nginx, with the visitor's own X-Forwarded-Host: nginx replaces it.
    let (status, body) = stack.ask(
        None,
        8090,
        "GET / HTTP/1.1\r\nHost: example.com\r\nX-Forwarded-Host: evil.example\r\n\
         Accept: application/json\r\n\r\n",
    );
    assert_eq!(status, 200, "{body}");
    let echo = json(&body);
    assert_eq!(echo["host"], "example.com", "{body}");
    assert_eq!(headers(&echo, "Host"), ["hostecho"], "{body}");
    assert_eq!(
        headers(&echo, "X-Forwarded-Host"),
        ["example.com"],
        "{body}"
    );

    // Straight to hostecho from 127.0.0.2, outside 127.0.0.1/32: the header is ignored.
    let outsider = Some(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2)));
    let request = "GET / HTTP/1.1\r\nHost: example.com\r\nX-Forwarded-Host: evil.example\r\n\
                   Accept: application/json\r\n\r\n";
    let (status, body) = stack.ask(outsider, 8091, request);
    assert_eq!(status, 200, "{body}");
    assert_eq!(json(&body)["host"], "example.com", "{body}");

    // The same from 127.0.0.1, which is trusted: the header decides, and is refused.
    let (status, body) = stack.ask(None, 8091, request);
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("'evil.example'"), "{body}");
}

#[test]
fn load_balancer_alternates_between_its_upstreams_and_keeps_the_host() {
    let Some(stack) = Stack::start(
        "load-balancer.conf",
        &[
            "-b 127.0.0.1:8091 -a example.com",
            "-b 127.0.0.1:8092 -a example.com",
        ],
    ) else {
        return;
    };
    let mut answered_by = Vec::new();
    for _ in 0..4 {
        let (status, body) = stack.ask(
            None,
            8090,
            "GET / HTTP/1.1\r\nHost: example.com\r\nAccept: application/json\r\n\r\n",
        );
        assert_eq!(status, 200, "{body}");
        let echo = json(&body);
        assert_eq!(echo["host"], "example.com", "{body}");
        answered_by.push(echo["local"].as_str().unwrap_or_default().to_owned());
    }
    let first = stack.run_address(8091);
    let second = stack.run_address(8092);
    // Round robin: each upstream answers every other request, whichever goes first.
    assert!(
        answered_by == [first.as_str(), &second, &first, &second]
            || answered_by == [second.as_str(), &first, &second, &first],
        "{answered_by:?}"
    );
}

// ---- the chapter -------------------------------------------------------------------

#[test]
fn every_recipe_is_shown_and_run_in_chapter_13() {
    let text = chapter();
    let markers: BTreeSet<String> = nginx_sessions(&text).into_iter().map(|s| s.conf).collect();
    let dir = root().join("examples/nginx");
    let mut files = BTreeSet::new();
    for entry in fs::read_dir(&dir).expect("examples/nginx exists") {
        let name = entry
            .expect("readable directory entry")
            .file_name()
            .to_string_lossy()
            .into_owned();
        if name.ends_with(".conf") {
            files.insert(name);
        }
    }
    assert!(!files.is_empty(), "no recipes in examples/nginx");
    for name in &files {
        assert!(
            text.contains(&format!("{{{{#include ../../examples/nginx/{name}")),
            "chapter 13 does not include examples/nginx/{name}"
        );
        assert!(
            markers.contains(name),
            "chapter 13 has no `<!-- nginx: {name} … -->` session"
        );
    }
    for name in &markers {
        assert!(
            files.contains(name),
            "chapter 13 runs examples/nginx/{name}, which does not exist"
        );
    }
}

#[test]
fn chapter_13_nginx_sessions_match_what_nginx_and_hostecho_do() {
    if !available("curl") {
        return;
    }
    let text = chapter();
    let sessions = nginx_sessions(&text);
    assert!(!sessions.is_empty(), "chapter 13 has no nginx sessions");
    let mut failures = Vec::new();
    for session in &sessions {
        let args: Vec<&str> = session.servers.iter().map(String::as_str).collect();
        let Some(stack) = Stack::start(&session.conf, &args) else {
            return;
        };
        for step in &session.steps {
            let output = stack.run(&step.command);
            let expected: Vec<String> = step.expected.iter().map(|l| normalise(l)).collect();
            let actual: Vec<String> = output.iter().map(|l| normalise(l)).collect();
            if expected != actual {
                failures.push(format!(
                    "tutorial/src/ch13-proxies.md:{}: the output of `$ {}` is not the one in the book \
                     (- book, + now):\n{}\nnginx said:\n{}",
                    step.line,
                    step.command,
                    diff(&expected, &actual),
                    stack.nginx_log()
                ));
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n\n"));
}

/// One `<!-- nginx: … -->` session of the chapter.
struct NginxSession {
    conf: String,
    /// hostecho's arguments, one string per server.
    servers: Vec<String>,
    steps: Vec<Step>,
}

/// One `$ ` command, with the page line it starts on and the output the book shows.
struct Step {
    line: usize,
    command: String,
    expected: Vec<String>,
}

/// Parses the chapter's nginx sessions, panicking on a marker not followed by a block.
fn nginx_sessions(text: &str) -> Vec<NginxSession> {
    let lines: Vec<&str> = text.lines().collect();
    let mut sessions = Vec::new();
    for (at, line) in lines.iter().enumerate() {
        let Some(spec) = line
            .strip_prefix("<!-- nginx: ")
            .and_then(|rest| rest.strip_suffix(" -->"))
        else {
            continue;
        };
        let mut parts = spec.split('|').map(str::trim);
        let conf = parts.next().unwrap_or_default().to_owned();
        let servers: Vec<String> = parts
            .map(|part| {
                part.strip_prefix("hostecho ")
                    .unwrap_or_else(|| {
                        panic!(
                            "ch13-proxies.md:{}: {part:?} is not `hostecho ARGS`",
                            at + 1
                        )
                    })
                    .to_owned()
            })
            .collect();
        assert!(
            lines.get(at + 1).is_some_and(|l| l.starts_with("```")),
            "ch13-proxies.md:{}: an nginx marker must come right before a fenced block",
            at + 1
        );
        let mut steps: Vec<Step> = Vec::new();
        let mut continued = false;
        for (offset, line) in lines[at + 2..].iter().enumerate() {
            if *line == "```" {
                break;
            }
            if continued {
                let step = steps.last_mut().expect("a command is being continued");
                step.command.push('\n');
                step.command.push_str(line);
                continued = line.ends_with('\\');
            } else if let Some(command) = line.strip_prefix("$ ") {
                steps.push(Step {
                    line: at + 3 + offset,
                    command: command.to_owned(),
                    expected: Vec::new(),
                });
                continued = command.ends_with('\\');
            } else if let Some(step) = steps.last_mut() {
                step.expected.push((*line).to_owned());
            } else {
                panic!(
                    "ch13-proxies.md:{}: output before the first `$ ` command",
                    at + 3 + offset
                );
            }
        }
        sessions.push(NginxSession {
            conf,
            servers,
            steps,
        });
    }
    sessions
}

// ---- running nginx and hostecho ----------------------------------------------------

/// Whether a tool is installed. When it is not, says so on stderr, and fails under
/// `CI=true`, where `.ci/run` has installed it.
fn available(tool: &str) -> bool {
    let found = Command::new("bash")
        .args(["-c", &format!("command -v {tool}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{tool} is not installed, and CI=true: install it (.ci/run does)"
        );
        // Written to the stderr handle, not with eprintln!, which libtest would capture
        // and hide for a passing test (see tests/support/mod.rs, `skip`).
        let _ = writeln!(
            std::io::stderr(),
            "skipped: {tool} not installed (tests/nginx.rs)"
        );
    }
    found
}

/// nginx with one recipe, the hostecho servers behind it, and their directory. Fields
/// drop in order: nginx stops first, then the servers, then the directory goes.
struct Stack {
    _nginx: Nginx,
    _servers: Vec<Hostecho>,
    ports: Ports,
    dir: TempDir,
}

impl Stack {
    /// Starts the servers, then nginx with `examples/nginx/CONF`; `None` (after saying
    /// so) when nginx is not installed.
    fn start(conf: &str, servers: &[&str]) -> Option<Stack> {
        if !available("nginx") {
            return None;
        }
        let text = fs::read_to_string(root().join("examples/nginx").join(conf))
            .unwrap_or_else(|e| panic!("examples/nginx/{conf}: {e}"));
        let mut book_text = text.clone();
        for args in servers {
            book_text.push(' ');
            book_text.push_str(args);
        }
        let ports = Ports::for_text(&book_text);
        let dir = TempDir::new();
        let servers = servers
            .iter()
            .map(|args| Hostecho::start(&ports.to_run(args), &dir))
            .collect();
        let nginx = Nginx::start(conf, &ports.to_run(&text), &dir);
        Some(Stack {
            _nginx: nginx,
            _servers: servers,
            ports,
            dir,
        })
    }

    /// `127.0.0.1:PORT` with the run's port for a book port, as hostecho reports it.
    fn run_address(&self, book_port: u16) -> String {
        format!("127.0.0.1:{}", self.ports.run_port(book_port))
    }

    /// Sends one request (plus `Connection: close`) to a book port, from `from` if
    /// given, and returns the status and the body.
    fn ask(&self, from: Option<IpAddr>, book_port: u16, request: &str) -> (u16, String) {
        let to = SocketAddr::from(([127, 0, 0, 1], self.ports.run_port(book_port)));
        let mut stream = connect(from, to);
        let request = request.replacen("\r\n", "\r\nConnection: close\r\n", 1);
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
        (status, body.to_owned())
    }

    /// Runs one of the chapter's commands in the directory, with the run's ports, and
    /// returns what it printed, mapped back to the book's ports.
    fn run(&self, command: &str) -> Vec<String> {
        let script = format!("{{ {}\n}} 2>&1", self.ports.to_run(command));
        let mut child = Command::new("bash")
            .args(["-c", &script])
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("start bash");
        let mut stdout = child.stdout.take().expect("piped stdout");
        let reader = thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = stdout.read_to_end(&mut bytes);
            bytes
        });
        let deadline = Instant::now() + COMMAND_PATIENCE;
        while child.try_wait().expect("wait for bash").is_none() {
            if Instant::now() > deadline {
                kill_group(child.id(), "KILL");
                let _ = child.wait();
                panic!("`{command}` took longer than {COMMAND_PATIENCE:?}");
            }
            thread::sleep(Duration::from_millis(20));
        }
        let bytes = reader.join().expect("the reader thread");
        String::from_utf8_lossy(&bytes)
            .lines()
            .map(|line| self.ports.to_book(line))
            .collect()
    }

    fn nginx_log(&self) -> String {
        fs::read_to_string(self.dir.path().join("nginx.log")).unwrap_or_default()
    }
}

/// A TCP connection to `to`, from the address `from` if one is given (127.0.0.2
/// stands for a client outside the trusted range).
fn connect(from: Option<IpAddr>, to: SocketAddr) -> TcpStream {
    let stream: TcpStream = match from {
        None => TcpStream::connect_timeout(&to, PATIENCE)
            .unwrap_or_else(|e| panic!("connect to {to}: {e}")),
        Some(ip) => {
            let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)
                .expect("a socket");
            socket
                .bind(&SocketAddr::new(ip, 0).into())
                .unwrap_or_else(|e| panic!("bind {ip}: {e}"));
            socket
                .connect_timeout(&to.into(), PATIENCE)
                .unwrap_or_else(|e| panic!("connect from {ip} to {to}: {e}"));
            socket.into()
        }
    };
    stream
        .set_read_timeout(Some(PATIENCE))
        .expect("set a read timeout");
    stream
}

/// A running hostecho, killed when dropped. Its log goes to a file in the directory.
struct Hostecho {
    child: Child,
}

impl Hostecho {
    fn start(args: &str, dir: &TempDir) -> Hostecho {
        static COUNT: AtomicUsize = AtomicUsize::new(0);
        let log = dir.path().join(format!(
            "hostecho-{}.log",
            COUNT.fetch_add(1, Ordering::Relaxed)
        ));
        let mut child = Command::new(env!("CARGO_BIN_EXE_hostecho"))
            .args(args.split_whitespace())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(fs::File::create(&log).expect("create hostecho's log"))
            .spawn()
            .expect("start hostecho");
        let stdout = child.stdout.take().expect("piped stdout");
        let (sender, lines) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        let server = Hostecho { child };
        let deadline = Instant::now() + PATIENCE;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match lines.recv_timeout(left) {
                Ok(line) if line.starts_with("listening on http://") => return server,
                Ok(_) => {}
                Err(_) => panic!(
                    "hostecho {args} printed no `listening on` line within {PATIENCE:?}:\n{}",
                    fs::read_to_string(&log).unwrap_or_default()
                ),
            }
        }
    }
}

impl Drop for Hostecho {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A running nginx, in a process group of its own.
struct Nginx {
    child: Child,
}

impl Nginx {
    /// Writes the configuration into the directory and starts nginx on it, as the book
    /// does, then waits until its `listen` address accepts connections.
    fn start(name: &str, conf: &str, dir: &TempDir) -> Nginx {
        let path = dir.path().join(name);
        fs::write(&path, conf).expect("write the configuration");
        let log = dir.path().join("nginx.log");
        let mut command = Command::new("nginx");
        command
            .arg("-p")
            .arg(dir.path())
            .arg("-c")
            .arg(&path)
            .args(["-e", "stderr", "-g", "daemon off;"])
            .stdin(Stdio::null())
            .stdout(fs::File::create(&log).expect("create nginx's log"))
            .stderr(
                fs::File::options()
                    .append(true)
                    .open(&log)
                    .expect("open nginx's log"),
            )
            .process_group(0);
        let nginx = Nginx {
            child: command.spawn().expect("start nginx"),
        };
        let listen: SocketAddr = conf
            .lines()
            .find_map(|line| line.trim().strip_prefix("listen "))
            .and_then(|rest| rest.trim_end_matches(';').split_whitespace().next())
            .and_then(|addr| addr.parse().ok())
            .unwrap_or_else(|| panic!("examples/nginx/{name} has no `listen ADDR:PORT;`"));
        let deadline = Instant::now() + PATIENCE;
        let mut nginx = nginx;
        while TcpStream::connect_timeout(&listen, PATIENCE).is_err() {
            let exited = nginx.child.try_wait().expect("wait for nginx");
            if exited.is_some() || Instant::now() > deadline {
                panic!(
                    "nginx with examples/nginx/{name} is not listening on {listen} ({exited:?}):\n{}",
                    fs::read_to_string(&log).unwrap_or_default()
                );
            }
            thread::sleep(Duration::from_millis(20));
        }
        nginx
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        // SIGTERM to the master: a fast shutdown, which stops the workers too. If it
        // has not exited within PATIENCE, kill the whole group, workers included.
        kill_group(self.child.id(), "TERM");
        let deadline = Instant::now() + PATIENCE;
        while matches!(self.child.try_wait(), Ok(None)) && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(20));
        }
        kill_group(self.child.id(), "KILL");
        let _ = self.child.wait();
    }
}

/// Sends a signal to a process group (whose id is its leader's), with bash's `kill`.
fn kill_group(leader: u32, signal: &str) {
    let _ = Command::new("bash")
        .args(["-c", &format!("kill -{signal} -- -{leader} 2>/dev/null")])
        .status();
}

/// A directory for one run, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        static COUNT: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "hostecho-nginx-{}-{}",
            std::process::id(),
            COUNT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path).expect("create a temporary directory");
        TempDir(path)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

// ---- ports and normalisation ----------------------------------------------------------

/// The book's ports that a run uses, each with the free port that stands for it.
struct Ports {
    pairs: Vec<(u16, u16)>,
}

impl Ports {
    /// A free four-digit port for each book port the text mentions.
    fn for_text(text: &str) -> Ports {
        static TAKEN: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
        let mut taken = TAKEN.lock().unwrap_or_else(|e| e.into_inner());
        let seed = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos() as usize)
            ^ std::process::id() as usize;
        let mut pairs = Vec::new();
        let mut candidate = 2000 + seed % 6000;
        for book in BOOK_PORTS {
            if !numbers(text).any(|n| n == u64::from(book)) {
                continue;
            }
            let run = loop {
                candidate = 2000 + (candidate + 7) % 6000;
                let port = u16::try_from(candidate).expect("four digits");
                // Never a number the text holds, so mapping back cannot touch one; never
                // one this test process handed out before (a port is reused only after
                // every test that could hold it ended).
                if !numbers(text).any(|n| n == u64::from(port))
                    && !taken.contains(&port)
                    && TcpListener::bind(("127.0.0.1", port)).is_ok()
                {
                    break port;
                }
            };
            taken.push(run);
            pairs.push((book, run));
        }
        Ports { pairs }
    }

    fn run_port(&self, book: u16) -> u16 {
        self.pairs
            .iter()
            .find(|(b, _)| *b == book)
            .map(|(_, run)| *run)
            .unwrap_or_else(|| panic!("port {book} is not used by this run"))
    }

    fn to_run(&self, text: &str) -> String {
        replace_numbers(text, |n| {
            self.pairs
                .iter()
                .find(|(book, _)| u64::from(*book) == n)
                .map(|(_, run)| *run)
        })
    }

    fn to_book(&self, text: &str) -> String {
        replace_numbers(text, |n| {
            self.pairs
                .iter()
                .find(|(_, run)| u64::from(*run) == n)
                .map(|(book, _)| *book)
        })
    }
}

/// Every run of ASCII digits in the text, as a number.
fn numbers(text: &str) -> impl Iterator<Item = u64> + '_ {
    text.split(|c: char| !c.is_ascii_digit())
        .filter_map(|run| run.parse().ok())
}

/// Replaces every whole run of digits for which `with` has a port.
fn replace_numbers(text: &str, with: impl Fn(u64) -> Option<u16>) -> String {
    let mut out = String::new();
    let mut digits = String::new();
    let flush = |digits: &mut String, out: &mut String| {
        match digits.parse().ok().and_then(&with) {
            Some(port) => out.push_str(&port.to_string()),
            None => out.push_str(digits),
        }
        digits.clear();
    };
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
        } else {
            flush(&mut digits, &mut out);
            out.push(c);
        }
    }
    flush(&mut digits, &mut out);
    out
}

/// Makes a line of the book or of a run (already mapped back to the book's ports)
/// comparable: see the module documentation for what changes, which is only what
/// varies from run to run.
fn normalise(line: &str) -> String {
    // A client's port after 127.0.0.1: (anything but a book port).
    let mut out = String::new();
    let mut rest = line;
    while let Some(at) = rest.find("127.0.0.1:") {
        let after = at + "127.0.0.1:".len();
        out.push_str(&rest[..after]);
        rest = &rest[after..];
        let end = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        let port: Option<u16> = rest[..end].parse().ok();
        match port {
            Some(port) if !BOOK_PORTS.contains(&port) => out.push_str("PORT"),
            _ => out.push_str(&rest[..end]),
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    let mut line = out;
    // curl's version, wherever curl names itself.
    if let Some(at) = line.find("curl/") {
        let start = at + "curl/".len();
        let end = line[start..]
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .map_or(line.len(), |n| start + n);
        if end > start {
            line.replace_range(start..end, "VERSION");
        }
    }
    // An HTTP date, as in `Date:` headers.
    if let Some(at) = line.find("Date: ") {
        line.replace_range(at + "Date: ".len().., "DATE");
    }
    line.trim_end().to_owned()
}

/// A line diff (longest common subsequence): `  ` same, `- ` book only, `+ ` run only.
fn diff(expected: &[String], actual: &[String]) -> String {
    let (n, m) = (expected.len(), actual.len());
    let mut common = vec![vec![0usize; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            common[i][j] = if expected[i] == actual[j] {
                common[i + 1][j + 1] + 1
            } else {
                common[i + 1][j].max(common[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::new();
    while i < n || j < m {
        if i < n && j < m && expected[i] == actual[j] {
            out.push(format!("  {}", expected[i]));
            (i, j) = (i + 1, j + 1);
        } else if i < n && (j == m || common[i + 1][j] >= common[i][j + 1]) {
            out.push(format!("- {}", expected[i]));
            i += 1;
        } else {
            out.push(format!("+ {}", actual[j]));
            j += 1;
        }
    }
    out.join("\n")
}

/// The JSON echo, parsed.
fn json(body: &str) -> serde_json::Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not the JSON echo ({e}): {body}"))
}

/// The values of the echoed header lines with this name, in wire order.
fn headers(echo: &serde_json::Value, name: &str) -> Vec<String> {
    echo["headers"]
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
