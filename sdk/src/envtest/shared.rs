//! One control plane shared by every test of a test binary.

use std::sync::{Mutex, Once};

use tokio::sync::OnceCell;

use super::environment::{Environment, EnvironmentBuilder};
use super::error::Result;

/// A control plane started by the first test that asks for it and stopped when the test
/// binary exits. Tests isolate themselves with [`Environment::create_namespace`].
///
/// ```no_run
/// use kubesmith::envtest::{Environment, SharedEnvironment};
///
/// static ENV: SharedEnvironment = SharedEnvironment::new(|| {
///     Environment::builder().crd_directory("config/crd/bases")
/// });
///
/// #[tokio::test]
/// async fn reconciles_a_widget() -> Result<(), Box<dyn std::error::Error>> {
///     let env = ENV.get().await?;
///     let namespace = env.create_namespace("widget").await?;
///     let client = env.client()?;
///     // ...
///     Ok(())
/// }
/// ```
pub struct SharedEnvironment {
    configure: Configure,
    environment: OnceCell<Environment>,
}

/// How a [`SharedEnvironment`] makes its builder.
enum Configure {
    Builder(fn() -> EnvironmentBuilder),
    CrdDirectory(&'static str),
}

impl SharedEnvironment {
    /// A shared environment whose builder comes from `configure`; nothing starts until [`get`](Self::get).
    pub const fn new(configure: fn() -> EnvironmentBuilder) -> Self {
        SharedEnvironment {
            configure: Configure::Builder(configure),
            environment: OnceCell::const_new(),
        }
    }

    /// A shared environment with the CRDs of `directory` installed, and an error when the
    /// directory is missing: what the tests of a project need, with
    /// `concat!(env!("CARGO_MANIFEST_DIR"), "/config/crd/bases")` (where `make manifests`
    /// writes them). The same as [`new`](Self::new) with
    /// `Environment::builder().crd_directory(directory).error_if_crd_path_missing(true)`.
    ///
    /// ```no_run
    /// use kubesmith::envtest::SharedEnvironment;
    ///
    /// static ENV: SharedEnvironment =
    ///     SharedEnvironment::with_crd_directory(concat!(env!("CARGO_MANIFEST_DIR"), "/config/crd/bases"));
    /// ```
    pub const fn with_crd_directory(directory: &'static str) -> Self {
        SharedEnvironment {
            configure: Configure::CrdDirectory(directory),
            environment: OnceCell::const_new(),
        }
    }

    fn builder(&self) -> EnvironmentBuilder {
        match self.configure {
            Configure::Builder(configure) => configure(),
            Configure::CrdDirectory(directory) => Environment::builder()
                .crd_directory(directory)
                .error_if_crd_path_missing(true),
        }
    }

    /// The running environment, started on first use. A failed start is retried by the next caller.
    pub async fn get(&'static self) -> Result<&'static Environment> {
        self.environment
            .get_or_try_init(|| async {
                let environment = self.builder().start().await?;
                stop_at_exit(self);
                Ok(environment)
            })
            .await
    }
}

/// Shared environments to stop when the process exits.
static AT_EXIT: Mutex<Vec<&'static SharedEnvironment>> = Mutex::new(Vec::new());

fn stop_at_exit(shared: &'static SharedEnvironment) {
    static REGISTER: Once = Once::new();
    REGISTER.call_once(|| {
        // SAFETY: `stop_shared_environments` is a plain `extern "C"` function with no arguments,
        // as atexit(3) requires; it does not unwind.
        let status = unsafe { libc::atexit(stop_shared_environments) };
        if status != 0 {
            tracing::warn!(
                "could not register the envtest exit hook; control-plane files may be left behind"
            );
        }
    });
    AT_EXIT
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .push(shared);
}

extern "C" fn stop_shared_environments() {
    let registered = std::mem::take(
        &mut *AT_EXIT
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()),
    );
    for shared in registered {
        if let Some(environment) = shared.environment.get() {
            // Never unwind across the C boundary.
            let _ =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| environment.teardown()));
        }
    }
}
