//! The `hostecho` command: parse the command line, set up logging, bind, serve.
//!
//! Everything interesting lives in the library; this file only turns flags and
//! environment variables into a [`Config`], and turns start-up errors into one line on
//! stderr and a non-zero exit.

use std::io::{IsTerminal, Write};
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use ipnet::IpNet;

use hostecho::Server;
use hostecho::check::{self, CheckError, CheckOptions, Checker, RequestShape};
use hostecho::config::{Config, DEFAULT_BIND};
use hostecho::health::HealthPath;
use hostecho::host::PolicyOptions;
use hostecho::http::Limits;
use hostecho::server::log_output::BufferedLogger;

const EXAMPLES: &str = "\
Examples:
  hostecho
      serve on 127.0.0.1:8090; then try:
      curl -v 'http://localhost:8090/index.html?name=jack&age=18'
  curl -H 'Accept: application/json' http://localhost:8090/
      the same echo, as JSON
  RUST_LOG=debug hostecho
      also log every header of every request
  hostecho --bind 0.0.0.0:8090 --allowed-hosts myhost.example,192.0.2.10
      let other machines connect, by those names
  hostecho --bind 127.0.0.1:8090 --use-x-forwarded-host --trusted-proxies 127.0.0.1/32
      behind a local reverse proxy that sets X-Forwarded-Host
  hostecho --bind 0.0.0.0:8090 --allowed-hosts app.example,@self --health-path /healthz
      behind a load balancer: allow the Hosts that name this machine's own addresses,
      and answer checks of /healthz whatever their Host
  hostecho check --allowed-hosts .example.com --compare example.com evil.example
      say whether the server would allow those Hosts, and why, next to Django and Starlette

Logging: RUST_LOG=debug (or trace) sets hostecho's own level; other crates stay at warn
unless RUST_LOG names them, e.g. RUST_LOG=debug,mio=trace.

Exit status: 1 when the server cannot start (an address in use, a port that needs
privileges), 2 for bad arguments (a flag, an environment variable, an --allowed-hosts
pattern); every start-up error is one line on stderr that starts with 'error:'.";

const CHECK_EXAMPLES: &str = "\
Examples:
  hostecho check --allowed-hosts '.example.com,*.example.org' example.com EVIL.example.com:8080 example.com:evil
      one line per value: allowed (host, port, source, matching pattern) or refused (the message)
  hostecho check --allowed-hosts example.com --compare --json example.com Example.com:80
      one JSON object per value, with what Django and Starlette would answer
  hostecho check --use-x-forwarded-host --trusted-proxies 10.0.0.0/8 --peer 10.0.0.2 \\
      --header 'X-Forwarded-Host: evil.example' localhost
      which header counts for a request from a trusted proxy
  printf 'example.com\\nexample.org\\n' | hostecho check --allowed-hosts example.com -
      values from stdin, one per line

Exit status: 0 when every value is allowed, 1 when any is refused, 2 for bad arguments.";

/// hostecho: an HTTP server that echoes back the request it parsed, after checking
/// its Host header.
#[derive(Debug, Parser)]
#[command(version, after_help = EXAMPLES, args_conflicts_with_subcommands = true)]
struct Args {
    /// Instead of serving, run a subcommand.
    #[command(subcommand)]
    command: Option<Command>,

    /// Address to listen on: IPv4, [IPv6] or a name (localhost) with a port; a name is
    /// bound on every address it resolves to; port 0 picks a free one. Repeat the flag,
    /// or separate with commas, to listen on several.
    #[arg(short, long, value_name = "ADDR", env = "HOSTECHO_BIND", value_delimiter = ',',
          default_value = DEFAULT_BIND, value_parser = parse_bind)]
    bind: Vec<BindAddrs>,

    /// Hosts to answer for: example.com, .example.com (and subdomains), *.example.com
    /// (subdomains only), *, IP literals, CIDR ranges, @self (the addresses listened on;
    /// for 0.0.0.0 or [::], this machine's). Repeatable, comma-separated.
    /// Default: .localhost, 127.0.0.1, [::1].
    #[arg(
        short,
        long,
        value_name = "PATTERNS",
        env = "HOSTECHO_ALLOWED_HOSTS",
        value_delimiter = ','
    )]
    allowed_hosts: Vec<String>,

    /// Let X-Forwarded-Host (or Forwarded: host=) replace Host, as behind a reverse proxy.
    #[arg(long, env = "HOSTECHO_USE_X_FORWARDED_HOST",
          value_parser = clap::builder::BoolishValueParser::new())]
    use_x_forwarded_host: bool,

    /// Honour forwarding headers only from peers in these CIDR ranges (e.g. 10.0.0.0/8).
    /// Default: every peer, when --use-x-forwarded-host is on.
    #[arg(long, value_name = "CIDRS", env = "HOSTECHO_TRUSTED_PROXIES", value_delimiter = ',', value_parser = parse_cidr)]
    trusted_proxies: Vec<IpNet>,

    /// Answer a GET or HEAD of exactly this path (no query; any Host or none; any HTTP
    /// version) with 200 "ok", before the Host check: for load balancers' health checks,
    /// which send no Host or an IP. Only a constant answer may skip the check: it
    /// reveals nothing and builds no link from the Host. Off by default. E.g. /healthz.
    #[arg(long, value_name = "PATH", env = "HOSTECHO_HEALTH_PATH", value_parser = parse_health_path)]
    health_path: Option<HealthPath>,

    /// Largest request head (request line and headers) in bytes; larger gets 431 (414 for the line alone).
    #[arg(long, value_name = "BYTES", env = "HOSTECHO_MAX_HEADER_BYTES",
        allow_negative_numbers = true, default_value_t = 8192,
          value_parser = clap::value_parser!(u64).range(64..=1 << 20))]
    max_header_bytes: u64,

    /// Most header lines in a request; more gets 431.
    #[arg(long, value_name = "COUNT", env = "HOSTECHO_MAX_HEADERS",
        allow_negative_numbers = true, default_value_t = 100,
          value_parser = clap::value_parser!(u64).range(1..=10_000))]
    max_headers: u64,

    /// Largest request body in bytes; larger gets 413 without being read.
    #[arg(long, value_name = "BYTES", env = "HOSTECHO_MAX_BODY_BYTES",
        allow_negative_numbers = true, default_value_t = 1024 * 1024)]
    max_body_bytes: u64,

    /// Seconds a client may take to send a whole request head once it has started; then 408.
    #[arg(long, value_name = "SECONDS", env = "HOSTECHO_HEADER_TIMEOUT",
        allow_negative_numbers = true, default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..=86_400))]
    header_timeout: u64,

    /// Seconds a connection may sit idle between requests (or stall) before it is closed.
    #[arg(long, value_name = "SECONDS", env = "HOSTECHO_IDLE_TIMEOUT",
        allow_negative_numbers = true, default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..=86_400))]
    idle_timeout: u64,

    /// Seconds a whole request body may take to arrive once its head is complete,
    /// however it trickles in; then 408.
    #[arg(long, value_name = "SECONDS", env = "HOSTECHO_BODY_TIMEOUT",
        allow_negative_numbers = true, default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..=86_400))]
    body_timeout: u64,

    /// Most connections open at once; past it a new one is answered 503 and closed.
    #[arg(long, value_name = "COUNT", env = "HOSTECHO_MAX_CONNECTIONS",
        allow_negative_numbers = true, default_value_t = 10_000,
          value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    max_connections: u64,

    /// On SIGINT or SIGTERM, seconds to let requests in flight finish before exiting
    /// anyway (a second signal exits at once).
    #[arg(long, value_name = "SECONDS", env = "HOSTECHO_SHUTDOWN_GRACE",
        allow_negative_numbers = true, default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(0..=86_400))]
    shutdown_grace: u64,

    /// Event loops to run, one thread each, sharing every address with SO_REUSEPORT.
    #[arg(long, value_name = "N", env = "HOSTECHO_WORKERS",
        allow_negative_numbers = true, default_value_t = 1,
          value_parser = clap::value_parser!(u64).range(1..=256))]
    workers: u64,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check Host values against the Host policy, as the server would decide them, and
    /// say why each is allowed or refused.
    #[command(after_help = CHECK_EXAMPLES)]
    Check(CheckArgs),
}

/// `hostecho check`: each VALUE is the Host header of an HTTP/1.1 request from
/// 127.0.0.1, unless the options below shape the request otherwise.
#[derive(Debug, clap::Args)]
struct CheckArgs {
    /// Host values to check; '-' reads more from stdin, one per line.
    #[arg(value_name = "VALUE", value_parser = clap::builder::OsStringValueParser::new(),
          conflicts_with = "no_host")]
    values: Vec<std::ffi::OsString>,

    /// Hosts the server answers for, as for the server itself. Default: .localhost,
    /// 127.0.0.1, [::1] (and, with --compare, each framework's own default).
    #[arg(
        short,
        long,
        value_name = "PATTERNS",
        env = "HOSTECHO_ALLOWED_HOSTS",
        value_delimiter = ','
    )]
    allowed_hosts: Vec<String>,

    /// Let X-Forwarded-Host (or Forwarded: host=) replace Host, as for the server itself.
    #[arg(long, env = "HOSTECHO_USE_X_FORWARDED_HOST",
          value_parser = clap::builder::BoolishValueParser::new())]
    use_x_forwarded_host: bool,

    /// Honour forwarding headers only from peers in these CIDR ranges, as for the server.
    #[arg(long, value_name = "CIDRS", env = "HOSTECHO_TRUSTED_PROXIES", value_delimiter = ',', value_parser = parse_cidr)]
    trusted_proxies: Vec<IpNet>,

    /// The address the request comes from.
    #[arg(long, value_name = "IP", default_value = "127.0.0.1", value_parser = parse_ip)]
    peer: std::net::IpAddr,

    /// Another header of the request, e.g. 'X-Forwarded-Host: a.example'. Repeatable.
    #[arg(short = 'H', long = "header", value_name = "'NAME: VALUE'")]
    headers: Vec<String>,

    /// The request target; an absolute-form one (http://a.example/) names the host.
    #[arg(long, value_name = "TARGET", default_value = "/")]
    target: String,

    /// Make it an HTTP/1.0 request (which may leave out Host).
    #[arg(long)]
    http10: bool,

    /// Check one request without a Host header instead of values.
    #[arg(long)]
    no_host: bool,

    /// The address of the socket that accepted the request: the host of last resort
    /// for HTTP/1.0 without Host, and what @self stands for (0.0.0.0 or [::]: this
    /// machine's interface addresses).
    #[arg(long, value_name = "ADDR", default_value = check::DEFAULT_LOCAL, value_parser = parse_socket_addr)]
    local: SocketAddr,

    /// One JSON object per line and value: value, allowed, host, port, source,
    /// matched, message (and django, starlette with --compare).
    #[arg(long)]
    json: bool,

    /// Also say what Django's ALLOWED_HOSTS (5.2, DEBUG off) and Starlette's
    /// TrustedHostMiddleware (1.7 and later) would answer, given the same patterns.
    #[arg(long)]
    compare: bool,

    /// With --compare: Django with DEBUG on (an empty ALLOWED_HOSTS then means
    /// .localhost, 127.0.0.1, [::1]).
    #[arg(long, requires = "compare")]
    django_debug: bool,
}

/// Parses an IP address, allowing spaces around it.
fn parse_ip(s: &str) -> Result<std::net::IpAddr, String> {
    let s = s.trim();
    s.parse()
        .map_err(|_| format!("{s:?} is not an IP address like 127.0.0.1 or ::1"))
}

/// Parses one socket address literal, allowing spaces around it.
fn parse_socket_addr(s: &str) -> Result<SocketAddr, String> {
    let s = s.trim();
    s.parse().map_err(|_| {
        format!("{s:?} is not an address with a port, like 127.0.0.1:8090 or [::1]:8090")
    })
}

/// The addresses one `--bind` value stands for: one for an IP literal, every address
/// a name resolves to (`localhost` is often both 127.0.0.1 and ::1).
#[derive(Clone, Debug)]
struct BindAddrs(Vec<SocketAddr>);

/// Parses one listening address, allowing spaces around it (`a, b` in an env var): an
/// IP literal with a port, or a host name with a port, resolved here with the system's
/// resolver (`/etc/hosts` first), as `std::net::ToSocketAddrs` does.
fn parse_bind(s: &str) -> Result<BindAddrs, String> {
    let s = s.trim();
    if let Ok(addr) = s.parse::<SocketAddr>() {
        return Ok(BindAddrs(vec![addr]));
    }
    let shape = || {
        format!(
            "{s:?} is not an address with a port, like 127.0.0.1:8090, [::1]:8090 or localhost:8090"
        )
    };
    let (host, port) = s.rsplit_once(':').ok_or_else(shape)?;
    let port: u16 = port.parse().map_err(|_| shape())?;
    // Only a plain host name goes to the resolver. Anything else (`1.2.3.999`,
    // `localhost:80` before a second port, `[::1` …) is a typo, and handing it to
    // getaddrinfo would send it to the DNS server, which can take seconds to fail.
    let is_name = !host.is_empty()
        && host.len() <= 253
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
        && host.chars().any(|c| c.is_ascii_alphabetic())
        && !host.starts_with(['-', '.']);
    if !is_name {
        return Err(shape());
    }
    let resolved: Vec<SocketAddr> = (host, port)
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve {host:?}: {e}"))?
        .collect();
    // A name may list ::1 on a machine whose kernel has IPv6 turned off; binding it
    // would then fail with "Cannot assign requested address" although the IPv4
    // address would do. Keep only the families this machine can bind.
    let ipv6 = ipv6_available();
    let mut addrs: Vec<SocketAddr> = Vec::new();
    for addr in resolved {
        if (addr.is_ipv4() || ipv6) && !addrs.contains(&addr) {
            addrs.push(addr);
        }
    }
    if addrs.is_empty() {
        return Err(format!(
            "{host:?} resolves to no address this machine can bind"
        ));
    }
    Ok(BindAddrs(addrs))
}

/// Whether this machine has IPv6: its loopback address can be bound (port 0, loopback,
/// closed at once, so nothing can connect to it).
fn ipv6_available() -> bool {
    std::net::TcpListener::bind((std::net::Ipv6Addr::LOCALHOST, 0)).is_ok()
}

/// Every address to listen on, in the order given, each once: `-b localhost:8090
/// -b 127.0.0.1:8090` binds 127.0.0.1:8090 once. Port 0 asks for a new port each time,
/// so `127.0.0.1:0,127.0.0.1:0` stays two sockets.
fn bind_addresses(values: Vec<BindAddrs>) -> Vec<SocketAddr> {
    let mut addrs: Vec<SocketAddr> = Vec::new();
    for addr in values.into_iter().flat_map(|v| v.0) {
        if addr.port() == 0 || !addrs.contains(&addr) {
            addrs.push(addr);
        }
    }
    addrs
}

/// Parses one CIDR range; a bare address means just that address (/32 or /128).
fn parse_cidr(s: &str) -> Result<IpNet, String> {
    let s = s.trim();
    s.parse::<IpNet>()
        .or_else(|_| s.parse::<std::net::IpAddr>().map(IpNet::from))
        .map_err(|_| format!("{s:?} is not a CIDR range like 10.0.0.0/8 or an IP address"))
}

fn parse_health_path(s: &str) -> Result<HealthPath, String> {
    HealthPath::parse(s).map_err(|why| format!("{s:?} {why}"))
}

impl Args {
    fn into_config(self) -> Config {
        Config {
            bind: bind_addresses(self.bind),
            policy: PolicyOptions {
                // Trimmed here as well as by the policy, so the start-up log shows
                // `a.example, b.example` the way it was meant.
                allowed_hosts: self
                    .allowed_hosts
                    .iter()
                    .map(|p| p.trim().to_owned())
                    .collect(),
                use_x_forwarded_host: self.use_x_forwarded_host,
                trusted_proxies: self.trusted_proxies,
            },
            health_path: self.health_path,
            limits: Limits {
                // Both were range-checked by clap, so they fit in usize.
                max_header_bytes: usize::try_from(self.max_header_bytes).unwrap_or(usize::MAX),
                max_headers: usize::try_from(self.max_headers).unwrap_or(usize::MAX),
                max_body_bytes: self.max_body_bytes,
            },
            header_timeout: Duration::from_secs(self.header_timeout),
            idle_timeout: Duration::from_secs(self.idle_timeout),
            body_timeout: Duration::from_secs(self.body_timeout),
            shutdown_grace: Duration::from_secs(self.shutdown_grace),
            // Range-checked by clap, so they fit in usize.
            max_connections: usize::try_from(self.max_connections).unwrap_or(usize::MAX),
            workers: usize::try_from(self.workers).unwrap_or(1),
        }
    }
}

/// `hostecho check` alone: parsed apart from the server's flags, so that the
/// server's environment variables (`HOSTECHO_BIND`, `HOSTECHO_MAX_HEADERS` …), which
/// `check` does not use, cannot make it fail.
#[derive(Debug, Parser)]
#[command(name = "hostecho", version)]
struct CheckCli {
    #[command(subcommand)]
    command: Command,
}

/// The exit status for bad input: a flag, an environment variable or a pattern that
/// hostecho cannot use. clap exits with 2 for its own errors, and so does everything
/// else that is the caller's to fix, so a script can tell "fix the command" (2) from
/// "the machine said no" (1).
const EXIT_BAD_INPUT: u8 = 2;

/// Prints a command-line error as one line (or the help), and gives the exit status.
fn clap_exit(e: clap::Error) -> ExitCode {
    match e.kind() {
        clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
            let _ = e.print();
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!("{}", one_line(&e.render().to_string()));
            ExitCode::from(EXIT_BAD_INPUT)
        }
    }
}

/// clap's message is several lines: the problem, a blank line, perhaps a `tip:` (the
/// nearest flag to a typo, `--bnid` → `--bind`), the usage. The first line and the tip
/// are what a user needs; the usage is one `--help` away.
fn one_line(rendered: &str) -> String {
    let mut lines = rendered.lines().map(str::trim);
    let first = lines
        .next()
        .filter(|l| !l.is_empty())
        .unwrap_or("error: invalid arguments");
    let tips: Vec<&str> = lines
        .filter_map(|l| l.strip_prefix("tip:"))
        .map(str::trim)
        .collect();
    if tips.is_empty() {
        format!("{first} (see --help)")
    } else {
        format!("{first}; {} (see --help)", tips.join("; "))
    }
}

/// The log filter, from `RUST_LOG` (if set and not empty) in env_logger's syntax.
///
/// hostecho's own log is the lesson; its dependencies' is noise to a learner: at trace,
/// mio logs every registration with its poller. So other crates stay at `warn`, and a
/// bare level (`RUST_LOG=trace`, or `debug` in `debug,mio=trace`) applies to hostecho
/// alone. A directive that names a crate or module (`mio=trace`, `hostecho::server`)
/// is kept as written, so anything can still be turned on by name.
fn log_filter(rust_log: Option<&str>) -> String {
    let Some(spec) = rust_log.map(str::trim).filter(|s| !s.is_empty()) else {
        return "warn,hostecho=info".to_owned();
    };
    // `directives/regex`: the regex filters messages and is kept as it is.
    let (directives, regex) = match spec.split_once('/') {
        Some((d, r)) => (d, Some(r)),
        None => (spec, None),
    };
    let mut filter = vec!["warn".to_owned()];
    for directive in directives
        .split(',')
        .map(str::trim)
        .filter(|d| !d.is_empty())
    {
        if directive.parse::<log::LevelFilter>().is_ok() {
            filter.push(format!("hostecho={directive}"));
        } else {
            filter.push(directive.to_owned());
        }
    }
    let mut filter = filter.join(",");
    if let Some(regex) = regex {
        filter.push('/');
        filter.push_str(regex);
    }
    filter
}

/// Sets up env_logger with [`log_filter`], its output gathered and written once per
/// turn of the event loop (see `hostecho::server::log_output`).
///
/// `RUST_LOG_STYLE` still chooses colours (`auto`, `always`, `never`). env_logger
/// cannot see a terminal behind the buffer, so `auto` (the default) is decided here:
/// colours for a terminal, none for a file or a pipe.
fn init_logging() {
    let rust_log = std::env::var("RUST_LOG").ok();
    let mut builder = env_logger::Builder::new();
    builder.parse_filters(&log_filter(rust_log.as_deref()));
    let style = std::env::var("RUST_LOG_STYLE").ok();
    let colours = match style.as_deref().map(str::trim) {
        Some("always") => true,
        Some("never") => false,
        _ => std::io::stderr().is_terminal(),
    };
    builder.write_style(if colours {
        env_logger::WriteStyle::Always
    } else {
        env_logger::WriteStyle::Never
    });
    BufferedLogger::new(&mut builder, !colours)
        .install()
        .expect("the logger is installed once, here, before anything logs");
}

fn main() -> ExitCode {
    if std::env::args_os().nth(1).is_some_and(|a| a == "check") {
        return match CheckCli::try_parse() {
            Ok(CheckCli {
                command: Command::Check(check_args),
            }) => run_check(check_args),
            Err(e) => clap_exit(e),
        };
    }
    let args = match Args::try_parse() {
        Ok(args) => args,
        Err(e) => return clap_exit(e),
    };
    if let Some(Command::Check(check_args)) = args.command {
        // `hostecho check` is handled above; this keeps the subcommand, listed in
        // `hostecho --help`, running the same code however clap reached it.
        return run_check(check_args);
    }
    init_logging();

    let served = serve(args.into_config());
    // Whatever the server logged last (its drain, a failure) goes out before the
    // error line, and before the process ends.
    log::logger().flush();
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line: the error and its causes, no backtrace.
            eprintln!("error: {e:#}");
            exit_status_of(&e)
        }
    }
}

/// 2 for an error in what the user gave (a pattern), 1 for what the OS refused.
fn exit_status_of(e: &anyhow::Error) -> ExitCode {
    match e.downcast_ref::<hostecho::Error>() {
        Some(hostecho::Error::Pattern { .. }) => ExitCode::from(EXIT_BAD_INPUT),
        _ => ExitCode::FAILURE,
    }
}

fn serve(config: Config) -> anyhow::Result<()> {
    let server = Server::bind(config)?;
    // Before the `listening on` lines: a signal sent as soon as they appear must drain.
    hostecho::server::shutdown::drain_on_signals(server.shutdown_handle())
        .context("setting up SIGINT and SIGTERM")?;
    // Scripts and tests wait for these lines, so they go to stdout, flushed, before
    // anything is served: first one `listening on` line per socket, then a line for
    // each wildcard that says what to connect to instead.
    let mut stdout = std::io::stdout().lock();
    let addrs = server.local_addrs();
    for addr in &addrs {
        writeln!(stdout, "listening on http://{addr}").context("writing to stdout")?;
    }
    for addr in &addrs {
        if let Some(hint) = connect_hint(*addr) {
            writeln!(stdout, "{hint}").context("writing to stdout")?;
        }
    }
    stdout.flush().context("writing to stdout")?;
    drop(stdout);
    server.run()?;
    Ok(())
}

/// For a wildcard bind, the URL to use from this machine. `0.0.0.0` and `[::]` mean
/// "every address" to `bind`; as a URL, `http://0.0.0.0:8090/` is a Host the default
/// policy refuses (and on some systems, an address that does not connect at all).
/// `localhost` is allowed by default; for `[::]`, bound IPv6-only, it is `[::1]`.
fn connect_hint(addr: SocketAddr) -> Option<String> {
    let (wildcard, url) = match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => {
            ("0.0.0.0", format!("http://localhost:{}/", addr.port()))
        }
        IpAddr::V6(ip) if ip.is_unspecified() => ("[::]", format!("http://[::1]:{}/", addr.port())),
        _ => return None,
    };
    Some(format!(
        "connect to {url} from this machine ({wildcard} means every address; it is not one to connect to)"
    ))
}

/// `hostecho check`: gather the values (from arguments and stdin), decide each, print
/// one line per value, and exit 0 (all allowed), 1 (any refused) or 2 (bad arguments).
fn run_check(args: CheckArgs) -> ExitCode {
    match check_values(args) {
        Ok(status) => ExitCode::from(status),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(check::EXIT_BAD_ARGUMENTS)
        }
    }
}

fn check_values(args: CheckArgs) -> anyhow::Result<u8> {
    let headers = args
        .headers
        .iter()
        .map(|h| check::parse_header(h))
        .collect::<Result<Vec<_>, CheckError>>()?;
    let policy = PolicyOptions {
        allowed_hosts: args
            .allowed_hosts
            .iter()
            .map(|p| p.trim().to_owned())
            .collect(),
        use_x_forwarded_host: args.use_x_forwarded_host,
        trusted_proxies: args.trusted_proxies,
    };
    // `@self` stands for what the server would listen on: `--local`.
    let own = if policy.uses_own_addresses() {
        hostecho::server::own_addresses::resolve(&[args.local])
            .context("reading this machine's interface addresses for @self")?
    } else {
        Vec::new()
    };
    let checker = Checker::with_own_addresses(
        CheckOptions {
            policy,
            request: RequestShape {
                version: if args.http10 {
                    hostecho::http::Version::Http10
                } else {
                    hostecho::http::Version::Http11
                },
                target: args.target,
                headers,
                peer: args.peer,
                local: args.local,
            },
            compare: args.compare,
            django_debug: args.django_debug,
        },
        own,
    )?;

    let mut values: Vec<Option<Vec<u8>>> = Vec::new();
    let mut stdin_read = false;
    for value in args.values {
        if value == "-" {
            if !stdin_read {
                let mut input = Vec::new();
                std::io::Read::read_to_end(&mut std::io::stdin().lock(), &mut input)
                    .context("reading values from stdin")?;
                values.extend(check::split_lines(&input).into_iter().map(Some));
                stdin_read = true;
            }
        } else {
            values.push(Some(value.into_encoded_bytes()));
        }
    }
    if args.no_host {
        values.push(None);
    }
    if values.is_empty() && !stdin_read {
        return Err(CheckError::NoValues.into());
    }

    let outcomes: Vec<check::Outcome> =
        values.iter().map(|v| checker.check(v.as_deref())).collect();
    let mut stdout = std::io::stdout().lock();
    if args.json {
        for outcome in &outcomes {
            writeln!(stdout, "{}", check::render_json(outcome)).context("writing to stdout")?;
        }
    } else {
        stdout
            .write_all(check::render_text(&outcomes).as_bytes())
            .context("writing to stdout")?;
    }
    stdout.flush().context("writing to stdout")?;
    Ok(check::exit_status(&outcomes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bare_level_is_hostechos_and_other_crates_stay_at_warn() {
        assert_eq!(log_filter(None), "warn,hostecho=info");
        assert_eq!(log_filter(Some("")), "warn,hostecho=info");
        assert_eq!(log_filter(Some("trace")), "warn,hostecho=trace");
        assert_eq!(log_filter(Some("DEBUG")), "warn,hostecho=DEBUG");
        assert_eq!(
            log_filter(Some("debug,mio=trace")),
            "warn,hostecho=debug,mio=trace"
        );
        assert_eq!(
            log_filter(Some("hostecho::server=trace/read")),
            "warn,hostecho::server=trace/read"
        );
    }

    #[test]
    fn clap_errors_keep_their_first_line_and_tip() {
        let rendered = "error: unexpected argument '--bnid' found\n\n  \
                        tip: a similar argument exists: '--bind'\n\n\
                        Usage: hostecho --bind <ADDR>\n\nFor more information, try '--help'.\n";
        assert_eq!(
            one_line(rendered),
            "error: unexpected argument '--bnid' found; a similar argument exists: '--bind' (see --help)"
        );
        assert_eq!(one_line("error: x\n\nUsage: y\n"), "error: x (see --help)");
    }

    #[test]
    fn wildcards_get_a_url_to_connect_to_and_others_none() {
        let hint = |s: &str| connect_hint(s.parse().expect("an address"));
        assert!(
            hint("0.0.0.0:8092")
                .expect("a hint")
                .starts_with("connect to http://localhost:8092/ ")
        );
        assert!(
            hint("[::]:8092")
                .expect("a hint")
                .starts_with("connect to http://[::1]:8092/ ")
        );
        assert_eq!(hint("127.0.0.1:8092"), None);
    }

    #[test]
    fn bind_values_resolve_names_and_refuse_typos_without_a_lookup() {
        let one = |s: &str| parse_bind(s).map(|b| b.0);
        assert_eq!(
            one(" 127.0.0.1:8090 "),
            Ok(vec!["127.0.0.1:8090".parse().expect("an address")])
        );
        let localhost = one("localhost:8090").expect("localhost resolves");
        assert!(!localhost.is_empty());
        assert!(
            localhost
                .iter()
                .all(|a| a.ip().is_loopback() && a.port() == 8090)
        );
        for typo in [
            "localhost:80:80",
            "1.2.3.999:80",
            "localhost",
            "localhost:http",
            ":80",
        ] {
            assert!(one(typo).is_err(), "{typo}");
        }
        let twice = bind_addresses(vec![
            BindAddrs(vec!["127.0.0.1:8090".parse().expect("an address")]),
            BindAddrs(localhost),
            BindAddrs(vec!["127.0.0.1:0".parse().expect("an address")]),
            BindAddrs(vec!["127.0.0.1:0".parse().expect("an address")]),
        ]);
        assert_eq!(
            twice
                .iter()
                .filter(|a| a.to_string() == "127.0.0.1:8090")
                .count(),
            1
        );
        assert_eq!(twice.iter().filter(|a| a.port() == 0).count(), 2);
    }
}
