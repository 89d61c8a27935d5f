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
//! commands print, as for the tutorial's sessions (`tests/support/transcript.rs` does
//! both). The file is written into a fresh temporary directory, which nginx gets as its
//! prefix (`-p`): the files' relative `pid`, temp paths and logs all land there, so
//! nginx runs as whoever runs the test and writes nothing elsewhere. nginx is started
//! as the book says, `nginx -p DIR -c FILE -e stderr -g 'daemon off;'`, in a process
//! group of its own; what it prints is kept, and shown when a session fails.
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
//! binary this crate builds) with those arguments, split at spaces. The block is read as
//! `tests/tutorial.rs` reads a session: `$ ` lines are commands (a line ending in ` \`
//! continues on the next), the lines up to the next `$ ` their expected output. Each
//! command runs with `bash -c` in the temporary directory, stderr merged into stdout,
//! and may take 30 seconds. What it prints is compared with the book as a session's
//! output is, after the same normalisation (book ports mapped back, a client's port
//! shown as `PORT`, curl's version, HTTP dates, trailing spaces: the module doc of
//! `tests/tutorial.rs` has the list). (The commands use `curl -s`, so no terminal is
//! needed: `tests/tutorial.rs` runs sessions in one, and checks the chapter's other
//! sessions.)

use std::collections::BTreeSet;
use std::fs;
use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpStream};
use std::path::Path;
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

mod support;
#[path = "support/transcript.rs"]
mod transcript;

use transcript::{
    COMMAND_PATIENCE, PATIENCE, PortMap, Running, Step, TempDir, comment, compare, fenced_block,
    steps_of,
};

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
    // nginx's defaults, measured: HTTP/1.0, `Connection: close`, the upstream's name
    // as Host. The refusal's hint names that shape (issue 23).
    assert_eq!(
        body,
        "Invalid HTTP_HOST header: 'hostecho'. You may need to add 'hostecho' to --allowed-hosts.\n\
         hint: 'hostecho' names an upstream, not a site, and the request carries a proxy's marks \
         (HTTP/1.0 with Connection: close): the proxy sent its upstream's name or address instead \
         of the visitor's host; pass that on (nginx: `proxy_set_header Host $host`; Apache: \
         `ProxyPreserveHost On`; Caddy: drop `header_up Host {upstream_hostport}`) \
         [proxy-address]\n"
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
            if let Some(diff) = compare(&step.expected, &output, &stack.ports) {
                failures.push(format!(
                    "tutorial/src/ch13-proxies.md:{}: the output of `$ {}` is not the one in the book \
                     (- book, + now):\n{diff}\nnginx said:\n{}",
                    step.line,
                    step.command,
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

/// Parses the chapter's nginx sessions, panicking on a marker not followed by a block.
fn nginx_sessions(text: &str) -> Vec<NginxSession> {
    let lines: Vec<&str> = text.lines().collect();
    let mut sessions = Vec::new();
    for (index, line) in lines.iter().enumerate() {
        let Some(spec) = comment(line).and_then(|c| c.strip_prefix("nginx:")) else {
            continue;
        };
        let at = format!("tutorial/src/ch13-proxies.md:{}", index + 1);
        let mut parts = spec.split('|').map(str::trim);
        let conf = parts.next().unwrap_or_default().to_owned();
        let servers: Vec<String> = parts
            .map(|part| {
                part.strip_prefix("hostecho ")
                    .unwrap_or_else(|| panic!("{at}: {part:?} is not `hostecho ARGS`"))
                    .to_owned()
            })
            .collect();
        let (block, _) = fenced_block(&lines, index + 1).unwrap_or_else(|| {
            panic!("{at}: an nginx marker must come right before a fenced block")
        });
        sessions.push(NginxSession {
            conf,
            servers,
            steps: steps_of(&block, index + 3, &at),
        });
    }
    sessions
}

// ---- running nginx and hostecho ----------------------------------------------------

/// Whether a tool is installed. When it is not, says so where a plain `cargo test`
/// shows it, and fails under `CI=true`, where `.ci/run` has installed it.
fn available(tool: &str) -> bool {
    let found = support::installed(tool);
    if !found {
        support::skip(
            &format!("{tool} not installed (tests/nginx.rs)"),
            "install it (.ci/run does)",
        );
    }
    found
}

/// nginx with one recipe, the hostecho servers behind it, and their directory. Fields
/// drop in order: nginx stops first, then the servers, then the directory goes.
struct Stack {
    nginx: Nginx,
    _servers: Vec<Running>,
    ports: PortMap,
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
        let ports = PortMap::for_text(&book_text, false);
        let dir = TempDir::new("nginx");
        let servers = servers
            .iter()
            .map(|args| {
                let args = ports.to_run(args);
                let mut hostecho = Command::new(env!("CARGO_BIN_EXE_hostecho"));
                hostecho.args(args.split_whitespace());
                Running::start_server(hostecho, dir.path()).unwrap_or_else(|printed| {
                    panic!(
                        "hostecho {args} printed no `listening on` line within {PATIENCE:?}:\n{}",
                        printed.join("\n")
                    )
                })
            })
            .collect();
        let nginx = Nginx::start(conf, &ports.to_run(&text), &dir);
        Some(Stack {
            nginx,
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
    /// returns what it printed.
    fn run(&self, command: &str) -> Vec<String> {
        let mut bash = Command::new("bash");
        bash.arg("-c").arg(self.ports.to_run(command));
        let (output, status) = Running::start(bash, self.dir.path()).finish(COMMAND_PATIENCE);
        assert!(
            status.is_some(),
            "`{command}` took longer than {COMMAND_PATIENCE:?}"
        );
        output
    }

    fn nginx_log(&self) -> String {
        self.nginx.0.printed().join("\n")
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

/// A running nginx, in a process group of its own.
struct Nginx(Running);

impl Nginx {
    /// Writes the configuration into the directory and starts nginx on it, as the book
    /// does, then waits until its `listen` address accepts connections.
    fn start(name: &str, conf: &str, dir: &TempDir) -> Nginx {
        let path = dir.path().join(name);
        fs::write(&path, conf).expect("write the configuration");
        let mut command = Command::new("nginx");
        command
            .arg("-p")
            .arg(dir.path())
            .arg("-c")
            .arg(&path)
            .args(["-e", "stderr", "-g", "daemon off;"]);
        let mut nginx = Nginx(Running::start(command, dir.path()));
        let listen: SocketAddr = conf
            .lines()
            .find_map(|line| line.trim().strip_prefix("listen "))
            .and_then(|rest| rest.trim_end_matches(';').split_whitespace().next())
            .and_then(|addr| addr.parse().ok())
            .unwrap_or_else(|| panic!("examples/nginx/{name} has no `listen ADDR:PORT;`"));
        let deadline = Instant::now() + PATIENCE;
        while TcpStream::connect_timeout(&listen, PATIENCE).is_err() {
            let exited = nginx.0.exited();
            if exited || Instant::now() > deadline {
                panic!(
                    "nginx with examples/nginx/{name} is not listening on {listen} (exited: {exited}):\n{}",
                    nginx.0.printed().join("\n")
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
        // has not exited within PATIENCE, `finish` kills the whole group, workers
        // included.
        self.0.signal("TERM");
        self.0.finish(PATIENCE);
    }
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
