package framework

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// RSSBytes is the process's resident set (VmRSS in /proc/<pid>/status).
func RSSBytes(pid int) (int64, error) { return StatusBytes(pid, "VmRSS") }

// StatusBytes is the kB-valued field of /proc/<pid>/status (VmRSS,
// RssAnon, RssFile, …) in bytes.
func StatusBytes(pid int, field string) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return parseStatusKB(f, field)
}

// parseStatusKB reads the "<field>:  123 kB" line of a /proc status file.
func parseStatusKB(f *os.File, field string) (int64, error) {
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), field+":")
		if !ok {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) != 2 || fields[1] != "kB" {
			return 0, fmt.Errorf("%s line %q: want <n> kB", field, sc.Text())
		}
		kb, err := strconv.ParseInt(fields[0], 10, 64)
		return kb * 1024, err
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("%s has no %s line", f.Name(), field)
}
