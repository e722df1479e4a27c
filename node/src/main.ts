// SPDX-License-Identifier: Apache-2.0
/**
 * relaylab node entry point (USAGE below). --crypto-backend picks the implementation of the round crypto
 * (share signing, beacon and certificate verification, recovery); default mcl-wasm (docs/performance.md §3).
 * The DKG always runs on noble. Bad flags or genesis: one line on stderr, exit 2. SIGTERM/SIGINT: graceful
 * shutdown, exit 0.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { parseGenesisJson, type Genesis } from "./config/index.js";
import { BACKEND_NAMES, DEFAULT_BACKEND, isBackendName, loadRoundCrypto, type BackendName, type RoundCrypto } from "./crypto/backend/index.js";
import { FaultSet } from "./gen/relaylab/v1/control.js";
import { identityPublicKey, parseKeyHex } from "./identity/index.js";
import { fetchIdentityKey, type IdentityFetchOptions } from "./lifecycle/identity-fetch.js";
import { createLogger } from "./log.js";
import { RelayNode } from "./node.js";
import { genesisDocumentHash } from "./store/data-dir.js";
import { parentPidFromEnv, watchParent } from "./lifecycle/parent-watch.js";
import { VERSION } from "./version.js";

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

const USAGE = `usage: relaylab-node --genesis FILE --index N --data-dir DIR
    [--identity-key-file FILE | --identity-from URL --identity-service-key FILE --identity-subnet NS/NAME --identity-token-file FILE]
    [--listen HOST:PORT] [--control-listen HOST:PORT] [--control-key FILE] [--metrics-listen HOST:PORT] [--faults FILE]
    [--log-level ${LOG_LEVELS.join("|")}] [--crypto-backend ${BACKEND_NAMES.join("|")}]
  relaylab-node --version | --help
The identity secret key (64 hex, ed25519 seed) comes from --identity-key-file, RELAYLAB_IDENTITY_KEY, or (on
Kubernetes) the operator's key service at --identity-from, which hands a pod only its own node's key.
With --control-key (the testnet's control public key, 64 hex), the Control API obeys only calls signed with
its secret half; a --control-listen address other than loopback requires it.
`;

/** What --version or --help asks to be printed instead of running a node. */
interface Info {
  print: string;
}

interface Flags {
  genesis: Genesis;
  /** sha256 of the genesis file: the data dir is bound to it. */
  genesisHash: string;
  index: number;
  dataDir: string;
  /** The identity key, or where to fetch it. */
  identity: { secretHex: string } | { fetch: Omit<IdentityFetchOptions, "log" | "index"> };
  listen: string;
  controlListen: string;
  controlKey: string | undefined;
  metricsListen: string;
  faults: FaultSet | undefined;
  logLevel: string;
  cryptoBackend: BackendName;
}

class UsageError extends Error {}

function readText(path: string, what: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    throw new UsageError(`cannot read ${what} ${path}: ${(err as Error).message}`);
  }
}

function parseFlags(argv: string[]): Flags | Info {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        genesis: { type: "string" },
        index: { type: "string" },
        "data-dir": { type: "string" },
        "identity-key-file": { type: "string" },
        "identity-from": { type: "string" },
        "identity-service-key": { type: "string" },
        "identity-subnet": { type: "string" },
        "identity-token-file": { type: "string" },
        listen: { type: "string" },
        "control-listen": { type: "string" },
        "control-key": { type: "string" },
        "metrics-listen": { type: "string" },
        faults: { type: "string" },
        "log-level": { type: "string", default: "info" },
        "crypto-backend": { type: "string", default: DEFAULT_BACKEND },
        version: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.version === true) return { print: `${VERSION}\n` };
  if (values.help === true) return { print: USAGE };
  if (values.genesis === undefined) throw new UsageError("--genesis FILE is required");
  if (values.index === undefined || !/^\d+$/.test(values.index)) throw new UsageError("--index N is required (a node index, 0 or more)");
  if (values["data-dir"] === undefined) throw new UsageError("--data-dir DIR is required");
  const logLevel = values["log-level"];
  if (!LOG_LEVELS.includes(logLevel)) throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(", ")}`);
  const cryptoBackend = values["crypto-backend"];
  if (!isBackendName(cryptoBackend)) throw new UsageError(`--crypto-backend must be one of ${BACKEND_NAMES.join(", ")}, got '${cryptoBackend}'`);
  const genesisText = readText(values.genesis, "genesis");
  const genesis = parseGenesisJson(genesisText);
  const index = Number(values.index);
  const node = genesis.nodes[index];
  if (node === undefined) throw new UsageError(`--index ${index} is not in the genesis (nodes 0..${genesis.nodes.length - 1})`);
  let identity: Flags["identity"];
  const from = values["identity-from"];
  if (from !== undefined) {
    const servicePublicKey = values["identity-service-key"];
    const subnet = values["identity-subnet"];
    const tokenFile = values["identity-token-file"];
    if (servicePublicKey === undefined || subnet === undefined || tokenFile === undefined) throw new UsageError("--identity-from needs --identity-service-key FILE, --identity-subnet NS/NAME and --identity-token-file FILE");
    identity = { fetch: { url: from, servicePublicKey: readText(servicePublicKey, "key service public key"), subnet, tokenFile } };
  } else {
    const keyFile = values["identity-key-file"];
    const keyHex = keyFile !== undefined ? readText(keyFile, "identity key file") : process.env.RELAYLAB_IDENTITY_KEY;
    if (keyHex === undefined) throw new UsageError("no identity key: pass --identity-key-file FILE or --identity-from URL, or set RELAYLAB_IDENTITY_KEY");
    identity = { secretHex: keyHex };
  }
  const controlListen = values["control-listen"] ?? "127.0.0.1:0";
  const controlKey = values["control-key"] !== undefined ? readText(values["control-key"], "control key").trim().toLowerCase() : undefined;
  if (controlKey !== undefined && !/^[0-9a-f]{64}$/.test(controlKey)) throw new UsageError(`--control-key ${values["control-key"]}: must hold the control public key as 64 hex characters`);
  if (controlKey === undefined && !isLoopback(controlListen)) throw new UsageError(`--control-listen ${controlListen} is reachable from other hosts: pass --control-key FILE so that only the control key's holder can inject faults`);
  let faults: FaultSet | undefined;
  if (values.faults !== undefined) {
    try {
      faults = FaultSet.fromJSON(JSON.parse(readText(values.faults, "faults file")));
    } catch (err) {
      throw new UsageError(err instanceof UsageError ? err.message : `--faults ${values.faults}: not a FaultSet in proto3 JSON (${(err as Error).message})`);
    }
  }
  return {
    genesis,
    genesisHash: genesisDocumentHash(genesisText),
    index,
    dataDir: values["data-dir"],
    identity,
    listen: values.listen ?? node.address,
    controlListen,
    controlKey,
    metricsListen: values["metrics-listen"] ?? "127.0.0.1:0",
    faults,
    logLevel,
    cryptoBackend,
  };
}

/** Whether a host:port listens on loopback only. */
function isLoopback(hostPort: string): boolean {
  const host = hostPort.replace(/:\d+$/, "").replace(/^\[|\]$/g, "");
  return host === "localhost" || host === "::1" || /^127\./.test(host);
}

/** The identity secret key, checked against the node's public key in the genesis. */
function checkedIdentity(keyHex: string, genesis: Genesis, index: number): Uint8Array {
  const identitySecret = parseKeyHex(keyHex, "identity secret key");
  if (identityPublicKey(keyHex.trim().toLowerCase()) !== genesis.nodes[index]?.identityKey) {
    throw new UsageError(`the identity key does not match nodes[${index}].identityKey in the genesis; use node ${index}'s key`);
  }
  return identitySecret;
}

async function main(): Promise<void> {
  let parsed: Flags | Info;
  try {
    parsed = parseFlags(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`relaylab-node: ${(err as Error).message}\n`);
    process.exit(2);
  }
  if ("print" in parsed) {
    process.stdout.write(parsed.print);
    return;
  }
  const flags = parsed;
  const log = createLogger(flags.index, flags.logLevel);
  let identitySecret: Uint8Array;
  try {
    const secretHex = "secretHex" in flags.identity ? flags.identity.secretHex : await fetchIdentityKey({ ...flags.identity.fetch, index: flags.index, log });
    identitySecret = checkedIdentity(secretHex, flags.genesis, flags.index);
  } catch (err) {
    process.stderr.write(`relaylab-node: ${(err as Error).message}\n`);
    process.exit(2);
  }
  const started = performance.now();
  const crypto: RoundCrypto = await loadRoundCrypto(flags.cryptoBackend).catch((err: unknown) => {
    process.stderr.write(`relaylab-node: cannot initialise crypto backend ${flags.cryptoBackend}: ${(err as Error).message} (--crypto-backend noble avoids it)\n`);
    process.exit(2);
  });
  log.info({ event: "crypto_backend", backend: crypto.backend, initSeconds: (performance.now() - started) / 1000 }, "round crypto backend ready");
  const node = await RelayNode.start({ ...flags, identitySecret, crypto, log }).catch((err: unknown) => {
    process.stderr.write(`relaylab-node: ${(err as Error).message}\n`);
    process.exit(2);
  });
  log.info({ event: "listening", ...node.addresses }, "listening");
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info({ event: "shutdown", signal }, "shutting down");
    void node.close().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ event: "shutdown_failed", err }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  // A bug must still leave a structured line saying what happened (the default is a bare stack trace).
  process.on("uncaughtException", (err) => {
    log.fatal({ event: "uncaught_exception", stopping, err }, "uncaught exception");
    process.exit(1);
  });
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
  const parent = parentPidFromEnv();
  if (parent !== undefined) watchParent(parent, () => stop("parent exited"));
}

void main();
