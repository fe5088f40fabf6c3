//! CRD conformance: kubesmith's CRDs against controller-gen's for the same APIs.
//!
//! The corpus is four operator APIs written twice: in Go with kubebuilder markers
//! (`tests/conformance/go`, whose controller-gen output is committed in
//! `tests/conformance/controller-gen`) and in Rust with kubesmith markers ([`api`]). Both CRDs
//! of each Kind are flattened into `path → value` facts ([`flatten`]) and compared
//! ([`compare`]); the report lists every path that is not identical, and the test requires
//! 98 % of all paths, outside the documented differences, to be identical.
//!
//! Where Go is installed, `controller_gen_golden_is_current` regenerates the golden and fails
//! when it drifted (`KUBESMITH_UPDATE_GOLDEN=1` rewrites it); without Go the committed golden
//! is used as it is, and nothing needs the network (`GO=none` simulates that).

mod api;
mod compare;
mod controller_gen;
mod flatten;

use kubesmith::schema::{CustomResourceMarkers, SchemaError};
use kubesmith_e2e::prerequisite::require;

use compare::{Comparison, DOCUMENTED};

/// The share of paths, outside documented differences, that must be identical.
const REQUIRED_PERCENT: f64 = 98.0;

/// The CRD name of `K` and kubesmith's checked CRD of it, as JSON.
fn kubesmith_crd<K: CustomResourceMarkers>() -> (String, Result<serde_json::Value, SchemaError>) {
    (
        K::crd_name().to_string(),
        kubesmith::schema::crd::<K>().map(|crd| flatten::crd_json(&crd)),
    )
}

#[test]
fn kubesmith_crds_match_controller_gen() -> anyhow::Result<()> {
    let mut golden = controller_gen::golden_crds()?;
    let ours = [
        kubesmith_crd::<api::Widget>(),
        kubesmith_crd::<api::Fleet>(),
        kubesmith_crd::<api::CronTask>(),
        kubesmith_crd::<api::Workload>(),
    ];
    let mut comparisons = Vec::new();
    let mut refused = Vec::new();
    for (crd_name, crd) in ours {
        let crd = match crd {
            Ok(crd) => crd,
            Err(error) => {
                refused.push(format!("{crd_name}: {error}"));
                continue;
            }
        };
        let kind = crd["spec"]["names"]["kind"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let theirs = golden
            .remove(&kind)
            .ok_or_else(|| anyhow::anyhow!("controller-gen wrote no CRD of kind {kind}"))?;
        let mut kubesmith = flatten::crd_facts(&crd);
        kubesmith.extend(flatten::schema(&crd));
        let mut controller_gen = flatten::crd_facts(&theirs);
        controller_gen.extend(flatten::schema(&theirs));
        comparisons.push(Comparison::new(
            &kind,
            &kubesmith,
            &controller_gen,
            DOCUMENTED,
        ));
    }

    println!(
        "CRD conformance, kubesmith against controller-gen {}",
        controller_gen::VERSION
    );
    println!("documented differences: {}", DOCUMENTED.len());
    for entry in DOCUMENTED {
        println!("  {}: {}", entry.pattern, entry.reason);
    }
    for comparison in &comparisons {
        print!("\n{comparison}");
    }
    let overall = Comparison::total("overall", &comparisons);
    println!();
    for comparison in &comparisons {
        println!("{}", comparison.summary());
    }
    println!("{}", overall.summary());
    println!("non-identical paths by class:");
    for ((label, class), count) in overall.classes() {
        println!("  {count:>5}  {label:<19} {class}");
    }

    assert!(
        refused.is_empty(),
        "kubesmith refused CRDs:\n{}",
        refused.join("\n")
    );
    assert!(
        golden.is_empty(),
        "controller-gen's CRDs of kinds {:?} have no kubesmith counterpart",
        golden.keys().collect::<Vec<_>>()
    );
    assert!(
        overall.percent_identical() >= REQUIRED_PERCENT,
        "{:.2} % of paths are identical, {REQUIRED_PERCENT} % are required; the report above lists the others",
        overall.percent_identical()
    );
    Ok(())
}

#[test]
fn controller_gen_golden_is_current() -> anyhow::Result<()> {
    let Some(go) = require(
        "controller_gen_golden_is_current",
        kubesmith_e2e::go_tool::go(),
    ) else {
        return Ok(());
    };
    let generated = controller_gen::generate(&go)?;
    if std::env::var(controller_gen::UPDATE_ENV).is_ok_and(|value| value == "1") {
        controller_gen::write_golden(&generated)?;
        println!("rewrote {}", controller_gen::golden_dir().display());
        return Ok(());
    }
    let golden = controller_gen::golden_files()?;
    let drifted: Vec<&String> = generated
        .keys()
        .chain(golden.keys())
        .filter(|file| generated.get(*file) != golden.get(*file))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    anyhow::ensure!(
        drifted.is_empty(),
        "controller-gen {} writes other CRDs than the golden in {} for {drifted:?}; if the Go corpus \
         changed on purpose, rerun with {}=1 to rewrite the golden",
        controller_gen::VERSION,
        controller_gen::golden_dir().display(),
        controller_gen::UPDATE_ENV,
    );
    Ok(())
}
