//! Tests of the generator: archive formats against the catalog, strict value formats,
//! determinism, referential integrity within and across systems, ledger balance, realistic
//! shape and day-to-day change.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::io::Read;
use std::path::Path;
use std::sync::OnceLock;

use chrono::{Datelike, NaiveDate, NaiveDateTime, Timelike};

use super::values::{BoolStyle, bool_style};
use super::*;
use crate::catalog::{Catalog, ColumnType, Table};

/// A decoded CSV member: header and rows.
pub(super) struct Csv {
    pub(super) header: Vec<String>,
    pub(super) rows: Vec<Vec<String>>,
}

impl Csv {
    pub(super) fn col(&self, name: &str) -> usize {
        self.header.iter().position(|h| h == name).unwrap_or_else(|| panic!("no column {name}"))
    }
    pub(super) fn values<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a str> + 'a {
        let i = self.col(name);
        self.rows.iter().map(move |r| r[i].as_str())
    }
    fn ints(&self, name: &str) -> BTreeSet<i64> {
        self.values(name).filter(|v| !v.is_empty()).map(|v| v.parse().expect("int")).collect()
    }
}

fn parse_csv(bytes: &[u8]) -> Csv {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut r = csv::ReaderBuilder::new().has_headers(true).from_reader(bytes);
    let header = r.headers().expect("header").iter().map(str::to_string).collect();
    let rows = r.records().map(|rec| rec.expect("record").iter().map(str::to_string).collect()).collect();
    Csv { header, rows }
}

/// All members of an archive (zip, or gzip-compressed tar).
fn members(path: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let file = File::open(path).expect("open archive");
    if path.to_string_lossy().ends_with(".zip") {
        let mut z = zip::ZipArchive::new(file).expect("zip");
        for i in 0..z.len() {
            let mut f = z.by_index(i).expect("member");
            let mut buf = Vec::new();
            f.read_to_end(&mut buf).expect("read member");
            out.insert(f.name().expect("member name").to_string(), buf);
        }
    } else {
        let mut t = tar::Archive::new(flate2::read::GzDecoder::new(file));
        for e in t.entries().expect("tar") {
            let mut e = e.expect("entry");
            let name = e.path().expect("path").to_string_lossy().to_string();
            let mut buf = Vec::new();
            e.read_to_end(&mut buf).expect("read entry");
            out.insert(name, buf);
        }
    }
    out
}

/// The archives of one generation, decoded per system and day.
pub(super) struct Output {
    pub(super) summary: GenerateSummary,
    pub(super) _dir: tempfile::TempDir,
}

impl Output {
    pub(super) fn archive(&self, system: System, day: usize) -> &Path {
        let snaps: Vec<_> = self.summary.snapshots.iter().filter(|s| s.system == system).collect();
        &snaps[day].path
    }
    pub(super) fn tables(&self, system: System, day: usize) -> BTreeMap<String, Csv> {
        let m = members(self.archive(system, day));
        Catalog::get()
            .tables_of(system)
            .map(|t| (t.name.clone(), parse_csv(m.get(&t.file).unwrap_or_else(|| panic!("{} missing", t.file)))))
            .collect()
    }
}

pub(super) fn run(scale: f64, days: u32, seed: u64) -> Output {
    let dir = tempfile::tempdir().expect("tempdir");
    let opts = GenerateOptions { out: dir.path().to_path_buf(), scale, seed, days, ..GenerateOptions::default() };
    let summary = generate(&opts).expect("generate");
    Output { summary, _dir: dir }
}

/// The standard small output shared by several tests (generation is deterministic).
pub(super) fn small() -> &'static Output {
    static OUT: OnceLock<Output> = OnceLock::new();
    OUT.get_or_init(|| run(0.01, 1, 42))
}

fn headers(t: &Table) -> Vec<String> {
    t.columns.iter().filter_map(|c| c.header.clone()).collect()
}

/// The strict check a loader applies to one value.
fn check_value(system: System, table: &str, header: &str, ty: ColumnType, v: &str) -> Result<(), String> {
    if v.is_empty() {
        return Ok(());
    }
    let bad = || Err(format!("{system}.{table}.{header}: '{v}' is not a valid {ty}"));
    match ty {
        ColumnType::Int => v.parse::<i64>().map(|_| ()).or_else(|_| bad()),
        ColumnType::Float => {
            if v.contains(['e', 'E']) || v.parse::<f64>().is_err() {
                bad()
            } else {
                Ok(())
            }
        }
        ColumnType::Decimal { precision, scale } => {
            let body = v.strip_prefix('-').unwrap_or(v);
            let (ip, fp) = body.split_once('.').unwrap_or((body, ""));
            let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
            let int_len = ip.trim_start_matches('0').len();
            if !digits(ip) || (!fp.is_empty() && !digits(fp)) || body.ends_with('.') {
                return bad();
            }
            if fp.len() > scale as usize || int_len > (precision - scale) as usize {
                return Err(format!("{system}.{table}.{header}: '{v}' does not fit {ty}"));
            }
            Ok(())
        }
        ColumnType::Bool => {
            let ok: &[&str] = match bool_style(system, table, header) {
                BoolStyle::TrueFalse => &["True", "False"],
                BoolStyle::ZeroOne => &["0", "1"],
                BoolStyle::YesNo => &["Yes", "No"],
                BoolStyle::OnOff => &["On", "Off"],
                BoolStyle::TF => &["T", "F"],
            };
            if ok.contains(&v) { Ok(()) } else { bad() }
        }
        ColumnType::Date => match system {
            System::Molo => match NaiveDateTime::parse_from_str(v, "%m/%d/%Y %H:%M:%S") {
                Ok(t) if t.minute() == 0 && t.second() == 0 && [0, 5, 6].contains(&t.hour()) => Ok(()),
                _ => bad(),
            },
            _ => NaiveDate::parse_from_str(v, "%Y-%m-%d").map(|_| ()).or_else(|_| bad()),
        },
        ColumnType::Timestamp => {
            let ok = match system {
                System::Molo => NaiveDateTime::parse_from_str(v, "%m/%d/%Y %H:%M:%S").is_ok(),
                System::Stellar => {
                    NaiveDateTime::parse_from_str(v, "%Y-%m-%d %H:%M:%S").is_ok()
                        || (table == "booking_boats" && NaiveDateTime::parse_from_str(v, "%Y-%m-%d %H:%M").is_ok())
                }
                System::NetSuite => NaiveDateTime::parse_from_str(v, "%Y-%m-%dT%H:%M:%S").is_ok(),
            };
            if ok { Ok(()) } else { bad() }
        }
        ColumnType::Text { max_chars } => match max_chars {
            Some(n) if v.chars().count() > n as usize => {
                Err(format!("{system}.{table}.{header}: '{v}' longer than {n}"))
            }
            _ => Ok(()),
        },
    }
}

#[test]
fn archives_follow_the_contract_layout() {
    let out = small();
    let date = NaiveDate::from_ymd_opt(2025, 12, 21).unwrap();
    assert_eq!(out.summary.snapshots.len(), 3);
    let names: Vec<String> =
        out.summary.snapshots.iter().map(|s| s.path.file_name().unwrap().to_string_lossy().to_string()).collect();
    assert_eq!(names, ["20251221050003.zip", "prod_resilient_2025-12-21_07_01-DATA.sql.gz", "netsuite_20251221.zip"]);
    for s in &out.summary.snapshots {
        assert_eq!(s.path.parent().unwrap().file_name().unwrap(), s.system.name());
        let modified = std::fs::metadata(&s.path).unwrap().modified().unwrap();
        let secs = modified.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs() as i64;
        let (h, m) = match s.system {
            System::Molo => (5, 3),
            System::Stellar => (7, 1),
            System::NetSuite => (6, 0),
        };
        assert_eq!(secs, at(date, h, m, 0).and_utc().timestamp(), "mtime of {}", s.path.display());
    }
    // MOLO: flat, catalog members plus extras; Stellar: data/<table>.csv; NetSuite: root.
    let molo = members(out.archive(System::Molo, 0));
    assert!(molo.keys().all(|k| !k.contains('/')));
    for extra in ["SV_JobSet.csv", "Accounts_Audit.csv", "Reservations_Archive.csv"] {
        assert!(molo.contains_key(extra), "{extra}");
    }
    assert!(molo.len() > Catalog::get().tables_of(System::Molo).count());
    let stellar = members(out.archive(System::Stellar, 0));
    assert!(stellar.keys().all(|k| k.starts_with("data/") && k.ends_with(".csv")));
    let raw = std::fs::read(out.archive(System::Stellar, 0)).unwrap();
    assert_eq!(&raw[..2], &[0x1f, 0x8b], "gzip");
    let ns = members(out.archive(System::NetSuite, 0));
    assert!(ns.keys().all(|k| !k.contains('/')));
    assert_eq!(Catalog::get().tables_of(System::NetSuite).count(), 14);
}

#[test]
fn every_table_has_catalog_headers_valid_values_and_unique_keys() {
    let out = small();
    let mut total = 0;
    for system in System::ALL {
        let tables = out.tables(system, 0);
        for t in Catalog::get().tables_of(system) {
            let csv = &tables[&t.name];
            assert_eq!(csv.header, headers(t), "header of {system}.{}", t.name);
            assert!(!csv.rows.is_empty(), "{system}.{} is empty", t.name);
            total += csv.rows.len();
            let cols: Vec<_> = t.columns.iter().filter(|c| c.header.is_some()).collect();
            let key_idx: Vec<usize> = cols.iter().enumerate().filter(|(_, c)| c.key).map(|(i, _)| i).collect();
            let mut keys = HashSet::new();
            let mut filled = vec![false; cols.len()];
            for row in &csv.rows {
                assert_eq!(row.len(), cols.len());
                for (i, c) in cols.iter().enumerate() {
                    check_value(system, &t.name, c.header.as_deref().unwrap(), c.ty, &row[i]).unwrap();
                    filled[i] |= !row[i].is_empty();
                }
                let key: Vec<&str> = key_idx.iter().map(|i| row[*i].as_str()).collect();
                assert!(key.iter().all(|k| !k.is_empty()), "empty key in {system}.{}", t.name);
                assert!(keys.insert(key.join("\u{1}")), "duplicate key {key:?} in {system}.{}", t.name);
            }
            // Every exported column carries values somewhere in the bigger tables.
            if csv.rows.len() >= 200 {
                for (i, c) in cols.iter().enumerate() {
                    assert!(filled[i], "{system}.{}.{} never has a value", t.name, c.header.as_deref().unwrap());
                }
            }
        }
    }
    assert!((3_000..40_000).contains(&total), "scale 0.01 should give a few thousand rows, got {total}");
    let per_table: u64 = out.summary.rows_per_table.iter().map(|r| r.2).sum();
    assert_eq!(per_table as usize, total);
}

#[test]
fn same_seed_gives_identical_bytes() {
    let a = run(0.01, 2, 7);
    let b = run(0.01, 2, 7);
    let c = run(0.01, 1, 8);
    for (x, y) in a.summary.snapshots.iter().zip(&b.summary.snapshots) {
        assert_eq!(std::fs::read(&x.path).unwrap(), std::fs::read(&y.path).unwrap(), "{}", x.path.display());
    }
    let last_a = &a.summary.snapshots[3];
    assert_ne!(std::fs::read(&last_a.path).unwrap(), std::fs::read(&c.summary.snapshots[0].path).unwrap());
}

#[test]
fn molo_references_resolve() {
    let t = small().tables(System::Molo, 0);
    let slips = t["slips"].ints("Id");
    let boats = t["boats"].ints("Id");
    let contacts = t["contacts"].ints("Id");
    let accounts = t["accounts"].ints("Id");
    let reservations = t["reservations"].ints("Id");
    let invoices = t["invoices"].ints("Id");
    let locations = t["marina_locations"].ints("Id");
    let sub = |a: &BTreeSet<i64>, b: &BTreeSet<i64>, what: &str| {
        assert!(a.is_subset(b), "{what}: {:?}", a.difference(b).take(5).collect::<Vec<_>>())
    };
    sub(&t["reservations"].ints("SlipId"), &slips, "reservation slips");
    sub(&t["reservations"].ints("BoatId"), &boats, "reservation boats");
    sub(&t["reservations"].ints("ContactId"), &contacts, "reservation contacts");
    sub(&t["reservations"].ints("AccountId"), &accounts, "reservation accounts");
    sub(&t["reservations"].ints("ReservationStatusId"), &t["reservation_status"].ints("Id"), "statuses");
    sub(&t["accounts"].ints("Contact_Id"), &contacts, "account contacts");
    sub(&t["invoices"].ints("ReservationId"), &reservations, "invoice reservations");
    sub(&t["invoices"].ints("AccountId"), &accounts, "invoice accounts");
    sub(&t["invoices"].ints("InvoiceStatusId"), &t["invoice_status"].ints("Id"), "invoice statuses");
    sub(&t["invoices"].ints("InvoiceType_Id"), &t["invoice_types"].ints("Id"), "invoice types");
    sub(&t["invoice_items"].ints("InvoiceId"), &invoices, "item invoices");
    sub(&t["invoice_items"].ints("Reservation_Id"), &reservations, "item reservations");
    sub(&t["invoice_items"].ints("ItemMaster_Id"), &t["item_masters"].ints("Id"), "item masters");
    sub(&t["transactions"].ints("InvoiceId"), &invoices, "payment invoices");
    sub(&t["slips"].ints("Pier_Id"), &t["piers"].ints("Id"), "slip piers");
    sub(&t["slips"].ints("MarinaLocationId"), &locations, "slip locations");
    sub(&t["insurance"].ints("Boat_Id"), &boats, "insurance boats");
    sub(&t["invoices"].ints("OriginalInvoice"), &invoices, "original invoices");
    sub(&t["transactions"].ints("InvoiceItemId"), &t["invoice_items"].ints("Id"), "payment items");
    sub(&t["contacts"].ints("LinkedParentContact"), &contacts, "linked contacts");
    sub(&t["contacts"].ints("MainContactId"), &contacts, "main contacts");
    assert_eq!(locations, (1..=4).collect());

    // Reservation status names as the views expect them.
    let st = &t["reservation_status"];
    let name = |id: &str| st.rows.iter().find(|r| r[0] == id).map(|r| r[1].clone()).unwrap();
    assert_eq!(name("4"), "Checked In");
    assert_eq!(name("5"), "Cancelled");
    assert_eq!(name("6"), "Checked Out");
    let statuses: BTreeSet<i64> = t["reservations"].ints("ReservationStatusId");
    for s in [2, 4, 5, 6] {
        assert!(statuses.contains(&s), "status {s} used");
    }
    // Charge types, voids and deleted items the views filter on.
    let types: BTreeSet<&str> = t["invoice_items"].values("Type").collect();
    assert!(
        types.contains("charge-reservation-seasonal") && types.contains("charge-reservation-transitive"),
        "{types:?}"
    );
    assert!(types.len() >= 4);
    assert!(t["invoice_items"].values("IsVoid").any(|v| v == "True"));
    assert!(t["invoice_items"].values("Status").any(|v| v == "deleted"));
    // LOA spelled feet:inches, 16 to 120 ft.
    for loa in t["boats"].values("LOA") {
        let (f, i) = loa.split_once(':').expect("feet:inches");
        let (f, i): (i64, i64) = (f.parse().unwrap(), i.parse().unwrap());
        assert!((16..=120).contains(&f) && (0..12).contains(&i), "{loa}");
    }
    assert!(t["slips"].values("RecomendedLOA").all(|v| v.ends_with(":0")));
    // Slip flags: mostly active, mostly counted, mostly without start/end dates.
    let s = &t["slips"];
    let n = s.rows.len();
    assert!(s.values("Active").filter(|v| *v == "True").count() * 10 >= n * 8);
    assert!(s.values("StartDate").filter(|v| v.is_empty()).count() * 10 >= n * 7);
}

/// Occupancy per month computed as the views do (status 4 or 6 covering the night).
#[test]
fn slip_occupancy_is_seasonal() {
    let out = run(0.05, 1, 42);
    let t = out.tables(System::Molo, 0);
    let s = &t["slips"];
    let counted: HashSet<String> = s
        .rows
        .iter()
        .filter(|r| {
            r[s.col("Active")] == "True"
                && r[s.col("DoNotCountInOccupancy")] != "True"
                && r[s.col("StartDate")].is_empty()
                && r[s.col("EndDate")].is_empty()
        })
        .map(|r| r[s.col("Id")].clone())
        .collect();
    let r = &t["reservations"];
    let parse = |v: &str| NaiveDateTime::parse_from_str(v, "%m/%d/%Y %H:%M:%S").unwrap().date();
    let mut occupied: HashMap<(String, NaiveDate), bool> = HashMap::new();
    for row in &r.rows {
        let status = &row[r.col("ReservationStatusId")];
        if status != "4" && status != "6" || !counted.contains(&row[r.col("SlipId")]) {
            continue;
        }
        let (a, d) = (parse(&row[r.col("ScheduledArrivalTime")]), parse(&row[r.col("ScheduledDepartureTime")]));
        for day in a.iter_days().take_while(|x| *x < d) {
            occupied.insert((row[r.col("SlipId")].clone(), day), true);
        }
    }
    let rate = |y: i32, m: u32| {
        let days: Vec<NaiveDate> =
            NaiveDate::from_ymd_opt(y, m, 1).unwrap().iter_days().take_while(|d| d.month() == m).collect();
        let occ = days
            .iter()
            .flat_map(|d| counted.iter().map(move |s| (s.clone(), *d)))
            .filter(|k| occupied.contains_key(k))
            .count();
        occ as f64 / (days.len() * counted.len()) as f64
    };
    // Averages over both years: a few dozen slips make single months noisy.
    let avg = |months: &[(i32, u32)]| months.iter().map(|(y, m)| rate(*y, *m)).sum::<f64>() / months.len() as f64;
    let summer = avg(&[(2024, 6), (2024, 7), (2024, 8), (2025, 6), (2025, 7), (2025, 8)]);
    let winter = avg(&[(2023, 12), (2024, 1), (2024, 2), (2024, 12), (2025, 1), (2025, 2)]);
    assert!(summer > 0.85, "summer occupancy {summer:.2}");
    assert!((0.25..0.6).contains(&winter), "winter occupancy {winter:.2}");
    // Some reservations reach into the future.
    let future =
        r.values("ScheduledDepartureTime").filter(|v| parse(v) > NaiveDate::from_ymd_opt(2026, 1, 15).unwrap()).count();
    assert!(future > 0);
}

#[test]
fn stellar_references_resolve() {
    let t = small().tables(System::Stellar, 0);
    let bookings = t["bookings"].ints("id");
    let sub = |a: &BTreeSet<i64>, b: &BTreeSet<i64>, what: &str| {
        assert!(a.is_subset(b), "{what}: {:?}", a.difference(b).take(5).collect::<Vec<_>>())
    };
    sub(&t["booking_boats"].ints("booking_id"), &bookings, "booking boats");
    sub(&t["booking_payments"].ints("booking_id"), &bookings, "payments");
    sub(&t["booking_accessories"].ints("booking_id"), &bookings, "accessories");
    sub(&t["bookings"].ints("customer_id"), &t["customers"].ints("user_id"), "booking customers");
    sub(&t["booking_boats"].ints("style_id"), &t["styles"].ints("id"), "booking styles");
    sub(&t["style_boats"].ints("style_id"), &t["styles"].ints("id"), "boat styles");
    sub(&t["booking_accessories"].ints("accessory_option_id"), &t["accessory_options"].ints("id"), "options");
    sub(&t["style_prices"].ints("time_id"), &t["style_times"].ints("id"), "style prices");
    sub(&t["customers"].ints("club_principal_user_id"), &t["customers"].ints("user_id"), "club principals");
    sub(&t["bookings"].ints("coupon_id"), &t["coupons"].ints("id"), "booking coupons");
    sub(&t["waitlists"].ints("customer_id"), &t["customers"].ints("user_id"), "waitlist customers");
    // BOAT_ID is numeric text pointing at a style boat.
    let boats = t["style_boats"].ints("id");
    for v in t["booking_boats"].values("boat_id").filter(|v| !v.is_empty()) {
        assert!(boats.contains(&v.parse::<i64>().expect("numeric boat id")), "{v}");
    }
    let bb = &t["booking_boats"];
    let complete = bb.values("status").filter(|s| *s == "Complete").count();
    assert!(complete * 10 > bb.rows.len() * 6, "mostly Complete: {complete} of {}", bb.rows.len());
    assert!(t["bookings"].values("is_canceled").any(|v| v == "Yes"));
}

#[test]
fn netsuite_ledger_balances_and_references_resolve() {
    let t = small().tables(System::NetSuite, 0);
    let tx = &t["transaction"];
    let tal = &t["transaction_accounting_line"];
    let tl = &t["transaction_line"];
    let books = &t["accounting_book"];
    let primary: Vec<&str> =
        books.rows.iter().filter(|r| r[books.col("isprimary")] == "T").map(|r| r[0].as_str()).collect();
    assert_eq!(primary.len(), 1);
    let cents = |v: &str| -> i64 {
        if v.is_empty() {
            return 0;
        }
        let neg = v.starts_with('-');
        let (i, f) = v.trim_start_matches('-').split_once('.').unwrap_or((v.trim_start_matches('-'), "0"));
        let c = i.parse::<i64>().unwrap() * 100 + format!("{f:0<2}")[..2].parse::<i64>().unwrap();
        if neg { -c } else { c }
    };
    let mut sums: BTreeMap<(String, String), i64> = BTreeMap::new();
    for r in &tal.rows {
        let amt = cents(&r[tal.col("credit")]) - cents(&r[tal.col("debit")]);
        *sums.entry((r[tal.col("transaction")].clone(), r[tal.col("accountingbook")].clone())).or_default() += amt;
    }
    for ((txn, book), s) in &sums {
        assert_eq!(*s, 0, "transaction {txn} does not balance in book {book}");
    }
    assert!(
        sums.keys().any(|k| k.1 == primary[0]) && sums.keys().any(|k| k.1 != primary[0]),
        "primary and secondary book lines"
    );
    let sub = |a: &BTreeSet<i64>, b: &BTreeSet<i64>, what: &str| {
        assert!(a.is_subset(b), "{what}: {:?}", a.difference(b).take(5).collect::<Vec<_>>())
    };
    sub(&tal.ints("account"), &t["account"].ints("id"), "accounts");
    sub(&tal.ints("accountingbook"), &books.ints("id"), "books");
    sub(&tal.ints("transaction"), &tx.ints("id"), "tal transactions");
    sub(&tl.ints("transaction"), &tx.ints("id"), "tl transactions");
    sub(&tx.ints("postingperiod"), &t["accounting_period"].ints("id"), "periods");
    sub(&tl.ints("subsidiary"), &t["subsidiary"].ints("id"), "subsidiaries");
    sub(&tl.ints("location"), &t["location"].ints("id"), "locations");
    sub(&tl.ints("class"), &t["classification"].ints("id"), "classes");
    sub(&tl.ints("department"), &t["department"].ints("id"), "departments");
    sub(&tl.ints("item"), &t["item"].ints("id"), "items");
    let entities: BTreeSet<i64> = t["customer"].ints("id").union(&t["vendor"].ints("id")).copied().collect();
    sub(&tl.ints("entity"), &entities, "line entities");
    sub(&tx.ints("entity"), &entities, "header entities");
    assert!(t["customer"].ints("id").is_disjoint(&t["vendor"].ints("id")));
    // Accounting lines point at existing transaction lines.
    let lines: HashSet<(String, String)> = tl.rows.iter().map(|r| (r[0].clone(), r[1].clone())).collect();
    assert!(tal.rows.iter().all(|r| lines.contains(&(r[0].clone(), r[1].clone()))));
    // All selected types, the FAM custom type, unselected and non-posting documents.
    let types: BTreeSet<&str> = tx.values("type").collect();
    for ty in [
        "CashSale", "Check", "CustInvc", "CustPymt", "Journal", "Deposit", "CardChrg", "VendBill", "VendPymt",
        "CustCred", "CustRfnd",
    ] {
        assert!(types.contains(ty), "type {ty} missing: {types:?}");
    }
    assert!(tx.values("recordtype").any(|v| v == "customtransaction_fam_depr_jrn"));
    assert!(tx.values("posting").any(|v| v == "F"));
    let periods = &t["accounting_period"];
    assert!(periods.values("periodname").any(|v| v == "Jan 2025"));
    // An adjustment period whose name is not 'Mon YYYY'.
    assert!(periods.rows.iter().any(|r| r[periods.col("isadjust")] == "T" && r[1].starts_with("Year-End")));
    // Report mapping: nsaccount unique after trimming, covering most numbered accounts.
    let maps: Vec<&str> = t["account_report_mapping"].values("nsaccount").map(str::trim).collect();
    assert_eq!(maps.iter().collect::<HashSet<_>>().len(), maps.len());
    let numbers: HashSet<&str> = t["account"].values("acctnumber").filter(|v| !v.is_empty()).collect();
    assert!(maps.iter().filter(|m| numbers.contains(*m)).count() * 10 >= numbers.len() * 8);
    let types: BTreeSet<&str> = t["account"].values("accttype").collect();
    for ty in ["Income", "COGS", "Expense", "OthIncome", "OthExpense", "Bank", "AcctRec", "AcctPay"] {
        assert!(types.contains(ty), "{ty}");
    }
}

/// All 13 selected types, the FAM custom type, unselected and non-posting types appear even
/// at the smallest scale.
#[test]
fn netsuite_has_every_transaction_type() {
    let t = small().tables(System::NetSuite, 0);
    let types: BTreeSet<&str> = t["transaction"].values("type").collect();
    for ty in [
        "CashSale", "Check", "CustInvc", "CustPymt", "Journal", "Deposit", "CardChrg", "VendBill", "VendPymt",
        "VendCred", "CustCred", "CustRfnd", "CardRfnd", "ItemShip", "InvAdjst", "ExpRept", "CustDep", "SalesOrd",
        "PurchOrd", "Estimate",
    ] {
        assert!(types.contains(ty), "type {ty} missing: {types:?}");
    }
}

#[test]
fn mapping_location_subsidiary_points_at_subsidiaries() {
    let out = small();
    let subs = out.tables(System::NetSuite, 0)["subsidiary"].ints("id");
    assert_eq!(out.summary.location_subsidiary.len(), 4);
    for (loc, sub) in &out.summary.location_subsidiary {
        assert!((1..=4).contains(loc) && subs.contains(sub));
    }
}

/// Consecutive days differ like real exports: new rows, changed rows, a few deleted rows,
/// all a small share of the table.
#[test]
fn consecutive_days_show_new_changed_and_deleted_rows() {
    let out = run(0.05, 3, 42);
    let (mut new, mut changed, mut deleted, mut total) = (0usize, 0usize, 0usize, 0usize);
    for system in System::ALL {
        for day in 1..3 {
            let (a, b) = (out.tables(system, day - 1), out.tables(system, day));
            for t in Catalog::get().tables_of(system) {
                let keys: Vec<usize> = t
                    .columns
                    .iter()
                    .filter(|c| c.header.is_some())
                    .enumerate()
                    .filter(|(_, c)| c.key)
                    .map(|(i, _)| i)
                    .collect();
                let index = |c: &Csv| -> HashMap<Vec<String>, Vec<String>> {
                    c.rows.iter().map(|r| (keys.iter().map(|i| r[*i].clone()).collect(), r.clone())).collect()
                };
                let (ia, ib) = (index(&a[&t.name]), index(&b[&t.name]));
                new += ib.keys().filter(|k| !ia.contains_key(*k)).count();
                deleted += ia.keys().filter(|k| !ib.contains_key(*k)).count();
                changed += ib.iter().filter(|(k, v)| ia.get(*k).is_some_and(|old| old != *v)).count();
                total += ib.len();
            }
        }
    }
    assert!(new > 0 && changed > 0 && deleted > 0, "new {new}, changed {changed}, deleted {deleted}");
    let share = (new + changed + deleted) as f64 / total as f64;
    assert!(share < 0.03, "{share:.4} of rows change per day");
}

/// A table with no hand-written generator (built here, so it is in no generator's list) is
/// written from its catalog entry: the catalog's header, as many rows as its key can tell
/// apart (bool x text(1): 72), unique keys, and values the loader converts without a reject,
/// narrow decimals included.
#[test]
fn a_table_without_a_generator_is_written_from_its_catalog_entry() {
    use crate::catalog::Column;
    let col = |header: &str, ty: &str, key: bool| Column {
        name: header.to_uppercase(),
        header: Some(header.to_string()),
        ty: ty.parse().unwrap(),
        key,
    };
    let table = Table {
        system: System::NetSuite,
        name: "odd_things".into(),
        file: "odd_things.csv".into(),
        columns: vec![
            col("flag", "bool", true),
            col("code", "text(1)", true),
            col("order", "int", false),
            col("user", "text(3)", false),
            col("rate", "decimal(3,2)", false),
            col("hours", "decimal(2,1)", false),
            col("amount", "decimal(38,10)", false),
            col("ratio", "float", false),
            col("day", "date", false),
            col("created", "timestamp", false),
            col("memo", "text", false),
            col("active", "bool", false),
        ],
        history: false,
    };
    let dir = tempfile::tempdir().unwrap();
    let opts = GenerateOptions { out: dir.path().to_path_buf(), scale: 1.0, ..GenerateOptions::default() };
    let world = World::new(&opts);
    let path = dir.path().join("odd.zip");
    let mut sink = Sink::zip(File::create(&path).unwrap(), at(world.final_date, 6, 0, 0), false).unwrap();
    let mut tally = Tally::default();
    from_catalog::write(&mut sink, &mut tally, &world, &table).unwrap();
    sink.finish().unwrap();
    assert!(tally.violations.is_none(), "{:?}", tally.violations);
    assert_eq!(tally.tables, [("odd_things".to_string(), 72)]);

    let bytes = members(&path).remove("odd_things.csv").expect("the member of the catalog entry");
    let csv = parse_csv(&bytes);
    assert_eq!(csv.header, headers(&table));
    let keys: HashSet<(String, String)> = csv.rows.iter().map(|r| (r[0].clone(), r[1].clone())).collect();
    assert_eq!(keys.len(), 72);
    let hours: BTreeSet<&str> = csv.values("hours").filter(|v| !v.is_empty()).collect();
    assert!(!hours.is_empty() && hours.iter().all(|v| v.len() <= 3), "{hours:?}");

    let decoded = crate::decode::decode_table(&table, &bytes[..], &crate::decode::DecodeLimits::default(), &mut |_| Ok(()), &mut |_| {}).unwrap();
    assert_eq!((decoded.rows_read, decoded.rows_staged, decoded.rows_rejected), (72, 72, 0));
}
