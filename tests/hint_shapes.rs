//! Issue 23: the health checks real proxies send, measured against hostecho, get the
//! `health-check` hint. HAProxy's `option httpchk` at its default and Caddy's active
//! health check are started against a hostecho that allows only `example.com`, and
//! hostecho's `warn` lines must name the cause. Without `haproxy` or `caddy` a test
//! prints `skipped: …` (and fails under `CI=true`, where `.ci/run` installs both).

mod support;

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use support::TestServer;

/// A proxy process, stopped when dropped.
struct Proxy(Child);

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A free loopback port for a proxy's own listener: HAProxy cannot bind port 0.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

fn config(name: &str, text: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("hint_shapes-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write the configuration");
    path
}

fn start(tool: &str, args: &[&str]) -> Option<Proxy> {
    if !support::installed(tool) {
        support::skip(
            &format!("{tool} not installed (tests/hint_shapes.rs)"),
            "install it (.ci/run does)",
        );
        return None;
    }
    // Caddy keeps its autosaved configuration and data under these: the scratch
    // directory, not the home directory.
    let scratch = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("hint_shapes-{}", std::process::id()));
    let child = Command::new(tool)
        .args(args)
        .env("XDG_CONFIG_HOME", &scratch)
        .env("XDG_DATA_HOME", &scratch)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("start {tool}: {e}"));
    Some(Proxy(child))
}

/// The first `warn` line that names `cause`, waiting for it.
fn refusal_naming(server: &TestServer, cause: &str) -> String {
    let log = server.wait_for_log(cause);
    log.lines()
        .find(|l| l.contains("rejected:") && l.contains(cause))
        .expect("a warn line")
        .to_string()
}

/// HAProxy's `option httpchk` sends `OPTIONS / HTTP/1.0` and no header at all:
/// hostecho falls back to the local address, refuses it, and says why.
#[test]
fn haproxy_default_check_gets_the_health_check_hint() {
    let server = TestServer::start(&["-a", "example.com"]);
    let cfg = config(
        "haproxy.cfg",
        &format!(
            "defaults\n  mode http\n  timeout connect 1s\n  timeout client 5s\n  \
             timeout server 5s\nlisten front\n  bind 127.0.0.1:{}\n  option httpchk\n  \
             server app {} check inter 200ms\n",
            free_port(),
            server.addr()
        ),
    );
    let Some(_haproxy) = start("haproxy", &["-db", "-f", cfg.to_str().expect("UTF-8")]) else {
        return;
    };
    let line = refusal_naming(&server, "[health-check]");
    assert!(
        line.contains(&format!(
            "rejected: Invalid HTTP_HOST header: '{}' (from the local address).",
            server.addr()
        )) && line.contains(&format!(
            "hint: a request with no Host, answered on {}",
            server.addr()
        )),
        "{line}"
    );
}

/// Caddy's active health check dials the upstream and sends its address as Host, with
/// Go's User-Agent.
#[test]
fn caddy_health_check_gets_the_health_check_hint() {
    let server = TestServer::start(&["-a", "example.com"]);
    let cfg = config(
        "Caddyfile",
        &format!(
            "{{\n  admin off\n  auto_https off\n}}\n\
             http://127.0.0.1:{} {{\n  reverse_proxy {} {{\n    health_uri /\n    \
             health_interval 200ms\n  }}\n}}\n",
            free_port(),
            server.addr()
        ),
    );
    let Some(_caddy) = start(
        "caddy",
        &[
            "run",
            "--adapter",
            "caddyfile",
            "--config",
            cfg.to_str().expect("UTF-8"),
        ],
    ) else {
        return;
    };
    let line = refusal_naming(&server, "[health-check]");
    assert!(
        line.contains(&format!(
            "hint: '{}' is an IP address (User-Agent: Go-http-client/1.1)",
            server.addr()
        )),
        "{line}"
    );
}
