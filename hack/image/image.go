package main

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/edge-lb/edge-controller-manager/pkg/version"
)

// Options say what goes into the image and where it is written.
type Options struct {
	Binary         string
	CACertificates string // "" for none
	Platform       v1.Platform
	Version        string
	Revision       string
	Created        string // RFC 3339
	Tags           []string
	OCIDir         string // "" to skip
	Tarball        string // "" to skip
}

// Result describes what Build wrote.
type Result struct {
	Digest       v1.Hash // of the image manifest
	LayerSize    int64   // compressed
	Uncompressed int64
	OCIDir       string
	Tarball      string
	TarballSize  int64
}

// Summary is what the command prints.
func (r *Result) Summary() string {
	s := fmt.Sprintf("image %s: one layer, %.1f MiB compressed (%.1f MiB unpacked)\n",
		r.Digest, mib(r.LayerSize), mib(r.Uncompressed))
	if r.OCIDir != "" {
		s += fmt.Sprintf("OCI layout: %s\n", r.OCIDir)
	}
	if r.Tarball != "" {
		s += fmt.Sprintf("tarball: %s (%.1f MiB; docker load -i %s)\n", r.Tarball, mib(r.TarballSize), r.Tarball)
	}
	return s
}

func mib(n int64) float64 { return float64(n) / (1 << 20) }

// Labels are the image's OCI annotations, in its config and its manifest.
func Labels(o Options) map[string]string {
	return map[string]string{
		"org.opencontainers.image.title":    "edge-controller-manager",
		"org.opencontainers.image.version":  o.Version,
		"org.opencontainers.image.revision": o.Revision,
		"org.opencontainers.image.created":  o.Created,
		"org.opencontainers.image.source":   version.Source,
	}
}

// Build assembles the image and writes the outputs Options name.
func Build(o Options) (*Result, error) {
	tags := make([]name.Tag, 0, len(o.Tags))
	for _, t := range o.Tags {
		tag, err := name.NewTag(t)
		if err != nil {
			return nil, fmt.Errorf("--tag %q: %w", t, err)
		}
		tags = append(tags, tag)
	}
	if o.Tarball != "" && len(tags) == 0 {
		return nil, errors.New("a tarball needs a --tag: docker load cannot name the image otherwise")
	}
	img, err := Image(o)
	if err != nil {
		return nil, err
	}
	res := &Result{OCIDir: o.OCIDir, Tarball: o.Tarball}
	if res.Digest, err = img.Digest(); err != nil {
		return nil, err
	}
	layers, err := img.Layers()
	if err != nil {
		return nil, err
	}
	if res.LayerSize, err = layers[0].Size(); err != nil {
		return nil, err
	}
	if res.Uncompressed, err = uncompressedSize(layers[0]); err != nil {
		return nil, err
	}
	if o.OCIDir != "" {
		if err := writeLayout(o.OCIDir, img, o.Platform, tags); err != nil {
			return nil, fmt.Errorf("OCI layout %s: %w", o.OCIDir, err)
		}
	}
	if o.Tarball != "" {
		refs := make(map[name.Reference]v1.Image, len(tags))
		for _, t := range tags {
			refs[t] = img
		}
		if err := tarball.MultiRefWriteToFile(o.Tarball, refs); err != nil {
			return nil, fmt.Errorf("tarball %s: %w", o.Tarball, err)
		}
		st, err := os.Stat(o.Tarball)
		if err != nil {
			return nil, err
		}
		res.TarballSize = st.Size()
	}
	return res, nil
}

// Image is the manager's image: an empty base, one layer (rootFS), and a
// config that runs the binary as the non-root user.
func Image(o Options) (v1.Image, error) {
	created, err := time.Parse(time.RFC3339, o.Created)
	if err != nil {
		return nil, fmt.Errorf("--created: %w", err)
	}
	created = created.UTC()
	if err := checkBinary(o.Binary, o.Platform); err != nil {
		return nil, err
	}
	bin, err := os.ReadFile(o.Binary)
	if err != nil {
		return nil, err
	}
	ca, err := readOptional(o.CACertificates)
	if err != nil {
		return nil, fmt.Errorf("CA certificates: %w", err)
	}
	tarBytes, err := layerTar(rootFS(bin, ca), created)
	if err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(tarBytes)), nil
	}, tarball.WithMediaType(types.OCILayer), tarball.WithCompressionLevel(gzip.DefaultCompression), tarball.WithCompressedCaching)
	if err != nil {
		return nil, err
	}

	// OCI media types: the layout is an OCI artifact, and docker load
	// reads the tarball's manifest.json whatever the media types.
	base := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	img, err := mutate.Append(base, mutate.Addendum{
		Layer: layer,
		History: v1.History{
			Created:   v1.Time{Time: created},
			CreatedBy: "hack/image: " + binaryPath + ", CA certificates, user nonroot",
			Comment:   version.Source,
		},
	})
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Variant = o.Platform.OS, o.Platform.Architecture, o.Platform.Variant
	cf.Created = v1.Time{Time: created}
	cf.Config = v1.Config{
		Entrypoint: []string{binaryPath},
		User:       fmt.Sprintf("%d:%d", nonRootID, nonRootID),
		WorkingDir: "/",
		Env:        []string{"HOME=" + homeDir},
		Labels:     Labels(o),
	}
	if ca != nil {
		cf.Config.Env = append(cf.Config.Env, "SSL_CERT_FILE="+caPath)
	}
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		return nil, err
	}
	return mutate.Annotations(img, Labels(o)).(v1.Image), nil
}

// writeLayout writes the image into a fresh OCI layout, once per tag (as
// org.opencontainers.image.ref.name, which skopeo and others select by).
// An existing directory is replaced only if it is empty or a layout.
func writeLayout(dir string, img v1.Image, p v1.Platform, tags []name.Tag) error {
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		if _, err := os.Stat(dir + "/oci-layout"); err != nil {
			return errors.New("exists and is not an OCI layout; not replacing it")
		}
	}
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	lp, err := layout.Write(dir, empty.Index)
	if err != nil {
		return err
	}
	if len(tags) == 0 {
		return lp.AppendImage(img, layout.WithPlatform(p))
	}
	for _, t := range tags {
		ann := map[string]string{"org.opencontainers.image.ref.name": t.TagStr()}
		if err := lp.AppendImage(img, layout.WithPlatform(p), layout.WithAnnotations(ann)); err != nil {
			return err
		}
	}
	return nil
}

func uncompressedSize(l v1.Layer) (int64, error) {
	rc, err := l.Uncompressed()
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	return io.Copy(io.Discard, rc)
}
