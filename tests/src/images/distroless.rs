//! `gcr.io/distroless/static:nonroot`, the runtime stage of scaffolded Dockerfiles, made
//! locally from scratch with what the upstream image holds for a static binary: `/etc/passwd`
//! and `/etc/group` with root, nobody and nonroot (65532, home `/home/nonroot`),
//! `/etc/nsswitch.conf`, the CA bundle (the host's, `/etc/ssl/certs/ca-certificates.crt`),
//! time zones (bookworm's `/usr/share/zoneinfo`), `/tmp` with mode 1777, user 65532 and
//! working directory `/home/nonroot`. No shell, no package manager. Made for linux/amd64 and
//! linux/arm64 (no `RUN`, so no emulation) and kept as a manifest list of the two, so that
//! multi-platform builds find the base of each platform.

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::process::Command;

use anyhow::Context as _;

use super::bookworm;
use crate::go_tool::run;
use crate::podman::Podman;

/// The image's name (a manifest list).
pub const NAME: &str = "gcr.io/distroless/static:nonroot";

/// The platforms of the manifest list.
pub const PLATFORMS: [&str; 2] = ["linux/amd64", "linux/arm64"];

/// The uid and gid of `nonroot`.
pub const NONROOT: u32 = 65532;

const PASSWD: &str = "root:x:0:0:root:/root:/sbin/nologin\n\
nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n\
nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n";

const GROUP: &str = "root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n";

const NSSWITCH: &str = "passwd: files\ngroup: files\nshadow: files\nhosts: files dns\n\
networks: files\nprotocols: files\nservices: files\nethers: files\nrpc: files\n";

const OS_RELEASE: &str = "PRETTY_NAME=\"Distroless (local stand-in made by kubesmith's tests)\"\n\
NAME=\"Debian GNU/Linux\"\nID=\"debian\"\nVERSION_ID=\"12\"\n";

/// The host's CA bundle.
const CA_BUNDLE: &str = "/etc/ssl/certs/ca-certificates.crt";

const CONTAINERFILE: &str = "FROM scratch\n\
ADD rootfs.tar /\n\
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt\n\
USER 65532\n\
WORKDIR /home/nonroot\n";

/// Makes the manifest list (and an image per platform) unless podman has it.
pub fn ensure() -> anyhow::Result<()> {
    super::ensure(NAME, build)
}

fn build(context: &Path) -> anyhow::Result<()> {
    let root = context.join("rootfs");
    write_rootfs(&root)?;
    run(Command::new("tar")
        .args(["--numeric-owner", "-C"])
        .arg(&root)
        .arg("-cf")
        .arg(context.join("rootfs.tar"))
        .arg("."))?;
    std::fs::remove_dir_all(&root)?;
    let file = context.join("Containerfile");
    std::fs::write(&file, CONTAINERFILE)?;
    let podman = Podman::find()?;
    let mut images = Vec::new();
    for platform in PLATFORMS {
        let arch = platform.rsplit('/').next().unwrap_or(platform);
        let image = format!("localhost/kubesmith-distroless-static:nonroot-{arch}");
        // podman 4 reuses a cached layer of another platform for `FROM scratch`: no cache.
        podman.build_file(
            context,
            &file,
            &image,
            &["--platform", platform, "--no-cache"],
        )?;
        images.push(image);
    }
    podman.output(&["manifest", "create", NAME])?;
    for image in &images {
        podman.output(&[
            "manifest",
            "add",
            NAME,
            &format!("containers-storage:{image}"),
        ])?;
    }
    Ok(())
}

/// Lays out the image's files under `root`, owned and with modes as in the image.
fn write_rootfs(root: &Path) -> anyhow::Result<()> {
    for (path, text) in [
        ("etc/passwd", PASSWD),
        ("etc/group", GROUP),
        ("etc/nsswitch.conf", NSSWITCH),
        ("etc/os-release", OS_RELEASE),
    ] {
        let target = root.join(path);
        std::fs::create_dir_all(target.parent().unwrap_or(root))?;
        std::fs::write(&target, text)?;
    }
    let certs = root.join("etc/ssl/certs");
    std::fs::create_dir_all(&certs)?;
    std::fs::copy(CA_BUNDLE, certs.join("ca-certificates.crt"))
        .with_context(|| format!("copying {CA_BUNDLE} (install ca-certificates)"))?;
    let share = root.join("usr/share");
    std::fs::create_dir_all(&share)?;
    run(Command::new("tar")
        .arg("-C")
        .arg(root)
        .arg("-xf")
        .arg(bookworm::rootfs()?)
        .arg("./usr/share/zoneinfo"))
    .context("taking the time zones from the bookworm root file system")?;
    for (dir, mode) in [("tmp", 0o1777), ("root", 0o700), ("home/nonroot", 0o700)] {
        let path = root.join(dir);
        std::fs::create_dir_all(&path)?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode))?;
    }
    std::os::unix::fs::chown(root.join("home/nonroot"), Some(NONROOT), Some(NONROOT))
        .context("handing /home/nonroot to nonroot")?;
    Ok(())
}
