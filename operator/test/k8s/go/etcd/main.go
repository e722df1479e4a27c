// SPDX-License-Identifier: Apache-2.0

// Command etcd is upstream etcd's server/main.go: `go install go.etcd.io/etcd/server/v3@…`
// refuses the module (its go.mod has replace directives), a main package of our own does not.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
