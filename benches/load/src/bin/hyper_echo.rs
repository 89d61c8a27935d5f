//! The hyper peer: the same echo as the floor, served by hyper 1.x on tokio.
//!
//! Run: `cargo run --release --bin hyper_echo -- 127.0.0.1:0 [--threads N]`, then
//! `curl http://127.0.0.1:PORT/`. It prints `listening on http://ADDR` first, like
//! hostecho, so the harness can bind port 0 and read the port back.
//!
//! This is the yardstick hostecho's goals are written against: a mainstream, well-tuned
//! HTTP/1.1 server doing the same small amount of work per request. By default it runs
//! on a `current_thread` runtime, one thread like hostecho's single event loop;
//! `--threads N` switches to the multi-thread runtime with N workers, for the scaling row.
//!
//! The answer is the request line and the headers as text (`name: value` per line).
//! hyper lower-cases header names as it parses them, so the names come back lower-case;
//! the body is not echoed (hyper reads and drops it), which is all wrk ever sends.

use std::net::{SocketAddr, TcpListener};

use anyhow::{Context as _, bail};
use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;

/// Builds the echo: `GET /path HTTP/1.1`, then one line per header, in wire order.
fn render(request: &Request<Incoming>) -> String {
    let mut out = String::with_capacity(256);
    out.push_str(request.method().as_str());
    out.push(' ');
    out.push_str(request.uri().path_and_query().map_or("/", |pq| pq.as_str()));
    out.push(' ');
    out.push_str(match request.version() {
        hyper::Version::HTTP_10 => "HTTP/1.0",
        _ => "HTTP/1.1",
    });
    out.push('\n');
    for (name, value) in request.headers() {
        out.push_str(name.as_str());
        out.push_str(": ");
        // A header value may hold any byte but CR, LF and NUL; show what is not text
        // as U+FFFD rather than refuse the request.
        out.push_str(&String::from_utf8_lossy(value.as_bytes()));
        out.push('\n');
    }
    out
}

async fn echo(request: Request<Incoming>) -> Result<Response<Full<Bytes>>, hyper::Error> {
    let body = render(&request);
    let response = Response::builder()
        .header("content-type", "text/plain; charset=utf-8")
        .body(Full::new(Bytes::from(body)));
    // Both header values are static and valid, so the builder cannot fail.
    Ok(response.expect("static response headers are valid"))
}

async fn serve(listener: TcpListener) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::from_std(listener)?;
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(accepted) => accepted,
            // Out of file descriptors, or a connection reset before we took it: the
            // listener itself is fine, so keep accepting (as hyper's own examples do,
            // minus the back-off, which a loopback benchmark does not need).
            Err(e) => {
                eprintln!("accept: {e}");
                continue;
            }
        };
        // Responses go out in one write; without NODELAY a pipelined second answer
        // could wait on Nagle's algorithm for the first one's ACK.
        let _ = stream.set_nodelay(true);
        tokio::spawn(async move {
            // Errors here are the client's doing (reset, malformed request): end that
            // connection quietly, as hostecho does.
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service_fn(echo))
                .await;
        });
    }
}

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let addr: SocketAddr = args
        .next()
        .as_deref()
        .unwrap_or("127.0.0.1:8090")
        .parse()
        .context("the first argument is the address to listen on, like 127.0.0.1:0")?;
    let threads: usize = match (args.next().as_deref(), args.next()) {
        (None, _) => 1,
        (Some("--threads"), Some(n)) => n.parse().context("--threads takes a number")?,
        (Some(other), _) => bail!("unknown argument {other:?} (try --threads N)"),
    };

    let listener = match TcpListener::bind(addr) {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("error: cannot bind {addr}: {e}");
            std::process::exit(1);
        }
    };
    listener.set_nonblocking(true)?;
    println!("listening on http://{}", listener.local_addr()?);

    let runtime = if threads <= 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .build()?
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .enable_io()
            .build()?
    };
    runtime.block_on(serve(listener))
}
