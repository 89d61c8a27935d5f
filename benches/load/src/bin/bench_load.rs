//! The load harness: hostecho against hyper, a bare mio floor and nginx, under wrk.
//!
//! Run it through `scripts/bench-load.sh` (which installs wrk, builds everything in
//! release mode and stops every server even when interrupted), or directly:
//!
//! ```text
//! bench_load --hostecho target/release/hostecho [--quick] [--check] [--write BENCHMARKS.md]
//! ```
//!
//! For each round, and each server in an order that flips every round (so no server
//! always runs first, on a cold cache, or last, after the others warmed the machine):
//! start it pinned to core 0 (`taskset -c 0`), run wrk pinned to core 1 (`wrk -t1`) at
//! 50 and then 1,000 connections, each cell after a short warm-up, then stop it; start a
//! fresh one and hold N idle keep-alive connections on it (`idle_hold`). Per cell it
//! takes:
//!
//! - req/s, p50, p99: wrk's own summary (`--latency`);
//! - CPU per request: the server's utime + stime (`/proc/PID/stat`, every thread and
//!   every child process) over the measured run, divided by wrk's request count;
//! - RSS under load: the highest VmRSS sampled every 250 ms during the run, and VmHWM
//!   (the peak resident size since start) at its end;
//! - bytes per idle connection: VmRSS growth with N idle connections, divided by N.
//!
//! After the rounds, hostecho at `warn` and at `info` run back to back a few more times
//! (`--log-pairs N`), for the access log's cost, a few per cent that the rounds alone
//! cannot resolve.
//!
//! Each figure is the median of the rounds, printed with its ratio to hyper on one
//! thread (the two-worker rows: to hyper on two threads); the goals are judged on the
//! median of each round's own ratio, with the lowest and highest round beside it. The
//! report is Markdown, with an
//! SVG chart beside it; `--write FILE` puts it between the `bench-load` markers of FILE.
//!
//! Everything is bounded: wrk runs for a fixed time and is killed if it overruns, the
//! idle client has its own deadline, every address is 127.0.0.1, and each server is
//! killed when its guard drops (also on an error or a panic).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail, ensure};

// ---------------------------------------------------------------------------------------
// Options
// ---------------------------------------------------------------------------------------

struct Options {
    hostecho: PathBuf,
    /// Where hyper_echo, mio_echo and idle_hold are (beside this program).
    bin_dir: PathBuf,
    rounds: usize,
    /// Extra runs of hostecho at `warn` and at `info` back to back, for the access
    /// log's cost (see [`measure_log_pairs`]).
    log_pairs: usize,
    duration: Duration,
    warmup: Duration,
    idle_conns: usize,
    conns: Vec<u32>,
    check: bool,
    quick: bool,
    write: Option<PathBuf>,
    chart: Option<PathBuf>,
    /// The command as the user typed it, for the report.
    command: String,
}

const USAGE: &str = "usage: bench_load --hostecho PATH [--quick] [--check] [--rounds N] \
[--log-pairs N] [--duration SECS] [--idle N] [--write FILE] [--chart FILE.svg]";

fn parse_options() -> anyhow::Result<Options> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let exe = std::env::current_exe().context("finding this program's path")?;
    let mut opts = Options {
        hostecho: PathBuf::new(),
        bin_dir: exe.parent().context("this program's directory")?.to_owned(),
        rounds: 3,
        log_pairs: 6,
        duration: Duration::from_secs(8),
        warmup: Duration::from_secs(2),
        idle_conns: 10_000,
        conns: vec![50, 1000],
        check: false,
        quick: false,
        write: None,
        chart: None,
        command: std::env::var("BENCH_LOAD_COMMAND")
            .unwrap_or_else(|_| format!("bench_load {}", args.join(" "))),
    };
    let mut rounds = None;
    let mut log_pairs = None;
    let mut duration = None;
    let mut idle = None;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = || {
            it.next()
                .with_context(|| format!("{arg} needs a value; {USAGE}"))
        };
        match arg.as_str() {
            "--hostecho" => opts.hostecho = value()?.into(),
            "--quick" => opts.quick = true,
            "--check" => opts.check = true,
            "--rounds" => rounds = Some(value()?.parse::<usize>()?.clamp(1, 9)),
            "--log-pairs" => log_pairs = Some(value()?.parse::<usize>()?.min(20)),
            "--duration" => duration = Some(value()?.parse::<u64>()?.clamp(1, 60)),
            "--idle" => idle = Some(value()?.parse::<usize>()?.min(15_000)),
            "--write" => opts.write = Some(value()?.into()),
            "--chart" => opts.chart = Some(value()?.into()),
            _ => bail!("unknown argument {arg:?}; {USAGE}"),
        }
    }
    ensure!(!opts.hostecho.as_os_str().is_empty(), "{USAGE}");
    if opts.quick {
        opts.rounds = 1;
        opts.log_pairs = 1;
        opts.duration = Duration::from_secs(3);
        opts.warmup = Duration::from_secs(1);
        opts.idle_conns = 2_000;
    }
    if opts.check {
        opts.rounds = 1;
        opts.log_pairs = 0;
        opts.duration = Duration::from_secs(1);
        opts.warmup = Duration::ZERO;
        opts.idle_conns = 20;
        opts.conns = vec![10];
    }
    opts.rounds = rounds.unwrap_or(opts.rounds);
    opts.log_pairs = log_pairs.unwrap_or(opts.log_pairs);
    opts.duration = duration.map_or(opts.duration, Duration::from_secs);
    opts.idle_conns = idle.unwrap_or(opts.idle_conns);
    Ok(opts)
}

// ---------------------------------------------------------------------------------------
// The servers
// ---------------------------------------------------------------------------------------

#[derive(Clone, Debug)]
enum Kind {
    /// hostecho; `log`: RUST_LOG=info with stderr to a file, else RUST_LOG=warn.
    Hostecho { log: bool, workers: Option<u32> },
    /// The hyper peer on a runtime with this many threads (1: current_thread).
    Hyper { threads: u32 },
    /// The mio + httparse floor.
    Mio,
    /// nginx returning a fixed body.
    Nginx,
}

#[derive(Clone, Debug)]
struct Spec {
    /// Short name used in the tables.
    name: &'static str,
    kind: Kind,
    /// Server on core 0 and wrk -t1 on core 1; otherwise neither is pinned and wrk uses
    /// two threads (the scaling rows).
    pinned: bool,
    /// Whether the idle-connection figure is taken for it.
    idle: bool,
}

impl Spec {
    /// The server its ratios are taken against.
    fn reference(&self) -> &'static str {
        if self.pinned { HYPER } else { HYPER_2 }
    }
}

const HOSTECHO: &str = "hostecho";
const HOSTECHO_LOG: &str = "hostecho, RUST_LOG=info";
const HYPER: &str = "hyper";
const MIO: &str = "mio floor";
const NGINX: &str = "nginx";
const HOSTECHO_2: &str = "hostecho --workers 2";
const HYPER_2: &str = "hyper, 2 threads";

/// A running server; dropping it kills and reaps the process.
struct Server {
    child: Child,
    addr: SocketAddr,
    /// Holds nginx's prefix and the servers' stderr; removed on drop.
    dir: PathBuf,
}

impl Server {
    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Kills the server and reports whether it had died on its own before (a crash under
    /// load must not pass unnoticed).
    fn stop(mut self) -> anyhow::Result<()> {
        let early = self.child.try_wait()?;
        if let Some(status) = early {
            let stderr = std::fs::read_to_string(self.dir.join("stderr")).unwrap_or_default();
            bail!(
                "the server exited by itself ({status}); its stderr ends with:\n{}",
                tail(&stderr, 10)
            );
        }
        Ok(())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

fn temp_dir(tag: &str) -> anyhow::Result<PathBuf> {
    static COUNTER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("bench-load-{}-{tag}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    Ok(dir)
}

/// A free loopback port, for nginx, which cannot bind port 0 and tell us. Another
/// process could take it before nginx does; on this machine, that is unlikely enough.
fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn start(spec: &Spec, opts: &Options) -> anyhow::Result<Server> {
    let dir = temp_dir("server")?;
    let stderr = std::fs::File::create(dir.join("stderr"))?;
    let mut cmd = Command::new("taskset");
    cmd.arg("-c").arg(if spec.pinned { "0" } else { "0,1" });
    let mut nginx_port = None;
    match &spec.kind {
        Kind::Hostecho { log, workers } => {
            cmd.arg(&opts.hostecho).args(["-b", "127.0.0.1:0"]);
            if let Some(n) = workers {
                cmd.arg("--workers").arg(n.to_string());
            }
            cmd.env("RUST_LOG", if *log { "info" } else { "warn" });
        }
        Kind::Hyper { threads } => {
            cmd.arg(opts.bin_dir.join("hyper_echo"))
                .arg("127.0.0.1:0")
                .arg("--threads")
                .arg(threads.to_string());
        }
        Kind::Mio => {
            cmd.arg(opts.bin_dir.join("mio_echo")).arg("127.0.0.1:0");
        }
        Kind::Nginx => {
            let port = free_port()?;
            nginx_port = Some(port);
            std::fs::write(dir.join("nginx.conf"), nginx_conf(&dir, port))?;
            cmd.arg("nginx")
                .arg("-p")
                .arg(&dir)
                .arg("-c")
                .arg(dir.join("nginx.conf"))
                .arg("-e")
                .arg(dir.join("error.log"));
        }
    }
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .with_context(|| format!("starting {}", spec.name))?;
    let stdout = child.stdout.take().context("server stdout")?;

    // The server is in the guard from here on, so an error below still kills it.
    let mut server = Server {
        child,
        addr: SocketAddr::from(([127, 0, 0, 1], nginx_port.unwrap_or(0))),
        dir,
    };
    let deadline = Duration::from_secs(10);
    if let Some(port) = nginx_port {
        // nginx prints nothing: wait until its port answers.
        let start = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if start.elapsed() > deadline || server.child.try_wait()?.is_some() {
                let log = std::fs::read_to_string(server.dir.join("error.log")).unwrap_or_default();
                bail!("nginx did not start listening: {}", tail(&log, 5));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    } else {
        // Wait for `listening on http://ADDR` on stdout, then keep draining stdout in
        // the same thread so the server never blocks on a full pipe.
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            for line in lines.by_ref() {
                let Ok(line) = line else { break };
                if let Some(addr) = line.strip_prefix("listening on http://") {
                    let _ = tx.send(addr.trim().to_owned());
                    break;
                }
            }
            for _ in lines {}
        });
        let addr = rx
            .recv_timeout(deadline)
            .with_context(|| format!("{} printed no `listening on` line", spec.name))?;
        server.addr = addr.parse().with_context(|| format!("parsing {addr:?}"))?;
    }
    Ok(server)
}

fn nginx_conf(dir: &Path, port: u16) -> String {
    let d = dir.display();
    // One process that serves (master_process off), as the current user, everything
    // under its own prefix. No access log, no keep-alive request cap: the same terms as
    // the other servers. The body is what the echo servers send for wrk's request.
    format!(
        "daemon off;\n\
         master_process off;\n\
         worker_processes 1;\n\
         pid {d}/nginx.pid;\n\
         error_log {d}/error.log warn;\n\
         worker_rlimit_nofile 20000;\n\
         events {{ worker_connections 16384; }}\n\
         http {{\n\
           access_log off;\n\
           client_body_temp_path {d}/body;\n\
           proxy_temp_path {d}/proxy;\n\
           fastcgi_temp_path {d}/fastcgi;\n\
           uwsgi_temp_path {d}/uwsgi;\n\
           scgi_temp_path {d}/scgi;\n\
           keepalive_requests 100000000;\n\
           keepalive_timeout 75s;\n\
           server {{\n\
             listen 127.0.0.1:{port};\n\
             location / {{\n\
               default_type \"text/plain; charset=utf-8\";\n\
               return 200 \"GET / HTTP/1.1\\nHost: 127.0.0.1:{port}\\nUser-Agent: wrk\\nAccept: */*\\n\";\n\
             }}\n\
           }}\n\
         }}\n"
    )
}

// ---------------------------------------------------------------------------------------
// /proc
// ---------------------------------------------------------------------------------------

/// The process and all its descendants (a server that forks workers is measured whole).
fn process_tree(pid: u32) -> Vec<u32> {
    let mut all = vec![pid];
    let mut i = 0;
    while i < all.len() {
        let p = all[i];
        if let Ok(tasks) = std::fs::read_dir(format!("/proc/{p}/task")) {
            for task in tasks.flatten() {
                let children =
                    std::fs::read_to_string(task.path().join("children")).unwrap_or_default();
                all.extend(
                    children
                        .split_whitespace()
                        .filter_map(|c| c.parse::<u32>().ok()),
                );
            }
        }
        i += 1;
    }
    all
}

/// utime + stime of a process and its descendants, in clock ticks. `/proc/PID/stat`
/// sums every thread of the process; fields 14 and 15, counted after the `comm` field,
/// which is in parentheses and may itself hold spaces.
fn cpu_ticks(pid: u32) -> anyhow::Result<u64> {
    let mut total = 0;
    for p in process_tree(pid) {
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{p}/stat")) else {
            continue;
        };
        let after_comm = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
        let fields: Vec<&str> = after_comm.split_whitespace().collect();
        // After the comm: state is field 3, so utime (14) and stime (15) are at 11 and 12.
        ensure!(fields.len() > 12, "short /proc/{p}/stat");
        total += fields[11].parse::<u64>()? + fields[12].parse::<u64>()?;
    }
    Ok(total)
}

/// A `kB` field of `/proc/PID/status`, summed over the process tree.
fn status_kib(pid: u32, field: &str) -> u64 {
    process_tree(pid)
        .into_iter()
        .filter_map(|p| std::fs::read_to_string(format!("/proc/{p}/status")).ok())
        .filter_map(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(field))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .sum()
}

fn clock_ticks_per_sec() -> u64 {
    // Linux has reported USER_HZ = 100 to user space on every architecture for decades;
    // `getconf CLK_TCK` says so where it is installed.
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok()?.trim().parse().ok())
        .unwrap_or(100)
}

// ---------------------------------------------------------------------------------------
// One load cell
// ---------------------------------------------------------------------------------------

#[derive(Clone, Debug, Default)]
struct Cell {
    rps: f64,
    p50_us: f64,
    p99_us: f64,
    cpu_us_per_req: f64,
    /// The server's CPU time over the run's wall time: near 100 % (one core) when the
    /// server is the bottleneck; well below, and wrk or the machine's other load was.
    core_use: f64,
    rss_kib: f64,
    hwm_kib: f64,
    /// wrk's socket errors plus non-2xx answers, summed.
    errors: f64,
}

#[derive(Debug, Default)]
struct WrkOutput {
    requests: u64,
    rps: f64,
    p50_us: f64,
    p99_us: f64,
    errors: u64,
}

/// `250.00us`, `1.20ms`, `2.00s` → microseconds.
fn parse_duration_us(s: &str) -> Option<f64> {
    let s = s.trim();
    let (number, scale) = if let Some(n) = s.strip_suffix("us") {
        (n, 1.0)
    } else if let Some(n) = s.strip_suffix("ms") {
        (n, 1e3)
    } else if let Some(n) = s.strip_suffix('m') {
        (n, 60e6)
    } else if let Some(n) = s.strip_suffix('s') {
        (n, 1e6)
    } else {
        return None;
    };
    number.parse::<f64>().ok().map(|n| n * scale)
}

fn parse_wrk(out: &str) -> anyhow::Result<WrkOutput> {
    let mut w = WrkOutput::default();
    for line in out.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["50%", v] => w.p50_us = parse_duration_us(v).context("wrk p50")?,
            ["99%", v] => w.p99_us = parse_duration_us(v).context("wrk p99")?,
            ["Requests/sec:", v] => w.rps = v.parse()?,
            [n, "requests", "in", ..] => w.requests = n.parse()?,
            ["Non-2xx", "or", "3xx", "responses:", n] => w.errors += n.parse::<u64>()?,
            ["Socket", "errors:", rest @ ..] => {
                // connect 0, read 0, write 0, timeout 0
                w.errors += rest
                    .iter()
                    .filter_map(|t| t.trim_end_matches(',').parse::<u64>().ok())
                    .sum::<u64>();
            }
            _ => {}
        }
    }
    ensure!(
        w.requests > 0 && w.rps > 0.0,
        "wrk printed no results:\n{out}"
    );
    Ok(w)
}

/// Runs wrk against `addr` for `duration`; if `pid` is given, samples its VmRSS meanwhile
/// and returns the highest sample.
fn run_wrk(
    addr: SocketAddr,
    conns: u32,
    duration: Duration,
    pinned: bool,
    pid: Option<u32>,
) -> anyhow::Result<(WrkOutput, u64)> {
    let threads = if pinned { 1 } else { 2 };
    let mut cmd = Command::new("taskset");
    cmd.arg("-c")
        .arg(if pinned { "1" } else { "0,1" })
        .arg("wrk")
        .arg(format!("-t{threads}"))
        .arg(format!("-c{conns}"))
        .arg(format!("-d{}s", duration.as_secs().max(1)))
        .args(["--timeout", "4s", "--latency"])
        .args(["-H", "User-Agent: wrk", "-H", "Accept: */*"])
        .arg(format!("http://{addr}/"));
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("starting wrk (is it installed?)")?;
    let mut stdout = child.stdout.take().context("wrk stdout")?;
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let limit = duration + Duration::from_secs(20);
    let start = Instant::now();
    let mut peak = 0;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            bail!("wrk ran past {limit:?} and was killed");
        }
        if let Some(pid) = pid {
            peak = peak.max(status_kib(pid, "VmRSS:"));
        }
        std::thread::sleep(Duration::from_millis(250));
    };
    let out = reader.join().unwrap_or_default();
    let mut err = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut err);
    }
    ensure!(status.success(), "wrk failed ({status}): {err}{out}");
    Ok((parse_wrk(&out)?, peak))
}

fn measure_cell(
    server: &Server,
    spec: &Spec,
    conns: u32,
    opts: &Options,
    hz: u64,
) -> anyhow::Result<Cell> {
    if !opts.warmup.is_zero() {
        run_wrk(server.addr, conns, opts.warmup, spec.pinned, None).context("warm-up")?;
    }
    let pid = server.pid();
    let ticks_before = cpu_ticks(pid)?;
    let wall = Instant::now();
    let (wrk, peak) = run_wrk(server.addr, conns, opts.duration, spec.pinned, Some(pid))?;
    let ticks = cpu_ticks(pid)?.saturating_sub(ticks_before);
    Ok(Cell {
        rps: wrk.rps,
        p50_us: wrk.p50_us,
        p99_us: wrk.p99_us,
        cpu_us_per_req: ticks as f64 * 1e6 / hz as f64 / wrk.requests as f64,
        core_use: ticks as f64 / hz as f64 / wall.elapsed().as_secs_f64(),
        rss_kib: peak as f64,
        hwm_kib: status_kib(pid, "VmHWM:") as f64,
        errors: wrk.errors as f64,
    })
}

/// The access log's cost, measured on its own: hostecho at `warn` and at `info`, each a
/// fresh server, one right after the other, `opts.log_pairs` times, alternating which
/// goes first.
///
/// The cost is a few per cent, and in the rounds the two runs it compares are separated
/// by the other servers' runs: a round's own `info` over `warn` moved from 1.08 to 1.15
/// in one five-round run, too much to tell 8 % from 12 %. Back to back, and more of
/// them, the pairs see the same machine.
fn measure_log_pairs(
    specs: &[Spec],
    opts: &Options,
    hz: u64,
    results: &mut Results,
) -> anyhow::Result<()> {
    let (Some(warn), Some(info)) = (
        specs.iter().find(|s| s.name == HOSTECHO),
        specs.iter().find(|s| s.name == HOSTECHO_LOG),
    ) else {
        return Ok(());
    };
    for pair in 0..opts.log_pairs {
        let mut cells: BTreeMap<(bool, u32), Cell> = BTreeMap::new();
        let order = if pair % 2 == 0 {
            [warn, info]
        } else {
            [info, warn]
        };
        for spec in order {
            let server = start(spec, opts)?;
            for &conns in &opts.conns {
                let cell = measure_cell(&server, spec, conns, opts, hz)
                    .with_context(|| format!("{} at {conns} connections", spec.name))?;
                eprintln!(
                    "log pair {}: {:<24} {:>5} conns {:>9.0} req/s  {:.2} µs CPU/req",
                    pair + 1,
                    spec.name,
                    conns,
                    cell.rps,
                    cell.cpu_us_per_req
                );
                cells.insert((spec.name == HOSTECHO_LOG, conns), cell);
            }
            server.stop().with_context(|| spec.name)?;
        }
        for &conns in &opts.conns {
            if let (Some(w), Some(i)) =
                (cells.remove(&(false, conns)), cells.remove(&(true, conns)))
            {
                results.log_pairs.entry(conns).or_default().push((w, i));
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Idle connections
// ---------------------------------------------------------------------------------------

#[derive(Clone, Debug, Default)]
struct Idle {
    before_kib: f64,
    after_kib: f64,
    bytes_per_conn: f64,
}

fn measure_idle(server: &Server, opts: &Options) -> anyhow::Result<Idle> {
    let out = Command::new(opts.bin_dir.join("idle_hold"))
        .arg(server.addr.to_string())
        .arg(opts.idle_conns.to_string())
        .arg("--pid")
        .arg(server.pid().to_string())
        .stdin(Stdio::null())
        .output()
        .context("running idle_hold")?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    ensure!(
        out.status.success(),
        "idle_hold failed: {}{}",
        stdout,
        String::from_utf8_lossy(&out.stderr)
    );
    let field = |name: &str| -> anyhow::Result<f64> {
        stdout
            .split_whitespace()
            .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
            .with_context(|| format!("no {name} in idle_hold's output: {stdout}"))?
            .parse::<f64>()
            .map_err(Into::into)
    };
    ensure!(
        field("ok")? == field("conns")?,
        "some idle connections did not get a 200: {stdout}"
    );
    Ok(Idle {
        before_kib: field("rss_before_kib")?,
        after_kib: field("rss_after_kib")?,
        bytes_per_conn: field("bytes_per_conn")?,
    })
}

// ---------------------------------------------------------------------------------------
// --check: does each server answer correctly?
// ---------------------------------------------------------------------------------------

/// One raw request; returns the status line and the body.
fn get(addr: SocketAddr, target: &str) -> anyhow::Result<(String, String)> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(
        stream,
        "GET {target} HTTP/1.1\r\nHost: {addr}\r\nUser-Agent: check\r\nConnection: close\r\n\r\n"
    )?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    let (head, body) = answer.split_once("\r\n\r\n").context("no end of head")?;
    Ok((
        head.lines().next().unwrap_or("").to_owned(),
        body.to_owned(),
    ))
}

fn check(spec: &Spec, opts: &Options) -> anyhow::Result<()> {
    let server = start(spec, opts)?;
    let (status, body) = get(server.addr, "/check?x=1")?;
    ensure!(
        status.starts_with("HTTP/1.1 200"),
        "{}: {status}",
        spec.name
    );
    if !matches!(spec.kind, Kind::Nginx) {
        ensure!(
            body.starts_with("GET /check?x=1 HTTP/1.1\n")
                && body.to_ascii_lowercase().contains("user-agent: check\n"),
            "{}: the echo is wrong:\n{body}",
            spec.name
        );
    }
    let (wrk, _) = run_wrk(server.addr, 10, Duration::from_secs(1), spec.pinned, None)?;
    ensure!(
        wrk.errors == 0,
        "{}: wrk saw {} errors",
        spec.name,
        wrk.errors
    );
    if spec.idle {
        measure_idle(&server, opts)?;
    }
    server.stop()?;
    println!(
        "ok: {} ({} req/s in a 1 s, 10-connection run)",
        spec.name, wrk.rps as u64
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------
// The report
// ---------------------------------------------------------------------------------------

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    match xs.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => xs[n / 2],
        n => (xs[n / 2 - 1] + xs[n / 2]) / 2.0,
    }
}

/// A median with the smallest and largest of the values it is the median of.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Spread {
    median: f64,
    min: f64,
    max: f64,
}

impl Spread {
    fn of(xs: Vec<f64>) -> Option<Spread> {
        let finite: Vec<f64> = xs.into_iter().filter(|x| x.is_finite()).collect();
        if finite.is_empty() {
            return None;
        }
        Some(Spread {
            min: finite.iter().copied().fold(f64::INFINITY, f64::min),
            max: finite.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            median: median(finite),
        })
    }
}

fn median_cell(cells: &[Cell]) -> Cell {
    let m = |f: fn(&Cell) -> f64| median(cells.iter().map(f).collect());
    Cell {
        rps: m(|c| c.rps),
        p50_us: m(|c| c.p50_us),
        p99_us: m(|c| c.p99_us),
        cpu_us_per_req: m(|c| c.cpu_us_per_req),
        core_use: m(|c| c.core_use),
        rss_kib: m(|c| c.rss_kib),
        hwm_kib: m(|c| c.hwm_kib),
        errors: cells.iter().map(|c| c.errors).sum(),
    }
}

fn median_idle(idles: &[Idle]) -> Idle {
    let m = |f: fn(&Idle) -> f64| median(idles.iter().map(f).collect());
    Idle {
        before_kib: m(|i| i.before_kib),
        after_kib: m(|i| i.after_kib),
        bytes_per_conn: m(|i| i.bytes_per_conn),
    }
}

/// 41230.4 → "41,230".
fn thousands(x: f64) -> String {
    let s = format!("{:.0}", x);
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn latency(us: f64) -> String {
    if us >= 1000.0 {
        format!("{:.2} ms", us / 1000.0)
    } else {
        format!("{us:.0} µs")
    }
}

fn with_ratio(text: String, x: f64, reference: Option<f64>) -> String {
    match reference {
        Some(r) if r > 0.0 && x.is_finite() => format!("{text} ({:.2}×)", x / r),
        _ => text,
    }
}

struct Results {
    specs: Vec<Spec>,
    skipped: Vec<String>,
    cells: BTreeMap<(String, u32), Vec<Cell>>,
    idle: BTreeMap<String, Vec<Idle>>,
    /// At each connection count, the access log's back-to-back runs: (`warn`, `info`).
    log_pairs: BTreeMap<u32, Vec<(Cell, Cell)>>,
    elapsed: Duration,
}

impl Results {
    fn cell(&self, name: &str, conns: u32) -> Option<Cell> {
        self.cells
            .get(&(name.to_owned(), conns))
            .filter(|c| !c.is_empty())
            .map(|c| median_cell(c))
    }

    /// `name`'s figure over `of`'s, round by round: each round's two servers ran minutes
    /// apart at most, under the same load from the rest of the machine, so the ratio
    /// within a round is steadier than the ratio of two medians taken across rounds.
    fn per_round(&self, name: &str, of: &str, conns: u32, f: fn(&Cell) -> f64) -> Option<Spread> {
        let a = self.cells.get(&(name.to_owned(), conns))?;
        let b = self.cells.get(&(of.to_owned(), conns))?;
        Spread::of(a.iter().zip(b).map(|(a, b)| f(a) / f(b)).collect())
    }

    fn idle(&self, name: &str) -> Option<Idle> {
        self.idle
            .get(name)
            .filter(|i| !i.is_empty())
            .map(|i| median_idle(i))
    }
}

fn machine() -> String {
    let run = |cmd: &str, args: &[&str]| {
        Command::new(cmd)
            .args(args)
            .output()
            .ok()
            .map(|o| {
                let mut s = String::from_utf8_lossy(&o.stdout).into_owned();
                s.push_str(&String::from_utf8_lossy(&o.stderr));
                s.lines().next().unwrap_or("").trim().to_owned()
            })
            .unwrap_or_default()
    };
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines().find_map(|l| {
                l.strip_prefix("model name")?
                    .split_once(':')
                    .map(|(_, v)| v.trim().to_owned())
            })
        })
        .unwrap_or_default();
    format!(
        "{} cores ({cpu}), kernel {}; {}; {}",
        run("nproc", &[]),
        run("uname", &["-r"]),
        run("wrk", &["-v"]).split(" Copyright").next().unwrap_or(""),
        run("nginx", &["-v"]).trim_start_matches("nginx version: "),
    )
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

fn report(r: &Results, opts: &Options, load_before: &str) -> String {
    let mut md = String::new();
    let _ = writeln!(
        md,
        "Command: `{}` — {} round(s), servers alternating, then {} back-to-back pair(s) of \
         hostecho at warn and info; wrk {} s per cell after a {} s warm-up; {} idle \
         connections; took {} s.\n",
        opts.command,
        opts.rounds,
        opts.log_pairs,
        opts.duration.as_secs(),
        opts.warmup.as_secs(),
        thousands(opts.idle_conns as f64),
        r.elapsed.as_secs()
    );
    let _ = writeln!(
        md,
        "Machine: {}. Load average {} before, {} after (other builds share the machine: \
         read differences under ~5 % as noise).\n",
        machine(),
        load_before,
        load_average()
    );
    let _ = writeln!(
        md,
        "Medians of the rounds; in parentheses, the ratio to hyper on one thread (the \
         two-worker rows: to hyper on two threads). CPU is the server's utime + stime per \
         request, and server CPU that time over the run's wall time (100 % is one core; \
         below that, wrk or the machine's other load held the server back); RSS is the highest VmRSS sampled during the run, HWM the VmHWM at its end.\n"
    );
    md.push_str(
        "| server | conns | req/s | p50 | p99 | CPU µs/req | server CPU | RSS KiB | HWM KiB | errors |\n",
    );
    md.push_str("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for spec in &r.specs {
        for &conns in &opts.conns {
            let Some(c) = r.cell(spec.name, conns) else {
                continue;
            };
            let h = r.cell(spec.reference(), conns);
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {} | {} | {:.0} % | {} | {} | {} |",
                spec.name,
                thousands(conns as f64),
                with_ratio(thousands(c.rps), c.rps, h.as_ref().map(|h| h.rps)),
                with_ratio(latency(c.p50_us), c.p50_us, h.as_ref().map(|h| h.p50_us)),
                with_ratio(latency(c.p99_us), c.p99_us, h.as_ref().map(|h| h.p99_us)),
                with_ratio(
                    format!("{:.2}", c.cpu_us_per_req),
                    c.cpu_us_per_req,
                    h.as_ref().map(|h| h.cpu_us_per_req)
                ),
                c.core_use * 100.0,
                with_ratio(
                    thousands(c.rss_kib),
                    c.rss_kib,
                    h.as_ref().map(|h| h.rss_kib)
                ),
                with_ratio(
                    thousands(c.hwm_kib),
                    c.hwm_kib,
                    h.as_ref().map(|h| h.hwm_kib)
                ),
                c.errors
            );
        }
    }
    for note in &r.skipped {
        let _ = writeln!(md, "| {note} | | | | | | | | | |");
    }

    let _ = writeln!(
        md,
        "\nIdle keep-alive connections: VmRSS of a fresh server before and with {} \
         connections that have each had one answer.\n",
        thousands(opts.idle_conns as f64)
    );
    md.push_str("| server | VmRSS before | VmRSS with them | bytes per idle connection |\n");
    md.push_str("|---|---:|---:|---:|\n");
    let hyper_idle = r.idle(HYPER);
    for spec in r.specs.iter().filter(|s| s.idle) {
        let Some(i) = r.idle(spec.name) else { continue };
        let _ = writeln!(
            md,
            "| {} | {} KiB | {} KiB | {} |",
            spec.name,
            thousands(i.before_kib),
            thousands(i.after_kib),
            with_ratio(
                thousands(i.bytes_per_conn),
                i.bytes_per_conn,
                hyper_idle.as_ref().map(|h| h.bytes_per_conn)
            )
        );
    }

    md.push_str(&goals(r, opts));
    md
}

/// The issue's goals, each with hostecho's figure and whether it is met.
///
/// A ratio goal is judged on the median of the rounds' own ratios (hostecho over its
/// peer in the same round), shown with the lowest and highest of them: where that
/// range straddles the goal, the run cannot say which side of it hostecho is on.
fn goals(r: &Results, opts: &Options) -> String {
    let mut md =
        String::from("\n| goal | hostecho | lowest–highest round | met |\n|---|---:|---:|:---:|\n");
    let mut row = |goal: &str, value: Option<Spread>, ok: &dyn Fn(f64) -> bool, unit: &str| {
        let show = |v: f64| match unit {
            "×" => format!("{v:.2}×"),
            "%" => format!("{:+.1} %", (v - 1.0) * 100.0),
            _ => format!("{v:.0}{unit}"),
        };
        let (v, range, met) = match value {
            Some(s) => (
                show(s.median),
                if s.min == s.max {
                    String::new()
                } else {
                    format!("{} – {}", show(s.min), show(s.max))
                },
                if ok(s.median) { "yes" } else { "no" },
            ),
            None => ("—".to_owned(), String::new(), "—"),
        };
        let _ = writeln!(md, "| {goal} | {v} | {range} | {met} |");
    };
    let ratio =
        |name: &str, of: &str, conns: u32, f: fn(&Cell) -> f64| r.per_round(name, of, conns, f);
    let lo = *opts.conns.first().unwrap_or(&50);
    let hi = *opts.conns.last().unwrap_or(&1000);
    row(
        &format!("req/s at {lo} ≥ 0.97× hyper"),
        ratio(HOSTECHO, HYPER, lo, |c| c.rps),
        &|v| v >= 0.97,
        "×",
    );
    row(
        &format!("req/s at {hi} ≥ 1.10× hyper"),
        ratio(HOSTECHO, HYPER, hi, |c| c.rps),
        &|v| v >= 1.10,
        "×",
    );
    row(
        &format!("p99 at {hi} ≤ 0.70× hyper"),
        ratio(HOSTECHO, HYPER, hi, |c| c.p99_us),
        &|v| v <= 0.70,
        "×",
    );
    for conns in [lo, hi] {
        row(
            &format!("CPU/request at {conns} ≤ 0.85× hyper"),
            ratio(HOSTECHO, HYPER, conns, |c| c.cpu_us_per_req),
            &|v| v <= 0.85,
            "×",
        );
        row(
            &format!("CPU/request at {conns} ≤ 1.05× the mio floor"),
            ratio(HOSTECHO, MIO, conns, |c| c.cpu_us_per_req),
            &|v| v <= 1.05,
            "×",
        );
    }
    row(
        "bytes per idle keep-alive connection ≤ 512",
        r.idle(HOSTECHO).map(|i| Spread {
            median: i.bytes_per_conn,
            min: i.bytes_per_conn,
            max: i.bytes_per_conn,
        }),
        &|v| v <= 512.0,
        " B",
    );
    // The access log's cost: info with stderr to a file, against warn, from the
    // back-to-back runs when there are any, else from the rounds.
    for conns in [lo, hi] {
        let cpu = log_ratio(r, conns, |c| c.cpu_us_per_req);
        row(
            &format!("CPU/request at {conns}, RUST_LOG=info over warn (stderr to a file) < +10 %"),
            cpu,
            &|v| v < 1.10,
            "%",
        );
    }
    for conns in [lo, hi] {
        let (Some(cpu), Some(rps)) = (
            log_ratio(r, conns, |c| c.cpu_us_per_req),
            log_ratio(r, conns, |c| c.rps),
        ) else {
            continue;
        };
        let pairs = r.log_pairs.get(&conns).map_or(0, Vec::len);
        let how = match pairs {
            0 => format!("{} round(s)", opts.rounds),
            1 => "one back-to-back run of each".to_owned(),
            n => format!("{n} back-to-back runs of each, alternating which goes first"),
        };
        let range = if cpu.min == cpu.max {
            String::new()
        } else {
            format!(
                " (runs from {:+.1} % to {:+.1} %)",
                (cpu.min - 1.0) * 100.0,
                (cpu.max - 1.0) * 100.0
            )
        };
        let _ = writeln!(
            md,
            "\nAccess log at {conns} connections (RUST_LOG=info, stderr to a file, {how}): \
             {:+.1} % CPU per request{range}, req/s {:.2}× that of RUST_LOG=warn.",
            (cpu.median - 1.0) * 100.0,
            rps.median
        );
    }
    md
}

/// `info` over `warn` for hostecho: from the back-to-back runs if there are any
/// ([`measure_log_pairs`]), else round by round.
fn log_ratio(r: &Results, conns: u32, f: fn(&Cell) -> f64) -> Option<Spread> {
    match r.log_pairs.get(&conns).filter(|p| !p.is_empty()) {
        Some(pairs) => Spread::of(pairs.iter().map(|(warn, info)| f(info) / f(warn)).collect()),
        None => r.per_round(HOSTECHO_LOG, HOSTECHO, conns, f),
    }
}

/// A hand-written SVG: one horizontal bar per server and figure, as a ratio to hyper
/// (the line at 1×). Longer is better for req/s; shorter is better for the others.
fn chart(r: &Results, opts: &Options) -> String {
    let lo = *opts.conns.first().unwrap_or(&50);
    let hi = *opts.conns.last().unwrap_or(&1000);
    type Get = Box<dyn Fn(&Results, &str) -> Option<f64>>;
    let cell = |conns: u32, f: fn(&Cell) -> f64| -> Get {
        Box::new(move |r: &Results, name: &str| r.cell(name, conns).map(|c| f(&c)))
    };
    let figures: Vec<(String, Get)> = vec![
        (
            format!("req/s, {lo} conns (more is better)"),
            cell(lo, |c| c.rps),
        ),
        (
            format!("req/s, {hi} conns (more is better)"),
            cell(hi, |c| c.rps),
        ),
        (
            format!("p99, {hi} conns (less is better)"),
            cell(hi, |c| c.p99_us),
        ),
        (
            format!("CPU per request, {lo} conns (less is better)"),
            cell(lo, |c| c.cpu_us_per_req),
        ),
        (
            format!("CPU per request, {hi} conns (less is better)"),
            cell(hi, |c| c.cpu_us_per_req),
        ),
        (
            "bytes per idle connection (less is better)".to_owned(),
            Box::new(|r: &Results, name: &str| r.idle(name).map(|i| i.bytes_per_conn)),
        ),
    ];
    let servers: Vec<&Spec> = r.specs.iter().filter(|s| s.pinned).collect();
    let colors = [
        "#1f77b4", "#aec7e8", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b",
    ];
    let (left, bar, gap, width) = (190.0, 14.0, 10.0, 760.0);
    let max_ratio = 3.0;
    let scale = (width - left - 60.0) / max_ratio;
    let mut rows = String::new();
    let mut y = 40.0;
    for (title, get) in &figures {
        let _ = writeln!(
            rows,
            r#"<text x="8" y="{:.0}" font-weight="bold">{title}</text>"#,
            y + 2.0
        );
        y += 8.0;
        let reference = get(r, HYPER);
        for (i, spec) in servers.iter().enumerate() {
            let (Some(v), Some(h)) = (get(r, spec.name), reference) else {
                continue;
            };
            if h <= 0.0 {
                continue;
            }
            let ratio = v / h;
            let w = (ratio.min(max_ratio) * scale).max(1.0);
            let _ = writeln!(
                rows,
                r#"<text x="{:.0}" y="{:.0}" text-anchor="end">{}</text><rect x="{left}" y="{y:.0}" width="{w:.1}" height="{bar}" fill="{}"/><text x="{:.0}" y="{:.0}">{ratio:.2}×</text>"#,
                left - 6.0,
                y + bar - 3.0,
                spec.name,
                colors[i % colors.len()],
                left + w + 4.0,
                y + bar - 3.0,
            );
            y += bar + 2.0;
        }
        y += gap;
    }
    let one = left + scale;
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{h:.0}" font-family="sans-serif" font-size="11">
<rect width="100%" height="100%" fill="white"/>
<text x="8" y="18" font-size="13" font-weight="bold">hostecho load harness: each figure as a ratio to hyper (line at 1×; bars cut at {max_ratio}×)</text>
{rows}<line x1="{one:.1}" y1="28" x2="{one:.1}" y2="{y:.0}" stroke="black" stroke-dasharray="3,3"/>
</svg>
"#,
        h = y + 10.0,
    )
}

const BEGIN: &str = "<!-- bench-load:begin -->";
const END: &str = "<!-- bench-load:end -->";

/// Replaces what is between the markers in `path` (appending them if absent).
fn splice(path: &Path, body: &str) -> anyhow::Result<()> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let new = match (text.find(BEGIN), text.find(END)) {
        (Some(b), Some(e)) if b < e => {
            format!("{}{BEGIN}\n{body}{}", &text[..b], &text[e..])
        }
        _ => format!("{text}\n{BEGIN}\n{body}{END}\n"),
    };
    std::fs::write(path, new).with_context(|| format!("writing {}", path.display()))
}

// ---------------------------------------------------------------------------------------
// main
// ---------------------------------------------------------------------------------------

fn raise_nofile() {
    // wrk at 1,000 connections and the servers holding 10,000 idle ones all inherit this
    // process's limit; the default soft limit of 1,024 is too low for both.
    use rustix::process::{Resource, getrlimit, setrlimit};
    let mut limit = getrlimit(Resource::Nofile);
    limit.current = limit.maximum;
    let _ = setrlimit(Resource::Nofile, limit);
}

fn have(program: &str) -> bool {
    Command::new(program)
        .arg("-v")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

fn main() -> anyhow::Result<()> {
    let opts = parse_options()?;
    raise_nofile();
    ensure!(
        have("wrk"),
        "wrk is not installed (scripts/bench-load.sh installs it)"
    );
    ensure!(have("taskset"), "taskset is not installed (util-linux)");
    let hz = clock_ticks_per_sec();

    let help = Command::new(&opts.hostecho)
        .arg("--help")
        .output()
        .with_context(|| format!("running {} --help", opts.hostecho.display()))?;
    let has_workers = String::from_utf8_lossy(&help.stdout).contains("--workers");

    let mut specs = vec![
        Spec {
            name: HOSTECHO,
            kind: Kind::Hostecho {
                log: false,
                workers: None,
            },
            pinned: true,
            idle: true,
        },
        Spec {
            name: HOSTECHO_LOG,
            kind: Kind::Hostecho {
                log: true,
                workers: None,
            },
            pinned: true,
            idle: false,
        },
        Spec {
            name: HYPER,
            kind: Kind::Hyper { threads: 1 },
            pinned: true,
            idle: true,
        },
        Spec {
            name: MIO,
            kind: Kind::Mio,
            pinned: true,
            idle: true,
        },
    ];
    let mut skipped = Vec::new();
    if have("nginx") {
        specs.push(Spec {
            name: NGINX,
            kind: Kind::Nginx,
            pinned: true,
            idle: true,
        });
    } else {
        skipped.push(format!("{NGINX}: skipped, not installed"));
        eprintln!("skipped: nginx not installed");
    }
    if has_workers {
        specs.push(Spec {
            name: HOSTECHO_2,
            kind: Kind::Hostecho {
                log: false,
                workers: Some(2),
            },
            pinned: false,
            idle: false,
        });
    } else {
        skipped.push(format!(
            "{HOSTECHO_2}: skipped, `hostecho --help` lists no `--workers` yet"
        ));
        eprintln!("skipped: {HOSTECHO_2} (`hostecho --help` lists no --workers)");
    }
    specs.push(Spec {
        name: HYPER_2,
        kind: Kind::Hyper { threads: 2 },
        pinned: false,
        idle: false,
    });

    if opts.check {
        for spec in &specs {
            check(spec, &opts)?;
        }
        return Ok(());
    }

    let load_before = load_average();
    let started = Instant::now();
    let mut results = Results {
        specs: specs.clone(),
        skipped,
        cells: BTreeMap::new(),
        idle: BTreeMap::new(),
        log_pairs: BTreeMap::new(),
        elapsed: Duration::ZERO,
    };
    for round in 0..opts.rounds {
        // Alternate: forwards on even rounds, backwards on odd ones.
        let mut order = specs.clone();
        if round % 2 == 1 {
            order.reverse();
        }
        for spec in &order {
            let server = start(spec, &opts)?;
            for &conns in &opts.conns {
                let cell = measure_cell(&server, spec, conns, &opts, hz)
                    .with_context(|| format!("{} at {conns} connections", spec.name))?;
                eprintln!(
                    "round {}: {:<24} {:>5} conns {:>9.0} req/s  p50 {:>9}  p99 {:>9}  {:.2} µs CPU/req ({:.0} % of a core)  RSS {} KiB",
                    round + 1,
                    spec.name,
                    conns,
                    cell.rps,
                    latency(cell.p50_us),
                    latency(cell.p99_us),
                    cell.cpu_us_per_req,
                    cell.core_use * 100.0,
                    cell.rss_kib
                );
                results
                    .cells
                    .entry((spec.name.to_owned(), conns))
                    .or_default()
                    .push(cell);
            }
            server.stop().with_context(|| spec.name)?;
            if spec.idle {
                // A fresh server, so the figure is not the load run's leftovers.
                let server = start(spec, &opts)?;
                let idle = measure_idle(&server, &opts)
                    .with_context(|| format!("{} with idle connections", spec.name))?;
                eprintln!(
                    "round {}: {:<24} {:.0} bytes per idle connection",
                    round + 1,
                    spec.name,
                    idle.bytes_per_conn
                );
                server.stop().with_context(|| spec.name)?;
                results
                    .idle
                    .entry(spec.name.to_owned())
                    .or_default()
                    .push(idle);
            }
        }
    }
    measure_log_pairs(&specs, &opts, hz, &mut results)?;
    results.elapsed = started.elapsed();

    let mut md = report(&results, &opts, &load_before);
    if let Some(chart_path) = &opts.chart {
        std::fs::write(chart_path, chart(&results, &opts))
            .with_context(|| format!("writing {}", chart_path.display()))?;
        if let Some(write) = &opts.write {
            // The image link is relative to the Markdown file.
            let rel = pathdiff(chart_path, write.parent().unwrap_or(Path::new(".")));
            let _ = writeln!(md, "\n![Each figure as a ratio to hyper]({rel})");
        }
    }
    println!("{md}");
    if let Some(path) = &opts.write {
        splice(path, &md)?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}

/// `chart` relative to `base`, when it lies under it (otherwise as given).
fn pathdiff(chart: &Path, base: &Path) -> String {
    let chart = chart.canonicalize().unwrap_or_else(|_| chart.to_owned());
    let base = base.canonicalize().unwrap_or_else(|_| base.to_owned());
    chart
        .strip_prefix(&base)
        .unwrap_or(&chart)
        .display()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const WRK: &str = "Running 3s test @ http://127.0.0.1:40000/
  1 threads and 50 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   450.12us    1.20ms  40.00ms   98.00%
    Req/Sec    74.21k     3.00k   80.00k    70.00%
  Latency Distribution
     50%  266.00us
     75%  300.00us
     90%  400.00us
     99%    8.25ms
  222645 requests in 3.00s, 60.00MB read
  Socket errors: connect 0, read 2, write 0, timeout 3
  Non-2xx or 3xx responses: 7
Requests/sec:  74215.00
Transfer/sec:     20.00MB
";

    #[test]
    fn reads_wrk_summary() {
        let w = parse_wrk(WRK).expect("parses");
        assert_eq!(w.requests, 222_645);
        assert_eq!(w.rps, 74_215.0);
        assert_eq!(w.p50_us, 266.0);
        assert_eq!(w.p99_us, 8_250.0);
        assert_eq!(w.errors, 12);
    }

    #[test]
    fn refuses_wrk_output_without_results() {
        assert!(parse_wrk("unable to connect to 127.0.0.1:1 Connection refused\n").is_err());
    }

    #[test]
    fn durations_in_every_wrk_unit() {
        assert_eq!(parse_duration_us("250.00us"), Some(250.0));
        assert_eq!(parse_duration_us("1.50ms"), Some(1_500.0));
        assert_eq!(parse_duration_us("2.00s"), Some(2_000_000.0));
        assert_eq!(parse_duration_us("1.00m"), Some(60_000_000.0));
        assert_eq!(parse_duration_us("fast"), None);
    }

    #[test]
    fn spreads_and_ratios_round_by_round() {
        assert_eq!(Spread::of(vec![]), None);
        assert_eq!(
            Spread::of(vec![1.2, f64::NAN, 0.9, 1.0]),
            Some(Spread {
                median: 1.0,
                min: 0.9,
                max: 1.2
            })
        );
        let cell = |cpu| Cell {
            cpu_us_per_req: cpu,
            ..Cell::default()
        };
        let mut r = Results {
            specs: Vec::new(),
            skipped: Vec::new(),
            cells: BTreeMap::new(),
            idle: BTreeMap::new(),
            log_pairs: BTreeMap::new(),
            elapsed: Duration::ZERO,
        };
        // Round by round: 5/4, 4/5, 6/5; the ratio of the medians (5/5) would say 1.0.
        r.cells
            .insert((HOSTECHO.into(), 50), vec![cell(5.0), cell(4.0), cell(6.0)]);
        r.cells
            .insert((HYPER.into(), 50), vec![cell(4.0), cell(5.0), cell(5.0)]);
        let s = r
            .per_round(HOSTECHO, HYPER, 50, |c| c.cpu_us_per_req)
            .expect("three rounds");
        assert_eq!((s.median, s.min, s.max), (1.2, 0.8, 1.25));
        // The log's pairs, when there are any, decide its figure over the rounds.
        r.cells.insert(
            (HOSTECHO_LOG.into(), 50),
            vec![cell(6.0), cell(6.0), cell(6.0)],
        );
        assert_eq!(
            log_ratio(&r, 50, |c| c.cpu_us_per_req).map(|s| s.median),
            Some(1.2)
        );
        r.log_pairs
            .insert(50, vec![(cell(5.0), cell(5.2)), (cell(4.0), cell(4.4))]);
        let s = log_ratio(&r, 50, |c| c.cpu_us_per_req).expect("two pairs");
        assert!((s.min - 1.04).abs() < 1e-9 && (s.max - 1.1).abs() < 1e-9);
    }

    #[test]
    fn medians_and_thousands() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(vec![4.0, 1.0]), 2.5);
        assert_eq!(thousands(1_234_567.4), "1,234,567");
        assert_eq!(thousands(999.0), "999");
    }

    #[test]
    fn splice_replaces_only_between_markers() {
        let dir = temp_dir("splice").expect("temp dir");
        let path = dir.join("B.md");
        std::fs::write(&path, format!("# B\nkeep\n{BEGIN}\nold\n{END}\nafter\n")).expect("write");
        splice(&path, "new\n").expect("splice");
        let text = std::fs::read_to_string(&path).expect("read");
        assert_eq!(text, format!("# B\nkeep\n{BEGIN}\nnew\n{END}\nafter\n"));
        let _ = std::fs::remove_dir_all(dir);
    }
}
