package framework

import (
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
)

// TestCallRecorder: calls reach the target unchanged; mutating ones are
// kept with their parameters (signing fields left out), AccessKey, status
// and error code, in memory and in the log; reads are only counted.
func TestCallRecorder(t *testing.T) {
	var got []string
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		got = append(got, r.Form.Get("Action")+" "+r.Form.Get("AllocationId")+" "+r.Form.Get("Signature"))
		if r.Form.Get("Action") == "UnAssociateEnsEipAddress" {
			w.WriteHeader(http.StatusForbidden)
			_, _ = w.Write([]byte(`{"Code":"NoPermission","Message":"no"}`))
			return
		}
		_, _ = w.Write([]byte(`{"RequestId":"r"}`))
	}))
	defer target.Close()
	log := filepath.Join(t.TempDir(), "calls.jsonl")
	r, err := StartCallRecorder(strings.TrimPrefix(target.URL, "http://"), log)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()

	base := "http://" + r.Endpoint() + "/"
	if resp, err := http.Get(base + "?Action=DescribeEnsEipAddresses&AccessKeyId=ak&Signature=s1"); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET through the recorder: %v %v", resp, err)
	}
	form := url.Values{"Action": {"ModifyEnsEipAddressAttribute"}, "AllocationId": {"eip-1"}, "Bandwidth": {"20"},
		"AccessKeyId": {"ak"}, "Signature": {"s2"}, "SignatureNonce": {"n"}, "Timestamp": {"t"}}
	if resp, err := http.PostForm(base, form); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("POST through the recorder: %v %v", resp, err)
	}
	form = url.Values{"Action": {"UnAssociateEnsEipAddress"}, "AllocationId": {"eip-2"}, "AccessKeyId": {"ak2"}}
	if resp, err := http.PostForm(base, form); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("POST through the recorder: %v %v", resp, err)
	}

	if want := "DescribeEnsEipAddresses  s1|ModifyEnsEipAddressAttribute eip-1 s2|UnAssociateEnsEipAddress eip-2 "; strings.Join(got, "|") != want {
		t.Errorf("target saw %q, want %q", strings.Join(got, "|"), want)
	}
	if r.Reads() != 1 {
		t.Errorf("%d reads counted, want 1", r.Reads())
	}
	want := []RecordedCall{
		{Action: "ModifyEnsEipAddressAttribute", AccessKeyID: "ak", Params: map[string]string{"AllocationId": "eip-1", "Bandwidth": "20"}, Status: 200},
		{Action: "UnAssociateEnsEipAddress", AccessKeyID: "ak2", Params: map[string]string{"AllocationId": "eip-2"}, Status: 403, Code: "NoPermission"},
	}
	check := func(from string, calls []RecordedCall) {
		t.Helper()
		if len(calls) != len(want) {
			t.Fatalf("%s: %d calls, want %d: %+v", from, len(calls), len(want), calls)
		}
		for i, c := range calls {
			w := want[i]
			if c.Action != w.Action || c.AccessKeyID != w.AccessKeyID || c.Status != w.Status || c.Code != w.Code ||
				len(c.Params) != len(w.Params) || c.At.IsZero() {
				t.Errorf("%s: call %d = %+v, want %+v", from, i, c, w)
			}
			for k, v := range w.Params {
				if c.Params[k] != v {
					t.Errorf("%s: call %d param %s=%q, want %q", from, i, k, c.Params[k], v)
				}
			}
		}
	}
	check("memory", r.Calls())
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	fromLog, err := ReadRecordedCalls(log)
	if err != nil {
		t.Fatal(err)
	}
	check("log", fromLog)
}

// TestCallRecorderTargetDown: with the target gone the client's connection
// is closed without an answer (as a refused connection looks), and the
// call is recorded with status 0.
func TestCallRecorderTargetDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	r, err := StartCallRecorder(addr, "")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	resp, err := http.PostForm("http://"+r.Endpoint()+"/", url.Values{"Action": {"ReleaseInstance"}, "InstanceId": {"lb-1"}})
	if err == nil {
		resp.Body.Close()
		t.Fatalf("got an answer %d, want the connection closed", resp.StatusCode)
	}
	var uerr *url.Error
	if !errors.As(err, &uerr) {
		t.Errorf("error %v, want a transport error", err)
	}
	calls := r.Calls()
	if len(calls) != 1 || calls[0].Status != 0 || calls[0].Params["InstanceId"] != "lb-1" {
		t.Errorf("calls %+v, want one ReleaseInstance of lb-1 with status 0", calls)
	}
}
