//! Stage 2: match the snapshot's members to the catalog, stream every table that needs
//! reading into staging, and judge each table (rejects, header drift) before publishing.

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};

use duckdb::arrow::record_batch::RecordBatch;

use super::discover::Fetched;
use super::{RunContext, SourceFailure, SourceOutcome, TableProblem};
use crate::catalog::{Catalog, Column, System, Table};
use crate::decode::{self, Decoded};
use crate::schedule::{in_parallel, Urgency};
use crate::source::archive::{Archive, ArchiveKind, Member};
use crate::source::archive_kind;
use crate::warehouse::ledger::{self, RejectOrigin, TableRecord, TableStatus};
use crate::warehouse::{self, staging, Session, WarehouseError};

/// Which tables of a snapshot are read, which are skipped as unchanged, which are missing.
pub(super) struct MemberPlan<'c> {
    pub archive: Archive,
    pub members: Vec<Member>,
    /// The catalog's tables of the source, in catalog order.
    pub tables: Vec<&'c Table>,
    /// Tables to read, with their archive member.
    pub to_stage: Vec<(&'c Table, String)>,
    /// Tables with more than one member in the archive: which one is the export is not
    /// known, so the table fails.
    pub conflicts: Vec<(&'c Table, Vec<String>)>,
    /// Tables whose member is the one last published: not read again.
    pub unchanged: Vec<TableRecord>,
    /// Tables whose file is not in the archive.
    pub missing: Vec<TableRecord>,
    /// Per table, the identity of its member's content under its catalog entry.
    pub fingerprints: HashMap<String, String>,
}

/// A table staged from the archive, waiting to be published.
pub(super) struct StagedTable<'c> {
    pub table: &'c Table,
    pub record: TableRecord,
    pub held_keys: bool,
    /// Why the table cannot be published.
    pub failure: Option<TableProblem>,
    /// What a person should know although the table can be published.
    pub warnings: Vec<String>,
    pub times: StagingTimes,
}

/// A snapshot none of whose members is a table of the catalog: nothing to publish, and
/// nothing may be taken for deleted. A snapshot of another layout or system is a failure,
/// never an empty success.
fn no_known_member(fetched: &Fetched, members: &[Member]) -> SourceFailure {
    let mut names: Vec<&str> = members.iter().take(5).map(|m| m.name.as_str()).collect();
    if members.len() > names.len() {
        names.push("...");
    }
    SourceFailure::NoKnownMember {
        snapshot: fetched.described.clone(),
        members: if names.is_empty() { "none".into() } else { names.join(", ") },
    }
}

/// Says which members no table of the catalog reads (the first ten).
fn log_ignored(system: System, ignored: &[String]) {
    if ignored.is_empty() {
        return;
    }
    let shown: Vec<&str> = ignored.iter().take(10).map(String::as_str).collect();
    tracing::info!(
        source = system.name(),
        "ignored {} file(s) not in the catalog: {}{}",
        ignored.len(),
        shown.join(", "),
        if ignored.len() > shown.len() { ", ..." } else { "" }
    );
}

/// The ledger's records of `tables`, whose files are not in the archive: nothing of them
/// changes (each is warned of).
fn missing_tables<'t>(system: System, fetched: &Fetched, tables: impl Iterator<Item = &'t &'t Table>) -> Vec<TableRecord> {
    let missing: Vec<TableRecord> = tables
        .map(|t| TableRecord {
            source: system.name().into(),
            table: t.name.clone(),
            archive_key: Some(fetched.object.key.clone()),
            status: TableStatus::Missing,
            message: Some(format!("{} is not in the archive; nothing of this table changes", t.file)),
            ..TableRecord::default()
        })
        .collect();
    for m in &missing {
        tracing::warn!(source = system.name(), table = %m.table, "{}", m.message.as_deref().unwrap_or_default());
    }
    missing
}

/// Busy time of the steps that staged one table (see [`super::Phases`]).
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct StagingTimes {
    pub decompress: Duration,
    pub decode: Duration,
    pub load: Duration,
}

impl RunContext<'_> {
    /// Opens the archive and decides, table by table, what to read.
    pub(super) fn plan_members<'c>(
        &self,
        system: System,
        s: &mut dyn Session,
        fetched: &Fetched,
        outcome: &mut SourceOutcome,
    ) -> Result<MemberPlan<'c>, SourceFailure> {
        let snapshot_err = |source| SourceFailure::Archive { snapshot: fetched.described.clone(), source };
        let archive = Archive::open(&fetched.local.path, archive_kind(system), self.config.load.max_member_bytes).map_err(snapshot_err)?;
        let members = archive.members().map_err(snapshot_err)?;
        let tables: Vec<&'c Table> = Catalog::get().tables_of(system).collect();
        let layout = MemberLayout::of(&members, &tables);
        if let Some(folder) = &layout.top_folder {
            tracing::info!(source = system.name(), "every member is inside the folder '{folder}'; read as if at the archive's root");
        }
        let (present, conflicts) = layout.match_tables(&members, &tables);
        let matched = |name: &str| present.iter().any(|(_, m)| *m == name) || conflicts.iter().any(|(_, names)| names.iter().any(|n| n == name));
        outcome.ignored_files = members.iter().filter(|m| !matched(&m.name)).map(|m| m.name.clone()).collect();
        if present.is_empty() && conflicts.is_empty() {
            return Err(no_known_member(fetched, &members));
        }
        log_ignored(system, &outcome.ignored_files);

        // A ZIP member whose CRC and size equal those of the member last published for
        // its table (under the same catalog entry) would merge to no change: skip it, but
        // describe it in the ledger as published (its counts and outstanding rejects).
        let present_or_conflicting: Vec<String> =
            present.iter().map(|(t, _)| t.name.clone()).chain(conflicts.iter().map(|(t, _)| t.name.clone())).collect();
        let published = ledger::last_published_members(s, system.name())?;
        let mut plan = MemberPlan {
            archive,
            members: Vec::new(),
            tables,
            to_stage: Vec::new(),
            conflicts,
            unchanged: Vec::new(),
            missing: Vec::new(),
            fingerprints: HashMap::new(),
        };
        for (table, member) in present {
            let fingerprint = members
                .iter()
                .find(|m| m.name == member)
                .and_then(|m| Some(format!("{:08x}:{}:{}", m.crc32?, m.size, table_fingerprint(table))));
            match (&fingerprint, published.get(&table.name)) {
                (Some(now), Some(last)) if !self.opts.full && *now == last.fingerprint => {
                    let live = staging::live_rows(s, self.wh.dialect(), table)?;
                    ledger::carry_forward_rejects(s, self.run_id, last.run_id, system.name(), &table.name)?;
                    plan.unchanged.push(TableRecord {
                        source: system.name().into(),
                        table: table.name.clone(),
                        archive_key: Some(fetched.object.key.clone()),
                        rows_read: last.rows_read,
                        rows_staged: last.rows_staged,
                        rows_rejected: last.rows_rejected,
                        rows_unchanged: live,
                        status: TableStatus::Unchanged,
                        message: Some(format!("{member} is the same as when run {} published it; not read again", last.run_id)),
                        member_fingerprint: fingerprint.clone(),
                        ..TableRecord::default()
                    });
                }
                _ => plan.to_stage.push((table, member)),
            }
            if let Some(f) = fingerprint {
                plan.fingerprints.insert(table.name.clone(), f);
            }
        }
        plan.missing = missing_tables(system, fetched, plan.tables.iter().filter(|t| !present_or_conflicting.contains(&t.name)));
        plan.members = members;
        Ok(plan)
    }

    /// Streams every table to read into staging; a table that fails is judged failed, the
    /// others go on.
    pub(super) fn stage<'c>(
        &self,
        system: System,
        fetched: &Fetched,
        plan: &MemberPlan<'c>,
        outcome: &mut SourceOutcome,
    ) -> Result<Vec<StagedTable<'c>>, SourceFailure> {
        let clock = Instant::now();
        let size = |member: &str| plan.members.iter().find(|m| m.name == member).map_or(0, |m| m.size);
        let urgency = |member: &str| Urgency { snapshot_bytes: fetched.object.size, member_bytes: size(member) };
        let key = fetched.object.key.as_str();
        let mut staged: Vec<StagedTable> = match plan.archive.kind() {
            ArchiveKind::Zip => {
                // Largest members first, so the longest table is not the one left to run
                // alone at the end.
                let mut to_stage = plan.to_stage.clone();
                to_stage.sort_by_key(|(_, member)| std::cmp::Reverse(size(member)));
                // The workers' log lines keep the run's, source's and phase's context.
                let parent = tracing::Span::current();
                in_parallel(&to_stage, |(table, member)| {
                    let _context = parent.enter();
                    let _slot = self.slots.acquire(urgency(member));
                    match plan.archive.with_member(member, |r| self.stage_table(&MemberJob { system, archive: &plan.archive, archive_key: key, table, member }, r)) {
                        Ok(Some(staged)) => staged,
                        Ok(None) => failed_table(system, table, key, TableProblem::Vanished { member: member.clone() }),
                        Err(e) => failed_table(system, table, key, e.into()),
                    }
                })
            }
            ArchiveKind::TarGz => {
                let mut out = Vec::new();
                plan.archive
                    .for_each_member(|name, reader| {
                        if let Some((table, member)) = plan.to_stage.iter().find(|(_, m)| m == name) {
                            let _slot = self.slots.acquire(urgency(member));
                            out.push(self.stage_table(&MemberJob { system, archive: &plan.archive, archive_key: key, table, member }, reader));
                        }
                    })
                    .map_err(|source| SourceFailure::Archive { snapshot: fetched.described.clone(), source })?;
                out
            }
        };
        for (table, names) in &plan.conflicts {
            staged.push(failed_table(system, table, key, TableProblem::SeveralMembers { members: names.clone() }));
        }
        outcome.phases.stage = clock.elapsed().as_secs_f64();
        for t in &mut staged {
            outcome.phases.decompress += t.times.decompress.as_secs_f64();
            outcome.phases.decode += t.times.decode.as_secs_f64();
            outcome.phases.load += t.times.load.as_secs_f64();
            t.record.member_fingerprint = plan.fingerprints.get(&t.table.name).cloned();
        }
        Ok(staged)
    }

    /// Streams one member into its staging table and judges the result.
    fn stage_table<'c>(&self, job: &MemberJob<'_, 'c>, reader: &mut dyn std::io::Read) -> StagedTable<'c> {
        let _table = tracing::info_span!("table", table = %job.table.name).entered();
        let started = Instant::now();
        let mut staged = match self.stage_table_inner(job, reader) {
            Ok(staged) => staged,
            Err(problem) => failed_table(job.system, job.table, job.archive_key, problem),
        };
        staged.record.seconds = started.elapsed().as_secs_f64();
        if let Some(failure) = &staged.failure {
            tracing::warn!(source = job.system.name(), table = %job.table.name, "{failure}");
        }
        for warning in &staged.warnings {
            tracing::warn!(source = job.system.name(), table = %job.table.name, "{warning}");
        }
        staged
    }

    fn stage_table_inner<'c>(&self, job: &MemberJob<'_, 'c>, reader: &mut dyn std::io::Read) -> Result<StagedTable<'c>, TableProblem> {
        let MemberJob { system, archive, archive_key, table, member } = *job;
        let d = self.wh.dialect();
        let mut s = self.wh.session()?;
        let mut times = StagingTimes::default();
        // One transaction per table: DuckDB then writes the bulk-loaded row groups
        // straight to the database file instead of through its write-ahead log.
        let (decoded, held_keys, wiped) = warehouse::in_transaction(s.as_mut(), |s| -> Result<_, TableProblem> {
            staging::replace_staging_table(s, d, table)?;
            let mut reader = TimedRead { inner: reader, spent: Duration::ZERO };
            let mut decoded = stream_into_staging(s, &table.staging_name(), &mut times, |sink| {
                let mut progress = |rows| self.listener.rows(system, member, rows);
                decode::decode_table(table, &mut reader, &self.config.load.decode_limits(), sink, &mut progress)
                    .map_err(|source| TableProblem::Decode { member: member.to_string(), source })
            })?;
            times.decompress = reader.spent;
            times.decode = times.decode.saturating_sub(reader.spent);
            supersede_duplicates(s, d, archive, table, member, &self.config.load.decode_limits(), &mut decoded)?;
            let held_keys = staging::replace_held_keys(s, d, table, decoded.held_keys.take())?;
            staging::analyze(s, d, table, held_keys)?;
            let missing: Vec<&Column> = table
                .columns
                .iter()
                .filter(|c| c.header.as_ref().is_some_and(|h| decoded.header.missing.contains(h)))
                .collect();
            let wiped = staging::columns_holding_values(s, d, table, &missing)?;
            Ok((decoded, held_keys, wiped))
        })?;
        let origin = RejectOrigin { run_id: self.run_id, source: system.name(), table: &table.name, archive_key, file: member };
        ledger::write_rejects(s.as_mut(), &origin, &decoded.rejects)?;

        let warnings: Vec<String> = wiped
            .iter()
            .map(|(column, rows)| {
                format!(
                    "column {} ({}) is missing from {member} but holds values in {rows} live row(s); they become NULL",
                    column.name,
                    column.header.as_deref().unwrap_or_default()
                )
            })
            .collect();
        let mut messages: Vec<String> = warnings.iter().cloned().chain(decoded.header.describe()).collect();
        let ratio = self.config.load.max_reject_ratio;
        let failure = if decoded.key_rejects > 0 {
            Some(TableProblem::KeyRejects(decoded.key_rejects))
        } else if decoded.rows_rejected as f64 > ratio * decoded.rows_read as f64 {
            Some(TableProblem::TooManyRejects { rejected: decoded.rows_rejected, read: decoded.rows_read, ratio })
        } else {
            None
        };
        if decoded.rows_rejected > 0 {
            messages.push(format!("{} row(s) rejected, see ETL_REJECTS", decoded.rows_rejected));
        }
        if let Some(f) = &failure {
            messages.insert(0, f.to_string());
        }
        Ok(StagedTable {
            table,
            held_keys,
            times,
            failure,
            warnings,
            record: TableRecord {
                source: system.name().into(),
                table: table.name.clone(),
                archive_key: Some(archive_key.to_string()),
                rows_read: decoded.rows_read,
                rows_staged: decoded.rows_staged,
                rows_rejected: decoded.rows_rejected,
                status: TableStatus::Staged,
                message: (!messages.is_empty()).then(|| messages.join("; ")),
                ..TableRecord::default()
            },
        })
    }
}

/// One archive member to stage into its table.
#[derive(Clone, Copy)]
struct MemberJob<'a, 'c> {
    system: System,
    archive: &'a Archive,
    archive_key: &'a str,
    table: &'c Table,
    member: &'a str,
}

/// Takes the rows whose key appears again later in the file out of staging, as rejects
/// quoting their raw lines (read again from the member).
fn supersede_duplicates(
    s: &mut dyn Session,
    d: crate::warehouse::Dialect,
    archive: &Archive,
    table: &Table,
    member: &str,
    limits: &decode::DecodeLimits,
    decoded: &mut Decoded,
) -> Result<(), TableProblem> {
    let superseded = staging::supersede_duplicates(s, d, table)?;
    if superseded.is_empty() {
        return Ok(());
    }
    let lines: BTreeSet<u64> = superseded.iter().map(|r| r.line).collect();
    let raw = archive
        .with_member(member, |r| decode::raw_records(r, &lines, limits))?
        .transpose()
        .map_err(|e| TableProblem::Decode { member: member.to_string(), source: e })?
        .unwrap_or_default();
    for mut r in superseded {
        r.raw_line = raw.get(&r.line).cloned();
        decoded.rejects.push(r);
        decoded.rows_rejected += 1;
        decoded.rows_staged -= 1;
    }
    Ok(())
}

/// Runs `decode` with a sink that hands its batches to a second thread, which appends
/// them to `staging`: decoding the next batch overlaps loading the last one. Records in
/// `times` how long the loader was busy appending, and how long `decode` ran without
/// waiting for it (including the reads it made).
fn stream_into_staging<T>(
    s: &mut dyn Session,
    staging: &str,
    times: &mut StagingTimes,
    decode: impl FnOnce(&mut dyn FnMut(RecordBatch) -> Result<(), String>) -> Result<T, TableProblem>,
) -> Result<T, TableProblem> {
    let (batches, received) = std::sync::mpsc::sync_channel::<RecordBatch>(2);
    std::thread::scope(|scope| {
        let loader = scope.spawn(move || -> Result<Duration, WarehouseError> {
            let mut busy = Duration::ZERO;
            for batch in received {
                let started = Instant::now();
                s.append(staging, batch)?;
                busy += started.elapsed();
            }
            Ok(busy)
        });
        let mut waited = Duration::ZERO;
        let started = Instant::now();
        let mut sink = |batch| {
            // Staging is not publishing: it stops as soon as the process is asked to.
            if crate::serve::shutdown::stop_requested() {
                crate::serve::shutdown::note_cut_short();
                return Err(format!("stopped by {}", crate::serve::shutdown::signal()));
            }
            let handed = Instant::now();
            // Fails only when the loader stopped, whose own error is the one reported.
            let sent = batches.send(batch).map_err(|_| "staging stopped".to_string());
            waited += handed.elapsed();
            sent
        };
        let decoded = decode(&mut sink);
        // Closing the channel lets the loader finish.
        drop(batches);
        times.decode = started.elapsed().saturating_sub(waited);
        let loaded = loader.join().expect("the staging thread panicked");
        times.load = *loaded.as_ref().unwrap_or(&Duration::ZERO);
        // A failed append also stops decoding: report the append's error.
        loaded.map_err(TableProblem::from).and(decoded)
    })
}

/// A reader that counts the time spent in it: for an archive member, inflating.
struct TimedRead<'r> {
    inner: &'r mut dyn std::io::Read,
    spent: Duration,
}

impl std::io::Read for TimedRead<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let started = Instant::now();
        let n = self.inner.read(buf);
        self.spent += started.elapsed();
        n
    }
}

/// How the archive's member names map to the catalog's file names: exports made by hand
/// or by other tools put `./` before the names, or wrap every member in one folder
/// (`zip -r netsuite_20251221.zip netsuite_20251221/`).
struct MemberLayout {
    /// The one folder every member is in, when the catalog's names are found only inside it.
    top_folder: Option<String>,
}

impl MemberLayout {
    fn of(members: &[Member], tables: &[&Table]) -> Self {
        let plain = |name: &str| name.trim_start_matches("./").to_string();
        let known = |name: &str| tables.iter().any(|t| t.file.eq_ignore_ascii_case(name));
        let top = members.first().and_then(|m| plain(&m.name).split_once('/').map(|(top, _)| format!("{top}/")));
        let top_folder = top.filter(|top| {
            members.iter().all(|m| plain(&m.name).starts_with(top.as_str()))
                && !members.iter().any(|m| known(&plain(&m.name)))
                && members.iter().any(|m| known(&plain(&m.name)[top.len()..]))
        });
        MemberLayout { top_folder }
    }

    /// Per table, its member (`present`) or, when the archive holds several, all of them
    /// (`conflicts`); a table with none is in neither.
    #[allow(clippy::type_complexity)]
    fn match_tables<'c>(&self, members: &[Member], tables: &[&'c Table]) -> (Vec<(&'c Table, String)>, Vec<(&'c Table, Vec<String>)>) {
        let (mut present, mut conflicts) = (Vec::new(), Vec::new());
        for table in tables {
            let named = |same: &dyn Fn(&str) -> bool| -> Vec<String> {
                members.iter().filter(|m| same(self.logical_name(&m.name))).map(|m| m.name.clone()).collect()
            };
            let mut found = named(&|n| n == table.file);
            if found.is_empty() {
                found = named(&|n| n.eq_ignore_ascii_case(&table.file));
            }
            match found.len() {
                0 => {}
                1 => present.push((*table, found.remove(0))),
                _ => conflicts.push((*table, found)),
            }
        }
        (present, conflicts)
    }

    /// The name a member would have at the root of a plain export.
    fn logical_name<'n>(&self, name: &'n str) -> &'n str {
        let name = name.trim_start_matches("./");
        match &self.top_folder {
            Some(top) => name.strip_prefix(top.as_str()).unwrap_or(name),
            None => name,
        }
    }
}

/// Identifies a table's catalog entry, so that a changed entry (a new column, say) makes
/// an unchanged member worth reading again.
fn table_fingerprint(table: &Table) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("{}|{:?}", table.file, table.columns).as_bytes());
    digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

fn failed_table<'c>(system: System, table: &'c Table, archive_key: &str, problem: TableProblem) -> StagedTable<'c> {
    StagedTable {
        table,
        held_keys: false,
        times: StagingTimes::default(),
        warnings: Vec::new(),
        record: TableRecord {
            source: system.name().into(),
            table: table.name.clone(),
            archive_key: Some(archive_key.to_string()),
            status: TableStatus::Failed,
            message: Some(problem.to_string()),
            ..TableRecord::default()
        },
        failure: Some(problem),
    }
}
