//! `marina-etl report`: the numbers on the page are the views' numbers, data from the
//! warehouse is escaped, an empty warehouse gives a readable page, and a real browser draws
//! every section and chart without a request to anything but the file.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use common::{Backend, Env};
use marina_etl::generate::{self, GenerateOptions};
use marina_etl::html_report::{self, Page, ReportOptions, Section};
use marina_etl::warehouse;

/// A warehouse loaded with a small generated data set of all three systems.
fn loaded(backend: Backend) -> Env {
    let env = Env::new(backend);
    let summary = generate::generate(&GenerateOptions { out: env.dir.path().to_path_buf(), scale: 0.02, ..GenerateOptions::default() })
        .expect("generate");
    let mut env = env;
    for (location, subsidiary) in summary.location_subsidiary {
        env.config.molo.location_subsidiary.insert(location.to_string(), subsidiary);
    }
    let r = env.run(&[]);
    assert_eq!(r.exit_code(), 0, "{:?}", r.errors);
    env
}

fn page_of(env: &Env, opts: &ReportOptions) -> Page {
    let wh = warehouse::open(&env.config.warehouse).unwrap();
    let mut s = wh.session().unwrap();
    html_report::build(s.as_mut(), opts).expect("report")
}

fn section<'a>(page: &'a Page, id: &str) -> &'a Section {
    page.sections.iter().find(|s| s.id == id).unwrap_or_else(|| panic!("section {id}"))
}

/// The rows of the table behind the chart titled `title`, keyed by their first cell.
fn chart_rows(s: &Section, title: &str) -> BTreeMap<String, Vec<String>> {
    let chart = s.charts.iter().find(|c| c.title == title).unwrap_or_else(|| panic!("chart {title}"));
    chart.table.rows.iter().map(|r| (r[0].clone(), r[1..].to_vec())).collect()
}

fn num(v: &Option<String>) -> f64 {
    v.as_deref().map_or(0.0, |t| t.parse().unwrap())
}

fn every_section_and_chart_has_data_and_matches_the_views(backend: Backend) {
    let env = loaded(backend);
    let page = page_of(&env, &ReportOptions::default());
    for s in &page.sections {
        assert_eq!(s.empty, None, "section {} is empty", s.id);
        for c in &s.charts {
            assert!(c.points > 0 && c.svg.starts_with("<svg"), "chart '{}' of {} has nothing drawn", c.title, s.id);
        }
    }
    let (from, to) = (page.period.from, page.period.to);
    let months = |y: i64, m: i64| {
        let key = y * 100 + m;
        key >= i64::from(from.format("%Y%m").to_string().parse::<i32>().unwrap())
            && key <= i64::from(to.format("%Y%m").to_string().parse::<i32>().unwrap())
    };

    // Occupancy by month: each marina's column is the view's OCCUPANCY_PCT of that month.
    let marinas = section(&page, "marinas");
    let table = chart_rows(marinas, "Occupancy per marina by month (%)");
    let chart = marinas.charts.iter().find(|c| c.title == "Occupancy per marina by month (%)").unwrap();
    let mut checked = 0;
    for row in env.query("SELECT MONTH_YEAR_NAME, YEAR_NUMBER, MONTH_NUMBER, MARINA_LOCATION_NAME, OCCUPANCY_PCT FROM DW_MOLO_MONTHLY_OCCUPANCY_VW") {
        if !months(num(&row[1]) as i64, num(&row[2]) as i64) {
            continue;
        }
        let column = chart.table.headers.iter().position(|h| Some(h) == row[3].as_ref()).expect("a column per marina") - 1;
        let cells = &table[row[0].as_ref().unwrap()];
        assert_eq!(cells[column], format!("{:.2}", num(&row[4])), "{row:?}");
        checked += 1;
    }
    assert!(checked > 0);

    // Occupancy KPI: occupied over slips of the daily view, in the report's dates.
    let (mut occupied, mut slips) = (0.0, 0.0);
    for row in env.query(&format!(
        "SELECT OCCUPIED_SLIPS, SLIPS FROM DW_MOLO_DAILY_OCCUPANCY_RATE_VW WHERE CALENDAR_DATE BETWEEN DATE '{from}' AND DATE '{to}'"
    )) {
        occupied += num(&row[0]);
        slips += num(&row[1]);
    }
    assert_eq!(marinas.kpis[0].label, "Occupancy");
    assert_eq!(marinas.kpis[0].value, format!("{:.1}%", 100.0 * occupied / slips));

    // Income, expense and net by month, summed here from the P&L view's lines.
    let finance = section(&page, "finance");
    let mut sums: BTreeMap<String, [f64; 3]> = BTreeMap::new();
    for row in env.query(&format!(
        "SELECT CAST(TRAN_DATE AS VARCHAR), INCOME_AMOUNT, OTHERINCOME_AMOUNT, COGS_AMOUNT, EXPENSE_AMOUNT, OTHEREXPENSE_AMOUNT, NET_PROFIT \
         FROM DW_NS_X_FIN_REPORT_V WHERE TRAN_DATE BETWEEN DATE '{from}' AND DATE '{to}'"
    )) {
        let month = row[0].as_deref().unwrap()[..7].to_string();
        let e = sums.entry(month).or_default();
        e[0] += num(&row[1]) + num(&row[2]);
        e[1] -= num(&row[3]) + num(&row[4]) + num(&row[5]);
        e[2] += num(&row[6]);
    }
    let table = chart_rows(finance, "Income, expense and net by month ($)");
    assert_eq!(table.len(), sums.len());
    for (month, [income, expense, net]) in &sums {
        assert_eq!(table[month], [income, expense, net].map(|v| html_report::money(*v)), "{month}");
    }

    // Aging buckets: the open amounts of the AR and AP views, summed per bucket.
    let table = chart_rows(finance, "Open balances by age ($)");
    for (i, view) in ["DW_NS_AR_AGING_V", "DW_NS_AP_AGING_V"].iter().enumerate() {
        let mut per_bucket: BTreeMap<String, f64> = BTreeMap::new();
        for row in env.query(&format!("SELECT AGING_BUCKET, AMOUNT_OPEN FROM {view}")) {
            *per_bucket.entry(row[0].clone().unwrap()).or_default() += num(&row[1]);
        }
        for (bucket, cells) in &table {
            assert_eq!(cells[i], html_report::money(per_bucket.get(bucket).copied().unwrap_or(0.0)), "{view} {bucket}");
        }
    }

    // Top boats: the ten largest sums of the monthly boat revenue view.
    let rentals = section(&page, "rentals");
    let mut per_boat: BTreeMap<(String, String), f64> = BTreeMap::new();
    for row in env.query("SELECT BOAT_NUMBER, LOCATION_NAME, YEAR_NUMBER, MONTH_NUMBER, REVENUE FROM DW_STELLAR_MONTHLY_BOAT_REVENUE_VW") {
        if months(num(&row[2]) as i64, num(&row[3]) as i64) {
            *per_boat.entry((row[0].clone().unwrap_or_default(), row[1].clone().unwrap_or_default())).or_default() += num(&row[4]);
        }
    }
    let mut ranked: Vec<_> = per_boat.into_iter().collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let chart = rentals.charts.iter().find(|c| c.title == "Top 10 boats by revenue ($)").unwrap();
    let shown: Vec<(String, String)> = chart.table.rows.iter().map(|r| (r[0].clone(), r[1].clone())).collect();
    let expected: Vec<(String, String)> =
        ranked.iter().take(10).map(|((boat, place), v)| (format!("{boat} ({place})"), html_report::money(*v))).collect();
    assert_eq!(shown, expected);

    // Pipeline: the run that loaded the data, with its rows per source.
    let pipeline = section(&page, "pipeline");
    let runs = &pipeline.tables[0].table;
    assert_eq!(runs.rows.len(), 1);
    assert_eq!(runs.rows[0][2], "succeeded");
    let molo_rows = env.count("SELECT SUM(ROWS_READ) FROM ETL_RUN_TABLES WHERE SOURCE = 'molo'");
    assert_eq!(runs.rows[0][4], html_report::grouped(molo_rows as f64, 0));
    assert_eq!(pipeline.tables[1].table.rows.len(), 3, "a latest snapshot per source");

    // One marina: its column alone, and the figures of its slips alone.
    let first = env.query("SELECT MIN(ID) FROM DW_MOLO_MARINA_LOCATIONS")[0][0].clone().unwrap();
    let name = env.query(&format!("SELECT NAME FROM DW_MOLO_MARINA_LOCATIONS WHERE ID = {first}"))[0][0].clone().unwrap();
    let one = page_of(&env, &ReportOptions { locations: vec![first.parse().unwrap()], ..ReportOptions::default() });
    let chart = section(&one, "marinas").charts.iter().find(|c| c.title == "Occupancy per marina by month (%)").unwrap();
    assert_eq!(chart.table.headers, ["", name.as_str()]);
    let (mut occupied, mut slips) = (0.0, 0.0);
    for row in env.query(&format!(
        "SELECT OCCUPIED_SLIPS, SLIPS FROM DW_MOLO_DAILY_OCCUPANCY_RATE_VW WHERE MARINA_LOCATION_ID = {first} AND CALENDAR_DATE BETWEEN DATE '{from}' AND DATE '{to}'"
    )) {
        occupied += num(&row[0]);
        slips += num(&row[1]);
    }
    assert_eq!(section(&one, "marinas").kpis[0].value, format!("{:.1}%", 100.0 * occupied / slips));
}

fn names_from_the_data_are_escaped(backend: Backend) {
    let env = loaded(backend);
    let hostile = r#"<script>alert("x")</script> & <img src=x onerror=alert(1)>"#;
    env.execute(&format!(
        "UPDATE DW_MOLO_MARINA_LOCATIONS SET NAME = '{}' WHERE ID = (SELECT MIN(ID) FROM DW_MOLO_MARINA_LOCATIONS)",
        hostile.replace('\'', "''")
    ));
    let out = env.dir.path().join("report.html");
    let wh = warehouse::open(&env.config.warehouse).unwrap();
    let mut s = wh.session().unwrap();
    html_report::write(s.as_mut(), &ReportOptions::default(), &out).unwrap();
    let html = std::fs::read_to_string(&out).unwrap();
    let mode = std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&out).unwrap().permissions());
    assert_eq!(mode & 0o044, 0o044, "the page is readable by others, as a file to share ({mode:o})");
    assert!(!html.contains("<script"), "a script tag from the data got through");
    assert!(!html.contains("<img"), "an element from the data got through");
    assert!(html.contains("&lt;script&gt;") || html.contains("&#60;script&#62;"), "the name is shown, escaped");
}

fn an_empty_warehouse_gives_a_readable_page(backend: Backend) {
    let env = Env::new(backend);
    // A warehouse that exists but was never loaded.
    {
        let wh = warehouse::open(&env.config.warehouse).unwrap();
        let mut s = wh.session().unwrap();
        marina_etl::run::prepare_warehouse(s.as_mut(), wh.dialect()).unwrap();
    }
    let page = page_of(&env, &ReportOptions::default());
    let html = page.render().unwrap();
    for s in &page.sections {
        let why = s.empty.as_deref().unwrap_or_else(|| panic!("section {} says why it is empty", s.id));
        assert!(html.contains(why));
    }
}

backend_tests!(every_section_and_chart_has_data_and_matches_the_views, names_from_the_data_are_escaped, an_empty_warehouse_gives_a_readable_page);

/// Opens the written report in Debian's headless Chromium with every host name unresolvable
/// and a dead proxy, logging the network activity and the console: no request but the file,
/// no console error, every section and chart drawn. Leaves a screenshot in the test folder.
#[test]
fn chromium_draws_the_report_offline() {
    let env = loaded(Backend::DuckDb);
    let out_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("report");
    std::fs::create_dir_all(&out_dir).unwrap();
    let file = out_dir.join("report.html");
    let status = Command::new(common::binary())
        .args(["--config", env.config_file().to_str().unwrap(), "report", "--out", file.to_str().unwrap()])
        .status()
        .unwrap();
    assert!(status.success());
    let url = format!("file://{}", file.display());
    let net_log = out_dir.join("net-log.json");
    let screenshot = out_dir.join("report.png");
    let browser = |extra: &[String]| {
        let mut cmd = Command::new("chromium");
        cmd.args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            "--proxy-server=127.0.0.1:9",
            "--enable-logging=stderr",
            "--v=0",
            "--window-size=1280,4000",
        ]);
        cmd.args(extra).arg(&url);
        cmd.output().expect("chromium runs (installed by .ci/run)")
    };
    let dom = browser(&["--dump-dom".into(), format!("--log-net-log={}", net_log.display())]);
    assert!(dom.status.success(), "{}", String::from_utf8_lossy(&dom.stderr));
    let html = String::from_utf8_lossy(&dom.stdout);
    let console = String::from_utf8_lossy(&dom.stderr);
    assert!(!console.lines().any(|l| l.contains("CONSOLE") && l.to_lowercase().contains("error")), "console errors:\n{console}");
    for id in ["marinas", "rentals", "finance", "pipeline"] {
        assert!(html.contains(&format!("data-section=\"{id}\"")), "section {id} missing");
    }
    let charts = html.matches("<figure class=\"chart\"").count();
    let drawn = html.matches("<svg").count();
    assert!(charts >= 9 && drawn == charts, "{drawn} of {charts} charts drawn");
    assert!(html.matches("<path").count() + html.matches("<rect").count() > 50, "charts have data points");
    // Every request the page made (the browser's own, to its vendor, are keyed to other
    // sites) is for the file itself.
    let log: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&net_log).unwrap()).unwrap();
    let page_requests: Vec<&str> = log["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["params"]["network_isolation_key"].as_str().is_some_and(|k| k.starts_with("file://")))
        .filter_map(|e| e["params"]["url"].as_str())
        .collect();
    assert!(page_requests.iter().all(|u| u.starts_with("file://") || u.starts_with("data:")), "{page_requests:?}");
    let shot = browser(&[format!("--screenshot={}", screenshot.display())]);
    assert!(shot.status.success());
    assert!(std::fs::metadata(&screenshot).unwrap().len() > 10_000, "a screenshot was written");
}
