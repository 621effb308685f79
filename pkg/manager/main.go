package manager

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/pflag"
	"k8s.io/klog/v2"
)

// Main parses args, runs the manager until SIGTERM or SIGINT and returns
// the process exit code. Configuration errors print one line to stderr.
func Main(args []string, stderr io.Writer) int {
	opts := NewOptions()
	fs := pflag.NewFlagSet(Component, pflag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are reported below, in one line
	opts.AddFlags(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			fmt.Fprintf(stderr, "Usage of %s:\n%s", Component, fs.FlagUsages())
			return 0
		}
		fmt.Fprintf(stderr, "%s: %v\n", Component, err)
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "%s: unexpected arguments %q\n", Component, fs.Args())
		return 2
	}
	if err := opts.Validate(); err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", Component, err)
		return 2
	}
	defer klog.Flush()

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	ctx = klog.NewContext(ctx, klog.Background().WithName(Component))
	if limit, from := applyMemoryLimit(opts.MemoryLimitRatio); limit > 0 {
		klog.FromContext(ctx).Info("Soft memory limit set below the container's", "limitMiB", limit>>20, "from", from,
			"ratio", opts.MemoryLimitRatio)
	}
	m, err := NewFromFlags(opts)
	if err == nil {
		err = m.Run(ctx)
	}
	if err != nil {
		klog.FromContext(ctx).Error(err, "Exiting")
		return 1
	}
	return 0
}
