// SPDX-License-Identifier: Apache-2.0
// Joint-Feldman DKG with 0, 1 and g−t dishonest dealers: honest members agree on the group key and the
// qualified set, dishonest dealers are excluded, and a threshold signature from the DKG shares verifies.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { createMclBackend } from "../../src/crypto/backend/index.js";
import { CryptoError, Dkg, NOBLE_COMMITMENTS, partialSign, publicKeyOf, recoverVerified, verify, type CommitmentGroup, type DkgResult } from "../../src/crypto/index.js";
import { ACCOMPLICE, runDkg, testSigners, type Behaviour, type RunOptions } from "./dkg-harness.js";
import { utf8 } from "./fixtures.js";

const G = 7;
const T = 4;

/** Runs a DKG and checks everything honest members must agree on; returns their results. */
function honestResults(behaviours: Map<number, Behaviour>, network: Omit<RunOptions, "members" | "threshold" | "behaviours"> = {}): { results: DkgResult[]; qualified: number[]; timeouts: number } {
  const { dkgs, timeouts } = runDkg({ members: G, threshold: T, behaviours, ...network });
  const honest = dkgs.filter((_, i) => (behaviours.get(i + 1) ?? "honest") === "honest");
  const results = honest.map((dkg) => {
    assert.equal(dkg.phase, "done", dkg.failureReason);
    assert.ok(dkg.result);
    return dkg.result;
  });
  const [first] = results;
  assert.ok(first);
  for (const result of results) {
    assert.deepEqual(result.groupPublicKey, first.groupPublicKey);
    assert.deepEqual(result.qualified, first.qualified);
    assert.deepEqual(result.commitments, first.commitments);
    assert.deepEqual(result.publicKeyShares, first.publicKeyShares);
    assert.deepEqual(result.groupPublicKey, result.commitments[0]);
    assert.deepEqual(result.publicKeyShares[result.secretShare.index - 1], publicKeyOf(result.secretShare.secret));
  }
  return { results, qualified: first.qualified, timeouts };
}

/** t honest members sign; the recovered signature verifies against the DKG's group key. */
function assertThresholdSignatureWorks(results: readonly DkgResult[]): void {
  const [first] = results;
  assert.ok(first);
  const message = utf8("first beacon");
  const partials = results.slice(0, T).map((r) => partialSign(r.secretShare, message));
  const { signature, invalid } = recoverVerified({
    groupPublicKey: first.groupPublicKey,
    message,
    partials,
    threshold: T,
    publicKeyShare: (i) => first.publicKeyShares[i - 1] ?? new Uint8Array(),
  });
  assert.deepEqual(invalid, []);
  assert.equal(verify(first.groupPublicKey, message, signature), true);
}

/** One dishonest dealer (member 7) of each kind, and whether honest members end up keeping it. */
const single: [Behaviour, boolean][] = [
  ["bad-share", false],
  ["bad-share-justified", true],
  ["bad-commitment", false],
  ["malformed-commitment", false],
  ["equivocate", false],
  ["silent", false],
  // Its response reaches only half the group (relays bring it to the rest); its deal is fine.
  ["split-responses", true],
  ["victim-malformed-commitment", true],
  // The victim keeps the agreed commitments and takes only a share that matches them: none does, so it stays
  // a complainer whose complaint the public justification answers.
  ["resend-other-commitments", true],
  // It complains against every other dealer: each answers with a justification, and all of them are kept.
  ["false-complaints", true],
];

describe("DKG", () => {
  it("all honest: finishes by fast sync without any timeout; everyone qualified", () => {
    const { results, qualified, timeouts } = honestResults(new Map());
    assert.equal(timeouts, 0);
    assert.deepEqual(qualified, [1, 2, 3, 4, 5, 6, 7]);
    assertThresholdSignatureWorks(results);
  });

  it("ignores duplicated messages", () => {
    const { qualified } = honestResults(new Map(), { duplicate: true });
    assert.deepEqual(qualified, [1, 2, 3, 4, 5, 6, 7]);
  });

  for (const [behaviour, stays] of single) {
    it(`one dishonest dealer (${behaviour}) is ${stays ? "kept after justifying" : "excluded"}`, () => {
      const { results, qualified } = honestResults(new Map([[7, behaviour]]));
      assert.equal(qualified.includes(7), stays);
      assert.deepEqual(qualified.filter((d) => d !== 7), [1, 2, 3, 4, 5, 6]);
      assertThresholdSignatureWorks(results);
    });
  }

  it("a dealer that justified counts its own justification: it qualifies itself and keeps its share like everyone", () => {
    const { dkgs } = runDkg({ members: G, threshold: T, behaviours: new Map([[7, "bad-share-justified"]]) });
    const dealer = dkgs[6];
    const honest = dkgs[0];
    assert.equal(dealer?.phase, "done", dealer?.failureReason);
    assert.ok(dealer.result && honest?.result);
    assert.deepEqual(dealer.result.qualified, [1, 2, 3, 4, 5, 6, 7]);
    assert.deepEqual(dealer.result.groupPublicKey, honest.result.groupPublicKey);
    assert.deepEqual(dealer.result.publicKeyShares[6], publicKeyOf(dealer.result.secretShare.secret));
  });

  const mixes: [string, Behaviour[]][] = [
    ["bad share, equivocation, silence", ["bad-share", "equivocate", "silent"]],
    ["bad and malformed commitments, bad share", ["bad-commitment", "malformed-commitment", "bad-share"]],
  ];
  for (const [name, kinds] of mixes) {
    it(`g−t dishonest dealers (${name}) are all excluded`, () => {
      const behaviours = new Map<number, Behaviour>(kinds.map((kind, i) => [T + 1 + i, kind]));
      const { results, qualified } = honestResults(behaviours);
      assert.deepEqual(qualified, [1, 2, 3, 4]);
      assertThresholdSignatureWorks(results);
    });
  }

  // Attacks on a unanimity rule over unsigned, unagreed responses: one liar could disqualify every dealer, and a
  // response shown to half the group could split it. Dealer-signed digests and pooled, relayed evidence stop both.
  it("a member reporting random commitment digests changes nothing: every dealer qualifies", () => {
    const { results, qualified } = honestResults(new Map([[7, "lying-digests"]]));
    assert.deepEqual(qualified, [1, 2, 3, 4, 5, 6, 7]);
    assertThresholdSignatureWorks(results);
  });

  it("a dealer showing other commitments to an accomplice who tells only half the group cannot split it", () => {
    // Dealer 7 equivocates towards member ACCOMPLICE only; the accomplice's response (which shows it) reaches
    // only the odd members. Without relays and an agreement on the responses, odd members would disqualify
    // dealer 7 and even members qualify it: two group keys.
    const behaviours = new Map<number, Behaviour>([
      [7, "equivocate-to-accomplice"],
      [ACCOMPLICE, "split-responses"],
    ]);
    for (const slowRelays of [false, true]) {
      // With slow relays every member has one response from each member before any relayed one arrives: only
      // the views in the justifications keep the even members from ending before the accomplice's evidence.
      const { results, qualified } = honestResults(behaviours, { slowRelays });
      assert.deepEqual(qualified, [1, 2, 3, 4, 5, 6]);
      assertThresholdSignatureWorks(results);
    }
  });

  it("a complaint shown to half the group reaches all of it: the dealer answers it late and everyone keeps it", () => {
    // Member ACCOMPLICE complains against dealer 1 only towards the even members; relays bring that response to
    // dealer 1 after its response phase, and its late justification answers the complaint for everyone.
    const { results, qualified } = honestResults(new Map<number, Behaviour>([[ACCOMPLICE, "split-complaints"]]));
    assert.deepEqual(qualified, [1, 2, 3, 4, 5, 6, 7]);
    assertThresholdSignatureWorks(results);
  });

  it("a dealer whose commitments leave G2 (yet pass every Feldman check) is excluded at the end", () => {
    // (x^13 − x) needs degree 13, so t = 14 here.
    const { dkgs } = runDkg({ members: 15, threshold: 14, behaviours: new Map([[15, "torsion-commitment"]]) });
    const results = dkgs.slice(0, 14).map((d) => d.result);
    for (const result of results) {
      assert.ok(result);
      assert.deepEqual(result.qualified, Array.from({ length: 14 }, (_, i) => i + 1));
      assert.deepEqual(result.groupPublicKey, results[0]?.groupPublicKey);
    }
  });

  it("fails with a reason when fewer than t dealers qualify", () => {
    const behaviours = new Map<number, Behaviour>([
      [4, "silent"],
      [5, "silent"],
      [6, "silent"],
      [7, "silent"],
    ]);
    const { dkgs } = runDkg({ members: G, threshold: T, behaviours });
    for (const dkg of dkgs.slice(0, 3)) {
      assert.equal(dkg.phase, "failed");
      assert.equal(dkg.result, undefined);
      assert.match(dkg.failureReason ?? "", /only [0-3] dealers qualified, the threshold is 4/);
    }
  });

  it("ignores messages from non-members, for other members, and of past phases", () => {
    const [signerA, signerB] = testSigners(2);
    assert.ok(signerA && signerB);
    const a = new Dkg({ self: 1, members: 2, threshold: 2, signer: signerA });
    const b = new Dkg({ self: 2, members: 2, threshold: 2, signer: signerB });
    const [dealToB] = a.start();
    const [dealToA] = b.start();
    assert.ok(dealToA?.type === "deal" && dealToB?.type === "deal");
    assert.deepEqual(a.receive({ ...dealToA, from: 3 }), []);
    assert.deepEqual(a.receive({ ...dealToA, to: 2 }), []);
    assert.equal(a.phase, "deal");
    const [response] = a.receive(dealToA);
    assert.equal(a.phase, "response");
    assert.deepEqual(a.receive(dealToA), []);
    assert.ok(response?.type === "response");
    assert.deepEqual(response.complaints, []);
  });

  it("rejects an impossible configuration with CryptoError", () => {
    const [signer] = testSigners(1);
    assert.ok(signer);
    assert.throws(() => new Dkg({ self: 0, members: 3, threshold: 2, signer }), CryptoError);
    assert.throws(() => new Dkg({ self: 4, members: 3, threshold: 2, signer }), CryptoError);
    assert.throws(() => new Dkg({ self: 1, members: 3, threshold: 4, signer }), CryptoError);
  });
});

// A node's DKG runs on its crypto backend: members on noble and on mcl-wasm must reach the same verdicts and bytes,
// the adversaries included (mcl decodes on the curve only and leaves the subgroup check to the sum, as noble does).
describe("DKG with members on different backends (odd members noble, even members mcl-wasm)", () => {
  let mcl: CommitmentGroup = NOBLE_COMMITMENTS;
  before(async () => {
    mcl = (await createMclBackend()).commitments;
  });
  const groupOf = (member: number): CommitmentGroup => (member % 2 === 0 ? mcl : NOBLE_COMMITMENTS);

  it("all honest: everyone qualified, one group key, and its threshold signature verifies", () => {
    assert.notEqual(mcl, NOBLE_COMMITMENTS);
    const { results, qualified, timeouts } = honestResults(new Map(), { groupOf });
    assert.equal(timeouts, 0);
    assert.deepEqual(qualified, [1, 2, 3, 4, 5, 6, 7]);
    assertThresholdSignatureWorks(results);
  });

  for (const [behaviour, stays] of single) {
    it(`one dishonest dealer (${behaviour}) is ${stays ? "kept" : "excluded"} by both`, () => {
      const { results, qualified } = honestResults(new Map([[7, behaviour]]), { groupOf });
      assert.equal(qualified.includes(7), stays);
      assertThresholdSignatureWorks(results);
    });
  }

  it("a dealer whose commitments leave G2 is excluded by both", () => {
    const { dkgs } = runDkg({ members: 15, threshold: 14, behaviours: new Map([[15, "torsion-commitment"]]), groupOf });
    const results = dkgs.slice(0, 14).map((d) => d.result);
    for (const result of results) {
      assert.ok(result);
      assert.deepEqual(result.qualified, Array.from({ length: 14 }, (_, i) => i + 1));
      assert.deepEqual(result.groupPublicKey, results[0]?.groupPublicKey);
    }
  });
});
