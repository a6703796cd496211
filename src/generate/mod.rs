//! Synthetic source snapshots (`marina-etl generate`): daily MOLO, Stellar and NetSuite
//! archives in exactly the formats of the source contracts, so a directory of them can serve
//! as the pipeline's sources in demos, tests and benchmarks.
//!
//! The data is a simulated world: about two years of marina history (slips, seasonal and
//! transient stays, invoices, payments), boat rentals and a general ledger. A snapshot is that
//! world seen at the export time of one day, so consecutive days differ the way real exports
//! do (new rows, status changes, edits, a few deletions) while everything is a pure function
//! of the seed and arguments: the same call writes byte-identical archives.
//!
//! Rows are streamed straight into the archive writers; nothing holds a whole table.
//!
//! Every catalog table is in every snapshot. The tables whose values must agree with each
//! other (what the views join and count, the references between tables, the balanced ledger)
//! have hand-written generators in [`molo`], [`stellar`] and [`netsuite`]; any other table is
//! written from its catalog entry alone ([`from_catalog`]), so a table added to the catalog
//! needs no generator code.

mod activity;
mod from_catalog;
mod molo;
mod netsuite;
mod stellar;
mod values;

use std::fs::File;
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration as StdDuration, SystemTime};

use anyhow::{Context, Result, bail};
use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, Timelike};

use crate::catalog::{System, Table};
use values::{Tally, at, hash, unit};

/// Arguments of `marina-etl generate`.
#[derive(Clone, Debug)]
pub struct GenerateOptions {
    /// Output directory; snapshots go to `out/molo`, `out/stellar` and `out/netsuite`.
    pub out: PathBuf,
    /// Size factor: 1.0 is about 700,000 rows over the three systems; lookups stay small.
    pub scale: f64,
    /// Seed of all randomness.
    pub seed: u64,
    /// The last (newest) snapshot date.
    pub date: NaiveDate,
    /// Number of consecutive daily snapshots ending at `date`.
    pub days: u32,
}

impl Default for GenerateOptions {
    fn default() -> Self {
        GenerateOptions {
            out: PathBuf::from("demo-data"),
            scale: 1.0,
            seed: 42,
            // A fixed date rather than today, so the default output is reproducible.
            date: NaiveDate::from_ymd_opt(2025, 12, 21).expect("valid date"),
            days: 1,
        }
    }
}

/// The demo's export date: the first day after the peak of a season, so that every view has
/// something to show: the month before it (August) is a full summer month of income,
/// rentals and occupancy, the days before it are busy on the water, and the year of history
/// behind it leaves open invoices and bills in every aging bucket.
pub const DEMO_DATE: (i32, u32, u32) = (2025, 9, 1);

impl GenerateOptions {
    /// The demo's data set: [`DEMO_DATE`], one day, the default seed, at `scale`, into `out`.
    pub fn demo(out: PathBuf, scale: f64) -> Self {
        let (y, m, d) = DEMO_DATE;
        GenerateOptions {
            out,
            scale,
            date: NaiveDate::from_ymd_opt(y, m, d).expect("valid date"),
            ..GenerateOptions::default()
        }
    }
}

/// One archive written.
#[derive(Clone, Debug)]
pub struct GeneratedSnapshot {
    pub system: System,
    pub path: PathBuf,
    /// Data rows over the catalog tables of the archive (headers and extra members excluded).
    pub rows: u64,
}

/// What `generate` wrote.
#[derive(Clone, Debug)]
pub struct GenerateSummary {
    /// Every archive, oldest day first, MOLO, Stellar, NetSuite within a day.
    pub snapshots: Vec<GeneratedSnapshot>,
    /// Rows per catalog table in the newest day's archives, in catalog order.
    pub rows_per_table: Vec<(System, String, u64)>,
    /// MOLO marina location id to NetSuite subsidiary id, for the location-subsidiary mapping
    /// of the pipeline configuration.
    pub location_subsidiary: Vec<(i64, i64)>,
}

/// Writes `opts.days` daily snapshots of the three systems under `opts.out`.
pub fn generate(opts: &GenerateOptions) -> Result<GenerateSummary> {
    if !(opts.scale > 0.0 && opts.scale.is_finite()) {
        bail!("--scale must be a positive number, got {}", opts.scale);
    }
    if opts.scale > 1000.0 {
        bail!("--scale {} is too large (at most 1000)", opts.scale);
    }
    if opts.days == 0 {
        bail!("--days must be at least 1");
    }
    if opts.days > 366 {
        bail!("--days {} is too many (at most 366)", opts.days);
    }
    let mut world = World::new(opts);
    // The ledger's income is the activity of the other two systems: walk it once.
    world.activity = activity::Activity::compute(&world)?;
    for system in System::ALL {
        let dir = opts.out.join(system.name());
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    }

    // One thread per system: the archives are independent and each is written sequentially,
    // so the output does not depend on scheduling.
    let results: Vec<Result<Vec<(GeneratedSnapshot, Tally)>>> = std::thread::scope(|s| {
        let handles: Vec<_> = System::ALL
            .iter()
            .map(|&system| {
                let world = &world;
                let out = &opts.out;
                s.spawn(move || -> Result<Vec<(GeneratedSnapshot, Tally)>> {
                    let mut done = Vec::new();
                    for day in world.snapshot_days() {
                        done.push(write_snapshot(world, system, day, out)?);
                    }
                    Ok(done)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|_| bail!("generator thread panicked"))).collect()
    });
    let mut per_system = Vec::new();
    for r in results {
        per_system.push(r?);
    }

    let mut snapshots = Vec::new();
    for d in 0..opts.days as usize {
        for sys in &per_system {
            snapshots.push(sys[d].0.clone());
        }
    }
    let mut rows_per_table = Vec::new();
    for (system, sys) in System::ALL.iter().zip(&per_system) {
        let tally = &sys.last().expect("at least one day").1;
        // Archive member order differs per system; report in catalog order.
        for t in crate::catalog::Catalog::get().tables_of(*system) {
            let n = tally.tables.iter().find(|(name, _)| *name == t.name).map_or(0, |(_, n)| *n);
            rows_per_table.push((*system, t.name.clone(), n));
        }
    }
    Ok(GenerateSummary {
        snapshots,
        rows_per_table,
        location_subsidiary: MARINAS.iter().map(|m| (m.molo_id, m.subsidiary_id)).collect(),
    })
}

/// The marinas: one MOLO marina location and one NetSuite subsidiary (and location) each.
pub(crate) struct Marina {
    pub molo_id: i64,
    pub subsidiary_id: i64,
    pub name: &'static str,
    pub short: &'static str,
    pub state: &'static str,
    /// Share of the slips.
    pub weight: f64,
    /// Transient rate per foot and night, in cents.
    pub night_per_ft: i64,
}

pub(crate) const MARINAS: [Marina; 4] = [
    Marina {
        molo_id: 1,
        subsidiary_id: 2,
        name: "Harbor Point Marina",
        short: "Harbor Point",
        state: "MD",
        weight: 0.34,
        night_per_ft: 350,
    },
    Marina {
        molo_id: 2,
        subsidiary_id: 3,
        name: "Cypress Cove Marina",
        short: "Cypress Cove",
        state: "SC",
        weight: 0.28,
        night_per_ft: 300,
    },
    Marina {
        molo_id: 3,
        subsidiary_id: 4,
        name: "Pelican Bay Yacht Basin",
        short: "Pelican Bay",
        state: "FL",
        weight: 0.22,
        night_per_ft: 425,
    },
    Marina {
        molo_id: 4,
        subsidiary_id: 5,
        name: "Lakeside Landing Marina",
        short: "Lakeside Landing",
        state: "MI",
        weight: 0.16,
        night_per_ft: 250,
    },
];

/// The simulated world's time frame and size, shared by the three systems.
pub(crate) struct World {
    pub seed: u64,
    pub scale: f64,
    /// Newest snapshot date.
    pub final_date: NaiveDate,
    /// Oldest snapshot date.
    pub first_day: NaiveDate,
    /// Start of the simulated history (about two years before the newest snapshot).
    pub hist_start: NaiveDate,
    /// End of the simulated future (reservations and bookings made in advance).
    pub horizon: NaiveDate,
    /// Edits and deletions happen from here on, so that each day's changes can be derived
    /// from the row key alone.
    pub edit_start: NaiveDate,
    /// What MOLO and Stellar earned per day and subsidiary (empty until [`generate`] fills it).
    pub activity: activity::Activity,
}

impl World {
    fn new(opts: &GenerateOptions) -> Self {
        let final_date = opts.date;
        let first_day = final_date - Duration::days(opts.days as i64 - 1);
        let back = final_date - Duration::days(730);
        World {
            seed: opts.seed,
            scale: opts.scale,
            final_date,
            first_day,
            hist_start: NaiveDate::from_ymd_opt(back.year(), back.month(), 1).expect("first of month"),
            horizon: final_date + Duration::days(300),
            edit_start: first_day - Duration::days(45),
            activity: activity::Activity::default(),
        }
    }

    /// A row count that scales linearly, with a floor so small scales keep every table filled.
    pub fn n(&self, base: f64, min: u64) -> u64 {
        ((base * self.scale).round() as u64).max(min)
    }

    pub fn snapshot_days(&self) -> impl Iterator<Item = NaiveDate> + '_ {
        self.first_day.iter_days().take_while(|d| *d <= self.final_date)
    }

    fn edit_span(&self) -> i64 {
        (self.final_date - self.edit_start).num_days() + 1
    }

    /// The edits of a row: up to two, each on a day of the edit window, keyed by the row.
    /// Returns how many happened by `now` and when the last one did.
    pub fn edits(&self, key: u64, p: f64, created: NaiveDateTime, now: NaiveDateTime) -> (u32, Option<NaiveDateTime>) {
        let mut n = 0;
        let mut last = None;
        for k in 0..2u64 {
            let h = hash(&[self.seed, key, 0xED17, k]);
            let pk = if k == 0 { p } else { p / 4.0 };
            if unit(h) >= pk {
                break;
            }
            let h2 = mix2(h);
            let day = self.edit_start + Duration::days((h2 % self.edit_span() as u64) as i64);
            let t = at(day, 0, 0, 0) + Duration::seconds((h2 >> 20) as i64 % 86_400);
            if t > created && t <= now {
                n += 1;
                last = Some(last.map_or(t, |l: NaiveDateTime| l.max(t)));
            }
        }
        (n, last)
    }

    /// Whether a row has been deleted (hard delete: it disappears from the export) by `now`.
    pub fn deleted(&self, key: u64, p: f64, created: NaiveDateTime, now: NaiveDateTime) -> bool {
        let h = hash(&[self.seed, key, 0xDE1E7E]);
        if unit(h) >= p {
            return false;
        }
        let day = self.edit_start + Duration::days((mix2(h) % self.edit_span() as u64) as i64);
        let t = at(day, 2, 0, 0);
        t > created && t <= now
    }
}

fn mix2(h: u64) -> u64 {
    values::mix(h ^ 0x5555_AAAA_5555_AAAA)
}

/// Export time and archive name of a system's snapshot of `day`.
fn export_time(system: System, day: NaiveDate) -> (NaiveDateTime, NaiveDateTime, String) {
    match system {
        // Data as of 05:00:03 UTC (the name), file landed 05:03 UTC (its mtime).
        System::Molo => (at(day, 5, 0, 3), at(day, 5, 3, 0), format!("{}050003.zip", day.format("%Y%m%d"))),
        System::Stellar => {
            (at(day, 7, 1, 0), at(day, 7, 1, 0), format!("prod_resilient_{}_07_01-DATA.sql.gz", day.format("%Y-%m-%d")))
        }
        System::NetSuite => (at(day, 6, 0, 0), at(day, 6, 0, 0), format!("netsuite_{}.zip", day.format("%Y%m%d"))),
    }
}

fn write_snapshot(world: &World, system: System, day: NaiveDate, out: &Path) -> Result<(GeneratedSnapshot, Tally)> {
    let (now, mtime, name) = export_time(system, day);
    let path = out.join(system.name()).join(&name);
    let file = File::create(&path).with_context(|| format!("creating {}", path.display()))?;
    let mut sink = match system {
        System::Stellar => Sink::tar(file, mtime),
        _ => Sink::zip(file, mtime, world.scale >= 40.0)?,
    };
    let tally = match system {
        System::Molo => molo::write(world, now, &mut sink),
        System::Stellar => stellar::write(world, now, &mut sink),
        System::NetSuite => netsuite::write(world, now, &mut sink),
    }
    .with_context(|| format!("writing {}", path.display()))?;
    sink.finish().with_context(|| format!("finishing {}", path.display()))?;
    if let Some((n, first)) = &tally.violations {
        bail!("generator bug: {n} values do not fit their columns in {}; first: {first}", path.display());
    }
    let secs = mtime.and_utc().timestamp();
    let f = File::options().write(true).open(&path).with_context(|| format!("opening {}", path.display()))?;
    f.set_modified(SystemTime::UNIX_EPOCH + StdDuration::from_secs(secs as u64))
        .with_context(|| format!("setting the modification time of {}", path.display()))?;
    let rows = tally.total();
    Ok((GeneratedSnapshot { system, path, rows }, tally))
}

/// The archive being written: a ZIP (MOLO, NetSuite) or a gzip-compressed tar (Stellar).
pub(crate) enum Sink {
    Zip { zip: Box<zip::ZipWriter<BufWriter<File>>>, options: zip::write::SimpleFileOptions },
    Tar { tar: tar::Builder<flate2::write::GzEncoder<BufWriter<File>>>, mtime: u64 },
}

impl Sink {
    fn zip(file: File, mtime: NaiveDateTime, large: bool) -> Result<Sink> {
        let stamp = zip::DateTime::from_date_and_time(
            mtime.year() as u16,
            mtime.month() as u8,
            mtime.day() as u8,
            mtime.hour() as u8,
            mtime.minute() as u8,
            mtime.second() as u8,
        )
        .map_err(|e| anyhow::anyhow!("zip timestamp: {e}"))?;
        // Level 1: the archives are large at benchmark scales and speed matters more than size.
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .compression_level(Some(1))
            .last_modified_time(stamp)
            .unix_permissions(0o644)
            // Members pass 4 GiB (ZIP64) only at very large scales; small archives stay plain.
            .large_file(large);
        Ok(Sink::Zip { zip: Box::new(zip::ZipWriter::new(BufWriter::with_capacity(1 << 20, file))), options })
    }

    fn tar(file: File, mtime: NaiveDateTime) -> Sink {
        let gz = flate2::GzBuilder::new()
            .mtime(0)
            .write(BufWriter::with_capacity(1 << 20, file), flate2::Compression::new(3));
        let mut tar = tar::Builder::new(gz);
        tar.mode(tar::HeaderMode::Deterministic);
        Sink::Tar { tar, mtime: mtime.and_utc().timestamp() as u64 }
    }

    /// Writes one archive member with the bytes `f` produces.
    pub fn entry<R>(&mut self, name: &str, f: impl FnOnce(&mut dyn Write) -> Result<R>) -> Result<R> {
        match self {
            Sink::Zip { zip, options } => {
                zip.start_file(name, *options).with_context(|| format!("starting member {name}"))?;
                f(zip.as_mut())
            }
            Sink::Tar { tar, mtime } => {
                // A tar header needs the size up front: spool the member to a temporary file.
                let tmp = tempfile::tempfile().context("creating a temporary file")?;
                let mut w = BufWriter::with_capacity(1 << 20, tmp);
                let r = f(&mut w)?;
                let mut tmp = w.into_inner().map_err(|e| e.into_error()).context("spooling a member")?;
                let size = tmp.seek(SeekFrom::End(0))?;
                tmp.seek(SeekFrom::Start(0))?;
                let mut header = tar::Header::new_ustar();
                header.set_size(size);
                header.set_mode(0o644);
                header.set_mtime(*mtime);
                header.set_uid(0);
                header.set_gid(0);
                header.set_entry_type(tar::EntryType::Regular);
                tar.append_data(&mut header, name, &mut tmp).with_context(|| format!("appending member {name}"))?;
                Ok(r)
            }
        }
    }

    fn finish(self) -> Result<()> {
        match self {
            Sink::Zip { zip, .. } => {
                let mut w = zip.finish()?;
                w.flush()?;
            }
            Sink::Tar { tar, .. } => {
                let gz = tar.into_inner()?;
                let mut w = gz.finish()?;
                w.flush()?;
            }
        }
        Ok(())
    }
}

/// Writes one catalog table into the archive through a [`values::TableWriter`].
pub(crate) fn table<F>(sink: &mut Sink, tally: &mut Tally, system: System, name: &str, rows: F) -> Result<()>
where
    F: FnOnce(&mut values::TableWriter<&mut dyn Write>) -> Result<()>,
{
    table_styled(sink, tally, system, name, false, values::terminator(system), rows)
}

/// Like [`table`], with an explicit line ending and optionally a UTF-8 byte order mark (as a
/// file saved from a spreadsheet has).
pub(crate) fn table_styled<F>(
    sink: &mut Sink,
    tally: &mut Tally,
    system: System,
    name: &str,
    bom: bool,
    line_end: csv::Terminator,
    rows: F,
) -> Result<()>
where
    F: FnOnce(&mut values::TableWriter<&mut dyn Write>) -> Result<()>,
{
    let t = crate::catalog::Catalog::get()
        .table(system, name)
        .with_context(|| format!("no {system} table {name} in the catalog"))?;
    member(sink, tally, t, bom, line_end, rows)
}

/// Writes the archive member of catalog table `t`: its header row, then the rows that
/// `rows` writes.
pub(crate) fn member<F>(
    sink: &mut Sink,
    tally: &mut Tally,
    t: &Table,
    bom: bool,
    line_end: csv::Terminator,
    rows: F,
) -> Result<()>
where
    F: FnOnce(&mut values::TableWriter<&mut dyn Write>) -> Result<()>,
{
    let (n, v) = sink.entry(&t.file, |w| {
        if bom {
            w.write_all(b"\xEF\xBB\xBF")?;
        }
        let mut tw = values::TableWriter::new(t, w, line_end)?;
        rows(&mut tw)?;
        let (_, n, v) = tw.finish()?;
        Ok((n, v))
    })?;
    tally.add(&t.name, n, v);
    Ok(())
}

/// Writes an archive member that is not a catalog table (real archives carry many).
pub(crate) fn extra_member(
    sink: &mut Sink,
    name: &str,
    system: System,
    header: &[&str],
    rows: &[Vec<String>],
) -> Result<()> {
    sink.entry(name, |w| {
        let mut c = csv::WriterBuilder::new().terminator(values::terminator(system)).from_writer(w);
        c.write_record(header)?;
        for r in rows {
            c.write_record(r)?;
        }
        c.flush()?;
        Ok(())
    })
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_ledger;
