//! Merging the versions of one Kind into one CRD.

use std::collections::BTreeMap;

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::core::crd::merge_crds;

use super::error::Error;

/// Groups CRDs by name and merges each group's versions; exactly one must be the storage
/// version. Versions are sorted by name.
pub fn merge_versions(
    crds: Vec<CustomResourceDefinition>,
) -> Result<Vec<CustomResourceDefinition>, Error> {
    let mut by_name: BTreeMap<String, Vec<CustomResourceDefinition>> = BTreeMap::new();
    for crd in crds {
        by_name
            .entry(crd.metadata.name.clone().unwrap_or_default())
            .or_default()
            .push(crd);
    }
    let mut merged = Vec::new();
    for (name, mut crds) in by_name {
        if crds.len() == 1
            && let Some(mut crd) = crds.pop()
        {
            // A single version is the storage version.
            for version in &mut crd.spec.versions {
                version.storage = true;
            }
            merged.push(crd);
            continue;
        }
        let storage: Vec<String> = crds
            .iter()
            .flat_map(|crd| crd.spec.versions.iter())
            .filter(|version| version.storage)
            .map(|version| version.name.clone())
            .collect();
        let [stored] = storage.as_slice() else {
            return Err(Error::StorageVersion {
                crd: name,
                found: storage,
            });
        };
        let stored = stored.clone();
        let mut crd = merge_crds(crds, &stored).map_err(|error| Error::Merge {
            crd: name.clone(),
            reason: error.to_string(),
        })?;
        crd.spec.versions.sort_by(|a, b| a.name.cmp(&b.name));
        merged.push(crd);
    }
    Ok(merged)
}
