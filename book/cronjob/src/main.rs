// Copyright 2026 The Kubesmith Authors.
//
// Licensed under the Apache License, Version 2.0 (the "License");
// you may not use this file except in compliance with the License.
// You may obtain a copy of the License at
//
//     http://www.apache.org/licenses/LICENSE-2.0
//
// Unless required by applicable law or agreed to in writing, software
// distributed under the License is distributed on an "AS IS" BASIS,
// WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
// See the License for the specific language governing permissions and
// limitations under the License.

//! The cronjob manager: runs the controllers (and webhooks) of this operator with the
//! standard kubebuilder flags (`--help` lists them).

use clap::Parser;
use kubesmith::healthz;
use kubesmith::manager::{Manager, ManagerFlags};

use cronjob::controller;
use cronjob::webhook;
// +kubesmith:scaffold:imports

/// The manager's command line.
#[derive(Debug, Parser)]
#[command(about = "The cronjob operator", version)]
struct Args {
    /// The flags of every kubesmith manager: metrics, probes, leader election, webhook
    /// certificates, logging.
    #[command(flatten)]
    manager: ManagerFlags,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    args.manager.logging.init()?;
    let mut options = args.manager.manager_options()?;
    options.leader_election_id = "cronjob.tutorial.kubesmith.dev".into();
    let mut manager = Manager::new(kube::Client::try_default().await?, options)?;
    manager.add_healthz_check("ping", healthz::ping)?;
    manager.add_readyz_check("ping", healthz::ping)?;
    controller::cronjob::setup(&mut manager)?;
    // `make run` serves the webhooks from this machine (--webhook-local: the cluster's webhook
    // configurations point here while it runs); ENABLE_WEBHOOKS=false runs without them.
    if std::env::var("ENABLE_WEBHOOKS").as_deref() != Ok("false") {
        webhook::v1::cronjob::setup(&mut manager)?;
        // +kubesmith:scaffold:webhooks
    }
    // +kubesmith:scaffold:builder
    manager.run().await?;
    Ok(())
}
