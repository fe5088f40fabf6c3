// Package v1 is the conformance corpus: operator APIs whose CRDs controller-gen generates, to
// compare with what kubesmith generates from the same APIs written in Rust
// (tests/tests/conformance/api.rs). Keep the two in step, field by field.
//
// Only the CRD generator reads this package, so it has no deepcopy functions and no scheme.
//
// +kubebuilder:object:generate=false
// +groupName=conformance.kubesmith.dev
package v1
