// SPDX-License-Identifier: Apache-2.0
/**
 * The impostor step: this process, outside the subnet, opens peer streams to a target node posing as another
 * node, and counts the Hellos the target did not refuse. Three Hellos, each followed by a share under the posed
 * node's index:
 * - replayed: the posed node's genuine Hello for an earlier stream (as one who saw it would hold it);
 * - relayed: the posed node's Hello for this stream's challenge, but addressed to another node (as a byzantine
 *   receiver would pass on one it was sent);
 * - forged: a Hello claiming the posed node, signed by another key.
 * The first two need the posed node's identity key, which only a local testnet's run directory gives this
 * process; elsewhere only the forged one is sent.
 */
import { status, type StatusObject } from "@grpc/grpc-js";
import { Envelope } from "@relaylab/node/gen/relaylab/v1/protocol";
import { probeExchange, signedHello } from "@relaylab/node/client";
import { generateIdentity } from "@relaylab/node/identity";
import type { TestnetPort } from "../testnet/port.js";

/** Tries per Hello when the node gave no answer at all (the channel failed or timed out): that is no verdict. */
const TRIES = 3;

/** The node's answer to `send`, tried again while there was none. */
async function answered(send: () => Promise<StatusObject>): Promise<StatusObject> {
  let last = await send();
  for (let i = 1; i < TRIES && (last.code === status.DEADLINE_EXCEEDED || last.code === status.UNAVAILABLE); i++) last = await send();
  return last;
}

export interface ImpostorResult {
  readonly attempts: number;
  /** "replayed Hello to node 3: OK", for each Hello the target did not refuse. */
  readonly notRefused: string[];
}

/** Sends node `victim` the impostor's Hellos posing as node `posingAs`. */
export async function impostorAt(testnet: Pick<TestnetPort, "genesis" | "endpoints" | "identitySecret">, victim: number, posingAs: number): Promise<ImpostorResult> {
  const endpoint = testnet.endpoints[victim];
  if (endpoint === undefined) throw new Error(`no node ${victim}`);
  const subnet = testnet.genesis.subnet;
  const hello = (to: number, challenge: Uint8Array, secret: Uint8Array): Uint8Array => signedHello({ subnet, from: posingAs, to, challenge, timeMs: Date.now() }, secret);
  const share = Envelope.encode({ share: { round: 1n << 40n, group: 0, index: 1, signature: new Uint8Array(48), epoch: 0n } }).finish();
  const knock = (build: (challenge: Uint8Array) => Uint8Array[]) => probeExchange(endpoint.grpc, endpoint.certificate, build);

  const attempts: { what: string; send: () => Promise<StatusObject> }[] = [];
  const secret = testnet.identitySecret(posingAs);
  if (secret !== undefined) {
    attempts.push({
      what: "replayed Hello",
      send: async () => {
        let captured: Uint8Array = new Uint8Array();
        await knock((challenge) => [(captured = hello(victim, challenge, secret))]);
        return knock(() => [captured, share]);
      },
    });
    const elsewhere = testnet.endpoints.map((e) => e.index).find((i) => i !== victim && i !== posingAs) ?? posingAs;
    attempts.push({ what: "relayed Hello", send: () => knock((challenge) => [hello(elsewhere, challenge, secret), share]) });
  }
  const stranger = Buffer.from(generateIdentity().secretKey, "hex");
  attempts.push({ what: "forged Hello", send: () => knock((challenge) => [hello(victim, challenge, stranger), share]) });

  const notRefused: string[] = [];
  for (const a of attempts) {
    const answer = await answered(a.send);
    if (answer.code === status.UNAUTHENTICATED) continue;
    const details = answer.details === "" || answer.details === status[answer.code] ? "" : ` (${answer.details})`;
    notRefused.push(`${a.what} to node ${victim}: ${status[answer.code]}${details}`);
  }
  return { attempts: attempts.length, notRefused };
}
