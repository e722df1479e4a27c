// SPDX-License-Identifier: Apache-2.0
/** A throwaway subnet for tests: genesis, identity keys and data dirs in a temp dir, addresses on free ports. */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseGenesis, type Genesis, type GenesisInput } from "../../src/config/index.js";
import { nodeCertificate } from "../../src/identity/certificate.js";
import { generateIdentity, type Identity } from "../../src/identity/index.js";
import { freePorts } from "./ports.js";

export interface TestnetSpec {
  readonly nodes: number;
  readonly groups: number;
  readonly size: number;
  readonly threshold?: number;
  readonly unsafeAllowMinorityThreshold?: boolean;
  /** Give the nodes no certificates: every link is plaintext h2c (by default each node serves TLS, as in a real testnet). */
  readonly plaintext?: boolean;
  readonly timings?: Partial<Genesis["timings"]>;
  readonly consensus?: Partial<Genesis["consensus"]>;
  readonly dataCenters?: readonly string[];
  readonly seed?: string;
  readonly epochLength?: number;
}

export interface Testnet {
  readonly dir: string;
  readonly genesisFile: string;
  readonly genesis: Genesis;
  readonly identities: readonly Identity[];
  keyFile(index: number): string;
  dataDir(index: number): string;
  remove(): void;
}

/** Fast defaults for tests: short periods and timeouts, generous enough for a busy 2-core machine. */
export const TEST_TIMINGS = { minRoundPeriodMs: 100, shareRetransmitMs: 400, stallTimeoutMs: 4000, dkgTimeoutMs: 60_000 };

export async function createTestnet(spec: TestnetSpec): Promise<Testnet> {
  const dir = mkdtempSync(join(tmpdir(), "relaylab-testnet-"));
  const ports = await freePorts(spec.nodes);
  const identities = Array.from({ length: spec.nodes }, () => generateIdentity());
  const dcs = spec.dataCenters ?? ["dc-a", "dc-b"];
  const input: GenesisInput = {
    version: 1,
    subnet: "test",
    seed: spec.seed ?? Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("hex"),
    nodes: identities.map((id, index) => ({
      index,
      address: `127.0.0.1:${ports[index]}`,
      identityKey: id.publicKey,
      dataCenter: dcs[index % dcs.length] ?? "dc-a",
      ...(spec.plaintext ? {} : { certificate: nodeCertificate(id.secretKey, "test", index) }),
    })),
    groups: { count: spec.groups, size: spec.size, ...(spec.threshold !== undefined ? { threshold: spec.threshold } : {}), ...(spec.unsafeAllowMinorityThreshold ? { unsafeAllowMinorityThreshold: true } : {}) },
    timings: { ...TEST_TIMINGS, ...spec.timings },
    epochLength: spec.epochLength ?? 0,
    ...(spec.consensus ? { consensus: spec.consensus } : {}),
  };
  const genesis = parseGenesis(input);
  const genesisFile = join(dir, "genesis.json");
  writeFileSync(genesisFile, JSON.stringify(input, null, 2));
  identities.forEach((id, i) => writeFileSync(join(dir, `node-${i}.key`), id.secretKey, { mode: 0o600 }));
  return {
    dir,
    genesisFile,
    genesis,
    identities,
    keyFile: (i) => join(dir, `node-${i}.key`),
    dataDir: (i) => join(dir, `data-${i}`),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
