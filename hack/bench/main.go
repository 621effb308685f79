// Command bench summarizes `go test -bench -benchmem` output read from
// stdin as a compact table: one row per benchmark with time, allocations
// and the custom metrics (calls/op, mutating/op, enqueued-keys/op, ...).
// Lines that are not benchmark results are ignored, so the raw output of
// several packages can be piped in as is.
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
)

// result is one benchmark line.
type result struct {
	pkg, name string
	nsPerOp   float64
	allocs    string
	bytes     string
	extra     []string // "value unit" of the custom metrics, in order
}

func main() {
	results, err := parse(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	if len(results) == 0 {
		fmt.Fprintln(os.Stderr, "bench: no benchmark results on stdin")
		os.Exit(1)
	}
	print(os.Stdout, results)
}

func parse(r io.Reader) ([]result, error) {
	var out []result
	pkg := ""
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if p, ok := strings.CutPrefix(line, "pkg: "); ok {
			pkg = p[strings.LastIndex(p, "/")+1:]
			continue
		}
		if res, ok := parseLine(line); ok {
			res.pkg = pkg
			out = append(out, res)
		}
	}
	return out, sc.Err()
}

// parseLine reads "BenchmarkX-2  N  v unit  v unit ...".
func parseLine(line string) (result, bool) {
	f := strings.Fields(line)
	if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") || len(f)%2 != 0 {
		return result{}, false
	}
	if _, err := strconv.Atoi(f[1]); err != nil {
		return result{}, false
	}
	name := strings.TrimPrefix(f[0], "Benchmark")
	if i := strings.LastIndex(name, "-"); i > 0 {
		if _, err := strconv.Atoi(name[i+1:]); err == nil {
			name = name[:i] // the GOMAXPROCS suffix
		}
	}
	res := result{name: name, allocs: "-", bytes: "-"}
	for i := 2; i+1 < len(f); i += 2 {
		v, unit := f[i], f[i+1]
		switch unit {
		case "ns/op":
			res.nsPerOp, _ = strconv.ParseFloat(v, 64)
		case "allocs/op":
			res.allocs = v
		case "B/op":
			res.bytes = humanBytes(v)
		default:
			res.extra = append(res.extra, v+" "+unit)
		}
	}
	return res, true
}

func print(w io.Writer, results []result) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "package\tbenchmark\ttime/op\tallocs/op\tB/op\tmetrics")
	for _, r := range results {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.pkg, r.name, humanTime(r.nsPerOp), r.allocs, r.bytes, strings.Join(r.extra, ", "))
	}
	tw.Flush()
}

func humanTime(ns float64) string {
	switch {
	case ns >= 1e9:
		return fmt.Sprintf("%.2fs", ns/1e9)
	case ns >= 1e6:
		return fmt.Sprintf("%.2fms", ns/1e6)
	case ns >= 1e3:
		return fmt.Sprintf("%.1fµs", ns/1e3)
	}
	return fmt.Sprintf("%.0fns", ns)
}

func humanBytes(v string) string {
	b, err := strconv.ParseFloat(v, 64)
	switch {
	case err != nil:
		return v
	case b >= 1<<20:
		return fmt.Sprintf("%.1fMiB", b/(1<<20))
	case b >= 1<<10:
		return fmt.Sprintf("%.1fKiB", b/(1<<10))
	}
	return fmt.Sprintf("%.0fB", b)
}
