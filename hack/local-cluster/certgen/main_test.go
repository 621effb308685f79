package main

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func readCert(t *testing.T, path string) *x509.Certificate {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return parsePEMCert(t, data)
}

func parsePEMCert(t *testing.T, data []byte) *x509.Certificate {
	t.Helper()
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "CERTIFICATE" {
		t.Fatalf("no CERTIFICATE block in %q", data)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

// kubeconfigField returns the value of "key: value" in a rendered kubeconfig.
func kubeconfigField(t *testing.T, data, key string) string {
	t.Helper()
	for _, line := range strings.Split(data, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), key+": "); ok {
			return v
		}
	}
	t.Fatalf("%s not found in kubeconfig:\n%s", key, data)
	return ""
}

func TestRunWritesVerifiablePKI(t *testing.T) {
	dir := t.TempDir()
	o := options{dir: dir, server: "https://127.0.0.1:16443", serviceIP: "10.96.0.1", validity: time.Hour}
	if err := run(o); err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(readCert(t, filepath.Join(dir, "pki", "ca.crt")))

	serving := readCert(t, filepath.Join(dir, "pki", "apiserver.crt"))
	for _, host := range []string{"127.0.0.1", "localhost", "kubernetes.default.svc", "10.96.0.1"} {
		if _, err := serving.Verify(x509.VerifyOptions{DNSName: host, Roots: pool}); err != nil {
			t.Errorf("serving cert does not verify for %s: %v", host, err)
		}
	}
	if !serving.IPAddresses[0].Equal(net.IPv4(127, 0, 0, 1)) {
		t.Errorf("first SAN IP = %v, want 127.0.0.1", serving.IPAddresses[0])
	}

	for _, id := range identities {
		data, err := os.ReadFile(filepath.Join(dir, id.file+".kubeconfig"))
		if err != nil {
			t.Fatal(err)
		}
		kc := string(data)
		if got := kubeconfigField(t, kc, "server"); got != o.server {
			t.Errorf("%s: server = %q, want %q", id.file, got, o.server)
		}
		certPEM, err := base64.StdEncoding.DecodeString(kubeconfigField(t, kc, "client-certificate-data"))
		if err != nil {
			t.Fatal(err)
		}
		cert := parsePEMCert(t, certPEM)
		if cert.Subject.CommonName != id.cn || strings.Join(cert.Subject.Organization, ",") != strings.Join(id.groups, ",") {
			t.Errorf("%s: subject = %v, want CN=%s O=%v", id.file, cert.Subject, id.cn, id.groups)
		}
		opts := x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
		if _, err := cert.Verify(opts); err != nil {
			t.Errorf("%s: client cert does not verify: %v", id.file, err)
		}
	}
}

func TestRunWritesServiceAccountKeyPair(t *testing.T) {
	dir := t.TempDir()
	if err := run(options{dir: dir, server: "https://127.0.0.1:1", serviceIP: "10.96.0.1", validity: time.Hour}); err != nil {
		t.Fatal(err)
	}
	privPEM, _ := os.ReadFile(filepath.Join(dir, "pki", "sa.key"))
	pubPEM, _ := os.ReadFile(filepath.Join(dir, "pki", "sa.pub"))
	privBlock, _ := pem.Decode(privPEM)
	pubBlock, _ := pem.Decode(pubPEM)
	if privBlock == nil || pubBlock == nil {
		t.Fatalf("sa.key/sa.pub are not PEM: %q %q", privPEM, pubPEM)
	}
	priv, err := x509.ParsePKCS1PrivateKey(privBlock.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := x509.ParsePKIXPublicKey(pubBlock.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if !priv.PublicKey.Equal(pub) {
		t.Error("sa.pub does not match sa.key")
	}
}

func TestRunRejectsBadServiceIP(t *testing.T) {
	err := run(options{dir: t.TempDir(), server: "https://127.0.0.1:1", serviceIP: "nope", validity: time.Hour})
	if err == nil || !strings.Contains(err.Error(), "invalid -service-ip") {
		t.Fatalf("err = %v, want invalid -service-ip", err)
	}
}
