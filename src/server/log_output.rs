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
//! line to a [`Target::Pipe`](env_logger::Target::Pipe), which here only appends to a shared buffer. The logger
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
//! When the log goes to a file or a pipe (no colours), the lines are also *formatted*
//! here rather than by env_logger, in exactly its default format
//! (`[2026-11-26T02:38:15Z INFO  hostecho::server::connection] …`): env_logger formats
//! each record into a fresh buffer of its own, passes it through its colour-stripping
//! writer (which it uses even when colours are off) and scans it for line breaks to
//! indent, and at one access line per response that was most of the log's remaining
//! cost. [`BufferedLogger::log`] writes the header straight into the shared buffer,
//! with the timestamp formatted once per second. A terminal still gets env_logger's
//! coloured lines. env_logger still decides which records pass (`RUST_LOG`).
//!
//! Memory stays bounded: the buffer is written out whenever it reaches
//! [`FLUSH_AT`], whoever is logging. Lines from several workers share the buffer, in
//! the order they were logged. A panic loses what is buffered; the panic's own message
//! goes to stderr directly.

use std::io::{self, Write};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

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
    /// Whether lines are formatted here, without colours ([`BufferedLogger::log`]),
    /// rather than by env_logger.
    plain: bool,
    /// The current second and its RFC 3339 text, formatted once per second.
    clock: Mutex<(u64, String)>,
}

impl BufferedLogger {
    /// Builds the logger from `builder` (filters and write style already set),
    /// gathering its output for stderr. The builder's target is replaced. With `plain`
    /// (no colours: stderr is not a terminal), lines are formatted here, in
    /// env_logger's default format; otherwise by env_logger, with its colours.
    pub fn new(builder: &mut env_logger::Builder, plain: bool) -> BufferedLogger {
        BufferedLogger::with_output(builder, plain, || Box::new(io::stderr()))
    }

    /// The same, writing out to what `out` opens instead of stderr (for tests).
    fn with_output(
        builder: &mut env_logger::Builder,
        plain: bool,
        out: fn() -> Box<dyn Write>,
    ) -> Self {
        let shared = Shared::default();
        builder.target(env_logger::Target::Pipe(Box::new(PipeEnd {
            shared: shared.clone(),
            out,
        })));
        BufferedLogger {
            inner: builder.build(),
            shared,
            out,
            plain,
            clock: Mutex::new((u64::MAX, String::new())),
        }
    }

    /// Appends the current time as env_logger writes it (RFC 3339, whole seconds,
    /// UTC: `2026-11-26T02:38:15Z`), formatting it only when the second changes.
    fn stamp(&self, buf: &mut Vec<u8>) {
        let now = SystemTime::now();
        let second = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let mut clock = self.clock.lock().unwrap_or_else(PoisonError::into_inner);
        if clock.0 != second {
            // A time jiff cannot represent (beyond the year 9999) is shown as env_logger
            // would fail to show it: not at all.
            clock.1 = jiff::Timestamp::try_from(now)
                .map_or_else(|_| String::new(), |ts| format!("{ts:.0}"));
            clock.0 = second;
        }
        buf.extend_from_slice(clock.1.as_bytes());
    }

    /// Formats `record` into `buf` as env_logger's default format does:
    /// `[TIMESTAMP LEVEL TARGET] message`, the level padded to five, each line break
    /// in the message followed by four spaces of indent, and a final newline.
    fn write_plain(&self, buf: &mut Vec<u8>, record: &Record<'_>) {
        buf.push(b'[');
        self.stamp(buf);
        // Writing into a Vec cannot fail.
        let _ = write!(buf, " {:<5}", record.level());
        if !record.target().is_empty() {
            buf.push(b' ');
            buf.extend_from_slice(record.target().as_bytes());
        }
        buf.extend_from_slice(b"] ");
        let message_at = buf.len();
        let _ = write!(buf, "{}", record.args());
        if buf[message_at..].contains(&b'\n') {
            let message = buf.split_off(message_at);
            for (i, line) in message.split(|&b| b == b'\n').enumerate() {
                if i > 0 {
                    buf.extend_from_slice(b"\n    ");
                }
                buf.extend_from_slice(line);
            }
        }
        buf.push(b'\n');
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
        if !self.plain {
            return self.inner.log(record);
        }
        if !self.inner.matches(record) {
            return;
        }
        let mut buf = self.shared.lock();
        self.write_plain(&mut buf, record);
        if buf.len() >= FLUSH_AT {
            write_out(&mut buf, &mut (self.out)());
        }
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
        let logger = BufferedLogger::with_output(&mut builder, false, || Box::new(Recorder));

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

    /// The plain lines are byte for byte what env_logger writes with colours off, for
    /// each level, a message with line breaks, and an empty target.
    #[test]
    fn plain_lines_are_env_logger_s_default_format() {
        let builder = || {
            let mut builder = env_logger::Builder::new();
            builder
                .parse_filters("trace")
                .write_style(env_logger::WriteStyle::Never);
            builder
        };
        let ours = BufferedLogger::with_output(&mut builder(), true, || Box::new(io::sink()));
        let theirs = BufferedLogger::with_output(&mut builder(), false, || Box::new(io::sink()));
        let cases: &[(log::Level, &str, &str)] = &[
            (
                log::Level::Info,
                "hostecho::server::connection",
                "127.0.0.1:5 \"GET / HTTP/1.1\" 200 12 host=localhost",
            ),
            (
                log::Level::Warn,
                "hostecho::server::connection",
                "rejected: a\nb\n",
            ),
            (log::Level::Error, "hostecho", "x"),
            (log::Level::Debug, "", "no target"),
            (log::Level::Trace, "hostecho::server", "t"),
        ];
        for &(level, target, message) in cases {
            for _ in 0..3 {
                let log = |logger: &BufferedLogger| {
                    logger.log(
                        &Record::builder()
                            .level(level)
                            .target(target)
                            .args(format_args!("{message}"))
                            .build(),
                    )
                };
                log(&ours);
                log(&theirs);
                let ours = std::mem::take(&mut *ours.shared.lock());
                let theirs = std::mem::take(&mut *theirs.shared.lock());
                // The two may straddle a second; then try again.
                if ours == theirs {
                    break;
                }
                let strip = |line: &[u8]| line.get(22..).map(<[u8]>::to_vec);
                assert_eq!(
                    strip(&ours),
                    strip(&theirs),
                    "{}\nvs env_logger's\n{}",
                    String::from_utf8_lossy(&ours),
                    String::from_utf8_lossy(&theirs)
                );
            }
        }
    }
}
