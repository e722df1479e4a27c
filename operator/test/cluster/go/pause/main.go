// SPDX-License-Identifier: Apache-2.0

// The pod sandbox process of the test cluster (what registry.k8s.io/pause does): hold the pod's
// namespaces open, reap orphaned children when it is PID 1 of a shared PID namespace, and exit
// cleanly on SIGTERM or SIGINT. Built statically and packed into an image with nothing else.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	signals := make(chan os.Signal, 8)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT, syscall.SIGCHLD)
	for s := range signals {
		if s != syscall.SIGCHLD {
			os.Exit(0)
		}
		for {
			var status syscall.WaitStatus
			pid, err := syscall.Wait4(-1, &status, syscall.WNOHANG, nil)
			if pid <= 0 || err != nil {
				break
			}
		}
	}
}
