// SPDX-License-Identifier: Apache-2.0
/**
 * Fires an experiment's steps against a running testnet (any provider of the testnet port) when
 * their round (or second) comes, undoes them when their `for` elapses, and records what it did.
 *
 * A node's faults are always its topology baseline plus the overlays of the steps that are
 * active on it; every change sends the whole composed set (SetFaults replaces, never merges).
 */
import type { ByzantineBehaviour } from "../api/index.js";
import type { FaultSetSpec, LinkFaultSpec } from "../genesis/index.js";
import type { Progress } from "../local/progress.js";
import type { TestnetPort } from "../testnet/port.js";
import type { Step } from "../api/index.js";
import type { RunnableExperiment } from "./experiment.js";
import type { ChaosRecord, StepRecord } from "./record.js";
import { impostorAt } from "./impostor.js";
import { seededRandom, selectVictims } from "./selectors.js";

interface Overlay {
  readonly links: LinkFaultSpec[];
  readonly byzantine: ByzantineBehaviour[];
}

const NO_LINK: LinkFaultSpec = { peers: [], dataCenters: [], delayMs: 0, jitterMs: 0, loss: 0, bandwidthBps: 0, partition: false };

export class ChaosEngine {
  readonly records: StepRecord[] = [];
  readonly #testnet: TestnetPort;
  readonly #steps: readonly Step[];
  readonly #replay: ReadonlyMap<string, StepRecord> | undefined;
  readonly #progress: Progress;
  readonly #random: () => number;
  readonly #overlays = new Map<number, Map<string, Overlay>>();
  readonly #fired = new Map<string, StepRecord>();
  readonly #ended = new Set<string>();
  readonly #victims = new Map<string, number[]>();
  readonly #startedAt = performance.now();
  #busy: Promise<void> = Promise.resolve();

  constructor(testnet: TestnetPort, experiment: RunnableExperiment, progress: Progress, replay?: ChaosRecord) {
    this.#testnet = testnet;
    this.#steps = experiment.spec.steps;
    this.#progress = progress;
    this.#random = seededRandom(replay?.selectorSeed ?? experiment.spec.seed);
    this.#replay = replay ? new Map(replay.steps.map((s) => [s.name, s])) : undefined;
  }

  /** Checks for due steps; call on every new round and on a timer. Steps run one at a time, in order. */
  tick(): Promise<void> {
    this.#busy = this.#busy.then(() => this.#tick()).catch((err: unknown) => this.#progress.message(`chaos: ${(err as Error).message}`));
    return this.#busy;
  }

  /** Waits for in-flight steps to finish. */
  settle(): Promise<void> {
    return this.#busy;
  }

  record(experiment: string, genesisSeed: string, selectorSeed: number, roundIntervals: readonly number[]): ChaosRecord {
    return { experiment, genesisSeed, selectorSeed, steps: this.records, roundIntervals: [...roundIntervals] };
  }

  async #tick(): Promise<void> {
    const round = this.#testnet.observer.round;
    const seconds = (performance.now() - this.#startedAt) / 1000;
    for (const step of this.#steps) {
      const fired = this.#fired.get(step.name);
      if (!fired && this.#due(step, round, seconds)) await this.#fire(step, round, seconds);
      else if (fired && step.for && !this.#ended.has(step.name)) {
        const due = step.for.round !== undefined ? round >= fired.firedAtRound + step.for.round : seconds >= fired.firedAtSeconds + (step.for.seconds ?? 0);
        if (due) await this.#undo(step, fired, round);
      }
    }
  }

  #due(step: Step, round: number, seconds: number): boolean {
    const replayed = this.#replay?.get(step.name);
    if (replayed) return round >= replayed.firedAtRound;
    return step.at.round !== undefined ? round >= step.at.round : seconds >= (step.at.seconds ?? 0);
  }

  async #fire(step: Step, round: number, seconds: number): Promise<void> {
    const record: StepRecord = { name: step.name, action: step.action, firedAtRound: round, firedAtSeconds: Math.round(seconds * 1000) / 1000, victims: [] };
    this.#fired.set(step.name, record);
    this.records.push(record);
    try {
      const victims = this.#replay?.get(step.name)?.victims ?? selectVictims(step.target, this.#context(round));
      record.victims = victims;
      this.#victims.set(step.name, victims);
      this.#progress.message(`chaos: round ${round}: ${step.name}: ${step.action} nodes ${victims.join(",")}`);
      await this.#apply(step, victims, record);
    } catch (err) {
      record.error = (err as Error).message;
      this.#progress.message(`chaos: step '${step.name}' failed: ${record.error}`);
    }
  }

  async #undo(step: Step, fired: StepRecord, round: number): Promise<void> {
    this.#ended.add(step.name);
    fired.endedAtRound = round;
    fired.finalizedAtEnd = this.#testnet.observer.finality.highestHeight;
    this.#progress.message(`chaos: round ${round}: ${step.name}: ends`);
    if (step.action === "crash") {
      await this.#restart(fired.victims);
      return;
    }
    const touched = new Set<number>();
    for (const [node, overlays] of this.#overlays) if (overlays.delete(step.name)) touched.add(node);
    await Promise.all([...touched].map((n) => this.#push(n)));
  }

  #context(round: number) {
    const ledger = this.#testnet.observer.ledger;
    const epoch = ledger.round(round)?.epoch ?? 0;
    return {
      dataCenters: this.#testnet.endpoints.map((e) => e.dataCenter),
      groups: ledger.groupSet(epoch),
      round,
      beacon: (r: number) => {
        const hex = ledger.round(r)?.signatureHex;
        return hex ? Uint8Array.from(Buffer.from(hex, "hex")) : undefined;
      },
      stepVictims: this.#victims,
      random: this.#random,
    };
  }

  async #apply(step: Step, victims: readonly number[], record: StepRecord): Promise<void> {
    const all = this.#testnet.endpoints.map((e) => e.index);
    const others = all.filter((i) => !victims.includes(i));
    switch (step.action) {
      case "partition": {
        for (const v of victims) this.#overlay(v, step.name, { links: [{ ...NO_LINK, peers: others, partition: true }], byzantine: [] });
        for (const o of others) this.#overlay(o, step.name, { links: [{ ...NO_LINK, peers: [...victims], partition: true }], byzantine: [] });
        await Promise.all(all.map((n) => this.#push(n)));
        return;
      }
      case "delay":
      case "loss":
      case "bandwidth": {
        const link: LinkFaultSpec = { ...NO_LINK, delayMs: step.delayMs ?? 0, jitterMs: step.jitterMs ?? 0, loss: step.loss ?? 0, bandwidthBps: step.bandwidthBps ?? 0 };
        for (const v of victims) this.#overlay(v, step.name, { links: [link], byzantine: [] });
        await Promise.all(victims.map((n) => this.#push(n)));
        return;
      }
      case "byzantine": {
        for (const v of victims) this.#overlay(v, step.name, { links: [], byzantine: step.behaviour ? [step.behaviour] : [] });
        await Promise.all(victims.map((n) => this.#push(n)));
        return;
      }
      case "pause":
        // A pause is one-shot: later fault pushes to these nodes must not start it again.
        await Promise.all(victims.map((n) => this.#testnet.setFaults(n, { ...this.#composed(n), pauseMs: step.pauseMs ?? 0 })));
        return;
      case "crash":
        await Promise.all(victims.map((n) => this.#testnet.crash(n)));
        return;
      case "restart":
        await this.#restart(victims);
        return;
      case "heal": {
        for (const v of victims) this.#overlays.get(v)?.clear();
        await Promise.all(victims.map((n) => this.#push(n)));
        return;
      }
      case "impostor": {
        const posingAs = others[0];
        if (posingAs === undefined) throw new Error("an impostor poses as a node that is not a target: leave at least one node out of the target");
        let attempts = 0;
        const notRefused: string[] = [];
        for (const v of victims) {
          const r = await impostorAt(this.#testnet, v, posingAs);
          attempts += r.attempts;
          notRefused.push(...r.notRefused);
        }
        record.impostor = { attempts, notRefused };
        return;
      }
    }
  }

  async #restart(victims: readonly number[]): Promise<void> {
    const running = this.#testnet.running();
    await Promise.all(victims.filter((v) => !running.includes(v)).map((v) => this.#testnet.restart(v)));
    // A restarted node starts from its baseline faults; give it back the overlays in force.
    await Promise.all(victims.map((n) => this.#pushWhenUp(n)));
  }

  #overlay(node: number, step: string, overlay: Overlay): void {
    let m = this.#overlays.get(node);
    if (!m) this.#overlays.set(node, (m = new Map<string, Overlay>()));
    m.set(step, overlay);
  }

  #composed(node: number): FaultSetSpec {
    const base = this.#testnet.baselineFaults(node);
    const overlays = [...(this.#overlays.get(node)?.values() ?? [])];
    return {
      links: [...base.links, ...overlays.flatMap((o) => o.links)],
      byzantine: [...new Set([...base.byzantine, ...overlays.flatMap((o) => o.byzantine)])],
      selectivePeers: base.selectivePeers,
      pauseMs: 0,
    };
  }

  async #push(node: number): Promise<void> {
    if (!this.#testnet.running().includes(node)) return;
    await this.#testnet.setFaults(node, this.#composed(node));
  }

  async #pushWhenUp(node: number, deadlineMs = 60_000): Promise<void> {
    const until = Date.now() + deadlineMs;
    for (;;) {
      try {
        await this.#push(node);
        return;
      } catch (err) {
        if (Date.now() > until) throw new Error(`node ${node} did not come back within ${deadlineMs / 1000} s: ${(err as Error).message}`, { cause: err });
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  }
}
