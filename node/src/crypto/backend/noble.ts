// SPDX-License-Identifier: Apache-2.0
/** The default backend: the noble crypto core itself (tbls.ts), behind the backend interface. */
import { NOBLE_COMMITMENTS } from "../commitments.js";
import { recoverSignature, sign, verify } from "../tbls.js";
import type { SchemeBackend } from "./types.js";

export const nobleBackend: SchemeBackend = {
  name: "noble",
  sign,
  verify,
  recover: recoverSignature,
  commitments: NOBLE_COMMITMENTS,
};
