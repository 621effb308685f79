// Command image assembles the manager's container image without a
// container engine: one layer over an empty base (no base image is
// pulled), written as an OCI layout directory and as a tarball that
// `docker load` reads. The Makefile's `image` target builds the static
// binary first and runs this with the version it stamped.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

// systemCACertificates is where Debian, Ubuntu and Alpine keep the CA
// bundle, and one of the files Go's crypto/x509 reads on Linux.
const systemCACertificates = "/etc/ssl/certs/ca-certificates.crt"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("image", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o Options
	var platform string
	var tags multiFlag
	fs.StringVar(&o.Binary, "binary", "", "Static Linux binary of the manager (required).")
	fs.StringVar(&o.CACertificates, "ca-certificates", systemCACertificates, "CA bundle copied to "+caPath+"; empty for none. The default is skipped with a warning when this machine has none.")
	fs.StringVar(&platform, "platform", "linux/amd64", "OS/architecture of the binary and the image: linux/amd64 or linux/arm64.")
	fs.StringVar(&o.Version, "version", "", "Version stamped in the binary (label org.opencontainers.image.version).")
	fs.StringVar(&o.Revision, "revision", "", "Commit the binary was built from (label org.opencontainers.image.revision).")
	fs.StringVar(&o.Created, "created", "", "Build time, RFC 3339 (image creation time, file times, label org.opencontainers.image.created).")
	fs.Var(&tags, "tag", "Image name:tag, repeatable (the tarball's tags for docker load; the OCI layout's ref names).")
	fs.StringVar(&o.OCIDir, "oci", "", "OCI layout directory to write (replaced if it holds one); empty to skip.")
	fs.StringVar(&o.Tarball, "tar", "", "docker load tarball to write; empty to skip.")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "image: unexpected arguments %q\n", fs.Args())
		return 2
	}
	caSet := false
	fs.Visit(func(f *flag.Flag) { caSet = caSet || f.Name == "ca-certificates" })
	if !caSet {
		if _, err := os.Stat(o.CACertificates); err != nil {
			fmt.Fprintf(stderr, "image: warning: %s not found, the image has no CA certificates (HTTPS to ENS will fail)\n", o.CACertificates)
			o.CACertificates = ""
		}
	}
	o.Tags = tags
	var err error
	if o.Platform, err = parsePlatform(platform); err != nil {
		fmt.Fprintf(stderr, "image: %v\n", err)
		return 2
	}
	res, err := Build(o)
	if err != nil {
		fmt.Fprintf(stderr, "image: %v\n", err)
		return 1
	}
	fmt.Fprint(stdout, res.Summary())
	return 0
}

// multiFlag is a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string { return strings.Join(*m, ",") }

func (m *multiFlag) Set(s string) error {
	*m = append(*m, s)
	return nil
}
