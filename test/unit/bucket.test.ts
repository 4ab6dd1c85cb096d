/**
 * Rollout assignment (SPEC §12): the shipped vectors (checked against an independent
 * implementation of the formula and against the SDK's chooseVariant), stickiness, monotonicity in
 * the weight, and the candidate's share over 100,000 keys.
 */
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { armOfBucket, assignArm, bucketOf, candidateFrom, defaultSalt, isWeight, parseWeight } from '../../src/core/bucket.js';
import { chooseVariant } from '../../src/sdk/prompt-set.js';
import type { EntryFields } from '../../src/sdk/bundle-format.js';

interface Vectors {
  buckets: number;
  weights: number[];
  candidate_from: number[];
  vectors: { salt: string; key: string; bucket: number; arms: ('stable' | 'candidate')[] }[];
}
const VECTORS = JSON.parse(readFileSync(new URL('../../schemas/rollout-vectors.json', import.meta.url), 'utf8')) as Vectors;

/** SPEC §12's formula written out again, without src/core/bucket.ts */
function specBucket(salt: string, key: string): number {
  return createHash('sha256').update(Buffer.from(`${salt}:${key}`, 'utf8')).digest().readUInt32BE(0) % 10000;
}

const arm = (bucket: number, w: number): 'stable' | 'candidate' => (bucket >= 10000 - Math.round(w * 100) ? 'candidate' : 'stable');

function entry(weight: number, salt: string): EntryFields {
  const a = { id: 'p', version: '1.0.0', sha256: 'a'.repeat(64), model: { provider: 'echo', name: 'e' }, inputs: null, output: null, messages: [] };
  return { ...a, rollout: { weight, salt, candidate: { ...a, version: '2.0.0' } } };
}

describe('schemas/rollout-vectors.json', () => {
  it('holds enough vectors: several salts, keys of every kind, weights from 0 to 100', () => {
    expect(VECTORS.buckets).toBe(10000);
    expect(VECTORS.vectors.length).toBeGreaterThanOrEqual(40);
    expect(VECTORS.weights).toEqual(expect.arrayContaining([0, 0.01, 5, 12.5, 33.33, 50, 99.99, 100]));
    expect(new Set(VECTORS.vectors.map((v) => v.salt)).size).toBeGreaterThanOrEqual(3);
    expect(VECTORS.vectors.some((v) => v.key === '')).toBe(true);
    expect(VECTORS.vectors.some((v) => /[^\x20-\x7e]/.test(v.key))).toBe(true);
    for (const v of VECTORS.vectors) expect(v.arms).toHaveLength(VECTORS.weights.length);
  });

  it('every vector follows the formula of SPEC §12, computed independently', () => {
    for (const v of VECTORS.vectors) {
      expect(specBucket(v.salt, v.key), `${v.salt} / ${v.key}`).toBe(v.bucket);
      VECTORS.weights.forEach((w, i) => expect(v.arms[i]).toBe(arm(v.bucket, w)));
    }
    VECTORS.weights.forEach((w, i) => expect(VECTORS.candidate_from[i]).toBe(10000 - Math.round(w * 100)));
  });

  it('core/bucket.ts and the SDK (chooseVariant, as get(id, { key }) uses it) assign every vector as shipped', () => {
    for (const v of VECTORS.vectors) {
      expect(bucketOf(v.salt, v.key)).toBe(v.bucket);
      VECTORS.weights.forEach((w, i) => {
        expect(armOfBucket(v.bucket, w)).toBe(v.arms[i]);
        expect(chooseVariant(entry(w, v.salt), v.key)).toEqual({ variant: v.arms[i], bucket: v.bucket });
      });
    }
  });

  it('is what scripts/rollout-vectors.mjs generates (--check)', () => {
    const script = fileURLToPath(new URL('../../scripts/rollout-vectors.mjs', import.meta.url));
    expect(execFileSync(process.execPath, [script, '--check'], { encoding: 'utf8' })).toMatch(/vectors match/);
  });
});

describe('assignment', () => {
  it('without a key or a rollout, the stable arm (bucket null)', () => {
    expect(chooseVariant(entry(50, 's'), undefined)).toEqual({ variant: 'stable', bucket: null });
    const { rollout: _r, ...plain } = entry(50, 's');
    expect(chooseVariant(plain, 'user-1')).toEqual({ variant: 'stable', bucket: null });
  });

  it('weight 0 gives no key the candidate, 100 every key; 0.01 % is one bucket', () => {
    expect(candidateFrom(0)).toBe(10000);
    expect(candidateFrom(100)).toBe(0);
    expect(candidateFrom(0.01)).toBe(9999);
    expect(candidateFrom(33.33)).toBe(6667);
    for (let i = 0; i < 1000; i++) {
      expect(assignArm('s', `k${i}`, 0).arm).toBe('stable');
      expect(assignArm('s', `k${i}`, 100).arm).toBe('candidate');
    }
  });

  it('is sticky: the same salt and key give the same bucket, another salt reshuffles', () => {
    const a = Array.from({ length: 200 }, (_, i) => bucketOf('support/triage@1.5.0', `user-${i}`));
    const b = Array.from({ length: 200 }, (_, i) => bucketOf('support/triage@1.5.0', `user-${i}`));
    const c = Array.from({ length: 200 }, (_, i) => bucketOf('support/triage@1.6.0', `user-${i}`));
    expect(a).toEqual(b);
    expect(a.filter((x, i) => x === c[i]).length).toBeLessThan(5);
    expect(defaultSalt('support/triage', '1.5.0')).toBe('support/triage@1.5.0');
  });

  it('raising the weight only moves keys from stable to candidate, never back', () => {
    const weights = [0, 0.01, 1, 5, 12.5, 25, 33.33, 50, 75, 99.99, 100];
    for (let i = 0; i < 20000; i++) {
      const b = bucketOf('mono', `key-${i}`);
      let seenCandidate = false;
      for (const w of weights) {
        const a = armOfBucket(b, w);
        if (seenCandidate) expect(a).toBe('candidate');
        if (a === 'candidate') seenCandidate = true;
      }
    }
  });

  it('over 100,000 random keys the candidate share is within ±0.5 points of the weight', () => {
    // random-looking but reproducible keys (a test that cannot flake): 16 base64url characters each
    const keys = Array.from({ length: 100_000 }, (_, i) => createHash('sha256').update(`key ${i}`).digest('base64url').slice(0, 16));
    expect(new Set(keys).size).toBe(keys.length);
    const buckets = keys.map((k) => bucketOf('support/triage@1.5.0', k));
    for (const w of [1, 5, 10, 25, 33.33, 50, 90]) {
      const share = (buckets.filter((b) => armOfBucket(b, w) === 'candidate').length / keys.length) * 100;
      expect(Math.abs(share - w), `weight ${w}: ${share.toFixed(3)}%`).toBeLessThanOrEqual(0.5);
    }
  });

  it('weights are 0–100 with at most 2 decimals', () => {
    for (const ok of ['0', '5', '12.5', '33.33', '100', '0.01', ' 7 ']) expect(parseWeight(ok), ok).not.toBeNull();
    for (const bad of ['-1', '100.01', '101', '1.005', '1e1', 'abc', '', '5%', '0x10', 'NaN', 'Infinity', '1,5']) expect(parseWeight(bad), bad).toBeNull();
    expect(isWeight(0.07)).toBe(true);
    expect(isWeight(0.001)).toBe(false);
    expect(isWeight(Number.NaN)).toBe(false);
  });
});
