// SPDX-License-Identifier: Apache-2.0
// Each envelope reaches the one protocol that owns its field; one that no protocol takes is dropped and counted.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Registry } from "prom-client";
import { Envelope } from "../../src/gen/relaylab/v1/protocol.js";
import { NODE_METRICS } from "../../src/metrics/names.js";
import { createMetrics } from "../../src/metrics/registry.js";
import { dispatchEnvelopes } from "../../src/net/dispatch.js";
import { sample } from "../harness/metrics.js";

test("shares and beacons go to the engine, DKG packets to the epochs, the rest to consensus or the malformed count", async () => {
  const registry = new Registry();
  const got: string[] = [];
  const dispatch = dispatchEnvelopes({
    beacon: { onShare: (from, _s, wire) => got.push(`share ${from} ${wire}`), onBeacon: (from) => got.push(`beacon ${from}`) },
    dkg: { receive: () => got.push("dkg") },
    // Consensus takes blocks only here, so an envelope with no field is left for the malformed count.
    consensus: { onEnvelope: (from, e) => (e.block ? got.push(`block ${from}`) > 0 : false) },
    metrics: createMetrics(registry),
  });
  // Envelope.fromPartial fills each message with its defaults: only which field is set matters here.
  const envelopes = [{ share: {} }, { beacon: {} }, { dkg: {} }, { block: {} }, {}].map((e) => Envelope.fromPartial(e));
  for (const e of envelopes) dispatch(2, e, 99);
  assert.deepEqual(got, ["share 2 99", "beacon 2", "dkg", "block 2"]);
  assert.equal(sample(await registry.metrics(), NODE_METRICS.messagesDropped, { reason: "malformed" }), 1);
});
