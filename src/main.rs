//! The `hostecho` command: parse the command line, and run what it asks for.
//!
//! This file declares the flags (clap) and dispatches: the server (flags into a
//! [`Config`], then bind and serve), or `hostecho check`. What each needs beyond
//! clap is in `src/cli/`: resolving `--bind` names, setting up the log, the Host
//! policy's flags shared by both, serving, and the `check` driver. Every start-up error becomes
//! one line on stderr and a non-zero exit.

mod cli;

use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};

use cli::bind::{BindAddrs, bind_addresses, parse_bind};
use cli::check::{CheckArgs, run_check};
use cli::policy::PolicyArgs;
use hostecho::config::{Config, DEFAULT_BIND};
use hostecho::health::HealthPath;
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

    #[command(flatten)]
    policy: PolicyArgs,

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

    /// How many bytes of a request body the echo shows (the rest are counted, not kept:
    /// the echo gives the whole length and how much is shown).
    #[arg(long, value_name = "BYTES", env = "HOSTECHO_ECHO_BODY_BYTES",
        allow_negative_numbers = true, default_value_t = hostecho::echo::ECHO_BODY_BYTES as u64)]
    echo_body_bytes: u64,

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
    Check(CheckArgs),
    /// Check a running server against what a chapter of the course teaches.
    Grade(hostecho::grade::GradeArgs),
}

/// Parses `--health-path`: the one-line reason is [`HealthPath::parse`]'s.
fn parse_health_path(s: &str) -> Result<HealthPath, String> {
    HealthPath::parse(s).map_err(|why| format!("{s:?} {why}"))
}

impl Args {
    fn into_config(self) -> Config {
        Config {
            bind: bind_addresses(self.bind),
            policy: self.policy.into_options(),
            health_path: self.health_path,
            limits: Limits {
                // Both were range-checked by clap, so they fit in usize.
                max_header_bytes: usize::try_from(self.max_header_bytes).unwrap_or(usize::MAX),
                max_headers: usize::try_from(self.max_headers).unwrap_or(usize::MAX),
                max_body_bytes: self.max_body_bytes,
                echo_body_bytes: usize::try_from(self.echo_body_bytes).unwrap_or(usize::MAX),
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

/// `hostecho check` and `hostecho grade` alone: parsed apart from the server's flags,
/// so that the server's environment variables (`HOSTECHO_BIND`, `HOSTECHO_MAX_HEADERS`
/// …), which they do not use, cannot make them fail.
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

fn main() -> ExitCode {
    if std::env::args_os()
        .nth(1)
        .is_some_and(|a| a == "check" || a == "grade")
    {
        return match CheckCli::try_parse() {
            Ok(CheckCli {
                command: Command::Check(check_args),
            }) => run_check(check_args),
            Ok(CheckCli {
                command: Command::Grade(grade_args),
            }) => hostecho::grade::run(grade_args),
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
    if let Some(Command::Grade(grade_args)) = args.command {
        return hostecho::grade::run(grade_args);
    }
    cli::logging::init_logging();

    let served = cli::serve::serve(args.into_config());
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

#[cfg(test)]
mod tests {
    use super::*;

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
    fn the_command_lines_are_well_formed() {
        use clap::CommandFactory;
        Args::command().debug_assert();
        CheckCli::command().debug_assert();
    }

    #[test]
    fn the_policy_flags_are_declared_once_and_worded_for_each_command() {
        use clap::CommandFactory;
        let help = |command: &clap::Command, flag: &str| {
            let arg = command.get_arguments().find(|a| a.get_id() == flag);
            arg.and_then(|a| a.get_help().map(|h| h.to_string()))
                .unwrap_or_else(|| panic!("{flag} has no help"))
        };
        let server = Args::command();
        let cli = CheckCli::command();
        let check = cli.find_subcommand("check").expect("check");
        for flag in ["allowed_hosts", "use_x_forwarded_host", "trusted_proxies"] {
            let (server, checking) = (help(&server, flag), help(check, flag));
            assert!(!server.contains("as for the server"), "{flag}: {server}");
            assert!(checking.contains("as for the server"), "{flag}: {checking}");
        }
    }
}
