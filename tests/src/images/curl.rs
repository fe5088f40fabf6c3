//! A curl image for requests from inside a cluster (kubebuilder's e2e tests scrape the metrics
//! endpoint from a `curlimages/curl` pod), made locally under the upstream name with the
//! version bookworm ships, [`VERSION`]. Unlike upstream (Alpine) it is the bookworm root file
//! system plus curl and ca-certificates; like upstream it has `/bin/sh`, runs as `curl_user`
//! (uid 100, gid 101), and its entry point runs curl when the first argument is an option
//! (`<image> -sk https://...`) and the command otherwise (`<image> sh -c '...'`).

use std::path::Path;

use super::bookworm;
use crate::podman::Podman;

/// The curl version of bookworm, the image's tag.
pub const VERSION: &str = "7.88.1";

/// The image's name.
pub const NAME: &str = "docker.io/curlimages/curl:7.88.1";

/// The uid the image runs as.
pub const UID: u32 = 100;

const ENTRYPOINT: &str = "#!/bin/sh\n\
# Like curlimages/curl: arguments that start with an option are curl's.\n\
set -e\n\
if [ \"${1#-}\" != \"$1\" ]; then set -- curl \"$@\"; fi\n\
exec \"$@\"\n";

/// Makes the image unless podman has it.
pub fn ensure() -> anyhow::Result<()> {
    super::ensure(NAME, build)
}

fn build(context: &Path) -> anyhow::Result<()> {
    bookworm::into_context(context)?;
    std::fs::write(context.join("entrypoint.sh"), ENTRYPOINT)?;
    let containerfile = format!(
        "{from}RUN apt-get update \\\n \
         && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends curl ca-certificates \\\n \
         && update-ca-certificates \\\n \
         && rm -rf /var/lib/apt/lists/* \\\n \
         && curl --version | grep -q '^curl {VERSION} ' \\\n \
         && groupadd --gid 101 curl_group \\\n \
         && useradd --uid {UID} --gid 101 --no-create-home --home-dir /home/curl_user --shell /bin/sh curl_user\n\
         COPY --chmod=755 entrypoint.sh /entrypoint.sh\n\
         USER {UID}:101\n\
         ENTRYPOINT [\"/entrypoint.sh\"]\n\
         CMD [\"curl\"]\n",
        from = bookworm::FROM_ROOTFS,
    );
    let file = context.join("Containerfile");
    std::fs::write(&file, containerfile)?;
    Podman::find()?.build_file(context, &file, NAME, &[])
}
