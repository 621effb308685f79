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

// CountLines counts the lines of a file that contain substr (0 when the
// file does not exist yet).
func CountLines(path, substr string) (int, error) {
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if strings.Contains(sc.Text(), substr) {
			n++
		}
	}
	if err := sc.Err(); err != nil {
		return n, fmt.Errorf("reading %s: %w", path, err)
	}
	return n, nil
}
