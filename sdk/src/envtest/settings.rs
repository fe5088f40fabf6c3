//! Settings read from the environment variables controller-runtime's envtest uses.

use std::time::Duration;

use super::error::{Error, Result};

/// `KUBEBUILDER_CONTROLPLANE_START_TIMEOUT`: how long each process may take to become ready.
pub const START_TIMEOUT_VAR: &str = "KUBEBUILDER_CONTROLPLANE_START_TIMEOUT";
/// `KUBEBUILDER_CONTROLPLANE_STOP_TIMEOUT`: how long each process may take to exit.
pub const STOP_TIMEOUT_VAR: &str = "KUBEBUILDER_CONTROLPLANE_STOP_TIMEOUT";
/// `KUBEBUILDER_ATTACH_CONTROL_PLANE_OUTPUT`: `true` sends etcd and kube-apiserver output to the terminal.
pub const ATTACH_OUTPUT_VAR: &str = "KUBEBUILDER_ATTACH_CONTROL_PLANE_OUTPUT";
/// `USE_EXISTING_CLUSTER`: `true` uses the current kubeconfig instead of starting a control plane.
pub const USE_EXISTING_CLUSTER_VAR: &str = "USE_EXISTING_CLUSTER";

/// Default start timeout per process, as in controller-runtime.
pub const DEFAULT_START_TIMEOUT: Duration = Duration::from_secs(20);
/// Default stop timeout per process, as in controller-runtime.
pub const DEFAULT_STOP_TIMEOUT: Duration = Duration::from_secs(20);

/// Reads a duration variable in Go's notation (`90s`, `1m30s`, `500ms`); `None` when unset or empty.
pub(crate) fn duration_var(name: &'static str) -> Result<Option<Duration>> {
    match std::env::var(name) {
        Ok(value) if !value.trim().is_empty() => {
            parse_go_duration(value.trim())
                .map(Some)
                .ok_or(Error::InvalidEnvVar {
                    name,
                    value,
                    expected: "a duration such as 20s, 1m30s or 500ms",
                })
        }
        _ => Ok(None),
    }
}

/// Reads a boolean variable (`true`/`false`, `1`/`0`, any case); `false` when unset or empty.
pub(crate) fn bool_var(name: &'static str) -> Result<bool> {
    match std::env::var(name) {
        Ok(value) => match value.trim().to_ascii_lowercase().as_str() {
            "" | "false" | "0" | "f" => Ok(false),
            "true" | "1" | "t" => Ok(true),
            _ => Err(Error::InvalidEnvVar {
                name,
                value,
                expected: "true or false",
            }),
        },
        Err(_) => Ok(false),
    }
}

/// Parses a Go duration string: a sequence of decimal numbers with units `ns`, `us`, `ms`, `s`, `m`, `h`.
pub(crate) fn parse_go_duration(text: &str) -> Option<Duration> {
    const UNITS: [(&str, f64); 7] = [
        ("ns", 1e-9),
        ("us", 1e-6),
        ("µs", 1e-6),
        ("ms", 1e-3),
        ("s", 1.0),
        ("m", 60.0),
        ("h", 3600.0),
    ];
    let mut rest = text;
    let mut seconds = 0.0_f64;
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number: f64 = rest[..number_len].parse().ok()?;
        rest = &rest[number_len..];
        // Longest unit first, so "ms" is not read as "m" followed by "s".
        let (unit, scale) = UNITS
            .iter()
            .filter(|(unit, _)| rest.starts_with(unit))
            .max_by_key(|(unit, _)| unit.len())?;
        seconds += number * scale;
        rest = &rest[unit.len()..];
    }
    Duration::try_from_secs_f64(seconds).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations_parse_like_go() {
        assert_eq!(parse_go_duration("20s"), Some(Duration::from_secs(20)));
        assert_eq!(parse_go_duration("1m30s"), Some(Duration::from_secs(90)));
        assert_eq!(parse_go_duration("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse_go_duration("1.5h"), Some(Duration::from_secs(5400)));
        assert_eq!(
            parse_go_duration("2m0.5s"),
            Some(Duration::from_millis(120_500))
        );
    }

    #[test]
    fn malformed_durations_are_rejected() {
        for bad in ["", "20", "s", "1x", "1m30", "-5s"] {
            assert_eq!(parse_go_duration(bad), None, "{bad:?} should not parse");
        }
    }
}
