#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Builds the binaries of the real-control-plane suite (operator/test/k8s) from their Go modules:
# etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubectl, kwok and helm, plus the
# Prometheus Operator's CRDs (ServiceMonitor, PodMonitor, PrometheusRule) from its module.
# There is no container engine here, so no kind; see shared/notes/envtest.md for the recipe.
#
# Binaries are cached by version outside the repository, in
#   ${RELAYLAB_K8S_CACHE:-$HOME/.cache/relaylab/k8s}/<kubernetes version>/bin
# with one stamp per component, so a second run (or a fresh clone on the same machine) is a no-op
# and an interrupted build resumes with the components still missing.
#
# Usage: build.sh [--with-node]        build what is missing; print the bin directory on stdout
#        build.sh --dir [--with-node]  print the bin directory; exit 0 if complete, 3 if something is missing
# --with-node adds kubelet and kube-proxy (for the real single-node cluster, operator/test/cluster),
# from the same pinned Kubernetes release under a stamp of their own.
# Progress goes to stderr. Environment:
#   RELAYLAB_K8S_CACHE       cache root (default $HOME/.cache/relaylab/k8s)
#   RELAYLAB_K8S_BUILD_JOBS  go build -p (default 1: the machine's 2 cores are shared)
set -euo pipefail

# Pins. etcd matches the client that k8s.io/kubernetes requires (the pairing of the 1.36 envtest
# bundle); kwok v0.8.0 and helm v3.21.4 are the newest releases that say `go 1.26.0` (Go 1.26 here).
K8S_VERSION=v1.36.3
ETCD_VERSION=v3.6.8
KWOK_VERSION=v0.8.0
HELM_VERSION=v3.21.4
# The CRDs kube-prometheus-stack installs; the chart's and the operator's monitoring objects are
# applied against them.
PROMETHEUS_OPERATOR_VERSION=v0.85.0
MONITORING_CRDS=(servicemonitors podmonitors prometheusrules)
K8S_TOOLS=(kube-apiserver kube-controller-manager kube-scheduler kubectl)
K8S_NODE_TOOLS=(kubelet kube-proxy)

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=${RELAYLAB_K8S_CACHE:-$HOME/.cache/relaylab/k8s}/$K8S_VERSION
bin=$out/bin
k8s_minor=$(echo "$K8S_VERSION" | cut -d. -f2)

# The recipe of each component: its stamp must match exactly, or the component is rebuilt.
recipe_k8s="kubernetes $K8S_VERSION tools=${K8S_TOOLS[*]} recipe=2"
recipe_k8s_node="kubernetes $K8S_VERSION tools=${K8S_NODE_TOOLS[*]} recipe=2"
recipe_etcd="etcd $ETCD_VERSION recipe=1 main=$(sha256sum "$here/go/etcd/main.go" | cut -c1-16)"
recipe_kwok="kwok $KWOK_VERSION recipe=2"
recipe_helm="helm $HELM_VERSION kube=1.$k8s_minor recipe=1"
recipe_monitoring="prometheus-operator $PROMETHEUS_OPERATOR_VERSION crds=${MONITORING_CRDS[*]} recipe=1"
monitoring_files=("${MONITORING_CRDS[@]/#/monitoring.coreos.com_}")
monitoring_files=("${monitoring_files[@]/%/.yaml}")

log_name=build.sh
# shellcheck source=lib.sh
source "$here/bin/lib.sh"

# fresh NAME RECIPE FILES...: true when every file exists in bin and the stamp says RECIPE.
fresh() {
  local name=$1 recipe=$2; shift 2
  [[ -f $bin/.$name.stamp && "$(cat "$bin/.$name.stamp")" == "$recipe" ]] || return 1
  local b; for b in "$@"; do [[ -f $bin/$b ]] || return 1; done
}

with_node=false
dir_only=false
for arg in "$@"; do
  case $arg in
    --dir) dir_only=true ;;
    --with-node) with_node=true ;;
    *) die "unknown argument '$arg' (usage: build.sh [--dir] [--with-node])" ;;
  esac
done

node_fresh() { [[ $with_node == false ]] || fresh kubernetes-node "$recipe_k8s_node" "${K8S_NODE_TOOLS[@]}"; }

all_fresh() {
  fresh kubernetes "$recipe_k8s" "${K8S_TOOLS[@]}" && fresh etcd "$recipe_etcd" etcd &&
    fresh kwok "$recipe_kwok" kwok kwok-stages.yaml && fresh helm "$recipe_helm" helm &&
    fresh monitoring "$recipe_monitoring" "${monitoring_files[@]}" && node_fresh
}

if [[ $dir_only == true ]]; then
  echo "$bin"
  all_fresh || exit 3
  exit 0
fi

if all_fresh; then echo "$bin"; exit 0; fi

command -v go >/dev/null || die "Go is not installed: install Go 1.26 (https://go.dev/dl), or set KUBEBUILDER_ASSETS"
mkdir -p "$bin" "$out/src"
# Two test files may call this at once: the second waits for the first and then finds everything built.
exec 9>"$out/.lock"
flock 9
if all_fresh; then echo "$bin"; exit 0; fi

export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="-p=${RELAYLAB_K8S_BUILD_JOBS:-1} -buildvcs=false"
log "go: $(go version); cache: $out; GOMODCACHE=$(go env GOMODCACHE); GOCACHE=$(go env GOCACHE)"

# gomod_of MODULE@VERSION: path of that module's go.mod in the module cache.
gomod_of() {
  go mod download -json "$1" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",*$/\1/p'
}

# install_to_bin NAME RECIPE DIR BINARIES...: move freshly built binaries from DIR into bin, then stamp.
install_to_bin() {
  local name=$1 recipe=$2 dir=$3; shift 3
  local b; for b in "$@"; do mv -f "$dir/$b" "$bin/$b"; done
  echo "$recipe" >"$bin/.$name.stamp"
}

build_etcd() {
  local w=$out/src/etcd
  rm -rf "$w" && mkdir -p "$w" && cp "$here/go/etcd/main.go" "$w/" && cd "$w"
  go mod init example.invalid/relaylab-etcd >/dev/null 2>&1
  # Run with the GODEBUG defaults etcd's own go.mod selects.
  local gomod; gomod=$(gomod_of "go.etcd.io/etcd/server/v3@$ETCD_VERSION")
  go mod edit -go="$(sed -n 's/^go \([0-9.]*\)$/\1/p' "$gomod")"
  go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION"
  go mod tidy
  nice -n 10 go build -trimpath -ldflags "-s -w" -o "$w/out/etcd" .
  install_to_bin etcd "$recipe_etcd" "$w/out" etcd
}

# k8s.io/kubernetes cannot be `go install`ed (its go.mod requires every staging module at v0.0.0
# and replaces it with ./staging/...). A wrapper main module requires it and replaces each staging
# module with its published v0.Y.Z tag; the list is generated from that exact go.mod.
# build_kubernetes NAME RECIPE TOOLS...: one wrapper module (in src/NAME) per stamp, so the node
# binaries can be added to a cache that already holds the control plane without rebuilding it.
build_kubernetes() {
  local name=$1 recipe=$2; shift 2
  local tools=("$@")
  local w=$out/src/$name staging_version=v0.${K8S_VERSION#v1.}
  rm -rf "$w" && mkdir -p "$w" && cd "$w"
  go mod init example.invalid/relaylab-kubernetes >/dev/null 2>&1
  local gomod; gomod=$(gomod_of "k8s.io/kubernetes@$K8S_VERSION")
  local staging; staging=$(sed -n 's/^[[:space:]]*\(k8s\.io\/[a-z0-9-]*\) v0\.0\.0\( \/\/ indirect\)\{0,1\}$/\1/p' "$gomod")
  local count; count=$(wc -w <<<"$staging")
  [[ $count -ge 20 ]] || die "found only $count staging modules in $gomod: has its go.mod layout changed?"
  log "kubernetes $K8S_VERSION: replacing $count staging modules with $staging_version"
  local m; for m in $staging; do go mod edit -replace="$m=$m@$staging_version"; done
  # Only the main module's go/godebug lines count: copy upstream's so the binaries run with the
  # GODEBUG defaults Kubernetes is tested with.
  go mod edit -go="$(sed -n 's/^go \([0-9.]*\)$/\1/p' "$gomod")"
  local g; for g in $(sed -n 's/^godebug \([^ ]*=[^ ]*\)$/\1/p' "$gomod"); do go mod edit -godebug="$g"; done
  if grep -q '^godebug (' "$gomod"; then die "$gomod has a godebug block: teach build.sh to copy it"; fi
  go mod edit -require="k8s.io/kubernetes@$K8S_VERSION"
  # With no @version, `go get` means @upgrade and would move k8s.io/kubernetes to the newest release.
  local t; for t in "${tools[@]}"; do go get -tool "k8s.io/kubernetes/cmd/$t@$K8S_VERSION"; done
  [[ $(go list -m -f '{{.Version}}' k8s.io/kubernetes) == "$K8S_VERSION" ]] || die "k8s.io/kubernetes is not at $K8S_VERSION in $w/go.mod"
  go mod tidy
  local ld="-s -w -X k8s.io/component-base/version.gitVersion=$K8S_VERSION"
  ld+=" -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$k8s_minor"
  ld+=" -X k8s.io/component-base/version.gitTreeState=clean"
  ld+=" -X k8s.io/client-go/pkg/version.gitVersion=$K8S_VERSION"
  ld+=" -X k8s.io/client-go/pkg/version.gitMajor=1 -X k8s.io/client-go/pkg/version.gitMinor=$k8s_minor"
  mkdir -p "$w/out"
  GOBIN=$w/out nice -n 10 go install -trimpath -ldflags "$ld" tool
  install_to_bin "$name" "$recipe" "$w/out" "${tools[@]}"
}

build_kwok() {
  local w=$out/src/kwok
  rm -rf "$w" && mkdir -p "$w/out" && cd "$w"
  GOBIN=$w/out nice -n 10 go install -trimpath \
    -ldflags "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=$KWOK_VERSION" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
  # kwok does nothing without Stages (the lifecycle it plays for Nodes and Pods); its module ships
  # the standard ones. Fast node/pod lifecycle plus lease heartbeats (kwok --node-lease-duration-seconds).
  local src; src=$(go mod download -json "sigs.k8s.io/kwok@$KWOK_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p')
  local f; for f in node/fast/node-initialize.yaml node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
    pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml; do
    [[ -f $src/kustomize/stage/$f ]] || die "kwok $KWOK_VERSION has no stage $f"
    printf -- '---\n' && cat "$src/kustomize/stage/$f"
  done >"$w/out/kwok-stages.yaml"
  install_to_bin kwok "$recipe_kwok" "$w/out" kwok kwok-stages.yaml
}

# Helm's Makefile stamps the Kubernetes version its templates see (.Capabilities.KubeVersion);
# without it that defaults to v1.20.0. Use the minor of the client-go helm is built with.
build_helm() {
  local w=$out/src/helm
  rm -rf "$w" && mkdir -p "$w/out" && cd "$w"
  local gomod; gomod=$(gomod_of "helm.sh/helm/v3@$HELM_VERSION")
  local cg; cg=$(sed -n 's/^[[:space:]]*k8s\.io\/client-go v0\.\([0-9]*\)\..*$/\1/p' "$gomod")
  [[ -n $cg ]] || die "cannot find k8s.io/client-go in $gomod"
  local ld="-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
  local p; for p in pkg/chartutil pkg/lint/rules; do
    ld+=" -X helm.sh/helm/v3/$p.k8sVersionMajor=1 -X helm.sh/helm/v3/$p.k8sVersionMinor=$cg"
  done
  GOBIN=$w/out nice -n 10 go install -trimpath -ldflags "$ld" "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
  install_to_bin helm "$recipe_helm" "$w/out" helm
}

# Nothing to build: the module zip carries the generated CRDs under example/prometheus-operator-crd.
fetch_monitoring_crds() {
  local w=$out/src/monitoring
  rm -rf "$w" && mkdir -p "$w/out"
  local src; src=$(go mod download -json "github.com/prometheus-operator/prometheus-operator@$PROMETHEUS_OPERATOR_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p')
  local f; for f in "${monitoring_files[@]}"; do
    [[ -f $src/example/prometheus-operator-crd/$f ]] || die "prometheus-operator $PROMETHEUS_OPERATOR_VERSION has no $f"
    cp "$src/example/prometheus-operator-crd/$f" "$w/out/$f"
  done
  install_to_bin monitoring "$recipe_monitoring" "$w/out" "${monitoring_files[@]}"
}

total=$SECONDS
fresh etcd "$recipe_etcd" etcd || timed "etcd $ETCD_VERSION" build_etcd
fresh kwok "$recipe_kwok" kwok kwok-stages.yaml || timed "kwok $KWOK_VERSION" build_kwok
fresh kubernetes "$recipe_k8s" "${K8S_TOOLS[@]}" ||
  timed "kubernetes $K8S_VERSION (${K8S_TOOLS[*]})" build_kubernetes kubernetes "$recipe_k8s" "${K8S_TOOLS[@]}"
node_fresh || timed "kubernetes $K8S_VERSION (${K8S_NODE_TOOLS[*]})" \
  build_kubernetes kubernetes-node "$recipe_k8s_node" "${K8S_NODE_TOOLS[@]}"
fresh helm "$recipe_helm" helm || timed "helm $HELM_VERSION" build_helm
fresh monitoring "$recipe_monitoring" "${monitoring_files[@]}" || timed "prometheus-operator $PROMETHEUS_OPERATOR_VERSION CRDs" fetch_monitoring_crds
all_fresh || die "a component is still missing after the build"
log "all binaries in $bin ($((SECONDS - total)) s)"
echo "$bin"
