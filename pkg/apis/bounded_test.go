package apis

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestBoundMessage(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		max  int
		want string
	}{
		{"empty", "", 10, ""},
		{"shorter", "abc", 10, "abc"},
		{"exact limit", "abcdefghij", 10, "abcdefghij"},
		{"one over", "abcdefghijk", 10, "abcdefg…"},
		// "é" is 2 bytes: at max 10 the cut (7) falls inside the fourth é.
		{"two-byte rune at the cut", "ééééé!", 10, "ééé…"},
		{"two-byte rune ends at the cut", "éééééé", 11, "éééé…"},
		// "中" is 3 bytes; "😀" is 4.
		{"three-byte runes", "中中中中", 10, "中中…"},
		{"four-byte rune at the cut", "a😀😀", 7, "a…"},
		{"four-byte rune ends at the cut", "a😀😀", 8, "a😀…"},
		{"multi-byte exact limit", "中中中", 9, "中中中"},
		{"marker only", "abcdef", 3, "…"},
		{"max below the marker", "abcdef", 2, "ab"},
		{"max below the marker, rune", "éé", 1, ""},
		{"zero", "abc", 0, ""},
		{"negative", "abc", -1, ""},
		{"invalid UTF-8 replaced", "a\xffb", 10, "a\uFFFDb"},
		{"invalid UTF-8 then cut", "ab\xff\xffcdefgh", 8, "ab\uFFFD…"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := BoundMessage(tc.in, tc.max)
			if got != tc.want {
				t.Errorf("BoundMessage(%q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
			}
			if tc.max >= 0 && len(got) > tc.max {
				t.Errorf("%d bytes, over %d", len(got), tc.max)
			}
			if !utf8.ValidString(got) {
				t.Errorf("%q is not valid UTF-8", got)
			}
		})
	}
}

// TestBoundMessageLimit cuts long messages of every rune width at the
// product limit.
func TestBoundMessageLimit(t *testing.T) {
	for _, r := range []string{"a", "é", "中", "😀"} {
		for prefix := range utf8.UTFMax { // every offset of the runes against the cut
			in := strings.Repeat("x", prefix) + strings.Repeat(r, MaxMessageLength+1)
			got := BoundMessage(in, MaxMessageLength)
			if len(got) > MaxMessageLength || len(got) < MaxMessageLength-len(TruncationMarker)-utf8.UTFMax+1 {
				t.Errorf("rune %q, prefix %d: %d bytes", r, prefix, len(got))
			}
			if !utf8.ValidString(got) || !strings.HasSuffix(got, TruncationMarker) || !strings.HasPrefix(in, strings.TrimSuffix(got, TruncationMarker)) {
				t.Errorf("rune %q: bad cut %q…", r, got[:16])
			}
		}
	}
}
