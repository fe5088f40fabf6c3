// Copyright 2026 The Kubesmith Authors.
//
// Licensed under the Apache License, Version 2.0 (the "License");
// you may not use this file except in compliance with the License.
// You may obtain a copy of the License at
//
//     http://www.apache.org/licenses/LICENSE-2.0
//
// Unless required by applicable law or agreed to in writing, software
// distributed under the License is distributed on an "AS IS" BASIS,
// WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
// See the License for the specific language governing permissions and
// limitations under the License.

//! Cron schedules: which runs of a CronJob are due, and when the next one is.

use croner::Cron;
use croner::errors::CronError;
use croner::parser::{CronParser, Seconds, Year};
use k8s_openapi::jiff::tz::TimeZone;
use k8s_openapi::jiff::{SignedDuration, Timestamp};

/// More missed runs than this since the last one means something is wrong (a clock jumped,
/// the controller was down for long): the CronJob is reported, not caught up on.
pub const MAX_MISSED_RUNS: usize = 100;

/// A parsed cron schedule of five fields (minute, hour, day of month, month, day of week),
/// evaluated in UTC.
///
/// ```
/// use cronjob::schedule::Schedule;
///
/// let every_five_minutes: Schedule = "*/5 * * * *".parse()?;
/// let noon = "2026-11-27T12:00:00Z".parse()?;
/// assert_eq!(every_five_minutes.next_after(noon)?, "2026-11-27T12:05:00Z".parse()?);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Schedule(Cron);

/// Why a schedule cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ScheduleError {
    /// The text is not a cron schedule of five fields.
    #[error("not a cron schedule of five fields: {0}")]
    Invalid(#[source] CronError),
    /// The schedule has no time left, or evaluating it failed.
    #[error("no run can be found: {0}")]
    Evaluation(#[source] CronError),
    /// More than [`MAX_MISSED_RUNS`] runs were missed.
    #[error(
        "more than {MAX_MISSED_RUNS} runs were missed: set or decrease .spec.startingDeadlineSeconds, or check the clock"
    )]
    TooManyMissed,
}

impl std::str::FromStr for Schedule {
    type Err = ScheduleError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        CronParser::builder()
            .seconds(Seconds::Disallowed)
            .year(Year::Disallowed)
            .build()
            .parse(text)
            .map(Schedule)
            .map_err(ScheduleError::Invalid)
    }
}

// ANCHOR: runs
/// The runs of a schedule around now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Runs {
    /// The latest run that was due but has not started (if any).
    pub missed: Option<Timestamp>,
    /// The first run after now.
    pub next: Timestamp,
}

impl Schedule {
    /// The first run strictly after `time`.
    pub fn next_after(&self, time: Timestamp) -> Result<Timestamp, ScheduleError> {
        let zoned = time.to_zoned(TimeZone::UTC);
        self.0
            .find_next_occurrence(&zoned, false)
            .map(|next| next.timestamp())
            .map_err(ScheduleError::Evaluation)
    }

    /// The runs due after `last` (the last run started, or when the CronJob was created) up
    /// to `now`, of which only the latest is `missed`, and the next run after `now`. With a
    /// starting deadline, runs older than `now - deadline` are no longer due.
    pub fn runs(
        &self,
        last: Timestamp,
        now: Timestamp,
        deadline: Option<SignedDuration>,
    ) -> Result<Runs, ScheduleError> {
        let earliest = match deadline {
            Some(deadline) => last.max(now - deadline),
            None => last,
        };
        let mut missed = None;
        let mut run = self.next_after(earliest)?;
        let mut count = 0;
        while run <= now {
            count += 1;
            if count > MAX_MISSED_RUNS {
                return Err(ScheduleError::TooManyMissed);
            }
            missed = Some(run);
            run = self.next_after(run)?;
        }
        Ok(Runs { missed, next: run })
    }
}
// ANCHOR_END: runs

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().expect("a timestamp")
    }

    fn hourly() -> Schedule {
        "0 * * * *".parse().expect("a schedule")
    }

    #[test]
    fn only_five_fields_are_a_schedule() {
        for text in [
            "",
            "* * * *",
            "0 * * * * *",
            "0 0 * * * * 2030",
            "61 * * * *",
            "x * * * *",
        ] {
            assert!(
                text.parse::<Schedule>().is_err(),
                "{text:?} was accepted as a schedule"
            );
        }
        "*/15 3-5 1,15 * MON-FRI"
            .parse::<Schedule>()
            .expect("a schedule");
    }

    #[test]
    fn nothing_is_missed_before_the_first_run() {
        let runs = hourly()
            .runs(at("2026-11-27T10:00:00Z"), at("2026-11-27T10:59:59Z"), None)
            .expect("runs");
        assert_eq!(runs.missed, None);
        assert_eq!(runs.next, at("2026-11-27T11:00:00Z"));
    }

    #[test]
    fn the_latest_of_several_missed_runs_is_the_one_due() {
        let runs = hourly()
            .runs(at("2026-11-27T10:00:00Z"), at("2026-11-27T13:30:00Z"), None)
            .expect("runs");
        assert_eq!(runs.missed, Some(at("2026-11-27T13:00:00Z")));
        assert_eq!(runs.next, at("2026-11-27T14:00:00Z"));
    }

    #[test]
    fn runs_older_than_the_starting_deadline_are_not_due() {
        let deadline = Some(SignedDuration::from_mins(10));
        let late = hourly()
            .runs(
                at("2026-11-27T10:00:00Z"),
                at("2026-11-27T11:20:00Z"),
                deadline,
            )
            .expect("runs");
        assert_eq!(late.missed, None);
        let in_time = hourly()
            .runs(
                at("2026-11-27T10:00:00Z"),
                at("2026-11-27T11:05:00Z"),
                deadline,
            )
            .expect("runs");
        assert_eq!(in_time.missed, Some(at("2026-11-27T11:00:00Z")));
    }

    #[test]
    fn too_many_missed_runs_are_an_error() {
        let every_minute: Schedule = "* * * * *".parse().expect("a schedule");
        let result =
            every_minute.runs(at("2026-11-27T10:00:00Z"), at("2026-11-27T12:00:00Z"), None);
        assert!(
            matches!(result, Err(ScheduleError::TooManyMissed)),
            "{result:?}"
        );
        let bounded = every_minute
            .runs(
                at("2026-11-27T10:00:00Z"),
                at("2026-11-27T12:00:00Z"),
                Some(SignedDuration::from_mins(30)),
            )
            .expect("runs within the deadline");
        assert_eq!(bounded.missed, Some(at("2026-11-27T12:00:00Z")));
    }
}
