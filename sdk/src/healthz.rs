//! Health and readiness endpoints, like controller-runtime's `healthz` package.
//!
//! - `/healthz` runs every health check added with
//!   [`Manager::add_healthz_check`](crate::manager::Manager::add_healthz_check): 200 `ok` when
//!   all pass (also when there are none), else 500 with one `[-]<name> failed: <reason>` line
//!   per failing check.
//! - `/readyz` answers 500, naming what it waits for (`waiting for: ...`), until the manager's
//!   own readiness items have passed ([`CACHES_SYNCED`], and [`WEBHOOK_SERVER_STARTED`] when it
//!   serves webhooks); then it runs every readiness check added with
//!   [`Manager::add_readyz_check`](crate::manager::Manager::add_readyz_check) the same way.
//! - `/healthz/<name>` and `/readyz/<name>` run one added check (404 for an unknown name).
//! - `?verbose` lists every check, passing ones as `[+]<name> ok`.
//!
//! A check is a [`Checker`]: a function answering `Ok(())` or `Err(reason)`. It runs on the
//! probe server's task at every request, so it should answer at once (read a flag or a watch
//! channel that a task of yours keeps current) rather than block. A check that panics is
//! reported as failed; the server keeps serving.
//!
//! ```no_run
//! # async fn example(client: kube::Client) -> Result<(), kubesmith::manager::Error> {
//! use std::sync::Arc;
//! use std::sync::atomic::{AtomicBool, Ordering};
//! use kubesmith::healthz;
//! use kubesmith::manager::{Manager, ManagerOptions};
//!
//! let mut manager = Manager::new(client, ManagerOptions::default())?;
//! manager.add_healthz_check("ping", healthz::ping)?;
//! let warmed_up = Arc::new(AtomicBool::new(false));
//! let flag = Arc::clone(&warmed_up);
//! manager.add_readyz_check("warm-up", move || {
//!     if flag.load(Ordering::Relaxed) {
//!         Ok(())
//!     } else {
//!         Err("the warm-up has not finished".to_string())
//!     }
//! })?;
//! # Ok(()) }
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};

use hyper::{StatusCode, Uri};

use crate::server::http::{Body, Handler, text};

/// The readiness check that passes once every declared kind's cache has synced.
pub const CACHES_SYNCED: &str = "caches synced";
/// The readiness check that passes once the webhook server listens (serving locally,
/// `--webhook-local`: once the cluster's webhook configurations and conversions point at it).
pub const WEBHOOK_SERVER_STARTED: &str = "webhook server started";

/// The path of the liveness endpoint.
pub const HEALTHZ_PATH: &str = "/healthz";
/// The path of the readiness endpoint.
pub const READYZ_PATH: &str = "/readyz";

/// A health or readiness check: `Ok(())` when it passes, `Err(reason)` when it fails.
///
/// Any `Fn() -> Result<(), String> + Send + Sync` closure or function converts into one with
/// `Arc::new`; the manager's `add_*_check` methods take the function itself.
///
/// ```
/// use std::sync::Arc;
/// use kubesmith::healthz::{Checker, ping};
/// let checks: Vec<Checker> = vec![Arc::new(ping), Arc::new(|| Err("disk full".to_string()))];
/// assert_eq!(checks[0](), Ok(()));
/// assert_eq!(checks[1](), Err("disk full".to_string()));
/// ```
pub type Checker = Arc<dyn Fn() -> Result<(), String> + Send + Sync>;

/// A check that always passes (controller-runtime's `healthz.Ping`): `/healthz` answers 200
/// as long as the probe server answers at all.
///
/// ```no_run
/// # async fn example(client: kube::Client) -> Result<(), kubesmith::manager::Error> {
/// use kubesmith::healthz;
/// use kubesmith::manager::{Manager, ManagerOptions};
/// let mut manager = Manager::new(client, ManagerOptions::default())?;
/// manager.add_healthz_check("healthz", healthz::ping)?;
/// manager.add_readyz_check("readyz", healthz::ping)?;
/// # Ok(()) }
/// ```
///
/// ```
/// assert_eq!(kubesmith::healthz::ping(), Ok(()));
/// ```
pub fn ping() -> Result<(), String> {
    Ok(())
}

/// Why a health or readiness check could not be added.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckError {
    /// The check's name is empty.
    #[error(
        "a {endpoint} check needs a name (it is served at /{endpoint}/<name>); found an empty name"
    )]
    EmptyName {
        /// `healthz` or `readyz`.
        endpoint: &'static str,
    },
    /// The check's name contains `/`, so `/<endpoint>/<name>` could not address it.
    #[error(
        "the {endpoint} check name {name:?} contains '/'; use a name without '/' (it is served at /{endpoint}/<name>)"
    )]
    SlashInName {
        /// `healthz` or `readyz`.
        endpoint: &'static str,
        /// The name given.
        name: String,
    },
    /// A check of the same endpoint already has this name.
    #[error(
        "a {endpoint} check named {name:?} is already added; give each {endpoint} check its own name"
    )]
    DuplicateName {
        /// `healthz` or `readyz`.
        endpoint: &'static str,
        /// The name given twice.
        name: String,
    },
}

/// The named checks of one endpoint, sorted by name.
#[derive(Clone)]
pub(crate) struct Checks {
    /// `healthz` or `readyz`: the path without its slash.
    endpoint: &'static str,
    checks: BTreeMap<String, Checker>,
}

impl Checks {
    /// No checks yet for `endpoint` (`healthz` or `readyz`).
    pub(crate) fn new(endpoint: &'static str) -> Self {
        Checks {
            endpoint,
            checks: BTreeMap::new(),
        }
    }

    /// Adds `check` as `name`; names are unique per endpoint, not empty and without `/`.
    pub(crate) fn add(&mut self, name: &str, check: Checker) -> Result<(), CheckError> {
        let endpoint = self.endpoint;
        if name.is_empty() {
            return Err(CheckError::EmptyName { endpoint });
        }
        if name.contains('/') {
            let name = name.to_string();
            return Err(CheckError::SlashInName { endpoint, name });
        }
        if self.checks.contains_key(name) {
            let name = name.to_string();
            return Err(CheckError::DuplicateName { endpoint, name });
        }
        self.checks.insert(name.to_string(), check);
        Ok(())
    }

    /// Runs every check, in name order.
    fn run_all(&self) -> Vec<(&str, Result<(), String>)> {
        self.checks
            .iter()
            .map(|(name, check)| (name.as_str(), run(name, check)))
            .collect()
    }
}

/// Runs `check`; a panic is a failure.
fn run(name: &str, check: &Checker) -> Result<(), String> {
    std::panic::catch_unwind(AssertUnwindSafe(|| check())).unwrap_or_else(|panic| {
        let message = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a non-string payload".to_string());
        tracing::error!(check = name, panic = %message, "a probe check panicked");
        Err(format!("panicked: {message}"))
    })
}

/// The checks of both endpoints.
#[derive(Clone)]
pub(crate) struct Probes {
    /// Run by `/healthz`.
    pub(crate) healthz: Checks,
    /// Run by `/readyz` once nothing built-in is pending.
    pub(crate) readyz: Checks,
}

impl Default for Probes {
    fn default() -> Self {
        Probes {
            healthz: Checks::new("healthz"),
            readyz: Checks::new("readyz"),
        }
    }
}

/// The readiness checks not passed yet, shared with the probe server.
///
/// ```
/// use kubesmith::healthz::Readiness;
/// let readiness = Readiness::default();
/// readiness.wait_for("caches synced");
/// assert!(!readiness.is_ready());
/// readiness.passed("caches synced");
/// assert!(readiness.is_ready());
/// ```
#[derive(Debug, Clone, Default)]
pub struct Readiness(Arc<Mutex<BTreeSet<String>>>);

impl Readiness {
    /// Adds a check that has to pass before the process is ready.
    pub fn wait_for(&self, check: &str) {
        self.lock().insert(check.to_string());
    }

    /// Marks `check` as passed.
    pub fn passed(&self, check: &str) {
        self.lock().remove(check);
    }

    /// Whether every check has passed.
    pub fn is_ready(&self) -> bool {
        self.lock().is_empty()
    }

    /// The checks not passed yet.
    pub fn pending(&self) -> Vec<String> {
        self.lock().iter().cloned().collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeSet<String>> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The probe endpoints.
pub(crate) fn handler(readiness: Readiness, probes: Probes) -> Handler {
    let probes = Arc::new(probes);
    Arc::new(move |request| {
        let response = answer(&readiness, &probes, request.uri());
        Box::pin(async move { response })
    })
}

/// Answers a request for `uri`.
fn answer(readiness: &Readiness, probes: &Probes, uri: &Uri) -> hyper::Response<Body> {
    let verbose = uri.query().is_some_and(|query| {
        query
            .split('&')
            .any(|pair| pair.split('=').next() == Some("verbose"))
    });
    let path = uri.path();
    let (checks, rest) = if let Some(rest) = path.strip_prefix(HEALTHZ_PATH) {
        (&probes.healthz, rest)
    } else if let Some(rest) = path.strip_prefix(READYZ_PATH) {
        (&probes.readyz, rest)
    } else {
        return text(StatusCode::NOT_FOUND, "not found");
    };
    match rest {
        "" | "/" => {
            let pending = if checks.endpoint == "readyz" {
                readiness.pending()
            } else {
                Vec::new()
            };
            aggregate(checks, &pending, verbose)
        }
        single => {
            let Some(name) = single.strip_prefix('/').map(percent_decode) else {
                return text(StatusCode::NOT_FOUND, "not found");
            };
            match checks.checks.get(&name) {
                None => text(
                    StatusCode::NOT_FOUND,
                    format!("no {} check named {name:?}", checks.endpoint),
                ),
                Some(check) => match run(&name, check) {
                    Ok(()) => text(StatusCode::OK, "ok"),
                    Err(reason) => text(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        format!("[-]{name} failed: {reason}\n"),
                    ),
                },
            }
        }
    }
}

/// The answer of `/healthz` or `/readyz`: built-in items still `pending`, then every check.
fn aggregate(checks: &Checks, pending: &[String], verbose: bool) -> hyper::Response<Body> {
    let results = checks.run_all();
    let failed = results.iter().any(|(_, result)| result.is_err());
    if pending.is_empty() && !failed && !verbose {
        return text(StatusCode::OK, "ok");
    }
    let mut body = String::new();
    if !pending.is_empty() {
        let _ = writeln!(body, "waiting for: {}", pending.join(", "));
    }
    for (name, result) in &results {
        match result {
            Ok(()) if verbose => {
                let _ = writeln!(body, "[+]{name} ok");
            }
            Ok(()) => {}
            Err(reason) => {
                tracing::debug!(check = name, %reason, "{} check failed", checks.endpoint);
                let _ = writeln!(body, "[-]{name} failed: {reason}");
            }
        }
    }
    if pending.is_empty() && !failed {
        body.push_str("ok");
        text(StatusCode::OK, body)
    } else {
        let _ = write!(body, "{} check failed", checks.endpoint);
        text(StatusCode::INTERNAL_SERVER_ERROR, body)
    }
}

/// `%XX` escapes of a path segment decoded (invalid ones are kept as written).
fn percent_decode(segment: &str) -> String {
    let hex = |byte: &u8| (*byte as char).to_digit(16);
    let bytes = segment.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escape = (
            bytes.get(i + 1).and_then(hex),
            bytes.get(i + 2).and_then(hex),
        );
        match (bytes[i], escape) {
            (b'%', (Some(high), Some(low))) => {
                decoded.push((high * 16 + low) as u8);
                i += 3;
            }
            (byte, _) => {
                decoded.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

#[cfg(test)]
mod tests {
    use http_body_util::BodyExt;

    use super::*;

    async fn get(readiness: &Readiness, probes: &Probes, uri: &str) -> (u16, String) {
        let request = http::Request::get(uri).body(()).expect("request");
        let response = answer(readiness, probes, request.uri());
        let status = response.status().as_u16();
        let body = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    fn failing(reason: &'static str) -> Checker {
        Arc::new(move || Err(reason.to_string()))
    }

    #[tokio::test]
    async fn without_checks_healthz_is_ok_and_readyz_waits_for_pending_items() {
        let (readiness, probes) = (Readiness::default(), Probes::default());
        assert_eq!(
            get(&readiness, &probes, "/healthz").await,
            (200, "ok".into())
        );
        readiness.wait_for(CACHES_SYNCED);
        readiness.wait_for(WEBHOOK_SERVER_STARTED);
        assert_eq!(
            get(&readiness, &probes, "/readyz").await,
            (
                500,
                "waiting for: caches synced, webhook server started\nreadyz check failed".into()
            )
        );
        readiness.passed(CACHES_SYNCED);
        readiness.passed(WEBHOOK_SERVER_STARTED);
        assert_eq!(
            get(&readiness, &probes, "/readyz").await,
            (200, "ok".into())
        );
        assert_eq!(get(&readiness, &probes, "/metrics").await.0, 404);
        assert_eq!(get(&readiness, &probes, "/healthzz").await.0, 404);
    }

    #[tokio::test]
    async fn healthz_fails_with_one_line_per_failing_check() {
        let readiness = Readiness::default();
        let mut probes = Probes::default();
        probes.healthz.add("ping", Arc::new(ping)).expect("ping");
        probes
            .healthz
            .add("disk", failing("disk full"))
            .expect("disk");
        probes
            .healthz
            .add("api", failing("no route to host"))
            .expect("api");
        assert_eq!(
            get(&readiness, &probes, "/healthz").await,
            (
                500,
                "[-]api failed: no route to host\n[-]disk failed: disk full\nhealthz check failed"
                    .into()
            )
        );
        assert_eq!(
            get(&readiness, &probes, "/healthz?verbose").await,
            (
                500,
                "[-]api failed: no route to host\n[-]disk failed: disk full\n[+]ping ok\nhealthz check failed"
                    .into()
            )
        );
        assert_eq!(
            get(&readiness, &probes, "/readyz").await,
            (200, "ok".into()),
            "health checks do not decide readiness"
        );
    }

    #[tokio::test]
    async fn passing_checks_answer_ok_and_verbose_lists_them() {
        let readiness = Readiness::default();
        let mut probes = Probes::default();
        probes.healthz.add("ping", Arc::new(ping)).expect("ping");
        probes.healthz.add("alive", Arc::new(ping)).expect("alive");
        assert_eq!(
            get(&readiness, &probes, "/healthz").await,
            (200, "ok".into())
        );
        assert_eq!(
            get(&readiness, &probes, "/healthz?verbose=1").await,
            (200, "[+]alive ok\n[+]ping ok\nok".into())
        );
    }

    #[tokio::test]
    async fn readyz_fails_while_items_are_pending_or_a_readiness_check_fails() {
        let readiness = Readiness::default();
        let mut probes = Probes::default();
        let ready = Arc::new(Mutex::new(Err("warming up".to_string())));
        let state = Arc::clone(&ready);
        probes
            .readyz
            .add(
                "warm-up",
                Arc::new(move || state.lock().expect("lock").clone()),
            )
            .expect("warm-up");
        readiness.wait_for(CACHES_SYNCED);
        assert_eq!(
            get(&readiness, &probes, "/readyz").await,
            (
                500,
                "waiting for: caches synced\n[-]warm-up failed: warming up\nreadyz check failed"
                    .into()
            )
        );
        readiness.passed(CACHES_SYNCED);
        assert_eq!(
            get(&readiness, &probes, "/readyz").await,
            (
                500,
                "[-]warm-up failed: warming up\nreadyz check failed".into()
            )
        );
        *ready.lock().expect("lock") = Ok(());
        assert_eq!(
            get(&readiness, &probes, "/readyz").await,
            (200, "ok".into())
        );
        assert_eq!(
            get(&readiness, &probes, "/healthz").await,
            (200, "ok".into()),
            "readiness checks do not decide health"
        );
    }

    #[tokio::test]
    async fn a_single_check_is_served_under_its_name() {
        let readiness = Readiness::default();
        let mut probes = Probes::default();
        probes.healthz.add("ping", Arc::new(ping)).expect("ping");
        probes
            .healthz
            .add("disk space", failing("disk full"))
            .expect("disk");
        probes
            .readyz
            .add("db", failing("not connected"))
            .expect("db");
        assert_eq!(
            get(&readiness, &probes, "/healthz/ping").await,
            (200, "ok".into())
        );
        assert_eq!(
            get(&readiness, &probes, "/healthz/disk%20space").await,
            (500, "[-]disk space failed: disk full\n".into())
        );
        assert_eq!(
            get(&readiness, &probes, "/readyz/db").await,
            (500, "[-]db failed: not connected\n".into())
        );
        assert_eq!(
            get(&readiness, &probes, "/readyz/ping").await,
            (404, "no readyz check named \"ping\"".into()),
            "checks belong to one endpoint"
        );
        assert_eq!(get(&readiness, &probes, "/healthz/unknown").await.0, 404);
        assert_eq!(
            get(&readiness, &probes, "/healthz/").await,
            (
                500,
                "[-]disk space failed: disk full\nhealthz check failed".into()
            )
        );
    }

    #[tokio::test]
    async fn a_panicking_check_fails_without_taking_the_server_down() {
        let readiness = Readiness::default();
        let mut probes = Probes::default();
        probes
            .healthz
            .add("boom", Arc::new(|| panic!("check exploded")))
            .expect("boom");
        probes.healthz.add("ping", Arc::new(ping)).expect("ping");
        for _ in 0..2 {
            assert_eq!(
                get(&readiness, &probes, "/healthz").await,
                (
                    500,
                    "[-]boom failed: panicked: check exploded\nhealthz check failed".into()
                )
            );
        }
        assert_eq!(
            get(&readiness, &probes, "/healthz/boom").await,
            (500, "[-]boom failed: panicked: check exploded\n".into())
        );
        assert_eq!(
            get(&readiness, &probes, "/healthz/ping").await,
            (200, "ok".into())
        );
    }

    #[test]
    fn names_must_be_present_unique_per_endpoint_and_without_slashes() {
        let mut probes = Probes::default();
        probes.healthz.add("ping", Arc::new(ping)).expect("first");
        probes
            .readyz
            .add("ping", Arc::new(ping))
            .expect("the same name on the other endpoint");
        assert_eq!(
            probes.healthz.add("ping", Arc::new(ping)),
            Err(CheckError::DuplicateName {
                endpoint: "healthz",
                name: "ping".into()
            })
        );
        let empty = probes.readyz.add("", Arc::new(ping));
        assert_eq!(empty, Err(CheckError::EmptyName { endpoint: "readyz" }));
        assert!(
            empty
                .expect_err("empty")
                .to_string()
                .contains("needs a name")
        );
        assert!(matches!(
            probes.healthz.add("a/b", Arc::new(ping)),
            Err(CheckError::SlashInName { .. })
        ));
    }

    #[tokio::test]
    async fn the_probe_server_answers_over_http_and_survives_a_panicking_check() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};

        let readiness = Readiness::default();
        let mut probes = Probes::default();
        probes
            .healthz
            .add("boom", Arc::new(|| panic!("check exploded")))
            .expect("boom");
        probes.readyz.add("ping", Arc::new(ping)).expect("ping");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let address = listener.local_addr().expect("address");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(crate::server::http::serve(
            listener,
            None,
            false,
            handler(readiness, probes),
            async move {
                let _ = stopped.await;
            },
        ));
        let fetch = |path: &'static str| async move {
            let mut stream = tokio::net::TcpStream::connect(address)
                .await
                .expect("connect");
            let request = format!("GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n");
            stream.write_all(request.as_bytes()).await.expect("write");
            let mut response = String::new();
            stream.read_to_string(&mut response).await.expect("read");
            response
        };
        for _ in 0..2 {
            let response = fetch("/healthz").await;
            assert!(response.starts_with("HTTP/1.0 500"), "{response}");
            assert!(
                response
                    .ends_with("[-]boom failed: panicked: check exploded\nhealthz check failed"),
                "{response}"
            );
        }
        let response = fetch("/readyz").await;
        assert!(response.starts_with("HTTP/1.0 200"), "{response}");
        let _ = stop.send(());
        server.await.expect("server stops");
    }

    #[test]
    fn percent_escapes_are_decoded() {
        assert_eq!(percent_decode("caches%20synced"), "caches synced");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz"), "%zz");
    }
}
