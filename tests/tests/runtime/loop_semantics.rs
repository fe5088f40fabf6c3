use std::time::{Duration, Instant};

use greeting_operator::api::Greeting;
use kube::Api;
use kube::api::{Patch, PatchParams};
use kubesmith::controller::Controller;
use kubesmith::envtest::TestManager;
use kubesmith::manager::Manager;

use crate::{Scripted, Step, create_greeting, eventually, options, shared};

fn gaps(attempts: &[Instant]) -> Vec<Duration> {
    attempts.windows(2).map(|pair| pair[1] - pair[0]).collect()
}

/// Each gap is at least the expected delay (minus 1 ms of timer rounding) and at most 150 ms more.
fn assert_gaps(what: &str, actual: &[Duration], expected_ms: &[u64]) {
    assert_eq!(actual.len(), expected_ms.len(), "{what}: gaps {actual:?}");
    for (gap, expected) in actual.iter().zip(expected_ms) {
        let expected = Duration::from_millis(*expected);
        assert!(
            *gap + Duration::from_millis(1) >= expected
                && *gap <= expected + Duration::from_millis(150),
            "{what}: gap {gap:?}, expected {expected:?} (all gaps {actual:?})"
        );
    }
}

async fn touch(api: &Api<Greeting>, name: &str, value: &str) {
    let change = serde_json::json!({ "metadata": { "labels": { "touched": value } } });
    api.patch(name, &PatchParams::default(), &Patch::Merge(&change))
        .await
        .expect("touch");
}

#[tokio::test]
async fn error_backoff_doubles_per_object_and_resets_on_success_and_requeue_after() {
    let env = shared().await;
    let namespace = env.create_namespace("backoff").await.expect("namespace");
    let client = env.client().expect("client");
    let scripted = Scripted::default();
    use Step::*;
    scripted.script("flaky", &[Fail, Fail, Fail, Fail, Fail, Fail, Fail]);
    scripted.script(
        "other",
        &[
            Fail,
            Fail,
            RequeueAfter(Duration::from_millis(300)),
            Fail,
            Fail,
        ],
    );
    let (options, _, _) = options(&namespace);
    let mut manager = Manager::new(client.clone(), options).expect("manager");
    manager
        .add(
            Controller::<Greeting>::new().max_concurrent_reconciles(2),
            scripted.clone(),
        )
        .expect("controller");
    let running = TestManager::start(manager);
    create_greeting(&client, &namespace, "flaky", "x").await;
    create_greeting(&client, &namespace, "other", "x").await;

    eventually(
        Duration::from_secs(10),
        "flaky to succeed after 7 failures",
        || async { (scripted.attempts("flaky").len() >= 8).then_some(()) },
    )
    .await;
    eventually(
        Duration::from_secs(10),
        "other to finish its script",
        || async { (scripted.attempts("other").len() >= 6).then_some(()) },
    )
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        scripted.attempts("flaky").len(),
        8,
        "success is not retried"
    );
    assert_gaps(
        "flaky",
        &gaps(&scripted.attempts("flaky")),
        &[5, 10, 20, 40, 80, 160, 320],
    );
    // other: fail, fail, requeue-after 300 ms (forgets the failures), fail, fail, success.
    assert_gaps(
        "other",
        &gaps(&scripted.attempts("other")),
        &[5, 10, 300, 5, 10],
    );

    // After the success, a new failure starts again at 5 ms.
    scripted.script("flaky", &[Fail, Fail]);
    let greetings: Api<Greeting> = Api::namespaced(client.clone(), &namespace);
    touch(&greetings, "flaky", "1").await;
    eventually(
        Duration::from_secs(10),
        "flaky to succeed again",
        || async { (scripted.attempts("flaky").len() >= 11).then_some(()) },
    )
    .await;
    let attempts = scripted.attempts("flaky");
    assert_gaps("flaky after reset", &gaps(&attempts[8..]), &[5, 10]);
    running.stop().await.expect("manager stops cleanly");
}

#[tokio::test]
async fn terminal_errors_are_not_retried_and_timeouts_are() {
    let env = shared().await;
    let namespace = env.create_namespace("terminal").await.expect("namespace");
    let client = env.client().expect("client");
    let scripted = Scripted::default();
    scripted.script("doomed", &[Step::Terminal]);
    scripted.script("slow", &[Step::Hang]);
    let (options, _, _) = options(&namespace);
    let mut manager = Manager::new(client.clone(), options).expect("manager");
    manager
        .add(
            Controller::<Greeting>::new()
                .max_concurrent_reconciles(2)
                .reconcile_timeout(Duration::from_millis(300)),
            scripted.clone(),
        )
        .expect("controller");
    let running = TestManager::start(manager);
    create_greeting(&client, &namespace, "doomed", "x").await;
    create_greeting(&client, &namespace, "slow", "x").await;
    eventually(
        Duration::from_secs(10),
        "slow to be retried after its timeout",
        || async { (scripted.attempts("slow").len() >= 2).then_some(()) },
    )
    .await;
    let slow = gaps(&scripted.attempts("slow"));
    assert!(
        slow[0] >= Duration::from_millis(305) && slow[0] < Duration::from_millis(600),
        "timeout 300 ms + backoff 5 ms, got {slow:?}"
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        scripted.attempts("doomed").len(),
        1,
        "a terminal error is not retried"
    );
    assert_eq!(
        scripted.attempts("slow").len(),
        2,
        "the retry succeeded and is not repeated"
    );

    // A terminal error waits for the next change, then reconciles again.
    let greetings: Api<Greeting> = Api::namespaced(client.clone(), &namespace);
    touch(&greetings, "doomed", "1").await;
    eventually(
        Duration::from_secs(10),
        "doomed to be reconciled after a change",
        || async { (scripted.attempts("doomed").len() == 2).then_some(()) },
    )
    .await;
    running.stop().await.expect("manager stops cleanly");
}

#[tokio::test]
async fn one_object_is_never_reconciled_twice_at_once() {
    let env = shared().await;
    let namespace = env.create_namespace("exclusive").await.expect("namespace");
    let client = env.client().expect("client");
    let scripted = Scripted {
        hold: Duration::from_millis(150),
        ..Scripted::default()
    };
    let (options, _, _) = options(&namespace);
    let mut manager = Manager::new(client.clone(), options).expect("manager");
    manager
        .add(
            Controller::<Greeting>::new().max_concurrent_reconciles(4),
            scripted.clone(),
        )
        .expect("controller");
    let running = TestManager::start(manager);
    let greetings: Api<Greeting> = Api::namespaced(client.clone(), &namespace);
    let names = ["a", "b", "c"];
    for name in names {
        create_greeting(&client, &namespace, name, "x").await;
    }
    for round in 0..10 {
        for name in names {
            touch(&greetings, name, &round.to_string()).await;
        }
        tokio::time::sleep(Duration::from_millis(40)).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(
        scripted.overlaps.lock().expect("lock").is_empty(),
        "an object was reconciled twice at once"
    );
    let most = *scripted.most_in_flight.lock().expect("lock");
    assert!(
        most >= 2,
        "different objects run concurrently (max in flight {most})"
    );
    for name in names {
        let attempts = scripted.attempts(name).len();
        assert!(
            (2..=11).contains(&attempts),
            "{name}: changes during a reconcile are coalesced ({attempts} reconciles)"
        );
    }
    running.stop().await.expect("manager stops cleanly");
}
