package framework

import (
	"bufio"
	"fmt"
	"os"
	"strings"
)

// SetArg sets the emulator flag --name=value for the next Restart,
// replacing an earlier value. The soak gives each restart its own --seed:
// the emulator's id generator starts again from the seed, and ENS never
// hands out an id twice.
func (e *Emulator) SetArg(name, value string) {
	prefix := "--" + name + "="
	for i, a := range e.Args {
		if strings.HasPrefix(a, prefix) {
			e.Args[i] = prefix + value
			return
		}
	}
	e.Args = append(e.Args, prefix+value)
}

// GrepLines returns the lines of a file that contain substr (none when the
// file does not exist yet).
func GrepLines(path, substr string) ([]string, error) {
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if strings.Contains(sc.Text(), substr) {
			out = append(out, sc.Text())
		}
	}
	if err := sc.Err(); err != nil {
		return out, fmt.Errorf("reading %s: %w", path, err)
	}
	return out, nil
}
