// Written for kubesmith's tests: cert-manager's CA injector (copies CA bundles into webhook
// configurations, APIServices and CRD conversion settings that ask for them) around
// cert-manager's injector library and controller-runtime, with the flags cert-manager's Helm
// chart passes.
package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/pflag"
	corev1 "k8s.io/api/core/v1"
	apiext "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	kscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	cliflag "k8s.io/component-base/cli/flag"
	apireg "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	config "github.com/cert-manager/cert-manager/internal/apis/config/cainjector"
	configscheme "github.com/cert-manager/cert-manager/internal/apis/config/cainjector/scheme"
	"github.com/cert-manager/cert-manager/internal/apis/config/cainjector/validation"
	configv1alpha1 "github.com/cert-manager/cert-manager/pkg/apis/config/cainjector/v1alpha1"
	cmscheme "github.com/cert-manager/cert-manager/pkg/client/clientset/versioned/scheme"
	"github.com/cert-manager/cert-manager/pkg/controller/cainjector"
	logf "github.com/cert-manager/cert-manager/pkg/logs"
	"github.com/cert-manager/cert-manager/pkg/util"

	"github.com/cert-manager/cert-manager/kubesmith-entrypoints/entry"
)

// leaseName is the Lease the injectors' leader holds (the chart's RBAC names it).
const leaseName = "cert-manager-cainjector-leader-election"

// certificatesCRD is the CRD the injectors watch when Certificates are a CA source.
const certificatesCRD = "certificates.cert-manager.io"

func main() {
	cfg, err := defaultConfiguration()
	if err != nil {
		entry.Exit("cainjector", fmt.Errorf("the default configuration: %w", err), 1)
	}
	entry.Command{
		Name:         "cainjector",
		Summary:      "cert-manager's CA injector: fills in the caBundle of webhooks, APIServices and CRD conversion from Certificates and Secrets.",
		Flags:        flags(cfg),
		FeatureGates: &cfg.FeatureGates,
		Validate: func() error {
			return validation.ValidateCAInjectorConfiguration(cfg, nil).ToAggregate()
		},
		Logging: &cfg.Logging,
		Run:     func(ctx context.Context) error { return run(ctx, cfg) },
	}.Main()
}

// defaultConfiguration is cert-manager's CAInjectorConfiguration with its v1alpha1 defaults.
func defaultConfiguration() (*config.CAInjectorConfiguration, error) {
	scheme, _, err := configscheme.NewSchemeAndCodecs()
	if err != nil {
		return nil, err
	}
	versioned := &configv1alpha1.CAInjectorConfiguration{}
	scheme.Default(versioned)
	cfg := &config.CAInjectorConfiguration{}
	return cfg, scheme.Convert(versioned, cfg, nil)
}

// flags are the settings the chart can pass (its values select among them), bound to cfg.
func flags(cfg *config.CAInjectorConfiguration) *pflag.FlagSet {
	fs := pflag.NewFlagSet("cainjector", pflag.ContinueOnError)
	fs.StringVar(&cfg.KubeConfig, "kubeconfig", cfg.KubeConfig, "kubeconfig file; in-cluster configuration when empty")
	fs.StringVar(&cfg.Namespace, "namespace", cfg.Namespace, "the only namespace to watch; all when empty")
	fs.BoolVar(&cfg.LeaderElectionConfig.Enabled, "leader-elect", cfg.LeaderElectionConfig.Enabled, "inject only while holding the leader Lease")
	fs.StringVar(&cfg.LeaderElectionConfig.Namespace, "leader-election-namespace", cfg.LeaderElectionConfig.Namespace, "namespace of the leader Lease")
	fs.DurationVar(&cfg.LeaderElectionConfig.LeaseDuration, "leader-election-lease-duration", cfg.LeaderElectionConfig.LeaseDuration, "how long a Lease is valid")
	fs.DurationVar(&cfg.LeaderElectionConfig.RenewDeadline, "leader-election-renew-deadline", cfg.LeaderElectionConfig.RenewDeadline, "how long the leader tries to renew before giving up")
	fs.DurationVar(&cfg.LeaderElectionConfig.RetryPeriod, "leader-election-retry-period", cfg.LeaderElectionConfig.RetryPeriod, "pause between attempts to take or renew the Lease")
	fs.BoolVar(&cfg.EnableDataSourceConfig.Certificates, "enable-certificates-data-source", cfg.EnableDataSourceConfig.Certificates, "take CA bundles from Certificates (inject-ca-from)")
	fs.BoolVar(&cfg.EnableInjectableConfig.MutatingWebhookConfigurations, "enable-mutatingwebhookconfigurations-injectable", cfg.EnableInjectableConfig.MutatingWebhookConfigurations, "inject into MutatingWebhookConfigurations")
	fs.BoolVar(&cfg.EnableInjectableConfig.ValidatingWebhookConfigurations, "enable-validatingwebhookconfigurations-injectable", cfg.EnableInjectableConfig.ValidatingWebhookConfigurations, "inject into ValidatingWebhookConfigurations")
	fs.BoolVar(&cfg.EnableInjectableConfig.CustomResourceDefinitions, "enable-customresourcedefinitions-injectable", cfg.EnableInjectableConfig.CustomResourceDefinitions, "inject into CRD conversion webhooks")
	fs.BoolVar(&cfg.EnableInjectableConfig.APIServices, "enable-apiservices-injectable", cfg.EnableInjectableConfig.APIServices, "inject into APIServices")
	fs.StringVar(&cfg.MetricsListenAddress, "metrics-listen-address", cfg.MetricsListenAddress, "address of the Prometheus metrics endpoint (plain HTTP); 0 turns it off")
	fs.Var(cliflag.NewMapStringBool(&cfg.FeatureGates), "feature-gates", "feature=true|false pairs")
	logf.AddFlags(&cfg.Logging, fs)
	return fs
}

// run starts a controller-runtime manager with one injector per enabled kind.
func run(ctx context.Context, cfg *config.CAInjectorConfiguration) error {
	ctrl.SetLogger(logf.Log)
	restConfig, err := clientcmd.BuildConfigFromFlags("", cfg.KubeConfig)
	if err != nil {
		return fmt.Errorf("the API server's configuration: %w", err)
	}
	restConfig = util.RestConfigWithUserAgent(restConfig, "cainjector")

	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{kscheme.AddToScheme, cmscheme.AddToScheme, apiext.AddToScheme, apireg.AddToScheme} {
		if err := add(scheme); err != nil {
			return err
		}
	}
	var namespaces map[string]cache.Config
	if cfg.Namespace != "" {
		namespaces = map[string]cache.Config{cfg.Namespace: {}}
	}
	election := cfg.LeaderElectionConfig
	manager, err := ctrl.NewManager(restConfig, ctrl.Options{
		Scheme: scheme,
		Cache:  cache.Options{ReaderFailOnMissingInformer: true, DefaultNamespaces: namespaces},
		// Secrets are read when needed rather than all cached: clusters hold many large ones.
		Client:                        client.Options{Cache: &client.CacheOptions{DisableFor: []client.Object{&corev1.Secret{}}}},
		LeaderElection:                election.Enabled,
		LeaderElectionNamespace:       election.Namespace,
		LeaderElectionID:              leaseName,
		LeaderElectionReleaseOnCancel: true,
		LeaderElectionResourceLock:    resourcelock.LeasesResourceLock,
		LeaderElectionLabels:          map[string]string{"app.kubernetes.io/managed-by": "cert-manager-cainjector"},
		LeaseDuration:                 &election.LeaseDuration,
		RenewDeadline:                 &election.RenewDeadline,
		RetryPeriod:                   &election.RetryPeriod,
		Metrics:                       metricsserver.Options{BindAddress: cfg.MetricsListenAddress},
	})
	if err != nil {
		return fmt.Errorf("creating the manager: %w", err)
	}
	if cfg.EnableDataSourceConfig.Certificates {
		if err := waitForCertificatesCRD(ctx, manager); err != nil {
			return err
		}
	}
	err = cainjector.RegisterAllInjectors(ctx, manager, cainjector.SetupOptions{
		Namespace:                    cfg.Namespace,
		IgnoreNamespaces:             cfg.IgnoreNamespaces,
		EnableCertificatesDataSource: cfg.EnableDataSourceConfig.Certificates,
		EnabledReconcilersFor: map[string]bool{
			cainjector.MutatingWebhookConfigurationName:   cfg.EnableInjectableConfig.MutatingWebhookConfigurations,
			cainjector.ValidatingWebhookConfigurationName: cfg.EnableInjectableConfig.ValidatingWebhookConfigurations,
			cainjector.APIServiceName:                     cfg.EnableInjectableConfig.APIServices,
			cainjector.CustomResourceDefinitionName:       cfg.EnableInjectableConfig.CustomResourceDefinitions,
		},
	})
	if err != nil {
		return fmt.Errorf("registering the injectors: %w", err)
	}
	return manager.Start(ctx)
}

// waitForCertificatesCRD waits (up to five minutes) until the Certificate CRD exists: the
// injectors that read Certificates cannot start before.
func waitForCertificatesCRD(ctx context.Context, manager ctrl.Manager) error {
	direct, err := client.New(manager.GetConfig(), client.Options{Scheme: manager.GetScheme(), Mapper: manager.GetRESTMapper()})
	if err != nil {
		return err
	}
	log := logf.FromContext(ctx)
	err = wait.PollUntilContextTimeout(ctx, time.Second, 5*time.Minute, true, func(ctx context.Context) (bool, error) {
		err := direct.Get(ctx, types.NamespacedName{Name: certificatesCRD}, &apiext.CustomResourceDefinition{})
		if apierrors.IsNotFound(err) {
			log.Info("waiting for the CRD " + certificatesCRD)
			return false, nil
		}
		return err == nil, err
	})
	if err != nil {
		return fmt.Errorf("waiting for the CRD %s: %w", certificatesCRD, err)
	}
	return nil
}
