//! The defaults of `kubesmith envtest` and the environment variables that override them.

/// The Kubernetes version `use` picks when none is given: the API version kubesmith is compiled
/// against (its `k8s-openapi` feature `v1_37`), so tests run against the API the operator
/// was built for.
pub const DEFAULT_KUBERNETES_VERSION: &str = "1.37.2";

/// Where the release index is read from unless `--index` or [`INDEX_ENV`] says otherwise:
/// controller-tools' `envtest-releases.yaml`, the index Go's `setup-envtest` uses.
pub const DEFAULT_INDEX_URL: &str =
    "https://raw.githubusercontent.com/kubernetes-sigs/controller-tools/HEAD/envtest-releases.yaml";

/// Environment variable overriding [`DEFAULT_INDEX_URL`] (for a mirror).
pub const INDEX_ENV: &str = "KUBESMITH_ENVTEST_INDEX";

/// Environment variable that, set to `true`/`1`, disables the Go-toolchain fallback (as
/// `--no-go-build` does); tests use it so a missing download never starts a long build.
pub const NO_GO_BUILD_ENV: &str = "KUBESMITH_ENVTEST_NO_GO_BUILD";

/// Environment variable that, set to `true`/`1`, turns on `--installed-only`; the name Go's
/// `setup-envtest` reads, so existing CI settings keep working.
pub const INSTALLED_ONLY_ENV: &str = "ENVTEST_INSTALLED_ONLY";

/// The Go toolchain used for the build fallback, looked up on `PATH`.
pub const DEFAULT_GO: &str = "go";
