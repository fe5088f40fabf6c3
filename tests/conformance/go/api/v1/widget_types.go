package v1

import (
	"strconv"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Size is a widget's t-shirt size.
// +kubebuilder:validation:Enum=S;M;L;XL
type Size string

// Interval is a duration written as text ("30s", "5m"); it marshals itself to a JSON string.
// +kubebuilder:validation:Type=string
// +kubebuilder:validation:Format=duration
type Interval struct {
	Seconds int64 `json:"-"`
}

// MarshalJSON writes the interval as a string such as "30s".
func (i Interval) MarshalJSON() ([]byte, error) {
	return []byte(`"` + strconv.FormatInt(i.Seconds, 10) + `s"`), nil
}

// Endpoint is one named port a widget serves.
type Endpoint struct {
	// Name identifies the endpoint within the widget.
	// +kubebuilder:validation:MaxLength=15
	Name string `json:"name"`
	// Port is the TCP port.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	Port int32 `json:"port"`
	// Protocol defaults to TCP.
	// +kubebuilder:validation:Enum=TCP;UDP
	// +default="TCP"
	// +optional
	Protocol string `json:"protocol,omitempty"`
}

// Rollout tunes how replicas are replaced; it is replaced as a whole.
// +structType=atomic
type Rollout struct {
	// MaxSurge is how many extra replicas may exist during a rollout.
	// +kubebuilder:validation:XIntOrString
	// +kubebuilder:validation:Pattern=`^([0-9]+|[0-9]+%)$`
	// +optional
	MaxSurge *intstr.IntOrString `json:"maxSurge,omitempty"`
	// Steps are the traffic shares of a canary rollout.
	// +kubebuilder:validation:items:XIntOrString
	// +kubebuilder:validation:items:Pattern=`^([0-9]+|[0-9]+%)$`
	// +optional
	Steps []intstr.IntOrString `json:"steps,omitempty"`
}

// WidgetSpec is the desired state of a Widget.
// +kubebuilder:validation:ExactlyOneOf=image;imageRef
// +kubebuilder:validation:AtMostOneOf=configMapName;secretName
// +kubebuilder:validation:XValidation:rule="!has(self.maxReplicas) || self.replicas <= self.maxReplicas",message="replicas must not exceed maxReplicas",reason=FieldValueInvalid,fieldPath=".replicas"
type WidgetSpec struct {
	// Replicas is the number of widget instances.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100
	// +kubebuilder:default=1
	// +optional
	Replicas int32 `json:"replicas,omitempty"`
	// MaxReplicas caps replicas; it must be positive.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:ExclusiveMinimum=true
	// +optional
	MaxReplicas *int32 `json:"maxReplicas,omitempty"`
	// Priority is below 10.
	// +kubebuilder:validation:Maximum=10
	// +kubebuilder:validation:ExclusiveMaximum=true
	// +optional
	Priority int32 `json:"priority,omitempty"`
	// BatchSize is a multiple of 5.
	// +kubebuilder:validation:MultipleOf=5
	// +kubebuilder:example=10
	// +optional
	BatchSize *int64 `json:"batchSize,omitempty"`

	// DisplayName is shown in dashboards.
	// +kubebuilder:title="Display name"
	// +kubebuilder:example="Front door"
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +required
	DisplayName string `json:"displayName,omitempty"`
	// Hostname is a DNS label.
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	// +optional
	Hostname string `json:"hostname,omitempty"`
	// Owner is a contact address.
	// +kubebuilder:validation:Format=email
	// +optional
	Owner string `json:"owner,omitempty"`
	// Tier selects the service level.
	// +kubebuilder:validation:Enum=bronze;silver;gold
	// +default="silver"
	// +optional
	Tier string `json:"tier,omitempty"`
	// Size is optional; unset means the controller picks one.
	// +optional
	Size *Size `json:"size,omitempty"`
	// Note may be set to null explicitly.
	// +nullable
	// +optional
	Note *string `json:"note,omitempty"`

	// Image is a container image reference.
	// +optional
	Image *string `json:"image,omitempty"`
	// ImageRef names an ImageStream tag instead of an image.
	// +optional
	ImageRef *string `json:"imageRef,omitempty"`
	// ConfigMapName names a ConfigMap with settings.
	// +optional
	ConfigMapName *string `json:"configMapName,omitempty"`
	// SecretName names a Secret with settings.
	// +optional
	SecretName *string `json:"secretName,omitempty"`

	// Ports lists the exposed ports, each once.
	// +listType=set
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=8
	// +kubebuilder:validation:items:Minimum=1
	// +kubebuilder:validation:items:Maximum=65535
	Ports []int32 `json:"ports"`
	// Tags are free-form labels for search.
	// +listType=set
	// +kubebuilder:validation:items:MinLength=1
	// +kubebuilder:validation:items:MaxLength=32
	// +kubebuilder:validation:items:Pattern=`^[a-z]+$`
	// +kubebuilder:validation:XValidation:rule="self.size() <= 10",messageExpression="'at most 10 tags, got ' + string(self.size())"
	// +optional
	Tags []string `json:"tags,omitempty"`
	// Zones lists availability zones in preference order.
	// +listType=atomic
	// +kubebuilder:validation:items:Enum=a;b;c
	// +kubebuilder:default={"a"}
	// +optional
	Zones []string `json:"zones,omitempty"`
	// Endpoints are merged by name on server-side apply.
	// +listType=map
	// +listMapKey=name
	// +optional
	Endpoints []Endpoint `json:"endpoints,omitempty"`

	// Labels are copied onto every replica.
	// +mapType=granular
	// +kubebuilder:validation:MinProperties=1
	// +kubebuilder:validation:MaxProperties=16
	// +optional
	Labels map[string]string `json:"labels,omitempty"`
	// Weights per zone; a null weight drains the zone.
	// +mapType=atomic
	// +optional
	Weights map[string]*int32 `json:"weights,omitempty"`
	// Certificate is a PEM bundle.
	// +optional
	Certificate []byte `json:"certificate,omitempty"`
	// CheckInterval is how often the widget is probed.
	// +optional
	CheckInterval *Interval `json:"checkInterval,omitempty"`
	// Rollout tunes replacement of replicas.
	// +optional
	Rollout *Rollout `json:"rollout,omitempty"`
	// Paused stops reconciliation.
	Paused bool `json:"paused"`
}

// WidgetStatus is the observed state of a Widget.
type WidgetStatus struct {
	// ReadyReplicas counts replicas passing their checks.
	// +optional
	ReadyReplicas int32 `json:"readyReplicas,omitempty"`
	// Phase summarizes the widget.
	// +kubebuilder:validation:Enum=Pending;Running;Failed
	// +optional
	Phase string `json:"phase,omitempty"`
	// Conditions are the widget's current conditions.
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// Widget is a small replicated service.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=wd;wdg,categories=conformance
// +kubebuilder:printcolumn:name="Replicas",type=integer,JSONPath=`.spec.replicas`
// +kubebuilder:printcolumn:name="Phase",type=string,JSONPath=`.status.phase`,description="Summary of the widget"
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type Widget struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   WidgetSpec   `json:"spec"`
	Status WidgetStatus `json:"status,omitempty"`
}

// WidgetList is a list of Widgets.
// +kubebuilder:object:root=true
type WidgetList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Widget `json:"items"`
}
