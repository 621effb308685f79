package ens

import (
	"os"
	"sync"

	"k8s.io/klog/v2"
)

// credentials are what signs a request.
type credentials struct {
	accessKeyID     string
	accessKeySecret string
	securityToken   string
}

func credentialsOf(c ClientConfig) credentials {
	return credentials{accessKeyID: c.AccessKeyID, accessKeySecret: c.AccessKeySecret, securityToken: c.SecurityToken}
}

// credentialSource hands out the current credentials. With a config file it
// stats the file on every call (cheap) and re-reads it when it changed.
// os.Stat follows symlinks, so a Kubernetes Secret update (an atomic swap of
// the ..data symlink) shows up as a different file.
type credentialSource struct {
	path string

	mu      sync.Mutex
	current credentials
	seen    os.FileInfo // the file the current credentials came from
}

func newCredentialSource(cfg ClientConfig) *credentialSource {
	s := &credentialSource{path: cfg.ConfigFile, current: credentialsOf(cfg)}
	if s.path != "" {
		s.seen, _ = os.Stat(s.path)
	}
	return s
}

// get returns the credentials to sign the next request with. A file that
// cannot be read or has no credentials keeps the previous ones (the next
// call tries again), so a half-written update never breaks the client.
func (s *credentialSource) get(logger klog.Logger) credentials {
	if s.path == "" {
		return s.current
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	info, err := os.Stat(s.path)
	if err != nil {
		logger.Error(err, "Cannot stat cloud config; keeping the previous credentials", "path", s.path)
		return s.current
	}
	if s.seen != nil && sameFileVersion(s.seen, info) {
		return s.current
	}
	cfg, err := LoadConfigFile(s.path)
	if err == nil && (cfg.AccessKeyID == "" || cfg.AccessKeySecret == "") {
		err = errNoCredentials
	}
	if err != nil {
		logger.Error(err, "Cannot reload cloud config; keeping the previous credentials", "path", s.path)
		return s.current
	}
	s.current, s.seen = credentialsOf(cfg), info
	logger.Info("Reloaded ENS credentials from cloud config", "path", s.path, "accessKeyID", cfg.AccessKeyID)
	return s.current
}

func sameFileVersion(a, b os.FileInfo) bool {
	return os.SameFile(a, b) && a.ModTime().Equal(b.ModTime()) && a.Size() == b.Size()
}

type constError string

func (e constError) Error() string { return string(e) }

const errNoCredentials = constError("cloud config has no access key id and secret")
