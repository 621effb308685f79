package benchscale

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// seedToken is a ClientToken of the same shape (the prefix up to its last
// '-' kept, the rest hex of the same length), its own per Service.
func seedToken(token string, svc int) string {
	prefix, rest := "", token
	if i := strings.LastIndexByte(token, '-'); i >= 0 {
		prefix, rest = token[:i+1], token[i+1:]
	}
	sum := sha256.Sum256(fmt.Appendf(nil, "%s/%d", token, svc))
	h := hex.EncodeToString(sum[:])
	for len(h) < len(rest) {
		h += h
	}
	return prefix + h[:len(rest)]
}

// tokenReplacer replaces whole tokens: a match counts only where neither
// neighbour is a letter, digit, '.' or '_', so 10.0.0.10 is not replaced
// inside 10.0.0.100, nor svc-0001 inside svc-00012.
type tokenReplacer struct {
	re    *regexp.Regexp
	pairs map[string]string
}

func newTokenReplacer(pairs map[string]string) *tokenReplacer {
	keys := make([]string, 0, len(pairs))
	for k := range pairs {
		if k != "" {
			keys = append(keys, k)
		}
	}
	// Longest first: the alternation takes the first that matches.
	slices.SortFunc(keys, func(a, b string) int { return len(b) - len(a) })
	quoted := make([]string, len(keys))
	for i, k := range keys {
		quoted[i] = regexp.QuoteMeta(k)
	}
	return &tokenReplacer{re: regexp.MustCompile(strings.Join(quoted, "|")), pairs: pairs}
}

func (r *tokenReplacer) replace(s string) string {
	var b strings.Builder
	last := 0
	for _, m := range r.re.FindAllStringIndex(s, -1) {
		if (m[0] > 0 && tokenChar(s[m[0]-1])) || (m[1] < len(s) && tokenChar(s[m[1]])) {
			continue
		}
		b.WriteString(s[last:m[0]])
		b.WriteString(r.pairs[s[m[0]:m[1]]])
		last = m[1]
	}
	b.WriteString(s[last:])
	return b.String()
}

func tokenChar(c byte) bool {
	return c == '.' || c == '_' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

// copyJSON copies in to out through JSON with the tokens replaced.
func (r *tokenReplacer) copyJSON(in, out any) error {
	raw, err := json.Marshal(in)
	if err != nil {
		return err
	}
	return json.Unmarshal([]byte(r.replace(string(raw))), out)
}
