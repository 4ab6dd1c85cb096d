/**
 * Sharding (`--shard i/n`, SPEC §16): a case belongs to shard `i` of `n` when
 * `uint64be(sha256(utf8(case name))[0..8]) mod n == i - 1`. The assignment depends only on the
 * case's name, so adding, removing or reordering other cases never moves a case to another
 * shard, and `prompts report merge` can check that every case ran in the shard it belongs to.
 */
import * as crypto from 'node:crypto';
import { createHash } from 'node:crypto';
import { UsageError } from '../errors.js';

export interface ShardSpec {
  /** 1-based */
  index: number;
  count: number;
}

/** What a shard run records in its report: which shard, and how many cases the whole suite applies. */
export interface ShardInfo extends ShardSpec {
  /** cases that apply to the version in the whole (unsharded) suite */
  total: number;
}

export const MAX_SHARDS = 1024;

// crypto.hash (Node >= 20.12) is a one-shot digest without a Hash object: ~2x faster for the
// thousands of short names a merge checks; createHash elsewhere
const oneShot = (crypto as { hash?: (alg: string, data: string, enc: 'buffer') => Buffer }).hash;
const digestOf = (name: string): Buffer => (oneShot ? oneShot('sha256', name, 'buffer') : createHash('sha256').update(name, 'utf8').digest());

/**
 * The 0-based shard of a case name among `count` shards: uint64be(digest[0..8]) mod count,
 * computed exactly without BigInt as ((hi mod n)·(2^32 mod n) + lo mod n) mod n (every term
 * stays below 2^53 for n <= 1024).
 */
export function shardOf(name: string, count: number): number {
  const d = digestOf(name);
  const n = count;
  return ((d.readUInt32BE(0) % n) * (4294967296 % n) + (d.readUInt32BE(4) % n)) % n;
}

/** Parses `i/n` (1 <= i <= n <= 1024); anything else is a usage error. */
export function parseShard(text: string): ShardSpec {
  const m = /^\s*(\d{1,5})\s*\/\s*(\d{1,5})\s*$/.exec(text);
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || count > MAX_SHARDS || index < 1 || index > count) {
    throw new UsageError(`--shard must be i/n with 1 <= i <= n <= ${MAX_SHARDS}, got "${text}"`, { hint: 'e.g. --shard 2/4 runs the second of four shards' });
  }
  return { index, count };
}

/** The target restricted to the cases of one shard (suite order kept). */
// (generic over the target: suite.ts's EvalTarget holds a ShardInfo, so naming it here would be an import cycle)
export function selectShard<T extends { cases: { name: string }[]; shard?: ShardInfo }>(target: T, shard: ShardSpec): T {
  const cases = target.cases.filter((c) => shardOf(c.name, shard.count) === shard.index - 1);
  return { ...target, cases, shard: { ...shard, total: target.cases.length } };
}
