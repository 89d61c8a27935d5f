//! The non-reading client: how much of a server's memory clients can make it hold by
//! sending large bodies and never reading the answers.
//!
//! Run: `unread_hold 127.0.0.1:PORT 100 --pid SERVER_PID`. It reads the server's VmRSS
//! (`/proc/PID/status`), then opens N connections and on each sends one
//! `POST` of a 1 MiB body (`--body-bytes`) with `Accept: application/json`, and reads
//! nothing: each answer stays with the server, in its buffers and the socket's. Once
//! every body is sent it waits for the server's VmRSS to settle (no change for a
//! second), and reads it again: what the N clients made the server hold. Then it reads
//! the first bytes of each answer (each must be a `200`), closes every connection, waits
//! for VmRSS to settle again, and prints one line:
//!
//! ```text
//! unread: conns=100 body_bytes=1048576 ok=100 rss_before_kib=2300 rss_held_kib=9100 rss_after_kib=3100 grown_kib=6800 left_kib=800
//! ```
//!
//! `--ascii` sends every ASCII byte but NUL in turn instead: UTF-8, so the text and
//! HTML echoes show the body as text (escaped) rather than a hex dump of its start.
//! `--accept` asks for another format (`text/plain`, `text/html`). `--rcvbuf 4096`
//! shrinks each client's receive buffer, so the kernel takes far less of each answer
//! off the server's hands (loopback's buffers otherwise absorb a few megabytes per
//! connection, which VmRSS does not count), and what the server holds shows.
//!
//! `grown_kib` is what the clients made the server hold, all of them together;
//! `left_kib` what stays once they are gone (memory the allocator kept rather than
//! returned). The body is every byte value in turn, so it is not UTF-8 and is full of
//! control bytes: the JSON echo's worst case (escapes, U+FFFD, and `body_base64`).
//!
//! VmRSS is the server process's resident user memory; the kernel's socket buffers are
//! not in it. Bounded: every connect, read and write has a 5 s time-out, each wait for
//! VmRSS to settle at most 20 s, N at most 1,000 and the body at most 64 MiB. Loopback
//! only: the address must be in 127.0.0.0/8.

use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail, ensure};
use socket2::{Domain, Protocol, SockAddr, Socket, Type};

const IO_TIMEOUT: Duration = Duration::from_secs(5);
const SETTLE_LIMIT: Duration = Duration::from_secs(20);
const MAX_CONNS: usize = 1_000;
const MAX_BODY: usize = 64 << 20;

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

/// Waits until VmRSS has not changed for a second (sampled every 100 ms), or
/// [`SETTLE_LIMIT`] has passed, and returns the last sample.
fn settled_rss_kib(pid: u32) -> anyhow::Result<u64> {
    let start = Instant::now();
    let mut last = vm_rss_kib(pid)?;
    let mut since = Instant::now();
    while since.elapsed() < Duration::from_secs(1) && start.elapsed() < SETTLE_LIMIT {
        std::thread::sleep(Duration::from_millis(100));
        let now = vm_rss_kib(pid)?;
        if now != last {
            last = now;
            since = Instant::now();
        }
    }
    Ok(last)
}

/// Opens one connection and sends a `POST` of `body` asking for `accept`, reading
/// nothing. `rcvbuf`, when given, is the socket's receive buffer (`SO_RCVBUF`, set
/// before connecting so the window is small from the start).
fn send_one(
    server: SocketAddr,
    body: &[u8],
    accept: &str,
    rcvbuf: Option<usize>,
) -> anyhow::Result<TcpStream> {
    let socket = Socket::new(Domain::IPV4, Type::STREAM, Some(Protocol::TCP))?;
    if let Some(size) = rcvbuf {
        socket.set_recv_buffer_size(size)?;
    }
    socket.connect_timeout(&SockAddr::from(server), IO_TIMEOUT)?;
    let mut stream: TcpStream = socket.into();
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    stream.set_write_timeout(Some(IO_TIMEOUT))?;
    write!(
        stream,
        "POST /upload HTTP/1.1\r\nHost: localhost\r\nUser-Agent: unread_hold\r\n\
         Accept: {accept}\r\nContent-Type: application/octet-stream\r\n\
         Content-Length: {}\r\n\r\n",
        body.len()
    )?;
    stream.write_all(body)?;
    Ok(stream)
}

/// Whether the answer waiting on `stream` starts as a 200 does.
fn answered_ok(stream: &mut TcpStream) -> bool {
    let mut start = [0u8; 12];
    stream.read_exact(&mut start).is_ok() && &start == b"HTTP/1.1 200"
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: unread_hold 127.0.0.1:PORT N --pid PID [--body-bytes BYTES] \
                 [--accept MEDIA-TYPE] [--rcvbuf BYTES] [--ascii]";
    ensure!(args.len() >= 2, "{usage}");
    let server: SocketAddr = args[0].parse().context(usage)?;
    ensure!(
        matches!(server.ip(), IpAddr::V4(ip) if ip.is_loopback()),
        "unread_hold only connects to 127.0.0.0/8, not {server}"
    );
    let n: usize = args[1].parse().context(usage)?;
    ensure!(n <= MAX_CONNS, "at most {MAX_CONNS} connections");
    let mut pid = None;
    let mut body_bytes = 1 << 20;
    let mut accept = "application/json".to_string();
    let mut rcvbuf = None;
    let mut ascii = false;
    let mut rest = args[2..].iter();
    while let Some(flag) = rest.next() {
        if flag == "--ascii" {
            ascii = true;
            continue;
        }
        let value = rest.next().context(usage)?;
        match flag.as_str() {
            "--pid" => pid = Some(value.parse::<u32>().context(usage)?),
            "--body-bytes" => body_bytes = value.parse::<usize>().context(usage)?,
            "--accept" => accept = value.clone(),
            "--rcvbuf" => rcvbuf = Some(value.parse::<usize>().context(usage)?),
            _ => bail!("{usage}"),
        }
    }
    let pid = pid.context(usage)?;
    ensure!(body_bytes <= MAX_BODY, "at most {MAX_BODY} body bytes");
    // Every byte value in turn: not UTF-8, and full of control bytes. With `--ascii`,
    // every ASCII byte but NUL in turn: UTF-8, so the text and HTML echoes show it as
    // text rather than a hex dump, escaping its control bytes, `<`, `&` and `"`.
    let body: Vec<u8> = if ascii {
        (0..body_bytes).map(|i| (1 + i % 127) as u8).collect()
    } else {
        (0..body_bytes).map(|i| (i % 256) as u8).collect()
    };

    let before = settled_rss_kib(pid)?;
    let mut held = Vec::with_capacity(n);
    for i in 0..n {
        let stream = send_one(server, &body, &accept, rcvbuf)
            .with_context(|| format!("connection {i} of {n}"))?;
        held.push(stream);
    }
    let with_them = settled_rss_kib(pid)?;
    let ok = held.iter_mut().map(answered_ok).filter(|&ok| ok).count();
    drop(held);
    let after = settled_rss_kib(pid)?;

    println!(
        "unread: conns={n} body_bytes={body_bytes} ascii={ascii} accept={accept} rcvbuf={} ok={ok} \
         rss_before_kib={before} \
         rss_held_kib={with_them} rss_after_kib={after} grown_kib={} left_kib={}",
        rcvbuf.map_or("default".to_string(), |b| b.to_string()),
        with_them.saturating_sub(before),
        after.saturating_sub(before),
    );
    Ok(())
}
