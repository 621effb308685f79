// Command certgen writes the PKI and kubeconfigs for the local test cluster
// started by hack/local-cluster/up.sh: a CA, the kube-apiserver serving cert,
// the service-account signing key pair, and one client-cert kubeconfig per
// component. It uses only the standard library so it builds with the main
// module and needs no openssl/cfssl.
package main

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"flag"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// identity is a client certificate subject written as DIR/<file>.kubeconfig.
type identity struct {
	file   string
	cn     string
	groups []string
}

// identities lists the component clients. kwok acts as every fake kubelet, so
// it gets system:masters rather than a per-node identity.
var identities = []identity{
	{file: "admin", cn: "kubernetes-admin", groups: []string{"system:masters"}},
	{file: "kube-controller-manager", cn: "system:kube-controller-manager"},
	{file: "kube-scheduler", cn: "system:kube-scheduler"},
	{file: "kwok", cn: "kwok-controller", groups: []string{"system:masters"}},
}

type options struct {
	dir       string
	server    string
	serviceIP string
	validity  time.Duration
}

func main() {
	var o options
	flag.StringVar(&o.dir, "dir", "", "state directory; writes pki/ and *.kubeconfig into it (required)")
	flag.StringVar(&o.server, "server", "", "kube-apiserver URL, e.g. https://127.0.0.1:6443 (required)")
	flag.StringVar(&o.serviceIP, "service-ip", "10.96.0.1", "first IP of the service CIDR (the kubernetes Service)")
	flag.DurationVar(&o.validity, "validity", 7*24*time.Hour, "certificate lifetime")
	flag.Parse()
	if o.dir == "" || o.server == "" {
		fmt.Fprintln(os.Stderr, "certgen: -dir and -server are required")
		os.Exit(2)
	}
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "certgen:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	svcIP := net.ParseIP(o.serviceIP)
	if svcIP == nil {
		return fmt.Errorf("invalid -service-ip %q", o.serviceIP)
	}
	pki := filepath.Join(o.dir, "pki")
	if err := os.MkdirAll(pki, 0o700); err != nil {
		return err
	}
	ca, err := newCA(o.validity)
	if err != nil {
		return err
	}
	if err := ca.write(pki, "ca"); err != nil {
		return err
	}
	serving, err := ca.issue(servingTemplate(svcIP), o.validity)
	if err != nil {
		return err
	}
	if err := serving.write(pki, "apiserver"); err != nil {
		return err
	}
	if err := writeServiceAccountKeys(pki); err != nil {
		return err
	}
	for _, id := range identities {
		if err := writeClientKubeconfig(o, ca, id); err != nil {
			return fmt.Errorf("%s: %w", id.file, err)
		}
	}
	return nil
}

// keyPair is a certificate with its private key.
type keyPair struct {
	cert *x509.Certificate
	der  []byte
	key  crypto.Signer
}

func newCA(validity time.Duration) (*keyPair, error) {
	tmpl := &x509.Certificate{
		Subject:               pkix.Name{CommonName: "edge-controller-manager-local-ca"},
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	return sign(tmpl, nil, validity)
}

func servingTemplate(serviceIP net.IP) *x509.Certificate {
	return &x509.Certificate{
		Subject:     pkix.Name{CommonName: "kube-apiserver"},
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback, serviceIP},
		DNSNames: []string{"localhost", "kubernetes", "kubernetes.default",
			"kubernetes.default.svc", "kubernetes.default.svc.cluster.local"},
	}
}

func (ca *keyPair) issue(tmpl *x509.Certificate, validity time.Duration) (*keyPair, error) {
	return sign(tmpl, ca, validity)
}

// sign creates a fresh P-256 key and a certificate for tmpl, self-signed when
// parent is nil.
func sign(tmpl *x509.Certificate, parent *keyPair, validity time.Duration) (*keyPair, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, err
	}
	tmpl.SerialNumber = serial
	// Backdate a little so freshly started components never see "not yet valid".
	tmpl.NotBefore = time.Now().Add(-time.Hour)
	tmpl.NotAfter = time.Now().Add(validity)
	issuer, signer := tmpl, crypto.Signer(key)
	if parent != nil {
		issuer, signer = parent.cert, parent.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, issuer, key.Public(), signer)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &keyPair{cert: cert, der: der, key: key}, nil
}

func (kp *keyPair) pems() (certPEM, keyPEM []byte, err error) {
	keyDER, err := x509.MarshalPKCS8PrivateKey(kp.key)
	if err != nil {
		return nil, nil, err
	}
	certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: kp.der})
	keyPEM = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	return certPEM, keyPEM, nil
}

// write stores DIR/NAME.crt and DIR/NAME.key.
func (kp *keyPair) write(dir, name string) error {
	certPEM, keyPEM, err := kp.pems()
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, name+".crt"), certPEM, 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, name+".key"), keyPEM, 0o600)
}

// writeServiceAccountKeys writes sa.key/sa.pub used to sign and verify
// ServiceAccount tokens (kube-apiserver and kube-controller-manager).
func writeServiceAccountKeys(dir string) error {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return err
	}
	priv := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	if err := os.WriteFile(filepath.Join(dir, "sa.key"), priv, 0o600); err != nil {
		return err
	}
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub})
	return os.WriteFile(filepath.Join(dir, "sa.pub"), pubPEM, 0o644)
}

func writeClientKubeconfig(o options, ca *keyPair, id identity) error {
	tmpl := &x509.Certificate{
		Subject:     pkix.Name{CommonName: id.cn, Organization: id.groups},
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	client, err := ca.issue(tmpl, o.validity)
	if err != nil {
		return err
	}
	if id.file == "admin" {
		// Plain files too, for curl --cert/--key.
		if err := client.write(filepath.Join(o.dir, "pki"), "admin"); err != nil {
			return err
		}
	}
	caPEM, _, err := ca.pems()
	if err != nil {
		return err
	}
	certPEM, keyPEM, err := client.pems()
	if err != nil {
		return err
	}
	data := kubeconfig(o.server, id.file, caPEM, certPEM, keyPEM)
	return os.WriteFile(filepath.Join(o.dir, id.file+".kubeconfig"), []byte(data), 0o600)
}

// kubeconfig renders a single-context kubeconfig with embedded credentials.
func kubeconfig(server, user string, caPEM, certPEM, keyPEM []byte) string {
	b64 := base64.StdEncoding.EncodeToString
	lines := []string{
		"apiVersion: v1",
		"kind: Config",
		"clusters:",
		"- name: local-cluster",
		"  cluster:",
		"    server: " + server,
		"    certificate-authority-data: " + b64(caPEM),
		"users:",
		"- name: " + user,
		"  user:",
		"    client-certificate-data: " + b64(certPEM),
		"    client-key-data: " + b64(keyPEM),
		"contexts:",
		"- name: local-cluster",
		"  context:",
		"    cluster: local-cluster",
		"    user: " + user,
		"current-context: local-cluster",
	}
	return strings.Join(lines, "\n") + "\n"
}
