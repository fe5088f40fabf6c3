//! controller-runtime's `--zap-*` logging flags, as a clap struct flattened into
//! [`ManagerFlags`](crate::manager::ManagerFlags).

use tracing_subscriber::filter::LevelFilter;

use super::subscriber::{self, LogFormat, LogSettings, LoggingError, RUST_LOG_VAR};
use super::time::TimeEncoding;

/// The logging flags of a kubebuilder project's manager, with its names and defaults
/// (a scaffolded `main.go` starts from development mode).
#[derive(Debug, Clone, clap::Args)]
pub struct LoggingFlags {
    /// Development mode: console lines at level debug; `--zap-devel=false` for production mode:
    /// JSON lines at level info.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    pub zap_devel: bool,
    /// Log encoding, `json` or `console` (default: console in development mode, json otherwise).
    #[arg(long, value_enum, ignore_case = true)]
    pub zap_encoder: Option<LogFormat>,
    /// Level: `debug`, `info`, `error`, `panic` (only panics) or a verbosity > 0 (1 debug, 2+
    /// trace); also `warn`, `trace` (default: debug in development mode, info otherwise, or a
    /// bare level in `RUST_LOG`, which adds per-target levels). HTTP internals stay at info.
    #[arg(long, value_parser = parse_level)]
    pub zap_log_level: Option<LevelFilter>,
    /// Time encoding, UTC: `epoch`, `millis`, `nanos`, `iso8601`, `rfc3339` or `rfc3339nano`.
    #[arg(long, value_enum, ignore_case = true, default_value_t = TimeEncoding::default())]
    pub zap_time_encoding: TimeEncoding,
}

impl LoggingFlags {
    /// Installs the process's logger on stderr: the format and level of these flags, per-target
    /// levels from `RUST_LOG`, colour only when stderr is a terminal and `NO_COLOR` is unset.
    /// Call it once, first thing in `main`.
    pub fn init(&self) -> Result<(), LoggingError> {
        let rust_log = std::env::var(RUST_LOG_VAR).ok();
        self.settings(rust_log.as_deref(), subscriber::stderr_color())?
            .install()
    }

    /// The settings these flags give with `rust_log` (the value of `RUST_LOG`) and `color`
    /// (whether the output is a terminal that wants colour).
    pub fn settings(
        &self,
        rust_log: Option<&str>,
        color: bool,
    ) -> Result<LogSettings, LoggingError> {
        let format = self.format();
        Ok(LogSettings {
            format,
            filter: subscriber::filter(self.level(), self.zap_log_level.is_some(), rust_log)?,
            time: self.zap_time_encoding,
            color: color && format == LogFormat::Console,
        })
    }

    /// The encoding: `--zap-encoder`, else console in development mode and JSON otherwise.
    pub fn format(&self) -> LogFormat {
        self.zap_encoder.unwrap_or(if self.zap_devel {
            LogFormat::Console
        } else {
            LogFormat::Json
        })
    }

    /// The level: `--zap-log-level`, else debug in development mode and info otherwise.
    pub fn level(&self) -> LevelFilter {
        self.zap_log_level.unwrap_or(if self.zap_devel {
            LevelFilter::DEBUG
        } else {
            LevelFilter::INFO
        })
    }
}

/// A `--zap-log-level` value: a level name (any case) or an integer verbosity above zero.
fn parse_level(value: &str) -> Result<LevelFilter, String> {
    let level = match value.to_ascii_lowercase().as_str() {
        "trace" => LevelFilter::TRACE,
        "debug" => LevelFilter::DEBUG,
        "info" => LevelFilter::INFO,
        "warn" => LevelFilter::WARN,
        "error" => LevelFilter::ERROR,
        "panic" => LevelFilter::OFF,
        other => match other.parse::<u32>() {
            Ok(1) => LevelFilter::DEBUG,
            Ok(verbosity) if verbosity > 1 => LevelFilter::TRACE,
            _ => {
                return Err(format!(
                    "expected debug, info, error, panic (or warn, trace) or an integer > 0; found {value:?}"
                ));
            }
        },
    };
    Ok(level)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Args {
        #[command(flatten)]
        logging: LoggingFlags,
    }

    fn parse(args: &[&str]) -> LoggingFlags {
        Args::parse_from(std::iter::once("manager").chain(args.iter().copied())).logging
    }

    fn refusal(args: &[&str]) -> String {
        match Args::try_parse_from(std::iter::once("manager").chain(args.iter().copied())) {
            Ok(_) => panic!("{args:?} was accepted"),
            Err(error) => error.to_string(),
        }
    }

    #[test]
    fn defaults_are_a_kubebuilder_scaffold_s_development_mode() {
        let flags = parse(&[]);
        assert!(flags.zap_devel);
        assert_eq!(flags.format(), LogFormat::Console);
        assert_eq!(flags.level(), LevelFilter::DEBUG);
        assert_eq!(flags.zap_time_encoding, TimeEncoding::Rfc3339);
    }

    #[test]
    fn production_mode_writes_json_at_info() {
        for args in [&["--zap-devel=false"][..], &["--zap-devel", "false"]] {
            let flags = parse(args);
            assert_eq!(flags.format(), LogFormat::Json);
            assert_eq!(flags.level(), LevelFilter::INFO);
        }
        assert!(parse(&["--zap-devel"]).zap_devel);
    }

    #[test]
    fn encoder_and_level_override_the_mode_defaults() {
        let flags = parse(&[
            "--zap-devel=false",
            "--zap-encoder=CONSOLE",
            "--zap-log-level=Error",
        ]);
        assert_eq!(flags.format(), LogFormat::Console);
        assert_eq!(flags.level(), LevelFilter::ERROR);
        assert_eq!(parse(&["--zap-encoder", "json"]).format(), LogFormat::Json);
        assert_eq!(
            parse(&["--zap-devel=false", "--zap-log-level=debug"]).level(),
            LevelFilter::DEBUG
        );
    }

    #[test]
    fn integer_levels_are_verbosities_above_zero() {
        let level = |value: &str| parse(&["--zap-log-level", value]).level();
        assert_eq!(level("1"), LevelFilter::DEBUG);
        assert_eq!(level("2"), LevelFilter::TRACE);
        assert_eq!(level("10"), LevelFilter::TRACE);
        assert_eq!(level("info"), LevelFilter::INFO);
        assert_eq!(level("warn"), LevelFilter::WARN);
        assert_eq!(level("panic"), LevelFilter::OFF);
        for bad in ["0", "-1", "verbose", ""] {
            let message = refusal(&[&format!("--zap-log-level={bad}")]);
            assert!(
                message.contains("expected debug, info, error, panic"),
                "{bad}: {message}"
            );
        }
    }

    #[test]
    fn time_encodings_take_controller_runtime_s_names() {
        let encoding = |value: &str| parse(&["--zap-time-encoding", value]).zap_time_encoding;
        assert_eq!(encoding("epoch"), TimeEncoding::Epoch);
        assert_eq!(encoding("millis"), TimeEncoding::Millis);
        assert_eq!(encoding("nanos"), TimeEncoding::Nanos);
        assert_eq!(encoding("nano"), TimeEncoding::Nanos);
        assert_eq!(encoding("ISO8601"), TimeEncoding::Iso8601);
        assert_eq!(encoding("rfc3339"), TimeEncoding::Rfc3339);
        assert_eq!(encoding("rfc3339nano"), TimeEncoding::Rfc3339Nano);
        let message = refusal(&["--zap-time-encoding", "weeks"]);
        assert!(message.contains("rfc3339nano"), "{message}");
        let message = refusal(&["--zap-encoder", "logfmt"]);
        assert!(
            message.contains("json") && message.contains("console"),
            "{message}"
        );
    }

    #[test]
    fn colour_is_never_asked_of_json_lines() {
        let json = parse(&["--zap-devel=false"])
            .settings(None, true)
            .expect("settings");
        assert!(!json.color);
        let console = parse(&[]).settings(None, true).expect("settings");
        assert!(console.color);
    }
}
