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
//! The access line — one per response — goes further: [`log_bytes`] lets the
//! connection write its message straight into the shared buffer, as bytes, without
//! `core::fmt` (the peer address and the numbers with [`crate::decimal`], the escaped
//! request line with [`push_escape_debug`] below). It
//! does so only when the installed logger is a plain [`BufferedLogger`]; otherwise it
//! returns `false` and the caller formats with `log!` as usual, which gives the same
//! bytes (unit tests compare the two).
//!
//! Memory stays bounded: the buffer is written out whenever it reaches
//! [`FLUSH_AT`], whoever is logging. Lines from several workers share the buffer, in
//! the order they were logged. A panic loses what is buffered; the panic's own message
//! goes to stderr directly.

use std::cell::RefCell;
use std::fmt;
use std::io::{self, Write};

use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use log::{Level, Log, Metadata, Record};

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
}

thread_local! {
    /// The current second and its RFC 3339 text, formatted once per second, for each
    /// thread that logs (each worker's loop): a lock around one shared copy would be
    /// taken for every line, and contended between workers.
    static CLOCK: RefCell<(u64, String)> = const { RefCell::new((u64::MAX, String::new())) };
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
        }
    }

    /// Appends the current time as env_logger writes it (RFC 3339, whole seconds,
    /// UTC: `2026-11-26T02:38:15Z`), formatting it only when the second changes.
    fn stamp(buf: &mut Vec<u8>) {
        let now = SystemTime::now();
        let second = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        CLOCK.with_borrow_mut(|(at, text)| {
            if *at != second {
                // A time jiff cannot represent (beyond the year 9999) is shown as
                // env_logger would fail to show it: not at all.
                *text = jiff::Timestamp::try_from(now)
                    .map_or_else(|_| String::new(), |ts| format!("{ts:.0}"));
                *at = second;
            }
            buf.extend_from_slice(text.as_bytes());
        });
    }

    /// Writes a line into `buf` as env_logger's default format does:
    /// `[TIMESTAMP LEVEL TARGET] message`, the level padded to five, each line break
    /// in the message (which `message` appends) followed by four spaces of indent, and
    /// a final newline.
    fn write_plain(
        &self,
        buf: &mut Vec<u8>,
        level: Level,
        target: &str,
        message: impl FnOnce(&mut Vec<u8>),
    ) {
        buf.push(b'[');
        Self::stamp(buf);
        buf.push(b' ');
        buf.extend_from_slice(padded(level).as_bytes());
        if !target.is_empty() {
            buf.push(b' ');
            buf.extend_from_slice(target.as_bytes());
        }
        buf.extend_from_slice(b"] ");
        let message_at = buf.len();
        message(buf);
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

    /// Appends a line (see [`write_plain`](Self::write_plain)) to the shared buffer,
    /// and writes the buffer out if it has reached [`FLUSH_AT`].
    fn append(&self, level: Level, target: &str, message: impl FnOnce(&mut Vec<u8>)) {
        let mut buf = self.shared.lock();
        self.write_plain(&mut buf, level, target, message);
        if buf.len() >= FLUSH_AT {
            write_out(&mut buf, &mut (self.out)());
        }
    }

    /// [`log_bytes`] for this logger: logs the line if it is plain and `RUST_LOG`
    /// lets the record through, and says whether it was plain.
    fn log_bytes(&self, level: Level, target: &str, message: &impl Fn(&mut Vec<u8>)) -> bool {
        if !self.plain {
            return false;
        }
        // env_logger decides, as for any record. Its filter reads the message only
        // when `RUST_LOG` has a `/…` message filter: then `Bytes` formats it (slowly,
        // once more).
        let passes = self.inner.matches(
            &Record::builder()
                .level(level)
                .target(target)
                .args(format_args!("{}", Bytes(message)))
                .build(),
        );
        if passes {
            self.append(level, target, message);
        }
        true
    }

    /// Installs it as the process's logger, with env_logger's filter as the maximum
    /// level (so `debug!` at info costs one comparison). A plain logger is also
    /// remembered for [`log_bytes`].
    pub fn install(self) -> Result<(), log::SetLoggerError> {
        // The logger lives as long as the process, as `set_boxed_logger` would make it.
        let logger: &'static BufferedLogger = Box::leak(Box::new(self));
        log::set_logger(logger)?;
        log::set_max_level(logger.inner.filter());
        if logger.plain {
            // `set_logger` succeeds once per process, so this is the only set.
            let _ = INSTALLED.set(logger);
        }
        Ok(())
    }
}

/// The plain [`BufferedLogger`] installed as the process's logger, if it is one.
/// `log` hands out the logger only as a `&dyn Log`, which cannot say what it is.
static INSTALLED: OnceLock<&'static BufferedLogger> = OnceLock::new();

/// Logs a line at `level` for `target` whose message `message` appends as bytes
/// (valid UTF-8, as a formatted message would be), straight into the log's buffer.
///
/// This is the access log's fast path (see the module's note). `RUST_LOG` filters the
/// line as it does for `log!`: by level and target, and by message for a `/…` filter.
/// It returns `true` when the line is dealt with: logged, or filtered out. It returns
/// `false`, having logged nothing, when the installed logger is not a plain
/// [`BufferedLogger`]; the caller then logs the same message with `log!`.
pub fn log_bytes(level: Level, target: &str, message: impl Fn(&mut Vec<u8>)) -> bool {
    // The global maximum first, as `log!` checks it: at `warn`, an access line costs
    // this one comparison, whatever the logger.
    if level > log::max_level() {
        return true;
    }
    INSTALLED
        .get()
        .is_some_and(|logger| logger.log_bytes(level, target, &message))
}

/// A message written as bytes, displayed through `core::fmt` for the message filter.
struct Bytes<'a, F>(&'a F);

impl<F: Fn(&mut Vec<u8>)> fmt::Display for Bytes<'_, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut message = Vec::new();
        (self.0)(&mut message);
        f.write_str(&String::from_utf8_lossy(&message))
    }
}

/// The level as env_logger writes it: padded to five (`{:<5}`).
fn padded(level: Level) -> &'static str {
    match level {
        Level::Error => "ERROR",
        Level::Warn => "WARN ",
        Level::Info => "INFO ",
        Level::Debug => "DEBUG",
        Level::Trace => "TRACE",
    }
}

/// Appends `text` escaped as [`str::escape_debug`] escapes it.
///
/// ASCII is escaped here, by runs: the bytes that need nothing (printable, other than
/// `"`, `'` and `\`) are copied in one go, and the rest become `\"`, `\'`, `\\`,
/// `\0`, `\t`, `\r`, `\n` or `\u{1b}`. From the first non-ASCII character on,
/// `escape_debug` itself takes over: which characters it escapes (non-printable ones,
/// and a combining mark at the very start of the string) takes Unicode's tables.
pub fn push_escape_debug(buf: &mut Vec<u8>, text: &str) {
    let bytes = text.as_bytes();
    let ascii = bytes
        .iter()
        .position(|b| !b.is_ascii())
        .map_or(bytes.len(), |non_ascii| {
            // Hand over one (ASCII) character early: to `escape_debug` the first
            // character of a string is special, and the one at `non_ascii` is not the
            // first of `text`. An ASCII character is escaped the same either way.
            non_ascii.saturating_sub(1)
        });
    let mut rest = &bytes[..ascii];
    while let Some(at) = rest.iter().position(|&b| needs_escape(b)) {
        buf.extend_from_slice(&rest[..at]);
        push_escaped_ascii(buf, rest[at]);
        rest = &rest[at + 1..];
    }
    buf.extend_from_slice(rest);
    if ascii < bytes.len() {
        // `ascii` is at a character boundary: the byte before a non-ASCII character's
        // first byte, which is ASCII, or 0. Writing into a Vec cannot fail.
        let _ = write!(buf, "{}", text[ascii..].escape_debug());
    }
}

/// Whether `escape_debug` changes this ASCII byte.
fn needs_escape(b: u8) -> bool {
    !(b' '..=b'~').contains(&b) || matches!(b, b'"' | b'\'' | b'\\')
}

/// Appends an ASCII byte for which [`needs_escape`] holds, escaped.
fn push_escaped_ascii(buf: &mut Vec<u8>, b: u8) {
    let short = match b {
        b'\0' => b'0',
        b'\t' => b't',
        b'\r' => b'r',
        b'\n' => b'n',
        b'"' | b'\'' | b'\\' => b,
        _ => {
            // Any other control character (and DEL): `\u{…}` in lowercase hex,
            // without leading zeros.
            const HEX: &[u8; 16] = b"0123456789abcdef";
            buf.extend_from_slice(b"\\u{");
            if b >= 0x10 {
                buf.push(HEX[usize::from(b >> 4)]);
            }
            buf.push(HEX[usize::from(b & 0xf)]);
            buf.push(b'}');
            return;
        }
    };
    buf.extend_from_slice(&[b'\\', short]);
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
        self.append(record.level(), record.target(), |buf| {
            // Writing into a Vec cannot fail.
            let _ = write!(buf, "{}", record.args());
        });
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

    /// Asserts that the two loggers wrote the same lines but for the timestamp (the
    /// two may straddle a second), and returns how many.
    fn same_lines(ours: &BufferedLogger, theirs: &BufferedLogger) -> usize {
        let ours = std::mem::take(&mut *ours.shared.lock());
        let theirs = std::mem::take(&mut *theirs.shared.lock());
        let strip = |text: &[u8]| {
            String::from_utf8(text.to_vec())
                .unwrap()
                .lines()
                .map(|line| line.get(22..).unwrap_or(line).to_owned())
                .collect::<Vec<_>>()
        };
        let (ours, theirs) = (strip(&ours), strip(&theirs));
        assert_eq!(ours, theirs);
        ours.len()
    }

    /// The fast path writes what `log` writes, and `RUST_LOG` filters it the same way:
    /// by level, by target, and by message for a `/…` filter.
    #[test]
    fn log_bytes_writes_and_filters_as_log_does() {
        // Each filter, with how many lines pass: a message of one line and one of two
        // (indented), each at info, warn and debug.
        let filters = [
            ("info", 6),
            ("warn", 3),
            ("warn,hostecho::server::connection=info", 6),
            ("warn,hostecho::server::other=info", 3),
            ("info/GET", 2),
            ("info/POST", 0),
        ];
        let messages = ["127.0.0.1:5 \"GET / HTTP/1.1\" 200 12 host=-", "a\nb"];
        for (filter, lines) in filters {
            let logger = |plain| {
                let mut builder = env_logger::Builder::new();
                builder
                    .parse_filters(filter)
                    .write_style(env_logger::WriteStyle::Never);
                BufferedLogger::with_output(&mut builder, plain, || Box::new(io::sink()))
            };
            let (fast, slow) = (logger(true), logger(true));
            for level in [log::Level::Info, log::Level::Warn, log::Level::Debug] {
                for message in messages {
                    let write = |buf: &mut Vec<u8>| buf.extend_from_slice(message.as_bytes());
                    assert!(fast.log_bytes(level, "hostecho::server::connection", &write));
                    record(&slow, level, format_args!("{message}"));
                }
            }
            assert_eq!(same_lines(&fast, &slow), lines, "{filter}");
        }
        // Not plain: nothing written, the caller logs.
        let mut builder = env_logger::Builder::new();
        builder.parse_filters("info");
        let coloured = BufferedLogger::with_output(&mut builder, false, || Box::new(io::sink()));
        assert!(!coloured.log_bytes(log::Level::Info, "x", &|buf: &mut Vec<u8>| buf.push(b'x')));
        assert!(coloured.shared.lock().is_empty());
    }

    /// `push_escape_debug` writes what `escape_debug` does, for ASCII escapes, quotes
    /// and backslashes in runs, and non-ASCII characters anywhere in the string,
    /// including the first (where `escape_debug` also escapes a combining mark).
    #[test]
    fn push_escape_debug_is_escape_debug() {
        let mut cases: Vec<String> = [
            "",
            "GET /index.html?name=jack HTTP/1.1",
            "\"",
            "'",
            "\\",
            "'quoted' \"double\" back\\slash\\\\",
            "\0\t\r\n",
            "\u{1}\u{1b}[31m\u{1f}\u{7f} ~",
            "caf\u{e9}",
            "\u{e9}t\u{e9}",
            "\u{301}combining first",
            "e\u{301} combining after",
            "'\u{301}",
            "\"\u{e9}",
            "\n\u{e9}\n",
            "zero\u{200b}width \u{feff} bom",
            "\u{ffff}\u{10ffff}\u{e000} private and unassigned",
            "\u{85}\u{a0}\u{ad} latin-1 controls",
            "emoji \u{1f600}, CJK \u{4e2d}, RTL \u{202e}",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        // Every ASCII byte, alone, after a letter, and before a non-ASCII character.
        for b in 0..=0x7fu8 {
            let c = char::from(b);
            cases.push(c.to_string());
            cases.push(format!("a{c}b"));
            cases.push(format!("{c}\u{301}"));
            cases.push(format!("x{c}\u{e9}"));
        }
        for case in &cases {
            let mut ours = Vec::new();
            push_escape_debug(&mut ours, case);
            assert_eq!(
                String::from_utf8(ours).unwrap(),
                format!("{}", case.escape_debug()),
                "{case:?}"
            );
        }
    }
}
