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
