//! The `hostecho` command: parse the command line, set up logging, bind, serve.
//!
//! Everything interesting lives in the library; this file only turns flags and
//! environment variables into a [`Config`], and turns start-up errors into one line on
//! stderr and a non-zero exit.

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use clap::Parser;
use ipnet::IpNet;

use hostecho::Server;
use hostecho::config::{Config, DEFAULT_BIND};
use hostecho::host::PolicyOptions;
use hostecho::http::Limits;

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
      behind a local reverse proxy that sets X-Forwarded-Host";

/// hostecho: an HTTP server that echoes back the request it parsed, after checking
/// its Host header.
#[derive(Debug, Parser)]
#[command(version, after_help = EXAMPLES)]
struct Args {
    /// Address to listen on: IPv4 or [IPv6] with a port; port 0 picks a free one.
    /// Repeat the flag, or separate with commas, to listen on several.
    #[arg(short, long, value_name = "ADDR", env = "HOSTECHO_BIND", value_delimiter = ',',
          default_value = DEFAULT_BIND, value_parser = parse_bind)]
    bind: Vec<SocketAddr>,

    /// Hosts to answer for: example.com, .example.com (and subdomains), *.example.com
    /// (subdomains only), *, IP literals, CIDR ranges. Repeatable, comma-separated.
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
}

/// Parses one listening address, allowing spaces around it (`a, b` in an env var).
fn parse_bind(s: &str) -> Result<SocketAddr, String> {
    let s = s.trim();
    s.parse().map_err(|_| {
        format!("{s:?} is not an address with a port, like 127.0.0.1:8090 or [::1]:8090")
    })
}

/// Parses one CIDR range; a bare address means just that address (/32 or /128).
fn parse_cidr(s: &str) -> Result<IpNet, String> {
    let s = s.trim();
    s.parse::<IpNet>()
        .or_else(|_| s.parse::<std::net::IpAddr>().map(IpNet::from))
        .map_err(|_| format!("{s:?} is not a CIDR range like 10.0.0.0/8 or an IP address"))
}

impl Args {
    fn into_config(self) -> Config {
        Config {
            bind: self.bind,
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
            limits: Limits {
                // Both were range-checked by clap, so they fit in usize.
                max_header_bytes: usize::try_from(self.max_header_bytes).unwrap_or(usize::MAX),
                max_headers: usize::try_from(self.max_headers).unwrap_or(usize::MAX),
                max_body_bytes: self.max_body_bytes,
            },
            header_timeout: Duration::from_secs(self.header_timeout),
            idle_timeout: Duration::from_secs(self.idle_timeout),
        }
    }
}

fn main() -> ExitCode {
    let args = match Args::try_parse() {
        Ok(args) => args,
        Err(e) => match e.kind() {
            clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                let _ = e.print();
                return ExitCode::SUCCESS;
            }
            // clap's message is several lines with a usage hint; the first names the problem.
            _ => {
                let rendered = e.render().to_string();
                let first = rendered
                    .lines()
                    .next()
                    .unwrap_or("error: invalid arguments");
                eprintln!("{first} (see --help)");
                return ExitCode::from(2);
            }
        },
    };
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();

    match serve(args.into_config()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line: the error and its causes, no backtrace.
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn serve(config: Config) -> anyhow::Result<()> {
    let server = Server::bind(config)?;
    // Scripts and tests wait for these lines, so they go to stdout, flushed, before
    // anything is served.
    let mut stdout = std::io::stdout().lock();
    for addr in server.local_addrs() {
        writeln!(stdout, "listening on http://{addr}").context("writing to stdout")?;
    }
    stdout.flush().context("writing to stdout")?;
    drop(stdout);
    server.run()?;
    Ok(())
}
