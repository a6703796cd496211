//! The run's working folder for downloaded archives: one `marina-etl-run-*` folder per
//! source and run, removed when the source is done. A process killed mid-run cannot
//! remove its folder, so each new one first clears the folders no live run holds.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

const PREFIX: &str = "marina-etl-run-";
/// Held locked by the run that owns the folder, for as long as the folder is in use.
const LOCK_FILE: &str = ".in-use";
/// A folder without its lock file may be one that another run has just created and not
/// yet locked; only older ones are taken for abandoned.
const UNLOCKED_GRACE: Duration = Duration::from_secs(600);

/// A working folder, removed (with what it holds) when dropped.
pub struct WorkFolder {
    dir: tempfile::TempDir,
    /// Released on drop, after the folder is gone.
    _in_use: File,
}

impl WorkFolder {
    /// Clears abandoned working folders in `root`, then creates a new one there.
    pub fn create(root: &Path) -> io::Result<WorkFolder> {
        for abandoned in abandoned_folders(root) {
            match std::fs::remove_dir_all(&abandoned) {
                Ok(()) => tracing::info!("removed {}, left behind by a run that ended without cleaning up", abandoned.display()),
                Err(e) => tracing::warn!("cannot remove {}, left behind by an earlier run: {e}", abandoned.display()),
            }
        }
        let dir = tempfile::Builder::new().prefix(PREFIX).tempdir_in(root)?;
        // The lock file appears already locked (a lock belongs to the file, whatever its
        // name): created and locked under another name, then renamed. Created under its own
        // name, another run clearing folders could find it unlocked in between, take the
        // folder for abandoned and remove it while this run downloads into it.
        let locking = dir.path().join(format!("{LOCK_FILE}.new"));
        let in_use = File::create(&locking)?;
        in_use.lock()?;
        std::fs::rename(&locking, dir.path().join(LOCK_FILE))?;
        Ok(WorkFolder { dir, _in_use: in_use })
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

/// Working folders in `root` whose run is gone: their lock is free (the process that held
/// it ended), or they have no lock file and are older than a run takes to lock one.
pub fn abandoned_folders(root: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(root) else { return Vec::new() };
    entries
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with(PREFIX) && e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| e.path())
        .filter(|dir| match File::open(dir.join(LOCK_FILE)) {
            Ok(lock) => lock.try_lock().is_ok(),
            Err(_) => std::fs::metadata(dir)
                .and_then(|m| m.modified())
                .is_ok_and(|t| SystemTime::now().duration_since(t).unwrap_or_default() > UNLOCKED_GRACE),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_in_use_is_kept_and_an_abandoned_one_is_removed() {
        let root = tempfile::tempdir().unwrap();
        let held = WorkFolder::create(root.path()).unwrap();
        // A killed run leaves its folder and lock file; the lock died with the process.
        let abandoned = root.path().join(format!("{PREFIX}killed"));
        std::fs::create_dir(&abandoned).unwrap();
        std::fs::write(abandoned.join(LOCK_FILE), b"").unwrap();
        std::fs::write(abandoned.join("snapshot-1"), b"partial download").unwrap();
        // A folder another run has just made and not yet locked is left alone.
        let fresh = root.path().join(format!("{PREFIX}fresh"));
        std::fs::create_dir(&fresh).unwrap();

        let second = WorkFolder::create(root.path()).unwrap();
        assert!(!abandoned.exists(), "the abandoned folder is removed");
        assert!(held.path().exists(), "a folder whose run still holds it is kept");
        assert!(fresh.exists(), "a new unlocked folder is kept");
        let (first, second_path) = (held.path().to_path_buf(), second.path().to_path_buf());
        drop((held, second));
        assert!(!first.exists() && !second_path.exists(), "a finished run removes its own folder");
    }
}
