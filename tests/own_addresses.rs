//! `@self` in `--allowed-hosts`: the addresses hostecho listens on, and for a wildcard
//! bind the machine's interface addresses, resolved at start and listed in the log.
//! `src/server/own_addresses.rs` resolves them; `src/host/patterns.rs` compiles them.
//!
//! Loopback binds are tested directly. A wildcard bind is tested only inside a private
//! network namespace (`unshare -n`, as root), which has nothing but the loopback
//! interface: there it is given two more addresses from the documentation ranges
//! (192.0.2.7, 2001:db8::7), so that "every interface address" is more than 127.0.0.1,
//! and nothing sent to them can leave the namespace.

mod support;

use std::process::{Command, Stdio};

use support::{TestServer, run_cli, skip};

#[test]
fn a_loopback_bind_allows_its_own_address_as_host_and_nothing_more() {
    let server = TestServer::start(&["--bind", "127.0.0.1:0", "-a", "app.example,@self"]);
    let port = server.addr().port();
    let log = server.wait_for_log("@self stands for");
    assert!(log.contains("@self stands for 127.0.0.1\n"), "{log}");

    let own =
        format!("GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: application/json\r\n\r\n");
    let answer = server.send(own.as_bytes());
    assert_eq!(answer.status, 200, "{}", answer.text());
    assert_eq!(answer.json()["host_decision"]["matched"], "@self");

    // The pattern still allows what it names; nothing else got in with @self.
    let answer = server.send(b"GET / HTTP/1.1\r\nHost: app.example\r\n\r\n");
    assert_eq!(answer.status, 200);
    for other in ["[::1]", "127.0.0.2", "10.0.0.1", "localhost", "self"] {
        let request = format!("GET / HTTP/1.1\r\nHost: {other}:{port}\r\n\r\n");
        let answer = server.send(request.as_bytes());
        assert_eq!(answer.status, 400, "{other}: {}", answer.text());
    }
}

#[test]
fn each_address_bound_is_listed_once_as_a_host_names_it() {
    if !ipv6_loopback() {
        return;
    }
    let server = TestServer::start(&["--bind", "127.0.0.1:0,[::1]:0,127.0.0.1:0", "-a", "@self"]);
    let log = server.wait_for_log("@self stands for");
    assert!(log.contains("@self stands for 127.0.0.1, [::1]\n"), "{log}");
    let answer = server.send(b"GET / HTTP/1.1\r\nHost: [::1]\r\n\r\n");
    assert_eq!(answer.status, 200, "{}", answer.text());
}

#[test]
fn without_at_self_nothing_is_resolved_or_logged() {
    let server = TestServer::start(&["--bind", "127.0.0.1:0", "-a", "app.example"]);
    let log = server.wait_for_log("allowed hosts: app.example");
    assert!(!log.contains("@self"), "{log}");
}

#[test]
fn check_resolves_at_self_from_local() {
    let (code, out, err) = run_cli(
        &[
            "check",
            "-a",
            "app.example,@self",
            "--local",
            "127.0.0.1:8090",
            "127.0.0.1:8090",
            "[::1]",
            "10.0.0.1",
        ],
        &[],
    );
    assert_eq!(code, 1, "{out}{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    assert!(
        lines[0].contains("allowed") && lines[0].ends_with("matched=@self"),
        "{out}"
    );
    assert!(lines[1].contains("refused"), "{out}");
    assert!(lines[2].contains("refused"), "{out}");

    let (code, out, _) = run_cli(
        &[
            "check",
            "-a",
            "@self",
            "--local",
            "[::1]:8090",
            "[::1]:8090",
        ],
        &[],
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.trim_end().ends_with("matched=@self"), "{out}");
}

#[test]
fn a_wildcard_bind_stands_for_every_interface_address_of_its_family() {
    if !private_network() {
        return;
    }
    // In the namespace: loopback up, two more addresses on it, hostecho on both
    // wildcards; once it listens, ask it as each address, then stop it.
    let script = format!(
        r#"set -e
ip link set lo up
ip addr add 192.0.2.7/32 dev lo
ip -6 addr add 2001:db8::7/128 dev lo nodad
log=$(mktemp)
{bin} --bind 0.0.0.0:8092,[::]:8092 -a app.example,@self >"$log" 2>&1 &
pid=$!
for _ in $(seq 100); do grep -q 'listening on http://\[::\]' "$log" && break; sleep 0.1; done
for host in 192.0.2.7 127.0.0.1 '[2001:db8::7]' '[::1]' 198.51.100.1; do
  printf '%s %s\n' "$host" "$(curl -s -o /dev/null -w '%{{http_code}}' --noproxy '*' \
    -H "Host: $host" http://127.0.0.1:8092/)"
done
kill $pid
wait $pid || true
grep -o '@self stands for .*' "$log"
"#,
        bin = env!("CARGO_BIN_EXE_hostecho")
    );
    let out = Command::new("unshare")
        .args(["-n", "bash", "-c", &script])
        .env_remove("HOSTECHO_BIND")
        .env_remove("HOSTECHO_ALLOWED_HOSTS")
        .env("RUST_LOG_STYLE", "never")
        .stdin(Stdio::null())
        .output()
        .expect("run the namespace script");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        stdout,
        "192.0.2.7 200\n127.0.0.1 200\n[2001:db8::7] 200\n[::1] 200\n198.51.100.1 400\n\
         @self stands for 127.0.0.1, 192.0.2.7, [::1], [2001:db8::7]\n"
    );

    // `check` with a wildcard --local reads the same interfaces.
    let script = format!(
        "ip link set lo up && ip addr add 192.0.2.7/32 dev lo && \
         exec {} check -a @self --local 0.0.0.0:80 192.0.2.7 '[::1]'",
        env!("CARGO_BIN_EXE_hostecho")
    );
    let out = Command::new("unshare")
        .args(["-n", "bash", "-c", &script])
        .env_remove("HOSTECHO_ALLOWED_HOSTS")
        .stdin(Stdio::null())
        .output()
        .expect("run check in a namespace");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert!(lines[0].ends_with("matched=@self"), "{stdout}");
    // 0.0.0.0 is IPv4 only: the IPv6 loopback is not among its addresses.
    assert!(lines[1].contains("refused"), "{stdout}");
}

/// Whether `unshare -n` works here (root and util-linux); if not, says so, and fails
/// under `CI=true`.
fn private_network() -> bool {
    let works = support::installed("curl")
        && Command::new("unshare")
            .args(["-n", "true"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
    if !works {
        skip(
            "unshare -n or curl not available (a private network namespace, for binding 0.0.0.0 in tests/own_addresses.rs)",
            "run as root with util-linux's unshare and curl",
        );
    }
    works
}

/// Whether `[::1]` can be bound here.
fn ipv6_loopback() -> bool {
    let works = std::net::TcpListener::bind("[::1]:0").is_ok();
    if !works {
        skip(
            "no IPv6 loopback (tests/own_addresses.rs)",
            "enable IPv6 on lo",
        );
    }
    works
}
