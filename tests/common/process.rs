//! A `marina-etl` process run by a test: its standard error read line by line on a
//! thread of its own (an unread pipe could fill and block it), signals, and its exit.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::binary;

/// A running `marina-etl` whose standard error is read on a thread of its own, line by line.
pub struct Process {
    pub child: Child,
    lines: mpsc::Receiver<String>,
    /// The lines of standard error read so far.
    pub seen: Vec<String>,
}

impl Process {
    pub fn start(config: &PathBuf, args: &[&str], fault: Option<&str>) -> Process {
        let mut command = Command::new(binary());
        command
            .args(["--config", config.to_str().unwrap()])
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        if let Some(fault) = fault {
            command.env("MARINA_ETL_FAULT", fault);
        }
        let mut child = command.spawn().unwrap();
        let stderr = BufReader::new(child.stderr.take().unwrap());
        let (send, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in stderr.lines().map_while(Result::ok) {
                let _ = send.send(line);
            }
        });
        Process {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Waits until the process says `words` on its standard error; returns that line.
    pub fn wait_for(&mut self, words: &str) -> String {
        loop {
            match self.lines.recv_timeout(Duration::from_secs(120)) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.contains(words) {
                        return line;
                    }
                }
                Err(_) => panic!("the process never said '{words}': {:#?}", self.seen),
            }
        }
    }

    /// Keeps what the process said since the last look.
    pub fn drain(&mut self) {
        self.seen.extend(self.lines.try_iter());
    }

    pub fn sigterm(&self) {
        let sent = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status().unwrap();
        assert!(sent.success());
    }

    /// The exit code; the process must end within `limit` (far less than the fault's pause,
    /// so an end at all proves it did not wait for it).
    pub fn exit_code(&mut self, limit: Duration) -> Option<i32> {
        let until = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                self.seen.extend(self.lines.try_iter());
                return status.code();
            }
            if Instant::now() > until {
                let _ = self.child.kill();
                panic!("the process did not end within {limit:?} of SIGTERM: {:#?}", self.seen);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

