//! The manager process's own CPU, memory and file descriptors, read from `/proc` at each
//! scrape, under the names of Prometheus' process collector (which controller-runtime
//! managers serve too): `process_cpu_seconds_total`, `process_resident_memory_bytes`,
//! `process_virtual_memory_bytes`, `process_open_fds`, `process_max_fds`,
//! `process_start_time_seconds`. Where `/proc` is missing (not Linux) nothing is served.

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;

/// Clock ticks per second of the times in `/proc/<pid>/stat` (the kernel's `USER_HZ`, 100 on
/// every architecture Kubernetes nodes run; Prometheus' own procfs reader assumes it too).
const TICKS_PER_SECOND: f64 = 100.0;

/// Reads the process's figures on every scrape.
#[derive(Debug, Default)]
pub(crate) struct ProcessCollector;

/// One reading of the process.
#[derive(Debug, Clone, PartialEq)]
struct Reading {
    cpu_seconds: f64,
    resident_bytes: f64,
    virtual_bytes: f64,
    start_time_seconds: f64,
    open_fds: Option<f64>,
    max_fds: Option<f64>,
}

impl Collector for ProcessCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let Some(reading) = read_proc() else {
            return Ok(());
        };
        let cpu = ConstCounter::new(reading.cpu_seconds);
        cpu.encode(encoder.encode_descriptor(
            "process_cpu_seconds",
            "Total user and system CPU time spent in seconds",
            None,
            cpu.metric_type(),
        )?)?;
        let gauges = [
            (
                "process_resident_memory_bytes",
                "Resident memory size in bytes",
                Some(reading.resident_bytes),
            ),
            (
                "process_virtual_memory_bytes",
                "Virtual memory size in bytes",
                Some(reading.virtual_bytes),
            ),
            (
                "process_start_time_seconds",
                "Start time of the process since unix epoch in seconds",
                Some(reading.start_time_seconds),
            ),
            (
                "process_open_fds",
                "Number of open file descriptors",
                reading.open_fds,
            ),
            (
                "process_max_fds",
                "Maximum number of open file descriptors",
                reading.max_fds,
            ),
        ];
        for (name, help, value) in gauges {
            if let Some(value) = value {
                let gauge = ConstGauge::new(value);
                gauge.encode(encoder.encode_descriptor(
                    name,
                    help,
                    None,
                    gauge.metric_type(),
                )?)?;
            }
        }
        Ok(())
    }
}

/// The process's figures from `/proc/self`, `None` where there is no `/proc`.
fn read_proc() -> Option<Reading> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let boot_time = std::fs::read_to_string("/proc/stat")
        .ok()
        .and_then(|text| boot_time(&text))
        .unwrap_or(0.0);
    let mut reading = parse(&stat, &status, boot_time)?;
    reading.open_fds = std::fs::read_dir("/proc/self/fd")
        .ok()
        .map(|entries| entries.count() as f64);
    reading.max_fds = std::fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|text| max_open_files(&text));
    Some(reading)
}

/// CPU time and start time from `/proc/self/stat`, memory from `/proc/self/status`.
fn parse(stat: &str, status: &str, boot_time: f64) -> Option<Reading> {
    // The command name (field 2) is in parentheses and may hold spaces: fields count from
    // the last closing one. After it: state (3), ..., utime (14), stime (15), ...,
    // starttime (22).
    let after_name = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let field = |number: usize| -> Option<f64> { fields.get(number - 3)?.parse().ok() };
    let kilobytes = |key: &str| -> Option<f64> {
        let line = status.lines().find(|line| line.starts_with(key))?;
        let value: f64 = line[key.len()..]
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()?;
        Some(value * 1024.0)
    };
    Some(Reading {
        cpu_seconds: (field(14)? + field(15)?) / TICKS_PER_SECOND,
        resident_bytes: kilobytes("VmRSS:").unwrap_or(0.0),
        virtual_bytes: kilobytes("VmSize:").unwrap_or(0.0),
        start_time_seconds: boot_time + field(22)? / TICKS_PER_SECOND,
        open_fds: None,
        max_fds: None,
    })
}

/// The boot time (`btime`, seconds since the epoch) of `/proc/stat`.
fn boot_time(proc_stat: &str) -> Option<f64> {
    proc_stat
        .lines()
        .find_map(|line| line.strip_prefix("btime "))
        .and_then(|value| value.trim().parse().ok())
}

/// The soft limit of `Max open files` in `/proc/self/limits`.
fn max_open_files(limits: &str) -> Option<f64> {
    let line = limits
        .lines()
        .find(|line| line.starts_with("Max open files"))?;
    line["Max open files".len()..]
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_files_are_read_by_field() {
        // A command name with a space and a parenthesis, as the kernel writes it.
        let stat = "4242 (my (manager) x) S 1 4242 4242 0 -1 4194560 1200 0 0 0 250 50 0 0 20 0 9 0 12345 104857600 2560 18446744073709551615";
        let status = "Name:\tmanager\nVmSize:\t  102400 kB\nVmRSS:\t   10240 kB\n";
        let reading = parse(stat, status, 1_700_000_000.0).expect("a reading");
        assert_eq!(reading.cpu_seconds, 3.0);
        assert_eq!(reading.resident_bytes, 10240.0 * 1024.0);
        assert_eq!(reading.virtual_bytes, 102400.0 * 1024.0);
        assert_eq!(reading.start_time_seconds, 1_700_000_123.45);
        assert_eq!(
            boot_time("cpu 1 2 3\nbtime 1700000000\n"),
            Some(1_700_000_000.0)
        );
        let limits = "Limit                     Soft Limit           Hard Limit           Units     \nMax open files            1048576              1048576              files     \n";
        assert_eq!(max_open_files(limits), Some(1_048_576.0));
        assert_eq!(parse("garbage", status, 0.0), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn this_process_is_read() {
        let reading = read_proc().expect("/proc on Linux");
        assert!(reading.resident_bytes > 0.0);
        assert!(reading.open_fds.is_some_and(|fds| fds > 0.0));
        assert!(reading.start_time_seconds > 1_600_000_000.0);
    }
}
