//! The benchmark's floor: the fewest requests that converge the sample's Greetings — one LIST,
//! then per Greeting one create of its ConfigMap and one update of its status — with no
//! watches, no cache and no retries. No operator can send less; it shows what the API server
//! allows on this machine.

use futures::StreamExt;
use greeting_operator::api::{Greeting, GreetingStatus};
use greeting_operator::controller::MESSAGE_KEY;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{ListParams, PostParams};
use kube::{Api, Client, ResourceExt};
use kubesmith::conditions::ConditionBuilder;

/// Converges every Greeting in `namespace`, `concurrency` at a time; returns how many failed.
pub async fn converge_all(
    client: Client,
    namespace: &str,
    concurrency: usize,
) -> kube::Result<usize> {
    let greetings: Api<Greeting> = Api::namespaced(client.clone(), namespace);
    let config_maps: Api<ConfigMap> = Api::namespaced(client, namespace);
    let listed = greetings.list(&ListParams::default()).await?;
    let failed = futures::stream::iter(listed.items)
        .map(|greeting| {
            let (greetings, config_maps) = (greetings.clone(), config_maps.clone());
            async move { converge(&greetings, &config_maps, greeting).await.is_err() }
        })
        .buffer_unordered(concurrency.max(1))
        .filter(|failed| futures::future::ready(*failed))
        .count()
        .await;
    Ok(failed)
}

async fn converge(
    greetings: &Api<Greeting>,
    config_maps: &Api<ConfigMap>,
    mut greeting: Greeting,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let name = greeting.config_map_name();
    let mut config_map = ConfigMap::default();
    config_map.metadata.name = Some(name.clone());
    config_map.data = Some([(MESSAGE_KEY.to_string(), greeting.spec.message.clone())].into());
    kubesmith::owner::set_controller_reference(&greeting, &mut config_map)?;
    config_maps
        .create(&PostParams::default(), &config_map)
        .await?;
    let mut status = GreetingStatus {
        config_map: Some(name),
        observed_generation: greeting.metadata.generation,
        conditions: Default::default(),
    };
    status
        .conditions
        .set(ConditionBuilder::new("Ready", true, "ConfigMapApplied").observing(&greeting));
    greeting.status = Some(status);
    greetings
        .replace_status(&greeting.name_any(), &PostParams::default(), &greeting)
        .await?;
    Ok(())
}
