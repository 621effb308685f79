package poolserviceset

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
)

// hashSuffixLength is how many hex digits of sha256(service/pool) a hashed
// name carries: 40 bits, plenty for the PoolServices of one namespace.
const hashSuffixLength = 10

// PoolServiceName returns the name of the PoolService of service in pool.
// It is "<service>-<pool>" unless that is not a valid DNS subdomain (e.g.
// longer than 253 characters) or collides, i.e. is already used by a
// PoolService of another Service/pool ("a-b"+"c" and "a"+"b-c" both give
// "a-b-c"). Then it is the plain name truncated, "-" and the first
// hashSuffixLength hex digits of sha256("<service>/<pool>"), which is stable
// and distinct per (service, pool).
func PoolServiceName(service, pool string, collides bool) string {
	plain := service + "-" + pool
	if !collides && len(validation.IsDNS1123Subdomain(plain)) == 0 {
		return plain
	}
	return hashedPoolServiceName(service, pool)
}

func hashedPoolServiceName(service, pool string) string {
	sum := sha256.Sum256([]byte(service + "/" + pool))
	suffix := hex.EncodeToString(sum[:])[:hashSuffixLength]
	prefix := service + "-" + pool
	if max := validation.DNS1123SubdomainMaxLength - 1 - hashSuffixLength; len(prefix) > max {
		prefix = prefix[:max]
	}
	// A subdomain's labels must end alphanumeric; the cut may leave "-" or ".".
	prefix = strings.TrimRight(prefix, "-.")
	return prefix + "-" + suffix
}
