//! Stellar (boat rental) snapshots: a gzip-compressed tar named `-DATA.sql.gz` with one
//! `data/<table>.csv` member per table.
//!
//! The world: one rental location with a fleet of style boats; bookings for every day of the
//! simulated history (summer weekends busiest, winter nearly closed), booked up to six weeks
//! ahead, each with its boats, payments and accessories. Ids come from a deterministic walk
//! over the days, so they are stable across snapshot days.

use std::io::Write;

use anyhow::Result;
use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, Weekday};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::values::*;
use super::{Sink, World, extra_member, from_catalog, table};
use crate::catalog::{Catalog, System};

const SYS: System = System::Stellar;

const T_DAY: u64 = tag("stellar.day");
const T_BOOKING: u64 = tag("stellar.booking");
const T_BB: u64 = tag("stellar.bookingboat");
const T_PAY: u64 = tag("stellar.payment");
const T_ACC: u64 = tag("stellar.accessory");
const T_CUST: u64 = tag("stellar.customer");

const BOOKING_BASE: i64 = 50_000;
const BB_BASE: i64 = 80_000;
const PAY_BASE: i64 = 120_000;
const CUSTOMER_BASE: i64 = 5_000;
const LOCATION: i64 = 1;
const ADMINS: i64 = 14;

/// (id, group, name, length ft, passengers, hp, price per hour, half day, full day) in cents.
struct Style {
    group: i64,
    name: &'static str,
    length: i64,
    passengers: i64,
    hp: i64,
    hourly: i64,
    half_day: i64,
    full_day: i64,
    share: u64,
}

const STYLES: [Style; 7] = [
    Style {
        group: 1,
        name: "22' Pontoon",
        length: 22,
        passengers: 10,
        hp: 115,
        hourly: 9900,
        half_day: 32500,
        full_day: 49500,
        share: 5,
    },
    Style {
        group: 1,
        name: "24' Tritoon",
        length: 24,
        passengers: 12,
        hp: 200,
        hourly: 12900,
        half_day: 42500,
        full_day: 64500,
        share: 3,
    },
    Style {
        group: 2,
        name: "20' Deck Boat",
        length: 20,
        passengers: 8,
        hp: 150,
        hourly: 10900,
        half_day: 35500,
        full_day: 54500,
        share: 3,
    },
    Style {
        group: 2,
        name: "24' Deck Boat",
        length: 24,
        passengers: 11,
        hp: 250,
        hourly: 13900,
        half_day: 45500,
        full_day: 69500,
        share: 2,
    },
    Style {
        group: 3,
        name: "21' Center Console",
        length: 21,
        passengers: 7,
        hp: 150,
        hourly: 11900,
        half_day: 38500,
        full_day: 59500,
        share: 3,
    },
    Style {
        group: 3,
        name: "25' Center Console",
        length: 25,
        passengers: 9,
        hp: 300,
        hourly: 15900,
        half_day: 52500,
        full_day: 79500,
        share: 2,
    },
    Style {
        group: 2,
        name: "Jet Ski",
        length: 11,
        passengers: 2,
        hp: 180,
        hourly: 8900,
        half_day: 27500,
        full_day: 39500,
        share: 2,
    },
];

const STYLE_GROUPS: [&str; 3] = ["Pontoons", "Deck Boats & PWC", "Fishing Boats"];
const ACCESSORY_OPTIONS: [(&str, i64); 3] =
    [("Tube - 1 Rider", 4500), ("Tube - 2 Riders", 5500), ("Tube - 3 Riders", 6500)];
const EXTRA_MEMBERS: &[&str] =
    &["data/admins.csv", "data/migrations.csv", "data/password_resets.csv", "data/settings.csv"];

struct BBoat {
    id: i64,
    style: usize,
    boat: i64,
    /// When the boat gets assigned; before that the row has no boat.
    assigned: NaiveDateTime,
    price: i64,
    passengers: i64,
    no_seconds: bool,
}

struct BPay {
    id: i64,
    at: NaiveDateTime,
    amount: i64,
    kind: &'static str,
    method: &'static str,
}

struct Booking {
    id: i64,
    created: NaiveDateTime,
    departure: NaiveDateTime,
    ret: NaiveDateTime,
    customer: i64,
    frontend: bool,
    cancel: Option<NaiveDateTime>,
    no_show: bool,
    soft_deleted: Option<NaiveDateTime>,
    boats: Vec<BBoat>,
    /// (option id, quantity, price).
    accessories: Vec<(i64, i64, i64)>,
    insurance: i64,
    coupon: Option<(i64, i64)>,
    pays: Vec<BPay>,
    admin: i64,
}

impl Booking {
    fn boats_total(&self) -> i64 {
        self.boats.iter().map(|b| b.price).sum()
    }
    fn accessories_total(&self) -> i64 {
        self.accessories.iter().map(|a| a.1 * a.2).sum()
    }
    fn subtotal(&self) -> i64 {
        self.boats_total() + self.accessories_total() + self.insurance - self.coupon.map_or(0, |c| c.1)
    }
    fn tax(&self) -> i64 {
        (self.subtotal() * 7 + 50) / 100
    }
    fn convenience(&self) -> i64 {
        if self.frontend { 499 } else { 0 }
    }
    fn grand_total(&self) -> i64 {
        self.subtotal() + self.tax() + self.convenience()
    }
    fn canceled(&self, now: NaiveDateTime) -> bool {
        self.cancel.is_some_and(|c| c <= now)
    }
    fn status(&self, now: NaiveDateTime) -> &'static str {
        if self.canceled(now) {
            "Canceled"
        } else if self.ret <= now {
            if self.no_show { "No Show" } else { "Complete" }
        } else if self.departure <= now {
            "Checked Out"
        } else {
            "Booked"
        }
    }
}

pub(crate) struct Stellar<'w> {
    w: &'w World,
    n_customers: i64,
    boats_by_style: Vec<Vec<i64>>,
    n_style_boats: i64,
}

impl<'w> Stellar<'w> {
    pub(crate) fn new(w: &'w World) -> Self {
        // The fleet grows with the scale so that rentals per boat stay plausible.
        let n_style_boats = (w.n(20.0, 20) as i64).min(2000);
        let pattern: Vec<usize> =
            STYLES.iter().enumerate().flat_map(|(i, s)| std::iter::repeat_n(i, s.share as usize)).collect();
        let mut boats_by_style = vec![Vec::new(); STYLES.len()];
        for b in 1..=n_style_boats {
            boats_by_style[pattern[(b as usize - 1) % pattern.len()]].push(b);
        }
        Stellar { w, n_customers: w.n(6000.0, 40) as i64, boats_by_style, n_style_boats }
    }

    fn seed(&self) -> u64 {
        self.w.seed
    }

    fn style_of_boat(&self, b: i64) -> usize {
        self.boats_by_style.iter().position(|v| v.contains(&b)).unwrap_or(0)
    }

    fn customer_span(&self) -> (NaiveDateTime, NaiveDateTime) {
        (at(self.w.hist_start - Duration::days(1100), 0, 0, 0), at(self.w.final_date, 7, 0, 0))
    }

    /// Customers sign up over time; ids grow with creation time.
    fn customers_by(&self, t: NaiveDateTime) -> i64 {
        let (c0, c1) = self.customer_span();
        let f = ((t - c0).num_seconds() as f64 / (c1 - c0).num_seconds() as f64).clamp(0.0, 1.0);
        ((self.n_customers as f64 * f).floor() as i64).max(1)
    }

    fn customer_created(&self, k: i64) -> NaiveDateTime {
        let (c0, c1) = self.customer_span();
        let u = unit(hash(&[self.seed(), T_CUST, k as u64, 1]));
        let secs = ((k as f64 - 1.0 + 0.5 * u) / self.n_customers as f64 * (c1 - c0).num_seconds() as f64) as i64;
        c0 + Duration::seconds(secs.max(0))
    }

    fn day_lambda(&self, d: NaiveDate) -> f64 {
        let season = match d.month() {
            6..=8 => 1.0,
            5 | 9 => 0.6,
            4 | 10 => 0.3,
            _ => 0.04,
        };
        let weekend = matches!(d.weekday(), Weekday::Sat | Weekday::Sun);
        let fri = d.weekday() == Weekday::Fri;
        let base = if weekend {
            45.0
        } else if fri {
            26.0
        } else {
            18.0
        };
        base * season * self.w.scale
    }

    /// The bookings departing on `day`.
    fn bookings_of_day(&self, day: NaiveDate, ids: &mut Ids) -> Vec<Booking> {
        let di = (day - self.w.hist_start).num_days() as u64;
        let mut r = rng(&[self.seed(), T_DAY, di]);
        let n = r.poisson(self.day_lambda(day));
        let mut out = Vec::with_capacity(n as usize);
        for k in 0..n {
            let mut r = rng(&[self.seed(), T_BOOKING, di, k as u64]);
            ids.booking += 1;
            let id = BOOKING_BASE + ids.booking;
            let (dep_h, hours, days): (u32, i64, i64) = match r.gen_range(0..100) {
                0..=29 => (9, 4, 0),
                30..=54 => (14, 4, 0),
                55..=79 => (9, 8, 0),
                80..=95 => (r.gen_range(9..16), 2, 0),
                _ => (9, 8, r.gen_range(1..4)),
            };
            let departure = at(day, dep_h, *r.pick(&[0, 0, 30]), 0);
            let ret = departure + Duration::hours(hours) + Duration::days(days);
            let lead_days = if r.prob(0.3) { 0 } else { r.gen_range(1..42) };
            let created = if lead_days == 0 {
                departure - Duration::minutes(r.gen_range(30..300))
            } else {
                at(day - Duration::days(lead_days), r.gen_range(7..22), r.gen_range(0..60), r.gen_range(0..60))
            };
            let customer = CUSTOMER_BASE + r.gen_range(1..=self.customers_by(created));
            let n_boats = match r.gen_range(0..100) {
                0..=84 => 1,
                85..=96 => 2,
                _ => 3,
            };
            let mut boats = Vec::new();
            for _ in 0..n_boats {
                ids.bb += 1;
                let style = r.weighted(&STYLES.map(|s| s.share as f64));
                let s = &STYLES[style];
                let price = if days > 0 {
                    s.full_day * (days + 1) * 9 / 10
                } else {
                    match hours {
                        2 => s.hourly * 2,
                        4 => s.half_day,
                        _ => s.full_day,
                    }
                };
                let weekend_bump = if matches!(day.weekday(), Weekday::Sat | Weekday::Sun) { 110 } else { 100 };
                let assigned = if lead_days <= 2 {
                    created
                } else {
                    departure - Duration::days(r.gen_range(0..4)) - Duration::hours(12)
                };
                boats.push(BBoat {
                    id: BB_BASE + ids.bb,
                    style,
                    boat: *r.pick(&self.boats_by_style[style]),
                    assigned: assigned.max(created),
                    price: price * weekend_bump / 100,
                    passengers: r.gen_range(1..=s.passengers),
                    no_seconds: r.prob(0.03),
                });
            }
            let cancel = (lead_days > 1 && r.prob(0.07)).then(|| {
                (created + Duration::hours(r.gen_range(1..lead_days * 24))).min(departure - Duration::hours(2))
            });
            let mut accessories = Vec::new();
            if r.prob(0.35) {
                let o = r.gen_range(1..=3);
                accessories.push((o, 1, ACCESSORY_OPTIONS[o as usize - 1].1));
                if r.prob(0.12) {
                    let o2 = o % 3 + 1;
                    accessories.push((o2, 1, ACCESSORY_OPTIONS[o2 as usize - 1].1));
                }
            }
            let mut b = Booking {
                id,
                created,
                departure,
                ret,
                customer,
                frontend: r.prob(0.55),
                cancel,
                no_show: cancel.is_none() && r.prob(0.015),
                soft_deleted: None,
                boats,
                accessories,
                insurance: if r.prob(0.6) { 2500 * n_boats } else { 0 },
                coupon: r.prob(0.05).then(|| (r.gen_range(1..=4), 2500)),
                pays: Vec::new(),
                admin: r.gen_range(1..=ADMINS),
            };
            if b.cancel.is_none() && r.prob(0.01) {
                b.soft_deleted = Some(created + Duration::hours(r.gen_range(1..48)));
            }
            // Payments: a deposit when booked ahead, the balance at check-in, a refund of
            // the deposit when cancelled.
            let total = b.grand_total();
            let deposit = if lead_days > 0 { (total / 2).min(25_000) } else { 0 };
            let mut pay = |ids: &mut Ids, at: NaiveDateTime, amount: i64, kind: &'static str, r: &mut ChaCha8Rng| {
                ids.pay += 1;
                let method = if r.prob(0.85) { "credit" } else { "cash" };
                b.pays.push(BPay { id: PAY_BASE + ids.pay, at, amount, kind, method });
            };
            if deposit > 0 {
                pay(ids, created + Duration::minutes(1), deposit, "Deposit", &mut r);
            }
            match b.cancel {
                Some(c) if deposit > 0 && r.prob(0.8) => {
                    pay(ids, c + Duration::minutes(3), -deposit, "Refund", &mut r);
                }
                Some(_) => {}
                None if !b.no_show => {
                    pay(ids, departure - Duration::minutes(r.gen_range(5..40)), total - deposit, "Balance", &mut r);
                    if r.prob(0.25) {
                        // Fuel and damages settled at check-in.
                        let extra = r.gen_range(1500..12000);
                        pay(ids, ret + Duration::minutes(r.gen_range(10..50)), extra, "Check-In", &mut r);
                    }
                }
                None => {}
            }
            out.push(b);
        }
        out
    }

    fn walk(&self, f: &mut dyn FnMut(&Booking) -> Result<()>) -> Result<()> {
        let mut ids = Ids::default();
        let end = self.w.final_date + Duration::days(45);
        for day in self.w.hist_start.iter_days().take_while(|d| *d <= end) {
            for b in self.bookings_of_day(day, &mut ids) {
                f(&b)?;
            }
        }
        Ok(())
    }
}

#[derive(Default)]
struct Ids {
    booking: i64,
    bb: i64,
    pay: i64,
}

fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

/// Decimal hours of the day (`9.5` = 09:30), as Stellar stores time settings.
fn hours(h: i64, half: bool) -> Val {
    Val::Dec(h * 100 + if half { 50 } else { 0 }, 2)
}

/// Writes the Stellar snapshot as of `now`.
pub(crate) fn write(w: &World, now: NaiveDateTime, sink: &mut Sink) -> Result<Tally> {
    let s = Stellar::new(w);
    let seed = w.seed;
    let mut tally = Tally::default();
    let old = at(w.hist_start - Duration::days(900), 10, 12, 5);
    let years: Vec<i32> = (w.hist_start.year()..=w.final_date.year() + 1).collect();
    for t in Catalog::get().tables_of(SYS) {
        let name = t.name.clone();
        match name.as_str() {
            "customers" => table(sink, &mut tally, SYS, &name, |tw| write_customers(&s, tw, now))?,
            "locations" => table(sink, &mut tally, SYS, &name, |tw| {
                tw.begin(hash(&[seed, tag("st.location")]), old)
                    .set("id", LOCATION)
                    .set("code", "HPBC")
                    .set("location_name", "Harbor Point Boat Club")
                    .set("location_type", 1)
                    .set("minimum_1", cents(9900))
                    .set("minimum_2", cents(19900))
                    .set("delivery", cents(5000))
                    .set("frontend", true)
                    .set("pricing", 1)
                    .set("is_internal", false)
                    .set("is_canceled", false)
                    .set("cancel_reason", Val::Null)
                    .set("cancel_date", Val::Null)
                    .set("is_transferred", false)
                    .set("transfer_destination", Val::Null)
                    .set("module_type", "rentals")
                    .set("operating_location", "Harbor Point Marina, Annapolis, MD")
                    .set("is_active", true)
                    .set("created_at", old)
                    .set("updated_at", old + Duration::days(400));
                tw.end()
            })?,
            "seasons" => table(sink, &mut tally, SYS, &name, |tw| {
                let y = w.final_date.year();
                for (i, (nm, a, b)) in
                    [("Peak Season", ymd(y, 5, 15), ymd(y, 9, 15)), ("Shoulder Season", ymd(y, 4, 1), ymd(y, 10, 31))]
                        .into_iter()
                        .enumerate()
                {
                    tw.begin(hash(&[seed, tag("st.season"), i as u64]), old)
                        .set("id", i as i64 + 1)
                        .set("location_id", LOCATION)
                        .set("season_name", nm)
                        .set("season_start", a)
                        .set("season_end", b)
                        .set("status", "Active")
                        .set("weekday_min_start_time", hours(8, false))
                        .set("weekday_max_start_time", hours(16, false))
                        .set("weekday_min_end_time", hours(10, false))
                        .set("weekday_max_end_time", hours(19, false))
                        .set("weekend_min_start_time", hours(8, false))
                        .set("weekend_max_start_time", hours(15, true))
                        .set("weekend_min_end_time", hours(10, false))
                        .set("weekend_max_end_time", hours(19, true))
                        .set("holiday_min_start_time", hours(8, false))
                        .set("holiday_max_start_time", hours(14, false))
                        .set("holiday_min_end_time", hours(11, false))
                        .set("holiday_max_end_time", hours(19, false))
                        .set("created_at", old)
                        .set("updated_at", old + Duration::days(30 * (i as i64 + 1)));
                    tw.end()?;
                }
                Ok(())
            })?,
            "accessories" => table(sink, &mut tally, SYS, &name, |tw| {
                tw.begin(hash(&[seed, tag("st.accessory")]), old)
                    .set("id", 1)
                    .set("location_id", LOCATION)
                    .set("accessory_name", "Towable Tube")
                    .set("position", 1)
                    .set("frontend_position", 1)
                    .set("short_name", "TUBE")
                    .set("abbreviation", "TB")
                    .set("price", cents(4500))
                    .set("deposit_amount", cents(0))
                    .set("tax_exempt", false)
                    .set("max_overlapping_rentals", 6)
                    .set("frontend_qty_limit", 1)
                    .set("use_striped_background", false)
                    .set("backend_available_days", "1,2,3,4,5,6,7")
                    .set("frontend_available_days", "6,7")
                    .set("created_at", old)
                    .set("updated_at", old + Duration::days(50));
                tw.end()
            })?,
            "accessory_options" => table(sink, &mut tally, SYS, &name, |tw| {
                for (i, (nm, _)) in ACCESSORY_OPTIONS.iter().enumerate() {
                    tw.begin(hash(&[seed, tag("st.accopt"), i as u64]), old)
                        .set("id", i as i64 + 1)
                        .set("accessory_id", 1)
                        .set("value", *nm)
                        .set("use_striped_background", i == 2)
                        .set("created_at", old)
                        .set("updated_at", old);
                    tw.end()?;
                }
                Ok(())
            })?,
            "accessory_tiers" => table(sink, &mut tally, SYS, &name, |tw| {
                for (i, (lo, hi, price)) in [(0, 4, 4500), (4, 12, 6500)].into_iter().enumerate() {
                    tw.begin(hash(&[seed, tag("st.acctier"), i as u64]), old)
                        .set("id", i as i64 + 1)
                        .set("accessory_id", 1)
                        .set("min_hours", Val::Dec(lo * 100, 2))
                        .set("max_hours", Val::Dec(hi * 100, 2))
                        .set("price", cents(price))
                        .set("accessory_option_id", i as i64 + 1)
                        .set("created_at", old)
                        .set("updated_at", old);
                    tw.end()?;
                }
                Ok(())
            })?,
            "amenities" => table(sink, &mut tally, SYS, &name, |tw| {
                for (i, nm) in ["Bluetooth Stereo", "Bimini Top", "Swim Ladder"].iter().enumerate() {
                    tw.begin(hash(&[seed, tag("st.amenity"), i as u64]), old)
                        .set("id", i as i64 + 1)
                        .set("location_id", LOCATION)
                        .set("amenity_name", *nm)
                        .set("frontend_display", true)
                        .set("frontend_name", *nm)
                        .set("frontend_position", i as i64 + 1)
                        .set("featured", i == 0)
                        .set("filterable", i != 2)
                        .set("type", "Text")
                        .set("created_at", old)
                        .set("updated_at", old);
                    tw.end()?;
                }
                Ok(())
            })?,
            "categories" => table(sink, &mut tally, SYS, &name, |tw| {
                for (i, nm) in ["Pontoon Boats", "Deck Boats & Jet Skis", "Fishing Boats"].iter().enumerate() {
                    tw.begin(hash(&[seed, tag("st.category"), i as u64]), old)
                        .set("id", i as i64 + 1)
                        .set("location_id", LOCATION)
                        .set("category_name", *nm)
                        .set("frontend_display", true)
                        .set("frontend_name", *nm)
                        .set("frontend_type", "boats")
                        .set("frontend_position", i as i64 + 1)
                        .set("filter_unit_type_enabled", false)
                        .set("filter_unit_type_position", "First")
                        .set("min_nights_multi_day", 1)
                        .set("created_at", old)
                        .set("updated_at", old);
                    tw.end()?;
                }
                Ok(())
            })?,
            "holidays" => table(sink, &mut tally, SYS, &name, |tw| {
                for y in &years {
                    let memorial = NaiveDate::from_weekday_of_month_opt(*y, 5, Weekday::Mon, 5).unwrap_or_else(|| {
                        NaiveDate::from_weekday_of_month_opt(*y, 5, Weekday::Mon, 4).expect("4th Monday")
                    });
                    let labor = NaiveDate::from_weekday_of_month_opt(*y, 9, Weekday::Mon, 1).expect("labor day");
                    for d in [memorial, ymd(*y, 6, 19), ymd(*y, 7, 4), labor, ymd(*y, 10, 13)] {
                        tw.begin(hash(&[seed, tag("st.holiday"), d.num_days_from_ce() as u64]), old)
                            .set("location_id", LOCATION)
                            .set("holiday_date", d);
                        tw.end()?;
                    }
                }
                Ok(())
            })?,
            "bookings" => table(sink, &mut tally, SYS, &name, |tw| write_bookings(&s, tw, now))?,
            "booking_boats" => table(sink, &mut tally, SYS, &name, |tw| write_booking_boats(&s, tw, now))?,
            "booking_payments" => table(sink, &mut tally, SYS, &name, |tw| write_payments(&s, tw, now))?,
            "booking_accessories" => table(sink, &mut tally, SYS, &name, |tw| {
                s.walk(&mut |b| {
                    if b.created > now {
                        return Ok(());
                    }
                    for (opt, qty, price) in &b.accessories {
                        let key = hash(&[seed, T_ACC, b.id as u64, *opt as u64]);
                        if w.deleted(key, 0.01, b.created, now) {
                            continue;
                        }
                        tw.begin(key, b.created)
                            .set("booking_id", b.id)
                            .set("accessory_id", 1)
                            .set("qty", *qty)
                            .set("price", cents(*price))
                            .set("price_override", false)
                            .set("accessory_option_id", *opt)
                            .set("created_at", b.created)
                            .set("updated_at", b.created);
                        tw.end()?;
                    }
                    Ok(())
                })
            })?,
            "style_groups" => table(sink, &mut tally, SYS, &name, |tw| {
                for (i, nm) in STYLE_GROUPS.iter().enumerate() {
                    tw.begin(hash(&[seed, tag("st.group"), i as u64]), old)
                        .set("id", i as i64 + 1)
                        .set("location_id", LOCATION)
                        .set("group_name", *nm)
                        .set("frontend_max_same_departures", 4)
                        .set("safety_test_enabled", i == 1)
                        .set("safety_test_min_percent_pass", cents(8000))
                        .set("safety_test_expiration_days", 365)
                        .set("created_at", old)
                        .set("updated_at", old);
                    tw.end()?;
                }
                Ok(())
            })?,
            "styles" => table(sink, &mut tally, SYS, &name, |tw| {
                for (i, st) in STYLES.iter().enumerate() {
                    let mut r = rng(&[seed, tag("st.style"), i as u64]);
                    tw.begin(hash(&[seed, tag("st.style"), i as u64]), old)
                        .set("id", i as i64 + 1)
                        .set("location_id", LOCATION)
                        .set("style_group_id", st.group)
                        .set("style_name", st.name)
                        .set("backend_display", true)
                        .set("position", i as i64 + 1)
                        .set("turnaround_time", Val::Dec(50, 2))
                        .set("deposit_amount", cents(25_000))
                        .set("tax_1_rate", cents(700))
                        .set("tax_2_rate", cents(0))
                        .set("insurance_enabled", true)
                        .set("frontend_display", true)
                        .set("frontend_name", st.name)
                        .set("frontend_nightly_start", hours(9, false))
                        .set("frontend_nightly_end", hours(17, false))
                        .set("backend_nightly_start", hours(9, false))
                        .set("backend_nightly_end", hours(17, false))
                        .set("passengers", st.passengers)
                        .set("weight_capacity", st.passengers * 175)
                        .set("horsepower", st.hp)
                        .set("engine_type", if st.hp > 200 { "Outboard (twin)" } else { "Outboard" })
                        .set("length", Val::Dec(st.length * 100, 2))
                        .set("width", Val::Dec(r.gen_range(400..1000), 2))
                        .set("draft", Val::Dec(r.gen_range(100..300), 2))
                        .set("fuel_capacity", st.length * 2)
                        .set(
                            "brand",
                            *r.pick(&["Bennington", "Sun Tracker", "Yamaha", "Sea-Doo", "Bayliner", "Key West"]),
                        )
                        .set("title", st.name)
                        .set(
                            "description",
                            format!(
                                "Seats {}, {} hp. Life jackets included; \"no wake\" zones enforced.",
                                st.passengers, st.hp
                            ),
                        )
                        .set("created_at", old)
                        .set("updated_at", old + Duration::days(90));
                    tw.end()?;
                }
                Ok(())
            })?,
            "style_boats" => table(sink, &mut tally, SYS, &name, |tw| {
                for b in 1..=s.n_style_boats {
                    let st = s.style_of_boat(b);
                    let mut r = rng(&[seed, tag("st.boat"), b as u64]);
                    let purchased = w.hist_start - Duration::days(r.gen_range(0..1500));
                    let sold = r.prob(0.05).then(|| w.final_date - Duration::days(r.gen_range(1..300)));
                    tw.begin(hash(&[seed, tag("st.boat"), b as u64]), at(purchased, 12, 0, 0))
                        .set("id", b)
                        .set("style_id", st as i64 + 1)
                        .set(
                            "boat_number",
                            format!("{}-{:02}", STYLES[st].name.split(' ').next_back().unwrap_or("B"), b),
                        )
                        .set("motor", format!("{} hp", STYLES[st].hp))
                        .set("manufacturer", *r.pick(&["Bennington", "Sun Tracker", "Yamaha", "Sea-Doo", "Key West"]))
                        .set("serial", format!("HIN{:010}", r.gen_range(0..10_000_000_000i64)))
                        .set("in_fleet", sold.is_none())
                        .set("purchased_date", purchased)
                        .set("purchased_cost", cents(r.gen_range(2_500_000..9_500_000)))
                        .set("sale_date", sold)
                        .set("sale_price", sold.map(|_| cents(r.gen_range(1_500_000..6_000_000))))
                        .set("backend_display", true)
                        .set("position", b)
                        .set("status", if sold.is_some() { "Out of Service" } else { "In Service" })
                        .set("service_start", purchased)
                        .set("service_end", sold)
                        .set("clean_status", *r.pick(&["Clean", "Clean", "Dirty"]))
                        .set("created_at", at(purchased, 12, 0, 0))
                        .set("updated_at", at(purchased, 12, 0, 0) + Duration::days(r.gen_range(1..400)));
                    tw.end()?;
                }
                Ok(())
            })?,
            "customer_boats" => table(sink, &mut tally, SYS, &name, |tw| {
                for i in 1..=5i64 {
                    let mut r = rng(&[seed, tag("st.custboat"), i as u64]);
                    tw.begin(hash(&[seed, tag("st.custboat"), i as u64]), old)
                        .set("id", i)
                        .set("customer_id", CUSTOMER_BASE + i)
                        .set("slip_id", i)
                        .set("boat_name", *r.pick(BOAT_NAMES))
                        .set("boat_number", format!("MD{:04}AB", r.gen_range(0..10000)))
                        .set("length", Val::Dec(r.gen_range(1800..3500), 2))
                        .set("width", Val::Dec(r.gen_range(600..1200), 2))
                        .set("created_at", old)
                        .set("updated_at", old);
                    tw.end()?;
                }
                Ok(())
            })?,
            "season_dates" => table(sink, &mut tally, SYS, &name, |tw| {
                let y = w.final_date.year();
                for (i, (a, b)) in
                    [(ymd(y, 5, 15), ymd(y, 9, 15)), (ymd(y, 4, 1), ymd(y, 10, 31))].into_iter().enumerate()
                {
                    tw.begin(hash(&[seed, tag("st.seasondate"), i as u64]), old)
                        .set("id", i as i64 + 1)
                        .set("season_id", i as i64 + 1)
                        .set("start_date", a)
                        .set("end_date", b);
                    tw.end()?;
                }
                Ok(())
            })?,
            "style_hourly_prices" => table(sink, &mut tally, SYS, &name, |tw| {
                for (i, st) in STYLES.iter().enumerate() {
                    for season in 0..2i64 {
                        let id = i as i64 * 2 + season + 1;
                        let p = if season == 0 { st.hourly } else { st.hourly * 85 / 100 };
                        tw.begin(hash(&[seed, tag("st.hourly"), id as u64]), old)
                            .set("id", id)
                            .set("style_id", i as i64 + 1)
                            .set("season_id", season + 1)
                            .set("hourly_type", "standard")
                            .set("default_price", Val::Dec(p * 100, 4))
                            .set("holiday", Val::Dec(p * 125, 4))
                            .set("saturday", Val::Dec(p * 110, 4))
                            .set("sunday", Val::Dec(p * 110, 4))
                            .set("monday", Val::Dec(p * 100, 4))
                            .set("tuesday", Val::Dec(p * 100, 4))
                            .set("wednesday", Val::Dec(p * 100, 4))
                            .set("thursday", Val::Dec(p * 100, 4))
                            .set("friday", Val::Dec(p * 105, 4))
                            .set("min_hours", Val::Dec(20_000, 4))
                            .set("max_hours", Val::Dec(80_000, 4))
                            .set("created_at", old)
                            .set("updated_at", old);
                        tw.end()?;
                    }
                }
                Ok(())
            })?,
            "style_times" => table(sink, &mut tally, SYS, &name, |tw| {
                for (i, _) in STYLES.iter().enumerate() {
                    for season in 0..2i64 {
                        let id = i as i64 * 2 + season + 1;
                        tw.begin(hash(&[seed, tag("st.time"), id as u64]), old)
                            .set("id", id)
                            .set("style_id", i as i64 + 1)
                            .set("season_id", season + 1)
                            .set("description", "Half day AM / PM, full day, 2 hours")
                            .set("frontend_display", true)
                            .set("start_1", hours(9, false))
                            .set("end_1", hours(13, false))
                            .set("end_days_1", 0)
                            .set("status_1", true)
                            .set("start_2", hours(14, false))
                            .set("end_2", hours(18, false))
                            .set("end_days_2", 0)
                            .set("status_2", true)
                            .set("start_3", hours(9, false))
                            .set("end_3", hours(17, false))
                            .set("end_days_3", 0)
                            .set("status_3", season == 0)
                            .set("start_4", hours(17, true))
                            .set("end_4", hours(20, false))
                            .set("end_days_4", 0)
                            .set("status_4", false)
                            .set("valid_days", "1,2,3,4,5,6,7")
                            .set("holidays_only_if_valid_day", false)
                            .set("mapped_time_id", Val::Null)
                            .set("created_at", old)
                            .set("updated_at", old);
                        tw.end()?;
                    }
                }
                Ok(())
            })?,
            "style_prices" => table(sink, &mut tally, SYS, &name, |tw| {
                for (i, st) in STYLES.iter().enumerate() {
                    for season in 0..2i64 {
                        let id = i as i64 * 2 + season + 1;
                        let p = if season == 0 { st.half_day } else { st.half_day * 85 / 100 };
                        tw.begin(hash(&[seed, tag("st.price"), id as u64]), old)
                            .set("time_id", id)
                            .set("default_price", cents(p))
                            .set("holiday", cents(p * 125 / 100))
                            .set("saturday", cents(p * 110 / 100))
                            .set("sunday", cents(p * 110 / 100))
                            .set("monday", cents(p))
                            .set("tuesday", cents(p))
                            .set("wednesday", cents(p))
                            .set("thursday", cents(p))
                            .set("friday", cents(p * 105 / 100))
                            .set("created_at", old)
                            .set("updated_at", old);
                        tw.end()?;
                    }
                }
                Ok(())
            })?,
            "club_tiers" => table(sink, &mut tally, SYS, &name, |tw| {
                for (i, (nm, fee)) in [("Bronze", 9_900), ("Silver", 19_900), ("Gold", 34_900)].into_iter().enumerate()
                {
                    tw.begin(hash(&[seed, tag("st.tier"), i as u64]), old)
                        .set("id", i as i64 + 1)
                        .set("location_id", LOCATION)
                        .set("tier_name", nm)
                        .set("frontend_display", true)
                        .set("frontend_name", format!("{nm} Membership"))
                        .set("frontend_position", i as i64 + 1)
                        .set("term_length", 12)
                        .set("term_length_type", "months")
                        .set("term_auto_renew", true)
                        .set("term_fee", cents(fee * 12))
                        .set("period_length", 1)
                        .set("period_length_type", "months")
                        .set("credits_per_period", Val::Dec(400 * (i as i64 + 1), 2))
                        .set("hours_per_credit", Val::Dec(400, 2))
                        .set("period_fee", cents(fee))
                        .set("status", "Active")
                        .set("created_at", old)
                        .set("updated_at", old);
                    tw.end()?;
                }
                Ok(())
            })?,
            "coupons" => table(sink, &mut tally, SYS, &name, |tw| {
                for (i, code) in ["SPRING25", "LOCALS10", "WEEKDAY", "VIP2025"].iter().enumerate() {
                    tw.begin(hash(&[seed, tag("st.coupon"), i as u64]), old)
                        .set("id", i as i64 + 1)
                        .set("location_id", LOCATION)
                        .set("code", *code)
                        .set("coupon_name", format!("Promo {code}"))
                        .set("coupon_type", if i % 2 == 0 { "fixed" } else { "percent" })
                        .set("coupon_amount", cents(2500))
                        .set("count_allowed", 500)
                        .set("count_used", 10 * (i as i64 + 1))
                        .set("coupon_start", w.hist_start)
                        .set("coupon_end", w.final_date + Duration::days(365))
                        .set("status", "Active")
                        .set("holidays_only_if_valid_day", false)
                        .set("created_at", old)
                        .set("updated_at", old);
                    tw.end()?;
                }
                Ok(())
            })?,
            "pos_items" => table(sink, &mut tally, SYS, &name, |tw| {
                for (i, (nm, price)) in [
                    ("Ice", 450),
                    ("Sunscreen", 1299),
                    ("Water", 200),
                    ("Snacks", 350),
                    ("Cooler Rental", 1500),
                    ("Waterproof Phone Case", 1999),
                ]
                .into_iter()
                .enumerate()
                {
                    tw.begin(hash(&[seed, tag("st.positem"), i as u64]), old)
                        .set("id", i as i64 + 1)
                        .set("location_id", LOCATION)
                        .set("sku", format!("POS-{:03}", i + 1))
                        .set("item_name", nm)
                        .set("cost", cents(price / 2))
                        .set("price", cents(price))
                        .set("tax_exempt", false)
                        .set("created_at", old)
                        .set("updated_at", old);
                    tw.end()?;
                }
                Ok(())
            })?,
            "pos_sales" | "fuel_sales" => table(sink, &mut tally, SYS, &name, |tw| {
                let n = w.n(60.0, 3) as i64;
                let fuel = name == "fuel_sales";
                let span = (w.final_date - w.hist_start).num_days();
                for i in 1..=n {
                    let mut r = rng(&[seed, tag(&name), i as u64]);
                    let created = at(
                        w.hist_start + Duration::days(span * (i - 1) / n),
                        r.gen_range(9..18),
                        r.gen_range(0..60),
                        0,
                    );
                    if created > now {
                        continue;
                    }
                    let (f, l) = person(&mut r);
                    let (qty, price) = (r.gen_range(500..6000), 549 * 100);
                    let sub = if fuel { qty * price / 1_000_000 } else { r.gen_range(200..6000) };
                    let tax = if fuel { 0 } else { sub * 7 / 100 };
                    let tip = if fuel && r.prob(0.2) { 300 } else { 0 };
                    tw.begin(hash(&[seed, tag(&name), i as u64]), created)
                        .set("id", i)
                        .set("location_id", LOCATION)
                        .set("admin_id", r.gen_range(1..=ADMINS))
                        .set("customer_name", format!("{f} {l}"))
                        .set("subtotal", cents(sub))
                        .set("grand_total", cents(sub + tax + tip))
                        .set("amount_paid", cents(sub + tax + tip))
                        .set("created_at", created)
                        .set("updated_at", created)
                        .set(
                            "deleted_at",
                            if r.prob(0.03) { Val::from(created + Duration::hours(1)) } else { Val::Null },
                        );
                    if fuel {
                        tw.set("fuel_type", "Ethanol-Free 90")
                            .set("qty", Val::Dec(qty, 2))
                            .set("price", Val::Dec(price, 4))
                            .set("tip", cents(tip));
                    } else {
                        tw.set("tax_1", cents(tax));
                    }
                    tw.end()?;
                }
                Ok(())
            })?,
            "waitlists" => table(sink, &mut tally, SYS, &name, |tw| {
                let n = w.n(60.0, 5) as i64;
                let span = (w.final_date - w.hist_start).num_days();
                for i in 1..=n {
                    let mut r = rng(&[seed, tag("st.waitlist"), i as u64]);
                    let day = w.hist_start + Duration::days(span * (i - 1) / n + r.gen_range(0..5));
                    let created = at(day, r.gen_range(8..20), r.gen_range(0..60), 0);
                    if created > now {
                        continue;
                    }
                    let style = r.gen_range(0..STYLES.len());
                    let cust = r.gen_range(1..=s.customers_by(created));
                    let (f, l) = customer_name(seed, cust);
                    let departure = day + Duration::days(r.gen_range(1..20));
                    let fulfilled =
                        if departure < now.date() { *r.pick(&["Fulfilled", "Expired", "Expired"]) } else { "Pending" };
                    tw.begin(hash(&[seed, tag("st.waitlist"), i as u64]), created)
                        .set("id", i)
                        .set("location_id", LOCATION)
                        .set("category_id", STYLES[style].group)
                        .set("style_id", style as i64 + 1)
                        .set("customer_id", CUSTOMER_BASE + cust)
                        .set("time_id", style as i64 * 2 + 1)
                        .set("timeframe_id", if r.prob(0.4) { Val::Int(r.gen_range(1..=4)) } else { Val::Null })
                        .set("firstname", f)
                        .set("lastname", l)
                        .set("email", email(f, l, &mut r))
                        .set("phone", phone(&mut r))
                        .set("departure", departure)
                        .set("length", *r.pick(&["Half Day", "Full Day", "2 Hours"]))
                        .set("waitlist_time", *r.pick(&["Morning", "Afternoon", "Any"]))
                        .set("fulfilled", fulfilled)
                        .set(
                            "fulfilled_date",
                            if fulfilled == "Fulfilled" { Val::from(departure - Duration::days(1)) } else { Val::Null },
                        )
                        .set("created_at", created)
                        .set("updated_at", created);
                    tw.end()?;
                }
                Ok(())
            })?,
            "closed_dates" => table(sink, &mut tally, SYS, &name, |tw| {
                let mut id = 0;
                for y in &years {
                    for d in [ymd(*y, 1, 1), ymd(*y, 12, 25)] {
                        id += 1;
                        tw.begin(hash(&[seed, tag("st.closed"), id as u64]), old)
                            .set("id", id)
                            .set("location_id", LOCATION)
                            .set("closed_date", d)
                            .set("allow_backend_departures", false)
                            .set("allow_backend_returns", true)
                            .set("allow_frontend_departures", false)
                            .set("allow_frontend_returns", false)
                            .set("created_at", old)
                            .set("updated_at", old);
                        tw.end()?;
                    }
                }
                Ok(())
            })?,
            "blacklists" => table(sink, &mut tally, SYS, &name, |tw| {
                for i in 1..=3i64 {
                    let mut r = rng(&[seed, tag("st.blacklist"), i as u64]);
                    let (f, l) = person(&mut r);
                    tw.begin(hash(&[seed, tag("st.blacklist"), i as u64]), old)
                        .set("id", i)
                        .set("location_id", LOCATION)
                        .set("firstname", f)
                        .set("lastname", l)
                        .set("phone", phone(&mut r))
                        .set("email", email(f, l, &mut r))
                        .set("dl_number", format!("D{:08}", r.gen_range(0..100_000_000)))
                        .set(
                            "notes",
                            *r.pick(&[
                                "Damaged prop, refused to pay",
                                "Unsafe operation, \"warned twice\"",
                                "Chargeback on rental",
                            ]),
                        )
                        .set("created_at", old + Duration::days(100 * i));
                    tw.end()?;
                }
                Ok(())
            })?,
            // Every other table: from its catalog entry.
            _ => from_catalog::write(sink, &mut tally, w, t)?,
        }
    }
    for file in EXTRA_MEMBERS {
        let rows: Vec<Vec<String>> =
            (1..=3).map(|i| vec![i.to_string(), format!("{file} row {i}"), "2024-01-01 00:00:00".into()]).collect();
        extra_member(sink, file, SYS, &["id", "name", "created_at"], &rows)?;
    }
    Ok(tally)
}

fn customer_name(seed: u64, k: i64) -> (&'static str, &'static str) {
    person(&mut rng(&[seed, T_CUST, k as u64]))
}

fn write_customers<W: Write>(s: &Stellar, tw: &mut TableWriter<W>, now: NaiveDateTime) -> Result<()> {
    let seed = s.seed();
    for k in 1..=s.n_customers {
        let created = s.customer_created(k);
        if created > now {
            break;
        }
        let key = hash(&[seed, T_CUST, k as u64, 2]);
        let (version, edited) = s.w.edits(key, 0.15, created, now);
        let mut r = rng(&[seed, T_CUST, k as u64, 3]);
        let mut rv = rng(&[seed, T_CUST, k as u64, 4 + version as u64]);
        let (f, l) = customer_name(seed, k);
        let (city, state, zip) = *r.pick(CITIES);
        let street = format!("{} {}", r.gen_range(1..9999), r.pick(STREETS));
        let club = r.prob(0.06);
        let dob = if r.prob(0.6) {
            let (y, m, d) = (r.gen_range(1950..2004), r.gen_range(1..13), r.gen_range(1..29));
            Val::from(match r.gen_range(0..3) {
                0 => format!("{m:02}/{d:02}/{y}"),
                1 => format!("{y}-{m:02}-{d:02}"),
                _ => format!(
                    "{} {d}, {y}",
                    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
                        [m as usize - 1]
                ),
            })
        } else {
            Val::Null
        };
        tw.begin(hash(&[key, version as u64]), created)
            .set("user_id", CUSTOMER_BASE + k)
            .set(
                "club_principal_user_id",
                if club && k > 1 && r.prob(0.3) { Val::Int(CUSTOMER_BASE + k - 1) } else { Val::Null },
            )
            .set("coupon_id", if r.prob(0.03) { Val::Int(r.gen_range(1..=4)) } else { Val::Null })
            .set("club_tier_id", if club { Val::Int(r.gen_range(1..=3)) } else { Val::Null })
            .set("firstname", f)
            .set("lastname", l)
            .set("middlename", if r.prob(0.1) { Val::from(*r.pick(&["A", "J", "Marie", "Lee"])) } else { Val::Null })
            .set("gender", *r.pick(&["", "male", "female"]))
            .set("phone", phone(&mut rv))
            .set("cell", if rv.prob(0.5) { Val::from(phone(&mut rv)) } else { Val::Null })
            .set("emergencyname", if r.prob(0.4) { Val::from(format!("{} {}", r.pick(FIRST), l)) } else { Val::Null })
            .set("secondary_email", if rv.prob(0.1) { Val::from(email(f, l, &mut rv)) } else { Val::Null })
            .set("billing_street1", street.clone())
            .set("billing_city", city)
            .set("billing_state", state)
            .set("billing_country", if state.len() == 2 && state != "ON" { "US" } else { "CA" })
            .set(
                "billing_zip",
                if state == "ON" { format!("{zip} 1A1") } else { format!("{zip}{:02}", r.gen_range(0..100)) },
            )
            .set("mailing_street1", street)
            .set("mailing_city", city)
            .set("mailing_state", state)
            .set("mailing_country", if state == "ON" { "CA" } else { "US" })
            .set("numkids", if r.prob(0.3) { Val::from(format!("{}", r.gen_range(0..5))) } else { Val::Null })
            .set("dob", dob)
            .set("dlstate", state)
            .set("dlcountry", "US")
            .set("dlnumber", format!("{}{:08}", &l[..1], r.gen_range(0..100_000_000)))
            .set("notes", if rv.prob(0.1) { Val::from(*rv.pick(NOTES)) } else { Val::Null })
            .set("club_status", if club { "Active" } else { "None" })
            .set("club_start_date", if club { Val::from(created.date()) } else { Val::Null })
            .set("club_use_recurring_billing", club)
            .set("club_recurring_billing_start_date", if club { Val::from(created.date()) } else { Val::Null })
            .set("balance", cents(if rv.prob(0.05) { rv.gen_range(-5000..20000) } else { 0 }))
            .set("bdrc", r.prob(0.5))
            .set("penalty_points", if r.prob(0.03) { r.gen_range(1..4) } else { 0 })
            .set("open_balance_threshold", 0)
            .set("cc_saved_last4", format!("{:04}", r.gen_range(0..10000)))
            .set("cc_saved_expiry", ymd(r.gen_range(2025..2031), r.gen_range(1..13), 1))
            .set("cc_saved_profile_id", format!("cus_{}", hex(&mut r, 14)))
            .set(
                "external_id",
                if r.prob(0.05) { Val::from(format!("zcrm_{}", r.gen_range(100_000..999_999))) } else { Val::Null },
            )
            .set("created_at", created)
            .set("updated_at", edited.unwrap_or(created));
        tw.end()?;
    }
    Ok(())
}

fn write_bookings<W: Write>(s: &Stellar, tw: &mut TableWriter<W>, now: NaiveDateTime) -> Result<()> {
    let seed = s.seed();
    s.walk(&mut |b| {
        if b.created > now {
            return Ok(());
        }
        let key = hash(&[seed, T_BOOKING, b.id as u64]);
        let mut r = rng(&[seed, T_BOOKING, b.id as u64, 1]);
        let k = b.customer - CUSTOMER_BASE;
        let (f, l) = customer_name(seed, k);
        let mut rc = rng(&[seed, T_CUST, k as u64, 3]);
        let (city, state, zip) = *rc.pick(CITIES);
        let paid: i64 = b.pays.iter().filter(|p| p.at <= now).map(|p| p.amount).sum();
        let canceled = b.canceled(now);
        let finalized = !canceled && b.ret <= now;
        let events = [Some(b.created), b.cancel, Some(b.departure), Some(b.ret), b.soft_deleted];
        let updated = events.into_iter().flatten().filter(|t| *t <= now).max().unwrap_or(b.created);
        let total = b.grand_total();
        tw.begin(key, b.created)
            .set("id", b.id)
            .set("location_id", LOCATION)
            .set("customer_id", b.customer)
            .set("creator_id", if b.frontend { Val::Null } else { Val::Int(b.admin) })
            .set("admin_id", b.admin)
            .set("billing_firstname", f)
            .set("billing_lastname", l)
            .set("billing_street1", format!("{} {}", rc.gen_range(1..9999), rc.pick(STREETS)))
            .set("billing_city", city)
            .set("billing_state", state)
            .set("billing_country", if state == "ON" { "CA" } else { "US" })
            .set(
                "billing_zip",
                if state == "ON" { format!("{zip} 1A1") } else { format!("{zip}{:02}", rc.gen_range(0..100)) },
            )
            .set("cc_saved_last4", format!("{:04}", r.gen_range(0..10000)))
            .set("cc_preauth_amount", cents(if b.boats.len() > 1 { 50_000 } else { 25_000 }))
            .set("cc_connect_type", "stripe")
            .set(
                "accessories_custom_price",
                if !b.accessories.is_empty() && r.prob(0.05) { cents(b.accessories_total() / 2) } else { Val::Null },
            )
            .set("accessories_total", cents(b.accessories_total()))
            .set("insurance", cents(b.insurance))
            .set("pets", cents(0))
            .set("parking", cents(0))
            .set("parking_override", false)
            .set("boats_total", cents(b.boats_total()))
            .set("pos_total", cents(0))
            .set("use_club_credits", false)
            .set("no_show_fee", b.no_show && b.ret <= now)
            .set("cancellation_fee", canceled && r.prob(0.3))
            .set("club_fees", cents(0))
            .set("club_fees_override", false)
            .set("subtotal", cents(b.subtotal()))
            .set("convenience_fee", cents(b.convenience()))
            .set("convenience_fee_waived", false)
            .set("tax_1", cents(b.tax()))
            .set("tax_1_exempt", false)
            .set("tax_2", cents(0))
            .set("tax_2_exempt", false)
            .set(
                "checkin_total",
                if finalized {
                    cents(b.pays.iter().filter(|p| p.kind == "Check-In").map(|p| p.amount).sum())
                } else {
                    Val::Null
                },
            )
            .set("deposit_total", cents(b.pays.iter().filter(|p| p.kind == "Deposit").map(|p| p.amount).sum()))
            .set("deposit_override", false)
            .set("deposit_waived", b.pays.iter().all(|p| p.kind != "Deposit"))
            .set("gratuity", cents(0))
            .set("grand_total", cents(total))
            .set("adjustment_total", cents(0))
            .set("amount_paid", cents(paid))
            .set("notes", if r.prob(0.1) { Val::from(*r.pick(NOTES)) } else { Val::Null })
            .set("notes_contract", false)
            .set("frontend", b.frontend)
            .set("is_on_hold", false)
            .set("is_locked", finalized)
            .set("is_finalized", finalized)
            .set("is_canceled", canceled)
            .set("override_turnaround_time", false)
            .set(
                "cancellation_type",
                if canceled { Val::from(*r.pick(&["customer", "weather", "admin"])) } else { Val::Null },
            )
            .set("bypass_club_restrictions", false)
            .set("coupon_id", b.coupon.map(|c| c.0))
            .set("coupon_type", b.coupon.map(|_| "fixed"))
            .set("coupon_amount", b.coupon.map(|c| cents(c.1)))
            .set("discount_total", cents(b.coupon.map_or(0, |c| c.1)))
            .set("safety_reminder", true)
            .set(
                "deleted_admin_id",
                if b.soft_deleted.is_some_and(|d| d <= now) { Val::Int(b.admin) } else { Val::Null },
            )
            .set("created_at", b.created)
            .set("updated_at", updated)
            .set("finalized_at", if finalized { Val::from(b.ret + Duration::minutes(30)) } else { Val::Null })
            .set("deleted_at", b.soft_deleted.filter(|d| *d <= now));
        tw.end()
    })
}

fn write_booking_boats<W: Write>(s: &Stellar, tw: &mut TableWriter<W>, now: NaiveDateTime) -> Result<()> {
    let seed = s.seed();
    s.walk(&mut |b| {
        if b.created > now {
            return Ok(());
        }
        let status = b.status(now);
        for (i, bb) in b.boats.iter().enumerate() {
            let key = hash(&[seed, T_BB, bb.id as u64]);
            let mut r = rng(&[seed, T_BB, bb.id as u64]);
            let assigned = bb.assigned <= now;
            let out = b.departure <= now && !b.canceled(now) && !b.no_show;
            let back = b.ret <= now && out;
            let ts = |t: NaiveDateTime| if bb.no_seconds { Val::TsMinutes(t) } else { Val::Ts(t) };
            let gallons = r.gen_range(300..4000);
            let fuel = gallons * 549 / 100;
            let hours_run = (b.ret - b.departure).num_minutes() * 100 / 60 * 7 / 10;
            tw.begin(key, b.created)
                .set("id", bb.id)
                .set("booking_id", b.id)
                .set("style_id", bb.style as i64 + 1)
                .set("boat_id", if assigned { Val::from(bb.boat.to_string()) } else { Val::Null })
                .set("time_id", format!("{}", bb.style * 2 + 1))
                .set("timeframe_id", if r.prob(0.5) { Val::Int(r.gen_range(1..=4)) } else { Val::Null })
                .set("main_boat", i == 0)
                .set("num_passengers", bb.passengers)
                .set("boat_departure", ts(b.departure))
                .set("boat_return", ts(b.ret))
                .set("status", status)
                .set("price", cents(bb.price))
                .set("price_override", false)
                .set("signature_date", if out { Val::from(b.departure - Duration::minutes(20)) } else { Val::Null })
                .set(
                    "checkout_date",
                    if out { Val::from(b.departure + Duration::minutes(r.gen_range(0..25))) } else { Val::Null },
                )
                .set("checkout_engine_hours", if out { Val::Dec(r.gen_range(1000..90000), 2) } else { Val::Null })
                .set(
                    "checkin_date",
                    if back { Val::from(b.ret + Duration::minutes(r.gen_range(-20..40))) } else { Val::Null },
                )
                .set("checkin_notes", if back && r.prob(0.1) { Val::from(*r.pick(NOTES)) } else { Val::Null })
                .set("checkin_engine_hours", if back { Val::Dec(hours_run, 2) } else { Val::Null })
                .set(
                    "checkin_hours",
                    if back { Val::Dec((b.ret - b.departure).num_minutes() * 100 / 60, 2) } else { Val::Null },
                )
                .set("checkin_deposit", if back && r.prob(0.05) { cents(25_000) } else { Val::Null })
                .set("checkin_gallons", if back { Val::Dec(gallons * 10, 3) } else { Val::Null })
                .set("checkin_fuel", if back { cents(fuel) } else { Val::Null })
                .set("checkin_total", if back { cents(fuel) } else { Val::Null })
                .set("queue_admin_id", if out { Val::Int(b.admin) } else { Val::Null })
                .set("queue_date", if out { Val::from(b.departure - Duration::minutes(30)) } else { Val::Null })
                .set("boat_assigned", if assigned { Val::Int(bb.boat) } else { Val::Null })
                .set("addl_drivers", 0)
                .set("accessories_migrated", true)
                .set("price_rule_id", if r.prob(0.1) { Val::Int(r.gen_range(1..=6)) } else { Val::Null })
                .set(
                    "dob",
                    if r.prob(0.1) {
                        Val::from(format!(
                            "{:02}/{:02}/{}",
                            r.gen_range(1..13),
                            r.gen_range(1..29),
                            r.gen_range(1955..2004)
                        ))
                    } else {
                        Val::Null
                    },
                )
                .set("created_at", b.created)
                .set(
                    "updated_at",
                    [Some(b.created), Some(bb.assigned), out.then_some(b.departure), back.then_some(b.ret)]
                        .into_iter()
                        .flatten()
                        .filter(|t| *t <= now)
                        .max()
                        .unwrap_or(b.created),
                )
                .set("deleted_at", b.soft_deleted.filter(|d| *d <= now));
            tw.end()?;
        }
        Ok(())
    })
}

fn write_payments<W: Write>(s: &Stellar, tw: &mut TableWriter<W>, now: NaiveDateTime) -> Result<()> {
    let seed = s.seed();
    let w = s.w;
    s.walk(&mut |b| {
        let k = b.customer - CUSTOMER_BASE;
        let (f, l) = customer_name(seed, k);
        for p in b.pays.iter().filter(|p| p.at <= now) {
            let key = hash(&[seed, T_PAY, p.id as u64]);
            if w.deleted(key, 0.003, p.at, now) {
                continue;
            }
            let mut r = rng(&[seed, T_PAY, p.id as u64]);
            let card = p.method == "credit";
            let amt = p.amount;
            let boats_share = if p.kind == "Check-In" { 0 } else { amt * 8 / 10 };
            tw.begin(key, p.at)
                .set("id", p.id)
                .set("booking_id", b.id)
                .set("customer_id", b.customer)
                .set("admin_id", if b.frontend && p.kind == "Deposit" { Val::Null } else { Val::Int(b.admin) })
                .set("frontend", b.frontend && p.kind == "Deposit")
                .set(
                    "payment_for",
                    match p.kind {
                        "Deposit" => "Deposit",
                        "Refund" => "Refund - cancellation",
                        "Check-In" => "Fuel, damages",
                        _ => "Rental balance",
                    },
                )
                .set("payment_type", p.method)
                .set("card_type", if card { Val::from(*r.pick(&["V", "M", "A", "D"])) } else { Val::Null })
                .set("payment_total", cents(amt))
                .set("cash_total", cents(if card { 0 } else { amt }))
                .set("credit_total", cents(if card { amt } else { 0 }))
                .set("agent_ar_total", cents(0))
                .set("credit_last4", if card { Val::from(format!("{:04}", r.gen_range(0..10000))) } else { Val::Null })
                .set(
                    "credit_expiry",
                    if card {
                        Val::from(format!("{:02}/{}", r.gen_range(1..13), r.gen_range(2026..2031)))
                    } else {
                        Val::Null
                    },
                )
                .set("billing_firstname", f)
                .set("billing_lastname", l)
                .set("transid", if card { Val::from(format!("ch_{}", hex(&mut r, 24))) } else { Val::Null })
                .set("original_payment_id", if p.kind == "Refund" { Val::Int(b.pays[0].id) } else { Val::Null })
                .set("status", if amt < 0 { "refunded" } else { "succeeded" })
                .set("is_agent_ar", false)
                .set("offline_type", if card { Val::Null } else { Val::from("cash") })
                .set("report_boats", cents(boats_share))
                .set("report_accessories", cents(0))
                .set("report_insurance", cents(0))
                .set("report_fuel", cents(if p.kind == "Check-In" { amt } else { 0 }))
                .set("report_other", cents(if p.kind == "Check-In" { 0 } else { amt - boats_share }))
                .set("cc_processor_fee", cents(if card { (amt.abs() * 29 / 1000) + 30 } else { 0 }))
                .set(
                    "cc_brand",
                    if card { Val::from(*r.pick(&["visa", "mastercard", "amex", "discover"])) } else { Val::Null },
                )
                .set("cc_country", if card { Val::from("US") } else { Val::Null })
                .set("cc_funding", if card { Val::from(*r.pick(&["credit", "debit"])) } else { Val::Null })
                .set("cc_connect_type", if card { Val::from("stripe") } else { Val::Null })
                .set(
                    "cc_payout_date",
                    if card && p.at + Duration::days(2) <= now {
                        Val::from(p.at + Duration::days(2))
                    } else {
                        Val::Null
                    },
                )
                .set("is_synced", true)
                .set("created_at", p.at)
                .set("updated_at", p.at)
                .set(
                    "deleted_at",
                    if unit(hash(&[key, 3])) < 0.01 { Val::from(p.at + Duration::hours(2)) } else { Val::Null },
                );
            tw.end()?;
        }
        Ok(())
    })
}

impl Stellar<'_> {
    /// What the rentals earned, per departure date, before tax: the subtotal of every booking
    /// that was neither cancelled, a no-show nor deleted. The boat club's NetSuite sales post
    /// exactly these amounts.
    pub(crate) fn rented(&self, mut f: impl FnMut(NaiveDate, i64)) -> Result<()> {
        self.walk(&mut |b| {
            if b.cancel.is_none() && !b.no_show && b.soft_deleted.is_none() && b.departure.date() <= self.w.final_date {
                f(b.departure.date(), b.subtotal());
            }
            Ok(())
        })
    }
}
