//! Greetings written and read through an API server that calls the sample operator's
//! webhooks: the API server picks up a webhook configuration (or a CA put into it, or a CRD's
//! conversion) within moments, not at once, so the first request is retried until it is
//! answered or a generous deadline passes.

use std::time::{Duration, Instant};

use greeting_operator::api::{Greeting, GreetingSpec, v2};
use kube::Api;
use kube::api::PostParams;

/// A Greeting `name` with `message`.
pub fn greeting(name: &str, message: &str) -> Greeting {
    Greeting::new(
        name,
        GreetingSpec {
            message: message.into(),
        },
    )
}

/// Creates the Greeting `name` without a message, retried until the API server can call the
/// mutating webhook; returns it as created (defaulted).
pub async fn created_and_defaulted(greetings: &Api<Greeting>, name: &str) -> Greeting {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match greetings
            .create(&PostParams::default(), &greeting(name, ""))
            .await
        {
            Ok(created) => return created,
            Err(error) => {
                assert!(
                    Instant::now() < deadline,
                    "the API server could not call the webhook: {error}"
                );
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
}

/// Reads the Greeting `name` as v2, retried until the API server can call the conversion
/// webhook.
pub async fn eventually_converted(api: &Api<v2::Greeting>, name: &str) -> v2::Greeting {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match api.get(name).await {
            Ok(greeting) => return greeting,
            Err(error) => {
                assert!(
                    Instant::now() < deadline,
                    "reading {name} as v2 kept failing: {error}"
                );
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}
