//! `hostecho grade CHAPTER ADDR`: check a running server against what a chapter of the
//! course teaches, and say what is wrong.
//!
//! ```text
//! $ hostecho grade 4 127.0.0.1:8094
//! grading 127.0.0.1:8094 on chapter 4, "TCP is a stream": 2 checks
//! ok    a head sent in three pieces is answered once, and only when complete
//! FAIL  a head over 8 KiB is refused with 431
//!       sent:      a head of 9,068 bytes: …
//!       expected:  431, got 200 OK after 31 of 9,068 bytes
//!       reproduce: (printf '…'; head -c 9000 /dev/zero | tr '\0' 'a'; printf '\r\n\r\n') | nc -N 127.0.0.1 8094
//!       read:      tutorial/src/ch04-tcp-is-a-stream.md#a-cap-on-the-head-and-431
//! chapter 4: 1 of 2 checks passed, 1 failed
//! ```
//!
//! The server may be the learner's, in any language, or anyone's: the grader speaks raw
//! bytes to it over TCP and judges only what comes back. A check runs in order:
//!
//! 1. `checks.rs` — the syllabus: per chapter, what to send and what to expect, and the
//!    section that teaches it. Pure data.
//! 2. `probe.rs` — sends it (in pieces, pipelined, from a hundred clients …) through
//!    `client.rs`, the raw-bytes client whose every wait is bounded, and records what
//!    came back.
//! 3. `judge.rs` — compares: `Ok`, or what was expected and what came. Pure.
//! 4. `report.rs` — the lines (or JSON) a person reads. Pure.
//!
//! The Host names the checks use come from `--allowed-hosts` through `hosts.rs`, which
//! asks hostecho's own policy ([`crate::check::Checker`]) about every one.
//!
//! The grader never hangs and never panics: every connection, read and write ends by
//! the check's deadline (`--timeout`; a stall check also waits `--header-timeout`), and
//! a server that closes, resets, sends garbage or says nothing gets a `FAIL` that says
//! so. It connects only to ADDR: nothing else is contacted, not even DNS
//! (`localhost:PORT` is taken as `127.0.0.1:PORT`).

mod checks;
mod client;
mod hosts;
mod judge;
mod probe;
mod report;

use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr};
use std::process::ExitCode;
use std::time::{Duration, Instant};

pub use self::checks::{ALL as CHAPTERS, Chapter, Section, anchor};

use self::checks::{Check, Context};
use self::client::{Conn, Trouble};
use self::hosts::Hosts;
use self::probe::Probe;
use self::report::Outcome;

/// Exit status when every check passes.
pub const EXIT_ALL_PASSED: u8 = 0;
/// Exit status when any check fails.
pub const EXIT_SOME_FAILED: u8 = 1;
/// Exit status for bad arguments: an unknown chapter, a bad pattern, an address that
/// refuses connections.
pub const EXIT_BAD_ARGUMENTS: u8 = 2;

const EXAMPLES: &str = "\
Examples:
  hostecho grade 4 127.0.0.1:8094
      run chapter 4's checks against the server listening on 127.0.0.1:8094
  hostecho grade 9 127.0.0.1:8094 --header-timeout 2
      chapter 9's checks, for a server whose head time-out is 2 seconds
  hostecho grade 12 127.0.0.1:8094 --allowed-hosts example.com,.example.org
      chapter 12's corpus of Host values, against that allow-list
  hostecho grade 11 127.0.0.1:8094 --json
      one JSON object per check

Chapters with checks: 3 to 12. For each failure the grader prints what it sent, what it
expected and what came back, a printf | nc command that does the same, and the section of
the course that teaches it.

Exit status: 0 when every check passes, 1 when any fails, 2 for bad arguments (an
unknown chapter, an address that refuses connections).";

/// `hostecho grade`: check a running server against what a chapter of the course
/// teaches.
#[derive(Debug, clap::Args)]
#[command(after_help = EXAMPLES)]
pub struct GradeArgs {
    /// The chapter whose checks to run: 3 to 12.
    #[arg(value_name = "CHAPTER", value_parser = parse_chapter)]
    pub chapter: u8,

    /// The server to check.
    #[arg(value_name = "ADDR", value_parser = parse_addr,
          help = "The server to check: IP:PORT, e.g. 127.0.0.1:8094 or [::1]:8094 \
                  (localhost:PORT means 127.0.0.1:PORT)")]
    pub addr: SocketAddr,

    /// One JSON object per line and check: chapter, check, ok, sent, expected, got,
    /// reproduce, section.
    #[arg(long)]
    pub json: bool,

    /// The hosts the server is meant to answer for (`--allowed-hosts`).
    #[arg(
        short,
        long,
        value_name = "PATTERNS",
        value_delimiter = ',',
        help = "The hosts the server is meant to answer for, comma-separated, as for \
                  hostecho itself. Default: .localhost, 127.0.0.1, [::1], the course's"
    )]
    pub allowed_hosts: Vec<String>,

    /// The head time-out the server is meant to enforce, in seconds (chapter 9's 408).
    #[arg(long, value_name = "SECONDS", default_value = "10", value_parser = parse_seconds)]
    pub header_timeout: Duration,

    /// How long each check waits for the server, in seconds, on top of any time-out it
    /// tests.
    #[arg(long, value_name = "SECONDS", default_value = "3", value_parser = parse_seconds)]
    pub timeout: Duration,
}

fn parse_chapter(s: &str) -> Result<u8, String> {
    let unknown = || {
        format!(
            "{s:?} is not a chapter with checks: grade knows chapters {} to {}",
            checks::CHAPTERS.start(),
            checks::CHAPTERS.end()
        )
    };
    let number: u8 = s.trim().parse().map_err(|_| unknown())?;
    Chapter::find(number).map(|c| c.number).ok_or_else(unknown)
}

fn parse_addr(s: &str) -> Result<SocketAddr, String> {
    let s = s.trim();
    if let Ok(addr) = s.parse::<SocketAddr>() {
        return Ok(addr);
    }
    // `localhost` is the one name taken, and it is not looked up: the grader contacts
    // the address it is given and nothing else (no DNS).
    if let Some(port) = s
        .strip_prefix("localhost:")
        .and_then(|p| p.parse::<u16>().ok())
    {
        return Ok(SocketAddr::from((Ipv4Addr::LOCALHOST, port)));
    }
    Err(format!(
        "{s:?} is not an address with a port, like 127.0.0.1:8094 or [::1]:8094"
    ))
}

fn parse_seconds(s: &str) -> Result<Duration, String> {
    s.trim()
        .parse::<f64>()
        .ok()
        .filter(|secs| *secs > 0.0 && *secs <= 3600.0)
        .map(Duration::from_secs_f64)
        .ok_or_else(|| format!("{s:?} is not a number of seconds between 0 and 3600"))
}

/// Why `grade` cannot run: the one line printed before exit status 2.
#[derive(Debug)]
enum Unusable {
    /// An `--allowed-hosts` pattern hostecho does not understand.
    Patterns(String),
    /// The address refuses connections, or cannot be reached.
    Address(SocketAddr, String),
    /// The allow-list leaves no name to allow or none to refuse.
    NoHost(String),
}

impl std::fmt::Display for Unusable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unusable::Patterns(why) => write!(f, "{why}"),
            Unusable::Address(addr, why) => {
                write!(
                    f,
                    "cannot connect to {addr}: {why}; is the server running there?"
                )
            }
            Unusable::NoHost(why) => write!(f, "{why}"),
        }
    }
}

/// Runs `hostecho grade`: the checks, printed as they finish, then the summary; exit 0
/// (all passed), 1 (any failed) or 2 (bad arguments, one line on stderr).
pub fn run(args: GradeArgs) -> ExitCode {
    match grade(&args) {
        Ok(status) => ExitCode::from(status),
        Err(why) => {
            eprintln!("error: {why}");
            ExitCode::from(EXIT_BAD_ARGUMENTS)
        }
    }
}

fn grade(args: &GradeArgs) -> Result<u8, Unusable> {
    // Validated by clap.
    let chapter = Chapter::find(args.chapter).unwrap_or(checks::ALL[0]);
    // `@self` stands for the address the graded server listens on, the one graded.
    let hosts = Hosts::new(&args.allowed_hosts, &[args.addr.ip()]).map_err(Unusable::Patterns)?;
    // One connection first, so an address nothing listens on is a bad argument (exit
    // 2), not a failure of every check.
    match Conn::open(args.addr, Instant::now() + args.timeout) {
        Ok(conn) => drop(conn),
        Err(Trouble::Refused) => {
            return Err(Unusable::Address(
                args.addr,
                "connection refused".to_string(),
            ));
        }
        Err(Trouble::TimedOut) => {
            return Err(Unusable::Address(
                args.addr,
                format!("no connection within {}", probe::seconds(args.timeout)),
            ));
        }
        Err(Trouble::ConnectFailed(why)) => return Err(Unusable::Address(args.addr, why)),
        // Connecting either succeeds or ends in one of the three above.
        Err(other) => {
            return Err(Unusable::Address(
                args.addr,
                judge::describe_no_answer(&client::NoAnswer {
                    trouble: other,
                    partial: Vec::new(),
                }),
            ));
        }
    }
    let context = context(args, chapter, &hosts)?;
    let list = checks::checks(chapter, &context);

    let mut stdout = std::io::stdout().lock();
    if !args.json {
        let _ = stdout
            .write_all(report::heading(&args.addr.to_string(), chapter, list.len()).as_bytes());
        let _ = stdout.flush();
    }
    let mut outcomes = Vec::with_capacity(list.len());
    for check in &list {
        let outcome = run_check(check, args);
        let line = if args.json {
            report::render_json(chapter, &outcome)
        } else {
            report::render_text(&outcome)
        };
        let _ = stdout.write_all(line.as_bytes());
        let _ = stdout.flush();
        outcomes.push(outcome);
    }
    if !args.json {
        let _ = stdout.write_all(report::summary(chapter, &outcomes).as_bytes());
        let _ = stdout.flush();
    }
    Ok(if outcomes.iter().all(|o| o.result.is_ok()) {
        EXIT_ALL_PASSED
    } else {
        EXIT_SOME_FAILED
    })
}

fn run_check(check: &Check, args: &GradeArgs) -> Outcome {
    let observation = check.probe.run(args.addr, Instant::now() + args.timeout);
    Outcome {
        name: check.name.clone(),
        sent: check.probe.sent(),
        reproduce: check.probe.reproduce(args.addr),
        section: check.section.link(),
        result: judge::judge(&check.expect, &observation),
    }
}

/// The names the checks use. For chapters 10 and 11, the server under test may answer
/// only some of the allowed names (chapter 10's serves two sites): the first allowed
/// name it answers with a 2xx is the one the checks use.
fn context(args: &GradeArgs, chapter: Chapter, hosts: &Hosts) -> Result<Context, Unusable> {
    let port = args.addr.port();
    let allowed = hosts.allowed();
    let Some(first) = allowed.first().cloned() else {
        return Err(Unusable::NoHost(
            "--allowed-hosts allows no name the grader can send".to_string(),
        ));
    };
    let foreign = hosts.foreign();
    let mut served = first;
    if matches!(chapter.number, 10 | 11) {
        if foreign.is_none() {
            return Err(Unusable::NoHost(format!(
                "--allowed-hosts allows every host: chapter {} needs one the server refuses",
                chapter.number
            )));
        }
        for name in &allowed {
            let host = format!("{name}:{port}");
            let probe = Probe::Request {
                pieces: vec![
                    format!("GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n")
                        .into_bytes(),
                ],
                half_close: false,
            };
            match probe.run(args.addr, Instant::now() + args.timeout) {
                probe::Observation::One {
                    answer: Ok(response),
                    ..
                } if (200..300).contains(&response.status) => {
                    served = name.clone();
                    break;
                }
                probe::Observation::One { answer: Ok(_), .. } => {}
                // A server that does not answer at all fails the first check anyway;
                // asking again would only make the grader slower.
                _ => break,
            }
        }
    }
    let look_alikes = hosts
        .domains()
        .iter()
        .flat_map(|d| [format!("evil-{d}"), format!("{d}.evil")])
        .filter(|v| !hosts.verdict(v).allowed)
        .take(2)
        .collect();
    let corpus = if chapter.number == 12 {
        hosts
            .corpus(port)
            .into_iter()
            .map(|v| {
                let verdict = hosts.verdict(&v);
                (v, verdict)
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(Context {
        port,
        served_why: hosts.verdict(&served).why,
        served,
        foreign: foreign.unwrap_or_else(|| hosts::FOREIGN.to_string()),
        look_alikes,
        header_timeout: args.header_timeout,
        corpus,
    })
}

/// Every section the checks cite, for a test that each is a heading of its chapter.
pub fn sections() -> Vec<Section> {
    let cx = Context {
        port: 8094,
        served: "localhost".to_string(),
        served_why: String::new(),
        foreign: hosts::FOREIGN.to_string(),
        look_alikes: vec!["evil-localhost".to_string()],
        header_timeout: Duration::from_secs(10),
        corpus: vec![(
            "localhost".to_string(),
            hosts::Verdict {
                allowed: true,
                why: String::new(),
            },
        )],
    };
    let mut all: Vec<Section> = Vec::new();
    for chapter in checks::ALL {
        for check in checks::checks(chapter, &cx) {
            if !all.contains(&check.section) {
                all.push(check.section);
            }
        }
    }
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_arguments_satisfy_clap() {
        use clap::CommandFactory;
        #[derive(Debug, clap::Parser)]
        struct Cli {
            #[command(subcommand)]
            command: Sub,
        }
        #[derive(Debug, clap::Subcommand)]
        enum Sub {
            Grade(GradeArgs),
        }
        Cli::command().debug_assert();
    }

    #[test]
    fn addresses_are_literals_or_localhost_and_never_looked_up() {
        assert_eq!(
            parse_addr(" 127.0.0.1:8094 "),
            Ok("127.0.0.1:8094".parse().expect("addr"))
        );
        assert_eq!(
            parse_addr("[::1]:8094"),
            Ok("[::1]:8094".parse().expect("addr"))
        );
        assert_eq!(
            parse_addr("localhost:8094"),
            Ok("127.0.0.1:8094".parse().expect("addr"))
        );
        for bad in [
            "127.0.0.1",
            "example.com:80",
            "localhost",
            "localhost:99999",
            ":8094",
        ] {
            assert!(parse_addr(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn chapters_and_seconds_are_checked() {
        assert_eq!(parse_chapter("4"), Ok(4));
        assert_eq!(parse_chapter("12"), Ok(12));
        for bad in ["2", "13", "four", "-1", ""] {
            assert!(parse_chapter(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_seconds("1.5"), Ok(Duration::from_millis(1500)));
        for bad in ["0", "-1", "NaN", "inf", "3601", "soon"] {
            assert!(parse_seconds(bad).is_err(), "{bad}");
        }
    }
}
