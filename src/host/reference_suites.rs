//! The reference suites, ported: the Host tests of Django, Starlette, Rails, Go and
//! nginx, each row citing where it comes from. Rows where hostecho answers differently
//! on purpose say why.

use super::tests::*;
use super::*;

// ---- the reference suites -----------------------------------------------------

/// Django, `tests/requests_tests/tests.py`, `HostValidationTests.test_http_get_host`.
/// `SERVER_NAME` has no equivalent: without Host we fall back to the local
/// address (covered by `http10_without_host_falls_back_to_local_address`).
#[test]
fn ports_django_test_http_get_host() {
    let p = policy(&[
        "forward.com",
        "example.com",
        "internal.com",
        "12.34.56.78",
        "[2001:19f0:feee::dead:beef:cafe]",
        "xn--4ca9at.com",
        ".multitenant.com",
        "INSENSITIVE.com",
        "[::ffff:169.254.169.254]",
    ]);
    // X-Forwarded-Host is ignored when USE_X_FORWARDED_HOST is off.
    let r = host(b"example.com")
        .with("X-Forwarded-Host", b"forward.com")
        .decide(&p);
    assert_eq!(r, allowed("example.com", None, HostSource::Host));
    let legit: &[&[u8]] = &[
        b"example.com",
        b"example.com:80",
        b"12.34.56.78",
        b"12.34.56.78:443",
        b"[2001:19f0:feee::dead:beef:cafe]",
        b"[2001:19f0:feee::dead:beef:cafe]:8080",
        b"xn--4ca9at.com",
        b"anything.multitenant.com",
        b"multitenant.com",
        b"insensitive.com",
        b"example.com.",
        b"example.com.:80",
        b"[::ffff:169.254.169.254]",
    ];
    for value in legit {
        assert!(host(value).decide(&p).is_ok(), "{value:?}");
    }
    let poisoned: &[&[u8]] = &[
        b"example.com@evil.tld",
        b"example.com:dr.frankenstein@evil.tld",
        b"example.com:dr.frankenstein@evil.tld:80",
        b"example.com:80/badpath",
        b"example.com: recovermypassword.com",
        b"other.com",
        b"example.com..",
    ];
    for value in poisoned {
        assert!(host(value).decide(&p).is_err(), "{value:?}");
    }
}

/// Django, `tests/requests_tests/tests.py`,
/// `test_http_get_host_with_x_forwarded_host` (ALLOWED_HOSTS=["*"]).
#[test]
fn ports_django_test_http_get_host_with_x_forwarded_host() {
    let p = policy_with(&["*"], true, &[]);
    let r = host(b"example.com")
        .with("X-Forwarded-Host", b"forward.com")
        .decide(&p);
    assert_eq!(r, allowed("forward.com", None, HostSource::XForwardedHost));
    let r = host(b"example.com").decide(&p);
    assert_eq!(r, allowed("example.com", None, HostSource::Host));
    let legit: &[&[u8]] = &[
        b"example.com",
        b"example.com:80",
        b"12.34.56.78",
        b"12.34.56.78:443",
        b"[2001:19f0:feee::dead:beef:cafe]",
        b"[2001:19f0:feee::dead:beef:cafe]:8080",
        b"xn--4ca9at.com",
    ];
    for value in legit {
        assert!(host(value).decide(&p).is_ok(), "{value:?}");
    }
    let poisoned: &[&[u8]] = &[
        b"example.com@evil.tld",
        b"example.com:dr.frankenstein@evil.tld",
        b"example.com:dr.frankenstein@evil.tld:80",
        b"example.com:80/badpath",
        b"example.com: recovermypassword.com",
    ];
    for value in poisoned {
        assert_eq!(
            kind(host(value).decide(&p)),
            Some(RejectionKind::InvalidSyntax),
            "{value:?}"
        );
    }
}

/// Django, `tests/requests_tests/tests.py`, `test_get_host_suggestion_of_allowed_host`.
/// Same sentences, with `--allowed-hosts` for `ALLOWED_HOSTS`. Django's list is
/// empty with DEBUG off (so nothing is allowed); we use a pattern nothing matches.
#[test]
fn ports_django_test_get_host_suggestion_of_allowed_host() {
    let p = policy(&["nothing.invalid"]);
    let suggestion = |raw: &str, host: &str| {
        format!(
            "Invalid HTTP_HOST header: '{raw}'. You may need to add '{host}' to --allowed-hosts."
        )
    };
    for value in [
        "example.com",
        "12.34.56.78",
        "[2001:19f0:feee::dead:beef:cafe]",
        "xn--4ca9at.com",
    ] {
        let r = host(value.as_bytes()).decide(&p).unwrap_err();
        assert_eq!(r.message, suggestion(value, value));
    }
    for (domain, port) in [
        ("example.com", 80),
        ("12.34.56.78", 443),
        ("[2001:19f0:feee::dead:beef:cafe]", 8080),
    ] {
        let value = format!("{domain}:{port}");
        let r = host(value.as_bytes()).decide(&p).unwrap_err();
        assert_eq!(r.message, suggestion(&value, domain));
    }
    let poisoned = [
        "example.com@evil.tld",
        "example.com:dr.frankenstein@evil.tld",
        "example.com:dr.frankenstein@evil.tld:80",
        "example.com:80/badpath",
        "example.com: recovermypassword.com",
        "invalid_hostname.com",
    ];
    for value in poisoned {
        let r = host(value.as_bytes()).decide(&p).unwrap_err();
        assert_eq!(
            r.message,
            format!(
                "Invalid HTTP_HOST header: '{value}'. The domain name provided is not valid according to RFC 1034/1035."
            )
        );
    }
}

/// Rails, `actionpack/test/dispatch/host_authorization_test.rb`: the hostile
/// `X-Forwarded-Host` values ("lots of NG hosts" and its neighbours), sent by a
/// trusted proxy with forwarding on.
///
/// Deviation: Rails checks Host *and* X-Forwarded-Host ("blocks requests with
/// spoofed X-FORWARDED-HOST"); hostecho, like Django, lets a trusted proxy's
/// X-Forwarded-Host replace Host, and ignores it entirely otherwise. Rails's
/// spoofing tests are therefore ported with forwarding off (the default).
#[test]
fn ports_rails_hostile_x_forwarded_host() {
    let p = policy_with(&["example.com"], true, &[]);
    let ng_hosts: &[&[u8]] = &[
        b"hacker%E3%80%82com",
        b"hacker%00.com",
        b"www.theirsite.com@yoursite.com",
        b"hacker.com/test/",
        b"hacker%252ecom",
        b".hacker.com",
        b"////hacker.com/",
        b"/hacker.com",
        b"../hacker.com",
        b"@hacker.com",
        b"hacker.com",
        b"hacker.com%23@example.com",
        b"hacker.com/.jpg",
        b"hacker.com\texample.com/",
        b"hacker.com/example.com",
        b"hacker.com@example.com",
        b"hacker.com/",
        b"//randomhost.com",
    ];
    for value in ng_hosts {
        let r = host(b"example.com")
            .with("X-Forwarded-Host", value)
            .decide(&p);
        assert!(r.is_err(), "{:?}", String::from_utf8_lossy(value));
    }
    // "forwarded secondary hosts are allowed when permitted" / "... blocked when mismatch"
    let p = policy_with(&[".domain.com"], true, &[]);
    let r = host(b"domain.com")
        .with("X-Forwarded-Host", b"example.com, my-sub.domain.com")
        .decide(&p);
    assert_eq!(
        r,
        allowed("my-sub.domain.com", None, HostSource::XForwardedHost)
    );
    let p = policy_with(&["domain.com"], true, &[]);
    let r = host(b"domain.com")
        .with("X-Forwarded-Host", b"domain.com, evil.com")
        .decide(&p)
        .unwrap_err();
    assert!(r.message.contains("add 'evil.com'"), "{}", r.message);
    // "forwarded hosts should be permitted" (Rails: a subdomain of an exact pattern is blocked)
    let r = host(b"domain.com")
        .with("X-Forwarded-Host", b"sub.domain.com")
        .decide(&p);
    assert_eq!(kind(r), Some(RejectionKind::NotAllowed));
    // "blocks requests with spoofed X-FORWARDED-HOST", "detects localhost domain spoofing"
    let p = policy(&["127.0.0.1", "localhost"]);
    for spoof in [&b"127.0.0.1"[..], b"localhost"] {
        let r = host(b"www.example.com")
            .with("X-Forwarded-Host", spoof)
            .decide(&p)
            .unwrap_err();
        assert!(r.message.contains("add 'www.example.com'"), "{}", r.message);
    }
    // "blocks requests with invalid hostnames", "does not allow domain name
    // notation in the HOST header itself"
    let p = policy(&[".example.com"]);
    for value in [&b"attacker.com#x.example.com"[..], b".example.com"] {
        assert_eq!(
            kind(host(value).decide(&p)),
            Some(RejectionKind::InvalidSyntax)
        );
    }
}

/// Go, `src/net/http/serve_test.go`, `TestServerValidatesHostHeader`, at the
/// policy level (with `*`, since Go has no allow-list): the version and
/// field-line rules. The values alone are in `syntax::tests`.
#[test]
fn ports_go_test_server_validates_host_header_rules() {
    let p = policy(&["*"]);
    // {"HTTP/1.1", "", 400}
    assert_eq!(kind(req(&[]).decide(&p)), Some(RejectionKind::Missing));
    // {"HTTP/1.1", "Host: \r\n", 200}: deviation, we refuse an empty Host
    // (RFC 9110 §4.2.1) unless the target is absolute-form.
    assert_eq!(kind(host(b"").decide(&p)), Some(RejectionKind::Empty));
    // {"HTTP/1.1", "Host: first\r\nHost: second\r\n", 400} and the same in 1.0
    let two = req(&[("Host", b"first"), ("Host", b"second")]);
    assert_eq!(kind(two.decide(&p)), Some(RejectionKind::Duplicate));
    assert_eq!(
        kind(two.http10().decide(&p)),
        Some(RejectionKind::Duplicate)
    );
    // {"HTTP/1.0", "", 200}
    assert!(req(&[]).http10().decide(&p).is_ok());
    // {"HTTP/1.0", "Host: \xff\r\n", 400}
    assert_eq!(
        kind(host(b"\xff").http10().decide(&p)),
        Some(RejectionKind::InvalidSyntax)
    );
    // {"CONNECT golang.org:443 HTTP/1.1", "", 200}: deviation, CONNECT is not
    // special here (hostecho is not a proxy), so a missing Host is refused.
}

/// nginx-tests, `http_host.t`: the absolute-form half (`GET http://$host/ HTTP/1.0`
/// with `Host: localhost`), and "host repeat" as two field lines.
#[test]
fn ports_nginx_http_host_t_absolute_form() {
    let p = policy(&["*"]);
    let table = [
        ("abcd-ef.g02.xyz", "abcd-ef.g02.xyz", None),
        ("www.abcd-ef.g02.xyz:10", "www.abcd-ef.g02.xyz", Some(10)),
        ("www.abcd-ef.g02.xyz.", "www.abcd-ef.g02.xyz", None),
        ("abcd-ef.g02.xyz.:2", "abcd-ef.g02.xyz", Some(2)),
        ("AbC-d93.0.34ZhGt-s.nk.Ru", "abc-d93.0.34zhgt-s.nk.ru", None),
        ("123.49.0.78", "123.49.0.78", None),
        ("123.40.56.78:123", "123.40.56.78", Some(123)),
        ("[abcd::ef98:0:7654:321]", "[abcd::ef98:0:7654:321]", None),
        (
            "[abcd::ef98:0:7654:321]:5",
            "[abcd::ef98:0:7654:321]",
            Some(5),
        ),
        (
            "[::ffff:12.30.67.89]:4321",
            "[::ffff:12.30.67.89]",
            Some(4321),
        ),
    ];
    for (authority, want, port) in table {
        let r = host(b"localhost").http10().absolute(authority).decide(&p);
        assert_eq!(
            r,
            allowed(want, port, HostSource::AbsoluteForm),
            "{authority}"
        );
    }
    for authority in [
        "\\e/xample.com",
        "com.exa-m.45..:",
        "[abcd\\::ef98:0:7654:321/]:12",
        "[ab..cd::ef98:0:7654:321]",
    ] {
        let r = host(b"localhost").http10().absolute(authority).decide(&p);
        assert_eq!(kind(r), Some(RejectionKind::InvalidSyntax), "{authority}");
    }
    let repeat = req(&[("Host", b"localhost"), ("Host", b"again")]).http10();
    assert_eq!(kind(repeat.decide(&p)), Some(RejectionKind::Duplicate));
}
