// SPDX-License-Identifier: Apache-2.0
/**
 * The builders are made of the constructs `cdk8s import` generated (src/resources/imports). A
 * misspelt field is a compile error: the type check of the tests fails if the @ts-expect-error
 * below stops being needed. At run time the constructs' serializers keep only the schema's fields.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { App, Chart } from "cdk8s";
import { IntOrString, KubeStatefulSet } from "../../src/resources/imports/k8s.js";

describe("typed constructs", () => {
  it("reject a misspelt probe field at compile time and leave it out of the manifest", () => {
    const chart = new Chart(new App(), "typed", { disableResourceNameHashes: true });
    const httpGet = { path: "/readyz", port: IntOrString.fromString("metrics") };
    new KubeStatefulSet(chart, "sts", {
      spec: {
        serviceName: "peers",
        selector: { matchLabels: { app: "node" } },
        template: {
          spec: {
            containers: [
              {
                name: "node",
                readinessProbe: {
                  httpGet,
                  // @ts-expect-error `periodSecond` is not a Probe field (`periodSeconds` is)
                  periodSecond: 5,
                },
              },
            ],
          },
        },
      },
    });
    const [sts] = chart.toJson() as { spec: { template: { spec: { containers: { readinessProbe: unknown }[] } } } }[];
    assert.deepEqual(sts?.spec.template.spec.containers[0]?.readinessProbe, { httpGet: { path: "/readyz", port: "metrics" } });
  });
});
