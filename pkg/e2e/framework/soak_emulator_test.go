package framework

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestEmulatorSetArg(t *testing.T) {
	e := &Emulator{Process: NewProcess("ens-emulator", "log", "bin", "--listen-address=x", "--seed=1", "--v=2")}
	e.SetArg("seed", "1001")
	e.SetArg("inventory-file", "inv.json")
	want := []string{"--listen-address=x", "--seed=1001", "--v=2", "--inventory-file=inv.json"}
	if !slices.Equal(e.Args, want) {
		t.Errorf("args %v, want %v", e.Args, want)
	}
}

func TestGrepLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log")
	if got, err := GrepLines(path, "x"); len(got) != 0 || err != nil {
		t.Errorf("missing file: %q, %v; want none, nil", got, err)
	}
	body := "a Injected fault for X.\nb\nc Injected fault for Y.\nInjected\n"
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := GrepLines(path, "Injected fault for")
	if want := []string{"a Injected fault for X.", "c Injected fault for Y."}; !slices.Equal(got, want) || err != nil {
		t.Errorf("got %q, %v; want %q, nil", got, err, want)
	}
}
