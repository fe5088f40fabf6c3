//! The webhooks of this operator, one module per version and Kind (`kubesmith create webhook`
//! adds them). `crate::operator` lists each Kind's `webhook` and `conversion`.

pub mod v1;
// +kubesmith:scaffold:modules
