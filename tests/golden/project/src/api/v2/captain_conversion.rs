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

//! Conversion of `Captain` between v2 (this version) and the hub, v1, which the
//! conversion webhook calls (`crate::webhook::v1::captain::conversion`).
//!
//! While both versions have the same fields each conversion copies them. When the versions
//! differ, convert field by field here; a conversion that can fail becomes a `TryFrom` whose
//! error the API server reports.

use super::captain::{Captain, CaptainSpec, CaptainStatus};
use crate::api::v1::captain as hub;

impl From<Captain> for hub::Captain {
    fn from(spoke: Captain) -> Self {
        hub::Captain {
            metadata: spoke.metadata,
            spec: hub::CaptainSpec {
                foo: spoke.spec.foo,
            },
            status: spoke.status.map(|status| hub::CaptainStatus {
                conditions: status.conditions,
            }),
        }
    }
}

impl From<hub::Captain> for Captain {
    fn from(hub: hub::Captain) -> Self {
        Captain {
            metadata: hub.metadata,
            spec: CaptainSpec { foo: hub.spec.foo },
            status: hub.status.map(|status| CaptainStatus {
                conditions: status.conditions,
            }),
        }
    }
}
