//! When `serve` runs the pipeline: a cron expression read in a time zone.
//!
//! The expression is parsed by `croner` (five fields, or six with seconds first), the time
//! zone is one of the IANA database (`chrono-tz`). Daylight-saving changes follow
//! `croner`'s rules, which are Vixie cron's: a time skipped when the clocks go forward
//! runs once at the first instant after the gap; a time repeated when they go back runs
//! once, at its first occurrence.
//!
//! [`Schedule::due`] is the whole decision, a pure function of the last run's start and
//! the time now, so that it is tested with any clock.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use croner::Cron;
use croner::parser::{CronParser, Seconds};

/// A `[schedule]` that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ScheduleError {
    #[error("[schedule] cron '{expression}' is not a cron expression: {source}")]
    Cron {
        expression: String,
        #[source]
        source: croner::errors::CronError,
    },
    #[error("[schedule] timezone '{0}' is not a time zone of the IANA database (e.g. America/New_York, UTC)")]
    TimeZone(String),
    #[error("[schedule] cron '{0}' gives no time in the future")]
    Never(String),
}

/// A cron expression in a time zone.
#[derive(Clone, Debug)]
pub struct Schedule {
    cron: Cron,
    zone: Tz,
    expression: String,
}

/// What to do now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Due {
    /// A scheduled time passed since the last run started (downtime, or a run that took
    /// longer than the interval): run now, once, for the latest such time.
    Now { missed: DateTime<Utc> },
    /// Sleep until then.
    At(DateTime<Utc>),
}

impl Schedule {
    /// Parses `expression` (`"0 6 * * *"`, or with seconds `"*/5 * * * * *"`) in the time
    /// zone named `zone` (`"America/New_York"`).
    pub fn parse(expression: &str, zone: &str) -> Result<Schedule, ScheduleError> {
        let cron = CronParser::builder()
            .seconds(Seconds::Optional)
            .build()
            .parse(expression)
            .map_err(|source| ScheduleError::Cron {
                expression: expression.to_string(),
                source,
            })?;
        let zone: Tz = zone.parse().map_err(|_| ScheduleError::TimeZone(zone.to_string()))?;
        let schedule = Schedule {
            cron,
            zone,
            expression: expression.to_string(),
        };
        if schedule.next_after(Utc::now()).is_none() {
            return Err(ScheduleError::Never(expression.to_string()));
        }
        Ok(schedule)
    }

    /// The expression as configured.
    pub fn expression(&self) -> &str {
        &self.expression
    }

    /// The time zone the expression is read in.
    pub fn zone(&self) -> Tz {
        self.zone
    }

    /// The first scheduled time strictly after `t`.
    pub fn next_after(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.cron
            .find_next_occurrence(&t.with_timezone(&self.zone), false)
            .ok()
            .map(|d| d.with_timezone(&Utc))
    }

    /// The latest scheduled time at or before `t`.
    pub fn latest_until(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.cron
            .find_previous_occurrence(&t.with_timezone(&self.zone), true)
            .ok()
            .map(|d| d.with_timezone(&Utc))
    }

    /// Whether to run now or when to wake up, given when the last run started (`None`:
    /// the warehouse has no run yet, and the first one waits for its time) and the time now.
    /// Of several times missed since the last run, only the latest is run, once.
    pub fn due(&self, last_run_started: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Option<Due> {
        if let Some(last) = last_run_started
            && let Some(missed) = self.latest_until(now)
            && missed > last
        {
            return Some(Due::Now { missed });
        }
        self.next_after(now).map(Due::At)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap()
    }

    /// Wall clock time `h:mi` on that day in New York, as UTC (the earlier one when repeated).
    fn new_york(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        chrono_tz::America::New_York
            .with_ymd_and_hms(y, mo, d, h, mi, 0)
            .earliest()
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn plain_times_in_utc_with_and_without_seconds() {
        let daily = Schedule::parse("0 6 * * *", "UTC").unwrap();
        assert_eq!(daily.next_after(utc(2026, 1, 10, 5, 59, 59)), Some(utc(2026, 1, 10, 6, 0, 0)));
        // Strictly after: at 06:00 the next is tomorrow's.
        assert_eq!(daily.next_after(utc(2026, 1, 10, 6, 0, 0)), Some(utc(2026, 1, 11, 6, 0, 0)));
        let every_five_seconds = Schedule::parse("*/5 * * * * *", "UTC").unwrap();
        assert_eq!(
            every_five_seconds.next_after(utc(2026, 1, 10, 6, 0, 1)),
            Some(utc(2026, 1, 10, 6, 0, 5))
        );
        let weekdays = Schedule::parse("30 7 * * 1-5", "UTC").unwrap();
        // 2026-01-10 is a Saturday: the next weekday is Monday the 12th.
        assert_eq!(weekdays.next_after(utc(2026, 1, 10, 8, 0, 0)), Some(utc(2026, 1, 12, 7, 30, 0)));
    }

    #[test]
    fn a_time_zone_moves_the_run_with_the_local_clock() {
        let ny = Schedule::parse("0 6 * * *", "America/New_York").unwrap();
        // Winter: 06:00 EST is 11:00 UTC; summer: 06:00 EDT is 10:00 UTC.
        assert_eq!(ny.next_after(utc(2026, 1, 10, 0, 0, 0)), Some(utc(2026, 1, 10, 11, 0, 0)));
        assert_eq!(ny.next_after(utc(2026, 7, 10, 0, 0, 0)), Some(utc(2026, 7, 10, 10, 0, 0)));
        let tokyo = Schedule::parse("0 6 * * *", "Asia/Tokyo").unwrap();
        assert_eq!(tokyo.next_after(utc(2026, 1, 10, 0, 0, 0)), Some(utc(2026, 1, 10, 21, 0, 0)));
    }

    #[test]
    fn a_time_skipped_in_spring_runs_once_right_after_the_gap() {
        // 2026-03-08 in New York: 02:00 EST jumps to 03:00 EDT; 02:30 never happens.
        let s = Schedule::parse("30 2 * * *", "America/New_York").unwrap();
        let before = new_york(2026, 3, 8, 1, 0);
        let first = s.next_after(before).unwrap();
        assert_eq!(first, utc(2026, 3, 8, 7, 0, 0), "03:00 EDT, the first instant after the gap");
        let second = s.next_after(first).unwrap();
        assert_eq!(second, new_york(2026, 3, 9, 2, 30), "once: the next is the following day's 02:30");
    }

    #[test]
    fn an_hour_repeated_in_autumn_runs_once() {
        // 2026-11-01 in New York: 01:00-02:00 happens twice (EDT, then EST).
        let s = Schedule::parse("30 1 * * *", "America/New_York").unwrap();
        let first = s.next_after(new_york(2026, 11, 1, 0, 0)).unwrap();
        assert_eq!(first, utc(2026, 11, 1, 5, 30, 0), "01:30 EDT, the first of the two");
        let second = s.next_after(first).unwrap();
        assert_eq!(second, new_york(2026, 11, 2, 1, 30), "not again at 01:30 EST (06:30 UTC)");
        // An hourly job still runs every real hour through the change.
        let hourly = Schedule::parse("0 * * * *", "America/New_York").unwrap();
        let times: Vec<_> = std::iter::successors(hourly.next_after(utc(2026, 11, 1, 4, 30, 0)), |t| hourly.next_after(*t))
            .take(3)
            .collect();
        assert_eq!(
            times,
            [utc(2026, 11, 1, 5, 0, 0), utc(2026, 11, 1, 6, 0, 0), utc(2026, 11, 1, 7, 0, 0)]
        );
    }

    #[test]
    fn after_downtime_only_the_latest_missed_time_runs_once() {
        let s = Schedule::parse("0 6 * * *", "UTC").unwrap();
        let last = utc(2026, 1, 1, 6, 0, 3);
        // Down for three days: three 06:00s were missed, one run now, for the latest.
        let now = utc(2026, 1, 4, 9, 0, 0);
        assert_eq!(
            s.due(Some(last), now),
            Some(Due::Now {
                missed: utc(2026, 1, 4, 6, 0, 0)
            })
        );
        // That run starts at once; asked again after it, nothing is missed any more.
        let run_started = utc(2026, 1, 4, 9, 0, 1);
        assert_eq!(
            s.due(Some(run_started), utc(2026, 1, 4, 9, 5, 0)),
            Some(Due::At(utc(2026, 1, 5, 6, 0, 0)))
        );
        // Nothing missed: wait for the next time.
        assert_eq!(
            s.due(Some(utc(2026, 1, 4, 6, 0, 0)), utc(2026, 1, 4, 7, 0, 0)),
            Some(Due::At(utc(2026, 1, 5, 6, 0, 0)))
        );
        // A fresh warehouse waits for its first time.
        assert_eq!(s.due(None, now), Some(Due::At(utc(2026, 1, 5, 6, 0, 0))));
    }

    #[test]
    fn a_run_longer_than_the_interval_is_followed_by_one_run_not_a_backlog() {
        let s = Schedule::parse("*/2 * * * * *", "UTC").unwrap();
        // A run started at :00 and took 7 s: :02, :04 and :06 were missed.
        let due = s.due(Some(utc(2026, 1, 1, 0, 0, 0)), utc(2026, 1, 1, 0, 0, 7));
        assert_eq!(
            due,
            Some(Due::Now {
                missed: utc(2026, 1, 1, 0, 0, 6)
            })
        );
    }

    #[test]
    fn bad_expressions_and_zones_are_refused() {
        assert!(matches!(Schedule::parse("0 6 * *", "UTC"), Err(ScheduleError::Cron { .. })));
        assert!(matches!(Schedule::parse("61 6 * * *", "UTC"), Err(ScheduleError::Cron { .. })));
        assert!(matches!(
            Schedule::parse("0 6 * * *", "Mars/Olympus"),
            Err(ScheduleError::TimeZone(_))
        ));
    }
}
