//! Stopping on SIGTERM or SIGINT without leaving a half-published source or a run without
//! an end.
//!
//! The first signal asks the process to stop: no new work starts (a source that has not
//! begun publishing stops where it is, nothing of it changed; `serve` starts no further
//! run), and a publish in progress may go on for the grace period (`[shutdown] grace`,
//! default 25 s, under Kubernetes' 30 s). When the grace period is over, or at a second
//! signal, the statements running at that moment are interrupted (DuckDB's interrupt,
//! PostgreSQL's cancel request) and the publish stops before its next table: its
//! transaction rolls back, so the source stays as it was. The run then ends its record in
//! the ledger as `interrupted` and the process exits with [`crate::run::exit::INTERRUPTED`].
//!
//! The state is the process's (signals are), so the run reads it through free functions.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::{Duration, Instant};

/// The grace period when the configuration names none.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(25);

/// How often statements still running are interrupted again: DuckDB drops an interrupt
/// that arrives while a statement is being prepared.
const INTERRUPT_AGAIN: Duration = Duration::from_millis(100);

/// How long statements running at the end of the grace period are interrupted for.
const INTERRUPT_FOR: Duration = Duration::from_secs(10);

#[derive(Default)]
struct State {
    /// A signal asked the process to stop.
    stop: AtomicBool,
    /// The grace period is over: publishes stop, running statements are interrupted.
    past_grace: AtomicBool,
    /// Some work was left undone because of the stop.
    cut_short: AtomicBool,
    /// The name of the first signal.
    signal: OnceLock<&'static str>,
    /// Every open warehouse connection that can be interrupted.
    watches: Mutex<Vec<Weak<Watched>>>,
}

fn state() -> &'static State {
    static STATE: OnceLock<State> = OnceLock::new();
    STATE.get_or_init(State::default)
}

/// Whether a signal asked the process to stop: start no new work.
pub fn stop_requested() -> bool {
    state().stop.load(Ordering::SeqCst)
}

/// Whether the grace period is over: a publish in progress must give up.
pub fn past_grace() -> bool {
    state().past_grace.load(Ordering::SeqCst)
}

/// The signal that asked the process to stop (`SIGTERM`, `SIGINT`).
pub fn signal() -> &'static str {
    state().signal.get().copied().unwrap_or("a signal")
}

/// Notes that work was left undone because of the stop: the run ends `interrupted`.
pub fn note_cut_short() {
    state().cut_short.store(true, Ordering::SeqCst);
}

/// Whether work was left undone because of the stop.
pub fn was_cut_short() -> bool {
    state().cut_short.load(Ordering::SeqCst)
}

/// Sleeps for `duration`, or less when a stop is asked for; says whether it slept it all.
pub fn sleep(duration: Duration) -> bool {
    let until = Instant::now() + duration;
    while !stop_requested() {
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return true;
        }
        std::thread::sleep(left.min(Duration::from_millis(100)));
    }
    false
}

/// Listens for SIGTERM and SIGINT from now on, on a thread of its own, with `grace` as
/// the grace period. Called once by `run` and `serve`; later calls do nothing.
///
/// signal-hook's own self-pipe and thread rather than tokio's signal driver: the latter
/// is woken through whichever runtime's reactor sees the signal first, and a PostgreSQL
/// session's runtime blocked in a long statement never passed it on.
pub fn install(grace: Duration) -> std::io::Result<()> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    static INSTALLED: OnceLock<()> = OnceLock::new();
    if INSTALLED.get().is_some() {
        return Ok(());
    }
    // Registered here, not on the thread: a signal that comes right after `install`
    // returns must already be ours, not the default's (which kills the process).
    let mut signals = signal_hook::iterator::Signals::new([SIGTERM, SIGINT])?;
    let _ = INSTALLED.set(());
    std::thread::Builder::new().name("marina-etl-signals".into()).spawn(move || {
        // Set at the first signal: a second one ends the grace period at once.
        let mut cut_grace: Option<std::sync::mpsc::Sender<()>> = None;
        for number in signals.forever() {
            let name = if number == SIGTERM { "SIGTERM" } else { "SIGINT" };
            if let Some(cut) = &cut_grace {
                tracing::warn!("{name} again: not waiting for the grace period");
                let _ = cut.send(());
                continue;
            }
            let _ = state().signal.set(name);
            state().stop.store(true, Ordering::SeqCst);
            let shown = humantime::format_duration(grace);
            tracing::warn!("{name}: stopping; no new work starts, a publish in progress has {shown} to finish");
            eprintln!("marina-etl: {name}: stopping (grace period {shown})");
            let (cut, cut_heard) = std::sync::mpsc::channel::<()>();
            cut_grace = Some(cut);
            std::thread::spawn(move || {
                let _ = cut_heard.recv_timeout(grace);
                end_grace();
            });
        }
    })?;
    Ok(())
}

/// Ends the grace period: publishes give up before their next table, and the statements
/// running now are interrupted until they end.
fn end_grace() {
    state().end_grace();
}

impl State {
    fn end_grace(&self) {
        let state = self;
        state.past_grace.store(true, Ordering::SeqCst);
        let mut running: Vec<(Arc<Watched>, u64)> = {
            let watches = state.watches.lock().unwrap_or_else(|e| e.into_inner());
            watches
                .iter()
                .filter_map(Weak::upgrade)
                .filter_map(|w| {
                    let statement = w.running.load(Ordering::SeqCst);
                    (statement != 0).then_some((w, statement))
                })
                .collect()
        };
        if running.is_empty() {
            return;
        }
        tracing::warn!(statements = running.len(), "grace period over: interrupting the running statements");
        self.cut_short.store(true, Ordering::SeqCst);
        let until = Instant::now() + INTERRUPT_FOR;
        // Only the statements that were running when the grace period ended: the rollback and
        // the ledger's writes that follow them must go through.
        while !running.is_empty() && Instant::now() < until {
            running.retain(|(w, statement)| w.running.load(Ordering::SeqCst) == *statement);
            for (w, _) in &running {
                (w.interrupt)();
            }
            std::thread::sleep(INTERRUPT_AGAIN);
        }
    }

    fn watch(&self, interrupt: Box<dyn Fn() + Send + Sync>) -> StatementWatch {
        let watched = Arc::new(Watched {
            running: AtomicU64::new(0),
            started: AtomicU64::new(0),
            interrupt,
        });
        let mut watches = self.watches.lock().unwrap_or_else(|e| e.into_inner());
        watches.retain(|w| w.strong_count() > 0);
        watches.push(Arc::downgrade(&watched));
        StatementWatch(watched)
    }
}

/// A warehouse connection whose running statement can be interrupted from another thread.
struct Watched {
    /// Number of the statement running now; 0 when idle.
    running: AtomicU64,
    /// Number of the last statement started.
    started: AtomicU64,
    interrupt: Box<dyn Fn() + Send + Sync>,
}

/// Held by a warehouse session: makes its statements interruptible at the end of a
/// grace period. Dropped with the session.
pub struct StatementWatch(Arc<Watched>);

impl StatementWatch {
    /// Watches a connection that `interrupt` interrupts (whatever it runs at the time).
    pub fn new(interrupt: impl Fn() + Send + Sync + 'static) -> Self {
        state().watch(Box::new(interrupt))
    }

    /// Marks a statement as running until the guard is dropped.
    pub fn statement(&self) -> RunningStatement {
        let number = self.0.started.fetch_add(1, Ordering::SeqCst) + 1;
        self.0.running.store(number, Ordering::SeqCst);
        RunningStatement(self.0.clone())
    }
}

/// A statement in progress (see [`StatementWatch::statement`]).
pub struct RunningStatement(Arc<Watched>);

impl Drop for RunningStatement {
    fn drop(&mut self) {
        self.0.running.store(0, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    #[test]
    fn only_the_statements_running_at_the_end_of_the_grace_period_are_interrupted() {
        // A state of its own: the process's must stay untouched for the other tests.
        let state = Arc::new(State::default());
        let hits_busy = Arc::new(AtomicUsize::new(0));
        let hits_idle = Arc::new(AtomicUsize::new(0));
        let (b, i) = (hits_busy.clone(), hits_idle.clone());
        let busy = state.watch(Box::new(move || {
            b.fetch_add(1, Ordering::SeqCst);
        }));
        let idle = state.watch(Box::new(move || {
            i.fetch_add(1, Ordering::SeqCst);
        }));
        let running = busy.statement();
        let ender = std::thread::spawn({
            let state = state.clone();
            move || state.end_grace()
        });
        // The interrupted statement ends (as an interrupted one does) and the next one,
        // the rollback, must not be interrupted.
        while hits_busy.load(Ordering::SeqCst) == 0 {
            std::thread::sleep(Duration::from_millis(5));
        }
        drop(running);
        let rollback = busy.statement();
        // An interrupt already on its way when the statement ended may still land.
        std::thread::sleep(INTERRUPT_AGAIN * 2);
        let seen = hits_busy.load(Ordering::SeqCst);
        ender.join().unwrap();
        assert_eq!(hits_busy.load(Ordering::SeqCst), seen, "the statement after it was not interrupted");
        assert_eq!(hits_idle.load(Ordering::SeqCst), 0);
        drop((rollback, idle));
        assert!(state.past_grace.load(Ordering::SeqCst));
        assert!(!past_grace(), "the process's state is untouched");
    }
}
