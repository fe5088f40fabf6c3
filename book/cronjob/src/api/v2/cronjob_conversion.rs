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

//! Conversion of `CronJob` between v2 (this version) and the hub, v1, which the
//! conversion webhook calls (`crate::webhook::v1::cronjob::conversion`).
//!
//! While both versions have the same fields each conversion copies them. When the versions
//! differ, convert field by field here; a conversion that can fail becomes a `TryFrom` whose
//! error the API server reports.

use super::cronjob::{CronJob, CronJobSpec, CronJobStatus};
use crate::api::v1::cronjob as hub;

impl From<CronJob> for hub::CronJob {
    fn from(spoke: CronJob) -> Self {
        hub::CronJob {
            metadata: spoke.metadata,
            spec: hub::CronJobSpec {
                foo: spoke.spec.foo,
            },
            status: spoke.status.map(|status| hub::CronJobStatus {
                conditions: status.conditions,
            }),
        }
    }
}

impl From<hub::CronJob> for CronJob {
    fn from(hub: hub::CronJob) -> Self {
        CronJob {
            metadata: hub.metadata,
            spec: CronJobSpec { foo: hub.spec.foo },
            status: hub.status.map(|status| CronJobStatus {
                conditions: status.conditions,
            }),
        }
    }
}
