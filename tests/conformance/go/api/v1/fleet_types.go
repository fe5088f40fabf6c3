package v1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Region is where a fleet's members run.
type Region struct {
	// Name is the cloud region, such as eu-west-1.
	// +kubebuilder:validation:MinLength=2
	Name string `json:"name"`
	// Capacity is the largest number of members the region takes.
	// +kubebuilder:validation:Minimum=0
	// +optional
	Capacity *int32 `json:"capacity,omitempty"`
	// Weight shares traffic between regions.
	// +kubebuilder:default=1
	// +optional
	Weight int32 `json:"weight,omitempty"`
}

// Wave is one step of a rollout: the regions updated together.
// +kubebuilder:validation:MaxItems=4
// +kubebuilder:validation:items:MinLength=2
type Wave []string

// FleetSpec is the desired state of a Fleet.
// +kubebuilder:validation:MinProperties=1
type FleetSpec struct {
	// Regions are merged by name.
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=20
	// +optional
	Regions []Region `json:"regions,omitempty"`
	// Selector picks the Widgets that belong to the fleet.
	// +optional
	Selector *metav1.LabelSelector `json:"selector,omitempty"`
	// Waves are the rollout order: each wave is a list of region names.
	// +kubebuilder:validation:MaxItems=5
	// +optional
	Waves []Wave `json:"waves,omitempty"`
	// Quotas maps a region to its member limit.
	// +kubebuilder:validation:MaxProperties=20
	// +optional
	Quotas map[string]int32 `json:"quotas,omitempty"`
	// Home is the fleet's home region; it cannot change after creation.
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="home is immutable"
	// +optional
	Home string `json:"home,omitempty"`
}

// FleetStatus is the observed state of a Fleet.
type FleetStatus struct {
	// Members counts the Widgets in the fleet.
	// +optional
	Members int32 `json:"members,omitempty"`
}

// Fleet groups Widgets across namespaces and regions.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Cluster,singular=fleet,shortName=fl,categories=conformance;fleets
// +kubebuilder:printcolumn:name="Members",type=integer,JSONPath=`.status.members`,priority=1
type Fleet struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   FleetSpec   `json:"spec,omitempty"`
	Status FleetStatus `json:"status,omitempty"`
}

// FleetList is a list of Fleets.
// +kubebuilder:object:root=true
type FleetList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Fleet `json:"items"`
}
