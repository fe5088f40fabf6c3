//! A watchdog process that restores the host when the test process dies without stopping its
//! cluster (SIGKILL, a crash, a CI timeout). The components die with the test process
//! (`PR_SET_PDEATHSIG`), but containerd's shims and the containers are not its children, and
//! mounts, links and rules stay; the watchdog cleans them up at once instead of leaving them to
//! the next [`super::Cluster::start`].
//!
//! The watchdog is the test executable itself, started again with [`WATCHDOG_ENV`] set to the
//! test process's id: a test binary with its own `main` (the node tests' harness) calls
//! [`serve_if_requested`] first thing; only then does [`super::Cluster::start`] start a
//! watchdog. It waits for the test process to exit (a pidfd becoming readable: an event, no
//! polling), takes the machine lock `node-cluster` (free once the test process is gone) and
//! restores the host from the record, if one is left.

use std::os::unix::process::CommandExt as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Context as _;

use super::host_state::{HostRecord, LOCK_NAME};

/// Set to the id of the process to watch, this executable runs as a watchdog.
pub const WATCHDOG_ENV: &str = "KUBESMITH_NODE_WATCHDOG";

/// Whether this executable can run as a watchdog ([`serve_if_requested`] was called).
static SERVES: AtomicBool = AtomicBool::new(false);

/// In a test binary with its own `main`: when started as a watchdog, watches, restores and exits
/// the process; otherwise returns, and clusters started by this process get a watchdog.
pub fn serve_if_requested() {
    match std::env::var(WATCHDOG_ENV)
        .ok()
        .and_then(|pid| pid.parse::<libc::pid_t>().ok())
    {
        Some(parent) => {
            let code = match watch_then_restore(parent) {
                Ok(()) => 0,
                Err(error) => {
                    eprintln!("node watchdog: {error:#}");
                    1
                }
            };
            std::process::exit(code);
        }
        None => SERVES.store(true, Ordering::SeqCst),
    }
}

/// Starts a watchdog for this process (when this executable serves as one), its output appended
/// to `<logs_dir>/watchdog.log`. It lives in its own process group, so stopping the components
/// does not stop it, and it exits soon after this process does.
pub(crate) fn start(logs_dir: &Path) -> anyhow::Result<()> {
    if !SERVES.load(Ordering::SeqCst) {
        return Ok(());
    }
    let log_path = logs_dir.join("watchdog.log");
    let log = std::fs::File::options()
        .create(true)
        .append(true)
        .open(&log_path)
        .with_context(|| format!("opening {}", log_path.display()))?;
    let executable = std::env::current_exe().context("locating the test executable")?;
    Command::new(executable)
        .env(WATCHDOG_ENV, std::process::id().to_string())
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .process_group(0)
        .spawn()
        .context("starting the node watchdog")?;
    Ok(())
}

fn watch_then_restore(parent: libc::pid_t) -> anyhow::Result<()> {
    wait_for_exit(parent);
    let _lock = crate::machine::MachineLock::acquire(LOCK_NAME)?;
    if let Some(record) = HostRecord::left_behind()? {
        eprintln!("node watchdog: process {parent} died with its cluster running; restoring");
        record.restore()?;
    }
    Ok(())
}

/// Returns once the process `pid` has exited.
fn wait_for_exit(pid: libc::pid_t) {
    // SAFETY: pidfd_open takes a pid and flags and returns a new descriptor or -1.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    match libc::c_int::try_from(fd) {
        Ok(fd) if fd >= 0 => {
            let mut poll = libc::pollfd {
                fd,
                events: libc::POLLIN,
                revents: 0,
            };
            // A pidfd becomes readable when the process exits; retry on interruption.
            // SAFETY: `poll` points to one valid pollfd for the duration of the call.
            while unsafe { libc::poll(&mut poll, 1, -1) } < 0 {}
            // SAFETY: fd is a descriptor this function opened.
            unsafe {
                libc::close(fd);
            }
        }
        // No pidfd support (or the process is gone already): ask the kernel about it.
        // SAFETY: kill with signal 0 only checks that the process exists.
        _ => {
            while unsafe { libc::kill(pid, 0) } == 0 {
                std::thread::sleep(Duration::from_millis(500));
            }
        }
    }
}
