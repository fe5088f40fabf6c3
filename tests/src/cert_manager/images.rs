//! Local podman images of cert-manager's components, named and tagged as the chart expects
//! (`quay.io/jetstack/cert-manager-<component>:<VERSION>`), built `FROM scratch`:
//!
//! | path | what |
//! |---|---|
//! | `/app/cmd/<component>/<component>` | the static binary (the entrypoint) |
//! | `/etc/passwd`, `/etc/group` | root and `nonroot` (65532, home `/home/nonroot`) |
//!
//! with `USER 65532:65532` and the label [`BINARY_LABEL`] holding the binary's SHA-256. An
//! image is rebuilt only when it is missing or its binary changed.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::Context as _;

use super::binaries;
use super::component::Component;
use crate::machine::MachineLock;
use crate::podman::Podman;

/// The image label holding the SHA-256 of the binary inside.
pub const BINARY_LABEL: &str = "io.kubesmith.binary-sha256";

/// The user (and group) the images run as: distroless's `nonroot`.
pub const USER: u32 = 65532;

/// The images of every component, built when missing or out of date (after the binaries,
/// see [`binaries()`](super::binaries())). Returns their names, to load into a node.
pub fn images() -> anyhow::Result<Vec<String>> {
    let podman = Podman::find()?;
    let binaries = binaries()?;
    let _lock = MachineLock::acquire("cert-manager-images")?;
    Component::ALL
        .into_iter()
        .map(|component| {
            let image = component.image();
            let binary = binaries.path(component);
            let digest = binaries.sha256(component)?;
            if podman.image_label(&image, BINARY_LABEL)?.as_deref() != Some(digest.as_str()) {
                let context = tempfile::tempdir().context("a build context")?;
                write_context(context.path(), component, &binary, &digest)?;
                podman.build(context.path(), &image)?;
            }
            Ok(image)
        })
        .collect()
}

/// Lays out the build context of `component`'s image in `dir`.
fn write_context(
    dir: &Path,
    component: Component,
    binary: &Path,
    digest: &str,
) -> anyhow::Result<()> {
    let name = component.name();
    std::fs::copy(binary, dir.join(name))
        .with_context(|| format!("copying {} into the build context", binary.display()))?;
    let files = [
        ("Containerfile", containerfile(name, digest)),
        (
            "passwd",
            format!(
                "root:x:0:0:root:/root:/sbin/nologin\n\
                 nonroot:x:{USER}:{USER}:nonroot:/home/nonroot:/sbin/nologin\n"
            ),
        ),
        ("group", format!("root:x:0:\nnonroot:x:{USER}:\n")),
    ];
    for (file, text) in files {
        std::fs::write(dir.join(file), text).with_context(|| format!("writing {file}"))?;
    }
    Ok(())
}

/// The Containerfile of the image of the binary `name` whose SHA-256 is `digest`.
fn containerfile(name: &str, digest: &str) -> String {
    let entrypoint = format!("/app/cmd/{name}/{name}");
    let mut text = String::from("FROM scratch\n");
    let _ = writeln!(text, "COPY passwd group /etc/");
    let _ = writeln!(text, "COPY {name} {entrypoint}");
    let _ = writeln!(text, "USER {USER}:{USER}");
    let _ = writeln!(text, "LABEL {BINARY_LABEL}={digest}");
    let _ = writeln!(text, "ENTRYPOINT [\"{entrypoint}\"]");
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_containerfile_runs_the_binary_as_nonroot_from_scratch() {
        let text = containerfile("webhook", "abc");
        assert!(text.starts_with("FROM scratch\n"), "{text}");
        assert!(
            text.contains("\nCOPY webhook /app/cmd/webhook/webhook\n"),
            "{text}"
        );
        assert!(text.contains("\nUSER 65532:65532\n"), "{text}");
        assert!(
            text.contains("\nLABEL io.kubesmith.binary-sha256=abc\n"),
            "{text}"
        );
        assert!(
            text.ends_with("ENTRYPOINT [\"/app/cmd/webhook/webhook\"]\n"),
            "{text}"
        );
    }
}
