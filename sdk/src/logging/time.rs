//! How a log line's time is written: controller-runtime's `--zap-time-encoding` values, in UTC.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::time::FormatTime;

/// The encoding of each line's time (`--zap-time-encoding`). Times are UTC.
///
/// The epoch encodings are numbers in JSON lines, the others strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum TimeEncoding {
    /// Seconds since the Unix epoch, with a fraction: `1755702075.123456`.
    Epoch,
    /// Milliseconds since the Unix epoch, with a fraction: `1755702075123.456`.
    Millis,
    /// Nanoseconds since the Unix epoch, an integer: `1755702075123456789`.
    #[value(name = "nanos", alias = "nano")]
    Nanos,
    /// Milliseconds, ISO 8601: `2025-08-20T15:01:15.123Z`.
    Iso8601,
    /// Seconds, RFC 3339: `2025-08-20T15:01:15Z`; controller-runtime's default.
    #[default]
    Rfc3339,
    /// Nanoseconds, RFC 3339, trailing zeros dropped: `2025-08-20T15:01:15.1234567Z`.
    #[value(name = "rfc3339nano")]
    Rfc3339Nano,
}

/// A time encoded for a JSON line: a number or a string.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(untagged)]
pub(crate) enum EncodedTime {
    /// `epoch`, `millis` and `nanos`.
    Number(serde_json::Number),
    /// The calendar encodings.
    Text(String),
}

impl TimeEncoding {
    /// `time` in this encoding, as JSON wants it.
    pub(crate) fn encode(self, time: SystemTime) -> EncodedTime {
        let since_epoch = time.duration_since(UNIX_EPOCH).unwrap_or_default();
        // Finite by construction: `from_f64` refuses only NaN and infinities.
        let number = |value: f64| {
            EncodedTime::Number(serde_json::Number::from_f64(value).unwrap_or_else(|| 0.into()))
        };
        match self {
            TimeEncoding::Epoch => number(since_epoch.as_secs_f64()),
            TimeEncoding::Millis => number(since_epoch.as_secs_f64() * 1000.0),
            TimeEncoding::Nanos => EncodedTime::Number(
                u64::try_from(since_epoch.as_nanos())
                    .unwrap_or(u64::MAX)
                    .into(),
            ),
            TimeEncoding::Iso8601 | TimeEncoding::Rfc3339 | TimeEncoding::Rfc3339Nano => {
                EncodedTime::Text(self.calendar(time))
            }
        }
    }

    /// `time` as a UTC calendar date in this encoding (one of the three calendar ones).
    fn calendar(self, time: SystemTime) -> String {
        let utc = time::OffsetDateTime::from(time);
        let mut text = format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            utc.year(),
            u8::from(utc.month()),
            utc.day(),
            utc.hour(),
            utc.minute(),
            utc.second()
        );
        match self {
            TimeEncoding::Iso8601 => text.push_str(&format!(".{:03}", utc.millisecond())),
            TimeEncoding::Rfc3339Nano if utc.nanosecond() != 0 => {
                let fraction = format!("{:09}", utc.nanosecond());
                text.push('.');
                text.push_str(fraction.trim_end_matches('0'));
            }
            _ => {}
        }
        text.push('Z');
        text
    }
}

impl fmt::Display for EncodedTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EncodedTime::Number(number) => write!(f, "{number}"),
            EncodedTime::Text(text) => f.write_str(text),
        }
    }
}

/// The console format's timestamps.
impl FormatTime for TimeEncoding {
    fn format_time(&self, w: &mut Writer<'_>) -> fmt::Result {
        write!(w, "{}", self.encode(SystemTime::now()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// 2025-08-20T15:01:15.123456700Z.
    fn sample() -> SystemTime {
        UNIX_EPOCH + Duration::new(1_755_702_075, 123_456_700)
    }

    fn encoded(encoding: TimeEncoding, time: SystemTime) -> String {
        encoding.encode(time).to_string()
    }

    #[test]
    fn calendar_encodings_are_utc_with_their_precision() {
        assert_eq!(
            encoded(TimeEncoding::Rfc3339, sample()),
            "2025-08-20T15:01:15Z"
        );
        assert_eq!(
            encoded(TimeEncoding::Iso8601, sample()),
            "2025-08-20T15:01:15.123Z"
        );
        assert_eq!(
            encoded(TimeEncoding::Rfc3339Nano, sample()),
            "2025-08-20T15:01:15.1234567Z"
        );
        let whole_second = UNIX_EPOCH + Duration::from_secs(1_755_702_075);
        assert_eq!(
            encoded(TimeEncoding::Rfc3339Nano, whole_second),
            "2025-08-20T15:01:15Z"
        );
    }

    #[test]
    fn epoch_encodings_are_numbers_in_their_unit() {
        assert_eq!(
            encoded(TimeEncoding::Nanos, sample()),
            "1755702075123456700"
        );
        let seconds: f64 = encoded(TimeEncoding::Epoch, sample())
            .parse()
            .expect("a number");
        assert!(
            (seconds - 1_755_702_075.123_456_7).abs() < 1e-5,
            "{seconds}"
        );
        let millis: f64 = encoded(TimeEncoding::Millis, sample())
            .parse()
            .expect("a number");
        assert!((millis - 1_755_702_075_123.456_7).abs() < 1e-2, "{millis}");
        assert!(matches!(
            TimeEncoding::Epoch.encode(sample()),
            EncodedTime::Number(_)
        ));
        assert!(matches!(
            TimeEncoding::Rfc3339.encode(sample()),
            EncodedTime::Text(_)
        ));
    }
}
