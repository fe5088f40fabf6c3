//! A manager process's logs as `kubectl logs` sees them: stderr is a pipe, so no colour
//! escapes; `--zap-devel=false` makes every line one JSON object; the levels of the
//! `--zap-*` flags filter. The process is the sample operator (`greeting-manager`) on the
//! shared control plane.

use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio::process::Command;

use super::shared;

/// Generous: the first line comes after the manager connected and synced its caches.
const DEADLINE: Duration = Duration::from_secs(120);

/// Runs `greeting-manager <flags>` with stderr to a pipe until its caches are synced, stops it
/// with SIGTERM and returns everything it wrote to stderr, line by line.
async fn manager_stderr(flags: &[&str]) -> Vec<String> {
    let env = shared().await;
    let namespace = env.create_namespace("logs").await.expect("namespace");
    let kubeconfig = env.kubeconfig_path().expect("envtest writes a kubeconfig");
    let mut child = Command::new(env!("CARGO_BIN_EXE_greeting-manager"))
        .env("KUBECONFIG", kubeconfig)
        .env("WATCH_NAMESPACE", &namespace)
        .env_remove("RUST_LOG")
        .env_remove("NO_COLOR")
        .args(["--metrics-bind-address=0", "--health-probe-bind-address=0"])
        .args(flags)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start greeting-manager");
    let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let mut seen = Vec::new();
    let synced = tokio::time::timeout(DEADLINE, async {
        while let Some(line) = lines.next_line().await.expect("read stderr") {
            let synced = line.contains("caches synced");
            seen.push(line);
            if synced {
                return true;
            }
        }
        false
    })
    .await;
    assert_eq!(
        synced,
        Ok(true),
        "no \"caches synced\" line:\n{}",
        seen.join("\n")
    );
    let pid = i32::try_from(child.id().expect("running")).expect("a pid");
    // SAFETY: kill(2) of the process this test started, with a valid signal number.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0, "kill({pid})");
    tokio::time::timeout(DEADLINE, async {
        while let Some(line) = lines.next_line().await.expect("read stderr") {
            seen.push(line);
        }
    })
    .await
    .expect("stderr closes after SIGTERM");
    let status = tokio::time::timeout(DEADLINE, child.wait())
        .await
        .expect("the manager exits after SIGTERM")
        .expect("wait");
    assert!(status.success(), "{status}:\n{}", seen.join("\n"));
    seen
}

#[tokio::test]
async fn default_logs_to_a_pipe_are_console_lines_without_colour_at_debug() {
    let lines = manager_stderr(&[]).await;
    let text = lines.join("\n");
    assert!(!text.contains('\u{1b}'), "ANSI escapes in:\n{text}");
    assert!(
        lines.iter().any(|line| line.contains(" DEBUG ")),
        "development mode logs at debug:\n{text}"
    );
    assert!(
        lines
            .iter()
            .any(|line| line.contains(" INFO ") && line.contains("SIGTERM received")),
        "{text}"
    );
}

#[tokio::test]
async fn production_logs_are_one_json_object_per_line_at_info() {
    let lines = manager_stderr(&["--zap-devel=false", "--zap-time-encoding=epoch"]).await;
    let objects: Vec<serde_json::Map<String, Value>> = lines
        .iter()
        .map(|line| match serde_json::from_str(line) {
            Ok(Value::Object(object)) => object,
            other => panic!("not a JSON object: {line:?} ({other:?})"),
        })
        .collect();
    for object in &objects {
        assert!(object["time"].is_number(), "epoch time: {object:?}");
        assert!(
            object["target"].is_string() && object["message"].is_string(),
            "{object:?}"
        );
        let level = object["level"].as_str().expect("a level");
        assert!(
            ["info", "warn", "error"].contains(&level),
            "below info: {object:?}"
        );
    }
    let synced = objects
        .iter()
        .find(|object| object["message"] == "caches synced")
        .expect("a caches synced line");
    assert!(synced["fields"]["kinds"].is_number(), "{synced:?}");
    assert!(
        objects
            .iter()
            .any(|object| object["message"] == "manager stopped")
    );
}

#[tokio::test]
async fn the_logging_flags_are_in_the_manager_help() {
    let help = Command::new(env!("CARGO_BIN_EXE_greeting-manager"))
        .arg("--help")
        .output()
        .await
        .expect("greeting-manager --help");
    let text = String::from_utf8_lossy(&help.stdout);
    for flag in [
        "--zap-devel",
        "--zap-encoder",
        "--zap-log-level",
        "--zap-time-encoding",
    ] {
        assert!(text.contains(flag), "{flag} missing from:\n{text}");
    }
}
