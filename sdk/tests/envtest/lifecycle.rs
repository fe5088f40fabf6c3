use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::ConfigMap;
use kube::Api;
use kube::api::PostParams;
use kubesmith::envtest::Environment;

/// Whether a process with this id still exists (zombies included).
fn is_alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

/// Waits up to `limit` for every process to be gone; returns the ones still alive.
fn survivors(pids: &[u32], limit: Duration) -> Vec<u32> {
    let deadline = Instant::now() + limit;
    loop {
        let alive: Vec<u32> = pids.iter().copied().filter(|pid| is_alive(*pid)).collect();
        if alive.is_empty() || Instant::now() >= deadline {
            return alive;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

async fn create_config_map(env: &Environment, name: &str) {
    let api: Api<ConfigMap> = Api::default_namespaced(env.client().expect("client"));
    let cm: ConfigMap =
        serde_json::from_value(serde_json::json!({ "metadata": { "name": name } })).expect("cm");
    api.create(&PostParams::default(), &cm)
        .await
        .expect("create");
}

#[tokio::test]
async fn two_environments_started_at_the_same_time_both_work_and_stop_cleanly() {
    let (first, second) = tokio::join!(Environment::start(), Environment::start());
    let (first, second) = (first.expect("first starts"), second.expect("second starts"));
    assert_ne!(first.server_url(), second.server_url());

    create_config_map(&first, "only-in-first").await;
    create_config_map(&second, "only-in-second").await;
    let in_second: Api<ConfigMap> = Api::default_namespaced(second.client().expect("client"));
    assert!(
        in_second
            .get_opt("only-in-first")
            .await
            .expect("get")
            .is_none(),
        "separate etcds"
    );

    let pids: Vec<u32> = first
        .process_ids()
        .into_iter()
        .chain(second.process_ids())
        .collect();
    assert_eq!(pids.len(), 4, "etcd and kube-apiserver per environment");
    let dirs: Vec<PathBuf> = [first.work_directory(), second.work_directory()]
        .into_iter()
        .flatten()
        .collect();
    assert_eq!(dirs.len(), 2);

    tokio::join!(first.stop(), second.stop());
    assert_eq!(survivors(&pids, Duration::ZERO), Vec::<u32>::new());
    for dir in dirs {
        assert!(!dir.exists(), "{} left behind", dir.display());
    }
}

#[tokio::test]
async fn a_test_that_panics_leaves_no_control_plane_behind() {
    let (report, observed) = tokio::sync::oneshot::channel();
    let test = tokio::spawn(async move {
        let env = Environment::start().await.expect("start");
        let _ = report.send((env.process_ids(), env.work_directory()));
        panic!("the test body fails while the environment runs");
    });
    let outcome = test.await;
    assert!(outcome.expect_err("the task panicked").is_panic());
    let (pids, dir) = observed.await.expect("environment had started");
    assert_eq!(pids.len(), 2);
    assert_eq!(
        survivors(&pids, Duration::ZERO),
        Vec::<u32>::new(),
        "processes survived the panic"
    );
    let dir = dir.expect("work directory");
    assert!(!dir.exists(), "{} left behind", dir.display());
}

/// Set in the child process of the next test: start an environment, report it, wait to be killed.
const HOLD_VAR: &str = "KUBESMITH_ENVTEST_HOLD_FOR_KILL";

#[tokio::test]
#[ignore = "helper: run by killed_test_process_takes_its_control_plane_with_it"]
async fn hold_an_environment_until_killed() {
    if std::env::var_os(HOLD_VAR).is_none() {
        return;
    }
    let env = Environment::start().await.expect("start");
    let pids: Vec<String> = env.process_ids().iter().map(u32::to_string).collect();
    let dir = env.work_directory().expect("work directory");
    println!("HOLDING {} {}", dir.display(), pids.join(" "));
    tokio::time::sleep(Duration::from_secs(300)).await;
}

#[test]
fn killed_test_process_takes_its_control_plane_with_it() {
    let mut child = Command::new(std::env::current_exe().expect("test binary"))
        .args([
            "--exact",
            "lifecycle::hold_an_environment_until_killed",
            "--ignored",
            "--nocapture",
        ])
        .env(HOLD_VAR, "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("re-run the test binary");
    let stdout = child.stdout.take().expect("stdout");
    let holding = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .find(|line| line.starts_with("HOLDING "))
        .expect("child reports its environment");
    let mut fields = holding.split_whitespace().skip(1);
    let dir = PathBuf::from(fields.next().expect("dir"));
    let pids: Vec<u32> = fields.map(|pid| pid.parse().expect("pid")).collect();
    assert_eq!(pids.len(), 2);
    assert!(pids.iter().all(|pid| is_alive(*pid)));

    child.kill().expect("SIGKILL the test process");
    child.wait().expect("reap");
    let left = survivors(&pids, Duration::from_secs(5));
    // A SIGKILLed process cannot clean up its files; remove them for it.
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(
        left,
        Vec::<u32>::new(),
        "control plane outlived its test process"
    );
}

#[tokio::test]
async fn the_api_server_restarts_on_the_same_etcd_and_keeps_objects() {
    let env = Environment::start().await.expect("start");
    create_config_map(&env, "survives-restart").await;
    let client = env.client().expect("client");
    let api: Api<ConfigMap> = Api::default_namespaced(client);

    env.stop_api_server().await.expect("stop API server");
    assert_eq!(env.process_ids().len(), 1, "only etcd runs");
    assert!(
        api.get("survives-restart").await.is_err(),
        "API server is down"
    );

    env.start_api_server()
        .await
        .expect("start API server again");
    let again = api
        .get("survives-restart")
        .await
        .expect("same client, same address, same data");
    assert_eq!(again.metadata.name.as_deref(), Some("survives-restart"));
    env.stop().await;
}
