// Written for kubesmith's tests: what the controller, webhook and cainjector commands share.
// The cert-manager release on the Go module proxy holds cert-manager's libraries but not its
// commands (those are separate, unpublished modules), so kubesmith builds its own thin
// commands around the libraries. Each accepts the flags of cert-manager's Helm chart.

// Package entry parses a command's flags (with --help and --version), applies feature gates
// and logging, and runs the command until SIGTERM or SIGINT.
package entry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/pflag"
	logsapi "k8s.io/component-base/logs/api/v1"

	"github.com/cert-manager/cert-manager/internal/cmd/util"
	logf "github.com/cert-manager/cert-manager/pkg/logs"
	cmutil "github.com/cert-manager/cert-manager/pkg/util"
	utilfeature "github.com/cert-manager/cert-manager/pkg/util/feature"
)

// Command is one cert-manager component.
type Command struct {
	// Name is the component's name, e.g. "controller".
	Name string
	// Summary is the first line of --help.
	Summary string
	// Flags are the component's flags; --help and --version are added.
	Flags *pflag.FlagSet
	// FeatureGates are the gates the flags set, applied before Validate.
	FeatureGates *map[string]bool
	// Validate checks the parsed configuration.
	Validate func() error
	// Logging is the logging configuration the flags set, applied after Validate.
	Logging *logsapi.LoggingConfiguration
	// Run runs the component until ctx is cancelled.
	Run func(ctx context.Context) error
}

// Main parses os.Args and runs the command; it does not return on failure.
func (c Command) Main() {
	ctx, exit := util.SetupExitHandler(context.Background(), util.GracefulShutdown)
	defer exit()
	logf.InitLogs()
	defer logf.FlushLogs()

	showVersion := c.Flags.Bool("version", false, "print the version and exit")
	// Errors are reported once, below; the usage goes to stderr.
	c.Flags.SetOutput(io.Discard)
	c.Flags.Usage = func() {
		fmt.Fprintf(os.Stderr, "%s\n\nUsage: %s [flags]\n\nFlags:\n%s", c.Summary, c.Name, c.Flags.FlagUsages())
	}
	err := c.Flags.Parse(os.Args[1:])
	switch {
	case errors.Is(err, pflag.ErrHelp):
		return
	case err != nil:
		Exit(c.Name, err, 2)
	case c.Flags.NArg() > 0:
		Exit(c.Name, fmt.Errorf("unexpected arguments %q: every setting is a flag", c.Flags.Args()), 2)
	}
	if *showVersion {
		info := cmutil.VersionInfo()
		fmt.Printf("cert-manager %s %s %s (%s)\n", c.Name, info.GitVersion, info.Platform, info.GoVersion)
		return
	}
	if err := c.apply(); err != nil {
		Exit(c.Name, err, 2)
	}
	info := cmutil.VersionInfo()
	log := logf.Log.WithName(c.Name)
	log.Info("starting cert-manager "+c.Name, "version", info.GitVersion, "platform", info.Platform)
	if err := c.Run(logf.NewContext(ctx, logf.Log, c.Name)); err != nil {
		log.Error(err, "stopped with an error")
		util.SetExitCode(err)
	}
}

// apply applies the feature gates, validates, and applies the logging configuration.
func (c Command) apply() error {
	if err := utilfeature.DefaultMutableFeatureGate.SetFromMap(*c.FeatureGates); err != nil {
		return err
	}
	if err := c.Validate(); err != nil {
		return err
	}
	return logf.ValidateAndApply(c.Logging)
}

// Exit reports err as the command name's failure and exits with code.
func Exit(name string, err error, code int) {
	fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
	os.Exit(code)
}
