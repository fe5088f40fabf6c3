//! `make manifests`: the Greeting CRD (both versions, converted by the webhook), the
//! controller's RBAC role and the webhook configurations, from the one declaration, written
//! under `./config` (`--check`: only compare).

fn main() -> std::process::ExitCode {
    greeting_operator::operator(1).manifests(".").main()
}
