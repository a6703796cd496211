//! The export's workers: one per core, each with its own session, writing the files of
//! the export's jobs; a view waits for the views it reads that the export writes, and
//! then reads their files.

use std::collections::{BTreeMap, BTreeSet};

use object_store::path::Path as ObjectPath;
use object_store::ObjectStore;

use super::{child, parquet_file, ExportError, ViewText};
use crate::views;
use crate::warehouse;

/// One file to write.
pub(super) struct Job {
    pub(super) plan: usize,
    pub(super) slot: usize,
    pub(super) relative: String,
    pub(super) sql: String,
    pub(super) partition: Option<String>,
    pub(super) fingerprint: String,
    pub(super) view: Option<ViewText>,
}

/// What a worker does next.
enum Next {
    /// Write the job of this index.
    Job(usize),
    /// Wait for a running job: the jobs left read views not written yet.
    Wait,
    /// Stop: every job is taken, or one failed.
    Done,
}

/// What the workers of [`write_files`] share: which jobs are taken, and the local files of
/// the views written so far, which the views that read them read instead.
struct Progress {
    taken: Vec<bool>,
    views_written: BTreeMap<&'static str, std::path::PathBuf>,
    /// Jobs taken and not finished.
    running: usize,
    failed: bool,
}

impl Progress {
    /// The first job not taken whose views, among those this export writes, are written.
    /// Were the views to read each other, the first left is taken when none runs, and
    /// computes them.
    fn next(&mut self, jobs: &[Job], exported_views: &BTreeSet<&str>) -> Next {
        if self.failed || self.taken.iter().all(|&t| t) {
            return Next::Done;
        }
        let ready = |j: &Job| {
            j.view.as_ref().is_none_or(|v| v.reads.iter().all(|r| !exported_views.contains(r) || self.views_written.contains_key(r)))
        };
        let left = |i: &usize| !self.taken[*i];
        let Some(i) = (0..jobs.len()).filter(left).find(|&i| ready(&jobs[i])).or_else(|| (0..jobs.len()).filter(left).find(|_| self.running == 0))
        else {
            return Next::Wait;
        };
        self.taken[i] = true;
        self.running += 1;
        Next::Job(i)
    }

    /// The query of `job`: on DuckDB a view reads the views this export has written from
    /// their files.
    fn query(&self, job: &Job, dialect: warehouse::Dialect) -> String {
        let Some(view) = job.view.as_ref().filter(|_| dialect == warehouse::Dialect::DuckDb) else { return job.sql.clone() };
        let ctes: Vec<String> = view
            .reads
            .iter()
            .filter_map(|name| {
                let file = self.views_written.get(name)?;
                Some(format!("{name} AS (SELECT * FROM read_parquet({}))", warehouse::quote(&file.to_string_lossy())))
            })
            .collect();
        if ctes.is_empty() { job.sql.clone() } else { views::with_ctes(&ctes.join(",\n"), &view.select) }
    }
}

/// Writes the files of `jobs`, one worker per core, each with its own session, so that one
/// file's Parquet encoding overlaps another's query. A view waits for the views it reads
/// that this export writes. The first failure stops the workers (a file being written is
/// finished) and is returned.
pub(super) fn write_files<'j>(
    wh: &dyn warehouse::Warehouse,
    jobs: &'j [Job],
    local: &std::path::Path,
    store: &dyn ObjectStore,
    root: &ObjectPath,
    runtime: &tokio::runtime::Runtime,
) -> Result<Vec<(&'j Job, parquet_file::Written)>, ExportError> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Condvar, Mutex};
    let exported_views: BTreeSet<&str> = jobs.iter().filter_map(|j| j.view.as_ref()).map(|v| v.name).collect();
    let read_by_others: BTreeSet<&str> = jobs.iter().filter_map(|j| j.view.as_ref()).flat_map(|v| v.reads.iter().copied()).collect();
    let progress = Mutex::new(Progress { taken: vec![false; jobs.len()], views_written: BTreeMap::new(), running: 0, failed: false });
    let changed = Condvar::new();
    let done = AtomicUsize::new(0);
    let results = Mutex::new(Vec::with_capacity(jobs.len()));
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get()).min(jobs.len()).max(1);
    let work = || -> Result<(), ExportError> {
        let mut s = wh.session()?;
        loop {
            let (index, sql) = {
                let mut p = progress.lock().expect("no worker panics holding it");
                let index = loop {
                    match p.next(jobs, &exported_views) {
                        Next::Job(index) => break index,
                        Next::Wait => p = changed.wait(p).expect("no worker panics holding it"),
                        Next::Done => return Ok(()),
                    }
                };
                (index, p.query(&jobs[index], wh.dialect()))
            };
            let job = &jobs[index];
            let file = local.join(format!("{index}.parquet"));
            let started = std::time::Instant::now();
            let w = parquet_file::write_query(s.as_mut(), wh.dialect(), &sql, &file, store, &child(root, &job.relative), runtime)?;
            tracing::debug!(file = %job.relative, rows = w.rows, seconds = started.elapsed().as_secs_f64(), "exported");
            results.lock().expect("no worker panics holding it").push((job, w));
            let mut p = progress.lock().expect("no worker panics holding it");
            p.running -= 1;
            match job.view.as_ref().filter(|v| read_by_others.contains(v.name)) {
                Some(v) => {
                    p.views_written.insert(v.name, file);
                }
                None => std::fs::remove_file(&file).map_err(ExportError::Temp)?,
            }
            changed.notify_all();
            drop(p);
            crate::fault::after_export_file(done.fetch_add(1, Ordering::Relaxed) + 1)?;
        }
    };
    let outcomes: Vec<Result<(), ExportError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    let r = work();
                    if r.is_err() {
                        progress.lock().expect("no worker panics holding it").failed = true;
                        changed.notify_all();
                    }
                    r
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("an export worker panicked")).collect()
    });
    outcomes.into_iter().collect::<Result<Vec<()>, _>>()?;
    Ok(results.into_inner().expect("no worker panics holding it"))
}

