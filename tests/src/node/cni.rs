//! The pod network: one CNI configuration, a Linux bridge (`kubesmith0`, the pods' gateway)
//! with host-local addresses from the private pod range, its allocations kept in the cluster's
//! work directory. No masquerading: nothing is meant to leave the machine.

use std::path::Path;

use anyhow::Context as _;

use super::host_state::CNI_NETWORK;
use super::network::{BRIDGE, POD_CIDR};

/// Writes the network configuration list into `conf_dir`, with IP allocations in `ipam_dir`.
pub fn write_config(conf_dir: &Path, ipam_dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(conf_dir)
        .with_context(|| format!("creating {}", conf_dir.display()))?;
    let config = serde_json::json!({
        "cniVersion": "1.0.0",
        "name": CNI_NETWORK,
        "plugins": [{
            "type": "bridge",
            "bridge": BRIDGE,
            "isGateway": true,
            "ipMasq": false,
            "hairpinMode": true,
            "ipam": {
                "type": "host-local",
                "ranges": [[{ "subnet": POD_CIDR }]],
                "routes": [{ "dst": "0.0.0.0/0" }],
                "dataDir": ipam_dir,
            },
        }],
    });
    let path = conf_dir.join("10-kubesmith-node.conflist");
    std::fs::write(&path, serde_json::to_vec_pretty(&config)?)
        .with_context(|| format!("writing {}", path.display()))
}
