#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Builds what the real single-node cluster (operator/test/cluster) runs on top of the control
# plane of operator/test/k8s: kubelet and kube-proxy (through ../../k8s/bin/build.sh --with-node,
# the same pinned Kubernetes release), containerd, its runc shim and ctr from containerd's Go
# module, CoreDNS with only the plugins the cluster uses, and two images packed from static Go
# binaries as OCI archives: the pod sandbox (pause) and the suite's probe program. runc and the
# CNI plugins come from Debian (packages runc and containernetworking-plugins).
#
# Everything is cached by version outside the repository, in
#   ${RELAYLAB_CLUSTER_CACHE:-$HOME/.cache/relaylab/cluster}/{bin,images}
# with one stamp per component, so a second run is a no-op and an interrupted one resumes.
#
# Usage: build.sh          build what is missing; print "K8S_BIN CLUSTER_BIN IMAGES_DIR" on stdout
#        build.sh --dir    print the same; exit 0 if complete, 3 if something is missing
# Progress goes to stderr. Environment: RELAYLAB_K8S_BUILD_JOBS (go build -p, default 1),
# RELAYLAB_CLUSTER_CACHE, and RELAYLAB_K8S_CACHE (passed on to the control-plane build).
set -euo pipefail

# containerd: kubelet 1.37 drops its containerd 1.x fallback, so 2.x; v2.4.2 is the newest served
# release and says `go 1.26.6`. CoreDNS v1.15.0 says `go 1.26.0`.
CONTAINERD_VERSION=v2.4.2
COREDNS_VERSION=v1.15.0
CONTAINERD_TOOLS=(containerd containerd-shim-runc-v2 ctr)
# Image names live in the archives (index.json annotations); the harness reads them from there.
PAUSE_IMAGE=localhost/relaylab/pause:1.0
PROBE_IMAGE=localhost/relaylab/probe:1.0

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
k8s_build=$here/../k8s/bin/build.sh
out=${RELAYLAB_CLUSTER_CACHE:-$HOME/.cache/relaylab/cluster}
bin=$out/bin
images=$out/images

src_hash() { cat "$@" | sha256sum | cut -c1-16; }
recipe_containerd="containerd $CONTAINERD_VERSION tools=${CONTAINERD_TOOLS[*]} recipe=1"
recipe_coredns="coredns $COREDNS_VERSION recipe=1 main=$(src_hash "$here/go/coredns/main.go")"
recipe_tools="tools recipe=1 main=$(src_hash "$here/go/pause/main.go" "$here/go/probe/main.go")"
recipe_images="images $PAUSE_IMAGE $PROBE_IMAGE recipe=1 $recipe_tools"

log_name=cluster/build.sh
# shellcheck source=../../k8s/bin/lib.sh
source "$here/../k8s/bin/lib.sh"

# fresh NAME RECIPE FILES...: true when every file exists under $out and the stamp says RECIPE.
fresh() {
  local name=$1 recipe=$2; shift 2
  [[ -f $out/.$name.stamp && "$(cat "$out/.$name.stamp")" == "$recipe" ]] || return 1
  local f; for f in "$@"; do [[ -f $out/$f ]] || return 1; done
}

all_fresh() {
  fresh containerd "$recipe_containerd" "${CONTAINERD_TOOLS[@]/#/bin/}" && fresh coredns "$recipe_coredns" bin/coredns &&
    fresh tools "$recipe_tools" bin/pause bin/probe && fresh images "$recipe_images" images/pause.oci.tar images/probe.oci.tar
}

dir_only=false
case ${1:-} in
  --dir) dir_only=true ;;
  "") ;;
  *) die "unknown argument '$1' (usage: build.sh [--dir])" ;;
esac
[[ $# -le 1 ]] || die "too many arguments (usage: build.sh [--dir])"

if [[ $dir_only == true ]]; then
  k8s_rc=0
  k8s_bin=$(bash "$k8s_build" --dir --with-node) || k8s_rc=$?
  echo "$k8s_bin $bin $images"
  [[ $k8s_rc -eq 0 ]] && all_fresh || exit 3
  exit 0
fi

k8s_bin=$(bash "$k8s_build" --with-node)
if all_fresh; then echo "$k8s_bin $bin $images"; exit 0; fi

command -v go >/dev/null || die "Go is not installed: install Go 1.26 (https://go.dev/dl)"
mkdir -p "$bin" "$images" "$out/src"
# Two test files may call this at once: the second waits for the first and then finds everything built.
exec 9>"$out/.lock"
flock 9
if all_fresh; then echo "$k8s_bin $bin $images"; exit 0; fi

export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="-p=${RELAYLAB_K8S_BUILD_JOBS:-1} -buildvcs=false"
log "go: $(go version); cache: $out"

mod_field() { go mod download -json "$1" | sed -n "s/^[[:space:]]*\"$2\": \"\\(.*\\)\",*\$/\\1/p"; }
go_line() { sed -n 's/^go \([0-9.]*\)$/\1/p' "$1"; }

# install NAME RECIPE FROM_DIR TO_SUBDIR FILES...: move fresh outputs into place, then stamp.
install() {
  local name=$1 recipe=$2 from=$3 to=$4; shift 4
  local f; for f in "$@"; do mv -f "$from/$f" "$out/$to/$f"; done
  echo "$recipe" >"$out/.$name.stamp"
}

# containerd's go.mod has no replace directives, so its commands install straight from the proxy.
# The build tags leave out the snapshotters that need cgo or kernel features this cluster lacks.
build_containerd() {
  local w=$out/src/containerd
  rm -rf "$w" && mkdir -p "$w/out" && cd "$w"
  local ld="-s -w -X github.com/containerd/containerd/v2/version.Version=$CONTAINERD_VERSION"
  local t pkgs=(); for t in "${CONTAINERD_TOOLS[@]}"; do pkgs+=("github.com/containerd/containerd/v2/cmd/$t@$CONTAINERD_VERSION"); done
  GOBIN=$w/out nice -n 10 go install -trimpath -tags "no_btrfs no_devmapper no_zfs" -ldflags "$ld" "${pkgs[@]}"
  install containerd "$recipe_containerd" "$w/out" bin "${CONTAINERD_TOOLS[@]}"
}

# A main module of our own (go/coredns/main.go) that links only the plugins the Corefile uses;
# it takes CoreDNS's go line so the binary runs with the GODEBUG defaults CoreDNS is tested with.
build_coredns() {
  local w=$out/src/coredns
  rm -rf "$w" && mkdir -p "$w/out" && cp "$here/go/coredns/main.go" "$w/" && cd "$w"
  go mod init example.invalid/relaylab-coredns >/dev/null 2>&1
  go mod edit -go="$(go_line "$(mod_field "github.com/coredns/coredns@$COREDNS_VERSION" GoMod)")"
  go get "github.com/coredns/coredns@$COREDNS_VERSION"
  go mod tidy
  [[ $(go list -m -f '{{.Version}}' github.com/coredns/coredns) == "$COREDNS_VERSION" ]] || die "coredns is not at $COREDNS_VERSION"
  nice -n 10 go build -trimpath -ldflags "-s -w" -o "$w/out/coredns" .
  install coredns "$recipe_coredns" "$w/out" bin coredns
}

# pause and probe: standard library only, static.
build_tools() {
  local w=$out/src/tools
  rm -rf "$w" && mkdir -p "$w/out" && cp -r "$here/go/pause" "$here/go/probe" "$w/" && cd "$w"
  go mod init example.invalid/relaylab-cluster-tools >/dev/null 2>&1
  local t; for t in pause probe; do nice -n 10 go build -trimpath -ldflags "-s -w" -o "$w/out/$t" "./$t"; done
  install tools "$recipe_tools" "$w/out" bin pause probe
}

# blob DIR FILE: move FILE into DIR/blobs/sha256 under its digest; print "sha256:<hex> <size>".
blob() {
  local dir=$1 file=$2 digest size
  digest=$(sha256sum "$file" | cut -d' ' -f1)
  size=$(stat -c %s "$file")
  mkdir -p "$dir/blobs/sha256" && mv "$file" "$dir/blobs/sha256/$digest"
  echo "sha256:$digest $size"
}

# oci_archive OUT IMAGE BINARY USER: an OCI image layout (one uncompressed layer holding /BINARY's
# name, that file as the entrypoint, running as USER) written as a tar, which is what
# `buildah push oci-archive:` produces and `ctr images import` reads. The index carries the full
# name both as the OCI ref name and as containerd's image-name annotation. Deterministic: fixed
# mtimes and owners, so the same binary gives the same digests.
oci_archive() {
  local out_file=$1 image=$2 binary=$3 user=$4 name t arch
  name=$(basename "$binary")
  arch=$(go env GOARCH)
  t=$(mktemp -d)
  mkdir -p "$t/rootfs" "$t/layout"
  cp "$binary" "$t/rootfs/$name" && chmod 0755 "$t/rootfs/$name"
  tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$t/rootfs" -cf "$t/layer.tar" "$name"
  local layer layer_digest layer_size
  layer=$(blob "$t/layout" "$t/layer.tar"); layer_digest=${layer% *}; layer_size=${layer#* }
  printf '{"architecture":"%s","os":"linux","config":{"User":"%s","Entrypoint":["/%s"],"Env":["PATH=/"]},"rootfs":{"type":"layers","diff_ids":["%s"]},"history":[{"created_by":"relaylab cluster/build.sh: /%s"}]}' \
    "$arch" "$user" "$name" "$layer_digest" "$name" >"$t/config.json"
  local config config_digest config_size
  config=$(blob "$t/layout" "$t/config.json"); config_digest=${config% *}; config_size=${config#* }
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"%s","size":%s}]}' \
    "$config_digest" "$config_size" "$layer_digest" "$layer_size" >"$t/manifest.json"
  local manifest manifest_digest manifest_size
  manifest=$(blob "$t/layout" "$t/manifest.json"); manifest_digest=${manifest% *}; manifest_size=${manifest#* }
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%s","size":%s,"platform":{"architecture":"%s","os":"linux"},"annotations":{"io.containerd.image.name":"%s","org.opencontainers.image.ref.name":"%s"}}]}' \
    "$manifest_digest" "$manifest_size" "$arch" "$image" "$image" >"$t/layout/index.json"
  printf '{"imageLayoutVersion":"1.0.0"}' >"$t/layout/oci-layout"
  tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$t/layout" -cf "$out_file" oci-layout index.json blobs
  rm -rf "$t"
}

# The sandbox runs as 65535 like registry.k8s.io/pause; the probe as 65532 (distroless "nonroot"),
# so it fits pods with runAsNonRoot.
build_images() {
  local w=$out/src/images
  rm -rf "$w" && mkdir -p "$w"
  oci_archive "$w/pause.oci.tar" "$PAUSE_IMAGE" "$bin/pause" 65535:65535
  oci_archive "$w/probe.oci.tar" "$PROBE_IMAGE" "$bin/probe" 65532:65532
  install images "$recipe_images" "$w" images pause.oci.tar probe.oci.tar
}

total=$SECONDS
fresh containerd "$recipe_containerd" "${CONTAINERD_TOOLS[@]/#/bin/}" || timed "containerd $CONTAINERD_VERSION" build_containerd
fresh coredns "$recipe_coredns" bin/coredns || timed "coredns $COREDNS_VERSION" build_coredns
fresh tools "$recipe_tools" bin/pause bin/probe || timed "pause and probe" build_tools
fresh images "$recipe_images" images/pause.oci.tar images/probe.oci.tar || timed "images $PAUSE_IMAGE $PROBE_IMAGE" build_images
all_fresh || die "a component is still missing after the build"
log "all cluster parts in $out ($((SECONDS - total)) s)"
echo "$k8s_bin $bin $images"
