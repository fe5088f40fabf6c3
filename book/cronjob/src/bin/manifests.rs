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

//! `make manifests`: writes the CRDs (`config/crd/bases`), the manager's RBAC role
//! (`config/rbac/role.yaml`) and the webhook configurations (`config/webhook/manifests.yaml`)
//! of [`cronjob::operator`], offline. With `--check` it only compares them with the
//! files (`make test` does, so stale manifests fail).

fn main() -> std::process::ExitCode {
    cronjob::operator()
        .manifests(env!("CARGO_MANIFEST_DIR"))
        .main()
}
