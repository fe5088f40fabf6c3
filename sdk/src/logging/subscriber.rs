//! The process's logger: a `tracing` subscriber that writes console or JSON lines to stderr,
//! filtered per target, coloured only for a terminal.

use std::ffi::OsStr;
use std::io::IsTerminal as _;

use tracing::Subscriber;
use tracing_subscriber::Layer;
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::fmt::format::JsonFields;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::registry::LookupSpan;

use super::json::JsonLines;
use super::time::TimeEncoding;

/// The environment variable with per-target directives (`info,kube=warn,my_operator=debug`).
pub const RUST_LOG_VAR: &str = "RUST_LOG";
/// The environment variable that turns colour off when set to anything but the empty string
/// (<https://no-color.org>).
pub const NO_COLOR_VAR: &str = "NO_COLOR";

/// How lines are written (`--zap-encoder`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// One JSON object per line, for log pipelines.
    Json,
    /// Text for people: time, level, target, span context, message and fields.
    Console,
}

/// Why logging could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum LoggingError {
    /// `RUST_LOG` is not a list of directives.
    #[error(
        "{RUST_LOG_VAR}={value:?} is not a comma-separated list of `level` or `target=level` directives: {reason}"
    )]
    RustLog {
        /// The variable's value.
        value: String,
        /// What the parser found.
        reason: String,
    },
    /// A global `tracing` subscriber is installed already.
    #[error(
        "a logger is already installed in this process; initialise logging once, first thing in main"
    )]
    AlreadyInstalled,
}

/// Everything the logger needs: what the flags and the environment resolve to.
#[derive(Debug, Clone)]
pub struct LogSettings {
    /// JSON or console lines.
    pub format: LogFormat,
    /// The level of each target (and the default for the others).
    pub filter: Targets,
    /// How each line's time is written.
    pub time: TimeEncoding,
    /// Whether console lines carry ANSI colour (never for JSON).
    pub color: bool,
}

impl LogSettings {
    /// A subscriber that writes these lines to `writer`, e.g. to install for one test with
    /// [`tracing::subscriber::with_default`].
    pub fn subscriber<W>(
        &self,
        writer: W,
    ) -> impl Subscriber + for<'a> LookupSpan<'a> + Send + Sync + 'static
    where
        W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
    {
        let layer = tracing_subscriber::fmt::layer().with_writer(writer);
        let layer = match self.format {
            LogFormat::Console => layer.with_ansi(self.color).with_timer(self.time).boxed(),
            LogFormat::Json => layer
                .with_ansi(false)
                .fmt_fields(JsonFields::new())
                .event_format(JsonLines { time: self.time })
                .boxed(),
        };
        tracing_subscriber::registry()
            .with(self.filter.clone())
            .with(layer)
    }

    /// Installs the subscriber for the whole process, writing to stderr.
    pub fn install(&self) -> Result<(), LoggingError> {
        tracing::subscriber::set_global_default(self.subscriber(std::io::stderr))
            .map_err(|_| LoggingError::AlreadyInstalled)
    }
}

/// Targets that trace every HTTP request and connection at debug (HTTP/1 and HTTP/2, the
/// tower middleware, kube's request layer). Like Go's HTTP stack, which writes nothing to a
/// controller-runtime logger, they log at info at most, unless `RUST_LOG` names them (or a
/// prefix of them, such as `kube_client`).
pub(crate) const TRANSPORT_TARGETS: &[&str] =
    &["h2", "hyper", "tower", "kube_client::client::builder"];

/// The filter: `level` for every target, unless `rust_log` (the value of `RUST_LOG`) names the
/// target; a bare level in `rust_log` replaces `level` when `level_is_explicit` is false
/// (the flag was not given). [`TRANSPORT_TARGETS`] stay at info at most.
pub(crate) fn filter(
    level: LevelFilter,
    level_is_explicit: bool,
    rust_log: Option<&str>,
) -> Result<Targets, LoggingError> {
    let directives = match rust_log.map(str::trim).filter(|value| !value.is_empty()) {
        None => Targets::new(),
        Some(value) => value
            .parse::<Targets>()
            .map_err(|error| LoggingError::RustLog {
                value: value.to_owned(),
                reason: error.to_string(),
            })?,
    };
    let default = match directives.default_level() {
        Some(from_env) if !level_is_explicit => from_env,
        _ => level,
    };
    // A target matches every directive that is a prefix of it, the longest winning.
    let quiet = TRANSPORT_TARGETS.iter().filter(|transport| {
        !directives
            .iter()
            .any(|(named, _)| transport.starts_with(named))
    });
    Ok(Targets::new()
        .with_default(default)
        .with_targets(quiet.map(|transport| (*transport, default.min(LevelFilter::INFO))))
        .with_targets(
            directives
                .iter()
                .map(|(target, level)| (target.to_owned(), level)),
        ))
}

/// Whether to colour output on a stream: only a terminal, and only when `NO_COLOR` (its value
/// given as `no_color`) is unset or empty.
pub(crate) fn color_wanted(is_terminal: bool, no_color: Option<&OsStr>) -> bool {
    is_terminal && no_color.is_none_or(OsStr::is_empty)
}

/// Whether stderr gets colour in this process.
pub(crate) fn stderr_color() -> bool {
    color_wanted(
        std::io::stderr().is_terminal(),
        std::env::var_os(NO_COLOR_VAR).as_deref(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsString;
    use std::sync::{Arc, Mutex};

    use serde_json::Value;

    /// A writer that keeps what was written, shared with the test.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Captured {
        fn text(&self) -> String {
            String::from_utf8(self.0.lock().expect("the buffer").clone()).expect("UTF-8 lines")
        }
    }

    impl std::io::Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().expect("the buffer").extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Captured {
        type Writer = Captured;

        fn make_writer(&'a self) -> Captured {
            self.clone()
        }
    }

    fn settings(format: LogFormat, level: LevelFilter, rust_log: Option<&str>) -> LogSettings {
        LogSettings {
            format,
            filter: filter(level, true, rust_log).expect("a filter"),
            time: TimeEncoding::Rfc3339,
            color: false,
        }
    }

    /// What `settings` writes while `log` runs.
    fn output(settings: &LogSettings, log: impl FnOnce()) -> String {
        let captured = Captured::default();
        tracing::subscriber::with_default(settings.subscriber(captured.clone()), log);
        captured.text()
    }

    fn json_lines(text: &str) -> Vec<serde_json::Map<String, Value>> {
        text.lines()
            .map(|line| match serde_json::from_str(line) {
                Ok(Value::Object(object)) => object,
                other => panic!("not a JSON object: {line:?} ({other:?})"),
            })
            .collect()
    }

    /// The messages of the JSON lines `settings` writes while `log` runs.
    fn messages(settings: &LogSettings, log: impl FnOnce()) -> Vec<String> {
        json_lines(&output(settings, log))
            .iter()
            .map(|line| line["message"].as_str().expect("a message").to_owned())
            .collect()
    }

    #[test]
    fn json_lines_carry_time_level_target_message_fields_and_spans() {
        let json = settings(LogFormat::Json, LevelFilter::INFO, None);
        let text = output(&json, || {
            let reconcile =
                tracing::info_span!("reconcile", controller = "greeting", object = "default/a");
            let _entered = reconcile.enter();
            let error = std::io::Error::other("connection reset");
            tracing::warn!(
                target: "my_operator::controller",
                attempt = 2,
                ready = false,
                ratio = 0.5,
                object = "default/b",
                error = &error as &(dyn std::error::Error + 'static),
                "reconcile failed: {}",
                "quota"
            );
            tracing::info!(target: "my_operator", "line with \"quotes\"\nand a newline");
        });
        let lines = json_lines(&text);
        assert_eq!(lines.len(), 2, "{text}");
        let first = &lines[0];
        let keys: Vec<&str> = first.keys().map(String::as_str).collect();
        assert_eq!(keys.len(), 6, "{keys:?}");
        let time = first["time"].as_str().expect("an RFC 3339 time");
        assert!(
            time.len() == 20 && time.ends_with('Z') && time.as_bytes()[10] == b'T',
            "{time}"
        );
        assert_eq!(first["level"], "warn");
        assert_eq!(first["target"], "my_operator::controller");
        assert_eq!(first["message"], "reconcile failed: quota");
        let fields = &first["fields"];
        assert_eq!(fields["attempt"], 2);
        assert_eq!(fields["ready"], false);
        assert_eq!(fields["ratio"], 0.5);
        assert_eq!(fields["error"], "connection reset");
        assert_eq!(fields["controller"], "greeting", "a span field");
        assert_eq!(
            fields["object"], "default/b",
            "the event's field wins over the span's"
        );
        assert_eq!(first["spans"], serde_json::json!(["reconcile"]));
        assert_eq!(lines[1]["message"], "line with \"quotes\"\nand a newline");
        assert_eq!(lines[1]["level"], "info");
    }

    #[test]
    fn json_lines_without_fields_or_spans_leave_those_keys_out() {
        let json = settings(LogFormat::Json, LevelFilter::INFO, None);
        let lines = json_lines(&output(&json, || tracing::info!("plain")));
        let keys: Vec<&str> = lines[0].keys().map(String::as_str).collect();
        let mut expected = vec!["time", "level", "target", "message"];
        expected.sort_unstable();
        let mut keys = keys;
        keys.sort_unstable();
        assert_eq!(keys, expected);
    }

    #[test]
    fn epoch_times_are_json_numbers() {
        let mut json = settings(LogFormat::Json, LevelFilter::INFO, None);
        json.time = TimeEncoding::Epoch;
        let lines = json_lines(&output(&json, || tracing::info!("now")));
        let seconds = lines[0]["time"].as_f64().expect("a number");
        assert!(seconds > 1.7e9, "{seconds}");
    }

    #[test]
    fn the_level_drops_less_severe_events_and_rust_log_sets_targets() {
        let log = || {
            tracing::trace!(target: "my_operator::controller", "operator trace");
            tracing::debug!(target: "my_operator", "operator debug");
            tracing::debug!(target: "kube_client", "client debug");
            tracing::info!(target: "kube_client", "client info");
            tracing::error!(target: "hyper", "transport error");
        };
        let messages = |settings: &LogSettings| messages(settings, log);
        let info = settings(LogFormat::Json, LevelFilter::INFO, None);
        assert_eq!(messages(&info), ["client info", "transport error"]);
        let error = settings(LogFormat::Json, LevelFilter::ERROR, None);
        assert_eq!(messages(&error), ["transport error"]);
        let per_target = settings(
            LogFormat::Json,
            LevelFilter::INFO,
            Some("my_operator=trace,kube_client=warn"),
        );
        assert_eq!(
            messages(&per_target),
            ["operator trace", "operator debug", "transport error"]
        );
        let off = settings(LogFormat::Json, LevelFilter::OFF, None);
        assert!(messages(&off).is_empty());
    }

    #[test]
    fn http_transport_targets_stay_at_info_unless_rust_log_names_them() {
        let log = || {
            tracing::debug!(target: "hyper_util::client::legacy::pool", "pooling idle connection");
            tracing::debug!(target: "kube_client::client::builder", "requesting");
            tracing::debug!(target: "kube_client::discovery", "listing groups");
            tracing::debug!(target: "kube_runtime::watcher", "watch restarted");
        };
        let messages = |rust_log: Option<&str>| {
            messages(
                &settings(LogFormat::Json, LevelFilter::DEBUG, rust_log),
                log,
            )
        };
        assert_eq!(messages(None), ["listing groups", "watch restarted"]);
        assert_eq!(
            messages(Some("kube_client=debug,hyper_util=debug")),
            [
                "pooling idle connection",
                "requesting",
                "listing groups",
                "watch restarted"
            ]
        );
        let error = filter(LevelFilter::ERROR, true, None).expect("a filter");
        assert_eq!(
            error.iter().find(|(target, _)| *target == "hyper"),
            Some(("hyper", LevelFilter::ERROR)),
            "the transport is never louder than the level"
        );
    }

    #[test]
    fn a_bare_rust_log_level_counts_only_without_an_explicit_level() {
        let implicit =
            filter(LevelFilter::INFO, false, Some("warn,my_operator=debug")).expect("a filter");
        assert_eq!(implicit.default_level(), Some(LevelFilter::WARN));
        let explicit = filter(LevelFilter::INFO, true, Some("warn")).expect("a filter");
        assert_eq!(explicit.default_level(), Some(LevelFilter::INFO));
        let unset = filter(LevelFilter::DEBUG, false, Some(" ")).expect("a filter");
        assert_eq!(unset.default_level(), Some(LevelFilter::DEBUG));
    }

    #[test]
    fn a_malformed_rust_log_is_refused_with_its_value() {
        let error = filter(LevelFilter::INFO, false, Some("kube=loud")).expect_err("refused");
        let message = error.to_string();
        assert!(message.contains("RUST_LOG=\"kube=loud\""), "{message}");
    }

    #[test]
    fn console_lines_are_coloured_only_when_asked() {
        let log = || tracing::info!(answer = 42, "console line");
        let mut console = settings(LogFormat::Console, LevelFilter::INFO, None);
        let plain = output(&console, log);
        assert!(
            plain.contains("console line") && plain.contains("answer=42"),
            "{plain}"
        );
        assert!(!plain.contains('\u{1b}'), "{plain:?}");
        console.color = true;
        let coloured = output(&console, log);
        assert!(coloured.contains('\u{1b}'), "{coloured:?}");
    }

    #[test]
    fn colour_needs_a_terminal_and_no_no_color() {
        let set = OsString::from("1");
        let empty = OsString::new();
        assert!(color_wanted(true, None));
        assert!(color_wanted(true, Some(&empty)));
        assert!(!color_wanted(true, Some(&set)));
        assert!(!color_wanted(false, None));
    }
}
