//! Images for the node, made locally with podman (no registry is reachable): `FROM scratch`
//! images holding a few static files ([`ScratchImage`]), the pause image every pod sandbox runs
//! (Debian's static `catatonit -P`), and the toolbox (Debian's static busybox with its applets
//! linked in `/bin`: `sh`, `wget`, `httpd`, `nc`, `cat`, ...), which tests run as helper pods.
//!
//! Images reach the node's containerd as `podman save --format docker-archive` tarballs imported
//! with `ctr images import`.

use std::path::{Path, PathBuf};

use anyhow::Context as _;

use super::prerequisites::{BUSYBOX, CATATONIT};
use crate::podman::Podman;

/// The pause image of every pod (containerd's `sandbox_image`).
pub const PAUSE_IMAGE: &str = "localhost/kubesmith/pause:catatonit";

/// The toolbox image: busybox, its applets in `/bin`, user 65532.
pub const TOOLBOX_IMAGE: &str = "localhost/kubesmith/toolbox:busybox";

/// The busybox applets linked in the toolbox's `/bin`.
const TOOLBOX_APPLETS: [&str; 12] = [
    "sh", "cat", "echo", "env", "httpd", "id", "ls", "nc", "sleep", "test", "wget", "ps",
];

/// A `FROM scratch` image: files copied in, symbolic links, then Containerfile instructions.
#[derive(Debug, Clone)]
#[must_use]
pub struct ScratchImage {
    name: String,
    files: Vec<(PathBuf, String)>,
    contents: Vec<(String, String)>,
    links: Vec<(String, String)>,
    instructions: Vec<String>,
}

impl ScratchImage {
    /// An empty image to be tagged `name` (use a tag other than `latest`: the kubelet would try
    /// to pull a `latest` image).
    pub fn new(name: &str) -> ScratchImage {
        ScratchImage {
            name: name.to_owned(),
            files: Vec::new(),
            contents: Vec::new(),
            links: Vec::new(),
            instructions: Vec::new(),
        }
    }

    /// Copies the host file `source` to `target` (an absolute path) in the image.
    pub fn file(mut self, source: impl Into<PathBuf>, target: &str) -> ScratchImage {
        self.files.push((source.into(), target.to_owned()));
        self
    }

    /// Writes `text` to `target` in the image.
    pub fn text(mut self, target: &str, text: &str) -> ScratchImage {
        self.contents.push((target.to_owned(), text.to_owned()));
        self
    }

    /// Makes `target` a symbolic link to `link_to` in the image.
    pub fn link(mut self, target: &str, link_to: &str) -> ScratchImage {
        self.links.push((target.to_owned(), link_to.to_owned()));
        self
    }

    /// Appends a Containerfile instruction (`USER 65532:65532`, `ENTRYPOINT [...]`).
    pub fn instruction(mut self, line: &str) -> ScratchImage {
        self.instructions.push(line.to_owned());
        self
    }

    /// Builds the image with podman (no pulls, no network needed).
    pub fn build(&self) -> anyhow::Result<()> {
        let context = tempfile::tempdir()?;
        let root = context.path().join("root");
        std::fs::create_dir(&root)?;
        for (source, target) in &self.files {
            let destination = in_root(&root, target)?;
            std::fs::copy(source, &destination)
                .with_context(|| format!("copying {} into the image context", source.display()))?;
        }
        for (target, text) in &self.contents {
            std::fs::write(in_root(&root, target)?, text)?;
        }
        for (target, link_to) in &self.links {
            std::os::unix::fs::symlink(link_to, in_root(&root, target)?)?;
        }
        let mut containerfile = "FROM scratch\nCOPY root/ /\n".to_owned();
        for line in &self.instructions {
            containerfile.push_str(line);
            containerfile.push('\n');
        }
        std::fs::write(context.path().join("Containerfile"), containerfile)?;
        Podman::find()?.build_file(
            context.path(),
            &context.path().join("Containerfile"),
            &self.name,
            &["--quiet"],
        )
    }
}

/// `root` joined with the absolute image path `target`, its parent directories created.
fn in_root(root: &Path, target: &str) -> anyhow::Result<PathBuf> {
    let relative = target
        .strip_prefix('/')
        .with_context(|| format!("image paths are absolute, not {target:?}"))?;
    let path = root.join(relative);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    Ok(path)
}

/// The pause image: `catatonit -P` waits for signals and reaps nothing else.
pub fn pause_image() -> ScratchImage {
    ScratchImage::new(PAUSE_IMAGE)
        .file(CATATONIT, "/catatonit")
        .instruction("USER 65535:65535")
        .instruction(r#"ENTRYPOINT ["/catatonit", "-P"]"#)
}

/// The toolbox image: static busybox and its applets, running as 65532.
pub fn toolbox_image() -> ScratchImage {
    TOOLBOX_APPLETS.iter().fold(
        ScratchImage::new(TOOLBOX_IMAGE)
            .file(BUSYBOX, "/bin/busybox")
            .text("/etc/passwd", "root:x:0:0:root:/root:/bin/sh\nnonroot:x:65532:65532:nonroot:/home/nonroot:/bin/sh\n")
            .text("/etc/group", "root:x:0:\nnonroot:x:65532:\n")
            .instruction("USER 65532:65532"),
        |image, applet| image.link(&format!("/bin/{applet}"), "busybox"),
    )
}

/// Saves the podman image `image` as a docker archive in `dir`; returns the archive's path.
pub fn save(image: &str, dir: &Path) -> anyhow::Result<PathBuf> {
    let archive = dir.join(format!(
        "{}.tar",
        image.replace(|c: char| !c.is_ascii_alphanumeric(), "_")
    ));
    if archive.exists() {
        std::fs::remove_file(&archive)?;
    }
    Podman::find()?.save(&[image.to_owned()], &archive)?;
    Ok(archive)
}
