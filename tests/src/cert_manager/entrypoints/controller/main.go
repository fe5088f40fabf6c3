// Written for kubesmith's tests: cert-manager's controller (issuers, certificates, certificate
// requests, ACME orders and challenges, ingress-shim) around cert-manager's controller
// libraries, with the flags cert-manager's Helm chart passes.
//
// cert-manager's own configuration package links the Venafi issuer, whose client library is not
// on the Go module proxy; this command therefore keeps its settings itself (with cert-manager
// v1.21's defaults) and runs every default controller except Venafi's.
package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"golang.org/x/sync/errgroup"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	cliflag "k8s.io/component-base/cli/flag"
	logsapi "k8s.io/component-base/logs/api/v1"

	cmapi "github.com/cert-manager/cert-manager/pkg/apis/certmanager"
	"github.com/cert-manager/cert-manager/pkg/controller"
	"github.com/cert-manager/cert-manager/pkg/controller/acmechallenges"
	"github.com/cert-manager/cert-manager/pkg/controller/acmeorders"
	ingresses "github.com/cert-manager/cert-manager/pkg/controller/certificate-shim/ingresses"
	"github.com/cert-manager/cert-manager/pkg/controller/certificaterequests/acme"
	"github.com/cert-manager/cert-manager/pkg/controller/certificaterequests/approver"
	"github.com/cert-manager/cert-manager/pkg/controller/certificaterequests/ca"
	"github.com/cert-manager/cert-manager/pkg/controller/certificaterequests/selfsigned"
	"github.com/cert-manager/cert-manager/pkg/controller/certificaterequests/vault"
	"github.com/cert-manager/cert-manager/pkg/controller/certificates/issuing"
	"github.com/cert-manager/cert-manager/pkg/controller/certificates/keymanager"
	"github.com/cert-manager/cert-manager/pkg/controller/certificates/metrics"
	"github.com/cert-manager/cert-manager/pkg/controller/certificates/readiness"
	"github.com/cert-manager/cert-manager/pkg/controller/certificates/requestmanager"
	"github.com/cert-manager/cert-manager/pkg/controller/certificates/revisionmanager"
	"github.com/cert-manager/cert-manager/pkg/controller/certificates/trigger"
	"github.com/cert-manager/cert-manager/pkg/controller/clusterissuers"
	"github.com/cert-manager/cert-manager/pkg/controller/issuers"
	"github.com/cert-manager/cert-manager/pkg/healthz"
	dnsutil "github.com/cert-manager/cert-manager/pkg/issuer/acme/dns/util"
	logf "github.com/cert-manager/cert-manager/pkg/logs"
	"github.com/cert-manager/cert-manager/pkg/util"
	utilfeature "github.com/cert-manager/cert-manager/pkg/util/feature"

	// Issuer types register themselves when imported.
	_ "github.com/cert-manager/cert-manager/pkg/issuer/acme"
	_ "github.com/cert-manager/cert-manager/pkg/issuer/ca"
	_ "github.com/cert-manager/cert-manager/pkg/issuer/selfsigned"
	_ "github.com/cert-manager/cert-manager/pkg/issuer/vault"

	"github.com/cert-manager/cert-manager/kubesmith-entrypoints/entry"
)

// leaseName is the Lease the controllers' leader holds (the chart's RBAC names it).
const leaseName = "cert-manager-controller"

// defaultControllers are the controllers "*" stands for: cert-manager's default set, less
// Venafi's.
var defaultControllers = []string{
	issuers.ControllerName, clusterissuers.ControllerName, metrics.ControllerName,
	ingresses.ControllerName, acmeorders.ControllerName, acmechallenges.ControllerName,
	acme.CRControllerName, approver.ControllerName, ca.CRControllerName,
	selfsigned.CRControllerName, vault.CRControllerName,
	trigger.ControllerName, issuing.ControllerName, keymanager.ControllerName,
	requestmanager.ControllerName, readiness.ControllerName, revisionmanager.ControllerName,
}

// clusterScopedControllers are left out when the controller watches one namespace.
var clusterScopedControllers = []string{clusterissuers.ControllerName}

// settings are the controller's flags, with cert-manager v1.21's defaults.
type settings struct {
	kubeconfig, master, namespace, clusterResourceNamespace string
	qps                                                     float32
	burst                                                   int
	leaderElect                                             bool
	leaderElectionNamespace                                 string
	leaseDuration, renewDeadline, retryPeriod               time.Duration
	leaderHealthzTimeout                                    time.Duration
	controllers                                             []string
	solverImage, solverRuntimeClass                         string
	solverLabels                                            map[string]string
	solverRequestCPU, solverRequestMemory                   string
	solverLimitsCPU, solverLimitsMemory                     string
	dns01Nameservers                                        []string
	dns01NameserversOnly                                    bool
	dns01CheckRetryPeriod                                   time.Duration
	issuerAmbientCredentials, clusterIssuerAmbient          bool
	defaultIssuerName, defaultIssuerKind                    string
	defaultIssuerGroup                                      string
	autoCertificateAnnotations                              []string
	certificateOwnerRef                                     bool
	copiedAnnotationPrefixes                                []string
	workers, maxConcurrentChallenges                        int
	minimumBackoff, maximumBackoff                          time.Duration
	metricsAddress, healthzAddress                          string
	featureGates                                            map[string]bool
	logging                                                 *logsapi.LoggingConfiguration
}

func defaults() *settings {
	return &settings{
		clusterResourceNamespace:   "kube-system",
		qps:                        20,
		burst:                      50,
		leaderElect:                true,
		leaderElectionNamespace:    "kube-system",
		leaseDuration:              60 * time.Second,
		renewDeadline:              40 * time.Second,
		retryPeriod:                15 * time.Second,
		leaderHealthzTimeout:       20 * time.Second,
		controllers:                []string{"*"},
		solverImage:                "quay.io/jetstack/cert-manager-acmesolver:" + util.AppVersion,
		solverRequestCPU:           "10m",
		solverRequestMemory:        "64Mi",
		solverLimitsCPU:            "100m",
		solverLimitsMemory:         "64Mi",
		dns01CheckRetryPeriod:      10 * time.Second,
		clusterIssuerAmbient:       true,
		defaultIssuerKind:          "Issuer",
		defaultIssuerGroup:         cmapi.GroupName,
		autoCertificateAnnotations: []string{"kubernetes.io/tls-acme"},
		copiedAnnotationPrefixes:   []string{"*", "-kubectl.kubernetes.io/", "-fluxcd.io/", "-argocd.argoproj.io/"},
		workers:                    5,
		maxConcurrentChallenges:    60,
		minimumBackoff:             time.Hour,
		maximumBackoff:             32 * time.Hour,
		metricsAddress:             "0.0.0.0:9402",
		healthzAddress:             "0.0.0.0:9403",
		featureGates:               map[string]bool{},
		logging:                    logsapi.NewLoggingConfiguration(),
	}
}

func main() {
	s := defaults()
	entry.Command{
		Name:         "controller",
		Summary:      "cert-manager's controller: issues and renews the certificates that Certificate resources ask for.",
		Flags:        flags(s),
		FeatureGates: &s.featureGates,
		Validate: func() error {
			if s.renewDeadline >= s.leaseDuration || s.retryPeriod >= s.renewDeadline {
				return fmt.Errorf("leader election needs retry period < renew deadline < lease duration, got %s, %s, %s", s.retryPeriod, s.renewDeadline, s.leaseDuration)
			}
			return nil
		},
		Logging: s.logging,
		Run:     func(ctx context.Context) error { return run(ctx, s) },
	}.Main()
}

// flags are the settings the chart can pass (its values select among them), bound to s.
func flags(s *settings) *pflag.FlagSet {
	fs := pflag.NewFlagSet("controller", pflag.ContinueOnError)
	fs.StringVar(&s.kubeconfig, "kubeconfig", s.kubeconfig, "kubeconfig file; in-cluster configuration when empty")
	fs.StringVar(&s.master, "master", s.master, "API server address overriding the kubeconfig's")
	fs.Float32Var(&s.qps, "kube-api-qps", s.qps, "queries per second to the API server")
	fs.IntVar(&s.burst, "kube-api-burst", s.burst, "burst of queries to the API server")
	fs.StringVar(&s.namespace, "namespace", s.namespace, "the only namespace to watch (ClusterIssuers off); all when empty")
	fs.StringVar(&s.clusterResourceNamespace, "cluster-resource-namespace", s.clusterResourceNamespace, "namespace of the Secrets ClusterIssuers refer to")
	fs.BoolVar(&s.leaderElect, "leader-elect", s.leaderElect, "run controllers only while holding the leader Lease")
	fs.StringVar(&s.leaderElectionNamespace, "leader-election-namespace", s.leaderElectionNamespace, "namespace of the leader Lease")
	fs.DurationVar(&s.leaseDuration, "leader-election-lease-duration", s.leaseDuration, "how long a Lease is valid")
	fs.DurationVar(&s.renewDeadline, "leader-election-renew-deadline", s.renewDeadline, "how long the leader tries to renew before giving up")
	fs.DurationVar(&s.retryPeriod, "leader-election-retry-period", s.retryPeriod, "pause between attempts to take or renew the Lease")
	fs.StringSliceVar(&s.controllers, "controllers", s.controllers, "controllers to run: '*' for the default ones, 'name' to add one, '-name' to leave one out; the default ones: "+strings.Join(defaultControllers, ", "))
	fs.StringVar(&s.solverImage, "acme-http01-solver-image", s.solverImage, "image of the ACME HTTP-01 solver pods")
	fs.StringVar(&s.solverRuntimeClass, "acme-http01-solver-runtime-class-name", s.solverRuntimeClass, "RuntimeClass of the ACME HTTP-01 solver pods")
	fs.Var(cliflag.NewMapStringString(&s.solverLabels), "acme-http01-solver-extra-labels", "key=value labels added to ACME HTTP-01 solver resources")
	fs.StringSliceVar(&s.dns01Nameservers, "dns01-recursive-nameservers", s.dns01Nameservers, "resolvers (host:port or DoH URLs) for the DNS-01 self check")
	fs.BoolVar(&s.dns01NameserversOnly, "dns01-recursive-nameservers-only", s.dns01NameserversOnly, "ask only the configured resolvers in the DNS-01 self check")
	fs.StringVar(&s.defaultIssuerName, "default-issuer-name", s.defaultIssuerName, "issuer of Ingresses that name none")
	fs.StringVar(&s.defaultIssuerKind, "default-issuer-kind", s.defaultIssuerKind, "kind of that issuer")
	fs.StringVar(&s.defaultIssuerGroup, "default-issuer-group", s.defaultIssuerGroup, "API group of that issuer")
	fs.BoolVar(&s.certificateOwnerRef, "enable-certificate-owner-ref", s.certificateOwnerRef, "make each Certificate the owner of its Secret")
	fs.IntVar(&s.workers, "concurrent-workers", s.workers, "workers per controller")
	fs.IntVar(&s.maxConcurrentChallenges, "max-concurrent-challenges", s.maxConcurrentChallenges, "ACME challenges processed at once")
	fs.StringVar(&s.metricsAddress, "metrics-listen-address", s.metricsAddress, "address of the Prometheus metrics endpoint (plain HTTP); 0 turns it off")
	fs.StringVar(&s.healthzAddress, "internal-healthz-listen-address", s.healthzAddress, "address of the /livez endpoint")
	fs.Var(cliflag.NewMapStringBool(&s.featureGates), "feature-gates", "feature=true|false pairs; known: "+strings.Join(utilfeature.DefaultFeatureGate.KnownFeatures(), "; "))
	logf.AddFlags(s.logging, fs)
	return fs
}

// run serves metrics and /livez, takes the leader Lease when asked to, then runs the enabled
// controllers until ctx ends or one of them (or the Lease) fails.
func run(parent context.Context, s *settings) error {
	log := logf.FromContext(parent)
	group, ctx := errgroup.WithContext(parent)
	factory, err := contextFactory(ctx, s)
	if err != nil {
		return err
	}
	shared, err := factory.Build()
	if err != nil {
		return err
	}
	enabled := enabledControllers(s)

	if s.metricsAddress != "0" {
		listener, err := listen(ctx, s.metricsAddress)
		if err != nil {
			return err
		}
		informers := shared.SharedInformerFactory.Certmanager().V1()
		shared.Metrics.SetupACMECollector(shared.SharedInformerFactory.Acme().V1().Challenges().Lister())
		shared.Metrics.SetupCertificateCollector(informers.Certificates().Lister())
		shared.Metrics.SetupIssuerCollector(informers.Issuers().Lister())
		if enabled.Has(clusterissuers.ControllerName) {
			shared.Metrics.SetupClusterIssuerCollector(informers.ClusterIssuers().Lister())
		}
		metrics := shared.Metrics.NewServer(listener)
		group.Go(func() error { return serveUntilDone(ctx, metrics, listener) })
	}
	livezListener, err := listen(ctx, s.healthzAddress)
	if err != nil {
		return err
	}
	livez := healthz.NewServer(s.leaderHealthzTimeout)
	group.Go(func() error { return livez.Start(ctx, livezListener) })

	leading := make(chan struct{})
	if s.leaderElect {
		elector, err := leaderElector(s, factory, livez.LeaderHealthzAdaptor, leading)
		if err != nil {
			return err
		}
		group.Go(func() error {
			elector.Run(ctx)
			if ctx.Err() == nil {
				return errors.New("lost the leader Lease")
			}
			return nil
		})
	} else {
		close(leading)
	}
	select {
	case <-ctx.Done():
		return group.Wait()
	case <-leading:
	}

	for name := range enabled {
		construct, known := controller.Known()[name]
		if !known {
			return errors.Join(fmt.Errorf("controller %q is not part of this build", name), group.Wait())
		}
		loop, err := construct(factory)
		if err != nil {
			return fmt.Errorf("setting up controller %s: %w", name, err)
		}
		log.V(logf.InfoLevel).Info("starting controller", "controller", name)
		group.Go(func() error { return loop.Run(s.workers, ctx) })
	}
	shared.SharedInformerFactory.Start(ctx.Done())
	shared.KubeSharedInformerFactory.Start(ctx.Done())
	shared.HTTP01ResourceMetadataInformersFactory.Start(ctx.Done())
	return group.Wait()
}

// contextFactory turns the settings into the options every controller is built from.
func contextFactory(ctx context.Context, s *settings) (*controller.ContextFactory, error) {
	quantities := make([]resource.Quantity, 4)
	for i, value := range []string{s.solverRequestCPU, s.solverRequestMemory, s.solverLimitsCPU, s.solverLimitsMemory} {
		quantity, err := resource.ParseQuantity(value)
		if err != nil {
			return nil, fmt.Errorf("ACME HTTP-01 solver resource %q: %w", value, err)
		}
		quantities[i] = quantity
	}
	nameservers := s.dns01Nameservers
	if len(nameservers) == 0 {
		nameservers = dnsutil.RecursiveNameservers
	}
	return controller.NewContextFactory(ctx, controller.ContextOptions{
		Kubeconfig:         s.kubeconfig,
		APIServerHost:      s.master,
		KubernetesAPIQPS:   s.qps,
		KubernetesAPIBurst: s.burst,
		Namespace:          s.namespace,
		ACMEOptions: controller.ACMEOptions{
			HTTP01SolverImage:                 s.solverImage,
			HTTP01SolverResourceRequestCPU:    quantities[0],
			HTTP01SolverResourceRequestMemory: quantities[1],
			HTTP01SolverResourceLimitsCPU:     quantities[2],
			HTTP01SolverResourceLimitsMemory:  quantities[3],
			ACMEHTTP01SolverRunAsNonRoot:      true,
			HTTP01SolverExtraLabels:           s.solverLabels,
			HTTP01SolverRuntimeClassName:      s.solverRuntimeClass,
			DNS01Nameservers:                  nameservers,
			DNS01CheckRetryPeriod:             s.dns01CheckRetryPeriod,
			DNS01CheckAuthoritative:           !s.dns01NameserversOnly,
		},
		SchedulerOptions: controller.SchedulerOptions{MaxConcurrentChallenges: s.maxConcurrentChallenges},
		IssuerOptions: controller.IssuerOptions{
			ClusterResourceNamespace:        s.clusterResourceNamespace,
			IssuerAmbientCredentials:        s.issuerAmbientCredentials,
			ClusterIssuerAmbientCredentials: s.clusterIssuerAmbient,
		},
		IngressShimOptions: controller.IngressShimOptions{
			DefaultIssuerName:                 s.defaultIssuerName,
			DefaultIssuerKind:                 s.defaultIssuerKind,
			DefaultIssuerGroup:                s.defaultIssuerGroup,
			DefaultAutoCertificateAnnotations: s.autoCertificateAnnotations,
		},
		CertificateOptions: controller.CertificateOptions{
			EnableOwnerRef:                           s.certificateOwnerRef,
			CopiedAnnotationPrefixes:                 s.copiedAnnotationPrefixes,
			CertificateRequestMinimumBackoffDuration: s.minimumBackoff,
			CertificateRequestMaximumBackoffDuration: s.maximumBackoff,
		},
	})
}

// enabledControllers reads --controllers: "*" is the default set, "-name" leaves a controller
// out; namespaced runs leave out the cluster-scoped ones.
func enabledControllers(s *settings) sets.Set[string] {
	enabled := sets.New[string]()
	left := sets.New[string]()
	for _, name := range s.controllers {
		switch {
		case name == "*":
			enabled.Insert(defaultControllers...)
		case strings.HasPrefix(name, "-"):
			left.Insert(strings.TrimPrefix(name, "-"))
		default:
			enabled.Insert(name)
		}
	}
	if enabled.Len() == 0 {
		enabled.Insert(defaultControllers...)
	}
	if s.namespace != "" {
		enabled.Delete(clusterScopedControllers...)
	}
	return enabled.Difference(left)
}

// leaderElector takes and renews the Lease; leading closes once this process leads.
func leaderElector(s *settings, factory *controller.ContextFactory, watchdog *leaderelection.HealthzAdaptor, leading chan struct{}) (*leaderelection.LeaderElector, error) {
	clients, err := factory.Build("leader-election")
	if err != nil {
		return nil, err
	}
	hostname, err := os.Hostname()
	if err != nil {
		return nil, fmt.Errorf("the hostname for the leader identity: %w", err)
	}
	lock, err := resourcelock.NewWithLabels(
		resourcelock.LeasesResourceLock,
		s.leaderElectionNamespace,
		leaseName,
		clients.Client.CoreV1(),
		clients.Client.CoordinationV1(),
		resourcelock.ResourceLockConfig{Identity: hostname + "-external-cert-manager-controller", EventRecorder: clients.Recorder},
		map[string]string{"app.kubernetes.io/managed-by": "cert-manager"},
	)
	if err != nil {
		return nil, fmt.Errorf("the leader Lease lock: %w", err)
	}
	return leaderelection.NewLeaderElector(leaderelection.LeaderElectionConfig{
		Lock:            lock,
		LeaseDuration:   s.leaseDuration,
		RenewDeadline:   s.renewDeadline,
		RetryPeriod:     s.retryPeriod,
		ReleaseOnCancel: true,
		WatchDog:        watchdog,
		Callbacks: leaderelection.LeaderCallbacks{
			OnStartedLeading: func(context.Context) { close(leading) },
			OnStoppedLeading: func() {},
		},
	})
}

func listen(ctx context.Context, address string) (net.Listener, error) {
	listener, err := (&net.ListenConfig{}).Listen(ctx, "tcp", address)
	if err != nil {
		return nil, fmt.Errorf("listening on %s: %w", address, err)
	}
	return listener, nil
}

// serveUntilDone serves until ctx ends, then shuts the server down within five seconds.
func serveUntilDone(ctx context.Context, server *http.Server, listener net.Listener) error {
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = server.Shutdown(shutdown)
	}()
	if err := server.Serve(listener); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
