//! A control-plane child process: started in its own process group, tied to the life of the
//! test process, its output captured to a log file (or attached to the terminal), and stopped
//! with SIGTERM, then SIGKILL after the stop timeout.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::OnceLock;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::error::{Error, Result};

/// How much of a process log an error message quotes.
const LOG_TAIL_BYTES: u64 = 4096;

/// Where a process's stdout and stderr go.
#[derive(Debug, Clone)]
pub(crate) enum Output {
    /// Appended to this file; quoted in errors.
    LogFile(PathBuf),
    /// Inherited from the test process (`KUBEBUILDER_ATTACH_CONTROL_PLANE_OUTPUT=true`).
    Attached,
}

/// A running control-plane process.
#[derive(Debug)]
pub(crate) struct Process {
    binary: &'static str,
    child: Child,
    output: Output,
    stop_timeout: Duration,
}

impl Process {
    /// Starts `path` with `args`. The child leads a new process group, and on Linux it is killed
    /// when the test process dies, even by SIGKILL.
    pub(crate) fn spawn(
        binary: &'static str,
        path: &Path,
        args: &[String],
        output: Output,
        stop_timeout: Duration,
    ) -> Result<Self> {
        let mut command = Command::new(path);
        command.args(args).stdin(Stdio::null()).process_group(0);
        match &output {
            Output::Attached => {
                command.stdout(Stdio::inherit()).stderr(Stdio::inherit());
            }
            Output::LogFile(log) => {
                let file = File::options()
                    .create(true)
                    .append(true)
                    .open(log)
                    .map_err(Error::io("creating log file", log))?;
                let for_stderr = file
                    .try_clone()
                    .map_err(Error::io("creating log file", log))?;
                command.stdout(file).stderr(for_stderr);
            }
        }
        let child = spawn_tied_to_this_process(command).map_err(|source| Error::Spawn {
            binary,
            path: path.to_path_buf(),
            source,
        })?;
        Ok(Process {
            binary,
            child,
            output,
            stop_timeout,
        })
    }

    /// The operating-system process id.
    pub(crate) fn id(&self) -> u32 {
        self.child.id()
    }

    /// `Err(Exited)` when the process has already exited.
    pub(crate) fn ensure_running(&mut self) -> Result<()> {
        match self.child.try_wait() {
            Ok(Some(status)) => Err(self.exited(status)),
            _ => Ok(()),
        }
    }

    /// The error for "did not become ready within `timeout`", quoting the log.
    pub(crate) fn start_timeout(&self, timeout: Duration) -> Error {
        Error::StartTimeout {
            binary: self.binary,
            timeout,
            output: self.log_tail(),
        }
    }

    fn exited(&self, status: ExitStatus) -> Error {
        Error::Exited {
            binary: self.binary,
            status,
            output: self.log_tail(),
        }
    }

    /// The last few KiB of the process's log, or an empty string when output is attached.
    pub(crate) fn log_tail(&self) -> String {
        let Output::LogFile(path) = &self.output else {
            return String::new();
        };
        let Ok(mut file) = File::open(path) else {
            return String::new();
        };
        let len = file.metadata().map(|m| m.len()).unwrap_or(0);
        let _ = file.seek(SeekFrom::Start(len.saturating_sub(LOG_TAIL_BYTES)));
        let mut tail = Vec::new();
        let _ = file.read_to_end(&mut tail);
        String::from_utf8_lossy(&tail).into_owned()
    }

    /// Sends SIGTERM to the process group, waits up to the stop timeout, then sends SIGKILL.
    /// Always reaps the child, so no zombie remains.
    pub(crate) fn stop(&mut self) {
        if matches!(self.child.try_wait(), Ok(Some(_))) {
            return;
        }
        signal_group(self.child.id(), libc::SIGTERM);
        let deadline = Instant::now() + self.stop_timeout;
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        tracing::warn!(binary = self.binary, timeout = ?self.stop_timeout, "did not exit after SIGTERM; killing");
        self.kill();
    }

    /// Sends SIGKILL to the process group and reaps the child.
    pub(crate) fn kill(&mut self) {
        signal_group(self.child.id(), libc::SIGKILL);
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.stop();
    }
}

fn signal_group(leader: u32, signal: libc::c_int) {
    let Ok(pgid) = libc::pid_t::try_from(leader) else {
        return;
    };
    // SAFETY: kill(2) with a negative pid signals the process group we created for this child;
    // it has no memory-safety preconditions.
    unsafe {
        libc::kill(-pgid, signal);
    }
}

type SpawnRequest = (Command, mpsc::Sender<std::io::Result<Child>>);

/// Spawns `command` so that it dies with the test process.
///
/// On Linux the child asks the kernel for SIGKILL when its parent *thread* exits
/// (`PR_SET_PDEATHSIG`). Test harnesses run each test on a short-lived thread, so children are
/// spawned from one dedicated thread that lives as long as the process.
fn spawn_tied_to_this_process(command: Command) -> std::io::Result<Child> {
    static SPAWNER: OnceLock<std::sync::Mutex<mpsc::Sender<SpawnRequest>>> = OnceLock::new();
    let spawner = SPAWNER.get_or_init(|| {
        let (requests, inbox) = mpsc::channel::<SpawnRequest>();
        std::thread::Builder::new()
            .name("kubesmith-envtest-spawner".into())
            .spawn(move || {
                for (mut command, reply) in inbox {
                    let _ = reply.send(spawn_with_parent_death_signal(&mut command));
                }
            })
            .map(|_| ())
            .unwrap_or_else(|e| tracing::error!("could not start the envtest spawner thread: {e}"));
        std::sync::Mutex::new(requests)
    });
    let (reply, answer) = mpsc::channel();
    let sent = spawner
        .lock()
        .map_err(|_| std::io::Error::other("envtest spawner lock poisoned"))?
        .send((command, reply));
    if let Err(mpsc::SendError((mut command, _))) = sent {
        // The spawner thread could not be started: spawn here, without the death signal.
        return command.spawn();
    }
    answer
        .recv()
        .map_err(|_| std::io::Error::other("envtest spawner thread stopped"))?
}

#[cfg(target_os = "linux")]
fn spawn_with_parent_death_signal(command: &mut Command) -> std::io::Result<Child> {
    let parent = std::process::id();
    // SAFETY: the closure runs between fork and exec and only calls async-signal-safe
    // functions (prctl, getppid, _exit).
    unsafe {
        command.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            // The parent may have died between fork and prctl; then nobody would kill us.
            if libc::getppid() as u32 != parent {
                libc::_exit(1);
            }
            Ok(())
        });
    }
    command.spawn()
}

#[cfg(not(target_os = "linux"))]
fn spawn_with_parent_death_signal(command: &mut Command) -> std::io::Result<Child> {
    command.spawn()
}
