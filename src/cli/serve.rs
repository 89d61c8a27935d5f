//! Serving: bind, say where on stdout, run until shut down.

use std::io::Write;

use anyhow::Context as _;

use hostecho::Server;
use hostecho::config::Config;
use hostecho::server::startup;

/// Binds every address of `config`, prints one `listening on` line per socket (and,
/// for a wildcard, what to connect to instead), and serves until a signal drains it.
pub fn serve(config: Config) -> anyhow::Result<()> {
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
        if let Some(hint) = startup::connect_hint(*addr) {
            writeln!(stdout, "{hint}").context("writing to stdout")?;
        }
    }
    stdout.flush().context("writing to stdout")?;
    drop(stdout);
    server.run()?;
    Ok(())
}
