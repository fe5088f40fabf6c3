//! The manager binary runs the operator declaration with the standard manager flags beside its
//! own: `--help` lists both, `--version` prints the crate's version, and a bad flag fails
//! before anything connects.

use std::process::Command;

fn manager(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_greeting-operator"))
        .args(args)
        .env_remove("KUBECONFIG")
        .output()
        .expect("run the manager binary")
}

#[test]
fn the_manager_takes_the_standard_flags_and_its_own() {
    let help = manager(&["--help"]);
    assert!(help.status.success());
    let text = String::from_utf8_lossy(&help.stdout);
    for flag in [
        "--leader-elect",
        "--metrics-bind-address",
        "--health-probe-bind-address",
        "--zap-log-level",
        "--max-concurrent-reconciles",
    ] {
        assert!(text.contains(flag), "{flag} missing from --help:\n{text}");
    }
    let bad = manager(&["--no-such-flag"]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--no-such-flag"));
}
