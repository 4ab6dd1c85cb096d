/**
 * Rollout assignment (SPEC §12), the one implementation: the SDK, `prompts rollout status` and
 * scripts/rollout-vectors.mjs (which writes schemas/rollout-vectors.json for SDKs in other
 * languages) all call these.
 *
 *   bucket = uint32be(sha256(salt + ":" + key)[0..4]) % 10000          (UTF-8 bytes)
 *   a key gets the candidate iff bucket >= 10000 - round(weight * 100)
 *
 * Deterministic and sticky: the same salt and key give the same bucket in every process and
 * every bundle build, and the candidate's buckets are the top `round(weight * 100)` ones, so
 * raising the weight only moves keys from stable to candidate. Hashing is pure computation
 * (node:crypto), no I/O.
 */
import * as crypto from 'node:crypto';

export type Arm = 'stable' | 'candidate';

/** Buckets per salt: a weight has 2 decimals, so each bucket is 0.01 % of the keys. */
export const BUCKETS = 10000;

// crypto.hash (Node >= 20.12) hashes a string in one call, without a Hash object per key
const oneShot = (crypto as { hash?: (alg: string, data: string, enc: 'buffer') => Buffer }).hash;

/** The key's bucket, 0 … 9999, for this salt. */
export function bucketOf(salt: string, key: string): number {
  const input = `${salt}:${key}`;
  const d = oneShot ? oneShot('sha256', input, 'buffer') : crypto.createHash('sha256').update(input, 'utf8').digest();
  return d.readUInt32BE(0) % BUCKETS;
}

/** The first candidate bucket at `weight` percent (10000: none, 0: every key). */
export function candidateFrom(weight: number): number {
  return BUCKETS - Math.round(weight * 100);
}

export function armOfBucket(bucket: number, weight: number): Arm {
  return bucket >= candidateFrom(weight) ? 'candidate' : 'stable';
}

/** The arm `key` gets in a rollout with this salt and weight. */
export function assignArm(salt: string, key: string, weight: number): { bucket: number; arm: Arm } {
  const bucket = bucketOf(salt, key);
  return { bucket, arm: armOfBucket(bucket, weight) };
}

/** The salt a rollout uses unless `--salt` names one: "<id>@<candidate version>". */
export function defaultSalt(id: string, candidate: string): string {
  return `${id}@${candidate}`;
}

/** Is `w` a weight: 0 … 100 with at most 2 decimals? */
export function isWeight(w: number): boolean {
  return Number.isFinite(w) && w >= 0 && w <= 100 && Math.abs(w * 100 - Math.round(w * 100)) < 1e-6;
}

/** "5" / "12.5" / "0.05" as a weight, or null (text a user typed: digits, at most 2 decimals). */
export function parseWeight(text: string): number | null {
  const t = text.trim();
  if (!/^\d{1,3}(\.\d{1,2})?$/.test(t)) return null;
  const w = Number(t);
  return isWeight(w) ? w : null;
}

/** Why `stages` is not a plan of weights (ascending, each above 0 and at most 100, 2 decimals), or null. */
export function stagesProblem(stages: readonly number[]): string | null {
  if (stages.length === 0) return 'no stages given';
  if (stages.length > 100) return `${stages.length} stages; at most 100`;
  for (const [i, s] of stages.entries()) {
    if (!isWeight(s) || s <= 0) return `stage ${s} is not a weight above 0 and at most 100 with at most 2 decimals`;
    if (i > 0 && s <= stages[i - 1]!) return `stages must ascend (${stages[i - 1]} then ${s})`;
  }
  return null;
}
