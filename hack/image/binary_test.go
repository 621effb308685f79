package main

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
)

func TestParsePlatform(t *testing.T) {
	tests := []struct {
		in      string
		want    v1.Platform
		wantErr bool
	}{
		{in: "linux/amd64", want: v1.Platform{OS: "linux", Architecture: "amd64"}},
		{in: "linux/arm64", want: v1.Platform{OS: "linux", Architecture: "arm64"}},
		{in: "windows/amd64", wantErr: true},
		{in: "linux/s390x", wantErr: true},
		{in: "", wantErr: true},
	}
	for _, tt := range tests {
		got, err := parsePlatform(tt.in)
		if (err != nil) != tt.wantErr || !got.Equals(tt.want) {
			t.Errorf("parsePlatform(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

// TestCheckBinary: only a static binary of the platform's architecture
// goes into the image.
func TestCheckBinary(t *testing.T) {
	manager, _, _ := managerBinary(t)
	other := "arm64"
	if runtime.GOARCH == "arm64" {
		other = "amd64"
	}
	text := filepath.Join(t.TempDir(), "script")
	if err := os.WriteFile(text, []byte("#!/bin/sh\necho hi\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path, arch, wantErr string
	}{
		{"static, this platform", manager, runtime.GOARCH, ""},
		{"static, another architecture", manager, other, "is for EM_"},
		// Debian's /bin/sh (dash) links libc dynamically.
		{"dynamically linked", "/bin/sh", runtime.GOARCH, "dynamically linked"},
		{"not an ELF file", text, runtime.GOARCH, "not a Linux executable"},
		{"missing", filepath.Join(t.TempDir(), "none"), runtime.GOARCH, "not a Linux executable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkBinary(tt.path, v1.Platform{OS: "linux", Architecture: tt.arch})
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("checkBinary(%s, %s) = %v, want an error with %q", tt.path, tt.arch, err, tt.wantErr)
			}
		})
	}
}

// TestWriteLayoutKeepsOtherDirectories: --oci replaces a previous layout
// but never a directory that holds something else.
func TestWriteLayoutKeepsOtherDirectories(t *testing.T) {
	p := v1.Platform{OS: "linux", Architecture: "amd64"}
	dir := filepath.Join(t.TempDir(), "out")
	for i := range 2 { // a fresh directory, then the layout written before
		if err := writeLayout(dir, empty.Image, p, nil); err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
		idx, err := layout.ImageIndexFromPath(dir)
		if err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
		if im, err := idx.IndexManifest(); err != nil || len(im.Manifests) != 1 {
			t.Fatalf("write %d: the index lists %v, %v; want the one image", i, im, err)
		}
	}
	other := t.TempDir()
	keep := filepath.Join(other, "keep")
	if err := os.WriteFile(keep, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := writeLayout(other, empty.Image, p, nil); err == nil || !strings.Contains(err.Error(), "not an OCI layout") {
		t.Errorf("writeLayout over a non-layout directory: %v, want a refusal", err)
	}
	if _, err := os.Stat(keep); err != nil {
		t.Errorf("the directory's file is gone: %v", err)
	}
}
