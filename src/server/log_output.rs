//! The log's output: lines gathered in memory and written to stderr once per turn of
//! the event loop, instead of one `write` system call per line.
//!
//! At the default level every response logs an access line. Written one by one (what
//! env_logger does on its own: it writes and flushes each record), the log costs a
//! system call per response, as much as the response's own `write`, and at tens of
//! thousands of requests a second that is a third of the server's time when stderr is
//! a file. Gathered, a whole turn of the loop — every response it answered — goes out
//! in one `write`.
//!
//! env_logger still parses `RUST_LOG`, filters and formats: it writes each formatted
//! line to a [`Target::Pipe`], which here only appends to a shared buffer. The logger
//! installed is a [`BufferedLogger`] around env_logger's own, whose
//! [`flush`](log::Log::flush) writes the buffer out. Whoever wants the lines seen calls
//! `log::logger().flush()`:
//!
//! - the event loop, once per turn, before it sleeps in `poll` (so a line waits at
//!   most one turn, and never while the server is idle);
//! - [`Server::bind`](super::Server::bind), after its start-up notes, so a warning about
//!   the bind shows before `listening on`;
//! - `main`, before printing an error and after the server returns;
//! - the signal thread, before a second signal ends the process at once.
//!
//! Memory stays bounded: the buffer is written out whenever it reaches
//! [`FLUSH_AT`], whoever is logging. Lines from several workers share the buffer, in
//! the order they were logged. A panic loses what is buffered; the panic's own message
//! goes to stderr directly.

use std::io::{self, Write};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use log::{Log, Metadata, Record};

/// The buffer is written out when it holds this much, without waiting for the turn's
/// end: a turn that answers thousands of requests must not hold megabytes of log.
pub const FLUSH_AT: usize = 64 * 1024;

/// Formatted lines not yet written, shared by the pipe end env_logger writes to and
/// the logger that flushes them.
#[derive(Debug, Default, Clone)]
struct Shared(Arc<Mutex<Vec<u8>>>);

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Vec<u8>> {
        // A thread that panicked while appending left at worst a partial line: keep
        // logging rather than lose every line after it.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Writes `buf` out to `out` and empties it. If the write fails (stderr closed), the
/// lines are dropped: the log is not worth stopping the server for, and keeping them
/// would grow memory without bound.
fn write_out(buf: &mut Vec<u8>, out: &mut dyn Write) {
    if !buf.is_empty() {
        let _ = out.write_all(buf).and_then(|()| out.flush());
        buf.clear();
    }
}

/// The end env_logger writes formatted lines to: it appends to the buffer, and writes
/// out only when the buffer reaches [`FLUSH_AT`]. Its `flush` does nothing, because
/// env_logger calls it after every line; [`BufferedLogger`]'s flush is the real one.
struct PipeEnd {
    shared: Shared,
    out: fn() -> Box<dyn Write>,
}

impl Write for PipeEnd {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let mut buf = self.shared.lock();
        buf.extend_from_slice(bytes);
        if buf.len() >= FLUSH_AT {
            write_out(&mut buf, &mut (self.out)());
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// env_logger's logger, with its output gathered (see the module's note).
pub struct BufferedLogger {
    inner: env_logger::Logger,
    shared: Shared,
    out: fn() -> Box<dyn Write>,
}

impl BufferedLogger {
    /// Builds the logger from `builder` (filters and format already set), gathering
    /// its output for stderr. The builder's target is replaced.
    pub fn new(builder: &mut env_logger::Builder) -> BufferedLogger {
        BufferedLogger::with_output(builder, || Box::new(io::stderr()))
    }

    /// The same, writing out to what `out` opens instead of stderr (for tests).
    fn with_output(builder: &mut env_logger::Builder, out: fn() -> Box<dyn Write>) -> Self {
        let shared = Shared::default();
        builder.target(env_logger::Target::Pipe(Box::new(PipeEnd {
            shared: shared.clone(),
            out,
        })));
        BufferedLogger {
            inner: builder.build(),
            shared,
            out,
        }
    }

    /// Installs it as the process's logger, with env_logger's filter as the maximum
    /// level (so `debug!` at info costs one comparison).
    pub fn install(self) -> Result<(), log::SetLoggerError> {
        log::set_max_level(self.inner.filter());
        log::set_boxed_logger(Box::new(self))
    }
}

impl std::fmt::Debug for BufferedLogger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BufferedLogger")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl Log for BufferedLogger {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        self.inner.enabled(metadata)
    }

    fn log(&self, record: &Record<'_>) {
        self.inner.log(record);
    }

    /// Writes out every line gathered so far, in one `write`.
    fn flush(&self) {
        write_out(&mut self.shared.lock(), &mut (self.out)());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::LazyLock;

    /// What the test logger "wrote to stderr": one entry per write-out.
    static WRITTEN: LazyLock<Mutex<Vec<Vec<u8>>>> = LazyLock::new(Default::default);

    struct Recorder;

    impl Write for Recorder {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            WRITTEN.lock().unwrap().push(bytes.to_vec());
            Ok(bytes.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn record(logger: &BufferedLogger, level: log::Level, message: std::fmt::Arguments<'_>) {
        logger.log(
            &Record::builder()
                .level(level)
                .target("hostecho::server::connection")
                .args(message)
                .build(),
        );
    }

    /// One test, because the recorder is a global (`out` is a plain `fn`).
    #[test]
    fn lines_wait_for_flush_and_a_full_buffer_writes_itself_out() {
        let mut builder = env_logger::Builder::new();
        builder
            .parse_filters("info")
            .format_timestamp(None)
            .write_style(env_logger::WriteStyle::Never);
        let logger = BufferedLogger::with_output(&mut builder, || Box::new(Recorder));

        record(&logger, log::Level::Info, format_args!("first"));
        record(&logger, log::Level::Debug, format_args!("filtered out"));
        record(&logger, log::Level::Warn, format_args!("second"));
        assert!(WRITTEN.lock().unwrap().is_empty(), "written before a flush");
        logger.flush();
        let written = std::mem::take(&mut *WRITTEN.lock().unwrap());
        assert_eq!(
            written,
            vec![
                b"[INFO  hostecho::server::connection] first\n\
                  [WARN  hostecho::server::connection] second\n"
                    .to_vec()
            ],
            "one write, both lines, in order, in env_logger's format"
        );
        logger.flush();
        assert!(WRITTEN.lock().unwrap().is_empty(), "nothing left to write");

        // Without a flush, the buffer goes out by itself once it reaches FLUSH_AT.
        let line = "x".repeat(1000);
        let mut logged = 0;
        while WRITTEN.lock().unwrap().is_empty() {
            record(&logger, log::Level::Info, format_args!("{line}"));
            logged += 1;
            assert!(
                logged <= FLUSH_AT / 1000 + 1,
                "the buffer grew past FLUSH_AT"
            );
        }
        let written = std::mem::take(&mut *WRITTEN.lock().unwrap());
        assert_eq!(written.len(), 1);
        assert!(written[0].len() >= FLUSH_AT);
        assert!(logger.shared.lock().is_empty());
    }
}
