//! NetSuite snapshots: a ZIP of 14 SuiteQL-shaped CSVs at the archive root.
//!
//! The world: a group with one subsidiary per marina (plus a boat club, an elimination and a
//! sold subsidiary), a chart of accounts, monthly periods with quarters, years and year-end
//! adjustment periods, and the general ledger: every business day each operating subsidiary
//! records sales, invoices, payments, deposits, bills, card charges, journals, month-end
//! depreciation and a few non-posting documents. Each transaction's primary-book accounting
//! lines balance by construction; some also carry a secondary (tax) book.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::io::Write;

use anyhow::Result;
use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, Weekday};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::activity::{Activity, CLUB_SUBSIDIARY, Income, staffing};
use super::molo::contact_name;
use super::values::*;
use super::{MARINAS, Sink, World, extra_member, from_catalog, table, table_styled};
use crate::catalog::{Catalog, System};

const SYS: System = System::NetSuite;

const T_DAY: u64 = tag("ns.day");
const T_TXN: u64 = tag("ns.txn");
const TXN_BASE: i64 = 10_000;
/// Monthly revenue (cents) per unit of scale at which the drawn expense documents keep their
/// nominal amounts; see [`NetSuite::cost_factor`].
const COST_REFERENCE: f64 = 30_000_000.0;
pub(crate) const CUSTOMER_BASE: i64 = 100_000;
const VENDOR_BASE: i64 = 50_000;
const ITEM_BASE: i64 = 500;
const PRIMARY_BOOK: i64 = 1;
const TAX_BOOK: i64 = 2;
const CLUB_SUB: i64 = CLUB_SUBSIDIARY;
const OPERATING_SUBS: [i64; 5] = [2, 3, 4, 5, CLUB_SUB];

/// (id, number, name, type, parent, is summary, inactive).
type Acct = (i64, &'static str, &'static str, &'static str, Option<i64>, bool, bool);
const ACCOUNTS: &[Acct] = &[
    (100, "1000", "Cash", "Bank", None, true, false),
    (101, "1010", "Operating Account - First Coastal Bank", "Bank", Some(100), false, false),
    (102, "1020", "Payroll Account", "Bank", Some(100), false, false),
    (103, "1050", "Undeposited Funds", "OthCurrAsset", None, false, false),
    (104, "1100", "Accounts Receivable", "AcctRec", None, false, false),
    (105, "1200", "Inventory - Fuel", "OthCurrAsset", None, false, false),
    (106, "1210", "Inventory - Ship Store", "OthCurrAsset", None, false, false),
    (107, "1300", "Prepaid Expenses", "OthCurrAsset", None, false, false),
    (108, "1310", "Deferred Expense", "DeferExpense", None, false, false),
    (109, "1400", "Unbilled Receivables", "UnbilledRec", None, false, false),
    (110, "1500", "Docks & Piers", "FixedAsset", None, false, false),
    (111, "1510", "Buildings", "FixedAsset", None, false, false),
    (112, "1520", "Equipment & Rental Fleet", "FixedAsset", None, false, false),
    (113, "1590", "Accumulated Depreciation", "FixedAsset", None, false, false),
    (114, "1800", "Security Deposits", "OthAsset", None, false, false),
    (120, "2000", "Accounts Payable", "AcctPay", None, false, false),
    (121, "2100", "Corporate Card - Amex", "CredCard", None, false, false),
    (122, "2200", "Sales Tax Payable", "OthCurrLiab", None, false, false),
    (123, "2210", "Accrued Payroll", "OthCurrLiab", None, false, false),
    (124, "2300", "Customer Deposits", "OthCurrLiab", None, false, false),
    (125, "2400", "Deferred Revenue - Seasonal Slips", "DeferRevenue", None, false, false),
    (126, "2700", "Long-Term Loan", "LongTermLiab", None, false, false),
    (130, "3000", "Owner's Equity", "Equity", None, false, false),
    (131, "3900", "Retained Earnings", "RetainedEarnings", None, false, false),
    (140, "4000", "Revenue", "Income", None, true, false),
    (141, "4100", "Slip Rental - Transient", "Income", Some(140), false, false),
    (142, "4110", "Slip Rental - Seasonal", "Income", Some(140), false, false),
    (143, "4150", "Utilities Resale", "Income", Some(140), false, false),
    (144, "4200", "Storage Revenue", "Income", Some(140), false, false),
    (145, "4300", "Fuel Sales", "Income", Some(140), false, false),
    (146, "4400", "Ship Store Sales", "Income", Some(140), false, false),
    (147, "4500", "Service Revenue", "Income", Some(140), false, false),
    (148, "4600", "Boat Rental Revenue", "Income", Some(140), false, false),
    (149, "4900", "Sales Discounts", "Income", Some(140), false, false),
    (150, "5000", "Cost of Goods Sold", "COGS", None, true, false),
    (151, "5100", "COGS - Fuel", "COGS", Some(150), false, false),
    (152, "5200", "COGS - Ship Store", "COGS", Some(150), false, false),
    (153, "5300", "Service Parts & Subcontract", "COGS", Some(150), false, false),
    (160, "6000", "Operating Expenses", "Expense", None, true, false),
    (161, "6100", "Salaries & Wages", "Expense", Some(160), false, false),
    (162, "6110", "Payroll Taxes & Benefits", "Expense", Some(160), false, false),
    (163, "6200", "Utilities", "Expense", Some(160), false, false),
    (164, "6300", "Repairs & Maintenance", "Expense", Some(160), false, false),
    (165, "6400", "Insurance", "Expense", Some(160), false, false),
    (166, "6500", "Rent & Submerged Land Leases", "Expense", Some(160), false, false),
    (167, "6600", "Marketing", "Expense", Some(160), false, false),
    (168, "6700", "Office & Software", "Expense", Some(160), false, false),
    (169, "6800", "Bank & Merchant Fees", "Expense", Some(160), false, false),
    (170, "6900", "Depreciation Expense", "Expense", Some(160), false, false),
    (171, "6950", "Travel & Meals", "Expense", Some(160), false, false),
    (180, "7000", "Interest Income", "OthIncome", None, false, false),
    (181, "7100", "Gain on Sale of Assets", "OthIncome", None, false, false),
    (190, "8000", "Interest Expense", "OthExpense", None, false, false),
    (191, "8100", "Loss on Disposal of Assets", "OthExpense", None, false, false),
    (195, "", "Old Clearing Account (do not use)", "OthCurrAsset", None, false, true),
    (196, "9000", "Slip Count", "Stat", None, false, false),
    (197, "9100", "Open Sales Orders", "NonPosting", None, false, false),
];
// Account ids used in postings.
const A_BANK: i64 = 101;
const A_PAYROLL_BANK: i64 = 102;
const A_UNDEP: i64 = 103;
const A_AR: i64 = 104;
const A_INV_FUEL: i64 = 105;
const A_INV_STORE: i64 = 106;
const A_PREPAID: i64 = 107;
const A_ACCUM_DEPR: i64 = 113;
const A_AP: i64 = 120;
const A_CARD: i64 = 121;
const A_SALES_TAX: i64 = 122;
const A_CUST_DEP: i64 = 124;
const A_LOAN: i64 = 126;
const A_EQUITY: i64 = 130;
const A_DISCOUNTS: i64 = 149;
const A_COGS_FUEL: i64 = 151;
const A_COGS_STORE: i64 = 152;
const A_WAGES: i64 = 161;
const A_PAYROLL_TAX: i64 = 162;
const A_UTILITIES: i64 = 163;
const A_REPAIRS: i64 = 164;
const A_INSURANCE: i64 = 165;
const A_RENT: i64 = 166;
const A_MARKETING: i64 = 167;
const A_OFFICE: i64 = 168;
const A_BANK_FEES: i64 = 169;
const A_DEPR: i64 = 170;
const A_TRAVEL: i64 = 171;
const A_INTEREST_INC: i64 = 180;
const A_INTEREST_EXP: i64 = 190;

#[derive(Clone, Copy, PartialEq, Eq)]
enum IKind {
    Fuel,
    Store,
    Service,
    Dockage,
    Rental,
    Supply,
    Other,
}

/// (name, NetSuite item type, kind, income account, unit price in cents, inactive).
type ItemDef = (&'static str, &'static str, IKind, i64, i64, bool);
const ITEMS: &[ItemDef] = &[
    ("Transient Dockage", "Service", IKind::Dockage, 141, 350, false),
    ("Seasonal Dockage", "Service", IKind::Dockage, 142, 9800, false),
    ("Electric Resale", "Service", IKind::Dockage, 143, 1200, false),
    ("Winter Storage", "Service", IKind::Dockage, 144, 4200, false),
    ("Dry Stack Storage", "Service", IKind::Dockage, 144, 2800, false),
    ("Haul Out", "Service", IKind::Service, 147, 1400, false),
    ("Labor - Mechanic", "Service", IKind::Service, 147, 13500, false),
    ("Labor - Fiberglass", "Service", IKind::Service, 147, 12500, false),
    ("Bottom Paint", "Service", IKind::Service, 147, 4500, false),
    ("Pump Out", "Service", IKind::Service, 147, 1500, false),
    ("Pontoon Rental", "Service", IKind::Rental, 148, 32500, false),
    ("Deck Boat Rental", "Service", IKind::Rental, 148, 35500, false),
    ("Center Console Rental", "Service", IKind::Rental, 148, 38500, false),
    ("Jet Ski Rental", "Service", IKind::Rental, 148, 27500, false),
    ("Fuel - Unleaded 89", "InvtPart", IKind::Fuel, 145, 489, false),
    ("Fuel - Ethanol-Free 90", "InvtPart", IKind::Fuel, 145, 579, false),
    ("Fuel - Diesel", "InvtPart", IKind::Fuel, 145, 459, false),
    ("Ice 10 lb", "InvtPart", IKind::Store, 146, 450, false),
    ("Live Bait", "InvtPart", IKind::Store, 146, 899, false),
    ("Dock Line", "InvtPart", IKind::Store, 146, 3299, false),
    ("Fender", "InvtPart", IKind::Store, 146, 4299, false),
    ("Engine Oil", "InvtPart", IKind::Store, 146, 1399, false),
    ("Apparel - T-Shirt", "InvtPart", IKind::Store, 146, 2400, false),
    ("Apparel - Cap", "InvtPart", IKind::Store, 146, 2200, false),
    ("Snacks & Beverages", "InvtPart", IKind::Store, 146, 350, false),
    ("Safety Gear", "InvtPart", IKind::Store, 146, 4999, false),
    ("Dock Repair Materials", "NonInvtPart", IKind::Supply, 164, 25000, false),
    ("Cleaning Supplies", "NonInvtPart", IKind::Supply, 164, 4500, false),
    ("Office Supplies", "NonInvtPart", IKind::Supply, 168, 3000, false),
    ("Credit Card Surcharge", "OthCharge", IKind::Other, 147, 300, false),
    ("Late Fee", "OthCharge", IKind::Other, 147, 3500, false),
    ("Member Discount", "Discount", IKind::Other, 149, -1000, false),
    ("Subtotal", "Subtotal", IKind::Other, 0, 0, false),
    ("Note", "Description", IKind::Other, 0, 0, false),
    ("Deposit Applied", "Payment", IKind::Other, 124, 0, false),
    ("Winterization Package", "Kit", IKind::Service, 147, 39500, false),
    ("Mooring Kit", "Assembly", IKind::Store, 146, 29900, false),
    ("Bait - Frozen (discontinued)", "InvtPart", IKind::Store, 146, 599, true),
    ("Legacy Slip Fee", "Service", IKind::Dockage, 141, 1000, true),
];

fn item_id(i: usize) -> i64 {
    ITEM_BASE + i as i64 + 1
}

fn item_index(kind: IKind, r: &mut ChaCha8Rng) -> usize {
    let c: Vec<usize> = ITEMS.iter().enumerate().filter(|(_, d)| d.2 == kind && !d.5).map(|(i, _)| i).collect();
    *r.pick(&c)
}

const VENDOR_NAMES: &[&str] = &[
    "Gulf Coast Fuel Supply",
    "Bayshore Petroleum",
    "West Marine Pro",
    "Duke Energy",
    "City Water & Sewer",
    "Marine Travelift Inc.",
    "Progressive Marine Insurance",
    "Cintas Corporation",
    "Amazon Business",
    "Staples Business",
    "Home Depot Pro",
    "AT&T Business",
    "Comcast Business",
    "Dockwa Inc.",
    "Stripe, Inc.",
    "ADP Payroll Services",
    "Bennington Marine",
    "Yamaha Motor Finance",
    "Coastal Dock Builders",
    "Harbor Waste Services",
];

/// Transaction types: (type code, record type, tranid prefix, display name, daily rate).
struct TxType {
    code: &'static str,
    record: &'static str,
    prefix: &'static str,
    display: &'static str,
    rate: f64,
    posting: bool,
    /// Scheduled entries: 1 payroll, 2 month-end accruals (0 = drawn per day).
    special: u8,
}

const TYPES: &[TxType] = &[
    TxType {
        code: "CashSale",
        record: "cashsale",
        prefix: "CS",
        display: "Cash Sale",
        rate: 1.6,
        posting: true,
        special: 0,
    },
    TxType {
        code: "CustInvc",
        record: "invoice",
        prefix: "INV",
        display: "Invoice",
        rate: 1.2,
        posting: true,
        special: 0,
    },
    TxType {
        code: "CustPymt",
        record: "customerpayment",
        prefix: "PYMT",
        display: "Payment",
        rate: 0.0,
        posting: true,
        special: 0,
    },
    TxType {
        code: "Deposit",
        record: "deposit",
        prefix: "DEP",
        display: "Deposit",
        rate: 0.0,
        posting: true,
        special: 0,
    },
    TxType {
        code: "Journal",
        record: "journalentry",
        prefix: "JE",
        display: "Journal",
        rate: 0.15,
        posting: true,
        special: 0,
    },
    TxType { code: "Check", record: "check", prefix: "CHK", display: "Check", rate: 0.2, posting: true, special: 0 },
    TxType {
        code: "CardChrg",
        record: "creditcardcharge",
        prefix: "CC",
        display: "Credit Card",
        rate: 0.3,
        posting: true,
        special: 0,
    },
    TxType {
        code: "CardRfnd",
        record: "creditcardrefund",
        prefix: "CCR",
        display: "Credit Card Refund",
        rate: 0.02,
        posting: true,
        special: 0,
    },
    TxType {
        code: "VendBill",
        record: "vendorbill",
        prefix: "BILL",
        display: "Bill",
        rate: 0.6,
        posting: true,
        special: 0,
    },
    TxType {
        code: "VendPymt",
        record: "vendorpayment",
        prefix: "BP",
        display: "Bill Payment",
        rate: 0.0,
        posting: true,
        special: 0,
    },
    TxType {
        code: "VendCred",
        record: "vendorcredit",
        prefix: "VC",
        display: "Bill Credit",
        rate: 0.03,
        posting: true,
        special: 0,
    },
    TxType {
        code: "CustCred",
        record: "creditmemo",
        prefix: "CM",
        display: "Credit Memo",
        rate: 0.07,
        posting: true,
        special: 0,
    },
    TxType {
        code: "CustRfnd",
        record: "customerrefund",
        prefix: "REF",
        display: "Customer Refund",
        rate: 0.03,
        posting: true,
        special: 0,
    },
    TxType {
        code: "ItemShip",
        record: "itemfulfillment",
        prefix: "IF",
        display: "Item Fulfillment",
        rate: 0.06,
        posting: true,
        special: 0,
    },
    TxType {
        code: "InvAdjst",
        record: "inventoryadjustment",
        prefix: "ADJ",
        display: "Inventory Adjustment",
        rate: 0.02,
        posting: true,
        special: 0,
    },
    TxType {
        code: "ExpRept",
        record: "expensereport",
        prefix: "EXP",
        display: "Expense Report",
        rate: 0.03,
        posting: true,
        special: 0,
    },
    TxType {
        code: "CustDep",
        record: "customerdeposit",
        prefix: "CDEP",
        display: "Customer Deposit",
        rate: 0.04,
        posting: true,
        special: 0,
    },
    TxType {
        code: "SalesOrd",
        record: "salesorder",
        prefix: "SO",
        display: "Sales Order",
        rate: 0.05,
        posting: false,
        special: 0,
    },
    TxType {
        code: "PurchOrd",
        record: "purchaseorder",
        prefix: "PO",
        display: "Purchase Order",
        rate: 0.05,
        posting: false,
        special: 0,
    },
    TxType {
        code: "Estimate",
        record: "estimate",
        prefix: "EST",
        display: "Quote",
        rate: 0.02,
        posting: false,
        special: 0,
    },
];
/// Scheduled entries (not drawn per day): the FAM custom type and payroll / month-end journals.
const DEPR: TxType = TxType {
    code: "Custom108",
    record: "customtransaction_fam_depr_jrn",
    prefix: "FAMDEP",
    display: "Fixed Asset Depreciation Entry",
    rate: 0.0,
    posting: true,
    special: 0,
};
const PAYROLL: TxType = TxType {
    code: "Journal",
    record: "journalentry",
    prefix: "JE",
    display: "Journal",
    rate: 0.0,
    posting: true,
    special: 1,
};
const MONTH_END: TxType = TxType {
    code: "Journal",
    record: "journalentry",
    prefix: "JE",
    display: "Journal",
    rate: 0.0,
    posting: true,
    special: 2,
};

/// Monthly bills of every subsidiary (special 3: utilities, 4: insurance, 5: lease), on the
/// first of the month, from their usual vendors.
const RECURRING_BILLS: [TxType; 3] = [
    TxType { code: "VendBill", record: "vendorbill", prefix: "BILL", display: "Bill", rate: 0.0, posting: true, special: 3 },
    TxType { code: "VendBill", record: "vendorbill", prefix: "BILL", display: "Bill", rate: 0.0, posting: true, special: 4 },
    TxType { code: "VendBill", record: "vendorbill", prefix: "BILL", display: "Bill", rate: 0.0, posting: true, special: 5 },
];
/// Documents the walk derives from others: payments of invoices and bills, bank deposits of
/// undeposited funds, opening balances.
const CUST_PAYMENT: &TxType = &TYPES[2];
const DEPOSIT: &TxType = &TYPES[3];
const VEND_PAYMENT: &TxType = &TYPES[9];
const OPENING: TxType =
    TxType { code: "Journal", record: "journalentry", prefix: "JE", display: "Journal", rate: 0.0, posting: true, special: 0 };

/// When an invoice or bill falls due and how it gets paid (base-currency cents).
struct Settlement {
    due: NaiveDate,
    pays: Vec<Payment>,
}

/// One payment of an invoice or bill, entered at `created` (its transaction date's day).
#[derive(Clone)]
struct Payment {
    created: NaiveDateTime,
    amount: i64,
}

impl Settlement {
    /// What is still open at `now`: the total less the payments entered by then.
    fn unpaid(&self, total: i64, now: NaiveDateTime) -> i64 {
        total - self.pays.iter().filter(|p| p.created <= now).map(|p| p.amount).sum::<i64>()
    }
}

/// A payment the walk still has to write: of document `doc` of subsidiary `sub`.
struct Due {
    sub: i64,
    doc: i64,
    doc_tranid: String,
    entity: Option<i64>,
    customer: bool,
    pay: Payment,
}

struct Line {
    id: i64,
    main: bool,
    tax: bool,
    account: Option<i64>,
    /// Debit positive, credit negative, base currency cents.
    amount: i64,
    item: Option<i64>,
    /// Quantity in 1/100 units with NetSuite's sign.
    qty: Option<i64>,
    entity: Option<i64>,
    memo: Option<Cow<'static, str>>,
    class: Option<i64>,
    dept: Option<i64>,
    loc: Option<i64>,
    /// No accounting line at all (description lines, non-posting documents).
    no_gl: bool,
}

struct Txn {
    id: i64,
    ty: &'static TxType,
    sub: i64,
    date: NaiveDate,
    period: Option<i64>,
    entity: Option<i64>,
    currency: i64,
    rate_e8: i64,
    memo: Option<Cow<'static, str>>,
    created: NaiveDateTime,
    display: bool,
    voided: bool,
    /// Secondary-book factor in percent (None: no secondary-book lines).
    book2: Option<i64>,
    lines: Vec<Line>,
    /// Invoices and bills: due date and payments.
    settlement: Option<Settlement>,
    /// Derived from other documents (payments, deposits, opening balances): never deleted
    /// on its own, so that what it settles stays consistent.
    derived: bool,
}

impl Txn {
    fn posting(&self) -> bool {
        self.ty.posting && !self.voided
    }
    fn tranid(&self) -> String {
        format!("{}{:06}", self.ty.prefix, self.id)
    }
}

pub(crate) struct NetSuite<'w> {
    w: &'w World,
    n_customers: i64,
    n_vendors: i64,
    years: Vec<i32>,
}

impl<'w> NetSuite<'w> {
    pub(crate) fn new(w: &'w World) -> Self {
        let years = (w.hist_start.year()..=w.final_date.year() + 1).collect();
        NetSuite {
            w,
            n_customers: w.n(1500.0, 15) as i64,
            n_vendors: w.n(250.0, 8).max(VENDOR_NAMES.len() as u64) as i64,
            years,
        }
    }

    fn seed(&self) -> u64 {
        self.w.seed
    }

    // Period ids: per year a block of 18 (year, then per quarter the quarter and its three
    // months, then the adjustment period).
    fn year_block(&self, y: i32) -> i64 {
        1 + (y - self.years[0]) as i64 * 18
    }
    fn month_period(&self, d: NaiveDate) -> i64 {
        let m = d.month0() as i64;
        self.year_block(d.year()) + 1 + (m / 3) * 4 + 1 + m % 3
    }
    fn quarter_period(&self, y: i32, q: i64) -> i64 {
        self.year_block(y) + 1 + q * 4
    }
    fn adjust_period(&self, y: i32) -> i64 {
        self.year_block(y) + 17
    }

    fn location_of(&self, sub: i64, kind: Option<IKind>) -> i64 {
        let base = sub * 10;
        match kind {
            Some(IKind::Fuel) if sub != CLUB_SUB => base + 1,
            Some(IKind::Store) if sub != CLUB_SUB => base + 2,
            Some(IKind::Service) if sub != CLUB_SUB => base + 3,
            _ => base,
        }
    }

    fn class_of(kind: IKind, account: i64) -> i64 {
        match (kind, account) {
            (IKind::Dockage, 141) => 3,
            (IKind::Dockage, 142) => 4,
            (IKind::Dockage, 144) => 8,
            (IKind::Dockage, _) => 2,
            (IKind::Fuel, _) => 5,
            (IKind::Store, _) => 6,
            (IKind::Service, _) => 7,
            (IKind::Rental, _) => 9,
            _ => 10,
        }
    }

    fn customer(&self, r: &mut ChaCha8Rng) -> i64 {
        CUSTOMER_BASE + r.gen_range(1..=self.n_customers)
    }

    fn vendor(&self, r: &mut ChaCha8Rng) -> i64 {
        VENDOR_BASE + r.gen_range(1..=self.n_vendors)
    }

    /// The transactions dated `day` for one subsidiary. `next` is the walk's id counter.
    /// The sales documents post the day's `income` (split among them); the other documents
    /// are drawn, their amounts sized from the subsidiary's revenue.
    fn day_txns(&self, day: NaiveDate, sub: i64, next: &mut i64, income: &[i64; 8]) -> Vec<Txn> {
        let di = (day - self.w.hist_start).num_days() as u64;
        let mut r = rng(&[self.seed(), T_DAY, di, sub as u64]);
        let weekday = !matches!(day.weekday(), Weekday::Sat | Weekday::Sun);
        let class_total = |counter: bool| -> i64 {
            Income::ALL.iter().filter(|l| l.at_the_counter() == counter).map(|l| Activity::amount(income, *l)).sum()
        };
        let (counter_total, invoiced_total) = (class_total(true), class_total(false));
        let mut plan: Vec<&'static TxType> = Vec::new();
        for ty in TYPES {
            let mut lambda = 1.2 * ty.rate * self.w.scale;
            if !weekday && !matches!(ty.code, "CashSale") {
                lambda *= 0.25;
            }
            if sub == CLUB_SUB && matches!(ty.code, "ItemShip" | "InvAdjst" | "VendCred" | "CustDep") {
                lambda = 0.0;
            }
            let n = r.poisson(lambda);
            // Sales post what the marinas and the club earned: at least one document on a
            // day with income, none on a day without.
            let n = match ty.code {
                "CashSale" if counter_total > 0 => n.max(1),
                "CustInvc" if invoiced_total > 0 => n.max(1),
                "CashSale" | "CustInvc" => 0,
                _ => n,
            };
            for _ in 0..n {
                plan.push(ty);
            }
        }
        // Every drawn type at least once, whatever the scale: one each on the first days.
        if sub == OPERATING_SUBS[0] && (di as usize) < TYPES.len() {
            let ty = &TYPES[di as usize];
            if ty.rate > 0.0 && !matches!(ty.code, "CashSale" | "CustInvc") {
                plan.push(ty);
            }
        }
        // Payroll every other Friday; depreciation, accruals and the recurring bills monthly.
        let fortnight = (day - NaiveDate::from_ymd_opt(2020, 1, 3).expect("date")).num_days();
        if day.weekday() == Weekday::Fri && fortnight % 14 == 0 {
            plan.push(&PAYROLL);
        }
        if day.day() == 1 {
            plan.extend(RECURRING_BILLS.iter());
        }
        if (day + Duration::days(1)).day() == 1 {
            plan.push(&DEPR);
            plan.push(&MONTH_END);
        }
        let n_cash = plan.iter().filter(|t| t.code == "CashSale").count() as i64;
        let n_inv = plan.iter().filter(|t| t.code == "CustInvc").count() as i64;
        let (mut k_cash, mut k_inv) = (0, 0);
        let mut out = Vec::with_capacity(plan.len());
        for (k, ty) in plan.into_iter().enumerate() {
            *next += 1;
            let mut rt = rng(&[self.seed(), T_TXN, di, sub as u64, k as u64]);
            // The j-th of n sales documents of a class takes 1/n of each income line (the
            // first one the remainders), so that together they post the day's income.
            let share = |counter: bool, j: i64, n: i64| -> [i64; 8] {
                let mut out = [0; 8];
                for (i, line) in Income::ALL.iter().enumerate() {
                    if line.at_the_counter() == counter {
                        out[i] = income[i] / n + if j == 0 { income[i] % n } else { 0 };
                    }
                }
                out
            };
            let sale = match ty.code {
                "CashSale" => {
                    k_cash += 1;
                    Some(share(true, k_cash - 1, n_cash))
                }
                "CustInvc" => {
                    k_inv += 1;
                    Some(share(false, k_inv - 1, n_inv))
                }
                _ => None,
            };
            let t = self.make(*next + TXN_BASE, ty, sub, day, &mut rt, sale.as_ref());
            out.push(t);
        }
        out
    }

    /// A subsidiary's average monthly revenue (cents): the scale of its costs.
    fn revenue(&self, sub: i64) -> i64 {
        self.w.activity.monthly_revenue(sub)
    }

    /// The factor of a drawn expense amount: drawn documents grow in number with the scale,
    /// so their amounts follow the subsidiary's revenue per unit of scale, which keeps the
    /// costs a steady share of the revenue at every scale.
    fn cost_factor(&self, sub: i64) -> f64 {
        self.revenue(sub) as f64 / (self.w.scale * COST_REFERENCE)
    }

    #[allow(clippy::too_many_lines)]
    fn make(&self, id: i64, ty: &'static TxType, sub: i64, day: NaiveDate, r: &mut ChaCha8Rng, sale: Option<&[i64; 8]>) -> Txn {
        let entered_late = r.prob(0.12);
        let created = at(
            day + Duration::days(if entered_late { r.gen_range(1..4) } else { 0 }),
            r.gen_range(8..19),
            r.gen_range(0..60),
            r.gen_range(0..60),
        );
        let mut t = Txn {
            id,
            ty,
            sub,
            date: day,
            period: ty.posting.then(|| self.month_period(day)),
            entity: None,
            currency: 1,
            rate_e8: 100_000_000,
            memo: None,
            created,
            display: r.prob(0.95),
            voided: false,
            book2: r.prob(0.35).then_some(100),
            lines: Vec::new(),
            settlement: None,
            derived: false,
        };
        let club = sub == CLUB_SUB;
        let dept_ops = 1 + r.gen_range(0..5);
        let loc = self.location_of(sub, None);
        let mut lines: Vec<Line> = Vec::new();
        let add = |lines: &mut Vec<Line>, account: Option<i64>, amount: i64| {
            let id = lines.len() as i64;
            lines.push(Line {
                id,
                main: id == 0,
                tax: false,
                account,
                amount,
                item: None,
                qty: None,
                entity: None,
                memo: None,
                class: None,
                dept: None,
                loc: Some(loc),
                no_gl: false,
            });
            lines.len() - 1
        };
        match ty.code {
            "CashSale" | "CustInvc" | "CustCred" | "SalesOrd" | "Estimate" => {
                let cust = self.customer(r);
                t.entity = Some(cust);
                let (main_acct, sign) = match ty.code {
                    "CashSale" => (A_UNDEP, 1),
                    "CustCred" => (A_AR, -1),
                    _ => (A_AR, 1),
                };
                add(&mut lines, Some(main_acct), 0);
                let n = if sale.is_some() { 0 } else { r.gen_range(1..=if ty.code == "CustInvc" { 5 } else { 4 }) };
                let mut taxable = 0;
                let mut cogs_fuel = 0;
                let mut cogs_store = 0;
                // A sale posts its share of the day's income, one line per income line.
                for (line, amt) in sale.into_iter().flat_map(|s| Income::ALL.iter().copied().zip(s.iter().copied())) {
                    if amt == 0 {
                        continue;
                    }
                    let kind = match line {
                        Income::Transient | Income::Seasonal | Income::Utilities => IKind::Dockage,
                        Income::Fuel => IKind::Fuel,
                        Income::Store => IKind::Store,
                        Income::Service => IKind::Service,
                        Income::Rentals => IKind::Rental,
                        Income::Discounts => IKind::Other,
                    };
                    let account = line.account();
                    let ii = ITEMS
                        .iter()
                        .position(|d| d.3 == account && !d.5 && d.4 != 0)
                        .unwrap_or_else(|| item_index(kind, r));
                    let price = ITEMS[ii].4.abs().max(1);
                    let qty = (amt.abs() * 100 / price).max(1);
                    if matches!(kind, IKind::Store | IKind::Service | IKind::Rental) {
                        taxable += amt;
                    }
                    match kind {
                        IKind::Fuel => cogs_fuel += amt * 72 / 100,
                        IKind::Store => cogs_store += amt * 55 / 100,
                        _ => {}
                    }
                    let l = add(&mut lines, Some(account), -sign * amt);
                    lines[l].item = Some(item_id(ii));
                    lines[l].qty = Some(-sign * qty);
                    lines[l].class = Some(Self::class_of(kind, account));
                    lines[l].loc = Some(self.location_of(sub, Some(kind)));
                    lines[l].dept = Some(dept_ops);
                    lines[l].memo = r.prob(0.3).then_some(Cow::Borrowed(ITEMS[ii].0));
                    lines[l].entity = r.prob(0.7).then_some(cust);
                }
                for _ in 0..n {
                    let kind = if club {
                        IKind::Rental
                    } else {
                        match (ty.code, r.gen_range(0..100)) {
                            ("CashSale", 0..=49) => IKind::Fuel,
                            ("CashSale", 50..=89) => IKind::Store,
                            ("CashSale", _) => IKind::Service,
                            (_, 0..=54) => IKind::Dockage,
                            (_, 55..=84) => IKind::Service,
                            _ => IKind::Store,
                        }
                    };
                    let ii = item_index(kind, r);
                    let (name, _, _, income, price, _) = ITEMS[ii];
                    let qty = match kind {
                        IKind::Fuel => r.gen_range(2_000..40_000),
                        IKind::Dockage if price < 1000 => r.gen_range(20..60) * 100 * r.gen_range(1..8),
                        IKind::Dockage => r.gen_range(20..60) * 100,
                        IKind::Service => *r.pick(&[100, 150, 200, 300, 3000]),
                        _ => r.gen_range(1..6) * 100,
                    };
                    let amt = qty * price / 100;
                    if kind != IKind::Fuel && kind != IKind::Dockage {
                        taxable += amt;
                    }
                    match kind {
                        IKind::Fuel => cogs_fuel += amt * 72 / 100,
                        IKind::Store => cogs_store += amt * 55 / 100,
                        _ => {}
                    }
                    let l = add(&mut lines, Some(income), -sign * amt);
                    lines[l].item = Some(item_id(ii));
                    lines[l].qty = Some(-sign * qty);
                    lines[l].class = Some(Self::class_of(kind, income));
                    lines[l].loc = Some(self.location_of(sub, Some(kind)));
                    lines[l].dept = Some(dept_ops);
                    lines[l].memo = r.prob(0.3).then_some(Cow::Borrowed(name));
                    lines[l].entity = r.prob(0.7).then_some(cust);
                }
                if ty.code == "CustInvc" && r.prob(0.15) {
                    // A subtotal line: an accounting line without account or amount.
                    let l = add(&mut lines, None, 0);
                    lines[l].item = Some(item_id(ITEMS.iter().position(|d| d.1 == "Subtotal").expect("subtotal item")));
                }
                if ty.code == "CustInvc" && r.prob(0.1) {
                    let l = add(&mut lines, None, 0);
                    lines[l].item = Some(item_id(ITEMS.iter().position(|d| d.1 == "Description").expect("note item")));
                    lines[l].memo = Some(Cow::Borrowed("Thank you for your business, \"see you next season\"!"));
                    lines[l].no_gl = true;
                }
                let tax = taxable * 6 / 100;
                if tax != 0 {
                    let l = add(&mut lines, Some(A_SALES_TAX), -sign * tax);
                    lines[l].tax = true;
                }
                if ty.code == "CashSale" {
                    for (amt, cogs, inv) in
                        [(cogs_fuel, A_COGS_FUEL, A_INV_FUEL), (cogs_store, A_COGS_STORE, A_INV_STORE)]
                    {
                        if amt > 0 {
                            let a = add(&mut lines, Some(cogs), amt);
                            let b = add(&mut lines, Some(inv), -amt);
                            lines[a].class = Some(if cogs == A_COGS_FUEL { 5 } else { 6 });
                            lines[b].class = lines[a].class;
                        }
                    }
                }
                t.memo = r.prob(0.4).then(|| {
                    Cow::Borrowed(*r.pick(&[
                        "Fuel dock sales",
                        "Slip invoice",
                        "Ship store, register 2",
                        "Service work order",
                        "Seasonal contract, \"installment\"",
                    ]))
                });
            }
            "CustPymt" | "CustRfnd" | "CustDep" => {
                let cust = self.customer(r);
                t.entity = Some(cust);
                let amt = r.gen_range(5_000..800_000);
                let (main, other) = match ty.code {
                    "CustPymt" => (A_UNDEP, A_AR),
                    "CustRfnd" => (A_BANK, A_AR),
                    _ => (A_UNDEP, A_CUST_DEP),
                };
                let sign = if ty.code == "CustRfnd" { -1 } else { 1 };
                add(&mut lines, Some(main), sign * amt);
                let l = add(&mut lines, Some(other), -sign * amt);
                lines[l].entity = Some(cust);
            }
            "Deposit" => {
                add(&mut lines, Some(A_BANK), 0);
                let n = r.gen_range(1..=3);
                for _ in 0..n {
                    let l = add(&mut lines, Some(A_UNDEP), -r.gen_range(10_000..1_500_000));
                    lines[l].memo = Some(Cow::Borrowed("Batch deposit"));
                }
                if r.prob(0.3) {
                    let l = add(&mut lines, Some(A_BANK_FEES), r.gen_range(500..9_000));
                    lines[l].memo = Some(Cow::Borrowed("Merchant fees, \"Stripe\" payout"));
                }
                t.memo = Some(Cow::Borrowed("Daily deposit"));
            }
            "Check" | "CardChrg" | "CardRfnd" | "ExpRept" => {
                let vendor = self.vendor(r);
                t.entity = Some(vendor);
                let main = match ty.code {
                    "Check" => A_BANK,
                    "ExpRept" => A_AP,
                    _ => A_CARD,
                };
                let sign = if ty.code == "CardRfnd" { -1 } else { 1 };
                add(&mut lines, Some(main), 0);
                let n = r.gen_range(1..=3);
                let cf = self.cost_factor(sub);
                for _ in 0..n {
                    let acct =
                        *r.pick(&[A_UTILITIES, A_REPAIRS, A_OFFICE, A_MARKETING, A_TRAVEL, A_REPAIRS, A_INSURANCE]);
                    let l = add(&mut lines, Some(acct), sign * scaled(r.gen_range(2_000..150_000), cf));
                    lines[l].dept = Some(6 + r.gen_range(0..4));
                    lines[l].class = Some(10);
                    lines[l].entity = r.prob(0.6).then_some(vendor);
                }
                if ty.code == "Check" && r.prob(0.01) {
                    t.voided = true;
                }
            }
            "VendBill" if ty.special >= 3 => {
                // The monthly bills: utilities (more in the season), insurance, the lease.
                let month = self.revenue(sub);
                let (vendor, account, amount, memo) = match ty.special {
                    3 => (4, A_UTILITIES, month * 3 / 100 * staffing(day.month()) / 100, "Monthly service"),
                    4 => (7, A_INSURANCE, month * 3 / 100, "Monthly premium"),
                    _ => (15, A_RENT, month * 5 / 100, "Submerged land lease"),
                };
                t.entity = Some(VENDOR_BASE + vendor);
                add(&mut lines, Some(A_AP), 0);
                let l = add(&mut lines, Some(account), amount + r.gen_range(0..1_000));
                lines[l].dept = Some(6);
                lines[l].memo = Some(Cow::Borrowed(memo));
                lines[l].entity = t.entity;
                t.memo = Some(Cow::Owned(format!("{memo}, {}", day.format("%b %Y"))));
            }
            "VendBill" | "VendCred" | "PurchOrd" => {
                let fuel = !club && r.prob(0.3);
                let vendor = if fuel { VENDOR_BASE + r.gen_range(1..=2) } else { self.vendor(r) };
                t.entity = Some(vendor);
                let sign = if ty.code == "VendCred" { -1 } else { 1 };
                add(&mut lines, Some(A_AP), 0);
                if fuel {
                    let ii = item_index(IKind::Fuel, r);
                    let qty = r.gen_range(1_000..6_000) * 100;
                    let cost = scaled(qty * ITEMS[ii].4 * 70 / 10_000, self.cost_factor(sub));
                    let l = add(&mut lines, Some(A_INV_FUEL), sign * cost);
                    lines[l].item = Some(item_id(ii));
                    lines[l].qty = Some(sign * qty);
                    lines[l].class = Some(5);
                    lines[l].loc = Some(self.location_of(sub, Some(IKind::Fuel)));
                } else {
                    let n = r.gen_range(1..=4);
                    for _ in 0..n {
                        if r.prob(0.5) {
                            let kind = if club { IKind::Supply } else { *r.pick(&[IKind::Store, IKind::Supply]) };
                            let ii = item_index(kind, r);
                            let qty = r.gen_range(1..40) * 100;
                            let (acct, unit) = if kind == IKind::Store {
                                (A_INV_STORE, ITEMS[ii].4 * 55 / 100)
                            } else {
                                (ITEMS[ii].3, ITEMS[ii].4 / 10)
                            };
                            let l = add(&mut lines, Some(acct), sign * qty * unit / 100);
                            lines[l].item = Some(item_id(ii));
                            lines[l].qty = Some(sign * qty);
                            lines[l].class = Some(if kind == IKind::Store { 6 } else { 10 });
                        } else {
                            let acct = *r.pick(&[A_UTILITIES, A_REPAIRS, A_RENT, A_INSURANCE, A_OFFICE, A_PREPAID]);
                            let amount = scaled(r.gen_range(5_000..350_000), self.cost_factor(sub));
                            let l = add(&mut lines, Some(acct), sign * amount);
                            lines[l].dept = Some(1 + r.gen_range(0..9));
                            lines[l].memo = r.prob(0.3).then(|| {
                                Cow::Borrowed(*r.pick(&[
                                    "Monthly service",
                                    "Repairs, B dock",
                                    "Q3 premium",
                                    "Submerged land lease",
                                ]))
                            });
                        }
                        let last = lines.len() - 1;
                        lines[last].entity = r.prob(0.7).then_some(vendor);
                    }
                }
                if ty.code == "VendBill" && r.prob(0.05) {
                    t.currency = 3;
                    t.rate_e8 = 73_120_000;
                }
            }
            "VendPymt" => {
                let vendor = self.vendor(r);
                t.entity = Some(vendor);
                let amt = r.gen_range(10_000..2_000_000);
                add(&mut lines, Some(A_BANK), -amt);
                let l = add(&mut lines, Some(A_AP), amt);
                lines[l].entity = Some(vendor);
            }
            "ItemShip" | "InvAdjst" => {
                let fuel = r.prob(0.5);
                let ii = item_index(if fuel { IKind::Fuel } else { IKind::Store }, r);
                let amt = r.gen_range(2_000..200_000);
                let (inv, cogs) = if fuel { (A_INV_FUEL, A_COGS_FUEL) } else { (A_INV_STORE, A_COGS_STORE) };
                add(&mut lines, Some(inv), -amt);
                let l = add(&mut lines, Some(cogs), amt);
                lines[l].item = Some(item_id(ii));
                lines[l].qty = Some(-r.gen_range(1..50) * 100);
                if ty.code == "ItemShip" {
                    t.entity = Some(self.customer(r));
                }
            }
            "Custom108" => {
                // FAM depreciation: one line per asset class plus the accumulated total.
                let total_line = add(&mut lines, Some(A_ACCUM_DEPR), 0);
                let mut sum = 0;
                // About 6% of a month's revenue (the rental fleet weighs most at the club).
                let month = self.revenue(sub);
                for (class_name, share) in [("Docks & Piers", 3), ("Buildings", 2), ("Equipment & Rental Fleet", 1)] {
                    let share = if club && share == 1 { 4 } else { share };
                    let amt = month * share / 100 + r.gen_range(0..1_000);
                    let l = add(&mut lines, Some(A_DEPR), amt);
                    lines[l].memo = Some(Cow::Owned(format!("Depreciation {} {}", class_name, day.format("%b %Y"))));
                    lines[l].class = Some(10);
                    sum += amt;
                }
                lines[total_line].amount = -sum;
                // The tax book depreciates faster: a different amount in the secondary book.
                t.book2 = Some(125);
                t.memo = Some(Cow::Owned(format!("FAM depreciation {}", day.format("%Y-%m"))));
            }
            _ => {
                // Journals: payroll, month-end accruals or year-end adjustments.
                if ty.special == 1 {
                    // About 28% of the revenue in wages, more in the season; the payroll
                    // account is funded from the operating account for each run.
                    let fortnight = self.revenue(sub) * 28 / 100 * 12 / 26;
                    let gross = fortnight * staffing(day.month()) / 100 * r.gen_range(95..106) / 100;
                    let tax = gross * 8 / 100;
                    add(&mut lines, Some(A_PAYROLL_BANK), -(gross + tax));
                    let l = add(&mut lines, Some(A_WAGES), gross);
                    lines[l].dept = Some(1);
                    add(&mut lines, Some(A_PAYROLL_TAX), tax);
                    let l = add(&mut lines, Some(A_PAYROLL_BANK), gross + tax);
                    lines[l].memo = Some(Cow::Borrowed("Payroll funding"));
                    add(&mut lines, Some(A_BANK), -(gross + tax));
                    t.memo = Some(Cow::Owned(format!("Payroll, period ending {}", day.format("%m/%d/%Y"))));
                } else if ty.special == 2 {
                    let month = self.revenue(sub);
                    let int = month / 100 + r.gen_range(0..1_000);
                    add(&mut lines, Some(A_INTEREST_EXP), int);
                    add(&mut lines, Some(A_LOAN), -int);
                    let ii = month / 1000 + r.gen_range(0..100);
                    add(&mut lines, Some(A_BANK), ii);
                    add(&mut lines, Some(A_INTEREST_INC), -ii);
                    t.memo = Some(Cow::Owned(format!("Month-end: loan interest, interest earned {}", day.format("%b %Y"))));
                    if day.month() == 12 && r.prob(0.5) {
                        // Year-end audit adjustments post to the adjustment period.
                        t.period = Some(self.adjust_period(day.year()));
                    }
                } else {
                    let n = r.gen_range(1..=3);
                    for _ in 0..n {
                        let amt = r.gen_range(1_000..300_000);
                        let (a, b) = *r.pick(&[
                            (A_PREPAID, A_BANK),
                            (A_REPAIRS, A_PREPAID),
                            (A_DISCOUNTS, A_AR),
                            (A_OFFICE, A_CARD),
                            (A_BANK_FEES, A_BANK),
                        ]);
                        let l = add(&mut lines, Some(a), amt);
                        lines[l].memo = Some(Cow::Borrowed("Reclass"));
                        add(&mut lines, Some(b), -amt);
                    }
                    t.memo = r.prob(0.7).then_some(Cow::Borrowed("Reclass, per controller review"));
                    if r.prob(0.05) {
                        t.entity = Some(self.customer(r));
                    }
                }
            }
        }
        // The main line carries the balancing amount of everything else.
        if !lines.is_empty() && lines[0].amount == 0 {
            let rest: i64 = lines.iter().skip(1).map(|l| l.amount).sum();
            lines[0].amount = -rest;
        }
        lines[0].entity = t.entity;
        lines[0].memo = t.memo.clone();
        for l in &mut lines {
            if !ty.posting {
                l.no_gl = true;
            }
        }
        t.lines = lines;
        if matches!(ty.code, "CustInvc" | "VendBill") && t.lines[0].amount != 0 {
            t.settlement = Some(self.settlement(&t, r));
        }
        t
    }

    /// When an invoice or bill falls due and when it is paid: most on time, some late by
    /// every number of 30-day buckets, a few never (disputed or uncollectible); some in two
    /// instalments. Payments are entered during office hours of their day.
    fn settlement(&self, t: &Txn, r: &mut ChaCha8Rng) -> Settlement {
        let total = t.lines[0].amount.abs();
        let customer = t.ty.code == "CustInvc";
        let terms = match r.gen_range(0..10) {
            0 if customer => 0,
            1 => 15,
            _ => 30,
        };
        let due = t.date + Duration::days(terms);
        // Days after the due date (negative: early) at which the last payment comes.
        let late: Option<i64> = match r.gen_range(0..100) {
            0..=54 => Some(r.gen_range(-terms..=0)),
            55..=74 => Some(r.gen_range(1..=30)),
            75..=85 => Some(r.gen_range(31..=60)),
            86..=92 => Some(r.gen_range(61..=90)),
            93..=96 => Some(r.gen_range(91..=150)),
            _ => None,
        };
        let mut pays = Vec::new();
        if let Some(late) = late {
            // Never on the document's own day: the walk writes a payment on a later day.
            let last = (due + Duration::days(late)).max(t.date + Duration::days(1));
            let when = |d: NaiveDate, r: &mut ChaCha8Rng| at(d, r.gen_range(8..18), r.gen_range(0..60), 0);
            if r.prob(0.15) && (last - t.date).num_days() >= 2 {
                let first = t.date + Duration::days((last - t.date).num_days() / 2);
                pays.push(Payment { created: when(first, r), amount: total / 2 });
                pays.push(Payment { created: when(last, r), amount: total - total / 2 });
            } else {
                pays.push(Payment { created: when(last, r), amount: total });
            }
        }
        Settlement { due, pays }
    }

    /// Every transaction in id order. Besides each day's documents it writes what follows
    /// from earlier ones: the payments of invoices and bills on their days, and on weekdays
    /// the deposit of the undeposited funds (cash sales, customer payments) of the days before.
    fn walk(&self, f: &mut dyn FnMut(&Txn) -> Result<()>) -> Result<()> {
        let mut next = 0;
        let mut dues: BTreeMap<NaiveDate, Vec<Due>> = BTreeMap::new();
        let mut undeposited: HashMap<i64, i64> = HashMap::new();
        for day in self.w.hist_start.iter_days().take_while(|d| *d <= self.w.final_date) {
            let today = dues.remove(&day).unwrap_or_default();
            let weekday = !matches!(day.weekday(), Weekday::Sat | Weekday::Sun);
            for sub in OPERATING_SUBS {
                let mut derived = Vec::new();
                if day == self.w.hist_start {
                    // Opening balances: the owners' capital in the operating account.
                    let capital = self.revenue(sub) * 4;
                    derived.push(self.derived(&mut next, &OPENING, sub, day, None, "Opening balance", &[
                        (A_BANK, capital),
                        (A_EQUITY, -capital),
                    ]));
                }
                let funds = undeposited.get(&sub).copied().unwrap_or(0);
                if weekday && funds > 0 {
                    let fee = funds * 2 / 100;
                    derived.push(self.derived(&mut next, DEPOSIT, sub, day, None, "Daily deposit", &[
                        (A_BANK, funds - fee),
                        (A_BANK_FEES, fee),
                        (A_UNDEP, -funds),
                    ]));
                }
                for due in today.iter().filter(|d| d.sub == sub) {
                    let memo = format!("Payment of {}", due.doc_tranid);
                    let (ty, lines) = if due.customer {
                        (CUST_PAYMENT, [(A_UNDEP, due.pay.amount), (A_AR, -due.pay.amount)])
                    } else {
                        (VEND_PAYMENT, [(A_BANK, -due.pay.amount), (A_AP, due.pay.amount)])
                    };
                    let mut t = self.derived(&mut next, ty, sub, day, due.entity, &memo, &lines);
                    t.created = due.pay.created;
                    t.lines[1].entity = due.entity;
                    t.lines[1].memo = Some(Cow::Owned(format!("Applied to document {}", due.doc)));
                    derived.push(t);
                }
                let drawn = self.day_txns(day, sub, &mut next, &self.w.activity.day(day, sub));
                for t in derived.iter().chain(&drawn) {
                    if t.posting() {
                        let moved: i64 = t.lines.iter().filter(|l| l.account == Some(A_UNDEP)).map(|l| l.amount).sum();
                        *undeposited.entry(sub).or_default() += moved;
                    }
                    if let Some(s) = &t.settlement {
                        for pay in &s.pays {
                            dues.entry(pay.created.date()).or_default().push(Due {
                                sub,
                                doc: t.id,
                                doc_tranid: t.tranid(),
                                entity: t.entity,
                                customer: t.ty.code == "CustInvc",
                                pay: pay.clone(),
                            });
                        }
                    }
                    f(t)?;
                }
            }
        }
        Ok(())
    }

    /// A transaction the walk derives (payment, deposit, opening balance): `lines` are
    /// (account, debit positive / credit negative), the first one the main line.
    #[allow(clippy::too_many_arguments)]
    fn derived(
        &self,
        next: &mut i64,
        ty: &'static TxType,
        sub: i64,
        day: NaiveDate,
        entity: Option<i64>,
        memo: &str,
        lines: &[(i64, i64)],
    ) -> Txn {
        *next += 1;
        let id = *next + TXN_BASE;
        let mut r = rng(&[self.seed(), T_TXN, id as u64, 0xDE71]);
        let loc = self.location_of(sub, None);
        let lines = lines
            .iter()
            .enumerate()
            .map(|(i, &(account, amount))| Line {
                id: i as i64,
                main: i == 0,
                tax: false,
                account: Some(account),
                amount,
                item: None,
                qty: None,
                entity: if i == 0 { entity } else { None },
                memo: (i == 0).then(|| Cow::Owned(memo.to_string())),
                class: None,
                dept: None,
                loc: Some(loc),
                no_gl: false,
            })
            .collect();
        Txn {
            id,
            ty,
            sub,
            date: day,
            period: Some(self.month_period(day)),
            entity,
            currency: 1,
            rate_e8: 100_000_000,
            memo: Some(Cow::Owned(memo.to_string())),
            created: at(day, 16, r.gen_range(0..60), r.gen_range(0..60)),
            display: true,
            voided: false,
            book2: None,
            lines,
            settlement: None,
            derived: true,
        }
    }

    fn visible(&self, t: &Txn, now: NaiveDateTime) -> bool {
        t.created <= now
            && (t.derived || !self.w.deleted(hash(&[self.seed(), T_TXN, t.id as u64]), 0.003, t.created, now))
    }

    fn modified(&self, t: &Txn, now: NaiveDateTime) -> NaiveDateTime {
        let (_, e) = self.w.edits(hash(&[self.seed(), T_TXN, t.id as u64, 1]), 0.05, t.created, now);
        e.unwrap_or(t.created)
    }
}

fn ts_date(d: NaiveDate) -> NaiveDateTime {
    at(d, 0, 0, 0)
}

/// Writes the NetSuite snapshot as of `now`.
pub(crate) fn write(w: &World, now: NaiveDateTime, sink: &mut Sink) -> Result<Tally> {
    let ns = NetSuite::new(w);
    let seed = w.seed;
    let mut tally = Tally::default();
    let old = at(w.hist_start - Duration::days(700), 9, 30, 0);
    for t in Catalog::get().tables_of(SYS) {
        let name = t.name.clone();
        match name.as_str() {
            "transaction" => table(sink, &mut tally, SYS, &name, |tw| {
                ns.walk(&mut |t| {
                    if !ns.visible(t, now) {
                        return Ok(());
                    }
                    let total: i64 = t.lines[0].amount.abs();
                    // Invoices and bills: open ('A') until paid in full ('B').
                    let unpaid = t.settlement.as_ref().map(|s| s.unpaid(total, now));
                    let status = match t.ty.code {
                        "CustInvc" | "VendBill" if unpaid == Some(0) => "B",
                        "CustInvc" | "VendBill" => "A",
                        "CashSale" => "C",
                        "SalesOrd" | "PurchOrd" => "B",
                        _ if t.voided => "V",
                        _ => "",
                    };
                    let tranid = t.tranid();
                    tw.begin(hash(&[seed, T_TXN, t.id as u64]), t.created)
                        .set("id", t.id)
                        .set("tranid", tranid.clone())
                        .set(
                            "trandisplayname",
                            if t.display { Val::from(format!("{} #{}", t.ty.display, tranid)) } else { Val::Null },
                        )
                        .set("type", t.ty.code)
                        .set("recordtype", t.ty.record)
                        .set("trandate", t.date)
                        .set("postingperiod", t.period)
                        .set("posting", t.posting())
                        .set("voided", t.voided)
                        .set("status", if status.is_empty() { Val::Null } else { Val::from(status) })
                        .set("entity", t.entity)
                        .set("currency", t.currency)
                        .set("exchangerate", Val::Dec(t.rate_e8, 8))
                        .set("foreigntotal", cents(total * 100_000_000 / t.rate_e8))
                        .set("foreignamountunpaid", unpaid.map(|u| cents(u * 100_000_000 / t.rate_e8)))
                        .set("duedate", t.settlement.as_ref().map(|s| s.due))
                        .set("memo", t.memo.clone().map(Val::Str))
                        .set("createddate", t.created)
                        .set("lastmodifieddate", ns.modified(t, now));
                    tw.end()
                })
            })?,
            "transaction_line" => table(sink, &mut tally, SYS, &name, |tw| {
                ns.walk(&mut |t| {
                    if !ns.visible(t, now) {
                        return Ok(());
                    }
                    for (seq, l) in t.lines.iter().enumerate() {
                        tw.begin(hash(&[seed, T_TXN, t.id as u64, 100 + l.id as u64]), t.created)
                            .set("transaction", t.id)
                            .set("id", l.id)
                            .set("linesequencenumber", seq as i64)
                            .set("mainline", l.main)
                            .set("taxline", l.tax)
                            .set("subsidiary", t.sub)
                            .set("location", l.loc)
                            .set("class", l.class)
                            .set("department", l.dept)
                            .set("entity", l.entity)
                            .set("item", l.item)
                            .set("quantity", l.qty.map(|q| Val::Dec(q, 2)))
                            .set("foreignamount", cents(l.amount * 100_000_000 / t.rate_e8))
                            .set(
                                "costestimate",
                                l.item.filter(|_| l.qty.is_some()).map(|_| cents(l.amount.abs() * 6 / 10)),
                            )
                            .set("memo", l.memo.clone().map(Val::Str))
                            .set("linelastmodifieddate", t.created);
                        tw.end()?;
                    }
                    Ok(())
                })
            })?,
            "transaction_accounting_line" => table(sink, &mut tally, SYS, &name, |tw| {
                ns.walk(&mut |t| {
                    if !ns.visible(t, now) {
                        return Ok(());
                    }
                    let mut books = vec![(PRIMARY_BOOK, 100)];
                    if let Some(f) = t.book2 {
                        books.push((TAX_BOOK, f));
                    }
                    for (book, factor) in books {
                        // Scale every non-main line and let the main line balance the book.
                        let amounts: Vec<i64> = {
                            let mut v: Vec<i64> = t.lines.iter().map(|l| l.amount * factor / 100).collect();
                            let rest: i64 = v.iter().skip(1).sum();
                            v[0] = -rest;
                            v
                        };
                        for (l, amt) in t.lines.iter().zip(amounts) {
                            if l.no_gl {
                                continue;
                            }
                            let (debit, credit) = match l.account {
                                None => (Val::Null, Val::Null),
                                Some(_) if amt >= 0 => (cents(amt), Val::Null),
                                Some(_) => (Val::Null, cents(-amt)),
                            };
                            tw.begin(hash(&[seed, T_TXN, t.id as u64, 100 + l.id as u64, book as u64]), t.created)
                                .set("transaction", t.id)
                                .set("transactionline", l.id)
                                .set("accountingbook", book)
                                .set("account", l.account)
                                .set("debit", debit)
                                .set("credit", credit)
                                .set("amount", l.account.map(|_| cents(amt)))
                                .set("posting", t.posting());
                            tw.end()?;
                        }
                    }
                    Ok(())
                })
            })?,
            "accounting_book" => table(sink, &mut tally, SYS, &name, |tw| {
                for (id, nm, primary) in [
                    (PRIMARY_BOOK, "Primary Accounting Book", true),
                    (TAX_BOOK, "Tax Book (US tax basis)", false),
                    (3, "IFRS Reporting Book", false),
                ] {
                    tw.begin(hash(&[seed, tag("ns.book"), id as u64]), old)
                        .set("id", id)
                        .set("name", nm)
                        .set("isprimary", primary)
                        .set("lastmodifieddate", old + Duration::days(id * 40));
                    tw.end()?;
                }
                Ok(())
            })?,
            "account" => table(sink, &mut tally, SYS, &name, |tw| {
                for &(id, num, nm, ty, parent, summary, inactive) in ACCOUNTS {
                    let full = match parent.and_then(|p| ACCOUNTS.iter().find(|a| a.0 == p)) {
                        Some(p) => format!("{} : {}", p.2, nm),
                        None => nm.to_string(),
                    };
                    tw.begin(hash(&[seed, tag("ns.account"), id as u64]), old)
                        .set("id", id)
                        .set("acctnumber", if num.is_empty() { Val::Null } else { Val::from(num) })
                        .set("accttype", ty)
                        .set("fullname", full)
                        .set(
                            "accountsearchdisplayname",
                            if num.is_empty() { Val::from(nm) } else { Val::from(format!("{num} {nm}")) },
                        )
                        .set("description", if id % 4 == 0 { Val::Null } else { Val::from(format!("{nm} ({ty})")) })
                        .set("parent", parent)
                        .set("issummary", summary)
                        .set("isinactive", inactive)
                        .set("lastmodifieddate", old + Duration::days(id % 97));
                    tw.end()?;
                }
                Ok(())
            })?,
            "accounting_period" => table(sink, &mut tally, SYS, &name, |tw| {
                const MON: [&str; 12] =
                    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
                let closed_before =
                    NaiveDate::from_ymd_opt(now.year(), now.month(), 1).expect("date") - Duration::days(20);
                for &y in &ns.years {
                    let yb = ns.year_block(y);
                    let ystart = NaiveDate::from_ymd_opt(y, 1, 1).expect("date");
                    let yend = NaiveDate::from_ymd_opt(y, 12, 31).expect("date");
                    let row = |tw: &mut TableWriter<&mut dyn Write>,
                               id: i64,
                               nm: String,
                               s: NaiveDate,
                               e: NaiveDate,
                               q: bool,
                               yr: bool,
                               adj: bool,
                               parent: Option<i64>| {
                        tw.begin(hash(&[seed, tag("ns.period"), id as u64]), ts_date(s))
                            .set("id", id)
                            .set("periodname", nm)
                            .set("startdate", s)
                            .set("enddate", e)
                            .set("isquarter", q)
                            .set("isyear", yr)
                            .set("isadjust", adj)
                            .set("closed", e < closed_before)
                            .set("parent", parent)
                            .set(
                                "lastmodifieddate",
                                if e < closed_before { ts_date(e + Duration::days(12)) } else { ts_date(s) },
                            );
                        tw.end()
                    };
                    row(tw, yb, format!("FY {y}"), ystart, yend, false, true, false, None)?;
                    for q in 0..4i64 {
                        let qs = NaiveDate::from_ymd_opt(y, (q * 3 + 1) as u32, 1).expect("date");
                        let qe = if q == 3 {
                            yend
                        } else {
                            NaiveDate::from_ymd_opt(y, (q * 3 + 4) as u32, 1).expect("date") - Duration::days(1)
                        };
                        row(
                            tw,
                            ns.quarter_period(y, q),
                            format!("Q{} {y}", q + 1),
                            qs,
                            qe,
                            true,
                            false,
                            false,
                            Some(yb),
                        )?;
                        for m in 0..3i64 {
                            let mm = (q * 3 + m) as u32;
                            let ms = NaiveDate::from_ymd_opt(y, mm + 1, 1).expect("date");
                            let me = if mm == 11 {
                                yend
                            } else {
                                NaiveDate::from_ymd_opt(y, mm + 2, 1).expect("date") - Duration::days(1)
                            };
                            row(
                                tw,
                                ns.month_period(ms),
                                format!("{} {y}", MON[mm as usize]),
                                ms,
                                me,
                                false,
                                false,
                                false,
                                Some(ns.quarter_period(y, q)),
                            )?;
                        }
                    }
                    row(
                        tw,
                        ns.adjust_period(y),
                        format!("Year-End Adjustments {y}"),
                        yend,
                        yend,
                        false,
                        false,
                        true,
                        Some(yb),
                    )?;
                }
                Ok(())
            })?,
            "subsidiary" => table(sink, &mut tally, SYS, &name, |tw| {
                let root = "Harborline Marina Group";
                let mut subs: Vec<(i64, String, Option<i64>, bool, bool)> =
                    vec![(1, root.to_string(), None, false, false)];
                for m in &MARINAS {
                    subs.push((m.subsidiary_id, format!("{} LLC", m.name), Some(1), false, false));
                }
                subs.push((CLUB_SUB, "Harborline Boat Club LLC".into(), Some(1), false, false));
                subs.push((7, "Harborline Elimination".into(), Some(1), true, false));
                subs.push((8, "Gulf Shores Marina LLC (sold)".into(), Some(1), false, true));
                for (id, nm, parent, elim, inactive) in subs {
                    tw.begin(hash(&[seed, tag("ns.sub"), id as u64]), old)
                        .set("id", id)
                        .set("name", nm.clone())
                        .set("fullname", if parent.is_some() { format!("{root} : {nm}") } else { nm.clone() })
                        .set("parent", parent)
                        .set("currency", 1)
                        .set("country", "US")
                        .set("iselimination", elim)
                        .set("isinactive", inactive)
                        .set("lastmodifieddate", old + Duration::days(id * 11));
                    tw.end()?;
                }
                Ok(())
            })?,
            "department" => table(sink, &mut tally, SYS, &name, |tw| {
                let departments: [Segment; 10] = [
                    (1, "Operations", None, false),
                    (2, "Dock Staff", Some(1), false),
                    (3, "Fuel Dock", Some(1), false),
                    (4, "Ship Store", Some(1), false),
                    (5, "Service Yard", Some(1), false),
                    (6, "Administration", None, false),
                    (7, "Finance", Some(6), false),
                    (8, "Sales & Marketing", Some(6), false),
                    (9, "Maintenance", Some(1), false),
                    (10, "Concierge (retired)", Some(1), true),
                ];
                segment_rows(tw, seed, "ns.dept", old, &departments)
            })?,
            "location" => table(sink, &mut tally, SYS, &name, |tw| {
                let mut locs: Vec<(i64, String, Option<i64>, i64, bool)> =
                    vec![(1, "Corporate Office".into(), None, 1, false)];
                for m in &MARINAS {
                    let base = m.subsidiary_id * 10;
                    locs.push((base, m.short.to_string(), None, m.subsidiary_id, false));
                    for (k, s) in ["Fuel Dock", "Ship Store", "Service Yard"].iter().enumerate() {
                        locs.push((
                            base + k as i64 + 1,
                            format!("{} {s}", m.short),
                            Some(base),
                            m.subsidiary_id,
                            false,
                        ));
                    }
                }
                locs.push((CLUB_SUB * 10, "Boat Club Dock".into(), None, CLUB_SUB, false));
                locs.push((80, "Gulf Shores".into(), None, 8, true));
                for (id, nm, parent, sub, inactive) in locs {
                    let full = match parent {
                        Some(p) => format!(
                            "{} : {nm}",
                            MARINAS.iter().find(|m| m.subsidiary_id * 10 == p).map_or("", |m| m.short)
                        ),
                        None => nm.clone(),
                    };
                    tw.begin(hash(&[seed, tag("ns.loc"), id as u64]), old)
                        .set("id", id)
                        .set("name", nm)
                        .set("fullname", full)
                        .set("parent", parent)
                        .set("subsidiary", sub)
                        .set("isinactive", inactive)
                        .set("lastmodifieddate", old + Duration::days(id));
                    tw.end()?;
                }
                Ok(())
            })?,
            "classification" => table(sink, &mut tally, SYS, &name, |tw| {
                let classes: [Segment; 11] = [
                    (1, "Marina Operations", None, false),
                    (2, "Slip Rental", Some(1), false),
                    (3, "Transient Dockage", Some(2), false),
                    (4, "Seasonal Dockage", Some(2), false),
                    (5, "Fuel", Some(1), false),
                    (6, "Ship Store", Some(1), false),
                    (7, "Service & Repair", Some(1), false),
                    (8, "Storage", Some(1), false),
                    (9, "Boat Rentals", None, false),
                    (10, "Corporate / G&A", None, false),
                    (11, "Charters (discontinued)", None, true),
                ];
                segment_rows(tw, seed, "ns.class", old, &classes)
            })?,
            "customer" => table(sink, &mut tally, SYS, &name, |tw| {
                for i in 1..=ns.n_customers {
                    let id = CUSTOMER_BASE + i;
                    let mut r = rng(&[seed, tag("ns.customer"), i as u64]);
                    // The same people as the MOLO contacts of the same number.
                    let (f, l) = contact_name(seed, i);
                    let company = r.prob(0.1);
                    let created = at(
                        w.hist_start - Duration::days(r.gen_range(1..1500)),
                        r.gen_range(8..18),
                        r.gen_range(0..60),
                        0,
                    );
                    let key = hash(&[seed, tag("ns.customer"), i as u64]);
                    let (v, edited) = w.edits(key, 0.05, created, now);
                    let mut rv = rng(&[key, v as u64]);
                    tw.begin(hash(&[key, v as u64]), created)
                        .set("id", id)
                        .set(
                            "entityid",
                            if company { format!("C{i:05} {l} Marine Services") } else { format!("C{i:05} {f} {l}") },
                        )
                        .set("companyname", if company { Val::from(format!("{l} Marine Services")) } else { Val::Null })
                        .set("isperson", !company)
                        .set("email", email(f, l, &mut rv))
                        .set("isinactive", r.prob(0.04))
                        .set("datecreated", created)
                        .set("lastmodifieddate", edited.unwrap_or(created));
                    tw.end()?;
                }
                Ok(())
            })?,
            "vendor" => table(sink, &mut tally, SYS, &name, |tw| {
                for i in 1..=ns.n_vendors {
                    let mut r = rng(&[seed, tag("ns.vendor"), i as u64]);
                    let nm = match VENDOR_NAMES.get(i as usize - 1) {
                        Some(n) => n.to_string(),
                        None => format!(
                            "{} {} {}",
                            r.pick(LAST),
                            r.pick(&["Marine Supply", "Electric", "Plumbing", "Landscaping", "Consulting", "Hardware"]),
                            r.pick(&["LLC", "Inc.", "Co."])
                        ),
                    };
                    let person = r.prob(0.1);
                    let created = at(w.hist_start - Duration::days(r.gen_range(1..1500)), r.gen_range(8..18), 0, 0);
                    tw.begin(hash(&[seed, tag("ns.vendor"), i as u64]), created)
                        .set("id", VENDOR_BASE + i)
                        .set("entityid", format!("V{i:04} {nm}"))
                        .set("companyname", if person { Val::Null } else { Val::from(nm.clone()) })
                        .set("isperson", person)
                        .set(
                            "email",
                            format!(
                                "ap@{}.com",
                                nm.to_lowercase()
                                    .chars()
                                    .filter(|c| c.is_ascii_alphanumeric())
                                    .take(20)
                                    .collect::<String>()
                            ),
                        )
                        .set("isinactive", r.prob(0.05))
                        .set("datecreated", created)
                        .set("lastmodifieddate", created + Duration::days(r.gen_range(0..300)));
                    tw.end()?;
                }
                Ok(())
            })?,
            "item" => table(sink, &mut tally, SYS, &name, |tw| {
                for (i, (nm, ty, _, _, price, inactive)) in ITEMS.iter().enumerate() {
                    let id = item_id(i);
                    tw.begin(hash(&[seed, tag("ns.item"), id as u64]), old)
                        .set("id", id)
                        .set("itemid", *nm)
                        .set(
                            "fullname",
                            if nm.starts_with("Fuel - ") { format!("Fuel : {nm}") } else { nm.to_string() },
                        )
                        .set("displayname", if i % 5 == 0 { Val::Null } else { Val::from(*nm) })
                        .set("itemtype", *ty)
                        .set(
                            "description",
                            if *price != 0 {
                                Val::from(format!("{nm}, ${}.{:02} per unit", price.abs() / 100, price.abs() % 100))
                            } else {
                                Val::Null
                            },
                        )
                        .set("isinactive", *inactive)
                        .set(
                            "lastmodifieddate",
                            if i % 7 == 0 { Val::Null } else { Val::from(old + Duration::days(i as i64)) },
                        );
                    tw.end()?;
                }
                Ok(())
            })?,
            // Maintained by finance in a spreadsheet: saved with a byte order mark and CRLF.
            "account_report_mapping" => {
                table_styled(sink, &mut tally, SYS, &name, true, csv::Terminator::CRLF, |tw| {
                    let mut order = 0;
                    for &(id, num, nm, ty, _, summary, _) in ACCOUNTS {
                        // Finance has not mapped every account (unmapped lines show NULL mapping).
                        if num.is_empty() || summary || matches!(num, "6950" | "1800" | "9000" | "9100") {
                            continue;
                        }
                        order += 10;
                        let (report, section) = match ty {
                            "Income" => ("Income Statement", "Revenue"),
                            "COGS" => ("Income Statement", "Cost of Sales"),
                            "Expense" => ("Income Statement", "Operating Expenses"),
                            "OthIncome" | "OthExpense" => ("Income Statement", "Other Income & Expense"),
                            _ => (
                                "Balance Sheet",
                                if num < "2000" {
                                    "Assets"
                                } else if num < "3000" {
                                    "Liabilities"
                                } else {
                                    "Equity"
                                },
                            ),
                        };
                        // Maintained in Excel: one key carries a trailing space.
                        let key: Val = if num == "4400" { "4400 ".into() } else { num.into() };
                        tw.begin(hash(&[seed, tag("ns.map"), id as u64]), old)
                            .set("nsaccount", key)
                            .set("modelmappingdetail", format!("{section} - {nm}"))
                            .set("sortorder", order)
                            .set("reporttype", report)
                            .set("reportsection", section);
                        tw.end()?;
                    }
                    // A retired account number finance still maps.
                    tw.begin(hash(&[seed, tag("ns.map"), 9999]), old)
                        .set("nsaccount", "4999")
                        .set("modelmappingdetail", "Revenue - Legacy (retired)")
                        .set("sortorder", 9990)
                        .set("reporttype", "Income Statement")
                        .set("reportsection", "Revenue");
                    tw.end()
                })?
            }
            // Every other table: from its catalog entry.
            _ => from_catalog::write(sink, &mut tally, w, t)?,
        }
    }
    let currencies = vec![
        vec!["1".to_string(), "US Dollar".to_string(), "USD".to_string()],
        vec!["3".to_string(), "Canadian Dollar".to_string(), "CAD".to_string()],
    ];
    extra_member(sink, "currency.csv", SYS, &["id", "name", "symbol"], &currencies)?;
    Ok(tally)
}

/// A department or class: id, name, parent id, inactive.
type Segment = (i64, &'static str, Option<i64>, bool);

/// Writes a hierarchy of segments whose ids are their positions (1-based); the full name
/// lists the ancestors, `Parent : Child`, as NetSuite shows it.
fn segment_rows(
    tw: &mut TableWriter<&mut dyn Write>,
    seed: u64,
    label: &str,
    old: NaiveDateTime,
    segments: &[Segment],
) -> Result<()> {
    for &(id, name, parent, inactive) in segments {
        let mut full = name.to_string();
        let mut up = parent;
        while let Some(p) = up {
            let (_, parent_name, grandparent, _) = segments[p as usize - 1];
            full = format!("{parent_name} : {full}");
            up = grandparent;
        }
        tw.begin(hash(&[seed, tag(label), id as u64]), old)
            .set("id", id)
            .set("name", name)
            .set("fullname", full)
            .set("parent", parent)
            .set("isinactive", inactive)
            .set("lastmodifieddate", old + Duration::days(id));
        tw.end()?;
    }
    Ok(())
}

/// A drawn amount times a cost factor, in whole cents (at least one).
fn scaled(amount: i64, factor: f64) -> i64 {
    ((amount as f64 * factor).round() as i64).max(1)
}
