// SPDX-License-Identifier: Apache-2.0
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { parseGenesis } from "@relaylab/node/config";
import { X509Certificate } from "node:crypto";
import { certificateProblems, generateIdentity } from "@relaylab/node/identity";
import { genesisDocument, genesisForSubnet, placeNodes } from "../../src/genesis/index.js";
import { dataCenter, subnet } from "../fixtures.js";

const dcs = [dataCenter("dc-a"), dataCenter("dc-b"), dataCenter("dc-c")];
const identities = Array.from({ length: 16 }, () => generateIdentity());
const keys = identities.map((id) => id.secretKey);

function build(spec: Parameters<typeof subnet>[1]) {
  const sn = subnet("beta", { dataCenters: { names: ["dc-a", "dc-b", "dc-c"] }, ...spec });
  const placements = placeNodes(sn, dcs);
  return genesisForSubnet({ subnet: sn, placements, identitySecrets: keys, addressOf: (i, p) => `beta-${p.dataCenter}-${i}.beta-peers:7000` });
}

describe("genesisForSubnet", () => {
  it("builds a genesis document the node accepts, with spec defaults filled in", () => {
    const g = parseGenesis(build({ nodes: 16, groups: 4, groupSize: 7, timings: { minRoundPeriodMs: 0 } }));
    assert.equal(g.subnet, "beta");
    assert.equal(g.nodes.length, 16);
    assert.deepEqual(g.groups, { count: 4, size: 7, threshold: 4, unsafeAllowMinorityThreshold: false });
    assert.deepEqual(g.timings, { minRoundPeriodMs: 0, shareRetransmitMs: 500, stallTimeoutMs: 5000, dkgTimeoutMs: 30000 });
    assert.equal(g.nodes[15]!.address, "beta-dc-c-15.beta-peers:7000");
    assert.equal(g.nodes[15]!.identityKey, identities[15]!.publicKey);
    assert.match(g.seed, /^[0-9a-f]{64}$/);
  });

  it("derives the same seed for the same parameters and a new one when they change", () => {
    const a = build({ nodes: 16, groups: 4, groupSize: 7 });
    assert.equal(build({ nodes: 16, groups: 4, groupSize: 7 }).seed, a.seed);
    assert.equal(genesisDocument(build({ nodes: 16, groups: 4, groupSize: 7 })).hash, genesisDocument(a).hash);
    assert.notEqual(build({ nodes: 16, groups: 5, groupSize: 7 }).seed, a.seed);
    assert.notEqual(build({ nodes: 16, groups: 4, groupSize: 7, threshold: 5 }).seed, a.seed);
  });

  it("gives each node a TLS certificate issued by its own identity key, which genesis pins", () => {
    const g = parseGenesis(build({ nodes: 16, groups: 4, groupSize: 7 }));
    g.nodes.forEach((n, i) => {
      assert.deepEqual(certificateProblems(n.certificate ?? "", identities[i]!.publicKey), [], `node ${i}`);
      assert.match(new X509Certificate(n.certificate ?? "").subject, new RegExp(`CN=beta/node-${i}$`));
    });
    assert.notEqual(g.nodes[0]!.certificate, g.nodes[1]!.certificate);
  });

  it("refuses to build without a key for every node", () => {
    const sn = subnet("beta", { nodes: 3, groupSize: 3 });
    const placements = placeNodes(sn, dcs);
    assert.throws(() => genesisForSubnet({ subnet: sn, placements, identitySecrets: keys.slice(0, 2), addressOf: () => "h:1" }), /no identity key for node 2/);
  });
});
