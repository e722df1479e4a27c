#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# `npm run lint:chart`: helm lint --strict and helm template of charts/relaylab, with the default
# values and with every file in charts/relaylab/ci/. helm is built from its Go module by
# operator/test/k8s/bin/build.sh (cached under ~/.cache/relaylab/k8s); set HELM to use another.
set -euo pipefail
cd "$(dirname "$0")/.."
chart=charts/relaylab

helm=${HELM:-}
if [[ -z $helm ]]; then
  bin=$(operator/test/k8s/bin/build.sh) || { echo "lint:chart: building helm failed (operator/test/k8s/bin/build.sh)" >&2; exit 1; }
  helm=$bin/helm
fi
[[ -x $helm ]] || { echo "lint:chart: no helm at $helm" >&2; exit 1; }

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

for values in "" "$chart"/ci/*-values.yaml; do
  name=${values:+$(basename "$values" .yaml)}
  name=${name:-default}
  args=(--namespace relaylab)
  [[ -n $values ]] && args+=(--values "$values")
  "$helm" lint --strict "${args[@]}" "$chart" >"$out/lint-$name.txt" 2>&1 || { cat "$out/lint-$name.txt" >&2; echo "lint:chart: helm lint failed with $name values" >&2; exit 1; }
  "$helm" template relaylab "$chart" "${args[@]}" >"$out/$name.yaml" || { echo "lint:chart: helm template failed with $name values" >&2; exit 1; }
  echo "lint:chart: $name values: lint ok, $(grep -c '^kind:' "$out/$name.yaml") objects rendered"
done
