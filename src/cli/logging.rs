//! Logging set-up: which levels `RUST_LOG` turns on, colours, and the buffered logger.

use std::io::IsTerminal;

use hostecho::server::log_output::BufferedLogger;

/// The log filter, from `RUST_LOG` (if set and not empty) in env_logger's syntax.
///
/// hostecho's own log is the lesson; its dependencies' is noise to a learner: at trace,
/// mio logs every registration with its poller. So other crates stay at `warn`, and a
/// bare level (`RUST_LOG=trace`, or `debug` in `debug,mio=trace`) applies to hostecho
/// alone. A directive that names a crate or module (`mio=trace`, `hostecho::server`)
/// is kept as written, so anything can still be turned on by name.
fn log_filter(rust_log: Option<&str>) -> String {
    let Some(spec) = rust_log.map(str::trim).filter(|s| !s.is_empty()) else {
        return "warn,hostecho=info".to_owned();
    };
    // `directives/text`: the text filters messages and is kept as it is. (env_logger is
    // built without its `regex` feature, so a message passes when it contains the text.)
    let (directives, message_filter) = match spec.split_once('/') {
        Some((d, r)) => (d, Some(r)),
        None => (spec, None),
    };
    let mut filter = vec!["warn".to_owned()];
    for directive in directives
        .split(',')
        .map(str::trim)
        .filter(|d| !d.is_empty())
    {
        if directive.parse::<log::LevelFilter>().is_ok() {
            filter.push(format!("hostecho={directive}"));
        } else {
            filter.push(directive.to_owned());
        }
    }
    let mut filter = filter.join(",");
    if let Some(text) = message_filter {
        filter.push('/');
        filter.push_str(text);
    }
    filter
}

/// Sets up env_logger with [`log_filter`], its output gathered and written once per
/// turn of the event loop (see `hostecho::server::log_output`).
///
/// `RUST_LOG_STYLE` still chooses colours (`auto`, `always`, `never`). env_logger
/// cannot see a terminal behind the buffer, so `auto` (the default) is decided here:
/// colours for a terminal, none for a file or a pipe.
pub fn init_logging() {
    let rust_log = std::env::var("RUST_LOG").ok();
    let mut builder = env_logger::Builder::new();
    builder.parse_filters(&log_filter(rust_log.as_deref()));
    let style = std::env::var("RUST_LOG_STYLE").ok();
    let colours = match style.as_deref().map(str::trim) {
        Some("always") => true,
        Some("never") => false,
        _ => std::io::stderr().is_terminal(),
    };
    builder.write_style(if colours {
        env_logger::WriteStyle::Always
    } else {
        env_logger::WriteStyle::Never
    });
    BufferedLogger::new(&mut builder, !colours)
        .install()
        .expect("the logger is installed once, here, before anything logs");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bare_level_is_hostechos_and_other_crates_stay_at_warn() {
        assert_eq!(log_filter(None), "warn,hostecho=info");
        assert_eq!(log_filter(Some("")), "warn,hostecho=info");
        assert_eq!(log_filter(Some("trace")), "warn,hostecho=trace");
        assert_eq!(log_filter(Some("DEBUG")), "warn,hostecho=DEBUG");
        assert_eq!(
            log_filter(Some("debug,mio=trace")),
            "warn,hostecho=debug,mio=trace"
        );
        assert_eq!(
            log_filter(Some("hostecho::server=trace/read")),
            "warn,hostecho::server=trace/read"
        );
    }
}
