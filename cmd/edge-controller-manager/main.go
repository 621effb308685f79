// Command edge-controller-manager exposes LoadBalancer Services of class
// alibabacloud.com/elb through one ENS Edge Load Balancer per OpenYurt
// node pool.
package main

import (
	"os"

	"github.com/edge-lb/edge-controller-manager/pkg/manager"
)

func main() {
	os.Exit(manager.Main(os.Args[1:], os.Stderr))
}
