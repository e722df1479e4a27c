// SPDX-License-Identifier: Apache-2.0
// relaylab_p2p_bytes_total{message} is read off the envelope's one set field; an envelope with none is "sync".
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Envelope } from "../../src/gen/relaylab/v1/protocol.js";
import { envelopeKind } from "../../src/net/envelope.js";
import type { P2PMessageKind } from "../../src/metrics/names.js";

test("each envelope field maps to its traffic kind", () => {
  const cases: [keyof Envelope, P2PMessageKind][] = [
    ["share", "share"],
    ["beacon", "beacon"],
    ["dkg", "dkg"],
    ["block", "block"],
    ["notarizationShare", "notarization_share"],
    ["finalizationShare", "finalization_share"],
    ["notarization", "certificate"],
    ["finalization", "certificate"],
    ["ingress", "ingress"],
  ];
  // Only presence matters to the classification, so an empty object stands for each message.
  for (const [field, kind] of cases) assert.equal(envelopeKind({ [field]: {} }), kind, field);
  assert.equal(envelopeKind({}), "sync");
});
