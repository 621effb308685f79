package main

import (
	"archive/tar"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"maps"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/edge-lb/edge-controller-manager/pkg/version"
)

// stamp is what the test's manager binary is built with: unique per run,
// so that a binary built by anything else cannot pass for it.
type stamp struct{ version, commit, date string }

var (
	buildOnce sync.Once
	built     struct {
		manager, tool string
		stamp         stamp
		err           error
	}
	workDir string // removed by TestMain
)

func TestMain(m *testing.M) {
	var err error
	if workDir, err = os.MkdirTemp("", "image-test-"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(workDir)
	os.Exit(code)
}

// hostPlatform is linux on this machine's architecture, so that the
// binary taken out of the image can run here.
func hostPlatform(t *testing.T) v1.Platform {
	t.Helper()
	p, err := parsePlatform("linux/" + runtime.GOARCH)
	if err != nil {
		t.Fatalf("this machine's architecture: %v", err)
	}
	return p
}

// managerBinary builds cmd/edge-controller-manager once, as `make image`
// does (static, for linux, stamped through -ldflags -X), and this command
// beside it: the test runs the image build as the Makefile does, in a
// process of its own, outside the race detector that makes gzip crawl.
func managerBinary(t *testing.T) (manager, tool string, s stamp) {
	t.Helper()
	buildOnce.Do(func() {
		commit := make([]byte, 20)
		rand.Read(commit)
		s := stamp{
			version: fmt.Sprintf("v0.0.0-imagetest.%d", time.Now().UnixNano()),
			commit:  hex.EncodeToString(commit),
			date:    time.Now().UTC().Truncate(time.Second).Format(time.RFC3339),
		}
		binDir := filepath.Join(workDir, "bin")
		ldflags := fmt.Sprintf("-s -w -X %[1]s.Version=%[2]s -X %[1]s.GitCommit=%[3]s -X %[1]s.BuildDate=%[4]s",
			version.Package, s.version, s.commit, s.date)
		cmd := exec.Command("go", "build", "-trimpath", "-ldflags", ldflags, "-o", binDir+"/",
			"github.com/edge-lb/edge-controller-manager/cmd/edge-controller-manager",
			"github.com/edge-lb/edge-controller-manager/hack/image")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+runtime.GOARCH)
		start := time.Now()
		out, err := cmd.CombinedOutput()
		if err != nil {
			built.err = fmt.Errorf("go build: %v\n%s", err, out)
			return
		}
		t.Logf("built the manager and hack/image in %v", time.Since(start).Round(time.Millisecond))
		built.manager, built.tool, built.stamp = filepath.Join(binDir, "edge-controller-manager"), filepath.Join(binDir, "image"), s
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.manager, built.tool, built.stamp
}

// testCABundle writes a self-signed CA certificate in PEM.
func testCABundle(t *testing.T, dir string) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "image test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "ca.crt")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// file is a layer entry as the test reads it back.
type file struct {
	typ      byte
	mode     int64
	uid, gid int
	mtime    time.Time
	data     []byte
}

func readLayer(t *testing.T, l v1.Layer) map[string]file {
	t.Helper()
	rc, err := l.Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	files := map[string]file{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return files
		}
		if err != nil {
			t.Fatalf("layer: %v", err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		files[h.Name] = file{typ: h.Typeflag, mode: h.Mode, uid: h.Uid, gid: h.Gid, mtime: h.ModTime.UTC(), data: data}
	}
}

// TestImage builds the manager and its image as `make image` does, reads
// both outputs back and runs the binary taken out of the layer.
func TestImage(t *testing.T) {
	start := time.Now()
	bin, tool, s := managerBinary(t)
	buildTime := time.Since(start)
	dir := t.TempDir()
	ca := testCABundle(t, dir)
	platform := hostPlatform(t)
	latest, versioned := "edge-controller-manager:latest", "edge-controller-manager:"+s.version
	ociDir, tarPath := filepath.Join(dir, "oci"), filepath.Join(dir, "image.tar")
	start = time.Now()
	cmd := exec.Command(tool, "--binary", bin, "--ca-certificates", ca, "--platform", "linux/"+runtime.GOARCH,
		"--version", s.version, "--revision", s.commit, "--created", s.date,
		"--tag", latest, "--tag", versioned, "--oci", ociDir, "--tar", tarPath)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	summary, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v\n%s", cmd, err, stderr.Bytes())
	}
	t.Logf("manager build %v, image %v:\n%s", buildTime.Round(time.Millisecond), time.Since(start).Round(time.Millisecond), summary)

	wantLabels := map[string]string{
		"org.opencontainers.image.title":    "edge-controller-manager",
		"org.opencontainers.image.version":  s.version,
		"org.opencontainers.image.revision": s.commit,
		"org.opencontainers.image.created":  s.date,
		"org.opencontainers.image.source":   "https://github.com/edge-lb/edge-controller-manager",
	}
	created, _ := time.Parse(time.RFC3339, s.date)

	// The OCI layout: one manifest, listed under both tags for this platform.
	idx, err := layout.ImageIndexFromPath(ociDir)
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(im.Manifests) == 0 {
		t.Fatal("the OCI layout's index is empty")
	}
	digest := im.Manifests[0].Digest
	var refNames []string
	for _, d := range im.Manifests {
		refNames = append(refNames, d.Annotations["org.opencontainers.image.ref.name"])
		if d.Digest != digest || d.MediaType != types.OCIManifestSchema1 {
			t.Errorf("index entry %s %s, want %s %s", d.Digest, d.MediaType, digest, types.OCIManifestSchema1)
		}
		if d.Platform == nil || !d.Platform.Equals(platform) {
			t.Errorf("index entry platform %v, want %v", d.Platform, platform)
		}
	}
	if want := []string{"latest", s.version}; !slices.Equal(refNames, want) {
		t.Errorf("ref names %q, want %q", refNames, want)
	}
	if !strings.HasPrefix(string(summary), "image "+digest.String()+": one layer") {
		t.Errorf("the command's summary does not name the image %s:\n%s", digest, summary)
	}
	img, err := idx.Image(digest)
	if err != nil {
		t.Fatal(err)
	}
	m, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(wantLabels, m.Annotations); diff != "" {
		t.Errorf("manifest annotations (-want +got):\n%s", diff)
	}

	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	wantConfig := v1.Config{
		Entrypoint: []string{"/edge-controller-manager"},
		User:       "65532:65532",
		WorkingDir: "/",
		Env:        []string{"HOME=/home/nonroot", "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"},
		Labels:     wantLabels,
	}
	if diff := cmp.Diff(wantConfig, cf.Config); diff != "" {
		t.Errorf("image config (-want +got):\n%s", diff)
	}
	if cf.OS != "linux" || cf.Architecture != runtime.GOARCH || !cf.Created.Equal(created) {
		t.Errorf("config os/arch/created = %s/%s/%v, want linux/%s/%v", cf.OS, cf.Architecture, cf.Created.Time, runtime.GOARCH, created)
	}

	// The one layer: exactly these files, owned and moded for a non-root
	// user on a read-only root, all dated at the build.
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	if len(layers) != 1 {
		t.Fatalf("%d layers, want 1", len(layers))
	}
	files := readLayer(t, layers[0])
	binData, _ := os.ReadFile(bin)
	caData, _ := os.ReadFile(ca)
	wantFiles := map[string]struct {
		typ      byte
		mode     int64
		uid, gid int
	}{
		"edge-controller-manager":           {tar.TypeReg, 0o755, 0, 0},
		"etc/":                              {tar.TypeDir, 0o755, 0, 0},
		"etc/group":                         {tar.TypeReg, 0o644, 0, 0},
		"etc/passwd":                        {tar.TypeReg, 0o644, 0, 0},
		"etc/ssl/":                          {tar.TypeDir, 0o755, 0, 0},
		"etc/ssl/certs/":                    {tar.TypeDir, 0o755, 0, 0},
		"etc/ssl/certs/ca-certificates.crt": {tar.TypeReg, 0o644, 0, 0},
		"home/":                             {tar.TypeDir, 0o755, 0, 0},
		"home/nonroot/":                     {tar.TypeDir, 0o700, 65532, 65532},
		"tmp/":                              {tar.TypeDir, 0o1777, 0, 0},
	}
	if got, want := slices.Sorted(maps.Keys(files)), slices.Sorted(maps.Keys(wantFiles)); !slices.Equal(got, want) {
		t.Errorf("layer files %q, want %q", got, want)
	}
	for p, w := range wantFiles {
		f := files[p]
		if f.typ != w.typ || f.mode != w.mode || f.uid != w.uid || f.gid != w.gid || !f.mtime.Equal(created) {
			t.Errorf("%s: type %c mode %o owner %d:%d mtime %v, want %c %o %d:%d %v",
				p, f.typ, f.mode, f.uid, f.gid, f.mtime, w.typ, w.mode, w.uid, w.gid, created)
		}
	}
	if sha256.Sum256(files["edge-controller-manager"].data) != sha256.Sum256(binData) {
		t.Error("the layer's binary differs from the one built")
	}
	if !bytes.Equal(files["etc/ssl/certs/ca-certificates.crt"].data, caData) {
		t.Error("the layer's CA bundle differs from the one given")
	} else if !x509.NewCertPool().AppendCertsFromPEM(caData) {
		t.Error("the layer's CA bundle has no certificate")
	}
	if p := string(files["etc/passwd"].data); !strings.Contains(p, "\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n") {
		t.Errorf("/etc/passwd has no nonroot user 65532:\n%s", p)
	}
	if g := string(files["etc/group"].data); !strings.Contains(g, "\nnonroot:x:65532:\n") {
		t.Errorf("/etc/group has no nonroot group 65532:\n%s", g)
	}

	// The binary taken out of the layer, with the layer's mode, prints
	// the version it was stamped with.
	extracted := filepath.Join(dir, "rootfs", "edge-controller-manager")
	os.MkdirAll(filepath.Dir(extracted), 0o755)
	if err := os.WriteFile(extracted, files["edge-controller-manager"].data, os.FileMode(files["edge-controller-manager"].mode)); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(extracted, "--version").Output()
	if err != nil {
		t.Fatalf("%s --version: %v", extracted, err)
	}
	want := fmt.Sprintf("edge-controller-manager %s (commit %s, built %s)\n", s.version, s.commit[:7], s.date)
	if string(out) != want {
		t.Errorf("--version printed %q, want %q", out, want)
	}

	// The tarball: docker load's manifest.json names both tags, and each
	// is the same config and layer as the layout's.
	repoTags := tarballRepoTags(t, tarPath)
	if want := []string{latest, versioned}; !slices.Equal(slices.Sorted(slices.Values(repoTags)), slices.Sorted(slices.Values(want))) {
		t.Errorf("tarball RepoTags %q, want %q", repoTags, want)
	}
	wantConfigName, _ := img.ConfigName()
	wantLayer, _ := layers[0].Digest()
	for _, tagName := range []string{latest, versioned} {
		tag, err := name.NewTag(tagName)
		if err != nil {
			t.Fatal(err)
		}
		timg, err := tarball.ImageFromPath(tarPath, &tag)
		if err != nil {
			t.Fatalf("tarball %s: %v", tagName, err)
		}
		cn, _ := timg.ConfigName()
		tl, err := timg.Layers()
		if err != nil || len(tl) != 1 {
			t.Fatalf("tarball %s layers: %d, %v", tagName, len(tl), err)
		}
		if d, _ := tl[0].Digest(); cn != wantConfigName || d != wantLayer {
			t.Errorf("tarball %s: config %s layer %s, want %s %s", tagName, cn, d, wantConfigName, wantLayer)
		}
	}
}

func tarballRepoTags(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err != nil {
			t.Fatalf("tarball has no manifest.json: %v", err)
		}
		if h.Name != "manifest.json" {
			continue
		}
		var m []struct{ RepoTags []string }
		if err := json.NewDecoder(tr).Decode(&m); err != nil {
			t.Fatal(err)
		}
		if len(m) != 1 {
			t.Fatalf("manifest.json lists %d images, want 1", len(m))
		}
		return m[0].RepoTags
	}
}
