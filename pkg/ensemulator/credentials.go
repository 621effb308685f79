package ensemulator

import (
	"cmp"
	"fmt"
)

// Credential is one AccessKey the emulator accepts. Real ENS accounts have
// several (one per RAM user); the emulator records which one made each call
// (CreatedBy, ReleasedBy, CallStats.ByAccessKey), so tests can tell apart
// what the controller did from what a user did.
type Credential struct {
	AccessKeyID     string `json:"accessKeyId"`
	AccessKeySecret string `json:"accessKeySecret"`
}

// credentials are every accepted AccessKey: Config.AccessKeyID and
// AccessKeySecret first (with their defaults), then Config.Credentials.
func (cfg Config) credentials() []Credential {
	first := Credential{cmp.Or(cfg.AccessKeyID, DefaultAccessKeyID), cmp.Or(cfg.AccessKeySecret, DefaultAccessKeySecret)}
	return append([]Credential{first}, cfg.Credentials...)
}

// secretsByID indexes the credentials. An id given twice must carry the
// same secret: two secrets for one id would make signatures ambiguous.
func secretsByID(creds []Credential) (map[string]string, error) {
	out := make(map[string]string, len(creds))
	for _, c := range creds {
		if c.AccessKeyID == "" || c.AccessKeySecret == "" {
			return nil, fmt.Errorf("credential %q: access key id and secret must not be empty", c.AccessKeyID)
		}
		if s, ok := out[c.AccessKeyID]; ok && s != c.AccessKeySecret {
			return nil, fmt.Errorf("access key %q is given twice with different secrets", c.AccessKeyID)
		}
		out[c.AccessKeyID] = c.AccessKeySecret
	}
	return out, nil
}
