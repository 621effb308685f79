// Command inventory prints the ENS emulator's ELBs (with listeners and
// backends) and EIPs as two short tables, read from GET /admin/inventory.
// The demo uses it to show what edge-controller-manager did in "the cloud".
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator"
)

func main() {
	url := flag.String("url", "http://127.0.0.1:18443", "base URL of the ens-emulator")
	flag.Parse()
	inv, err := fetch(*url + "/admin/inventory")
	if err != nil {
		fmt.Fprintln(os.Stderr, "inventory:", err)
		os.Exit(1)
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	printELBs(w, inv)
	fmt.Fprintln(w)
	printEIPs(w, inv)
	_ = w.Flush()
}

func fetch(url string) (ensemulator.Inventory, error) {
	var inv ensemulator.Inventory
	c := &http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return inv, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return inv, err
	}
	if resp.StatusCode != http.StatusOK {
		return inv, fmt.Errorf("GET %s: HTTP %d: %s", url, resp.StatusCode, raw)
	}
	return inv, json.Unmarshal(raw, &inv)
}

func printELBs(w io.Writer, inv ensemulator.Inventory) {
	fmt.Fprintln(w, "ELB\tNAME\tREGION\tSTATUS\tADDRESS\tLISTENERS\tBACKENDS")
	for _, lb := range inv.LoadBalancers {
		var ls, bs []string
		for _, l := range lb.Listeners {
			ls = append(ls, fmt.Sprintf("%s:%d->%d", l.Protocol, l.Port, l.BackendServerPort))
		}
		for _, b := range lb.Backends {
			bs = append(bs, fmt.Sprintf("%s(%s)", b.ServerID, b.IP))
		}
		slices.Sort(bs)
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", lb.ID, lb.Name, lb.RegionID, lb.Status, lb.Address,
			orNone(ls), orNone(slices.Compact(bs)))
	}
}

func printEIPs(w io.Writer, inv ensemulator.Inventory) {
	fmt.Fprintln(w, "EIP\tNAME\tREGION\tADDRESS\tBANDWIDTH\tSTATUS\tBOUND TO")
	for _, e := range inv.EIPs {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%dMbps\t%s\t%s\n", e.ID, orDash(e.Name), e.RegionID, e.Address,
			e.Bandwidth, e.Status, orDash(e.InstanceID))
	}
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "<none>"
	}
	return strings.Join(s, ",")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
