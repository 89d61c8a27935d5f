//! hostecho behind Apache, HAProxy and Caddy (and nginx, for the table): what each
//! proxy sends, and the recipes of `examples/apache/`, `examples/haproxy/` and
//! `examples/caddy/`, run end to end.
//!
//! Run it with `cargo test --test proxies`. It needs Debian's `nginx-light`,
//! `apache2`, `haproxy` and `caddy`. Without one, its tests print
//! `skipped: … not installed` to stderr and pass, except under `CI=true`, where they
//! fail: `.ci/run` installs all four. `tests/support/proxy.rs` starts and stops the
//! proxies (its module doc says how); `tests/nginx.rs` runs nginx's own recipes.
//!
//! Two kinds of test are here:
//!
//! - **What each proxy sends.** A recorder stands where hostecho would and keeps the
//!   bytes of every request it gets: a visitor's request as the proxy forwards it, and
//!   the proxy's own health check. The measurement is the table of the book's chapter
//!   on health checks (`tutorial/src/ch13b-health-checks.md`), row for row, so the
//!   table cannot go stale.
//! - **Each recipe.** hostecho behind the proxy: the headers that arrive, the refusal
//!   of the failing configuration, the echo of the fix, and the health check's outcome
//!   as the proxy itself reports it — HAProxy's server state from its stats socket,
//!   Apache's member status from its balancer manager, Caddy's health checker from its
//!   log.
//! - **The chapter's sessions.** The chapter runs hostecho and HAProxy as a reader
//!   does; `chapter_sessions_match_what_hostecho_and_haproxy_do` (at the end) says how.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::process::Command;

#[path = "support/proxy.rs"]
mod proxy;
mod support;
#[path = "support/transcript.rs"]
mod transcript;

use proxy::{Proxy, ProxyProcess, Stack, Upstream};

// ---- what each proxy sends ------------------------------------------------------------

/// The visitor's request every measurement sends to the proxy: a Host the proxy has no
/// reason to keep or drop, and forwarding headers a visitor should not be able to set.
const VISITOR: &str = "GET /measure?x=1 HTTP/1.1\r\nHost: example.com:8090\r\n\
                       X-Forwarded-Host: evil.example\r\nX-Forwarded-For: 203.0.113.7\r\n\r\n";

/// What a proxy sent: the visitor's request as forwarded, and its health check (if
/// the recipe has one).
struct Sent {
    proxy: Proxy,
    recipe: String,
    forwarded: String,
    health: Option<String>,
}

impl Sent {
    /// Sends [`VISITOR`] through `forwarding` (a recipe with a recorder on 8091), and
    /// takes the health check from `checking` (the same recipe or another one).
    fn measure(proxy: Proxy, forwarding: &str, checking: Option<&str>) -> Option<Sent> {
        let stack = Stack::start(proxy, forwarding, &[Upstream::Recorder(8091)])?;
        let answer = stack.ask(8090, VISITOR);
        assert_eq!(answer.status, 200, "{answer:?}\n{}", stack.proxy_log());
        let forwarded = stack.wait_for_recorded(8091, "the visitor's request", |heads| {
            heads.iter().find(|h| h.contains("/measure?x=1")).cloned()
        });
        let health = checking.map(|checking| {
            let health_check =
                |heads: &[String]| heads.iter().find(|h| !h.contains("/measure?x=1")).cloned();
            if checking == forwarding {
                stack.wait_for_recorded(8091, "a health check", health_check)
            } else {
                let stack = Stack::start(proxy, checking, &[Upstream::Recorder(8091)])
                    .expect("installed: it just ran");
                stack.wait_for_recorded(8091, "a health check", health_check)
            }
        });
        Some(Sent {
            proxy,
            recipe: forwarding.to_owned(),
            forwarded,
            health,
        })
    }

    /// The book's table row for it.
    fn row(&self) -> String {
        let forwarded = Head::parse(&self.forwarded);
        let mut row = format!(
            "| {} (`{}`) | {} | {} | {} | {} | {} | {} |",
            self.proxy.name(),
            self.recipe,
            cell(forwarded.field("host")),
            cell(forwarded.field("x-forwarded-host")),
            cell(forwarded.field("x-forwarded-for")),
            cell(forwarded.field("via")),
            cell(Some(forwarded.version())),
            cell(forwarded.field("connection")),
        );
        match &self.health {
            None => row.push_str(" none | |"),
            Some(health) => {
                let health = Head::parse(health);
                let _ = write!(
                    row,
                    " `{}` | {} |",
                    health.request_line,
                    cell(health.field("host"))
                );
            }
        }
        row
    }
}

/// A table cell: the value as code, or "none".
fn cell(value: Option<&str>) -> String {
    value.map_or_else(|| "none".to_owned(), |v| format!("`{v}`"))
}

/// A recorded head, split into its request line and fields.
struct Head<'a> {
    request_line: &'a str,
    fields: Vec<(&'a str, &'a str)>,
}

impl<'a> Head<'a> {
    fn parse(head: &'a str) -> Head<'a> {
        let mut lines = head.split("\r\n").filter(|l| !l.is_empty());
        let request_line = lines.next().expect("a request line");
        let fields = lines
            .map(|l| {
                let (name, value) = l.split_once(':').expect("name: value");
                (name, value.trim())
            })
            .collect();
        Head {
            request_line,
            fields,
        }
    }

    /// The value of the field with this name (case-insensitive); several lines are
    /// joined with `, `, as RFC 9110 §5.3 allows for a list.
    fn field(&self, name: &str) -> Option<&'a str> {
        let mut values = self
            .fields
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v);
        let first = values.next();
        assert!(values.next().is_none(), "{name} sent twice");
        first
    }

    /// `HTTP/1.0` or `HTTP/1.1`.
    fn version(&self) -> &'a str {
        self.request_line.rsplit(' ').next().expect("a version")
    }

    /// The names of the fields, in order, lowercase.
    fn names(&self) -> Vec<String> {
        self.fields
            .iter()
            .map(|(n, _)| n.to_ascii_lowercase())
            .collect()
    }
}

/// The chapter on health checks, whose table these measurements must match.
const CHAPTER: &str = "tutorial/src/ch13b-health-checks.md";

fn chapter() -> String {
    std::fs::read_to_string(proxy::root().join(CHAPTER)).expect("the chapter on health checks")
}

/// The chapter's table row for `proxy`: the line that starts `| NAME (`.
fn expected_row(proxy: Proxy) -> String {
    let start = format!("| {} (", proxy.name());
    chapter()
        .lines()
        .find(|line| line.starts_with(&start))
        .unwrap_or_else(|| panic!("{CHAPTER} has no table row for {}", proxy.name()))
        .to_owned()
}

#[test]
fn what_nginx_sends_by_default() {
    // Open-source nginx has no active health check (nginx Plus's `health_check`): it
    // only stops using an upstream that fails real requests.
    let Some(sent) = Sent::measure(Proxy::Nginx, "proxy-without-host.conf", None) else {
        return;
    };
    assert_eq!(sent.row(), expected_row(Proxy::Nginx), "{}", sent.forwarded);
}

#[test]
fn what_apache_sends_by_default() {
    // default.conf has no health check (mod_proxy_hcheck checks only members that ask
    // for one, with `hcmethod`); preserve-host.conf has one.
    let Some(sent) = Sent::measure(Proxy::Apache, "default.conf", Some("preserve-host.conf"))
    else {
        return;
    };
    assert_eq!(
        sent.row(),
        expected_row(Proxy::Apache),
        "{}",
        sent.forwarded
    );
    let health = sent.health.as_deref().expect("measured");
    // The check is HTTP/1.0 with a Host and nothing else.
    assert_eq!(Head::parse(health).names(), ["host"], "{health}");
}

#[test]
fn what_haproxy_sends_by_default() {
    let Some(sent) = Sent::measure(
        Proxy::Haproxy,
        "health-check-fails.cfg",
        Some("health-check-fails.cfg"),
    ) else {
        return;
    };
    assert_eq!(
        sent.row(),
        expected_row(Proxy::Haproxy),
        "{}",
        sent.forwarded
    );
    // `option httpchk`'s request is the request line alone: not one header.
    let health = sent.health.as_deref().expect("measured");
    assert_eq!(health, "OPTIONS / HTTP/1.0\r\n\r\n");
}

#[test]
fn what_caddy_sends_by_default() {
    let Some(sent) = Sent::measure(
        Proxy::Caddy,
        "health-check-fails.Caddyfile",
        Some("health-check-fails.Caddyfile"),
    ) else {
        return;
    };
    assert_eq!(sent.row(), expected_row(Proxy::Caddy), "{}", sent.forwarded);
    let health = sent.health.as_deref().expect("measured");
    // Go's HTTP client: its User-Agent, and gzip offered.
    assert_eq!(
        Head::parse(health).names(),
        ["host", "user-agent", "accept-encoding"],
        "{health}"
    );
}

// ---- HAProxy ----------------------------------------------------------------------------

const HOSTECHO: &str = "-b 127.0.0.1:8091 -a example.com";

/// Waits until hostecho's log holds every one of `needles`. hostecho writes its log
/// once per turn of its loop, after the turn's responses: a proxy may act on an answer
/// before the line that logs it is out.
fn hostecho_logs(stack: &Stack, needles: &[&str]) {
    stack.wait(&format!("hostecho to log {needles:?}"), || {
        let log = stack.hostecho_log(0);
        needles.iter().all(|n| log.contains(n)).then_some(())
    });
}

/// Waits until HAProxy's last check of `hostecho/app` gave `check_status` and the
/// server's state is `status`.
fn haproxy_reports(stack: &Stack, status: &str, check_status: &str, check_code: &str) {
    stack.wait(
        &format!("HAProxy to report {status} after {check_status} {check_code}"),
        || {
            let server = stack.haproxy_server("hostecho", "app");
            (server.status == status
                && server.check_status == check_status
                && server.check_code == check_code)
                .then_some(())
        },
    );
}

#[test]
fn haproxy_default_health_check_is_refused_and_takes_hostecho_out() {
    let Some(stack) = Stack::start(
        Proxy::Haproxy,
        "health-check-fails.cfg",
        &[Upstream::Hostecho(HOSTECHO)],
    ) else {
        return;
    };
    haproxy_reports(&stack, "DOWN", "L7STS", "400");
    // hostecho refused the address HTTP/1.0 without Host falls back to.
    hostecho_logs(
        &stack,
        &[
            "Invalid HTTP_HOST header: '127.0.0.1:8091'",
            "\"OPTIONS / HTTP/1.0\" 400",
        ],
    );
    // No server left: HAProxy answers visitors itself.
    let answer = stack.get("/", "");
    assert_eq!(answer.status, 503, "{answer:?}");
    assert!(!answer.head.contains("hostecho"), "{answer:?}");
}

#[test]
fn haproxy_health_check_with_a_host_keeps_hostecho_up_and_visitors_are_echoed() {
    let Some(stack) = Stack::start(
        Proxy::Haproxy,
        "health-check-host.cfg",
        &[Upstream::Hostecho(HOSTECHO)],
    ) else {
        return;
    };
    haproxy_reports(&stack, "UP", "L7OK", "200");
    let answer = stack.get("/", "");
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.json()["host"], "example.com", "{answer:?}");
    // HAProxy passes the visitor's Host as it was sent, and adds nothing.
    assert_eq!(answer.echoed("Host"), ["example.com:8090"]);
    for name in ["X-Forwarded-Host", "X-Forwarded-For", "Via"] {
        assert!(answer.echoed(name).is_empty(), "{name}: {answer:?}");
    }
    // Every other host is still refused, by hostecho.
    let answer = stack.ask(8090, "GET / HTTP/1.1\r\nHost: evil.example\r\n\r\n");
    assert_eq!(answer.status, 400, "{answer:?}");
    assert!(answer.body.contains("'evil.example'"), "{answer:?}");
}

#[test]
fn haproxy_sets_x_forwarded_host_over_the_visitors_and_hostecho_trusts_it() {
    let Some(stack) = Stack::start(
        Proxy::Haproxy,
        "forwarded-host.cfg",
        &[Upstream::Hostecho(
            "-b 127.0.0.1:8091 -a example.com --use-x-forwarded-host --trusted-proxies 127.0.0.1/32",
        )],
    ) else {
        return;
    };
    haproxy_reports(&stack, "UP", "L7OK", "200");
    let answer = stack.get("/", "X-Forwarded-Host: evil.example\r\n");
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.echoed("X-Forwarded-Host"), ["example.com:8090"]);
    assert_eq!(answer.echoed("X-Forwarded-For"), ["127.0.0.1"]);
    assert!(answer.echoed("Via").is_empty(), "{answer:?}");
    let echo = answer.json();
    assert_eq!(echo["host"], "example.com", "{answer:?}");
    assert_eq!(
        echo["host_decision"]["source"], "X-Forwarded-Host",
        "{echo}"
    );
}

/// hostecho allowing only example.com, with `/healthz` as its health path.
const HOSTECHO_HEALTH: &str = "-b 127.0.0.1:8091 -a example.com --health-path /healthz";

/// Through the proxy, every path but the health path is still Host-checked by
/// hostecho, and the allowed host is echoed.
fn only_the_health_path_skips_the_host_check(stack: &Stack) {
    for target in ["/", "/healthz/x", "/healthz?x", "/healthzz"] {
        let answer = stack.ask(
            8090,
            &format!("GET {target} HTTP/1.1\r\nHost: evil.example\r\n\r\n"),
        );
        assert_eq!(answer.status, 400, "{target}: {answer:?}");
        assert!(
            answer
                .body
                .starts_with("Invalid HTTP_HOST header: 'evil.example'"),
            "{target}: {answer:?}"
        );
    }
    let answer = stack.get("/healthz?x", "");
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.json()["host"], "example.com", "{answer:?}");
}

#[test]
fn haproxy_checking_the_health_path_marks_hostecho_up_and_the_rest_stays_host_checked() {
    let Some(stack) = Stack::start(
        Proxy::Haproxy,
        "health-path.cfg",
        &[Upstream::Hostecho(HOSTECHO_HEALTH)],
    ) else {
        return;
    };
    haproxy_reports(&stack, "UP", "L7OK", "200");
    // HAProxy's check, as hostecho saw it: HTTP/1.0, no Host, answered at debug.
    hostecho_logs(
        &stack,
        &[
            "> GET /healthz HTTP/1.0",
            "health check: answered 200 without a Host check",
            "\"GET /healthz HTTP/1.0\" 200 3",
        ],
    );
    only_the_health_path_skips_the_host_check(&stack);
}

// ---- Apache -----------------------------------------------------------------------------

/// Waits until Apache's balancer manager shows `status` for the member on 8091.
fn apache_reports(stack: &Stack, status: &str) {
    stack.wait(&format!("Apache to show the member {status}"), || {
        (stack.apache_member_status(8091) == status).then_some(())
    });
}

/// Waits until hostecho has logged the access line of a health check of `path`
/// (mod_proxy_hcheck's requests are the only HTTP/1.0 ones here) with `status`.
fn hostecho_logs_check(stack: &Stack, path: &str, status: u16) {
    let line = format!("\"GET {path} HTTP/1.0\" {status} ");
    stack.wait(&format!("hostecho to log {line}"), || {
        stack.hostecho_log(0).contains(&line).then_some(())
    });
}

#[test]
fn apache_default_sends_its_upstreams_address_and_is_refused() {
    let Some(stack) = Stack::start(
        Proxy::Apache,
        "default.conf",
        &[Upstream::Hostecho(HOSTECHO)],
    ) else {
        return;
    };
    let answer = stack.get("/", "");
    assert_eq!(answer.status, 400, "{answer:?}");
    assert_eq!(
        stack.ports.to_book(&answer.body),
        "Invalid HTTP_HOST header: '127.0.0.1:8091'. You may need to add '127.0.0.1' to --allowed-hosts.\n"
    );
}

#[test]
fn apache_health_check_sends_the_members_address_and_fails_unless_it_is_allowed() {
    let Some(stack) = Stack::start(
        Proxy::Apache,
        "preserve-host.conf",
        &[Upstream::Hostecho(HOSTECHO)],
    ) else {
        return;
    };
    apache_reports(&stack, "Init HcFl");
    hostecho_logs_check(&stack, "/", 400);
    stack.wait("Apache to log that it disabled the member", || {
        stack
            .proxy_log()
            .contains("Health check DISABLING http://127.0.0.1:8091")
            .then_some(())
    });
    let answer = stack.get("/", "");
    assert_eq!(answer.status, 503, "{answer:?}");
}

#[test]
fn apache_preserve_host_passes_the_visitors_host_and_its_check_passes() {
    let Some(stack) = Stack::start(
        Proxy::Apache,
        "preserve-host.conf",
        &[Upstream::Hostecho("-b 127.0.0.1:8091 -a example.com,@self")],
    ) else {
        return;
    };
    hostecho_logs_check(&stack, "/", 200);
    assert_eq!(stack.apache_member_status(8091), "Init Ok");
    let answer = stack.get("/", "");
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.json()["host"], "example.com", "{answer:?}");
    assert_eq!(answer.echoed("Host"), ["example.com:8090"]);
    assert_eq!(answer.echoed("X-Forwarded-Host"), ["example.com:8090"]);
    assert_eq!(answer.echoed("X-Forwarded-For"), ["127.0.0.1"]);
    assert!(answer.echoed("Via").is_empty(), "{answer:?}");
}

#[test]
fn apache_appends_to_x_forwarded_host_and_hostecho_reads_the_last_value() {
    let Some(stack) = Stack::start(
        Proxy::Apache,
        "forwarded-host.conf",
        &[Upstream::Hostecho(
            "-b 127.0.0.1:8091 -a example.com,@self --use-x-forwarded-host --trusted-proxies 127.0.0.1/32",
        )],
    ) else {
        return;
    };
    hostecho_logs_check(&stack, "/", 200);
    let answer = stack.get("/", "X-Forwarded-Host: evil.example\r\n");
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(
        stack.ports.to_book(&answer.echoed("Host").join("")),
        "127.0.0.1:8091"
    );
    assert_eq!(
        answer.echoed("X-Forwarded-Host"),
        ["evil.example, example.com:8090"]
    );
    assert_eq!(answer.echoed("X-Forwarded-Server"), ["localhost"]);
    assert!(answer.echoed("Via").is_empty(), "{answer:?}");
    let echo = answer.json();
    assert_eq!(echo["host"], "example.com", "{answer:?}");
    assert_eq!(
        echo["host_decision"]["source"], "X-Forwarded-Host",
        "{echo}"
    );
}

#[test]
fn apache_checking_the_health_path_keeps_hostecho_in_and_the_rest_stays_host_checked() {
    let Some(stack) = Stack::start(
        Proxy::Apache,
        "health-path.conf",
        &[Upstream::Hostecho(HOSTECHO_HEALTH)],
    ) else {
        return;
    };
    hostecho_logs_check(&stack, "/healthz", 200);
    assert_eq!(stack.apache_member_status(8091), "Init Ok");
    // Apache's check carries the member's address, which example.com's policy refuses
    // on any other path.
    assert!(
        stack.hostecho_log(0).contains("> Host: 127.0.0.1:8091"),
        "{}",
        stack.hostecho_log(0)
    );
    only_the_health_path_skips_the_host_check(&stack);
    assert_eq!(stack.apache_member_status(8091), "Init Ok");
}

// ---- Caddy ------------------------------------------------------------------------------

// Caddy 2.6's admin API reports only what its passive checks count for each upstream
// (`GET /reverse_proxy/upstreams`: `num_requests`, `fails`), the same whether the active
// check passes or not; its active health checker reports in the log, at info when a check
// fails, and says nothing when one passes.

/// Caddy's line for a failed active health check.
const CADDY_CHECK_FAILED: &str = "\"msg\":\"status code out of tolerances\",\"status_code\":400";

#[test]
fn caddy_health_check_sends_the_upstreams_address_and_takes_hostecho_out() {
    let Some(stack) = Stack::start(
        Proxy::Caddy,
        "health-check-fails.Caddyfile",
        &[Upstream::Hostecho(HOSTECHO)],
    ) else {
        return;
    };
    stack.wait("Caddy to log a failed health check", || {
        stack.proxy_log().contains(CADDY_CHECK_FAILED).then_some(())
    });
    hostecho_logs(&stack, &["Invalid HTTP_HOST header: '127.0.0.1:8091'"]);
    // Caddy logs the failure just before it marks the upstream down: a visitor may
    // still get through for that instant, so ask until it is turned away.
    stack.wait("Caddy to answer visitors 503", || {
        (stack.get("/", "").status == 503).then_some(())
    });
    stack.wait("Caddy to log why", || {
        stack
            .proxy_log()
            .contains("no upstreams available")
            .then_some(())
    });
}

#[test]
fn caddy_health_check_with_a_host_keeps_hostecho_in() {
    let Some(stack) = Stack::start(
        Proxy::Caddy,
        "health-check-host.Caddyfile",
        &[Upstream::Hostecho(HOSTECHO)],
    ) else {
        return;
    };
    // Caddy logs nothing when a check passes: hostecho's access log shows that one
    // was answered 200, and the visitor's request then goes through.
    stack.wait("a health check answered 200", || {
        stack
            .hostecho_log(0)
            .contains("\"GET / HTTP/1.1\" 200 ")
            .then_some(())
    });
    let answer = stack.get("/", "X-Forwarded-Host: evil.example\r\n");
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.echoed("Host"), ["example.com:8090"]);
    // Caddy replaces a visitor's X-Forwarded-Host with the visitor's Host, and sets
    // X-Forwarded-For and X-Forwarded-Proto itself.
    assert_eq!(answer.echoed("X-Forwarded-Host"), ["example.com:8090"]);
    assert_eq!(answer.echoed("X-Forwarded-For"), ["127.0.0.1"]);
    assert_eq!(answer.echoed("X-Forwarded-Proto"), ["http"]);
    assert!(answer.echoed("Via").is_empty(), "{answer:?}");
    assert!(
        !stack.proxy_log().contains("out of tolerances"),
        "{}",
        stack.proxy_log()
    );
}

#[test]
fn caddy_forwarded_host_reaches_hostecho_under_the_upstreams_address() {
    let Some(stack) = Stack::start(
        Proxy::Caddy,
        "forwarded-host.Caddyfile",
        &[Upstream::Hostecho(
            "-b 127.0.0.1:8091 -a example.com --use-x-forwarded-host --trusted-proxies 127.0.0.1/32",
        )],
    ) else {
        return;
    };
    let answer = stack.get("/", "X-Forwarded-Host: evil.example\r\n");
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(
        stack.ports.to_book(&answer.echoed("Host").join("")),
        "127.0.0.1:8091"
    );
    assert_eq!(answer.echoed("X-Forwarded-Host"), ["example.com:8090"]);
    assert_eq!(answer.json()["host"], "example.com", "{answer:?}");
}

#[test]
fn caddy_checking_the_health_path_keeps_hostecho_in_and_the_rest_stays_host_checked() {
    let Some(stack) = Stack::start(
        Proxy::Caddy,
        "health-path.Caddyfile",
        &[Upstream::Hostecho(HOSTECHO_HEALTH)],
    ) else {
        return;
    };
    stack.wait("a health check answered 200", || {
        stack
            .hostecho_log(0)
            .contains("\"GET /healthz HTTP/1.1\" 200 3")
            .then_some(())
    });
    only_the_health_path_skips_the_host_check(&stack);
    assert!(
        !stack.proxy_log().contains("out of tolerances"),
        "{}",
        stack.proxy_log()
    );
}

// ---- the chapter's sessions -------------------------------------------------------------

/// The directory the chapter keeps HAProxy's pid file and stats socket in; a run uses a
/// fresh temporary directory in its place, in commands and in what they print.
const BOOK_DIR: &str = "/tmp/hostecho-course";

/// One thing the chapter shows of a shell, in page order.
enum PageItem {
    /// A console block of one `$ ` line that starts a server: hostecho
    /// (`cargo run --release -- ARGS`) or HAProxy (`haproxy … -f "$PWD/examples/…"`).
    /// It keeps running, as in the reader's terminal, until the page ends.
    Start { line: usize, command: String },
    /// A console block after `<!-- checked -->`: commands and what they print.
    Checked(Vec<transcript::Step>),
}

/// The chapter's console blocks this test runs, each a start or a checked session;
/// `<!-- session… -->` blocks are tests/tutorial.rs's. A block that is none of these is
/// an error, because a transcript nobody runs drifts.
fn page_items(text: &str) -> Vec<PageItem> {
    let lines: Vec<&str> = text.lines().collect();
    let mut items = Vec::new();
    let mut index = 0;
    while index < lines.len() {
        if lines[index].trim_end() != "```console" {
            index += 1;
            continue;
        }
        let at = format!("{CHAPTER}:{}", index + 1);
        let (block, after) = transcript::fenced_block(&lines, index)
            .unwrap_or_else(|| panic!("{at}: a console block that never closes"));
        let marker = index
            .checked_sub(1)
            .and_then(|i| transcript::comment(lines[i]));
        if marker.is_some_and(|m| m.starts_with("session")) {
            // `hostecho check` alone, run by tests/tutorial.rs like every chapter's
            // sessions.
        } else if marker == Some("checked") {
            items.push(PageItem::Checked(transcript::steps_of(
                &block,
                index + 2,
                &at,
            )));
        } else {
            let [only] = block.as_slice() else {
                panic!(
                    "{at}: a console block is a start (one `$ ` line) or follows <!-- checked -->"
                )
            };
            let command = only
                .strip_prefix("$ ")
                .filter(|c| c.starts_with("cargo run --release -- ") || c.starts_with("haproxy "))
                .unwrap_or_else(|| {
                    panic!("{at}: a start runs `cargo run --release -- ARGS` or `haproxy …`")
                });
            items.push(PageItem::Start {
                line: index + 2,
                command: command.to_owned(),
            });
        }
        index = after;
    }
    items
}

/// Runs the chapter as a reader does, page order: each start starts its program (the
/// binary cargo built for hostecho; HAProxy on the recipe the command names, written
/// with the run's ports into the run's directory), each `$ ` command of a checked block
/// runs with `bash -c` in that directory (`cargo run --quiet --` is the built binary,
/// `/tmp/hostecho-course` the directory), and what it prints must equal the book's lines
/// after the normalisation of `tests/support/transcript.rs` (book ports, dates, curl's
/// version). Everything started is stopped at the end, HAProxy first.
#[test]
fn chapter_sessions_match_what_hostecho_and_haproxy_do() {
    if !Proxy::Haproxy.available() {
        return;
    }
    for tool in ["curl", "nc"] {
        if !support::installed(tool) {
            support::skip(
                &format!("{tool} not installed (tests/proxies.rs)"),
                "install it (.ci/run does)",
            );
            return;
        }
    }
    let text = chapter();
    let items = page_items(&text);
    let ports = transcript::PortMap::for_text(&text, false);
    let dir = transcript::TempDir::new("ch13b");
    let run_dir = dir.path().display().to_string();
    let to_run = |book: &str| ports.to_run(&book.replace(BOOK_DIR, &run_dir));
    let bin = env!("CARGO_BIN_EXE_hostecho");
    // Dropped in reverse order: HAProxy before the hostecho behind it.
    let mut servers = Vec::new();
    let mut proxies = Vec::new();
    let mut failures = Vec::new();
    for item in &items {
        match item {
            PageItem::Start { line, command } => {
                if let Some(args) = command.strip_prefix("cargo run --release -- ") {
                    let mut hostecho = Command::new(bin);
                    hostecho.args(to_run(args).split_whitespace());
                    servers.push(
                        transcript::Running::start_server(hostecho, dir.path()).unwrap_or_else(
                            |printed| panic!("{CHAPTER}:{line}: {}", printed.join("\n")),
                        ),
                    );
                } else {
                    let name = command
                        .split("examples/haproxy/")
                        .nth(1)
                        .and_then(|rest| rest.split('"').next())
                        .unwrap_or_else(|| {
                            panic!("{CHAPTER}:{line}: no examples/haproxy/FILE in {command:?}")
                        });
                    let conf = std::fs::read_to_string(Proxy::Haproxy.examples().join(name))
                        .unwrap_or_else(|e| panic!("{CHAPTER}:{line}: {name}: {e}"));
                    let copy = dir.path().join(name);
                    std::fs::write(&copy, ports.to_run(&conf)).expect("write the recipe");
                    let command = to_run(command).replace(
                        &format!("\"$PWD/examples/haproxy/{name}\""),
                        &format!("'{}'", copy.display()),
                    );
                    let mut bash = Command::new("bash");
                    bash.arg("-c").arg(format!("exec {command}"));
                    let listen = SocketAddr::from(([127, 0, 0, 1], ports.run_port(8090)));
                    proxies.push(ProxyProcess::start(
                        Proxy::Haproxy,
                        bash,
                        dir.path(),
                        listen,
                    ));
                }
            }
            PageItem::Checked(steps) => {
                for step in steps {
                    let command = to_run(
                        &step
                            .command
                            .replace("cargo run --quiet -- ", &format!("{bin} ")),
                    );
                    let mut bash = Command::new("bash");
                    bash.arg("-c").arg(&command);
                    let (printed, status) = transcript::Running::start(bash, dir.path())
                        .finish(transcript::COMMAND_PATIENCE);
                    let printed: Vec<String> = printed
                        .iter()
                        .map(|l| l.replace(&run_dir, BOOK_DIR))
                        .collect();
                    if status.is_none() {
                        failures.push(format!(
                            "{CHAPTER}:{}: `$ {}` took longer than {:?}",
                            step.line,
                            step.command,
                            transcript::COMMAND_PATIENCE
                        ));
                    } else if let Some(diff) = transcript::compare(&step.expected, &printed, &ports)
                    {
                        failures.push(format!(
                            "{CHAPTER}:{}: the output of `$ {}` is not the one in the book \
                             (- book, + now):\n{diff}",
                            step.line, step.command
                        ));
                    }
                }
            }
        }
    }
    if !failures.is_empty() {
        let logs: Vec<String> = proxies
            .iter()
            .map(|p: &ProxyProcess| p.printed().join("\n"))
            .chain(servers.iter().map(|s| s.printed().join("\n")))
            .collect();
        panic!(
            "\n{}\n\nwhat they printed:\n{}",
            failures.join("\n\n"),
            logs.join("\n---\n")
        );
    }
    drop(proxies);
    drop(servers);
}
