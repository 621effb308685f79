package ens

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/klog/v2/textlogger"
)

const (
	testSecret = "s3cr3t-value-never-printed"
	testToken  = "sts-token-never-printed"
)

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadConfigFile(t *testing.T) {
	dir := t.TempDir()
	yamlPath := writeFile(t, dir, "cloud.yaml", "accessKeyID: ak\naccessKeySecret: sk\nsecurityToken: tok\nregion: cn-x\n"+
		"endpoint: 127.0.0.1:1\nscheme: http\ninsecureSkipVerify: true\nunknownKey: ignored\n")
	jsonPath := writeFile(t, dir, "cloud.json", `{"accessKeyID":"ak","accessKeySecret":"sk","securityToken":"tok","region":"cn-x",`+
		`"endpoint":"127.0.0.1:1","scheme":"http","insecureSkipVerify":true}`)
	for _, path := range []string{yamlPath, jsonPath} {
		got, err := LoadConfigFile(path)
		if err != nil {
			t.Fatalf("LoadConfigFile(%s): %v", path, err)
		}
		want := ClientConfig{AccessKeyID: "ak", AccessKeySecret: "sk", SecurityToken: "tok", Region: "cn-x",
			Endpoint: "127.0.0.1:1", Scheme: "http", InsecureSkipVerify: true, ConfigFile: path}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("LoadConfigFile(%s) (-want +got):\n%s", path, diff)
		}
	}
}

func TestLoadConfigFileEnvFallback(t *testing.T) {
	t.Setenv(EnvAccessKeyID, "env-ak")
	t.Setenv(EnvAccessKeySecret, "env-sk")
	t.Setenv(EnvSecurityToken, "env-tok")
	path := writeFile(t, t.TempDir(), "cloud.yaml", "endpoint: e:1\n")
	got, err := LoadConfigFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := ClientConfig{AccessKeyID: "env-ak", AccessKeySecret: "env-sk", SecurityToken: "env-tok", Endpoint: "e:1", ConfigFile: path}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	// Credentials in the file win over the environment, token included.
	path = writeFile(t, t.TempDir(), "cloud.yaml", "accessKeyID: f-ak\naccessKeySecret: f-sk\n")
	got, err = LoadConfigFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.AccessKeyID != "f-ak" || got.AccessKeySecret != "f-sk" || got.SecurityToken != "" {
		t.Errorf("file credentials not preferred: %v", got)
	}
}

func TestLoadConfigFileErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := LoadConfigFile(filepath.Join(dir, "missing")); !os.IsNotExist(unwrapAll(err)) {
		t.Errorf("missing file: got %v, want a not-exist error", err)
	}
	bad := writeFile(t, dir, "bad.yaml", "accessKeySecret: ["+testSecret+"\n")
	_, err := LoadConfigFile(bad)
	if err == nil || strings.Contains(err.Error(), testSecret) {
		t.Errorf("bad YAML: got %v, want an error without the secret", err)
	}
}

func unwrapAll(err error) error {
	for {
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return err
		}
		err = u.Unwrap()
	}
}

func TestWithDefaults(t *testing.T) {
	t.Setenv(EnvAccessKeyID, "")
	t.Setenv(EnvAccessKeySecret, "")
	got, err := ClientConfig{AccessKeyID: "ak", AccessKeySecret: "sk", Scheme: "http"}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	want := ClientConfig{AccessKeyID: "ak", AccessKeySecret: "sk", Scheme: "HTTP", Endpoint: DefaultEndpoint,
		Region: DefaultRegion, Timeout: DefaultTimeout} // no overall cap: every action has its own limit
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	got, err = ClientConfig{AccessKeyID: "ak", AccessKeySecret: "sk", QPS: 5, Burst: 7, Timeout: time.Second}.withDefaults()
	if err != nil || got.Scheme != "HTTPS" || got.QPS != 5 || got.Burst != 7 || got.Timeout != time.Second {
		t.Errorf("explicit values not kept: %v, %v", got, err)
	}
	if got, err := (ClientConfig{AccessKeyID: "ak", AccessKeySecret: "sk", QPS: 5}).withDefaults(); err != nil || got.Burst != 3 {
		t.Errorf("burst of qps 5 = %d, %v; want 3", got.Burst, err)
	}
	for name, bad := range map[string]ClientConfig{
		"scheme ftp":          {Scheme: "ftp"},
		"negative qps":        {QPS: -1},
		"negative burst":      {QPS: 1, Burst: -1},
		"unknown action":      {APILimits: map[string]Limit{"CreateLoadBalancers": {QPS: 1, Burst: 1}}},
		"API limit of 0 qps":  {APILimits: map[string]Limit{"CreateLoadBalancer": {QPS: 0, Burst: 1}}},
		"API limit, no burst": {APILimits: map[string]Limit{AllActions: {QPS: 1}}},
	} {
		bad.AccessKeyID, bad.AccessKeySecret = "ak", "sk"
		if _, err := bad.withDefaults(); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
	if _, err := (ClientConfig{AccessKeyID: "ak"}).withDefaults(); err == nil {
		t.Error("missing secret accepted")
	}
}

func TestConfigRedacted(t *testing.T) {
	cfg := ClientConfig{AccessKeyID: "visible-ak", AccessKeySecret: testSecret, SecurityToken: testToken, Endpoint: "e:1"}
	var logBuf bytes.Buffer
	logger := textlogger.NewLogger(textlogger.NewConfig(textlogger.Output(&logBuf)))
	logger.Info("config", "cfg", cfg, "ptr", &cfg)
	var slogBuf bytes.Buffer
	slog.New(slog.NewJSONHandler(&slogBuf, nil)).Info("config", "cfg", cfg)
	marshalled, err := json.Marshal(cfg.MarshalLog())
	if err != nil {
		t.Fatal(err)
	}
	outputs := map[string]string{
		"%v": fmt.Sprintf("%v", cfg), "%+v": fmt.Sprintf("%+v", cfg), "%#v": fmt.Sprintf("%#v", cfg),
		"%s": fmt.Sprintf("%s", cfg), "%q": fmt.Sprintf("%q", cfg), "ptr %v": fmt.Sprintf("%v", &cfg),
		"String": cfg.String(), "GoString": cfg.GoString(), "klog": logBuf.String(),
		"slog": slogBuf.String(), "MarshalLog": string(marshalled),
	}
	for name, out := range outputs {
		if strings.Contains(out, testSecret) || strings.Contains(out, testToken) {
			t.Errorf("%s shows a secret: %s", name, out)
		}
		if !strings.Contains(out, "visible-ak") || !strings.Contains(out, redacted) {
			t.Errorf("%s does not show the key id and the redaction mark: %s", name, out)
		}
	}
	if !strings.HasPrefix(outputs["%#v"], "ens.ClientConfig{") {
		t.Errorf("%%#v = %s, want the GoString form", outputs["%#v"])
	}
	if empty := (ClientConfig{}).String(); strings.Contains(empty, redacted) {
		t.Errorf("an empty secret is shown as redacted: %s", empty)
	}
}
