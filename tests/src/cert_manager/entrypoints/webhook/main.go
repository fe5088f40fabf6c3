// Written for kubesmith's tests: cert-manager's webhook (validation, mutation and conversion
// of cert-manager's resources) around cert-manager's own webhook server and flags.
package main

import (
	"context"
	"fmt"

	"github.com/spf13/pflag"

	"github.com/cert-manager/cert-manager/internal/apis/config/webhook/validation"
	cmwebhook "github.com/cert-manager/cert-manager/internal/webhook"
	logf "github.com/cert-manager/cert-manager/pkg/logs"
	"github.com/cert-manager/cert-manager/pkg/webhook/options"

	"github.com/cert-manager/cert-manager/kubesmith-entrypoints/entry"
)

func main() {
	config, err := options.NewWebhookConfiguration()
	if err != nil {
		entry.Exit("webhook", fmt.Errorf("the default configuration: %w", err), 1)
	}
	flags := pflag.NewFlagSet("webhook", pflag.ContinueOnError)
	options.AddConfigFlags(flags, config)
	entry.Command{
		Name:         "webhook",
		Summary:      "cert-manager's admission and conversion webhook for its own resources.",
		Flags:        flags,
		FeatureGates: &config.FeatureGates,
		Validate: func() error {
			return validation.ValidateWebhookConfiguration(config, nil).ToAggregate()
		},
		Logging: &config.Logging,
		Run: func(ctx context.Context) error {
			server, err := cmwebhook.NewCertManagerWebhookServer(logf.FromContext(ctx), *config)
			if err != nil {
				return err
			}
			return server.Run(ctx)
		},
	}.Main()
}
