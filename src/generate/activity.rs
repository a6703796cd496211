//! The operating activity behind the generated general ledger: what MOLO invoiced and what
//! Stellar's rentals earned, per day and NetSuite subsidiary, so that the ledger's income is
//! the income of the marinas and the boat club (their seasons included), and its costs are
//! sized from it (a company whose summers pay for its winters).

use std::collections::HashMap;

use anyhow::Result;
use chrono::{Datelike, NaiveDate};

use super::molo::Molo;
use super::stellar::Stellar;
use super::{MARINAS, World};

/// The boat club's subsidiary: Stellar's rentals are its income.
pub(crate) const CLUB_SUBSIDIARY: i64 = 6;

/// A line of income, as NetSuite books it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Income {
    Transient,
    Seasonal,
    Utilities,
    Fuel,
    Store,
    Service,
    Discounts,
    Rentals,
}

impl Income {
    pub(crate) const ALL: [Income; 8] = [
        Income::Transient,
        Income::Seasonal,
        Income::Utilities,
        Income::Fuel,
        Income::Store,
        Income::Service,
        Income::Discounts,
        Income::Rentals,
    ];

    /// The NetSuite income account it posts to.
    pub(crate) fn account(self) -> i64 {
        match self {
            Income::Transient => 141,
            Income::Seasonal => 142,
            Income::Utilities => 143,
            Income::Fuel => 145,
            Income::Store => 146,
            Income::Service => 147,
            Income::Rentals => 148,
            Income::Discounts => 149,
        }
    }

    /// Sold at the counter and paid at once (a cash sale), rather than invoiced on account.
    pub(crate) fn at_the_counter(self) -> bool {
        matches!(self, Income::Fuel | Income::Store | Income::Rentals)
    }

    fn index(self) -> usize {
        Income::ALL.iter().position(|i| *i == self).unwrap_or(0)
    }
}

/// Income per day and subsidiary (cents, before tax), by [`Income`] line.
#[derive(Default)]
pub(crate) struct Activity {
    days: HashMap<(NaiveDate, i64), [i64; 8]>,
    monthly: HashMap<i64, i64>,
}

/// The smallest monthly revenue a subsidiary's costs are sized from ($2,000), so that a
/// subsidiary with hardly any activity at a tiny scale still has a payroll.
const MIN_MONTHLY_REVENUE: i64 = 200_000;

impl Activity {
    /// Walks MOLO's invoices and Stellar's bookings of the world once.
    pub(crate) fn compute(w: &World) -> Result<Activity> {
        let mut days: HashMap<(NaiveDate, i64), [i64; 8]> = HashMap::new();
        let first = w.hist_start;
        Molo::new(w).invoiced(|date, loc, line, cents| {
            if date >= first {
                days.entry((date, MARINAS[loc].subsidiary_id)).or_default()[line.index()] += cents;
            }
        })?;
        Stellar::new(w).rented(|date, cents| {
            if date >= first {
                days.entry((date, CLUB_SUBSIDIARY)).or_default()[Income::Rentals.index()] += cents;
            }
        })?;
        let months = ((w.final_date.year() - first.year()) * 12 + w.final_date.month() as i32 - first.month() as i32 + 1)
            .max(1) as i64;
        let mut monthly: HashMap<i64, i64> = HashMap::new();
        for ((_, sub), lines) in &days {
            *monthly.entry(*sub).or_default() += lines.iter().sum::<i64>();
        }
        for v in monthly.values_mut() {
            *v /= months;
        }
        Ok(Activity { days, monthly })
    }

    /// The income of one subsidiary on one day (zeros when none).
    pub(crate) fn day(&self, day: NaiveDate, sub: i64) -> [i64; 8] {
        self.days.get(&(day, sub)).copied().unwrap_or_default()
    }

    /// The amount of one line in a day's income.
    pub(crate) fn amount(lines: &[i64; 8], line: Income) -> i64 {
        lines[line.index()]
    }

    /// A subsidiary's income over the whole history.
    #[cfg(test)]
    pub(crate) fn total(&self, sub: i64) -> i64 {
        self.days.iter().filter(|((_, s), _)| *s == sub).map(|(_, lines)| lines.iter().sum::<i64>()).sum()
    }

    /// A subsidiary's average monthly revenue over the history: the scale of its costs.
    pub(crate) fn monthly_revenue(&self, sub: i64) -> i64 {
        self.monthly.get(&sub).copied().unwrap_or(0).max(MIN_MONTHLY_REVENUE)
    }
}

/// Staffing through the year: more hands in the boating season.
pub(crate) fn staffing(month: u32) -> i64 {
    match month {
        5..=9 => 125,
        4 | 10 => 100,
        _ => 75,
    }
}
