package ens_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/edge-lb/edge-controller-manager/pkg/cloud"
)

// TestListEIPsByID: many ids are read 50 a call (what AllocationId takes),
// duplicates once, and only the EIPs asked for come back.
func TestListEIPsByID(t *testing.T) {
	ctx := context.Background()
	env, c := start(t)
	var ids []string
	for i := range 60 {
		id, err := c.CreateEIP(ctx, cloud.CreateEIPRequest{Name: fmt.Sprintf("eip-%d", i), RegionID: region,
			InternetChargeType: "95BandwidthByMonth", InstanceChargeType: "PostPaid", ClientToken: fmt.Sprintf("byid-%d", i)})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	want := slices.Clone(ids[:55]) // five left out: never returned
	ask := append(slices.Clone(want), want[0], "eip-does-not-exist")
	env.Emulator.ResetCalls()
	got, err := c.ListEIPs(ctx, cloud.EIPFilter{AllocationIDs: ask})
	if err != nil {
		t.Fatal(err)
	}
	var gotIDs []string
	for _, e := range got {
		gotIDs = append(gotIDs, e.AllocationID)
	}
	slices.Sort(gotIDs)
	slices.Sort(want)
	if !slices.Equal(gotIDs, want) {
		t.Errorf("got %d EIPs %v, want the %d asked for", len(gotIDs), gotIDs, len(want))
	}
	if n := env.Emulator.Calls()["DescribeEnsEipAddresses"]; n != 2 {
		t.Errorf("DescribeEnsEipAddresses calls = %d, want 2 (56 distinct ids, 50 a call)", n)
	}
}
