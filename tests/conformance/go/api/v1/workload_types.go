package v1

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// WorkloadSpec is the desired state of a Workload.
type WorkloadSpec struct {
	// Template is the pod each replica runs.
	Template corev1.PodTemplateSpec `json:"template"`
	// Sidecars are added to every pod.
	// +optional
	Sidecars []corev1.Container `json:"sidecars,omitempty"`
	// Resources bounds the whole workload.
	// +optional
	Resources corev1.ResourceRequirements `json:"resources,omitempty"`
	// MaxUnavailable is a count or a percentage of replicas.
	// +optional
	MaxUnavailable *intstr.IntOrString `json:"maxUnavailable,omitempty"`
	// StorageSize is the volume requested per replica.
	// +optional
	StorageSize *resource.Quantity `json:"storageSize,omitempty"`
	// Overrides is a Kubernetes object patched into the generated Deployment.
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:EmbeddedResource
	// +optional
	Overrides runtime.RawExtension `json:"overrides,omitempty"`
	// Settings is free-form configuration handed to the application.
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Type=object
	// +optional
	Settings *runtime.RawExtension `json:"settings,omitempty"`
	// NotBefore delays the first rollout.
	// +optional
	NotBefore *metav1.Time `json:"notBefore,omitempty"`
}

// WorkloadStatus is the observed state of a Workload.
type WorkloadStatus struct {
	// ObservedGeneration is the generation the status reflects.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// Conditions are the workload's current conditions.
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
	// LastTransitionTime is when the workload last changed phase.
	// +optional
	LastTransitionTime metav1.Time `json:"lastTransitionTime,omitempty"`
}

// Workload runs pods with sidecars and overrides.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:categories=conformance
// +kubebuilder:printcolumn:name="Max Unavailable",type=string,JSONPath=`.spec.maxUnavailable`
type Workload struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   WorkloadSpec   `json:"spec,omitempty"`
	Status WorkloadStatus `json:"status,omitempty"`
}

// WorkloadList is a list of Workloads.
// +kubebuilder:object:root=true
type WorkloadList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Workload `json:"items"`
}
