package apis

import (
	"strings"
	"unicode/utf8"
)

// MaxMessageLength bounds, in bytes, every Event message and condition
// message the controllers write (the product contract: every string written to an Event
// or condition is bounded). events.k8s.io rejects a longer note, and a
// message quoting an error or a user's annotation could otherwise grow
// without limit.
const MaxMessageLength = 1024

// TruncationMarker ends a message that BoundMessage cut.
const TruncationMarker = "…"

// BoundMessage returns s as valid UTF-8 of at most max bytes. A longer s is
// cut at a rune boundary and ends with TruncationMarker, within max. Bytes
// that are not UTF-8 become U+FFFD first. With max smaller than the marker
// the cut carries no marker; max <= 0 gives "".
func BoundMessage(s string, max int) string {
	if max <= 0 {
		return ""
	}
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if len(s) <= max {
		return s
	}
	marker := TruncationMarker
	if max < len(marker) {
		marker = ""
	}
	cut := max - len(marker)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + marker
}
