#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Regenerates the typed constructs the builders in ../ are made of, with cdk8s-cli's `cdk8s import`:
#   k8s.ts                    cdk8s import k8s@1.30.0: the oldest Kubernetes the chart's kubeVersion
#                             (>=1.30.0) admits, so a field newer than every supported cluster fails to compile
#   monitoring.coreos.com.ts  cdk8s import of the PodMonitor CRD of prometheus-operator v0.85.0 (the
#                             version whose CRDs the real-control-plane suite installs)
# Usage: operator/src/resources/imports/generate.sh
# Environment:
#   K8S_SCHEMA  a local copy of cdk8s's kubernetes-schemas/v1.30.0/_definitions.json (the file
#               `cdk8s import k8s@1.30.0` downloads), for machines that cannot reach it
# Needs npx (the npm registry) and go (the Go module proxy, for the prometheus-operator module).
set -euo pipefail

CDK8S_CLI_VERSION=2.207.60
K8S_VERSION=1.30.0
PROMETHEUS_OPERATOR_VERSION=v0.85.0

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

node_options=()
if [[ -n ${K8S_SCHEMA:-} ]]; then
  [[ -f $K8S_SCHEMA ]] || { echo "K8S_SCHEMA=$K8S_SCHEMA is not a file; point it at kubernetes-schemas/v$K8S_VERSION/_definitions.json" >&2; exit 1; }
  # cdk8s-cli follows a 302 Location that has no protocol by reading it as a file path: answer its
  # one schema download with a redirect to the local copy.
  cat >"$work/local-schema.cjs" <<'EOF'
const https = require("node:https");
const get = https.get;
https.get = function (url, ...rest) {
  if (typeof url === "string" && /\/kubernetes-schemas\/v[\d.]+\/_definitions\.json$/.test(url)) {
    const callback = rest.find((arg) => typeof arg === "function");
    const req = { once: () => req, on: () => req, end: () => callback({ statusCode: 302, headers: { location: process.env.K8S_SCHEMA } }) };
    return req;
  }
  return get.call(this, url, ...rest);
};
EOF
  node_options=(--require "$work/local-schema.cjs")
fi

crd_dir=$(cd "$work" && go mod download -json "github.com/prometheus-operator/prometheus-operator@$PROMETHEUS_OPERATOR_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p')/example/prometheus-operator-crd
cdk8s=(npx --yes "cdk8s-cli@$CDK8S_CLI_VERSION")
echo "cdk8s import k8s@$K8S_VERSION" >&2
NODE_OPTIONS="${node_options[*]}" "${cdk8s[@]}" import "k8s@$K8S_VERSION" --language typescript --output "$work/out" --no-save --no-check-upgrade >&2
echo "cdk8s import monitoring.coreos.com_podmonitors.yaml ($PROMETHEUS_OPERATOR_VERSION)" >&2
"${cdk8s[@]}" import "$crd_dir/monitoring.coreos.com_podmonitors.yaml" --language typescript --output "$work/out" --no-save --no-check-upgrade >&2

for f in k8s.ts monitoring.coreos.com.ts; do
  # The project compiles with verbatimModuleSyntax: the interfaces cdk8s exports must be type-only imports.
  sed -E "/^import .* from 'cdk8s';$/ s/\b(ApiObjectMetadata|GroupVersionKind)\b/type \1/g" "$work/out/$f" >"$here/$f"
  echo "wrote $here/$f" >&2
done
