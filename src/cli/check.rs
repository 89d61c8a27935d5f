//! `hostecho check`: its arguments, and the driver that reads the values (from the
//! command line and stdin), decides each with [`hostecho::check`] and prints the
//! outcomes. Deciding, rendering and choosing the exit status are the library's;
//! reading stdin, writing stdout and exiting are here.

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;

use anyhow::Context as _;

use super::policy::PolicyArgs;
use hostecho::check::{self, CheckError, CheckOptions, Checker, RequestShape};

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

/// `hostecho check`: each VALUE is the Host header of an HTTP/1.1 request from
/// 127.0.0.1, unless the options below shape the request otherwise.
#[derive(Debug, clap::Args)]
#[command(
    after_help = CHECK_EXAMPLES,
    mut_arg("allowed_hosts", |a| a.help(
        "Hosts the server answers for, as for the server itself. Default: .localhost, \
         127.0.0.1, [::1] (and, with --compare, each framework's own default)"
    )),
    mut_arg("use_x_forwarded_host", |a| a.help(
        "Let X-Forwarded-Host (or Forwarded: host=) replace Host, as for the server itself"
    )),
    mut_arg("trusted_proxies", |a| a.help(
        "Honour forwarding headers only from peers in these CIDR ranges, as for the server"
    )),
)]
pub struct CheckArgs {
    /// Host values to check; '-' reads more from stdin, one per line.
    #[arg(value_name = "VALUE", value_parser = clap::builder::OsStringValueParser::new(),
          conflicts_with = "no_host")]
    values: Vec<std::ffi::OsString>,

    /// The Host policy's flags, declared once with the server's; `mut_arg` above words
    /// their help for `check`.
    #[command(flatten)]
    policy: PolicyArgs,

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

/// `hostecho check`: gather the values (from arguments and stdin), decide each, print
/// one line per value, and exit 0 (all allowed), 1 (any refused) or 2 (bad arguments).
pub fn run_check(args: CheckArgs) -> ExitCode {
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
    let policy = args.policy.into_options();
    // `@self` stands for what the server would listen on: `--local`.
    let own = if policy.uses_own_addresses() {
        hostecho::server::own_addresses::resolve(&[args.local])
            .context("reading this machine's interface addresses for @self")?
    } else {
        Vec::new()
    };
    let options = CheckOptions {
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
    };
    let checker = Checker::with_own_addresses(options, own)?;

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
