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

func TestCountLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log")
	if n, err := CountLines(path, "x"); n != 0 || err != nil {
		t.Errorf("missing file: %d, %v; want 0, nil", n, err)
	}
	body := "a Injected fault for X.\nb\nc Injected fault for Y.\nInjected\n"
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	if n, err := CountLines(path, "Injected fault for"); n != 2 || err != nil {
		t.Errorf("got %d, %v; want 2, nil", n, err)
	}
}
