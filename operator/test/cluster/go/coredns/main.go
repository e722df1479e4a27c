// SPDX-License-Identifier: Apache-2.0

// CoreDNS with only the plugins the test cluster's Corefile uses: cluster names from the
// Kubernetes API (kubernetes), forwarding of other names, a cache, and the health, readiness,
// reload, loop-detection and logging plugins. Upstream's main links every plugin (cloud DNS
// providers included), which costs minutes of build time for nothing here.
package main

import (
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/coremain"

	_ "github.com/coredns/coredns/plugin/bind"
	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/forward"
	_ "github.com/coredns/coredns/plugin/health"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/log"
	_ "github.com/coredns/coredns/plugin/loop"
	_ "github.com/coredns/coredns/plugin/ready"
	_ "github.com/coredns/coredns/plugin/reload"
)

// The plugins in the order upstream's core/dnsserver/zdirectives.go runs them; CoreDNS chains
// plugins by this list, not by their order in the Corefile.
var directives = []string{"reload", "bind", "ready", "health", "errors", "log", "cache", "kubernetes", "loop", "forward"}

func main() {
	dnsserver.Directives = directives
	coremain.Run()
}
