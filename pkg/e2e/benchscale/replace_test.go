package benchscale

import "testing"

func TestTokenReplacer(t *testing.T) {
	r := newTokenReplacer(map[string]string{"svc-0001": "svc-0042", "10.0.0.10": "10.0.8.43", "lb-abc": "lb-seed00042p00", "": "ignored"})
	for in, want := range map[string]string{
		`{"name":"k8s/svc-0001/bench/np-00/bench"}`: `{"name":"k8s/svc-0042/bench/np-00/bench"}`,
		"svc-0001-np-00":        "svc-0042-np-00",
		"svc-00012 xsvc-0001":   "svc-00012 xsvc-0001", // not whole tokens
		"10.0.0.10,10.0.0.100":  "10.0.8.43,10.0.0.100",
		"lb-abc,lb-abcd,lb-abc": "lb-seed00042p00,lb-abcd,lb-seed00042p00",
		"":                      "",
	} {
		if got := r.replace(in); got != want {
			t.Errorf("replace(%q) = %q, want %q", in, got, want)
		}
	}
	var out struct{ A, B string }
	if err := r.copyJSON(struct{ A, B string }{"svc-0001", "lb-abc"}, &out); err != nil || out.A != "svc-0042" || out.B != "lb-seed00042p00" {
		t.Errorf("copyJSON = %+v, %v", out, err)
	}
}

func TestSeedToken(t *testing.T) {
	tok := "ecm-loadBalancer-4f2acbe4dec712cddd42f4d759081aef"
	a, b := seedToken(tok, 7), seedToken(tok, 8)
	if len(a) != len(tok) || a[:17] != "ecm-loadBalancer-" || a == tok || a == b || seedToken(tok, 7) != a {
		t.Errorf("seedToken: %q and %q from %q, want the same shape, distinct per Service, stable", a, b, tok)
	}
	if got := seedToken("abcdef", 1); len(got) != 6 {
		t.Errorf("seedToken without a prefix = %q", got)
	}
}
