//! The command line: help, version, start-up lines, and one-line errors for bad values.

mod support;

use std::net::TcpListener;

use support::{TestServer, run_cli};

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

/// Asserts a one-line error on stderr containing `needle`, nothing on stdout, and a
/// non-zero exit.
fn assert_one_line_error(args: &[&str], env: &[(&str, &str)], needle: &str) {
    let (code, out, err) = run_cli(args, env);
    assert_ne!(code, 0, "{args:?} should fail");
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
    assert_one_line_error(
        &["--bind", &addr],
        &[],
        &format!("error: address {addr} is already in use"),
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
    let log = server.wait_for_log("only this machine can connect");
    assert!(
        log.contains("allowing the defaults .localhost, 127.0.0.1, [::1]"),
        "{log}"
    );
    assert!(log.contains("try: curl -v 'http://localhost:"), "{log}");
}

#[test]
fn ipv6_loopback_bind_works_when_the_machine_has_it() {
    if std::net::TcpListener::bind("[::1]:0").is_err() {
        eprintln!("skipped: this machine has no IPv6 loopback");
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
