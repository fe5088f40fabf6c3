//! What each kind of request costs the API server: the writes a reconciler can choose between
//! (create, update, merge patch, server-side apply; status by update, merge patch or apply),
//! a write that changes nothing, a large body, HTTP/2 instead of HTTP/1.1, and an initial
//! list + watch of whole objects against metadata only.
//!
//! ```text
//! KUBEBUILDER_ASSETS=... cargo bench -p kubesmith-e2e --bench requests [-- OBJECTS [CONCURRENCY [ROUNDS]]]
//! ```
//!
//! Every scenario sends OBJECTS (default 1000) requests, CONCURRENCY (default 4) at a time, in
//! a fresh namespace of one envtest control plane, and measures the wall time and the CPU time
//! kube-apiserver and etcd spent meanwhile (`/proc/<pid>/stat`). Each of ROUNDS rounds (default
//! 3) runs every scenario; the table shows medians per request.

use std::collections::BTreeMap;
use std::future::Future;
use std::time::Instant;

use futures::{StreamExt, TryStreamExt};
use greeting_operator::api::{Greeting, GreetingSpec, GreetingStatus};
use http::Request;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{ListParams, Patch, PatchParams, PostParams};
use kube::client::{Body, ConfigExt};
use kube::core::PartialObjectMeta;
use kube::runtime::watcher;
use kube::{Api, Client, CustomResourceExt, ResourceExt};
use kubesmith::conditions::ConditionBuilder;
use kubesmith::envtest::Environment;
use kubesmith_e2e::measure::{cpu_seconds, median};

/// Field manager of the server-side applies.
const MANAGER: &str = "bench";

/// CPU seconds of the control plane's processes.
#[derive(Debug, Clone, Copy, Default)]
struct Cpu {
    api_server: f64,
    etcd: f64,
}

/// One scenario's cost per request.
#[derive(Debug, Clone, Copy, Default)]
struct Cost {
    wall_ms: f64,
    api_server_us: f64,
    etcd_us: f64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1).filter(|a| !a.starts_with("--"));
    let objects: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(1000);
    let concurrency: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(4);
    let rounds: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(3);
    let env = Environment::builder().crd(Greeting::crd()).start().await?;
    let pids = env.process_ids();
    let (api_server, etcd) = match pids[..] {
        [api_server, etcd] => (api_server, etcd),
        _ => anyhow::bail!("expected an API server and etcd, found processes {pids:?}"),
    };
    let cpu = move || -> anyhow::Result<Cpu> {
        Ok(Cpu {
            api_server: cpu_seconds(api_server)?,
            etcd: cpu_seconds(etcd)?,
        })
    };
    let http1 = env.client()?;
    let http2 = http2_client(env.config())?;
    println!(
        "HTTP/2 client speaks {:?}",
        negotiated_version(&http2).await?
    );

    let mut costs: BTreeMap<&'static str, Vec<Cost>> = BTreeMap::new();
    let mut order: Vec<&'static str> = Vec::new();
    for round in 0..rounds {
        let bench = Bench {
            env: &env,
            cpu: &cpu,
            objects,
            concurrency,
        };
        for (name, cost) in bench.run_all(&http1, &http2).await? {
            eprintln!(
                "round {round}: {name:<34} {:>8.3} ms wall, {:>7.0} µs API server, {:>7.0} µs etcd per request",
                cost.wall_ms, cost.api_server_us, cost.etcd_us
            );
            if round == 0 {
                order.push(name);
            }
            costs.entry(name).or_default().push(cost);
        }
    }
    env.stop().await;

    println!(
        "{objects} requests per scenario, {concurrency} at a time, medians of {rounds} rounds, per request:"
    );
    println!(
        "{:<36}{:>12}{:>16}{:>12}",
        "", "wall (ms)", "API server (µs)", "etcd (µs)"
    );
    for name in order {
        let runs = &costs[name];
        let median_of = |field: fn(&Cost) -> f64| median(runs.iter().map(field).collect());
        println!(
            "{name:<36}{:>12.3}{:>16.0}{:>12.0}",
            median_of(|c| c.wall_ms),
            median_of(|c| c.api_server_us),
            median_of(|c| c.etcd_us)
        );
    }
    Ok(())
}

struct Bench<'a, F> {
    env: &'a Environment,
    cpu: &'a F,
    objects: usize,
    concurrency: usize,
}

impl<F: Fn() -> anyhow::Result<Cpu>> Bench<'_, F> {
    /// Every scenario once, each in a fresh namespace.
    async fn run_all(
        &self,
        http1: &Client,
        http2: &Client,
    ) -> anyhow::Result<Vec<(&'static str, Cost)>> {
        let mut costs = Vec::new();
        let n = self.objects;

        let ns = self.env.create_namespace("create").await?;
        let config_maps: Api<ConfigMap> = Api::namespaced(http1.clone(), &ns);
        let created = self
            .measure(n, |i| {
                let api = config_maps.clone();
                async move {
                    api.create(&PostParams::default(), &config_map(i, "a"))
                        .await
                }
            })
            .await?;
        costs.push(("ConfigMap create (POST)", created.0));
        let stored = created.1;

        costs.push((
            "ConfigMap update (PUT)",
            self.measure(n, |i| {
                let api = config_maps.clone();
                let mut changed = stored[i].clone();
                changed.data = Some([("key".to_string(), "b".to_string())].into());
                async move {
                    api.replace(&changed.name_any(), &PostParams::default(), &changed)
                        .await
                }
            })
            .await?
            .0,
        ));
        costs.push((
            "ConfigMap merge patch",
            self.measure(n, |i| {
                let api = config_maps.clone();
                let patch = serde_json::json!({"data": {"key": "c"}});
                async move {
                    api.patch(&name(i), &PatchParams::default(), &Patch::Merge(&patch))
                        .await
                }
            })
            .await?
            .0,
        ));
        let apply_all = |value: &'static str| {
            let config_maps = &config_maps;
            self.measure(n, move |i| {
                let api = config_maps.clone();
                async move {
                    api.patch(
                        &name(i),
                        &PatchParams::apply(MANAGER).force(),
                        &Patch::Apply(&config_map(i, value)),
                    )
                    .await
                }
            })
        };
        costs.push((
            "ConfigMap server-side apply (change)",
            apply_all("d").await?.0,
        ));
        costs.push((
            "ConfigMap server-side apply (no-op)",
            apply_all("d").await?.0,
        ));
        let current: Vec<ConfigMap> = {
            let mut items = config_maps.list(&ListParams::default()).await?.items;
            items.sort_by_key(|cm| name_index(&cm.name_any()));
            items
        };
        costs.push((
            "ConfigMap update (PUT, no-op)",
            self.measure(n, |i| {
                let api = config_maps.clone();
                let same = current[i].clone();
                async move {
                    api.replace(&same.name_any(), &PostParams::default(), &same)
                        .await
                }
            })
            .await?
            .0,
        ));
        costs.push((
            "ConfigMap get (GET)",
            self.measure(n, |i| {
                let api = config_maps.clone();
                async move { api.get(&name(i)).await }
            })
            .await?
            .0,
        ));

        let ns = self.env.create_namespace("apply").await?;
        let applied: Api<ConfigMap> = Api::namespaced(http1.clone(), &ns);
        costs.push((
            "ConfigMap create (server-side apply)",
            self.measure(n, |i| {
                let api = applied.clone();
                async move {
                    api.patch(
                        &name(i),
                        &PatchParams::apply(MANAGER).force(),
                        &Patch::Apply(&config_map(i, "a")),
                    )
                    .await
                }
            })
            .await?
            .0,
        ));

        let ns = self.env.create_namespace("large").await?;
        let large: Api<ConfigMap> = Api::namespaced(http1.clone(), &ns);
        let text = "x".repeat(16 * 1024);
        costs.push((
            "ConfigMap create, 16 KiB of data",
            self.measure(n, |i| {
                let api = large.clone();
                let object = config_map(i, &text);
                async move { api.create(&PostParams::default(), &object).await }
            })
            .await?
            .0,
        ));

        let ns = self.env.create_namespace("h2").await?;
        let over_h2: Api<ConfigMap> = Api::namespaced(http2.clone(), &ns);
        costs.push((
            "ConfigMap create over HTTP/2",
            self.measure(n, |i| {
                let api = over_h2.clone();
                async move {
                    api.create(&PostParams::default(), &config_map(i, "a"))
                        .await
                }
            })
            .await?
            .0,
        ));

        let (list_full, list_meta) = self.list_and_watch(http1, &config_maps).await?;
        costs.push(("list + watch, whole objects (each)", list_full));
        costs.push(("list + watch, metadata only (each)", list_meta));

        let ns = self.env.create_namespace("status").await?;
        let greetings: Api<Greeting> = Api::namespaced(http1.clone(), &ns);
        let mut stored = futures::stream::iter(0..n)
            .map(|i| {
                let api = greetings.clone();
                async move { api.create(&PostParams::default(), &greeting(i)).await }
            })
            .buffer_unordered(self.concurrency)
            .try_collect::<Vec<_>>()
            .await?;
        stored.sort_by_key(|g| name_index(&g.name_any()));
        costs.push((
            "status update (PUT)",
            self.measure(n, |i| {
                let api = greetings.clone();
                let mut ready = stored[i].clone();
                ready.status = Some(ready_status(&ready, "Applied"));
                async move {
                    api.replace_status(&ready.name_any(), &PostParams::default(), &ready)
                        .await
                }
            })
            .await?
            .0,
        ));
        costs.push((
            "status merge patch",
            self.measure(n, |i| {
                let api = greetings.clone();
                let status = ready_status(&stored[i], "Patched");
                let patch = serde_json::json!({ "status": status });
                async move {
                    api.patch_status(&name(i), &PatchParams::default(), &Patch::Merge(&patch))
                        .await
                }
            })
            .await?
            .0,
        ));
        costs.push((
            "status server-side apply",
            self.measure(n, |i| {
                let api = greetings.clone();
                let body = serde_json::json!({
                    "apiVersion": "demo.kubesmith.dev/v1",
                    "kind": "Greeting",
                    "status": ready_status(&stored[i], "Applied"),
                });
                async move {
                    api.patch_status(
                        &name(i),
                        &PatchParams::apply(MANAGER).force(),
                        &Patch::Apply(&body),
                    )
                    .await
                }
            })
            .await?
            .0,
        ));
        Ok(costs)
    }

    /// Runs `request(i)` for every object, `concurrency` at a time.
    async fn measure<T, Fut>(
        &self,
        count: usize,
        request: impl Fn(usize) -> Fut,
    ) -> anyhow::Result<(Cost, Vec<T>)>
    where
        Fut: Future<Output = kube::Result<T>>,
    {
        let before = (self.cpu)()?;
        let started = Instant::now();
        let mut results: Vec<(usize, T)> = futures::stream::iter(0..count)
            .map(|i| {
                let sent = request(i);
                async move { sent.await.map(|value| (i, value)) }
            })
            .buffer_unordered(self.concurrency)
            .try_collect()
            .await?;
        let wall = started.elapsed().as_secs_f64();
        let after = (self.cpu)()?;
        results.sort_by_key(|(i, _)| *i);
        let per_request = 1.0 / count as f64;
        Ok((
            Cost {
                wall_ms: wall * 1e3 * per_request,
                api_server_us: (after.api_server - before.api_server) * 1e6 * per_request,
                etcd_us: (after.etcd - before.etcd) * 1e6 * per_request,
            },
            results.into_iter().map(|(_, value)| value).collect(),
        ))
    }

    /// The cost, per object, of listing and starting a watch of `config_maps`' objects, as
    /// whole objects and as metadata only.
    async fn list_and_watch(
        &self,
        client: &Client,
        config_maps: &Api<ConfigMap>,
    ) -> anyhow::Result<(Cost, Cost)> {
        let namespace = config_maps
            .namespace()
            .map(str::to_string)
            .unwrap_or_default();
        let full: Api<ConfigMap> = Api::namespaced(client.clone(), &namespace);
        let meta: Api<PartialObjectMeta<ConfigMap>> = Api::namespaced(client.clone(), &namespace);
        let whole = self.timed(self.objects, synced(full)).await?;
        let metadata = self.timed(self.objects, synced(meta)).await?;
        Ok((whole, metadata))
    }

    async fn timed(
        &self,
        objects: usize,
        work: impl Future<Output = anyhow::Result<()>>,
    ) -> anyhow::Result<Cost> {
        let before = (self.cpu)()?;
        let started = Instant::now();
        work.await?;
        let wall = started.elapsed().as_secs_f64();
        let after = (self.cpu)()?;
        let per_object = 1.0 / objects as f64;
        Ok(Cost {
            wall_ms: wall * 1e3 * per_object,
            api_server_us: (after.api_server - before.api_server) * 1e6 * per_object,
            etcd_us: (after.etcd - before.etcd) * 1e6 * per_object,
        })
    }
}

/// Lists and starts watching `api` (as kubesmith's cache does), until the first list is in.
async fn synced<K>(api: Api<K>) -> anyhow::Result<()>
where
    K: kube::Resource + Clone + serde::de::DeserializeOwned + std::fmt::Debug + Send + 'static,
{
    let mut events = watcher(api, watcher::Config::default().any_semantic()).boxed();
    while let Some(event) = events.try_next().await? {
        if matches!(event, watcher::Event::InitDone) {
            return Ok(());
        }
    }
    anyhow::bail!("the watch ended before its first list")
}

fn name(i: usize) -> String {
    format!("o{i}")
}

fn name_index(name: &str) -> usize {
    name.trim_start_matches('o').parse().unwrap_or(usize::MAX)
}

fn config_map(i: usize, value: &str) -> ConfigMap {
    let mut config_map = ConfigMap::default();
    config_map.metadata.name = Some(name(i));
    config_map.data = Some([("key".to_string(), value.to_string())].into());
    config_map
}

fn greeting(i: usize) -> Greeting {
    Greeting::new(
        &name(i),
        GreetingSpec {
            message: format!("hello {i}"),
        },
    )
}

fn ready_status(greeting: &Greeting, reason: &str) -> GreetingStatus {
    let mut status = GreetingStatus {
        config_map: Some(format!("{}-greeting", greeting.name_any())),
        observed_generation: greeting.metadata.generation,
        conditions: Default::default(),
    };
    status
        .conditions
        .set(ConditionBuilder::new("Ready", true, reason).observing(greeting));
    status
}

/// A client for `config` whose connections negotiate HTTP/2 (kube's own client speaks
/// HTTP/1.1 only).
fn http2_client(config: &kube::Config) -> anyhow::Result<Client> {
    let tls = config.rustls_client_config()?;
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http()
        .enable_http1()
        .enable_http2()
        .wrap_connector(http);
    let hyper = hyper_util::client::legacy::Client::builder(TokioExecutor::new()).build(https);
    let service = tower::ServiceBuilder::new()
        .layer(config.base_uri_layer())
        .option_layer(config.auth_layer()?)
        .map_err(
            |error: hyper_util::client::legacy::Error| -> Box<dyn std::error::Error + Send + Sync> {
                Box::new(error)
            },
        )
        .service(hyper);
    Ok(Client::new(service, config.default_namespace.clone()))
}

/// The HTTP version `client` ends up using.
async fn negotiated_version(client: &Client) -> anyhow::Result<http::Version> {
    let request = Request::get("/version").body(Body::empty())?;
    Ok(client.send(request).await?.version())
}
