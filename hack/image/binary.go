package main

import (
	"debug/elf"
	"fmt"
	"slices"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// elfMachines are the architectures the image can be built for, by the
// ELF machine their binaries declare.
var elfMachines = map[string]elf.Machine{
	"amd64": elf.EM_X86_64,
	"arm64": elf.EM_AARCH64,
}

func parsePlatform(s string) (v1.Platform, error) {
	p, err := v1.ParsePlatform(s)
	if err != nil {
		return v1.Platform{}, fmt.Errorf("--platform %q: %w", s, err)
	}
	if _, ok := elfMachines[p.Architecture]; p.OS != "linux" || !ok {
		return v1.Platform{}, fmt.Errorf("--platform %q: want linux/amd64 or linux/arm64", s)
	}
	return *p, nil
}

// checkBinary refuses what could not run on the empty base: a binary for
// another architecture, or one that needs a dynamic loader and a libc
// (built without CGO_ENABLED=0).
func checkBinary(path string, p v1.Platform) error {
	f, err := elf.Open(path)
	if err != nil {
		return fmt.Errorf("binary %s: not a Linux executable: %w", path, err)
	}
	defer f.Close()
	if want := elfMachines[p.Architecture]; f.Machine != want {
		return fmt.Errorf("binary %s is for %v, the platform %s wants %v", path, f.Machine, p.Architecture, want)
	}
	if slices.ContainsFunc(f.Progs, func(p *elf.Prog) bool { return p.Type == elf.PT_INTERP }) {
		return fmt.Errorf("binary %s is dynamically linked (build it with CGO_ENABLED=0): the image has no libc", path)
	}
	return nil
}
