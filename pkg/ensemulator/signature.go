package ensemulator

// The RPC signature check: every request is signed with HMAC-SHA1 over its
// sorted, percent-encoded parameters (stringToSign) with the secret of its
// own AccessKeyId, carries a fresh Timestamp and a nonce never used before.

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base64"
	"net/url"
	"strings"
	"time"
)

// authenticate checks the credentials, signature, timestamp and nonce.
func (e *Emulator) authenticate(req *rpcRequest) *apiError {
	p := req.params
	ak, aerr := p.required("AccessKeyId")
	if aerr != nil {
		return aerr
	}
	secret, known := e.secrets[ak]
	if !known {
		return newError(CodeInvalidAccessKeyID, "Specified access key is not found.")
	}
	if m := p.str("SignatureMethod"); m != "HMAC-SHA1" {
		return newError(CodeUnsupportedSignature, "Specified signature method %q is not supported.", m)
	}
	sig, aerr := p.required("Signature")
	if aerr != nil {
		return aerr
	}
	want := Sign(req.method, p.v, secret)
	if subtle.ConstantTimeCompare([]byte(sig), []byte(want)) != 1 {
		return newError(CodeSignatureDoesNotMatch,
			"Specified signature is not matched with our calculation. server string to sign is:%s", stringToSign(req.method, p.v))
	}
	return e.checkFreshness(p)
}

// checkFreshness rejects stale timestamps and reused nonces.
func (e *Emulator) checkFreshness(p params) *apiError {
	ts, aerr := p.required("Timestamp")
	if aerr != nil {
		return aerr
	}
	at, err := time.Parse(timestampLayout, ts)
	if err != nil {
		return newError(CodeTimestampFormat, "Specified time stamp %q is not in the format YYYY-MM-DDThh:mm:ssZ.", ts)
	}
	nonce, aerr := p.required("SignatureNonce")
	if aerr != nil {
		return aerr
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.cfg.Now()
	if d := now.Sub(at); d > maxClockSkew || d < -maxClockSkew {
		return newError(CodeTimestampExpired, "Specified time stamp or date value is expired.")
	}
	if _, used := e.nonces[nonce]; used {
		return newError(CodeSignatureNonceUsed, "Specified signature nonce was used already.")
	}
	e.forgetOldNonces(now)
	e.nonces[nonce] = at
	return nil
}

// forgetOldNonces drops nonces whose timestamp is too old to be accepted
// again anyway. Callers hold mu.
func (e *Emulator) forgetOldNonces(now time.Time) {
	if len(e.nonces) < 4096 || now.Sub(e.lastPurge) < time.Minute {
		return
	}
	e.lastPurge = now
	for n, at := range e.nonces {
		if now.Sub(at) > maxClockSkew {
			delete(e.nonces, n)
		}
	}
}

// stringToSign builds the RPC StringToSign: every parameter but Signature,
// sorted and percent-encoded, behind the method and the encoded path "/".
func stringToSign(method string, values url.Values) string {
	signed := url.Values{}
	for k, vs := range values {
		if k != "Signature" {
			signed[k] = vs
		}
	}
	return method + "&%2F&" + url.QueryEscape(percentEncode(signed.Encode()))
}

// percentEncode turns form encoding into the RFC 3986 style ENS signs.
func percentEncode(s string) string {
	return strings.NewReplacer("+", "%20", "*", "%2A", "%7E", "~").Replace(s)
}

// Sign returns the HMAC-SHA1 RPC signature of the parameters (Signature
// itself is ignored) for the secret. Exported for hand-built test requests.
func Sign(method string, values url.Values, secret string) string {
	mac := hmac.New(sha1.New, []byte(secret+"&"))
	mac.Write([]byte(stringToSign(method, values)))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}
