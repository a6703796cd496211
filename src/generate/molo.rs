//! MOLO (marina management) snapshots: a flat ZIP of SQL Server table exports.
//!
//! The world: slips at four marinas, each with a timeline of seasonal, winter and transient
//! stays over the simulated history (and booked into the future); invoices for the stays and
//! for counter sales (fuel, store, service); payments and refunds. Everything is derived by a
//! deterministic walk (slips in id order, then days), which also assigns the ids, so ids are
//! stable across snapshot days; a snapshot shows what exists at its export time.

use std::borrow::Cow;
use std::io::Write;

use anyhow::Result;
use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, Weekday};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::values::*;
use super::{MARINAS, Sink, World, extra_member, from_catalog, table};
use crate::catalog::{Catalog, System};

const SYS: System = System::Molo;

const T_SLIP: u64 = tag("molo.slip");
const T_SLIPSIZE: u64 = tag("molo.slipsize");
const T_STAYS: u64 = tag("molo.stays");
const T_BOAT: u64 = tag("molo.boat");
const T_BOATSIZE: u64 = tag("molo.boatsize");
const T_CONTACT: u64 = tag("molo.contact");
const T_INV: u64 = tag("molo.invoice");
const T_ITEM: u64 = tag("molo.item");
const T_PAY: u64 = tag("molo.pay");
const T_STORE_DAY: u64 = tag("molo.storeday");
const T_STORE: u64 = tag("molo.store");
const T_RES: u64 = tag("molo.reservation");

/// Accounts are 1:1 with contacts but numbered apart, so a mix-up shows in integrity checks.
pub(crate) const ACCOUNT_OFFSET: i64 = 100_000;
const RES_BASE: i64 = 20_000;
const INV_BASE: i64 = 100_000;
const ITEM_BASE: i64 = 1_000_000;
const PAY_BASE: i64 = 400_000;

// Lookup ids the generator relies on (the rows are written from the lists below).
const ST_PENDING: i64 = 1;
const ST_CONFIRMED: i64 = 2;
const ST_CHECKED_IN: i64 = 4;
const ST_CANCELLED: i64 = 5;
const ST_CHECKED_OUT: i64 = 6;
const ST_NO_SHOW: i64 = 7;

const RESERVATION_STATUS: &[&str] =
    &["Pending", "Confirmed", "Waitlisted", "Checked In", "Cancelled", "Checked Out", "No Show"];
const RESERVATION_TYPES: &[&str] = &["Transient", "Seasonal"];
const INVOICE_STATUS: &[&str] = &["Draft", "Open", "Paid", "Void", "Partially Paid"];
const TRANSACTION_TYPES: &[&str] = &["Payment", "Refund", "Credit", "Adjustment"];
const TRANSACTION_METHODS: &[&str] =
    &["Cash", "Check", "Credit Card", "ACH", "Card Present", "Online Payment", "Account Credit", "Wire Transfer"];
const PAYMENT_METHODS: &[&str] = &["Cash", "Check", "Credit Card", "ACH", "Stripe Terminal", "Other"];
const RECORD_STATUS: &[&str] = &["Active", "Inactive", "Deleted", "Archived"];
const ACCOUNT_STATUS: &[&str] = &["Active", "On Hold", "Closed"];
const CONTACT_AUTO_CHARGE: &[&str] = &["Never", "On Invoice Creation", "On Due Date", "Monthly"];
const STATEMENTS_PREFERENCE: &[&str] = &["Email", "Mail", "Email and Mail"];
const INVOICE_ITEM_TYPES: &[&str] = &["Charge", "Payment", "Credit", "Discount", "Refund"];
const SEASONAL_CHARGE_METHODS: &[&str] =
    &["Per Foot", "Flat Rate", "Per Square Foot", "Per Foot (Minimum Length)", "Per Slip Length"];
const SEASONAL_INVOICING_METHODS: &[&str] = &["Single Invoice", "Installments"];
const TRANSIENT_CHARGE_METHODS: &[&str] = &[
    "Per Foot Per Night",
    "Flat Rate Per Night",
    "Per Foot Per Week",
    "Flat Rate Per Week",
    "Per Foot Per Month",
    "Flat Rate Per Month",
    "Per Hour",
    "Per Foot Per Hour",
    "Per Day",
    "Per Foot Per Day",
    "Per Square Foot Per Night",
    "Per Square Foot Per Month",
    "Per Person",
    "Per Boat",
    "Per Night (Tiered)",
    "Per Month (Tiered)",
    "Weekend Rate",
    "Holiday Rate",
    "Per Foot (Min 30 ft) Per Night",
    "Custom",
];
const TRANSIENT_INVOICING_METHODS: &[&str] =
    &["On Check-In", "On Check-Out", "On Reservation", "Daily", "Weekly", "Monthly", "Manual"];
const RECURRING_INVOICE_OPTIONS: &[&str] = &["Monthly", "Quarterly", "Annually"];
const DUE_DATE_SETTINGS: &[&str] = &["Upon Receipt", "Net 15", "Net 30", "Custom"];
const ITEM_CHARGE_METHODS: &[&str] = &[
    "Per Unit",
    "Per Gallon",
    "Per Foot",
    "Per Hour",
    "Flat Fee",
    "Per Day",
    "Per Night",
    "Per Month",
    "Per Kilowatt Hour",
    "Per Pound",
    "Per Bag",
    "Per Square Foot",
    "Per Trip",
    "Per Person",
    "Per Linear Foot",
    "Per Cubic Foot",
    "Percentage",
    "Custom",
];
const INSURANCE_STATUS: &[&str] = &["Valid", "Expired"];
const EQUIPMENT_TYPES: &[&str] = &[
    "Trailer",
    "Outboard Engine",
    "Inboard Engine",
    "Generator",
    "Dinghy",
    "Kayak",
    "Paddle Board",
    "Jet Ski",
    "Boat Lift",
    "Cradle",
    "Jack Stand",
    "Cover",
    "Battery",
    "Fuel Tank",
    "Watermaker",
    "Radar",
    "Chartplotter",
    "Autopilot",
    "Windlass",
    "Other",
];
const EQUIPMENT_FUEL_TYPES: &[&str] =
    &["Gasoline", "Diesel", "Electric", "Hybrid", "Propane", "Mixed Gas/Oil", "None", "Other"];
const VESSEL_ENGINE_CLASS: &[&str] =
    &["Outboard", "Inboard", "Inboard/Outboard", "Jet Drive", "Sail Drive", "Pod Drive"];
const PHONE_TYPES: &[&str] = &["Mobile", "Home", "Work", "Fax", "Emergency", "Other", "Office", "Boat", "Assistant"];
const ADDRESS_TYPES: &[&str] = &["Home", "Billing", "Mailing", "Work"];
const INSTALLMENTS_PAYMENT_METHODS: &[&str] = &["Manual", "Auto-Charge Card", "Auto-Charge ACH", "Check"];
const PAYMENTS_PROVIDER: &[&str] = &["Stripe", "Authorize.Net"];
const CONTACT_TYPES: &[&str] = &[
    "Boat Owner",
    "Transient Boater",
    "Seasonal Tenant",
    "Vendor",
    "Contractor",
    "Broker",
    "Insurance Agent",
    "Employee",
    "Marina Staff",
    "Yacht Club Member",
    "Charter Captain",
    "Guest",
    "Liveaboard",
    "Dry Storage Customer",
    "Fuel Customer",
    "Service Customer",
    "Other",
];
const SLIP_TYPES: &[&str] =
    &["Floating Dock", "Fixed Dock", "Mooring Ball", "Dry Stack", "Boat Lift", "T-Head", "Side Tie"];
const POWER_NEEDS: &[&str] = &[
    "None",
    "15A 120V",
    "20A 120V",
    "30A 125V",
    "2x30A 125V",
    "50A 125V/250V",
    "2x50A 125V/250V",
    "100A 120/208V 3-phase",
    "100A 125V/250V",
    "30A + 50A",
    "50A 208V",
    "2x100A",
    "200A 480V",
    "30A twist lock",
    "50A twist lock",
    "Shore power (unspecified)",
    "16A 230V",
    "32A 230V",
    "63A 400V",
    "Solar only",
    "Generator",
];
const BOAT_TYPE_BASE: &[&str] = &[
    "Sailboat",
    "Sloop",
    "Ketch",
    "Yawl",
    "Cutter",
    "Catamaran",
    "Trimaran",
    "Motor Yacht",
    "Sport Fisher",
    "Express Cruiser",
    "Cabin Cruiser",
    "Center Console",
    "Dual Console",
    "Bowrider",
    "Deck Boat",
    "Pontoon",
    "Tritoon",
    "Trawler",
    "Houseboat",
    "Bass Boat",
    "Jon Boat",
    "Skiff",
    "Flats Boat",
    "Bay Boat",
    "Walkaround",
    "Cuddy Cabin",
    "Runabout",
    "Ski Boat",
    "Wake Boat",
    "Jet Boat",
    "Personal Watercraft",
    "Inflatable",
    "RIB",
    "Dinghy",
    "Kayak",
    "Canoe",
    "Tug",
    "Lobster Boat",
    "Downeast Cruiser",
    "Sedan Bridge",
    "Flybridge",
    "Convertible",
    "Mega Yacht",
    "Superyacht",
    "Expedition Yacht",
    "Commercial Fishing",
    "Charter Boat",
    "Water Taxi",
];
/// Invoice types the invoices use (the table itself is much larger, as in production).
const INVOICE_TYPE_BASE: &[&str] = &[
    "Transient Reservation",
    "Seasonal Contract",
    "Point of Sale",
    "Fuel Sale",
    "Work Order",
    "Winter Storage",
    "Recurring",
    "Credit Note",
    "Deposit",
    "Late Fee",
    "Membership",
    "Miscellaneous",
];
const COUNTRIES: &[&str] = &[
    "United States",
    "Canada",
    "Mexico",
    "Bahamas",
    "Bermuda",
    "Cayman Islands",
    "Jamaica",
    "Puerto Rico",
    "British Virgin Islands",
    "U.S. Virgin Islands",
    "Antigua and Barbuda",
    "Barbados",
    "Belize",
    "Costa Rica",
    "Panama",
    "Colombia",
    "Venezuela",
    "Brazil",
    "Argentina",
    "Chile",
    "Peru",
    "Ecuador",
    "Uruguay",
    "Cuba",
    "Dominican Republic",
    "Haiti",
    "Trinidad and Tobago",
    "Grenada",
    "Saint Lucia",
    "Martinique",
    "Guadeloupe",
    "Aruba",
    "Curaçao",
    "Sint Maarten",
    "Turks and Caicos Islands",
    "United Kingdom",
    "Ireland",
    "France",
    "Germany",
    "Netherlands",
    "Belgium",
    "Luxembourg",
    "Switzerland",
    "Austria",
    "Italy",
    "Spain",
    "Portugal",
    "Greece",
    "Croatia",
    "Slovenia",
    "Montenegro",
    "Albania",
    "Turkey",
    "Cyprus",
    "Malta",
    "Monaco",
    "Norway",
    "Sweden",
    "Denmark",
    "Finland",
    "Iceland",
    "Estonia",
    "Latvia",
    "Lithuania",
    "Poland",
    "Czechia",
    "Slovakia",
    "Hungary",
    "Romania",
    "Bulgaria",
    "Ukraine",
    "Russia",
    "Israel",
    "Egypt",
    "Morocco",
    "Tunisia",
    "South Africa",
    "Kenya",
    "Seychelles",
    "Mauritius",
    "United Arab Emirates",
    "Qatar",
    "Saudi Arabia",
    "Oman",
    "India",
    "Sri Lanka",
    "Maldives",
    "Thailand",
    "Malaysia",
    "Singapore",
    "Indonesia",
    "Philippines",
    "Vietnam",
    "China",
    "Hong Kong",
    "Taiwan",
    "Japan",
    "South Korea",
    "Australia",
    "New Zealand",
    "Fiji",
    "French Polynesia",
    "Tonga",
    "Samoa",
];
const CURRENCIES: &[(&str, &str, &str)] = &[
    ("US Dollar", "USD", "$"),
    ("Canadian Dollar", "CAD", "C$"),
    ("Euro", "EUR", "€"),
    ("British Pound", "GBP", "£"),
    ("Mexican Peso", "MXN", "Mex$"),
    ("Bahamian Dollar", "BSD", "B$"),
    ("Bermudian Dollar", "BMD", "BD$"),
    ("Cayman Islands Dollar", "KYD", "CI$"),
    ("East Caribbean Dollar", "XCD", "EC$"),
    ("Japanese Yen", "JPY", "¥"),
    ("Swiss Franc", "CHF", "CHF"),
    ("Australian Dollar", "AUD", "A$"),
    ("New Zealand Dollar", "NZD", "NZ$"),
    ("Swedish Krona", "SEK", "kr"),
    ("Norwegian Krone", "NOK", "kr"),
    ("Danish Krone", "DKK", "kr."),
    ("Brazilian Real", "BRL", "R$"),
    ("Chinese Yuan", "CNY", "¥"),
    ("Indian Rupee", "INR", "₹"),
    ("South African Rand", "ZAR", "R"),
    ("Singapore Dollar", "SGD", "S$"),
    ("Hong Kong Dollar", "HKD", "HK$"),
    ("Polish Zloty", "PLN", "zł"),
    ("Turkish Lira", "TRY", "₺"),
    ("UAE Dirham", "AED", "د.إ"),
    ("Costa Rican Colón", "CRC", "₡"),
    ("Jamaican Dollar", "JMD", "J$"),
    ("Barbadian Dollar", "BBD", "Bds$"),
    ("Belize Dollar", "BZD", "BZ$"),
    ("Panamanian Balboa", "PAB", "B/."),
];
const CITY_WORDS: &[&str] = &[
    "Oak", "Cedar", "Pine", "Willow", "Maple", "Heron", "Osprey", "Pelican", "Gull", "Dolphin", "Coral", "Shell",
    "Sand", "Rock", "Stone", "Mill", "Fox", "Bear", "Eagle", "Hawk", "Crane", "Swan", "Otter", "Beaver", "Elk", "Deer",
    "Spring", "Clear", "Silver", "Gold", "Green", "Blue", "Red", "White", "Black", "Grand", "Fair", "Glen", "Lake",
    "River",
];
const CITY_FORMS: &[&str] = &[
    "Port {}",
    "{} Harbor",
    "{} Beach",
    "{} Bay",
    "{} Springs",
    "North {}",
    "South {}",
    "{}ville",
    "{} Point",
    "{} Landing",
];

/// Item master bases: (name, kind, price in cents, charge method id).
const ITEM_BASES: &[(&str, Kind, i64, i64)] = &[
    ("Unleaded 89 (gal)", Kind::Fuel, 489, 2),
    ("Ethanol-Free 90 (gal)", Kind::Fuel, 579, 2),
    ("Diesel (gal)", Kind::Fuel, 459, 2),
    ("Premium 93 (gal)", Kind::Fuel, 615, 2),
    ("Ice 10 lb Bag", Kind::Store, 450, 1),
    ("Ice Block", Kind::Store, 550, 1),
    ("Bait Shrimp (dozen)", Kind::Store, 899, 1),
    ("Squid Bait", Kind::Store, 699, 1),
    ("Dock Line 3/8\" x 15'", Kind::Store, 2499, 1),
    ("Dock Line 1/2\" x 25'", Kind::Store, 4299, 1),
    ("Fender 6\" x 20\"", Kind::Store, 3499, 1),
    ("Fender 8\" x 26\"", Kind::Store, 5299, 1),
    ("Boat Hook", Kind::Store, 3999, 1),
    ("Life Jacket, Adult", Kind::Store, 4999, 1),
    ("Life Jacket, Child", Kind::Store, 3999, 1),
    ("Sunscreen SPF 50", Kind::Store, 1299, 1),
    ("Marina T-Shirt", Kind::Store, 2400, 1),
    ("Marina Cap", Kind::Store, 2200, 1),
    ("Coffee", Kind::Store, 275, 1),
    ("Bottled Water", Kind::Store, 200, 1),
    ("Soda", Kind::Store, 225, 1),
    ("Sandwich", Kind::Store, 899, 1),
    ("Chips", Kind::Store, 199, 1),
    ("2-Stroke Oil (qt)", Kind::Store, 1499, 1),
    ("4-Stroke Oil (qt)", Kind::Store, 1299, 1),
    ("Fuel Stabilizer", Kind::Store, 1899, 1),
    ("Spark Plug", Kind::Store, 899, 1),
    ("Boat Soap", Kind::Store, 1599, 1),
    ("Boat Wax", Kind::Store, 2899, 1),
    ("Bilge Pump 500 GPH", Kind::Store, 4599, 1),
    ("Navigation Chart", Kind::Store, 2995, 1),
    ("Flare Kit", Kind::Store, 6499, 1),
    ("Fire Extinguisher", Kind::Store, 4999, 1),
    ("Anchor 13 lb", Kind::Store, 8999, 1),
    ("Anchor Chain (ft)", Kind::Store, 650, 15),
    ("Shackle 3/8\"", Kind::Store, 1199, 1),
    ("Zinc Anode", Kind::Store, 2199, 1),
    ("Propane Exchange", Kind::Store, 2499, 1),
    ("Batteries AA (4)", Kind::Store, 799, 1),
    ("Deck Brush", Kind::Store, 2799, 1),
    ("Sponge", Kind::Store, 399, 1),
    ("Beach Towel", Kind::Store, 1999, 1),
    ("Sunglasses", Kind::Store, 2499, 1),
    ("Fishing Lure", Kind::Store, 1099, 1),
    ("Pump Out", Kind::Service, 1500, 5),
    ("Haul Out (per ft)", Kind::Service, 1400, 3),
    ("Launch", Kind::Service, 7500, 5),
    ("Bottom Paint (per ft)", Kind::Service, 4500, 3),
    ("Pressure Wash (per ft)", Kind::Service, 500, 3),
    ("Shrink Wrap (per ft)", Kind::Service, 1800, 3),
    ("Winterization - Outboard", Kind::Service, 29500, 5),
    ("Winterization - Inboard", Kind::Service, 44500, 5),
    ("Bottom Cleaning (diver)", Kind::Service, 9500, 5),
    ("Detailing (per ft)", Kind::Service, 1600, 3),
    ("Labor - Mechanic (hr)", Kind::Service, 13500, 4),
    ("Labor - Electrician (hr)", Kind::Service, 14500, 4),
    ("Labor - Fiberglass (hr)", Kind::Service, 12500, 4),
    ("Labor - Canvas (hr)", Kind::Service, 11000, 4),
    ("Survey Haul", Kind::Service, 25000, 5),
    ("Mast Step", Kind::Service, 45000, 5),
    ("Engine Diagnostics", Kind::Service, 17500, 5),
    ("Oil Change Service", Kind::Service, 24900, 5),
    ("Dry Stack Launch", Kind::Service, 4500, 5),
    ("Jump Start", Kind::Service, 6500, 5),
    ("Electric 30A (night)", Kind::Utility, 1200, 7),
    ("Electric 50A (night)", Kind::Utility, 2000, 7),
    ("Electric Metered (kWh)", Kind::Utility, 24, 9),
    ("Water Hookup", Kind::Utility, 500, 6),
    ("Cable TV", Kind::Utility, 400, 6),
    ("Wi-Fi Pass", Kind::Utility, 1000, 6),
    ("Parking Pass", Kind::Utility, 7500, 8),
    ("Guest Parking (day)", Kind::Utility, 1500, 6),
    ("Late Fee", Kind::Utility, 3500, 5),
    ("Key Card Replacement", Kind::Utility, 2500, 1),
];
const ITEM_VARIANTS: &[&str] = &[
    "",
    " - Harbor Point",
    " - Cypress Cove",
    " - Pelican Bay",
    " - Lakeside Landing",
    " (Member)",
    " (Promo)",
    " (Legacy)",
    " (Bulk)",
    " (Staff)",
];

/// Extra members of the real archive that no catalog table reads (the loader must ignore them).
const EXTRA_MEMBERS: &[&str] = &[
    "Accounts_Audit.csv",
    "AspNetUsers.csv",
    "EmailLogSet.csv",
    "Reservations_Archive.csv",
    "SV_JobSet.csv",
    "SlipBlockSet.csv",
    "WorkOrders.csv",
    "__MigrationHistory.csv",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Fuel,
    Store,
    Service,
    Utility,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum StayKind {
    Transient,
    Summer,
    Winter,
}

struct Slip {
    id: i64,
    loc: usize,
    pier: i64,
    name: String,
    rec_ft: i64,
    max_ft: i64,
    seasonal_dock: bool,
    active: bool,
    start: Option<NaiveDate>,
    end: Option<NaiveDate>,
    do_not_count: Option<bool>,
    slip_type: i64,
    created: NaiveDateTime,
}

struct Stay {
    id: i64,
    kind: StayKind,
    arrival: NaiveDateTime,
    departure: NaiveDateTime,
    created: NaiveDateTime,
    confirmed: NaiveDateTime,
    boat: i64,
    cancel: Option<NaiveDateTime>,
    checkout: bool,
    no_show: bool,
    rate: i64,
    installments: u32,
    source: &'static str,
}

impl Stay {
    fn nights(&self) -> i64 {
        (self.departure.date() - self.arrival.date()).num_days()
    }

    fn status(&self, now: NaiveDateTime) -> i64 {
        if let Some(c) = self.cancel
            && c <= now
        {
            return ST_CANCELLED;
        }
        if self.arrival > now {
            return if self.confirmed <= now { ST_CONFIRMED } else { ST_PENDING };
        }
        if self.no_show {
            return ST_NO_SHOW;
        }
        if self.departure <= now && self.checkout { ST_CHECKED_OUT } else { ST_CHECKED_IN }
    }
}

struct Item {
    id: i64,
    ty: &'static str,
    title: Cow<'static, str>,
    /// Quantity in 1/100 units.
    qty: i64,
    unit: i64,
    value: i64,
    discount: i64,
    tax_rate_bp: i64,
    tax: i64,
    total: i64,
    taxable: bool,
    item_master: Option<i64>,
    seasonal_price: Option<i64>,
    transient_price: Option<i64>,
    created: NaiveDateTime,
    span: Option<(NaiveDateTime, NaiveDateTime)>,
    soft_deleted: Option<NaiveDateTime>,
    group: &'static str,
}

struct Pay {
    id: i64,
    at: NaiveDateTime,
    amount: i64,
    refund: bool,
    method: i64,
}

struct Inv {
    id: i64,
    loc: usize,
    contact: i64,
    reservation: Option<i64>,
    created: NaiveDateTime,
    date: NaiveDate,
    due: NaiveDate,
    title: String,
    type_id: i64,
    void_at: Option<NaiveDateTime>,
    work_order: Option<i64>,
    installment: bool,
    /// The first installment invoice of the same contract, for later installments.
    original: Option<i64>,
    items: Vec<Item>,
    pays: Vec<Pay>,
}

impl Inv {
    fn visible_items(&self, now: NaiveDateTime) -> impl Iterator<Item = &Item> {
        self.items.iter().filter(move |i| i.created <= now)
    }
    fn paid(&self, now: NaiveDateTime) -> i64 {
        self.pays.iter().filter(|p| p.at <= now).map(|p| p.amount).sum()
    }
}

/// The MOLO side of the world: sizes and the pure functions that derive every entity.
pub(crate) struct Molo<'w> {
    w: &'w World,
    loc_first: [i64; 4],
    loc_count: [i64; 4],
    n_slips: i64,
    piers_per_loc: i64,
    n_boats: i64,
    n_contacts: i64,
    n_item_masters: i64,
    n_invoice_types: i64,
    n_insurance: i64,
    staff: Vec<(String, String)>,
}

/// The person behind MOLO contact `id`, shared with NetSuite customers of the same number.
pub(crate) fn contact_name(seed: u64, id: i64) -> (&'static str, &'static str) {
    let mut r = rng(&[seed, T_CONTACT, id as u64, 0]);
    person(&mut r)
}

impl<'w> Molo<'w> {
    pub(crate) fn new(w: &'w World) -> Self {
        let n = w.n(950.0, 8) as f64;
        let mut loc_first = [0; 4];
        let mut loc_count = [0; 4];
        let mut next = 1;
        for (i, m) in MARINAS.iter().enumerate() {
            loc_count[i] = ((n * m.weight).round() as i64).max(2);
            loc_first[i] = next;
            next += loc_count[i];
        }
        let n_slips = next - 1;
        let n_boats = n_slips + ((n_slips as f64) * 1.4).round() as i64;
        let n_contacts = ((n_boats as f64) * 1.6).round() as i64;
        let mut r = rng(&[w.seed, tag("molo.staff")]);
        let staff = (0..12)
            .map(|_| {
                let (f, l) = person(&mut r);
                let mail =
                    format!("{}.{}@harborlinemarinas.com", f.to_lowercase(), l.to_lowercase().replace([' ', '\''], ""));
                (mail, guid(&mut r))
            })
            .collect();
        Molo {
            w,
            loc_first,
            loc_count,
            n_slips,
            piers_per_loc: (w.n(3.0, 3) as i64).min(26),
            n_boats,
            n_contacts,
            n_item_masters: (w.n(710.0, 80) as i64).min(710),
            n_invoice_types: w.n(40_000.0, INVOICE_TYPE_BASE.len() as u64) as i64,
            n_insurance: w.n(200.0, 5) as i64,
            staff,
        }
    }

    fn seed(&self) -> u64 {
        self.w.seed
    }

    fn loc_of_slip(&self, id: i64) -> usize {
        (0..4).rev().find(|&l| id >= self.loc_first[l]).unwrap_or(0)
    }

    /// Slip size in feet (recommended, maximum); cheap, because transient stays probe it.
    fn slip_size(&self, id: i64) -> (i64, i64) {
        let mut m = Mini::new(hash(&[self.seed(), T_SLIPSIZE, id as u64]));
        const FT: [i64; 12] = [20, 25, 30, 35, 40, 45, 50, 60, 70, 80, 100, 120];
        const W: [u64; 12] = [8, 12, 18, 16, 14, 10, 8, 6, 4, 2, 1, 1];
        let mut x = m.below(W.iter().sum());
        let mut ft = 40;
        for (f, w) in FT.iter().zip(W) {
            if x < w {
                ft = *f;
                break;
            }
            x -= w;
        }
        (ft, ft + 2 + m.below(7) as i64)
    }

    fn slip(&self, id: i64) -> Slip {
        let mut r = rng(&[self.seed(), T_SLIP, id as u64]);
        let loc = self.loc_of_slip(id);
        let k = id - self.loc_first[loc];
        let j = k * self.piers_per_loc / self.loc_count[loc];
        let (rec_ft, max_ft) = self.slip_size(id);
        let active = r.prob(0.975);
        let start = r.prob(0.05).then(|| self.w.hist_start + Duration::days(r.gen_range(30..500)));
        let end = r.prob(0.02).then(|| self.w.hist_start + Duration::days(r.gen_range(200..700)));
        let do_not_count = match r.gen_range(0..100) {
            0..=2 => Some(true),
            3..=12 => None,
            _ => Some(false),
        };
        // A new dock is set up in MOLO well before it opens, i.e. before its first booking.
        let created_day = match start {
            Some(d) => d - Duration::days(200),
            None => self.w.hist_start - Duration::days(r.gen_range(400..3000)),
        };
        Slip {
            id,
            loc,
            pier: loc as i64 * self.piers_per_loc + j + 1,
            name: format!("{}-{}", (b'A' + j as u8) as char, k + 1),
            rec_ft,
            max_ft,
            seasonal_dock: r.prob(0.7),
            active,
            start,
            end,
            do_not_count,
            slip_type: if rec_ft >= 70 { 6 } else { r.weighted(&[40.0, 25.0, 6.0, 5.0, 4.0, 0.0, 20.0]) as i64 + 1 },
            created: at(created_day, 14, r.gen_range(0..60), r.gen_range(0..60)),
        }
    }

    /// Boat length in inches: home boats (ids up to the slip count) fit their slip; the
    /// others form the transient pool, 16 to 120 ft.
    fn boat_loa_in(&self, b: i64) -> i64 {
        let mut m = Mini::new(hash(&[self.seed(), T_BOATSIZE, b as u64]));
        if b <= self.n_slips {
            let (rec, _) = self.slip_size(b);
            return (rec * 12 - m.below(48) as i64).max(16 * 12);
        }
        let band = m.below(100);
        let ft = match band {
            0..=19 => 16 + m.below(10),
            20..=49 => 26 + m.below(10),
            50..=74 => 36 + m.below(10),
            75..=89 => 46 + m.below(15),
            90..=95 => 61 + m.below(20),
            _ => 81 + m.below(40),
        } as i64;
        ft * 12 + m.below(12) as i64
    }

    fn pool_boat(&self, r: &mut ChaCha8Rng, max_ft: i64, home: i64) -> i64 {
        let pool = self.n_boats - self.n_slips;
        for _ in 0..30 {
            let b = self.n_slips + 1 + r.gen_range(0..pool);
            if self.boat_loa_in(b) <= max_ft * 12 {
                return b;
            }
        }
        home
    }

    fn billed_ft(&self, boat: i64) -> i64 {
        (self.boat_loa_in(boat) + 11) / 12
    }

    /// The timeline of one slip. `next_id` is the walk's reservation counter.
    fn stays(&self, slip: &Slip, next_id: &mut i64) -> Vec<Stay> {
        let mut out = Vec::new();
        if !slip.active {
            return out;
        }
        let w = self.w;
        let mut r = rng(&[self.seed(), T_STAYS, slip.id as u64]);
        let start = slip.start.map_or(w.hist_start, |s| s.max(w.hist_start));
        let end = slip.end.map_or(w.horizon, |e| e.min(w.horizon));
        let marina = &MARINAS[slip.loc];
        let y0 = w.hist_start.year() - 1;
        let y1 = w.horizon.year() + 1;
        let mut seasons = Vec::new();
        for y in y0..=y1 {
            seasons.push((ymd(y - 1, 11, 1), ymd(y, 4, 15), false));
            seasons.push((ymd(y, 4, 15), ymd(y, 11, 1), true));
        }
        let mut push = |out: &mut Vec<Stay>, mut s: Stay| {
            *next_id += 1;
            s.id = RES_BASE + *next_id;
            out.push(s);
        };
        for (s0, s1, summer) in seasons {
            let a = s0.max(start);
            let b = s1.min(end);
            if b <= a {
                continue;
            }
            let p_seasonal = match (summer, slip.seasonal_dock) {
                (true, true) => 0.8,
                (true, false) => 0.1,
                (false, true) => 0.38,
                (false, false) => 0.06,
            };
            let mut fill_from = a;
            if r.prob(p_seasonal) {
                let arr = s0 + Duration::days(r.gen_range(0..if summer { 24 } else { 14 }));
                let dep = (s1 - Duration::days(r.gen_range(0..24))).min(b);
                // A seasonal stay may have begun before the simulated history (the first winter);
                // it may not begin before the slip exists.
                let opened = slip.start.map_or(w.hist_start - Duration::days(180), |s| s.max(w.hist_start));
                if arr >= opened && (dep - arr).num_days() >= 45 {
                    let boat = if r.prob(0.85) { slip.id } else { self.pool_boat(&mut r, slip.max_ft, slip.id) };
                    let created_day = arr - Duration::days(r.gen_range(14..160));
                    let created = local_to_utc(created_day, r.gen_range(8..18), r.gen_range(0..60));
                    let cancel = r.prob(0.04).then(|| {
                        let span = (arr - created_day).num_days().max(2);
                        created + Duration::days(r.gen_range(1..span))
                    });
                    let ft = self.billed_ft(boat);
                    let per_ft = if summer { marina.night_per_ft * 28 } else { marina.night_per_ft * 12 };
                    let installments = if summer { *r.pick(&[1, 1, 2, 4, 6]) } else { *r.pick(&[1, 3]) };
                    let stay = Stay {
                        id: 0,
                        kind: if summer { StayKind::Summer } else { StayKind::Winter },
                        arrival: local_to_utc(arr, 0, 0),
                        departure: local_to_utc(dep, 0, 0),
                        created,
                        confirmed: created + Duration::hours(r.gen_range(0..96)),
                        boat,
                        cancel,
                        checkout: r.prob(0.55),
                        no_show: false,
                        rate: ft * per_ft,
                        installments,
                        source: ["Dockmaster", "Dockmaster", "Contract Renewal", "Phone"][r.gen_range(0..4)],
                    };
                    let cancelled = stay.cancel.is_some();
                    let dep_day = stay.departure.date();
                    push(&mut out, stay);
                    if !cancelled {
                        fill_from = dep_day + Duration::days(1);
                    }
                }
            }
            // Transient stays fill what the season leaves free.
            let mut t = fill_from;
            loop {
                let mean_gap = if summer {
                    match t.month() {
                        6..=8 => 0.6,
                        5 | 9 => 2.5,
                        _ => 6.0,
                    }
                } else {
                    100.0
                };
                let u: f64 = r.gen_range(f64::EPSILON..1.0);
                t += Duration::days((-mean_gap * u.ln()).floor() as i64);
                let nights: i64 = if summer {
                    const N: [i64; 10] = [1, 2, 3, 4, 5, 7, 10, 14, 21, 30];
                    N[r.weighted(&[10.0, 18.0, 16.0, 10.0, 8.0, 14.0, 6.0, 8.0, 4.0, 6.0])]
                } else {
                    *r.pick(&[7, 14, 14, 30, 30, 30, 60])
                };
                if t + Duration::days(nights) > b {
                    break;
                }
                let arr = local_to_utc(t, 13 + r.gen_range(0..5), *r.pick(&[0, 15, 30, 45]));
                let dep = local_to_utc(t + Duration::days(nights), 10 + r.gen_range(0..3), *r.pick(&[0, 0, 30]));
                let lead = if r.prob(0.15) { 0 } else { r.gen_range(1..45) };
                let created_day = t - Duration::days(lead);
                let created = if lead == 0 {
                    arr - Duration::minutes(r.gen_range(20..300))
                } else {
                    local_to_utc(created_day, r.gen_range(7..21), r.gen_range(0..60))
                };
                let boat = self.pool_boat(&mut r, slip.max_ft, slip.id);
                let ft = self.billed_ft(boat);
                let factor = if nights >= 28 {
                    0.6
                } else if nights >= 7 {
                    0.85
                } else {
                    1.0
                };
                let rate = ((nights * ft * marina.night_per_ft) as f64 * factor).round() as i64;
                let source = *r.pick(&["Dockmaster", "Online", "Online", "Phone", "Dockwa", "Walk-in"]);
                // A double booking that was cancelled in favour of this one (lower id).
                if lead > 3 && r.prob(0.03) {
                    let ghost_boat = self.pool_boat(&mut r, slip.max_ft, slip.id);
                    let gc = created - Duration::days(1);
                    push(
                        &mut out,
                        Stay {
                            id: 0,
                            kind: StayKind::Transient,
                            arrival: arr,
                            departure: dep,
                            created: gc,
                            confirmed: gc + Duration::hours(2),
                            boat: ghost_boat,
                            cancel: Some(created + Duration::hours(r.gen_range(1..48)).min(arr - created)),
                            checkout: false,
                            no_show: false,
                            rate,
                            installments: 1,
                            source,
                        },
                    );
                }
                let cancel = (lead > 1 && r.prob(0.07))
                    .then(|| (created + Duration::hours(r.gen_range(1..lead * 24))).min(arr - Duration::hours(1)));
                push(
                    &mut out,
                    Stay {
                        id: 0,
                        kind: StayKind::Transient,
                        arrival: arr,
                        departure: dep,
                        created,
                        confirmed: created + Duration::hours(r.gen_range(0..48)),
                        boat,
                        cancel,
                        checkout: r.prob(0.88),
                        no_show: cancel.is_none() && r.prob(0.015),
                        rate,
                        installments: 1,
                        source,
                    },
                );
                t += Duration::days(nights);
            }
        }
        out
    }

    fn tax_bp(&self, loc: usize) -> i64 {
        [600, 600, 700, 600][loc]
    }

    fn item_master(&self, id: i64) -> (String, Kind, i64, i64, Option<usize>) {
        let i = (id - 1) as usize;
        let (name, kind, price, method) = ITEM_BASES[i % ITEM_BASES.len()];
        let v = i / ITEM_BASES.len();
        let loc = (1..=4).contains(&v).then(|| v - 1);
        let price = match v {
            5 => price * 9 / 10,
            6 => price * 8 / 10,
            8 => price * 85 / 100,
            _ => price,
        };
        (format!("{name}{}", ITEM_VARIANTS[v]), kind, price, method, loc)
    }

    /// An item master of the given kind, preferring the marina's own variant.
    fn pick_item(&self, r: &mut ChaCha8Rng, kind: Kind, loc: usize) -> i64 {
        let nb = ITEM_BASES.len() as i64;
        let bases: Vec<i64> = (0..nb).filter(|b| ITEM_BASES[*b as usize].1 == kind).collect();
        let b = *r.pick(&bases);
        let variant = if r.prob(0.6) { loc as i64 + 1 } else { *r.pick(&[0, 5, 6, 7, 8]) };
        let id = variant * nb + b + 1;
        if id <= self.n_item_masters { id } else { b + 1 }
    }

    #[allow(clippy::too_many_arguments)]
    fn make_item(
        &self,
        ids: &mut Ids,
        ty: &'static str,
        title: Cow<'static, str>,
        qty: i64,
        unit: i64,
        taxable: bool,
        loc: usize,
        created: NaiveDateTime,
    ) -> Item {
        ids.item += 1;
        let id = ITEM_BASE + ids.item;
        let value = (qty * unit + 50).div_euclid(100);
        let tax_rate_bp = if taxable { self.tax_bp(loc) } else { 0 };
        let tax = (value * tax_rate_bp + 5000).div_euclid(10_000);
        let soft_deleted = chance(&[self.seed(), T_ITEM, id as u64, 1], 0.012).then(|| created + Duration::hours(3));
        Item {
            id,
            ty,
            title,
            qty,
            unit,
            value,
            discount: 0,
            tax_rate_bp,
            tax,
            total: value + tax,
            taxable,
            item_master: None,
            seasonal_price: None,
            transient_price: None,
            created,
            span: None,
            soft_deleted,
            group: "General",
        }
    }

    fn payments(&self, ids: &mut Ids, inv: &mut Inv, r: &mut ChaCha8Rng, when: &[(NaiveDateTime, i64)]) {
        for (at, amount) in when {
            if *amount == 0 {
                continue;
            }
            ids.pay += 1;
            inv.pays.push(Pay {
                id: PAY_BASE + ids.pay,
                at: *at,
                amount: *amount,
                refund: *amount < 0,
                method: r.weighted(&[8.0, 10.0, 45.0, 8.0, 15.0, 12.0, 1.0, 1.0]) as i64 + 1,
            });
        }
    }

    fn void_and_refund(&self, ids: &mut Ids, inv: &mut Inv, r: &mut ChaCha8Rng, at: NaiveDateTime) {
        inv.void_at = Some(at);
        let paid: i64 = inv.pays.iter().filter(|p| p.at <= at).map(|p| p.amount).sum();
        inv.pays.retain(|p| p.at <= at);
        if paid > 0 {
            self.payments(ids, inv, r, &[(at + Duration::minutes(5), -paid)]);
        }
    }

    /// The invoices of a stay (one for a transient stay, one per installment otherwise).
    fn stay_invoices(&self, slip: &Slip, stay: &Stay, ids: &mut Ids) -> Vec<Inv> {
        let mut r = rng(&[self.seed(), T_INV, stay.id as u64]);
        let mut out = Vec::new();
        let contact = stay.boat;
        let loc = slip.loc;
        let nights = stay.nights().max(1);
        match stay.kind {
            StayKind::Transient => {
                ids.inv += 1;
                let created = stay.created + Duration::minutes(r.gen_range(1..30));
                let mut inv = Inv {
                    id: INV_BASE + ids.inv,
                    loc,
                    contact,
                    reservation: Some(stay.id),
                    created,
                    date: stay.arrival.date(),
                    due: stay.arrival.date(),
                    title: format!("Transient Dockage - Slip {}", slip.name),
                    type_id: 1,
                    void_at: None,
                    work_order: None,
                    installment: false,
                    original: None,
                    items: Vec::new(),
                    pays: Vec::new(),
                };
                let ft = self.billed_ft(stay.boat);
                let per_night = stay.rate as f64 / nights as f64 / ft as f64 / 100.0;
                let mut it = self.make_item(
                    ids,
                    "charge-reservation-transitive",
                    Cow::Owned(format!("Transient Dockage: {nights} night(s) x {ft} ft @ ${per_night:.2}/ft")),
                    100,
                    stay.rate,
                    true,
                    loc,
                    created,
                );
                it.transient_price = Some(
                    loc as i64 * 5
                        + if nights >= 28 {
                            3
                        } else if nights >= 7 {
                            2
                        } else {
                            1
                        },
                );
                it.span = Some((stay.arrival, stay.departure));
                it.group = "Dockage";
                inv.items.push(it);
                if r.prob(0.7) {
                    let fifty = ft >= 40;
                    let base = if fifty { 68 } else { 67 };
                    let mut it = self.make_item(
                        ids,
                        "charge-item",
                        Cow::Borrowed(if fifty { "Electric 50A (night)" } else { "Electric 30A (night)" }),
                        nights * 100,
                        if fifty { 2000 } else { 1200 },
                        true,
                        loc,
                        created,
                    );
                    it.item_master = Some(base.min(self.n_item_masters));
                    it.group = "Utilities";
                    inv.items.push(it);
                }
                if r.prob(0.15) {
                    let mut it = self.make_item(
                        ids,
                        "charge-item",
                        Cow::Borrowed("Pump Out"),
                        100,
                        1500,
                        true,
                        loc,
                        stay.departure,
                    );
                    it.item_master = Some(45);
                    inv.items.push(it);
                }
                if r.prob(0.06) {
                    let disc = -(stay.rate / 10);
                    let mut it = self.make_item(
                        ids,
                        "charge-discount",
                        Cow::Borrowed("BoatUS Member Discount 10%"),
                        100,
                        disc,
                        false,
                        loc,
                        created,
                    );
                    it.group = "Discounts";
                    inv.items.push(it);
                }
                let total_at_creation: i64 = inv.items.iter().filter(|i| i.created <= created).map(|i| i.total).sum();
                let total: i64 = inv.items.iter().map(|i| i.total).sum();
                let dep = stay.departure + Duration::minutes(r.gen_range(0..240));
                let plan = r.gen_range(0..100);
                let when: Vec<(NaiveDateTime, i64)> = match plan {
                    0..=19 => {
                        vec![(created + Duration::minutes(2), total_at_creation), (dep, total - total_at_creation)]
                    }
                    20..=24 => vec![
                        (created + Duration::minutes(2), total / 2),
                        (dep + Duration::days(r.gen_range(1..20)), total - total / 2),
                    ],
                    25..=27 => vec![],
                    _ => vec![(dep, total)],
                };
                self.payments(ids, &mut inv, &mut r, &when);
                if let Some(c) = stay.cancel {
                    self.void_and_refund(ids, &mut inv, &mut r, c);
                }
                if stay.no_show {
                    inv.void_at = Some(stay.arrival + Duration::days(1));
                    inv.pays.retain(|p| p.at <= stay.arrival);
                }
                out.push(inv);
            }
            StayKind::Summer | StayKind::Winter => {
                let k = stay.installments as i64;
                let season = if stay.kind == StayKind::Summer { "Summer Season" } else { "Winter Storage" };
                let year = stay.arrival.year();
                let first_id = INV_BASE + ids.inv + 1;
                for i in 0..k {
                    let created = (stay.arrival - Duration::days(14) + Duration::days(30 * i))
                        .max(stay.created + Duration::hours(1));
                    if let Some(c) = stay.cancel
                        && created >= c
                    {
                        break;
                    }
                    ids.inv += 1;
                    let due = created.date() + Duration::days(15);
                    let mut inv = Inv {
                        id: INV_BASE + ids.inv,
                        loc,
                        contact,
                        reservation: Some(stay.id),
                        created,
                        date: created.date(),
                        due,
                        title: if k == 1 {
                            format!("{season} {year} - Slip {}", slip.name)
                        } else {
                            format!("{season} {year} - Installment {} of {k}", i + 1)
                        },
                        type_id: if stay.kind == StayKind::Summer { 2 } else { 6 },
                        void_at: None,
                        work_order: None,
                        installment: k > 1,
                        original: (i > 0).then_some(first_id),
                        items: Vec::new(),
                        pays: Vec::new(),
                    };
                    let share = if i == k - 1 { stay.rate - (stay.rate / k) * (k - 1) } else { stay.rate / k };
                    let ft = self.billed_ft(stay.boat);
                    let mut it = self.make_item(
                        ids,
                        "charge-reservation-seasonal",
                        Cow::Owned(format!(
                            "{season} {year}: {ft} ft @ ${:.2}/ft",
                            stay.rate as f64 / ft as f64 / 100.0
                        )),
                        100,
                        share,
                        stay.kind == StayKind::Summer,
                        loc,
                        created,
                    );
                    it.seasonal_price = Some(loc as i64 + 1);
                    it.span = Some((stay.arrival, stay.departure));
                    it.group = "Dockage";
                    inv.items.push(it);
                    if stay.kind == StayKind::Winter && i == 0 && r.prob(0.5) {
                        let mut it = self.make_item(
                            ids,
                            "charge-item",
                            Cow::Borrowed("Shrink Wrap (per ft)"),
                            ft * 100,
                            1800,
                            true,
                            loc,
                            created,
                        );
                        it.item_master = Some(50);
                        inv.items.push(it);
                    }
                    if stay.kind == StayKind::Summer && r.prob(0.5) {
                        let kwh = r.gen_range(80..900);
                        let mut it = self.make_item(
                            ids,
                            "charge-metered",
                            Cow::Owned(format!("Electric Metered: {kwh} kWh")),
                            kwh * 100,
                            24,
                            true,
                            loc,
                            created + Duration::days(r.gen_range(1..25)),
                        );
                        it.item_master = Some(69);
                        it.group = "Utilities";
                        inv.items.push(it);
                    }
                    let total: i64 = inv.items.iter().map(|i| i.total).sum();
                    let pay_at = at(due, 12, 0, 0)
                        + Duration::days(r.gen_range(-12..25))
                        + Duration::minutes(r.gen_range(0..600));
                    let when =
                        if r.prob(0.04) { vec![] } else { vec![(pay_at.max(created + Duration::minutes(5)), total)] };
                    self.payments(ids, &mut inv, &mut r, &when);
                    if let Some(c) = stay.cancel {
                        self.void_and_refund(ids, &mut inv, &mut r, c);
                    }
                    out.push(inv);
                }
            }
        }
        out
    }

    /// Counter sales of one day: fuel, store, service work orders.
    fn store_invoices(&self, day: NaiveDate, ids: &mut Ids) -> Vec<Inv> {
        let di = (day - self.w.hist_start).num_days() as u64;
        let mut r = rng(&[self.seed(), T_STORE_DAY, di]);
        let season = match day.month() {
            5..=9 => 1.5,
            4 | 10 => 1.0,
            _ => 0.35,
        };
        let weekend = matches!(day.weekday(), Weekday::Sat | Weekday::Sun);
        let lambda = 55.0 * self.w.scale * season * if weekend { 1.3 } else { 1.0 };
        let n = r.poisson(lambda);
        let mut out = Vec::with_capacity(n as usize);
        for k in 0..n {
            let mut r = rng(&[self.seed(), T_STORE, di, k as u64]);
            let loc = r.weighted(&MARINAS.map(|m| m.weight));
            // Contacts up to the boat count own boats; the others are walk-up customers
            // who signed up over time (their ids grow with their creation time).
            let contact = if r.prob(0.7) {
                r.gen_range(1..=self.n_boats)
            } else {
                let known = self.contacts_created_by(at(day, 0, 0, 0));
                if known > self.n_boats { r.gen_range(self.n_boats + 1..=known) } else { r.gen_range(1..=self.n_boats) }
            };
            let created =
                local_to_utc(day, r.gen_range(7..19), r.gen_range(0..60)) + Duration::seconds(r.gen_range(0..60));
            ids.inv += 1;
            let kind = match r.gen_range(0..100) {
                0..=44 => Kind::Fuel,
                45..=84 => Kind::Store,
                _ => Kind::Service,
            };
            let (title, type_id, ty) = match kind {
                Kind::Fuel => ("Fuel Dock Sale", 4, "charge-fuel"),
                Kind::Store => ("Ship Store Sale", 3, "charge-item"),
                _ => ("Service Work Order", 5, "charge-service"),
            };
            let mut inv = Inv {
                id: INV_BASE + ids.inv,
                loc,
                contact,
                reservation: None,
                created,
                date: day,
                due: if kind == Kind::Service { day + Duration::days(30) } else { day },
                title: title.to_string(),
                type_id,
                void_at: None,
                work_order: (kind == Kind::Service).then(|| 70_000 + ids.inv),
                installment: false,
                original: None,
                items: Vec::new(),
                pays: Vec::new(),
            };
            let n_items = match kind {
                Kind::Fuel => r.gen_range(1..=2),
                Kind::Store => r.gen_range(1..=8),
                _ => r.gen_range(2..=6),
            };
            for j in 0..n_items {
                let ik = if kind == Kind::Fuel && j > 0 { Kind::Store } else { kind };
                let im = self.pick_item(&mut r, ik, loc);
                let (name, _, price, _, _) = self.item_master(im);
                let qty = match ik {
                    Kind::Fuel => r.gen_range(800..25_000),
                    Kind::Service => *r.pick(&[100, 150, 200, 300, 2500, 3500]),
                    _ => 100 * r.gen_range(1..4),
                };
                let ty = if ik == Kind::Service && name.starts_with("Labor") {
                    "charge-labor"
                } else if ik == Kind::Store {
                    "charge-item"
                } else {
                    ty
                };
                let mut it = self.make_item(ids, ty, Cow::Owned(name), qty, price, ik != Kind::Fuel, loc, created);
                it.item_master = Some(im);
                it.group = match ik {
                    Kind::Fuel => "Fuel",
                    Kind::Service => "Service",
                    _ => "Retail",
                };
                inv.items.push(it);
            }
            let total: i64 = inv.items.iter().map(|i| i.total).sum();
            let when = match r.gen_range(0..100) {
                0..=84 => vec![(created + Duration::minutes(r.gen_range(1..10)), total)],
                85..=96 => {
                    vec![(created + Duration::days(r.gen_range(1..30)) + Duration::minutes(r.gen_range(0..600)), total)]
                }
                _ => vec![],
            };
            self.payments(ids, &mut inv, &mut r, &when);
            if r.prob(0.01) {
                let at = created + Duration::minutes(r.gen_range(15..600));
                self.void_and_refund(ids, &mut inv, &mut r, at);
            }
            out.push(inv);
        }
        out
    }

    /// Contact ids above the boat count sign up over time: the number that exist at `t`.
    fn contacts_created_by(&self, t: NaiveDateTime) -> i64 {
        let (c0, c1) = self.walkup_span();
        let others = self.n_contacts - self.n_boats;
        let f = ((t - c0).num_seconds() as f64 / (c1 - c0).num_seconds() as f64).clamp(0.0, 1.0);
        self.n_boats + (others as f64 * f).floor() as i64
    }

    fn walkup_span(&self) -> (NaiveDateTime, NaiveDateTime) {
        (at(self.w.hist_start - Duration::days(1000), 0, 0, 0), at(self.w.final_date, 5, 0, 0))
    }

    fn contact_created(&self, id: i64) -> NaiveDateTime {
        let mut m = Mini::new(hash(&[self.seed(), T_CONTACT, id as u64, 7]));
        if id <= self.n_boats {
            // Boat owners exist before any reservation of theirs could have been made.
            return at(self.w.hist_start - Duration::days(200 + m.below(3000) as i64), 0, 0, 0)
                + Duration::seconds(m.below(86_400) as i64);
        }
        // Inverse of contacts_created_by: the k-th walk-up contact exists from its slot on.
        let (c0, c1) = self.walkup_span();
        let others = (self.n_contacts - self.n_boats) as f64;
        let k = (id - self.n_boats) as f64;
        let secs = ((k - 1.0 + m.unit() * 0.5) / others * (c1 - c0).num_seconds() as f64) as i64;
        c0 + Duration::seconds(secs.max(0))
    }

    /// The deterministic walk over everything that carries a generated id.
    fn walk(&self, f: &mut dyn FnMut(Ev<'_>) -> Result<()>) -> Result<()> {
        let mut ids = Ids::default();
        for sid in 1..=self.n_slips {
            let slip = self.slip(sid);
            let stays = self.stays(&slip, &mut ids.res);
            for stay in &stays {
                f(Ev::Stay(&slip, stay))?;
                for inv in self.stay_invoices(&slip, stay, &mut ids) {
                    f(Ev::Inv(&inv))?;
                }
            }
        }
        for day in self.w.hist_start.iter_days().take_while(|d| *d <= self.w.final_date) {
            for inv in self.store_invoices(day, &mut ids) {
                f(Ev::Inv(&inv))?;
            }
        }
        Ok(())
    }
}

#[derive(Default)]
struct Ids {
    res: i64,
    inv: i64,
    item: i64,
    pay: i64,
}

enum Ev<'a> {
    Stay(&'a Slip, &'a Stay),
    Inv(&'a Inv),
}

fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

/// A MOLO date-only value: mostly local midnight in UTC, sometimes a plain 00:00:00.
fn molo_date(d: NaiveDate, key: u64) -> Val {
    if unit(hash(&[key, 0x3D17])) < 0.2 { Val::DateMidnight(d) } else { Val::Date(d) }
}

/// Lookup tables whose rows are just an id and a name.
const PLAIN_LOOKUPS: &[(&str, &[&str])] = &[
    ("slip_types", SLIP_TYPES),
    ("record_status", RECORD_STATUS),
    ("power_needs", POWER_NEEDS),
    ("reservation_types", RESERVATION_TYPES),
    ("contact_types", CONTACT_TYPES),
    ("invoice_status", INVOICE_STATUS),
    ("transaction_types", TRANSACTION_TYPES),
    ("account_status", ACCOUNT_STATUS),
    ("payment_methods", PAYMENT_METHODS),
    ("due_date_settings", DUE_DATE_SETTINGS),
    ("insurance_status", INSURANCE_STATUS),
    ("equipment_types", EQUIPMENT_TYPES),
    ("phone_types", PHONE_TYPES),
    ("address_types", ADDRESS_TYPES),
    ("payments_provider", PAYMENTS_PROVIDER),
    ("reservation_status", RESERVATION_STATUS),
    ("transaction_methods", TRANSACTION_METHODS),
    ("contact_auto_charge", CONTACT_AUTO_CHARGE),
    ("statements_preference", STATEMENTS_PREFERENCE),
    ("invoice_item_types", INVOICE_ITEM_TYPES),
    ("seasonal_charge_methods", SEASONAL_CHARGE_METHODS),
    ("seasonal_invoicing_methods", SEASONAL_INVOICING_METHODS),
    ("transient_charge_methods", TRANSIENT_CHARGE_METHODS),
    ("transient_invoicing_methods", TRANSIENT_INVOICING_METHODS),
    ("recurring_invoice_options", RECURRING_INVOICE_OPTIONS),
    ("item_charge_methods", ITEM_CHARGE_METHODS),
    ("equipment_fuel_types", EQUIPMENT_FUEL_TYPES),
    ("vessel_engine_class", VESSEL_ENGINE_CLASS),
    ("installments_payment_methods", INSTALLMENTS_PAYMENT_METHODS),
];

fn lookup<W: Write>(tw: &mut TableWriter<W>, seed: u64, names: &[&'static str], created: NaiveDateTime) -> Result<()> {
    for (i, n) in names.iter().enumerate() {
        tw.begin(hash(&[seed, tag(n), i as u64]), created).set("Id", i as i64 + 1).set("Name", *n);
        tw.end()?;
    }
    Ok(())
}

/// Writes the MOLO snapshot as of `now` into `sink`.
pub(crate) fn write(w: &World, now: NaiveDateTime, sink: &mut Sink) -> Result<Tally> {
    let m = Molo::new(w);
    let mut tally = Tally::default();
    let old = at(w.hist_start - Duration::days(1500), 15, 4, 11);
    // Members in name order, as the exporter lists them; extras interleaved.
    let mut members: Vec<(String, Option<String>)> = Catalog::get()
        .tables_of(SYS)
        .map(|t| (t.file.clone(), Some(t.name.clone())))
        .chain(EXTRA_MEMBERS.iter().map(|e| (e.to_string(), None)))
        .collect();
    members.sort();
    for (file, name) in members {
        let Some(name) = name else {
            write_extra(&m, sink, &file, now)?;
            continue;
        };
        let seed = w.seed;
        if let Some((_, names)) = PLAIN_LOOKUPS.iter().find(|(t, _)| *t == name) {
            table(sink, &mut tally, SYS, &name, |tw| lookup(tw, seed, names, old))?;
            continue;
        }
        match name.as_str() {
            "marina_locations" => table(sink, &mut tally, SYS, &name, |tw| {
                for (i, mk) in MARINAS.iter().enumerate() {
                    let mut r = rng(&[seed, tag("molo.marina"), i as u64]);
                    tw.begin(hash(&[seed, tag("marina"), i as u64]), old)
                        .set("Id", mk.molo_id)
                        .set("Name", mk.name)
                        .set("PrimaryPhoneNumber", phone(&mut r))
                        .set("PrimaryFaxNumber", if i % 2 == 0 { Val::from(phone(&mut r)) } else { Val::Null })
                        .set("Organization_Id", 1)
                        .set("MarinaHash", hex(&mut r, 24))
                        .set("UnitSystem", "Imperial")
                        .set("DefaultArrivalTime", "14:00")
                        .set("DefaultDepartureTime", "11:00")
                        .set("EmailAddress", format!("dockmaster@{}.com", mk.short.to_lowercase().replace(' ', "")))
                        .set(
                            "MarinaWebsite",
                            format!("https://www.{}marina.com", mk.short.to_lowercase().replace(' ', "")),
                        )
                        .set("TimeZone", if i == 3 { "Eastern Standard Time" } else { "Central Standard Time" });
                    tw.end()?;
                }
                Ok(())
            })?,
            "piers" => table(sink, &mut tally, SYS, &name, |tw| {
                for (loc, mk) in MARINAS.iter().enumerate() {
                    for j in 0..m.piers_per_loc {
                        let id = loc as i64 * m.piers_per_loc + j + 1;
                        tw.begin(hash(&[seed, tag("pier"), id as u64]), old)
                            .set("Id", id)
                            .set("Name", format!("{} Dock", (b'A' + j as u8) as char))
                            .set("MarinaLocationId", mk.molo_id);
                        tw.end()?;
                    }
                }
                Ok(())
            })?,
            "slips" => table(sink, &mut tally, SYS, &name, |tw| write_slips(&m, tw, now))?,
            "reservations" => table(sink, &mut tally, SYS, &name, |tw| write_reservations(&m, tw, now))?,
            "companies" => table(sink, &mut tally, SYS, &name, |tw| {
                tw.begin(hash(&[seed, tag("company")]), old)
                    .set("Id", 1)
                    .set("Name", "Harborline Marina Group, LLC")
                    .set("Owner", "Harborline Holdings")
                    .set("PrimaryFaxNumber", Val::Null)
                    .set("PrimaryPhoneNumber", "(410) 555-0143")
                    .set("City_Id", 1)
                    .set("Description", "Operator of four marinas; \"full service\", fuel, storage & rentals.")
                    .set("InvoiceAtCompanyLevel", false)
                    .set("StripeCustomerId", "cus_Q8x2LrT0aBcD9e")
                    .set("DefaultCCFee", Val::Dec(3, 2))
                    .set("Tier1PercentACHFee", Val::Dec(8, 3))
                    .set("Tier2PercentACHFee", Val::Dec(5, 3));
                tw.end()
            })?,
            "contacts" => table(sink, &mut tally, SYS, &name, |tw| write_contacts(&m, tw, now))?,
            "boats" => table(sink, &mut tally, SYS, &name, |tw| write_boats(&m, tw, now))?,
            "accounts" => table(sink, &mut tally, SYS, &name, |tw| {
                for c in 1..=m.n_contacts {
                    let created = m.contact_created(c);
                    if created > now {
                        continue;
                    }
                    let mut mi = Mini::new(hash(&[seed, tag("account"), c as u64]));
                    let loc = home_loc(&m, c);
                    tw.begin(hash(&[seed, tag("account"), c as u64]), created)
                        .set("Id", c + ACCOUNT_OFFSET)
                        .set("AccountStatusId", if mi.unit() < 0.94 { 1 } else { 1 + mi.below(3) as i64 })
                        .set("MarinaLocationId", MARINAS[loc].molo_id)
                        .set("Contact_Id", c);
                    tw.end()?;
                }
                Ok(())
            })?,
            "invoices" => table(sink, &mut tally, SYS, &name, |tw| write_invoices(&m, tw, now))?,
            "invoice_items" => table(sink, &mut tally, SYS, &name, |tw| write_items(&m, tw, now))?,
            "transactions" => table(sink, &mut tally, SYS, &name, |tw| write_transactions(&m, tw, now))?,
            "item_masters" => table(sink, &mut tally, SYS, &name, |tw| write_item_masters(&m, tw))?,
            "seasonal_prices" => table(sink, &mut tally, SYS, &name, |tw| {
                for (i, mk) in MARINAS.iter().enumerate() {
                    let y = w.final_date.year();
                    tw.begin(hash(&[seed, tag("seasonal_price"), i as u64]), old)
                        .set("Id", i as i64 + 1)
                        .set("SeasonName", format!("Summer Season - {}", mk.short))
                        .set("StartDate", molo_date(ymd(y, 4, 15), i as u64))
                        .set("EndDate", molo_date(ymd(y, 10, 31), i as u64))
                        .set("SeasonalChargeMethodId", 1)
                        .set("PricePerFoot", cents(mk.night_per_ft * 28))
                        .set("FlatRate", Val::Null)
                        .set("Taxable", true)
                        .set("MarinaLocationId", mk.molo_id)
                        .set("Active", true)
                        .set("Tax", Val::Dec(m.tax_bp(i), 4))
                        .set("SeasonalInvoicingMethod_Id", 2)
                        .set("DueDateDays", 15)
                        .set("DueDateSettings_Id", 2);
                    tw.end()?;
                }
                Ok(())
            })?,
            "transient_prices" => table(sink, &mut tally, SYS, &name, |tw| {
                const RATES: [(&str, i64, i64); 5] = [
                    ("Nightly", 100, 1),
                    ("Weekly", 85, 3),
                    ("Monthly", 60, 5),
                    ("Holiday Weekend", 125, 17),
                    ("Day Dock (hourly)", 15, 8),
                ];
                for (i, mk) in MARINAS.iter().enumerate() {
                    for (j, (n, pct, method)) in RATES.iter().enumerate() {
                        let id = i as i64 * 5 + j as i64 + 1;
                        // One retired rate, soft-deleted in MOLO.
                        let deleted = id == 20;
                        tw.begin(hash(&[seed, tag("transient_price"), id as u64]), old)
                            .set("Id", id)
                            .set("StartDate", molo_date(w.hist_start, id as u64))
                            .set("EndDate", Val::Null)
                            .set("Fee", cents(mk.night_per_ft * pct / 100))
                            .set("RateName", format!("{n} - {}", mk.short))
                            .set("TransientChargeMethodId", *method)
                            .set("MarinaLocationId", mk.molo_id)
                            .set("Taxable", true)
                            .set("Tax", Val::Dec(m.tax_bp(i), 4))
                            .set("TransientInvoicingMethod_Id", 1 + (j as i64 % 7))
                            .set("RecordStatus_Id", if deleted { 3 } else { 1 })
                            .set(
                                "DeletionDatetime",
                                if deleted { Val::from(old + Duration::days(300)) } else { Val::Null },
                            )
                            .set(
                                "DeletionAspNetUser_Id",
                                if deleted { Val::from(m.staff[0].1.clone()) } else { Val::Null },
                            );
                        tw.end()?;
                    }
                }
                Ok(())
            })?,
            "boat_types" => table(sink, &mut tally, SYS, &name, |tw| {
                let names: Vec<&'static str> = BOAT_TYPE_BASE.to_vec();
                lookup(tw, seed, &names, old)?;
                // 94 rows in production: the rest are legacy duplicates with a suffix.
                for i in 0..(94 - names.len()) {
                    tw.begin(hash(&[seed, tag("boat_type"), i as u64]), old)
                        .set("Id", (names.len() + i + 1) as i64)
                        .set("Name", format!("{} (legacy)", names[i % names.len()]));
                    tw.end()?;
                }
                Ok(())
            })?,
            "invoice_types" => table(sink, &mut tally, SYS, &name, |tw| {
                for id in 1..=m.n_invoice_types {
                    let base = INVOICE_TYPE_BASE[(id as usize - 1) % INVOICE_TYPE_BASE.len()];
                    let nm: Val = if id as usize <= INVOICE_TYPE_BASE.len() {
                        base.into()
                    } else {
                        format!("{base} {id}").into()
                    };
                    tw.begin(hash(&[seed, tag("invoice_type"), id as u64]), old).set("Id", id).set("Name", nm);
                    tw.end()?;
                }
                Ok(())
            })?,
            "cities" => table(sink, &mut tally, SYS, &name, |tw| {
                let mut names: Vec<String> = CITIES.iter().map(|c| c.0.to_string()).collect();
                'outer: for form in CITY_FORMS {
                    for wd in CITY_WORDS {
                        if names.len() >= 391 {
                            break 'outer;
                        }
                        names.push(form.replace("{}", wd));
                    }
                }
                for (i, n) in names.into_iter().enumerate() {
                    tw.begin(hash(&[seed, tag("city"), i as u64]), old).set("Id", i as i64 + 1).set("Name", n);
                    tw.end()?;
                }
                Ok(())
            })?,
            "countries" => table(sink, &mut tally, SYS, &name, |tw| {
                for i in 0..239usize {
                    let n: Val = match COUNTRIES.get(i) {
                        Some(c) => (*c).into(),
                        None => format!("Territory {}", i - COUNTRIES.len() + 1).into(),
                    };
                    tw.begin(hash(&[seed, tag("country"), i as u64]), old).set("Id", i as i64 + 1).set("Name", n);
                    tw.end()?;
                }
                Ok(())
            })?,
            "currencies" => table(sink, &mut tally, SYS, &name, |tw| {
                for i in 0..137usize {
                    let (n, c, s): (Val, Val, Val) = match CURRENCIES.get(i) {
                        Some((n, c, s)) => ((*n).into(), (*c).into(), (*s).into()),
                        None => {
                            let k = i - CURRENCIES.len() + 1;
                            (format!("Currency X{k:03}").into(), format!("X{k:02}").into(), "¤".into())
                        }
                    };
                    tw.begin(hash(&[seed, tag("currency"), i as u64]), old)
                        .set("Id", i as i64 + 1)
                        .set("Name", n)
                        .set("Code", c)
                        .set("Symbol", s);
                    tw.end()?;
                }
                Ok(())
            })?,
            "insurance" => table(sink, &mut tally, SYS, &name, |tw| {
                for i in 1..=m.n_insurance {
                    let mut r = rng(&[seed, tag("insurance"), i as u64]);
                    let boat = r.gen_range(1..=m.n_boats);
                    let eff = w.final_date - Duration::days(r.gen_range(0..700));
                    let exp = eff + Duration::days(365);
                    let created = at(eff, 15, 0, 0) - Duration::days(r.gen_range(1..30));
                    if created > now {
                        continue;
                    }
                    let (f, l) = contact_name(seed, boat);
                    // A few policies are cancelled (soft-deleted) in MOLO.
                    let delete_at = created + Duration::days(r.gen_range(30..300));
                    let deleted = r.prob(0.04) && delete_at <= now;
                    tw.begin(hash(&[seed, tag("insurance"), i as u64]), created)
                        .set("Id", i)
                        .set(
                            "Provider",
                            *r.pick(&["BoatUS", "Progressive", "GEICO Marine", "Markel", "Chubb", "Travelers"]),
                        )
                        .set("ListedIndividual", format!("{f} {l}"))
                        .set("PolicyNumber", format!("PM-{:08}", r.gen_range(0..100_000_000)))
                        .set("LiabilityMaximum", cents(*r.pick(&[30_000_000, 50_000_000, 100_000_000])))
                        .set("EffectiveDate", molo_date(eff, i as u64))
                        .set("ExpirationDate", molo_date(exp, i as u64 + 1))
                        .set("CreationDateTime", created)
                        .set(
                            "DeleteUser",
                            if deleted { Val::from(m.staff[i as usize % m.staff.len()].0.clone()) } else { Val::Null },
                        )
                        .set("DeleteDateTime", if deleted { Val::from(delete_at) } else { Val::Null })
                        .set("InsuranceStatus_Id", if exp.and_hms_opt(0, 0, 0).expect("t") > now { 1 } else { 2 })
                        .set("Boat_Id", boat);
                    tw.end()?;
                }
                Ok(())
            })?,
            // Every other table (equipment, which no view reads, among them): from its
            // catalog entry.
            _ => {
                let t = Catalog::get().table(SYS, &name).expect("a member listed from the catalog");
                from_catalog::write(sink, &mut tally, w, t)?
            }
        }
    }
    Ok(tally)
}

fn home_loc(m: &Molo, contact: i64) -> usize {
    if contact <= m.n_slips {
        m.loc_of_slip(contact)
    } else {
        (hash(&[m.seed(), tag("homeloc"), contact as u64]) % 4) as usize
    }
}

fn write_slips<W: Write>(m: &Molo, tw: &mut TableWriter<W>, now: NaiveDateTime) -> Result<()> {
    let mut ids = 0;
    for sid in 1..=m.n_slips {
        let s = m.slip(sid);
        // The slip's live status needs its stays (cheap: the timeline is a pure function).
        let stays = m.stays(&s, &mut ids);
        if s.created > now {
            continue;
        }
        let occupied =
            stays.iter().any(|st| st.status(now) == ST_CHECKED_IN && st.arrival <= now && st.departure > now);
        let status = if !s.active {
            "Out of Service"
        } else if occupied {
            "Occupied"
        } else {
            "Available"
        };
        let mut r = rng(&[m.seed(), T_SLIP, sid as u64, 1]);
        let beam = (s.rec_ft * 12) / 3 + r.gen_range(0..24);
        let air = r.prob(0.3).then(|| 400 + r.gen_range(0..400));
        let owned = r.prob(0.03);
        tw.begin(hash(&[m.seed(), T_SLIP, sid as u64]), s.created)
            .set("Id", sid)
            .set("Name", s.name.clone())
            .set("Type", SLIP_TYPES[s.slip_type as usize - 1])
            .set("RecomendedLOA", format!("{}:0", s.rec_ft))
            .set("RecomendedBeam", feet_inches(beam))
            .set("RecomendedDraft", feet_inches(48 + r.gen_range(0..60)))
            .set("RecomendedAirDraft", air.map(feet_inches))
            .set("MaximumLOA", format!("{}:0", s.max_ft))
            .set("MaximumBeam", feet_inches(beam + 18))
            .set("MaximumDraft", feet_inches(72 + r.gen_range(0..48)))
            .set("MaximumAirDraft", air.map(|a| feet_inches(a + 24)))
            .set("MarinaLocationId", MARINAS[s.loc].molo_id)
            .set("Pier_Id", s.pier)
            .set("Status", status)
            .set("StartDate", s.start.map(|d| molo_date(d, sid as u64)))
            .set("EndDate", s.end.map(|d| molo_date(d, sid as u64 + 7)))
            .set("DoNotCountInOccupancy", s.do_not_count)
            .set("Active", s.active)
            .set("CreationDateTime", s.created)
            .set("SlipType_Id", s.slip_type)
            // A few dockominium slips are owned by their seasonal tenant.
            .set("OwnerId", if owned { Val::Int(sid) } else { Val::Null })
            .set(
                "OverrideOccupancyLOA",
                if r.prob(0.02) { Val::from(format!("{}:0", s.rec_ft + 5)) } else { Val::Null },
            )
            .set("HashID", hex(&mut r, 20))
            .set("OrderColumn", sid)
            .set("SignName", format!("{} {}", MARINAS[s.loc].short, s.name));
        tw.end()?;
    }
    Ok(())
}

fn write_reservations<W: Write>(m: &Molo, tw: &mut TableWriter<W>, now: NaiveDateTime) -> Result<()> {
    let seed = m.seed();
    m.walk(&mut |ev| {
        let Ev::Stay(slip, st) = ev else { return Ok(()) };
        if st.created > now {
            return Ok(());
        }
        let status = st.status(now);
        let contact = st.boat;
        let (f, l) = contact_name(seed, contact);
        let mut r = rng(&[seed, T_RES, st.id as u64]);
        let boat_name = BOAT_NAMES[(hash(&[seed, T_BOAT, st.boat as u64, 3]) % BOAT_NAMES.len() as u64) as usize];
        tw.begin(hash(&[seed, T_RES, st.id as u64]), st.created)
            .set("Id", st.id)
            .set("MarinaLocationId", MARINAS[slip.loc].molo_id)
            .set("CreationTime", st.created)
            .set("ReservationStatusId", status)
            .set("ReservationTypeId", if st.kind == StayKind::Transient { 1 } else { 2 })
            .set("ContactId", contact)
            .set("BoatId", st.boat)
            .set("ScheduledArrivalTime", st.arrival)
            .set("ScheduledDepartureTime", st.departure)
            .set("CancellationTime", if status == ST_CANCELLED { Val::from(st.cancel) } else { Val::Null })
            .set("AccountId", contact + ACCOUNT_OFFSET)
            .set("SlipId", slip.id)
            .set("Rate", cents(st.rate))
            .set("Name", format!("{f} {l} - {boat_name}"))
            .set("HashID", hex(&mut r, 20))
            .set("ReservationSource", st.source);
        tw.end()
    })
}

fn write_contacts<W: Write>(m: &Molo, tw: &mut TableWriter<W>, now: NaiveDateTime) -> Result<()> {
    let seed = m.seed();
    for c in 1..=m.n_contacts {
        let created = m.contact_created(c);
        if created > now {
            continue;
        }
        let key = hash(&[seed, T_CONTACT, c as u64]);
        let (version, edited) = m.w.edits(key, 0.25, created, now);
        let mut r = rng(&[seed, T_CONTACT, c as u64, 1]);
        let mut rv = rng(&[seed, T_CONTACT, c as u64, 2 + version as u64]);
        let (f, l) = contact_name(seed, c);
        let company = r.prob(0.08);
        let mut emails = email(f, l, &mut rv);
        if rv.prob(0.1) {
            emails = format!("{emails}; {}", email(f, l, &mut rv));
        }
        let base_edit = created + Duration::days(r.gen_range(0..200));
        // Before the edit window the last edit is a fixed point in the past (or the creation).
        let last_edit = edited.unwrap_or(if base_edit <= now { base_edit } else { created });
        let loc = home_loc(m, c);
        tw.begin(hash(&[key, version as u64]), created)
            .set("Id", c)
            .set("Emails", if rv.prob(0.05) { Val::Null } else { emails.into() })
            .set("FirstName", f)
            .set(
                "MiddleName",
                if r.prob(0.2) { Val::from(*r.pick(&["A.", "J.", "Lee", "Marie", "R."])) } else { Val::Null },
            )
            .set("LastName", l)
            .set("MarinaLocationId", MARINAS[loc].molo_id)
            .set("Notes", if rv.prob(0.3) { Val::from(*rv.pick(NOTES)) } else { Val::Null })
            .set("RecordStatusId", if r.prob(0.96) { 1 } else { 2 })
            .set("IsSupplier", r.prob(0.02))
            .set("IsCustomer", true)
            .set("CompanyContactName", if company { Val::from(format!("{l} Marine Services")) } else { Val::Null })
            .set("CreationUser", m.staff[c as usize % m.staff.len()].0.clone())
            .set("CreationDateTime", created)
            .set("MarinaLocation1_Id", MARINAS[loc].molo_id)
            .set("StatementsPreference_Id", r.gen_range(1..=3))
            .set("HashID", hex(&mut r, 20))
            .set(
                "LinkedParentContact",
                if c > 10 && r.prob(0.03) { Val::Int(c - r.gen_range(1..10)) } else { Val::Null },
            )
            .set("ContactAutoChargeId", r.gen_range(1..=4))
            .set("LastEditedDateTime", last_edit)
            .set("LastEditedUser_Id", m.staff[(c as usize + version as usize) % m.staff.len()].1.clone())
            .set(
                "DateOfBirth",
                if r.prob(0.4) {
                    molo_date(ymd(r.gen_range(1945..2000), r.gen_range(1..13), r.gen_range(1..29)), key)
                } else {
                    Val::Null
                },
            )
            .set("DoNotLaunch", r.prob(0.01))
            .set("MainContactId", if c > 10 && r.prob(0.04) { Val::Int(c - r.gen_range(1..10)) } else { Val::Null });
        tw.end()?;
    }
    Ok(())
}

fn write_boats<W: Write>(m: &Molo, tw: &mut TableWriter<W>, now: NaiveDateTime) -> Result<()> {
    let seed = m.seed();
    for b in 1..=m.n_boats {
        let created = m.contact_created(b) + Duration::days(1);
        if created > now {
            continue;
        }
        let key = hash(&[seed, T_BOAT, b as u64]);
        let (version, edited) = m.w.edits(key, 0.1, created, now);
        let mut r = rng(&[seed, T_BOAT, b as u64]);
        let loa = m.boat_loa_in(b);
        let (make, models) = *r.pick(MAKES);
        let beam = (loa / 3).max(60) + r.gen_range(-6..12);
        let loc = home_loc(m, b);
        let name = BOAT_NAMES[(hash(&[seed, T_BOAT, b as u64, 3]) % BOAT_NAMES.len() as u64) as usize];
        let reg_exp = r
            .prob(0.7)
            .then(|| ymd(r.gen_range(2024..2028), r.gen_range(1..13), 1) + Duration::days(r.gen_range(0..27)));
        tw.begin(hash(&[key, version as u64]), created)
            .set("Id", b)
            .set("Make", make)
            .set("Model", *r.pick(models))
            .set("Name", name)
            .set("LOA", feet_inches(loa))
            .set("Beam", if r.prob(0.9) { Val::from(feet_inches(beam)) } else { Val::Null })
            .set("Draft", feet_inches((loa / 12).clamp(18, 96) + r.gen_range(0..12)))
            .set(
                "RegistrationNumber",
                format!("{}{:04}{}", MARINAS[loc].state, r.gen_range(0..10000), *r.pick(&["AB", "CD", "EF", "ZZ"])),
            )
            .set("RegistrationState", MARINAS[loc].state)
            .set("CreationTime", created)
            .set("BoatTypeId", r.gen_range(1..=BOAT_TYPE_BASE.len() as i64))
            .set("MarinaLocationId", MARINAS[loc].molo_id)
            .set("PowerNeedId", if loa >= 480 { 6 } else { 4 })
            .set("Notes", if r.prob(0.15) { Val::from(*r.pick(NOTES)) } else { Val::Null })
            .set("RecordStatusId", 1)
            .set("Weight", Val::Float((loa as f64 / 12.0).powi(2) * 9.5))
            .set("Year", r.gen_range(1975..2026))
            .set("HashID", hex(&mut r, 20))
            .set("LastEditedDateTime", edited.unwrap_or(created))
            .set("IsActive", true)
            .set("BookingMergingDone", r.prob(0.5))
            .set("Manufacturer", make)
            .set("RegistrationExpiration", reg_exp.map(|d| molo_date(d, key)));
        tw.end()?;
    }
    Ok(())
}

fn invoice_status(inv: &Inv, now: NaiveDateTime, total: i64, paid: i64) -> i64 {
    if inv.void_at.is_some_and(|v| v <= now) {
        4
    } else if total > 0 && paid >= total {
        3
    } else if paid > 0 {
        5
    } else {
        2
    }
}

fn write_invoices<W: Write>(m: &Molo, tw: &mut TableWriter<W>, now: NaiveDateTime) -> Result<()> {
    let seed = m.seed();
    m.walk(&mut |ev| {
        let Ev::Inv(inv) = ev else { return Ok(()) };
        if inv.created > now {
            return Ok(());
        }
        let (mut sub, mut tax, mut disc) = (0, 0, 0);
        for it in inv.visible_items(now) {
            if it.value < 0 {
                disc -= it.value;
            } else {
                sub += it.value;
            }
            tax += it.tax;
        }
        let total = sub - disc + tax;
        let paid = inv.paid(now);
        let status = invoice_status(inv, now, total, paid);
        let void = status == 4;
        let last_pay = inv.pays.iter().filter(|p| p.at <= now).map(|p| p.at).max();
        let last_item = inv.visible_items(now).map(|i| i.created).max();
        let modified =
            [Some(inv.created), last_pay, last_item, inv.void_at.filter(|v| *v <= now)].into_iter().flatten().max();
        let mut r = rng(&[seed, T_INV, inv.id as u64, 9]);
        let staff = &m.staff[(inv.id as usize) % m.staff.len()];
        let paid_by_kind = |g: &str| -> i64 {
            if paid <= 0 || total <= 0 {
                return 0;
            }
            let part: i64 = inv.visible_items(now).filter(|i| i.group == g).map(|i| i.total).sum();
            (part as i128 * paid.min(total) as i128 / total as i128) as i64
        };
        tw.begin(hash(&[seed, T_INV, inv.id as u64]), inv.created)
            .set("Id", inv.id)
            .set("Date", at(inv.date, 0, 0, 0) + Duration::hours(central_offset(inv.date) as i64))
            .set("DolarDiscount", cents(disc))
            .set("PercentDiscount", cents(0))
            .set("Active", !void)
            .set("ClosingDate", if status == 3 { Val::from(last_pay) } else { Val::Null })
            .set("DiscountTotal", cents(disc))
            .set("Opened", status == 2 || status == 5)
            .set("Payed", cents(paid))
            .set("Subtotal", cents(sub - disc))
            .set("SubtotalWoDiscount", cents(sub))
            .set("TaxTotal", cents(tax))
            .set("Title", inv.title.clone())
            .set("Total", cents(total))
            .set("ReservationId", inv.reservation)
            .set("AccountId", inv.contact + ACCOUNT_OFFSET)
            .set("ServicePaidAmount", cents(paid_by_kind("Service")))
            .set("MarinaPaidAmount", cents(paid_by_kind("Dockage")))
            .set("GasPaidAmount", cents(paid_by_kind("Fuel")))
            .set("InvoiceStatusId", status)
            .set("StartDate", inv.reservation.map(|_| at(inv.date, 0, 0, 0)))
            .set("InstalmentsPaymentMethodId", if inv.installment { Val::Int(r.gen_range(1..=4)) } else { Val::Null })
            .set("ScheduledForCron", false)
            .set("OriginalInvoice", inv.original)
            .set("WorkOrderId", inv.work_order)
            .set("IsInstallmentInvoice", inv.installment)
            .set("VoidUser", if void { Val::from(staff.0.clone()) } else { Val::Null })
            .set("VoidDateTime", if void { Val::from(inv.void_at) } else { Val::Null })
            .set("CreationUser", staff.0.clone())
            .set(
                "Payment_Id",
                if status == 3 && r.prob(0.3) { Val::from(inv.pays.first().map(|p| p.id)) } else { Val::Null },
            )
            .set("InvoiceType_Id", inv.type_id)
            .set("InvoiceDate", at(inv.date, 0, 0, 0) + Duration::hours(central_offset(inv.date) as i64))
            .set("DueDate", molo_date(inv.due, inv.id as u64))
            .set("CurrencyCode", "USD")
            .set("LastModifiedDateTime", modified)
            .set("LastModifiedAspNetUser", staff.1.clone())
            .set(
                "VoidReason",
                if void {
                    Val::from(if inv.reservation.is_some() {
                        "Reservation cancelled"
                    } else {
                        "Entered in error, re-rung"
                    })
                } else {
                    Val::Null
                },
            )
            .set("UpdateHash", hex(&mut r, 16))
            .set("Note", if r.prob(0.08) { Val::from(*r.pick(NOTES)) } else { Val::Null })
            .set("IsSurcharge", false);
        tw.end()
    })
}

fn write_items<W: Write>(m: &Molo, tw: &mut TableWriter<W>, now: NaiveDateTime) -> Result<()> {
    let seed = m.seed();
    let w = m.w;
    m.walk(&mut |ev| {
        let Ev::Inv(inv) = ev else { return Ok(()) };
        if inv.created > now {
            return Ok(());
        }
        let void = inv.void_at.is_some_and(|v| v <= now);
        for it in inv.visible_items(now) {
            let key = hash(&[seed, T_ITEM, it.id as u64]);
            // A few add-on lines are hard-deleted in MOLO and vanish from later exports.
            if !it.ty.starts_with("charge-reservation") && w.deleted(key, 0.01, it.created, now) {
                continue;
            }
            let soft = it.soft_deleted.filter(|d| *d <= now);
            let staff = &m.staff[(it.id as usize) % m.staff.len()];
            let status: Val = if soft.is_some() {
                "deleted".into()
            } else if unit(hash(&[key, 5])) < 0.3 {
                Val::Null
            } else {
                "active".into()
            };
            let is_void: Val = if void {
                true.into()
            } else if unit(hash(&[key, 6])) < 0.05 {
                Val::Null
            } else {
                false.into()
            };
            tw.begin(key, it.created)
                .set("Id", it.id)
                .set("Prefix", if unit(hash(&[key, 7])) < 0.3 { Val::from("$") } else { Val::Null })
                .set("Quantity", Val::Dec(it.qty, 2))
                .set("Title", it.title.clone())
                .set("Type", it.ty)
                .set("Value", cents(it.value))
                .set("Discount", cents(it.discount))
                .set("DiscountType", if it.value < 0 { Val::from("percent") } else { Val::Null })
                .set("Taxable", it.taxable)
                .set("Tax", Val::Dec(it.tax_rate_bp, 4))
                .set("DiscountTotal", cents(0))
                .set("PriceSuffix", if it.qty != 100 { Val::from("/unit") } else { Val::Null })
                .set("SubTotal", cents(it.value))
                .set("SubtotalWoDiscount", cents(it.value))
                .set("TaxTotal", cents(it.tax))
                .set("Total", cents(it.total))
                .set("InvoiceId", inv.id)
                .set("ChargeGroup", it.group)
                .set("PriceStr", format!("${}.{:02}", it.unit / 100, (it.unit % 100).abs()))
                .set("IsVoid", is_void)
                .set("Date", it.created)
                .set("Status", status)
                .set("DeletionUserId", if soft.is_some() { Val::from(staff.1.clone()) } else { Val::Null })
                .set("DeletionDateTime", soft)
                .set(
                    "DeletionReason",
                    if soft.is_some() { Val::from("Added by mistake, \"duplicate\" line") } else { Val::Null },
                )
                .set("VoidUser", if void { Val::from(staff.0.clone()) } else { Val::Null })
                .set("VoidDateTime", if void { Val::from(inv.void_at) } else { Val::Null })
                .set("VoidReason", if void { Val::from("Invoice voided") } else { Val::Null })
                .set("Reservation_Id", inv.reservation)
                .set("ItemMaster_Id", it.item_master)
                .set("AspNetUser_Id", staff.1.clone())
                .set("InvoiceItemType_Id", if it.value < 0 { 4 } else { 1 })
                .set("SeasonalPrice_Id", it.seasonal_price)
                .set("TransientPrice_Id", it.transient_price)
                .set("TaxExempt", !it.taxable)
                .set("LastModifiedDateTime", soft.unwrap_or(it.created))
                .set("StartDateTime", it.span.map(|s| s.0))
                .set("EndDateTime", it.span.map(|s| s.1))
                .set("OriginalPrice", cents(it.unit))
                .set("NumberOfDecimals", 2)
                .set("ExchangeRate", Val::Dec(1, 0))
                .set("Currencies_Id", 1)
                .set("CreatedDate", it.created);
            tw.end()?;
        }
        Ok(())
    })
}

fn write_transactions<W: Write>(m: &Molo, tw: &mut TableWriter<W>, now: NaiveDateTime) -> Result<()> {
    let seed = m.seed();
    let w = m.w;
    m.walk(&mut |ev| {
        let Ev::Inv(inv) = ev else { return Ok(()) };
        for p in inv.pays.iter().filter(|p| p.at <= now) {
            let key = hash(&[seed, T_PAY, p.id as u64]);
            if w.deleted(key, 0.004, p.at, now) {
                continue;
            }
            let refunded: i64 =
                -inv.pays.iter().filter(|q| q.refund && q.at <= now && q.at >= p.at).map(|q| q.amount).sum::<i64>();
            let mut r = rng(&[seed, T_PAY, p.id as u64]);
            let card = p.method == 3 || p.method == 5 || p.method == 6;
            let staff = &m.staff[(p.id as usize) % m.staff.len()];
            tw.begin(key, p.at)
                .set("Id", p.id)
                .set("MarinaLocationId", MARINAS[inv.loc].molo_id)
                .set("CreationTime", p.at)
                .set("InvoiceId", inv.id)
                .set("TransactionTypeId", if p.refund { 2 } else { 1 })
                .set("TransactionMethodId", p.method)
                .set("Value", cents(p.amount))
                .set("IsRefunded", !p.refund && refunded > 0)
                .set(
                    "RefundReason",
                    if p.refund { Val::from("Reservation cancelled, refund to card") } else { Val::Null },
                )
                .set(
                    "CheckNumber",
                    if p.method == 2 { Val::from(format!("{}", r.gen_range(1000..9999))) } else { Val::Null },
                )
                .set(
                    "CCType",
                    if card { Val::from(*r.pick(&["Visa", "MasterCard", "Amex", "Discover"])) } else { Val::Null },
                )
                // Only lines MOLO never hard-deletes, so the reference always resolves.
                .set(
                    "InvoiceItemId",
                    if r.prob(0.3) {
                        Val::from(inv.items.iter().find(|i| i.ty.starts_with("charge-reservation")).map(|i| i.id))
                    } else {
                        Val::Null
                    },
                )
                .set("CreationDate", p.at)
                .set("AspNetUser_Id", staff.1.clone())
                .set("HashID", hex(&mut r, 20))
                .set("IsVoid", false)
                .set("AmountRefunded", if p.refund { Val::Null } else { cents(refunded.min(p.amount)) })
                .set("PaymentIntentId", if card { Val::from(format!("pi_{}", hex(&mut r, 24))) } else { Val::Null })
                .set("Last4", if card { Val::from(format!("{:04}", r.gen_range(0..10000))) } else { Val::Null })
                .set(
                    "RoutingNumber",
                    if p.method == 4 { Val::from(format!("0{:08}", r.gen_range(0..100_000_000))) } else { Val::Null },
                )
                .set("FullyRefunded", !p.refund && refunded >= p.amount)
                .set("LastUpdated", p.at)
                .set("PaymentSource", *r.pick(&["Dockmaster", "Online", "Mobile", "Terminal"]));
            tw.end()?;
        }
        Ok(())
    })
}

fn write_item_masters<W: Write>(m: &Molo, tw: &mut TableWriter<W>) -> Result<()> {
    let seed = m.seed();
    for id in 1..=m.n_item_masters {
        let (name, kind, price, method, loc) = m.item_master(id);
        let mut r = rng(&[seed, tag("item_master"), id as u64]);
        let created = at(m.w.hist_start - Duration::days(r.gen_range(30..1500)), 16, r.gen_range(0..60), 0);
        let tracked = matches!(kind, Kind::Store | Kind::Fuel);
        let short: String = name.chars().filter(|c| c.is_ascii_alphanumeric()).take(12).collect();
        tw.begin(hash(&[seed, tag("item_master"), id as u64]), created)
            .set("Id", id)
            .set("Name", name)
            .set("Amount", cents(price))
            .set("ItemChargeMethodId", method)
            .set("Taxable", kind != Kind::Fuel)
            .set("AvailableAsAddOn", kind == Kind::Utility)
            .set("MarinaLocationId", loc.map(|l| MARINAS[l].molo_id))
            .set("Price", cents(price))
            .set("Tax", Val::Dec(m.tax_bp(loc.unwrap_or(0)), 4))
            .set(
                "ChargeCategory",
                match kind {
                    Kind::Fuel => "Fuel",
                    Kind::Store => "Retail",
                    Kind::Service => "Service",
                    Kind::Utility => "Utilities",
                },
            )
            .set("AmountIsDecimal", kind == Kind::Fuel)
            .set("NumberOfDecimals", if kind == Kind::Fuel { 3 } else { 2 })
            .set("ItemShortName", short)
            .set("ItemCode", format!("IM{id:05}"))
            .set("TrackedInventory", tracked)
            .set("QuantityOnHand", if tracked { Val::Dec(r.gen_range(0..500_000), 2) } else { Val::Null })
            .set("PurchasePrice", if tracked { cents(price * 6 / 10) } else { Val::Null })
            .set("CreationDateTime", created)
            .set("RecordStatusId", if r.prob(0.95) { 1 } else { 2 })
            .set(
                "RevenueGLCode",
                match kind {
                    Kind::Fuel => "4300",
                    Kind::Store => "4400",
                    Kind::Service => "4500",
                    Kind::Utility => "4150",
                },
            );
        tw.end()?;
    }
    Ok(())
}

/// Members no catalog table reads; a few with data so that a loader that picks members by a
/// loose name match (`Reservations*`) would be caught.
fn write_extra(m: &Molo, sink: &mut Sink, file: &str, now: NaiveDateTime) -> Result<()> {
    let seed = m.seed();
    let n = m.w.n(30.0, 3);
    let mut rows = Vec::new();
    let header: &[&str] = match file {
        "SV_JobSet.csv" => &["Id", "WorkOrderId", "Description", "Status", "CreationDateTime"],
        "Accounts_Audit.csv" => &["Id", "AccountId", "Field", "OldValue", "NewValue", "ChangedBy", "ChangedAt"],
        "Reservations_Archive.csv" => &["Id", "MarinaLocationId", "ReservationStatusId", "SlipId", "Name"],
        "AspNetUsers.csv" => &["Id", "Email", "UserName", "LockoutEnabled"],
        "__MigrationHistory.csv" => &["MigrationId", "ContextKey", "ProductVersion"],
        _ => &["Id", "Name"],
    };
    if file != "EmailLogSet.csv" {
        for i in 0..n {
            let mut r = rng(&[seed, tag(file), i]);
            let row: Vec<String> = header
                .iter()
                .enumerate()
                .map(|(j, h)| match (j, *h) {
                    (0, _) => format!("{}", 900_000 + i),
                    (_, "Description") | (_, "NewValue") => r.pick(NOTES).to_string(),
                    (_, "CreationDateTime") | (_, "ChangedAt") => {
                        (now - Duration::days(r.gen_range(1..300))).format("%m/%d/%Y %H:%M:%S").to_string()
                    }
                    (_, "Name") => format!("Archived {}", r.pick(BOAT_NAMES)),
                    _ => format!("{}", r.gen_range(1..100)),
                })
                .collect();
            rows.push(row);
        }
    }
    extra_member(sink, file, SYS, header, &rows)
}

impl Molo<'_> {
    /// What MOLO invoiced, per invoice date and marina (index into [`MARINAS`]): the pre-tax
    /// value of the items of invoices that were never voided, by NetSuite income line
    /// ([`super::activity::Income`]). NetSuite's sales documents post exactly these amounts.
    pub(crate) fn invoiced(&self, mut f: impl FnMut(NaiveDate, usize, super::activity::Income, i64)) -> Result<()> {
        use super::activity::Income;
        self.walk(&mut |ev| {
            if let Ev::Inv(inv) = ev
                && inv.void_at.is_none()
                && inv.date <= self.w.final_date
            {
                for it in inv.items.iter().filter(|i| i.soft_deleted.is_none()) {
                    let line = match it.ty {
                        "charge-reservation-transitive" => Income::Transient,
                        "charge-reservation-seasonal" => Income::Seasonal,
                        "charge-metered" => Income::Utilities,
                        "charge-fuel" => Income::Fuel,
                        "charge-service" | "charge-labor" => Income::Service,
                        "charge-discount" => Income::Discounts,
                        _ => Income::Store,
                    };
                    f(inv.date, inv.loc, line, it.value);
                }
            }
            Ok(())
        })
    }
}
