package ens

import (
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"sigs.k8s.io/yaml"
)

// Environment variables read when the config file carries no credentials.
const (
	EnvAccessKeyID     = "ALIBABA_CLOUD_ACCESS_KEY_ID"
	EnvAccessKeySecret = "ALIBABA_CLOUD_ACCESS_KEY_SECRET"
	EnvSecurityToken   = "ALIBABA_CLOUD_SECURITY_TOKEN"
)

// Defaults applied by NewClient to zero Config fields.
const (
	DefaultEndpoint = "ens.aliyuncs.com"
	// DefaultRegion is the SDK region used for signing; ENS regions are
	// passed per call as EnsRegionId.
	DefaultRegion  = "cn-hangzhou"
	DefaultScheme  = "HTTPS"
	DefaultTimeout = 30 * time.Second
)

const redacted = "REDACTED"

// ClientConfig is how the client reaches ENS. The file keys are in the json tags;
// APILimits, QPS, Burst and Timeout come from flags. Printing a ClientConfig
// (fmt, klog, logr, slog) never shows the secret or the security token.
type ClientConfig struct {
	AccessKeyID        string `json:"accessKeyID,omitempty"`
	AccessKeySecret    string `json:"accessKeySecret,omitempty"`
	SecurityToken      string `json:"securityToken,omitempty"`
	Region             string `json:"region,omitempty"`
	Endpoint           string `json:"endpoint,omitempty"`
	Scheme             string `json:"scheme,omitempty"`
	InsecureSkipVerify bool   `json:"insecureSkipVerify,omitempty"`

	// APILimits override DocumentedLimits by action (AllActions: every
	// action without an entry of its own). Each action has its own token
	// bucket; a Throttling answer slows that action only.
	APILimits map[string]Limit `json:"-"`
	// QPS and Burst cap all actions together on top of their own limits;
	// QPS 0 sets no such cap. Burst defaults to half of QPS rounded up.
	QPS     float64       `json:"-"`
	Burst   int           `json:"-"`
	Timeout time.Duration `json:"-"`

	// ConfigFile is the file the config was loaded from (set by
	// LoadConfigFile). When set, the client re-reads the credentials from
	// it whenever it changes, e.g. when a mounted Secret is updated.
	ConfigFile string `json:"-"`
}

// LoadConfigFile reads a YAML or JSON config file. Credentials missing from
// the file are taken from the ALIBABA_CLOUD_* environment variables.
func LoadConfigFile(path string) (ClientConfig, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return ClientConfig{}, fmt.Errorf("reading cloud config: %w", err)
	}
	var cfg ClientConfig
	if err := yaml.Unmarshal(data, &cfg); err != nil {
		// The parser's message quotes no values, so no secret leaks here.
		return ClientConfig{}, fmt.Errorf("parsing cloud config %s: %w", path, err)
	}
	cfg.ConfigFile = path
	cfg.applyEnvCredentials()
	return cfg, nil
}

// applyEnvCredentials fills the credentials from the environment when the
// config has none.
func (c *ClientConfig) applyEnvCredentials() {
	if c.AccessKeyID != "" || c.AccessKeySecret != "" {
		return
	}
	c.AccessKeyID = os.Getenv(EnvAccessKeyID)
	c.AccessKeySecret = os.Getenv(EnvAccessKeySecret)
	if c.SecurityToken == "" {
		c.SecurityToken = os.Getenv(EnvSecurityToken)
	}
}

// withDefaults returns the config with defaults applied and checks it.
func (c ClientConfig) withDefaults() (ClientConfig, error) {
	c.applyEnvCredentials()
	if c.AccessKeyID == "" || c.AccessKeySecret == "" {
		return c, fmt.Errorf("ens config: access key id and secret are required (file or %s/%s)", EnvAccessKeyID, EnvAccessKeySecret)
	}
	if c.Endpoint == "" {
		c.Endpoint = DefaultEndpoint
	}
	if c.Region == "" {
		c.Region = DefaultRegion
	}
	c.Scheme = strings.ToUpper(c.Scheme)
	switch c.Scheme {
	case "":
		c.Scheme = DefaultScheme
	case "HTTP", "HTTPS":
	default:
		return c, fmt.Errorf("ens config: scheme %q is not HTTP or HTTPS", c.Scheme)
	}
	if c.QPS < 0 || c.Burst < 0 {
		return c, fmt.Errorf("ens config: qps %v and burst %d must not be negative", c.QPS, c.Burst)
	}
	if c.QPS > 0 && c.Burst == 0 {
		c.Burst = burstFor(c.QPS)
	}
	if err := validateAPILimits(c.APILimits); err != nil {
		return c, fmt.Errorf("ens config: %w", err)
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	return c, nil
}

// redactedCopy is the config as it may be shown anywhere.
func (c ClientConfig) redactedCopy() redactedConfig {
	r := redactedConfig{
		AccessKeyID: c.AccessKeyID, Region: c.Region, Endpoint: c.Endpoint,
		Scheme: c.Scheme, InsecureSkipVerify: c.InsecureSkipVerify,
		APILimits: FormatAPILimits(c.APILimits), QPS: c.QPS, Burst: c.Burst, Timeout: c.Timeout, ConfigFile: c.ConfigFile,
	}
	if c.AccessKeySecret != "" {
		r.AccessKeySecret = redacted
	}
	if c.SecurityToken != "" {
		r.SecurityToken = redacted
	}
	return r
}

// redactedConfig has Config's fields but no methods, so printing it cannot
// recurse into Config's formatters.
type redactedConfig struct {
	AccessKeyID        string
	AccessKeySecret    string
	SecurityToken      string
	Region             string
	Endpoint           string
	Scheme             string
	InsecureSkipVerify bool
	APILimits          string
	QPS                float64
	Burst              int
	Timeout            time.Duration
	ConfigFile         string
}

// String shows the config with secrets redacted.
func (c ClientConfig) String() string { return fmt.Sprintf("%+v", c.redactedCopy()) }

// GoString is used by %#v.
func (c ClientConfig) GoString() string { return "ens.ClientConfig" + c.String() }

// Format makes every fmt verb print the redacted form.
func (c ClientConfig) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		fmt.Fprint(f, c.GoString())
		return
	}
	fmt.Fprint(f, c.String())
}

// MarshalLog is used by logr (klog) sinks, including JSON ones.
func (c ClientConfig) MarshalLog() any { return c.redactedCopy() }

// LogValue is used by log/slog.
func (c ClientConfig) LogValue() slog.Value { return slog.AnyValue(c.redactedCopy()) }
