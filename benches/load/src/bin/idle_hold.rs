//! The idle-connection client: how many bytes of a server's memory one idle keep-alive
//! connection costs.
//!
//! Run: `idle_hold 127.0.0.1:PORT 10000 --pid SERVER_PID`. It reads the server's VmRSS
//! (`/proc/PID/status`), opens N connections, sends one request on each and reads the
//! whole answer — so every connection has been through a request and sits idle between
//! requests, the keep-alive state a browser leaves behind — reads VmRSS again, then
//! closes them all and prints one line:
//!
//! ```text
//! idle: conns=10000 ok=10000 rss_before_kib=2100 rss_after_kib=6200 bytes_per_conn=419
//! ```
//!
//! VmRSS is the server process's resident user memory: buffers, connection tables,
//! allocator overhead. The kernel's socket buffers are not in it (they are the same for
//! every server), so this is the figure a server's design decides.
//!
//! Bounded: every connect, read and write has a 5 s time-out, the whole run a 120 s
//! deadline, and N at most 100,000. Loopback only: the address must be in 127.0.0.0/8.

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail, ensure};
use socket2::{Domain, Protocol, SockAddr, Socket, Type};

const IO_TIMEOUT: Duration = Duration::from_secs(5);
const DEADLINE: Duration = Duration::from_secs(120);
const MAX_CONNS: usize = 100_000;

/// VmRSS of a process, in KiB, from `/proc/PID/status`.
fn vm_rss_kib(pid: u32) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .with_context(|| format!("reading /proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .context("no VmRSS line")
}

/// Lets this process open as many descriptors as its hard limit allows: the default soft
/// limit (1024) is far below the 10,000 connections it holds.
fn raise_nofile() -> u64 {
    use rustix::process::{Resource, getrlimit, setrlimit};
    let mut limit = getrlimit(Resource::Nofile);
    limit.current = limit.maximum;
    let _ = setrlimit(Resource::Nofile, limit);
    getrlimit(Resource::Nofile).current.unwrap_or(u64::MAX)
}

/// Opens one connection from `source` (port chosen by the kernel), sends one request and
/// reads its whole answer. Returns the stream, still open, and whether the answer was 200.
fn open_one(server: SocketAddr, source: Option<IpAddr>) -> anyhow::Result<(TcpStream, bool)> {
    let socket = Socket::new(Domain::IPV4, Type::STREAM, Some(Protocol::TCP))?;
    if let Some(ip) = source {
        socket.bind(&SockAddr::from(SocketAddr::new(ip, 0)))?;
    }
    socket.connect_timeout(&SockAddr::from(server), IO_TIMEOUT)?;
    // Close with RST when done: a FIN would leave 10,000 sockets in TIME_WAIT on this
    // side for a minute, holding the ports the next round needs.
    socket.set_linger(Some(Duration::ZERO))?;
    let mut stream: TcpStream = socket.into();
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    stream.set_write_timeout(Some(IO_TIMEOUT))?;
    stream.set_nodelay(true)?;
    write!(
        stream,
        "GET /idle HTTP/1.1\r\nHost: {server}\r\nUser-Agent: idle_hold\r\nAccept: */*\r\n\r\n"
    )?;

    // Read the head, then exactly Content-Length bytes of body: the connection must be
    // left between requests, with nothing unread.
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 4096];
    loop {
        let n = stream.read(&mut chunk)?;
        ensure!(n > 0, "the server closed the connection before answering");
        buf.extend_from_slice(&chunk[..n]);
        let mut headers = [httparse::EMPTY_HEADER; 32];
        let mut response = httparse::Response::new(&mut headers);
        if let httparse::Status::Complete(head_len) = response.parse(&buf)? {
            let ok = response.code == Some(200);
            let length: usize = response
                .headers
                .iter()
                .find(|h| h.name.eq_ignore_ascii_case("content-length"))
                .and_then(|h| std::str::from_utf8(h.value).ok()?.trim().parse().ok())
                .context("the answer has no Content-Length")?;
            let mut body_read = buf.len() - head_len;
            while body_read < length {
                let n = stream.read(&mut chunk)?;
                ensure!(n > 0, "the server closed the connection mid-body");
                body_read += n;
            }
            return Ok((stream, ok));
        }
    }
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: idle_hold 127.0.0.1:PORT N [--pid PID] [--sources K] [--hold-ms MS]";
    ensure!(args.len() >= 2, "{usage}");
    let server: SocketAddr = args[0].parse().context(usage)?;
    ensure!(
        matches!(server.ip(), IpAddr::V4(ip) if ip.is_loopback()),
        "idle_hold only connects to 127.0.0.0/8, not {server}"
    );
    let n: usize = args[1].parse().context(usage)?;
    ensure!(n <= MAX_CONNS, "at most {MAX_CONNS} connections");
    let mut pid = None;
    // About 28,000 ephemeral ports per source address (the default
    // ip_local_port_range): spread large runs over 127.0.0.2, .3, … so each source
    // stays well below that even with earlier runs' sockets still around.
    let mut sources = n.div_ceil(8_000).max(1);
    let mut hold = Duration::ZERO;
    let mut rest = args[2..].iter();
    while let Some(flag) = rest.next() {
        let value = rest.next().context(usage)?;
        match flag.as_str() {
            "--pid" => pid = Some(value.parse::<u32>().context(usage)?),
            "--sources" => sources = value.parse::<usize>().context(usage)?.clamp(1, 250),
            "--hold-ms" => hold = Duration::from_millis(value.parse().context(usage)?),
            _ => bail!("{usage}"),
        }
    }

    let limit = raise_nofile();
    ensure!(
        (n as u64) + 64 <= limit,
        "RLIMIT_NOFILE is {limit}, too low for {n} connections (raise the hard limit)"
    );

    let before = pid.map(vm_rss_kib).transpose()?;
    let start = Instant::now();
    let mut held = Vec::with_capacity(n);
    let mut ok = 0;
    for i in 0..n {
        ensure!(
            start.elapsed() < DEADLINE,
            "deadline: only {i} of {n} connections opened in {DEADLINE:?}"
        );
        let source = (sources > 1).then(|| {
            let last = u8::try_from(2 + i % sources).unwrap_or(2);
            IpAddr::V4(Ipv4Addr::new(127, 0, 0, last))
        });
        let (stream, was_ok) =
            open_one(server, source).with_context(|| format!("connection {i} of {n}"))?;
        ok += usize::from(was_ok);
        held.push(stream);
    }
    let open_ms = start.elapsed().as_millis();
    // Let the server finish whatever it does after the last answer (release buffers,
    // re-arm timers) before measuring.
    std::thread::sleep(Duration::from_millis(300));
    let after = pid.map(vm_rss_kib).transpose()?;
    std::thread::sleep(hold);
    drop(held);

    let mut line = format!("idle: conns={n} ok={ok} open_ms={open_ms}");
    if let (Some(before), Some(after)) = (before, after) {
        let per_conn = (after.saturating_sub(before) * 1024) as f64 / n.max(1) as f64;
        line +=
            &format!(" rss_before_kib={before} rss_after_kib={after} bytes_per_conn={per_conn:.0}");
    }
    println!("{line}");
    Ok(())
}
