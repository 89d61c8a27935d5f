//! The command line: help, version, start-up lines, and one-line errors for bad values.

mod support;

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, ToSocketAddrs};
use std::process::{Command, Stdio};

use support::{TestServer, read_response, run_cli};

#[test]
fn help_lists_every_flag_with_its_default_and_env_var() {
    let (code, out, _) = run_cli(&["--help"], &[]);
    assert_eq!(code, 0);
    for needle in [
        "--bind",
        "HOSTECHO_BIND",
        "127.0.0.1:8090",
        "--allowed-hosts",
        "HOSTECHO_ALLOWED_HOSTS",
        "--use-x-forwarded-host",
        "--trusted-proxies",
        "--max-header-bytes",
        "HOSTECHO_MAX_HEADER_BYTES",
        "[default: 8192]",
        "--max-headers",
        "[default: 100]",
        "--max-body-bytes",
        "[default: 1048576]",
        "--echo-body-bytes",
        "HOSTECHO_ECHO_BODY_BYTES",
        "[default: 16384]",
        "--header-timeout",
        "[default: 10]",
        "--idle-timeout",
        "[default: 30]",
        "Examples:",
        "curl -v 'http://localhost:8090/index.html?name=jack&age=18'",
    ] {
        assert!(out.contains(needle), "--help lacks {needle:?}:\n{out}");
    }
}

#[test]
fn version_prints_the_crate_version() {
    let (code, out, _) = run_cli(&["--version"], &[]);
    assert_eq!(code, 0);
    assert_eq!(
        out.trim(),
        format!("hostecho {}", env!("CARGO_PKG_VERSION"))
    );
}

/// Asserts a one-line error on stderr starting `error:` and containing `needle`,
/// nothing on stdout, and exit status 2, the documented status for bad input.
fn assert_one_line_error(args: &[&str], env: &[(&str, &str)], needle: &str) {
    assert_one_line_error_exiting(args, env, needle, 2);
}

/// As [`assert_one_line_error`], with the exit status expected.
fn assert_one_line_error_exiting(args: &[&str], env: &[(&str, &str)], needle: &str, status: i32) {
    let (code, out, err) = run_cli(args, env);
    assert_eq!(code, status, "{args:?}: exit status; stderr: {err}");
    assert!(err.starts_with("error: "), "{err:?}");
    assert!(out.is_empty(), "stdout should be empty: {out}");
    assert_eq!(
        err.trim_end().lines().count(),
        1,
        "one line expected:\n{err}"
    );
    assert!(err.contains(needle), "{needle:?} not in {err:?}");
    assert!(
        !err.contains("panicked") && !err.contains("backtrace"),
        "{err}"
    );
}

#[test]
fn unparsable_bind_address_is_one_line_error() {
    assert_one_line_error(
        &["--bind", "localhost:80:80"],
        &[],
        "invalid value 'localhost:80:80' for '--bind",
    );
}

#[test]
fn bad_number_is_one_line_error() {
    assert_one_line_error(&["--max-header-bytes", "lots"], &[], "--max-header-bytes");
    assert_one_line_error(&["--header-timeout", "0"], &[], "--header-timeout");
    assert_one_line_error(&["--max-headers", "-3"], &[], "--max-headers");
    assert_one_line_error(&["--echo-body-bytes", "-1"], &[], "--echo-body-bytes");
}

#[test]
fn bad_env_value_is_one_line_error() {
    assert_one_line_error(&[], &[("HOSTECHO_IDLE_TIMEOUT", "soon")], "--idle-timeout");
}

#[test]
fn bad_trusted_proxy_is_one_line_error() {
    assert_one_line_error(
        &["--trusted-proxies", "10.0.0.0/33"],
        &[],
        "is not a CIDR range",
    );
}

#[test]
fn port_in_use_is_one_line_error() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    // Not bad input: the machine refused. Status 1, as --help says.
    assert_one_line_error_exiting(
        &["--bind", &addr],
        &[],
        &format!("error: address {addr} is already in use"),
        1,
    );
}

#[test]
fn bad_allowed_host_pattern_is_one_line_error_naming_it() {
    assert_one_line_error(
        &["--bind", "127.0.0.1:0", "--allowed-hosts", "ex*ample.com"],
        &[],
        "ex*ample.com",
    );
}

#[test]
fn prints_one_listening_line_per_bind_with_the_real_port() {
    let server = TestServer::start(&["--bind", "127.0.0.1:0", "--bind", "127.0.0.1:0"]);
    assert_eq!(server.addrs.len(), 2);
    assert!(
        server
            .addrs
            .iter()
            .all(|a| a.ip().is_loopback() && a.port() != 0)
    );
    assert_ne!(server.addrs[0], server.addrs[1]);
}

#[test]
fn bind_from_env_is_comma_separated() {
    let server = TestServer::start_with(&[], &[("HOSTECHO_BIND", "127.0.0.1:0,127.0.0.1:0")]);
    assert_eq!(server.addrs.len(), 2);
}

#[test]
fn logs_that_a_loopback_bind_is_for_this_machine_only() {
    let server = TestServer::start_with(&[], &[("RUST_LOG", "info")]);
    // The `try:` line is the last of the start-up notes: wait for it, then look back.
    let log = server.wait_for_log("try: curl -v 'http://localhost:");
    assert!(log.contains("only this machine can connect"), "{log}");
    assert!(
        log.contains("allowing the defaults .localhost, 127.0.0.1, [::1]"),
        "{log}"
    );
}

#[test]
fn ipv6_loopback_bind_works_when_the_machine_has_it() {
    if std::net::TcpListener::bind("[::1]:0").is_err() {
        // To the stderr handle, so a plain `cargo test` shows it (libtest captures
        // eprintln!); not a failure under CI: IPv6 is the machine's, not a tool.
        let _ = std::io::Write::write_all(
            &mut std::io::stderr(),
            b"skipped: this machine has no IPv6 loopback (tests/cli.rs)\n",
        );
        return;
    }
    let server = TestServer::start(&["--bind", "[::1]:0"]);
    assert!(server.addr().is_ipv6());
    let r = server.send(b"GET / HTTP/1.1\r\nHost: [::1]\r\n\r\n");
    assert_eq!(r.status, 200, "{}", r.text());
}

#[test]
fn env_lists_may_have_spaces_after_commas() {
    let server = TestServer::start_with(
        &[],
        &[
            ("HOSTECHO_BIND", "127.0.0.1:0, 127.0.0.1:0"),
            ("HOSTECHO_ALLOWED_HOSTS", "a.example, localhost"),
            ("RUST_LOG", "info"),
        ],
    );
    assert_eq!(server.addrs.len(), 2);
    server.wait_for_log("allowed hosts: a.example, localhost");
}

#[test]
fn boolean_env_accepts_one_and_yes() {
    for value in ["1", "yes", "true", "on"] {
        let server = TestServer::start_with(
            &["--allowed-hosts", "public.example"],
            &[("HOSTECHO_USE_X_FORWARDED_HOST", value)],
        );
        let r = server
            .send(b"GET / HTTP/1.1\r\nHost: localhost\r\nX-Forwarded-Host: public.example\r\n\r\n");
        assert_eq!(r.status, 200, "{value}: {}", r.text());
    }
    assert_one_line_error(
        &[],
        &[("HOSTECHO_USE_X_FORWARDED_HOST", "maybe")],
        "--use-x-forwarded-host",
    );
}

#[test]
fn a_typo_in_a_flag_names_the_nearest_one() {
    assert_one_line_error(
        &["--bnid", "127.0.0.1:0"],
        &[],
        "a similar argument exists: '--bind'",
    );
}

#[test]
fn help_says_what_each_exit_status_means() {
    let (_, out, _) = run_cli(&["--help"], &[]);
    for needle in [
        "Exit status: 1 when the server cannot start",
        "2 for bad arguments",
    ] {
        assert!(out.contains(needle), "--help lacks {needle:?}:\n{out}");
    }
}

#[test]
fn help_wraps_to_the_terminal_width() {
    // clap asks the terminal for its width (`wrap_help`); with no terminal, as here,
    // it takes COLUMNS. Without the feature every line is as long as its text.
    let (code, out, _) = run_cli(&["--help"], &[("COLUMNS", "60")]);
    assert_eq!(code, 0);
    let long: Vec<&str> = out.lines().filter(|l| l.chars().count() > 60).collect();
    assert!(
        long.is_empty(),
        "lines wider than 60 columns:\n{}",
        long.join("\n")
    );
}

#[test]
fn an_unparsable_pattern_exits_2_like_every_other_bad_value() {
    assert_one_line_error(
        &["--bind", "127.0.0.1:0", "--allowed-hosts", "*example.com"],
        &[],
        "error: invalid --allowed-hosts pattern \"*example.com\"",
    );
    assert_one_line_error(
        &["--bind", "127.0.0.1:0"],
        &[("HOSTECHO_ALLOWED_HOSTS", "a b")],
        "\"a b\"",
    );
}

#[test]
fn a_name_in_bind_listens_on_every_address_it_resolves_to() {
    // localhost is in /etc/hosts (127.0.0.1, and ::1 where the machine lists it), so
    // resolving it asks no DNS server, and every address it gives is loopback.
    let mut expected: Vec<SocketAddr> = Vec::new();
    for addr in ("localhost", 0)
        .to_socket_addrs()
        .expect("localhost resolves")
    {
        let bindable = addr.is_ipv4() || TcpListener::bind("[::1]:0").is_ok();
        if bindable && !expected.contains(&addr) {
            expected.push(addr);
        }
    }
    assert!(
        expected.iter().all(|a| a.ip().is_loopback()),
        "{expected:?}"
    );
    let server = TestServer::start_expecting(
        &["--bind", "localhost:0"],
        &[("RUST_LOG", "info")],
        expected.len(),
    );
    let ips: Vec<_> = server.addrs.iter().map(SocketAddr::ip).collect();
    assert_eq!(ips, expected.iter().map(SocketAddr::ip).collect::<Vec<_>>());
    for addr in &server.addrs {
        let mut stream = support::connect(*addr);
        stream
            .write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
            .expect("write");
        assert_eq!(read_response(&mut stream).status, 200);
    }
}

#[test]
fn the_same_address_twice_is_bound_once() {
    let free = TcpListener::bind("127.0.0.1:0").expect("a free port");
    let port = free.local_addr().expect("its address").port();
    drop(free);
    let bind = format!("127.0.0.1:{port},localhost:{port},127.0.0.1:{port}");
    // localhost may add ::1; 127.0.0.1 must be there once.
    let extra = usize::from(
        ("localhost", port)
            .to_socket_addrs()
            .expect("localhost resolves")
            .any(|a| a.is_ipv6())
            && TcpListener::bind("[::1]:0").is_ok(),
    );
    let server = TestServer::start_expecting(&["--bind", &bind], &[], 1 + extra);
    assert_eq!(server.addrs[0].to_string(), format!("127.0.0.1:{port}"));
}

#[test]
fn a_wildcard_bind_is_followed_by_the_url_to_use() {
    // 0.0.0.0 would take connections from other machines: bind it only inside a
    // private network namespace that has nothing but loopback.
    let unshare = Command::new("unshare")
        .args(["-n", "true"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !unshare {
        support::skip(
            "unshare -n not available (a private network namespace, for binding 0.0.0.0 in tests/cli.rs)",
            "run as root with util-linux's unshare",
        );
        return;
    }
    // `exec`, so the process killed below is hostecho itself, and the namespace goes
    // with it.
    let script = format!(
        "ip link set lo up && exec {} --bind 0.0.0.0:8092",
        env!("CARGO_BIN_EXE_hostecho")
    );
    let child = Command::new("unshare")
        .args(["-n", "sh", "-c", &script])
        .env_remove("HOSTECHO_BIND")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start hostecho in a network namespace");
    let mut child = KillOnDrop(child);
    let mut stdout = BufReader::new(child.0.stdout.take().expect("piped"));
    let mut lines = Vec::new();
    for _ in 0..2 {
        let mut line = String::new();
        stdout.read_line(&mut line).expect("read stdout");
        lines.push(line.trim_end().to_owned());
    }
    drop(child);
    assert_eq!(lines[0], "listening on http://0.0.0.0:8092", "{lines:?}");
    assert_eq!(
        lines[1],
        "connect to http://localhost:8092/ from this machine \
         (0.0.0.0 means every address; it is not one to connect to)"
    );
}

#[test]
fn the_408_names_the_limit_and_the_flag() {
    let server = TestServer::start(&["--header-timeout", "1"]);
    let mut stream = server.connect();
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: loc")
        .expect("write half a head");
    let r = read_response(&mut stream);
    assert_eq!(r.status, 408);
    assert_eq!(
        r.text().trim_end(),
        "request header section was not received within 1 s (--header-timeout)"
    );
}

/// A child process that is killed when the test ends, however it ends.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
