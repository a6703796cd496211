//! Shared building blocks of the generator: deterministic randomness, the value model with
//! its per-system spelling, and the catalog-driven CSV row writer.
//!
//! Every generated value is a pure function of the seed and a stable key (entity id, day,
//! edit version). Nothing is drawn from a shared sequential stream across rows, so a row that
//! did not change between two snapshot days is written byte-identically on both days.

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::Write;
use std::sync::OnceLock;

use anyhow::{Context, Result, anyhow};
use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, Timelike, Weekday};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::catalog::{ColumnType, System, Table};

// ---------------------------------------------------------------------------------------------
// Deterministic randomness

/// SplitMix64 finaliser: a cheap, well-mixing bijection on u64.
pub fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Hash of a key made of several parts (order matters).
pub fn hash(parts: &[u64]) -> u64 {
    parts.iter().fold(0x243F_6A88_85A3_08D3, |acc, p| mix(acc.rotate_left(23) ^ *p))
}

/// FNV-1a of a name, usable in consts, to turn table/purpose names into key parts.
pub const fn tag(s: &str) -> u64 {
    let b = s.as_bytes();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < b.len() {
        h ^= b[i] as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01B3);
        i += 1;
    }
    h
}

/// Uniform in [0, 1) from a hash.
pub fn unit(x: u64) -> f64 {
    (x >> 11) as f64 / (1u64 << 53) as f64
}

/// A yes/no decision keyed by `parts` with probability `p`.
pub fn chance(parts: &[u64], p: f64) -> bool {
    unit(hash(parts)) < p
}

/// A ChaCha8 stream for one entity; seeded from the entity's key so it is independent of
/// every other entity.
pub fn rng(parts: &[u64]) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(hash(parts))
}

/// Small sampling helpers on top of `rand`.
pub trait RngExt: Rng {
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.gen_range(0..items.len())]
    }
    /// Index drawn with the given relative weights.
    fn weighted(&mut self, weights: &[f64]) -> usize {
        let total: f64 = weights.iter().sum();
        let mut x = self.gen_range(0.0..total);
        for (i, w) in weights.iter().enumerate() {
            if x < *w {
                return i;
            }
            x -= w;
        }
        weights.len() - 1
    }
    /// Poisson-distributed count (Knuth for small means, rounded normal for large ones).
    fn poisson(&mut self, lambda: f64) -> u32 {
        if lambda <= 0.0 {
            return 0;
        }
        if lambda > 30.0 {
            // Box-Muller; precision is irrelevant here, only the rough shape.
            let u1: f64 = self.gen_range(f64::EPSILON..1.0);
            let u2: f64 = self.gen_range(0.0..1.0);
            let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
            return (lambda + z * lambda.sqrt()).round().max(0.0) as u32;
        }
        let l = (-lambda).exp();
        let mut k = 0;
        let mut p = 1.0;
        loop {
            p *= self.gen_range(0.0..1.0);
            if p <= l {
                return k;
            }
            k += 1;
        }
    }
    fn prob(&mut self, p: f64) -> bool {
        self.gen_bool(p.clamp(0.0, 1.0))
    }
}
impl<R: Rng + ?Sized> RngExt for R {}

/// A tiny SplitMix64 stream, used where a full ChaCha stream per value would be wasteful.
pub struct Mini(u64);
impl Mini {
    pub fn new(seed: u64) -> Self {
        Mini(seed)
    }
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix(self.0)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }
    pub fn unit(&mut self) -> f64 {
        unit(self.next())
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

// ---------------------------------------------------------------------------------------------
// Time helpers

pub fn at(d: NaiveDate, h: u32, m: u32, s: u32) -> NaiveDateTime {
    d.and_hms_opt(h, m, s).expect("valid time of day")
}

/// US Central daylight saving time (second Sunday of March to first Sunday of November):
/// MOLO stores local midnight as UTC, so date-only values show 05:00 in summer, 06:00 in winter.
pub fn us_dst(d: NaiveDate) -> bool {
    let y = d.year();
    let start = NaiveDate::from_weekday_of_month_opt(y, 3, Weekday::Sun, 2).expect("march");
    let end = NaiveDate::from_weekday_of_month_opt(y, 11, Weekday::Sun, 1).expect("november");
    d >= start && d < end
}

/// UTC offset of US Central time on that date, in hours.
pub fn central_offset(d: NaiveDate) -> u32 {
    if us_dst(d) { 5 } else { 6 }
}

/// A local (US Central) wall-clock time converted to the UTC value MOLO exports.
pub fn local_to_utc(d: NaiveDate, h: u32, m: u32) -> NaiveDateTime {
    at(d, h, m, 0) + Duration::hours(central_offset(d) as i64)
}

// ---------------------------------------------------------------------------------------------
// Values

/// A value before it is spelled for its system and column type.
#[derive(Clone, Debug, Default)]
pub enum Val {
    #[default]
    Null,
    Str(Cow<'static, str>),
    Int(i64),
    /// Fixed point: `units / 10^scale`.
    Dec(i64, u8),
    Float(f64),
    Bool(bool),
    Date(NaiveDate),
    Ts(NaiveDateTime),
    /// A timestamp written without seconds (a few real Stellar booking boat times look so).
    TsMinutes(NaiveDateTime),
    /// A MOLO date written as a timestamp at 00:00:00 instead of local midnight in UTC.
    DateMidnight(NaiveDate),
}

/// Money in cents.
pub fn cents(c: i64) -> Val {
    Val::Dec(c, 2)
}

impl From<&'static str> for Val {
    fn from(s: &'static str) -> Self {
        Val::Str(Cow::Borrowed(s))
    }
}
impl From<String> for Val {
    fn from(s: String) -> Self {
        Val::Str(Cow::Owned(s))
    }
}
impl From<Cow<'static, str>> for Val {
    fn from(s: Cow<'static, str>) -> Self {
        Val::Str(s)
    }
}
impl From<i64> for Val {
    fn from(v: i64) -> Self {
        Val::Int(v)
    }
}
impl From<i32> for Val {
    fn from(v: i32) -> Self {
        Val::Int(v as i64)
    }
}
impl From<u32> for Val {
    fn from(v: u32) -> Self {
        Val::Int(v as i64)
    }
}
impl From<usize> for Val {
    fn from(v: usize) -> Self {
        Val::Int(v as i64)
    }
}
impl From<u8> for Val {
    fn from(v: u8) -> Self {
        Val::Int(v as i64)
    }
}
impl From<bool> for Val {
    fn from(v: bool) -> Self {
        Val::Bool(v)
    }
}
impl From<f64> for Val {
    fn from(v: f64) -> Self {
        Val::Float(v)
    }
}
impl From<NaiveDate> for Val {
    fn from(v: NaiveDate) -> Self {
        Val::Date(v)
    }
}
impl From<NaiveDateTime> for Val {
    fn from(v: NaiveDateTime) -> Self {
        Val::Ts(v)
    }
}
impl<T: Into<Val>> From<Option<T>> for Val {
    fn from(v: Option<T>) -> Self {
        v.map(Into::into).unwrap_or(Val::Null)
    }
}

/// How a boolean column is spelled in its export.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BoolStyle {
    /// MOLO (SQL Server export): `True` / `False`.
    TrueFalse,
    /// Stellar tinyint columns and the MOLO columns the reference loaded into NUMBER(1,0).
    ZeroOne,
    /// Stellar enum columns.
    YesNo,
    /// Stellar style_times status columns.
    OnOff,
    /// NetSuite.
    TF,
}

impl BoolStyle {
    fn spell(self, v: bool) -> &'static str {
        match (self, v) {
            (BoolStyle::TrueFalse, true) => "True",
            (BoolStyle::TrueFalse, false) => "False",
            (BoolStyle::ZeroOne, true) => "1",
            (BoolStyle::ZeroOne, false) => "0",
            (BoolStyle::YesNo, true) => "Yes",
            (BoolStyle::YesNo, false) => "No",
            (BoolStyle::OnOff, true) => "On",
            (BoolStyle::OnOff, false) => "Off",
            (BoolStyle::TF, true) => "T",
            (BoolStyle::TF, false) => "F",
        }
    }
}

const MOLO_TSV: &str = include_str!("../../catalog/molo.tsv");
const STELLAR_TSV: &str = include_str!("../../catalog/stellar.tsv");

/// The `notes` column of the catalog TSV, which is where the per-column boolean spelling is
/// documented (the catalog API itself does not carry notes).
fn notes(system: System, table: &str, header: &str) -> &'static str {
    static MAPS: OnceLock<[HashMap<(String, String), &'static str>; 2]> = OnceLock::new();
    let maps = MAPS.get_or_init(|| {
        let parse = |text: &'static str| {
            let mut m = HashMap::new();
            for line in text.lines().skip(1) {
                let f: Vec<&'static str> = line.split('\t').collect();
                if f.len() == 7 && !f[2].is_empty() {
                    m.insert((f[0].to_string(), f[2].to_string()), f[6]);
                }
            }
            m
        };
        [parse(MOLO_TSV), parse(STELLAR_TSV)]
    });
    let idx = match system {
        System::Molo => 0,
        System::Stellar => 1,
        System::NetSuite => return "",
    };
    maps[idx].get(&(table.to_string(), header.to_string())).copied().unwrap_or("")
}

/// The spelling of a boolean column, following the contract notes.
pub fn bool_style(system: System, table: &str, header: &str) -> BoolStyle {
    let n = notes(system, table, header);
    match system {
        System::NetSuite => BoolStyle::TF,
        System::Stellar if n.starts_with("0/1") => BoolStyle::ZeroOne,
        System::Stellar if n.starts_with("On/Off") => BoolStyle::OnOff,
        System::Stellar => BoolStyle::YesNo,
        System::Molo if n.contains("only 0/1/empty load") => BoolStyle::ZeroOne,
        System::Molo => BoolStyle::TrueFalse,
    }
}

fn pow10(n: u32) -> i64 {
    10i64.pow(n)
}

/// Writes a timestamp in the system's format.
fn write_ts(system: System, t: NaiveDateTime, with_seconds: bool, out: &mut String) {
    use std::fmt::Write as _;
    let (y, mo, d) = (t.year(), t.month(), t.day());
    let (h, mi, s) = (t.hour(), t.minute(), t.second());
    let _ = match system {
        System::Molo => write!(out, "{mo:02}/{d:02}/{y:04} {h:02}:{mi:02}:{s:02}"),
        System::Stellar if with_seconds => write!(out, "{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}"),
        System::Stellar => write!(out, "{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}"),
        System::NetSuite => write!(out, "{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}"),
    };
}

fn write_date(system: System, d: NaiveDate, out: &mut String) {
    use std::fmt::Write as _;
    match system {
        // MOLO exports dates as timestamps at local midnight expressed in UTC.
        System::Molo => write_ts(system, at(d, central_offset(d), 0, 0), true, out),
        _ => {
            let _ = write!(out, "{:04}-{:02}-{:02}", d.year(), d.month(), d.day());
        }
    }
}

/// Whether fixed-point `units / 10^sc`, rounded to `s` decimals as [`write_dec`] does,
/// fits a `decimal(p, s)` column.
fn dec_in_range(units: i64, sc: u8, p: u8, s: u8) -> bool {
    let (mut u, mut sc) = (units as i128, sc as u32);
    let s = s as u32;
    if sc > s {
        let f = 10i128.pow(sc - s);
        u = if u >= 0 { (u + f / 2) / f } else { (u - f / 2) / f };
        sc = s;
    }
    u.abs() < 10i128.pow((p as u32).saturating_sub(s)) * 10i128.pow(sc)
}

/// Writes fixed-point `units / 10^sc` into a `decimal(p, s)` column. Returns false (and
/// writes the clamped value) when the value does not fit.
fn write_dec(units: i64, sc: u8, p: u8, s: u8, out: &mut String) -> bool {
    use std::fmt::Write as _;
    let (mut u, mut sc) = (units as i128, sc as u32);
    let s = s as u32;
    if sc > s {
        // Round half away from zero to the column's scale.
        let f = 10i128.pow(sc - s);
        u = if u >= 0 { (u + f / 2) / f } else { (u - f / 2) / f };
        sc = s;
    }
    let f = 10i128.pow(sc);
    let int_digits_max = (p as u32).saturating_sub(s);
    let limit = 10i128.pow(int_digits_max) * f; // exclusive bound on |u|
    let mut ok = true;
    if u.abs() >= limit {
        ok = false;
        u = if u < 0 { -(limit - 1) } else { limit - 1 };
    }
    let neg = u < 0;
    let a = u.abs();
    let (ip, fp) = (a / f, a % f);
    if neg {
        out.push('-');
    }
    let _ = write!(out, "{ip}");
    if sc > 0 {
        let _ = write!(out, ".{:0width$}", fp, width = sc as usize);
    }
    ok
}

// ---------------------------------------------------------------------------------------------
// Word lists used for plausible text

pub const FIRST: &[&str] = &[
    "James",
    "Mary",
    "Robert",
    "Patricia",
    "John",
    "Jennifer",
    "Michael",
    "Linda",
    "David",
    "Elizabeth",
    "William",
    "Barbara",
    "Richard",
    "Susan",
    "Joseph",
    "Jessica",
    "Thomas",
    "Sarah",
    "Charles",
    "Karen",
    "Christopher",
    "Lisa",
    "Daniel",
    "Nancy",
    "Matthew",
    "Betty",
    "Anthony",
    "Margaret",
    "Mark",
    "Sandra",
    "Donald",
    "Ashley",
    "Steven",
    "Kimberly",
    "Paul",
    "Emily",
    "Andrew",
    "Donna",
    "Joshua",
    "Michelle",
    "Kenneth",
    "Carol",
    "Kevin",
    "Amanda",
    "Brian",
    "Dorothy",
    "George",
    "Melissa",
    "Timothy",
    "Deborah",
    "Ronald",
    "Stephanie",
    "Edward",
    "Rebecca",
    "Jason",
    "Sharon",
    "Jeffrey",
    "Laura",
    "Ryan",
    "Cynthia",
    "Jacob",
    "Kathleen",
    "Gary",
    "Amy",
    "Nicholas",
    "Angela",
    "Eric",
    "Shirley",
    "Jonathan",
    "Anna",
    "Stephen",
    "Brenda",
    "Larry",
    "Pamela",
    "Justin",
    "Emma",
    "Scott",
    "Nicole",
    "Brandon",
    "Helen",
    "José",
    "Zoë",
    "Renée",
    "François",
    "Siobhan",
    "Bjørn",
    "Dmitri",
    "Mei",
    "Aarav",
    "Chloé",
];

pub const LAST: &[&str] = &[
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Nguyen",
    "Hill",
    "Flores",
    "Green",
    "Adams",
    "Nelson",
    "Baker",
    "Hall",
    "Rivera",
    "Campbell",
    "Mitchell",
    "Carter",
    "Roberts",
    "O'Brien",
    "O'Neill",
    "McAllister",
    "Van der Berg",
    "St. John",
    "Fitzgerald",
    "Dubois",
    "Müller",
    "Kowalski",
    "Nakamura",
    "Sullivan",
    "Murphy",
    "Kelly",
    "Bennett",
    "Hughes",
    "Price",
    "Sanders",
    "Myers",
    "Long",
    "Ross",
];

pub const BOAT_NAMES: &[&str] = &[
    "Sea Breeze",
    "Reel Therapy",
    "Knot on Call",
    "Aquaholic",
    "Seas the Day",
    "Wet Dream",
    "Pier Pressure",
    "Nauti Buoy",
    "Liquid Asset",
    "Miss Behavin'",
    "Second Wind",
    "Blue Horizon",
    "Salty Dog",
    "Serenity",
    "Island Time",
    "Freedom",
    "Osprey",
    "Pelican",
    "Dolphin Dancer",
    "Marlin Mania",
    "Fin-tastic",
    "Codfather",
    "Ship Happens",
    "Plan B",
    "Sunset Chaser",
    "Wind Song",
    "Tide Me Over",
    "Low Tide",
    "High Hopes",
    "Bay Watch",
    "Gone Fishin'",
    "Happy Hour",
    "Lucky Lady",
    "Sea Esta",
    "Vitamin Sea",
    "Unsinkable II",
    "Black Pearl",
    "Moonlight",
    "Dream Weaver",
    "Carpe Diem",
    "Albatross",
    "Perseverance",
    "Sea Spirit",
    "Bad Fish",
    "Sea Ya Later",
    "Hull-abaloo",
    "Mermaid's Kiss",
    "Current Affair",
    "Nautical Nonsense",
    "Breakin' Wind",
    "Water Colors",
    "Blue Bayou",
    "La Mouette",
    "Küstenwind",
];

/// (make, models) of boats.
pub const MAKES: &[(&str, &[&str])] = &[
    ("Boston Whaler", &["Montauk 170", "Outrage 280", "Realm 350", "Dauntless 240"]),
    ("Sea Ray", &["Sundancer 320", "SLX 280", "Sundancer 370", "SPX 210"]),
    ("Grady-White", &["Canyon 306", "Freedom 285", "Express 330", "Fisherman 236"]),
    ("Beneteau", &["Oceanis 40.1", "First 27", "Swift Trawler 35", "Oceanis 46.1"]),
    ("Catalina", &["315", "355", "425", "Capri 22"]),
    ("Hatteras", &["GT59", "M75 Panacera", "GT45X"]),
    ("Bertram", &["35", "50", "61"]),
    ("Chris-Craft", &["Launch 28", "Catalina 30", "Calypso 32"]),
    ("Bayliner", &["VR5", "Element E18", "Ciera 8"]),
    ("Yamaha", &["252SD", "AR190", "275SD"]),
    ("Bennington", &["22 SSBXP", "25 QXSB", "23 LXSB"]),
    ("Jeanneau", &["Sun Odyssey 410", "NC 1095", "Leader 33"]),
    ("Lagoon", &["42", "46", "Seventy 7"]),
    ("Viking", &["46 Billfish", "68 Convertible", "54 Sport Tower"]),
    ("Regal", &["LS4", "33 SAV", "38 XO"]),
    ("Tiara", &["38 LS", "43 LE", "48 LS"]),
    ("Mako", &["236 CC", "284 CC", "19 CPX"]),
    ("Grand Banks", &["42 Classic", "60 Skylounge", "Eastbay 44"]),
    ("Azimut", &["Atlantis 45", "Flybridge 60", "S7"]),
    ("Sunseeker", &["Predator 74", "Manhattan 55", "Superhawk 50"]),
];

pub const STREETS: &[&str] = &[
    "Harbor Dr",
    "Bayview Ave",
    "Ocean Blvd",
    "Marina Way",
    "Shoreline Rd",
    "Anchor Ln",
    "Lighthouse Rd",
    "Main St",
    "Oak St",
    "Pine St",
    "Maple Ave",
    "Cedar Ln",
    "Elm St",
    "Washington St",
    "Lake Shore Dr",
    "Seaside Ct",
    "Coral Way",
    "Pelican Pl",
    "Dockside Cir",
    "Sandpiper Ln",
    "Heron Way",
    "Gulf Blvd",
];

/// (city, state, zip prefix).
pub const CITIES: &[(&str, &str, &str)] = &[
    ("Annapolis", "MD", "214"),
    ("Charleston", "SC", "294"),
    ("Newport", "RI", "028"),
    ("Sarasota", "FL", "342"),
    ("Key West", "FL", "330"),
    ("Fort Lauderdale", "FL", "333"),
    ("St. Petersburg", "FL", "337"),
    ("Mobile", "AL", "366"),
    ("Galveston", "TX", "775"),
    ("Corpus Christi", "TX", "784"),
    ("Biloxi", "MS", "395"),
    ("Destin", "FL", "325"),
    ("Naples", "FL", "341"),
    ("Savannah", "GA", "314"),
    ("Wilmington", "NC", "284"),
    ("Norfolk", "VA", "235"),
    ("Baltimore", "MD", "212"),
    ("Mystic", "CT", "063"),
    ("Chicago", "IL", "606"),
    ("Milwaukee", "WI", "532"),
    ("Traverse City", "MI", "496"),
    ("Duluth", "MN", "558"),
    ("St. Louis", "MO", "631"),
    ("Memphis", "TN", "381"),
    ("Nashville", "TN", "372"),
    ("Houston", "TX", "770"),
    ("Dallas", "TX", "752"),
    ("Austin", "TX", "787"),
    ("New Orleans", "LA", "701"),
    ("Lake Charles", "LA", "706"),
    ("Pensacola", "FL", "325"),
    ("Tampa", "FL", "336"),
    ("Miami", "FL", "331"),
    ("Jacksonville", "FL", "322"),
    ("Boston", "MA", "021"),
    ("Portland", "ME", "041"),
    ("San Diego", "CA", "921"),
    ("Seattle", "WA", "981"),
    ("Toronto", "ON", "M5V"),
    ("Coeur d'Alene", "ID", "838"),
];

/// Free-text notes as people type them: commas, quotes, line breaks, non-ASCII letters.
pub const NOTES: &[&str] = &[
    "Prefers a slip near the fuel dock, away from the \"party barge\".",
    "Called 3x re: invoice\nleft voicemail, will pay Friday",
    "Paid by check #1043, balance carried forward",
    "Owner's brother-in-law may pick up keys; ID required",
    "Tall mast (58') — check air draft, \"do not\" assign under the bridge",
    "Insurance cert on file, exp. 12/31",
    "Gate code 4411, dog on board (friendly)",
    "Liveaboard – 2 adults, 1 cat",
    "Needs 50A shore power, brings own adapter",
    "Late arrival expected, leave packet at the \"night box\"",
    "Hurricane plan: haul out requested, see email 6/1",
    "Requested, again, to be moved to B dock",
    "Crédit card declined twice; call before next charge",
    "Line 1 of note\r\nLine 2 of note",
    "Boat is for sale, broker: Smith & Sons Yachts",
    "Do NOT launch without owner's OK",
    "Winterized by owner, see checklist",
    "Discount approved by GM (10%), see \"rate override\"",
    "Pump-out weekly, Tue",
    "Prefers text messages, not calls",
];

pub const WORDS: &[&str] = &[
    "dock",
    "harbor",
    "anchor",
    "bay",
    "tide",
    "keel",
    "stern",
    "bow",
    "hull",
    "mast",
    "sail",
    "port",
    "starboard",
    "slip",
    "mooring",
    "buoy",
    "wake",
    "reef",
    "cove",
    "inlet",
    "pier",
    "jetty",
    "marina",
];

/// A deterministic person name.
pub fn person(r: &mut impl Rng) -> (&'static str, &'static str) {
    (*r.pick(FIRST), *r.pick(LAST))
}

pub fn phone(r: &mut impl Rng) -> String {
    let fmt = r.gen_range(0..4);
    let (a, b, c) = (r.gen_range(201..990), r.gen_range(200..999), r.gen_range(0..10000));
    match fmt {
        0 => format!("({a}) {b}-{c:04}"),
        1 => format!("{a}-{b}-{c:04}"),
        2 => format!("+1 {a} {b} {c:04}"),
        _ => format!("{a}{b}{c:04}"),
    }
}

pub fn email(first: &str, last: &str, r: &mut impl Rng) -> String {
    let clean = |s: &str| -> String {
        s.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_ascii_lowercase()
    };
    let dom =
        r.pick(&["gmail.com", "yahoo.com", "outlook.com", "aol.com", "icloud.com", "comcast.net", "boatmail.com"]);
    match r.gen_range(0..3) {
        0 => format!("{}.{}@{}", clean(first), clean(last), dom),
        1 => format!("{}{}{}@{}", &clean(first)[..1.min(clean(first).len())], clean(last), r.gen_range(1..99), dom),
        _ => format!("{}_{}@{}", clean(last), clean(first), dom),
    }
}

pub fn guid(r: &mut impl Rng) -> String {
    let a: u128 = r.r#gen();
    let h = format!("{a:032x}");
    format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
}

pub fn hex(r: &mut impl Rng, n: usize) -> String {
    let mut s = String::with_capacity(n);
    while s.len() < n {
        let v: u64 = r.r#gen();
        s.push_str(&format!("{v:016x}"));
    }
    s.truncate(n);
    s
}

/// Feet and inches as MOLO writes boat dimensions (`35:6`).
pub fn feet_inches(inches: i64) -> String {
    format!("{}:{}", inches / 12, inches % 12)
}

// ---------------------------------------------------------------------------------------------
// The row writer

/// What generic value an unset column receives (chosen from its name and type).
#[derive(Clone, Copy, Debug)]
enum Generic {
    Email,
    Phone,
    Hash,
    User,
    Note,
    GlCode,
    Zip,
    Country,
    State,
    City,
    Street,
    Name,
    Url,
    Digits4,
    Code,
    ExtId,
    TimeOfDay,
    Word,
    IntId,
    IntYear,
    IntSmall,
    DecRate,
    DecHours,
    DecAmount,
    Float,
    Bool,
    Date,
    Ts,
}

fn generic_kind(name: &str, ty: ColumnType) -> Generic {
    let n = name.to_ascii_lowercase();
    let has = |p: &str| n.contains(p);
    match ty {
        ColumnType::Bool => Generic::Bool,
        ColumnType::Date => Generic::Date,
        ColumnType::Timestamp => Generic::Ts,
        ColumnType::Float => Generic::Float,
        ColumnType::Int => {
            if has("year") {
                Generic::IntYear
            } else if n.ends_with("id") || n.ends_with("_id") || has("category") {
                Generic::IntId
            } else {
                Generic::IntSmall
            }
        }
        ColumnType::Decimal { precision, scale } => {
            if (precision - scale <= 2 && (has("time") || has("start") || has("end"))) || has("hours") || has("nights")
            {
                Generic::DecHours
            } else if has("rate") || has("percent") || has("tax") || has("fee") || scale >= 6 {
                Generic::DecRate
            } else {
                Generic::DecAmount
            }
        }
        ColumnType::Text { .. } => {
            if has("email") {
                Generic::Email
            } else if has("phone") || has("fax") || n == "cell" {
                Generic::Phone
            } else if has("hash") {
                Generic::Hash
            } else if n.ends_with("user") || has("userid") || has("user_id") || has("aspnet") {
                Generic::User
            } else if has("note")
                || has("description")
                || has("reason")
                || has("terms")
                || has("text")
                || has("instructions")
                || has("summary")
                || has("misc")
                || has("details")
                || has("aux")
            {
                Generic::Note
            } else if has("glcode") {
                Generic::GlCode
            } else if has("zip") {
                Generic::Zip
            } else if has("country") {
                Generic::Country
            } else if has("state") {
                Generic::State
            } else if has("city") {
                Generic::City
            } else if has("street") || has("address") {
                Generic::Street
            } else if has("url")
                || has("link")
                || has("image")
                || has("photo")
                || has("website")
                || has("pdf")
                || has("icon")
            {
                Generic::Url
            } else if has("last4") || has("routing") {
                Generic::Digits4
            } else if has("time") {
                Generic::TimeOfDay
            } else if has("name") || has("owner") || has("individual") || has("provider") {
                Generic::Name
            } else if has("code") || has("number") || n.ends_with("no") {
                Generic::Code
            } else if has("id") {
                Generic::ExtId
            } else {
                Generic::Word
            }
        }
    }
}

struct ColSpec {
    name: String,
    ty: ColumnType,
    key: bool,
    bool_style: BoolStyle,
    fill: f64,
    generic: Generic,
}

/// Writes one catalog table as CSV: the header row from the catalog (columns with a CSV
/// header, catalog order), then rows whose unset columns get plausible generic values.
pub struct TableWriter<W: Write> {
    system: System,
    /// The archive member, for messages.
    file: String,
    cols: Vec<ColSpec>,
    index: HashMap<String, usize>,
    csv: csv::Writer<W>,
    vals: Vec<Val>,
    set: Vec<bool>,
    hint: usize,
    row_seed: u64,
    anchor: NaiveDateTime,
    buf: String,
    rows: u64,
    violations: u64,
    first_violation: Option<String>,
}

/// Line endings per system: MOLO comes from a Windows exporter, the others from Unix jobs.
pub fn terminator(system: System) -> csv::Terminator {
    match system {
        System::Molo => csv::Terminator::CRLF,
        _ => csv::Terminator::Any(b'\n'),
    }
}

impl<W: Write> TableWriter<W> {
    /// Starts the table: writes the header row of its catalog entry.
    pub fn new(table: &Table, out: W, line_end: csv::Terminator) -> Result<Self> {
        let system = table.system;
        let mut cols = Vec::new();
        for c in &table.columns {
            let Some(h) = c.header.as_deref() else { continue };
            // Optional columns are mostly empty in real exports; each column gets its own
            // fill rate (5% to 35%) so every one still carries values somewhere.
            let u = unit(hash(&[tag(&table.name), tag(h)]));
            let fill = 0.05 + 0.3 * u * u;
            cols.push(ColSpec {
                name: h.to_string(),
                ty: c.ty,
                key: c.key,
                bool_style: bool_style(system, &table.name, h),
                fill,
                generic: generic_kind(h, c.ty),
            });
        }
        let index = cols.iter().enumerate().map(|(i, c)| (c.name.clone(), i)).collect();
        let mut csv = csv::WriterBuilder::new().terminator(line_end).from_writer(out);
        csv.write_record(cols.iter().map(|c| &c.name))
            .with_context(|| format!("writing the header of {}", table.file))?;
        let n = cols.len();
        Ok(TableWriter {
            system,
            file: table.file.clone(),
            cols,
            index,
            csv,
            vals: vec![Val::Null; n],
            set: vec![false; n],
            hint: 0,
            row_seed: 0,
            anchor: at(NaiveDate::from_ymd_opt(2020, 1, 1).expect("date"), 0, 0, 0),
            buf: String::new(),
            rows: 0,
            violations: 0,
            first_violation: None,
        })
    }

    /// Begins a row. `seed` keys the generic values of the unset columns (so it must be stable
    /// for an unchanged row); `anchor` is the row's own time, around which generic dates fall.
    pub fn begin(&mut self, seed: u64, anchor: NaiveDateTime) -> &mut Self {
        for v in &mut self.vals {
            *v = Val::Null;
        }
        for s in &mut self.set {
            *s = false;
        }
        self.hint = 0;
        self.row_seed = seed;
        self.anchor = anchor;
        self
    }

    fn index_of(&mut self, name: &str) -> usize {
        if self.hint < self.cols.len() && self.cols[self.hint].name == name {
            return self.hint;
        }
        match self.index.get(name) {
            Some(i) => *i,
            None => panic!("generator bug: {} has no CSV header '{name}'", self.file),
        }
    }

    /// Sets a column by its CSV header; a header the catalog does not have is a generator bug.
    pub fn set(&mut self, header: &str, v: impl Into<Val>) -> &mut Self {
        let i = self.index_of(header);
        self.vals[i] = v.into();
        self.set[i] = true;
        self.hint = i + 1;
        self
    }

    fn violation(&mut self, msg: String) {
        self.violations += 1;
        if self.first_violation.is_none() {
            self.first_violation = Some(format!("{}: {msg}", self.file));
        }
    }

    /// Finishes the row: fills unset columns and writes it.
    pub fn end(&mut self) -> Result<()> {
        for i in 0..self.cols.len() {
            if !self.set[i] {
                if self.cols[i].key {
                    let name = self.cols[i].name.clone();
                    self.violation(format!("key column {name} not set"));
                } else {
                    let v = self.generic(i);
                    self.vals[i] = v;
                }
            }
            self.buf.clear();
            let v = std::mem::take(&mut self.vals[i]);
            self.format(i, &v);
            if self.cols[i].key && self.buf.is_empty() {
                let name = self.cols[i].name.clone();
                self.violation(format!("key column {name} empty"));
            }
            self.csv.write_field(self.buf.as_bytes()).with_context(|| format!("writing {}", self.file))?;
        }
        self.csv.write_record(None::<&[u8]>).with_context(|| format!("writing {}", self.file))?;
        self.rows += 1;
        Ok(())
    }

    /// Flushes and returns the inner writer, the number of rows, and the first value that did
    /// not fit its column (the generator treats that as its own bug).
    pub fn finish(self) -> Result<(W, u64, Option<Violations>)> {
        let file = &self.file;
        let inner = self.csv.into_inner().map_err(|e| anyhow!("flushing {file}: {}", e.error()))?;
        let v = self.first_violation.map(|m| (self.violations, m));
        Ok((inner, self.rows, v))
    }

    fn format(&mut self, i: usize, v: &Val) {
        use std::fmt::Write as _;
        let ty = self.cols[i].ty;
        let sys = self.system;
        let mut bad: Option<String> = None;
        {
            let out = &mut self.buf;
            match (v, ty) {
                (Val::Null, _) => {}
                (Val::Str(s), ColumnType::Text { .. }) => out.push_str(s),
                (Val::Str(s), _) => {
                    // Only used for deliberately odd spellings; must still parse as the type.
                    out.push_str(s);
                }
                (Val::Int(x), ColumnType::Int) => {
                    let _ = write!(out, "{x}");
                }
                (Val::Int(x), ColumnType::Decimal { precision, scale }) => {
                    if !write_dec(*x, 0, precision, scale, out) {
                        bad = Some(format!("{x} does not fit decimal({precision},{scale})"));
                    }
                }
                (Val::Int(x), ColumnType::Float) => {
                    let _ = write!(out, "{x}");
                }
                (Val::Int(x), ColumnType::Text { .. }) => {
                    let _ = write!(out, "{x}");
                }
                (Val::Dec(u, sc), ColumnType::Decimal { precision, scale }) => {
                    if !write_dec(*u, *sc, precision, scale, out) {
                        bad = Some(format!("{u}e-{sc} does not fit decimal({precision},{scale})"));
                    }
                }
                (Val::Dec(u, sc), ColumnType::Float | ColumnType::Text { .. }) => {
                    write_dec(*u, *sc, 38, *sc, out);
                }
                (Val::Float(f), ColumnType::Float) => {
                    let _ = write!(out, "{}", (f * 100.0).round() / 100.0);
                }
                (Val::Float(f), ColumnType::Decimal { precision, scale }) => {
                    let u = (f * pow10(scale as u32) as f64).round() as i64;
                    if !write_dec(u, scale, precision, scale, out) {
                        bad = Some(format!("{f} does not fit decimal({precision},{scale})"));
                    }
                }
                (Val::Bool(b), ColumnType::Bool) => out.push_str(self.cols[i].bool_style.spell(*b)),
                (Val::Date(d), ColumnType::Date | ColumnType::Timestamp) => write_date(sys, *d, out),
                (Val::DateMidnight(d), ColumnType::Date | ColumnType::Timestamp) => {
                    write_ts(sys, at(*d, 0, 0, 0), true, out)
                }
                (Val::Ts(t), ColumnType::Timestamp) => write_ts(sys, *t, true, out),
                (Val::TsMinutes(t), ColumnType::Timestamp) => write_ts(sys, *t, false, out),
                (Val::Date(d), ColumnType::Text { .. }) => {
                    let _ = write!(out, "{d}");
                }
                (other, ty) => bad = Some(format!("value {other:?} given to a {ty} column")),
            }
            if let ColumnType::Text { max_chars: Some(n) } = ty {
                let n = n as usize;
                if out.len() > n
                    && let Some((idx, _)) = out.char_indices().nth(n)
                {
                    out.truncate(idx);
                }
            }
        }
        if let Some(b) = bad {
            let name = self.cols[i].name.clone();
            self.violation(format!("column {name}: {b}"));
        }
    }

    /// A plausible value for a column the generator did not set: present with the column's
    /// own fill rate, derived only from (row seed, column) so it is stable across days.
    ///
    /// A decimal too wide for its column (a narrow `decimal(p,s)` of a table generated from
    /// the catalog alone) is clamped to the column's largest value.
    fn generic(&self, i: usize) -> Val {
        match (self.generic_unchecked(i), self.cols[i].ty) {
            (Val::Dec(u, sc), ColumnType::Decimal { precision, scale }) if !dec_in_range(u, sc, precision, scale) => {
                Val::Dec(10i64.pow(precision.min(18) as u32) - 1, scale)
            }
            (v, _) => v,
        }
    }

    fn generic_unchecked(&self, i: usize) -> Val {
        let c = &self.cols[i];
        let mut m = Mini::new(hash(&[self.row_seed, i as u64, 0x6E7E_71C0]));
        if m.unit() >= c.fill {
            return Val::Null;
        }
        let anchor = self.anchor;
        match c.generic {
            Generic::Bool => Val::Bool(m.unit() < 0.2),
            Generic::Date => Val::Date((anchor - Duration::days(m.below(400) as i64)).date()),
            Generic::Ts => Val::Ts(anchor - Duration::seconds(m.below(45 * 86400) as i64)),
            Generic::Float => Val::Float((m.below(50_000) as f64) / 10.0),
            Generic::IntId => Val::Int(1 + m.below(5000) as i64),
            Generic::IntYear => Val::Int(1985 + m.below(40) as i64),
            Generic::IntSmall => Val::Int(m.below(30) as i64),
            Generic::DecHours => Val::Dec(600 + 25 * m.below(49) as i64, 2),
            Generic::DecRate => Val::Dec(m.below(1000) as i64, 2),
            Generic::DecAmount => {
                let max = match c.ty {
                    ColumnType::Decimal { precision, scale } => {
                        pow10((precision - scale).min(6) as u32).saturating_sub(1) * 100
                    }
                    _ => 100_000,
                };
                Val::Dec((m.below(50_000) as i64).min(max), 2)
            }
            Generic::Email => {
                let (f, l) = (*m.pick(FIRST), *m.pick(LAST));
                let mut r = ChaCha8Rng::seed_from_u64(m.next());
                Val::from(email(f, l, &mut r))
            }
            Generic::Phone => {
                let mut r = ChaCha8Rng::seed_from_u64(m.next());
                Val::from(phone(&mut r))
            }
            Generic::Hash => {
                let mut r = ChaCha8Rng::seed_from_u64(m.next());
                Val::from(hex(&mut r, 32))
            }
            Generic::User => {
                let mut r = ChaCha8Rng::seed_from_u64(m.next());
                Val::from(guid(&mut r))
            }
            Generic::Note => Val::from(*m.pick(NOTES)),
            Generic::GlCode => Val::from(format!("{}-{:02}", 4000 + 10 * m.below(60), m.below(5))),
            Generic::Zip => Val::from(format!("{:05}", 10000 + m.below(89999))),
            Generic::Country => Val::from(if c.ty == (ColumnType::Text { max_chars: Some(2) }) { "US" } else { "USA" }),
            Generic::State => Val::from(m.pick(CITIES).1),
            Generic::City => Val::from(m.pick(CITIES).0),
            Generic::Street => Val::from(format!("{} {}", 1 + m.below(9000), m.pick(STREETS))),
            Generic::Name => Val::from(format!("{} {}", m.pick(FIRST), m.pick(LAST))),
            Generic::Url => Val::from(format!("https://cdn.example-marina.com/f/{:012x}.jpg", m.next() >> 16)),
            Generic::Digits4 => Val::from(format!("{:04}", m.below(10000))),
            Generic::Code => {
                Val::from(format!("{}{:05}", ["A", "B", "K", "M", "X"][m.below(5) as usize], m.below(100_000)))
            }
            Generic::ExtId => {
                Val::from(format!("{}_{:016x}", ["ch", "cus", "pm", "tok"][m.below(4) as usize], m.next()))
            }
            Generic::TimeOfDay => {
                Val::from(format!("{:02}:{:02}", 7 + m.below(12), [0, 15, 30, 45][m.below(4) as usize]))
            }
            Generic::Word => Val::from(*m.pick(WORDS)),
        }
    }
}

/// How many values did not fit their columns, and the first of them.
pub type Violations = (u64, String);

/// Rows per generated table of one archive, for the summary.
#[derive(Default)]
pub struct Tally {
    pub tables: Vec<(String, u64)>,
    pub violations: Option<Violations>,
}

impl Tally {
    pub fn add(&mut self, table: &str, rows: u64, v: Option<Violations>) {
        self.tables.push((table.to_string(), rows));
        if let Some((n, m)) = v {
            match &mut self.violations {
                Some((k, _)) => *k += n,
                None => self.violations = Some((n, m)),
            }
        }
    }
    pub fn total(&self) -> u64 {
        self.tables.iter().map(|(_, n)| n).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_respect_precision_and_scale() {
        let mut s = String::new();
        assert!(write_dec(12345, 2, 9, 2, &mut s));
        assert_eq!(s, "123.45");
        s.clear();
        assert!(write_dec(-5, 2, 9, 2, &mut s));
        assert_eq!(s, "-0.05");
        s.clear();
        assert!(write_dec(123456, 4, 10, 2, &mut s));
        assert_eq!(s, "12.35");
        s.clear();
        assert!(!write_dec(10000, 2, 4, 2, &mut s), "100.00 does not fit decimal(4,2)");
        assert_eq!(s, "99.99");
    }

    #[test]
    fn timestamps_are_spelled_per_system() {
        let t = at(NaiveDate::from_ymd_opt(2025, 7, 11).unwrap(), 20, 17, 43);
        let mut s = String::new();
        write_ts(System::Molo, t, true, &mut s);
        assert_eq!(s, "07/11/2025 20:17:43");
        s.clear();
        write_ts(System::Stellar, t, true, &mut s);
        assert_eq!(s, "2025-07-11 20:17:43");
        s.clear();
        write_ts(System::NetSuite, t, true, &mut s);
        assert_eq!(s, "2025-07-11T20:17:43");
        s.clear();
        write_date(System::Molo, NaiveDate::from_ymd_opt(2025, 2, 28).unwrap(), &mut s);
        assert_eq!(s, "02/28/2025 06:00:00");
        s.clear();
        write_date(System::Molo, NaiveDate::from_ymd_opt(2025, 7, 1).unwrap(), &mut s);
        assert_eq!(s, "07/01/2025 05:00:00");
    }

    #[test]
    fn bool_spellings_follow_the_contract_notes() {
        assert_eq!(bool_style(System::Stellar, "bookings", "is_canceled"), BoolStyle::YesNo);
        assert_eq!(bool_style(System::Stellar, "bookings", "parking_override"), BoolStyle::ZeroOne);
        assert_eq!(bool_style(System::Stellar, "style_times", "status_1"), BoolStyle::OnOff);
        assert_eq!(bool_style(System::Molo, "boats", "IsActive"), BoolStyle::ZeroOne);
        assert_eq!(bool_style(System::Molo, "slips", "Active"), BoolStyle::TrueFalse);
        assert_eq!(bool_style(System::NetSuite, "transaction", "posting"), BoolStyle::TF);
    }
}
