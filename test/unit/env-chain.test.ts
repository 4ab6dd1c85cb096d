import { describe, it, expect } from 'vitest';
import { createHash } from 'node:crypto';
import { CHAIN_GENESIS, entryContent, entryDigest, migrateFile, migrateHistory, recordHistory, tamperCheck, verifyPin, type NewHistoryEntry } from '../../src/core/env-chain.js';
import { applyPromotion } from '../../src/core/promotion.js';
import { applyRollback, selectRollback } from '../../src/core/rollback.js';
import type { EnvironmentFile, EnvPin, HistoryEntry } from '../../src/core/types.js';

const sha = (v: string): string => createHash('sha256').update(v).digest('hex');
let clock = 0;
const at = (): string => `2026-11-22T10:${String(Math.floor(clock / 60) % 60).padStart(2, '0')}:${String(clock++ % 60).padStart(2, '0')}Z`;
const empty = (): EnvironmentFile => ({ environment: 'production', prompts: {} });
function promote(f: EnvironmentFile, v: string, limit = 50): EnvironmentFile {
  return applyPromotion(f, { id: 'a', version: v }, { sha256: sha(v), at: at(), by: 'Ana <ana@example.com>', eval: { pass_rate: 1, passed: 2, cases: 2, suite_sha256: sha('suite') } }, limit);
}
function rollback(f: EnvironmentFile, limit = 50): EnvironmentFile {
  const c = selectRollback({ id: 'a', env: 'production', target: f, versions: ['1.0.0', '1.1.0', '1.2.0', '1.3.0'] });
  if (c.kind !== 'choice') throw new Error(c.kind);
  return applyRollback(f, c, { sha256: sha(c.version), at: at(), by: 'Bo', reason: 'latency' }, limit);
}
const pinOf = (f: EnvironmentFile): EnvPin => f.prompts.a!;

describe('the history chain (SPEC §15)', () => {
  it('digest = sha256(predecessor digest + canonical JSON of the entry without digest and prev)', () => {
    const f = promote(promote(empty(), '1.0.0'), '1.1.0');
    const [newest, oldest] = pinOf(f).history as [HistoryEntry, HistoryEntry];
    const canon = (e: HistoryEntry): string => {
      const { digest: _d, prev: _p, ...rest } = e;
      const sort = (v: unknown): unknown => (v && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sort((v as Record<string, unknown>)[k])])) : v);
      return JSON.stringify(sort(rest));
    };
    expect(entryContent(oldest)).toBe(canon(oldest));
    expect(oldest.digest).toBe(sha(`${CHAIN_GENESIS}${canon(oldest)}`));
    expect(newest.digest).toBe(sha(`${oldest.digest}${canon(newest)}`));
    expect(entryDigest(oldest.digest!, newest)).toBe(newest.digest);
    expect(verifyPin(pinOf(f))).toEqual({ status: 'chained', problems: [] });
  });

  it('promote, rollback and a roll-forward all verify, and each rollback records what the pin became', () => {
    let f = promote(promote(promote(empty(), '1.0.0'), '1.1.0'), '1.2.0');
    f = rollback(f);
    const r = pinOf(f).history[0]!;
    expect(r).toMatchObject({ action: 'rollback', version: '1.1.0', from: '1.2.0', previous: '1.0.0', eval: pinOf(f).eval });
    expect(verifyPin(pinOf(f)).status).toBe('chained');
    f = rollback(f);
    expect(pinOf(f).history[0]).toMatchObject({ previous: null });
    expect(verifyPin(pinOf(f)).status).toBe('chained');
    f = promote(f, '1.3.0');
    expect(verifyPin(pinOf(f)).status).toBe('chained');
  });

  it('truncation by history_limit keeps the chain verifiable: the oldest kept entry carries the dropped digest as prev', () => {
    let f = empty();
    const full: HistoryEntry[][] = [];
    for (const v of ['1.0.0', '1.1.0', '1.2.0', '1.3.0']) {
      f = promote(f, v, 2);
      full.push(pinOf(f).history);
    }
    const h = pinOf(f).history;
    expect(h.map((e) => e.version)).toEqual(['1.3.0', '1.2.0']);
    expect(h[0]!.prev).toBeUndefined();
    // 1.2.0's predecessor (1.1.0) was dropped: its digest is kept as prev, and no digest changed
    expect(h[1]!.prev).toBe(full[2]![1]!.digest);
    expect(h[1]!.digest).toBe(full[2]![0]!.digest);
    expect(verifyPin(pinOf(f)).status).toBe('chained');
    // history_limit 1: every entry is the oldest kept
    let g = empty();
    for (const v of ['1.0.0', '1.1.0', '1.2.0']) g = promote(g, v, 1);
    expect(pinOf(g).history).toHaveLength(1);
    expect(pinOf(g).history[0]!.prev).toMatch(/^[0-9a-f]{64}$/);
    expect(verifyPin(pinOf(g)).status).toBe('chained');
  });

  it('names each kind of hand edit', () => {
    const f = promote(promote(promote(empty(), '1.0.0'), '1.1.0'), '1.2.0');
    const p = pinOf(f);
    const why = (pin: EnvPin): string => {
      const v = verifyPin(pin);
      expect(v.status).toBe('tampered');
      return v.problems[0]!.message;
    };
    expect(why({ ...p, sha256: 'f'.repeat(64) })).toMatch(/^the pin's sha256 is f{64}, but its newest history entry \(promote 1\.1\.0 -> 1\.2\.0 at .*\) recorded [0-9a-f]{64}: the pin was edited by hand$/);
    expect(why({ ...p, version: '1.1.0' })).toMatch(/the pin's version is 1\.1\.0, but .* recorded 1\.2\.0/);
    expect(why({ ...p, previous: '1.0.0' })).toMatch(/the pin's previous is 1\.0\.0, but .* recorded 1\.1\.0/);
    expect(why({ ...p, promoted_by: 'Mallory' })).toMatch(/promoted_by is Mallory/);
    expect(why({ ...p, eval: { pass_rate: 1, passed: 50, cases: 50 } })).toMatch(/the pin's eval is \{"pass_rate":1,"passed":50,"cases":50\}/);
    expect(why({ ...p, reason: 'forged' })).toMatch(/the pin's reason is forged, but .* recorded nothing/);
    expect(why({ ...p, history: [] })).toMatch(/no history entry/);
    const h = p.history;
    // an entry's content edited, without recomputing its digest
    expect(why({ ...p, history: [h[0]!, { ...h[1]!, version: '1.0.1' }, h[2]!] })).toMatch(/the history chain breaks at history\[1\]/);
    // an entry removed from the middle
    expect(why({ ...p, history: [h[0]!, h[2]!] })).toMatch(/breaks at history\[0\]/);
    // an entry added without a digest
    const { digest: _d, ...bare } = h[0]!;
    expect(why({ ...p, history: [bare, h[1]!, h[2]!] })).toMatch(/history\[0\] .* has no digest while other entries are chained/);
    // a forgery with recomputed digests that does not follow on from the entry below
    const forged = migrateHistory([h[0]!, { ...h[1]!, version: '0.9.0' }, h[2]!].map(({ digest: _x, ...e }) => e)) as HistoryEntry[];
    expect(why({ ...p, history: forged })).toMatch(/history\[0\] \(promote 1\.1\.0 -> 1\.2\.0 .*\) starts from 1\.1\.0, but the entry below it left 0\.9\.0 active/);
    expect(why({ ...p, history: [h[0]!, { ...h[1]!, prev: h[2]!.digest! }, h[2]!] })).toMatch(/carries "prev"/);
  });

  it('a file written before chains is legacy (a warning), unless what it holds contradicts itself; it migrates on the next write', () => {
    const legacyPin = (over: Partial<EnvPin> = {}): EnvPin => ({
      version: '1.1.0', sha256: sha('1.1.0'), previous: '1.0.0', promoted_at: '2026-01-01T00:00:00Z', promoted_by: 'Ana',
      history: [
        { action: 'promote', version: '1.1.0', from: '1.0.0', sha256: sha('1.1.0'), at: '2026-01-01T00:00:00Z', by: 'Ana' },
        { action: 'promote', version: '1.0.0', from: null, at: '2025-12-01T00:00:00Z', by: 'Ana' },
      ],
      ...over,
    });
    expect(verifyPin(legacyPin())).toEqual({ status: 'legacy', problems: [] });
    expect(verifyPin(legacyPin({ sha256: 'f'.repeat(64) })).status).toBe('tampered');
    // a rollback written before chains recorded neither its previous nor the eval it kept: not held against it
    const rb = legacyPin({ version: '1.0.0', sha256: sha('1.0.0'), previous: null, eval: { pass_rate: 1, passed: 1, cases: 1 }, history: [{ action: 'rollback', version: '1.0.0', from: '1.1.0', sha256: sha('1.0.0'), at: '2026-01-02T00:00:00Z', by: 'Ana' }, ...legacyPin().history] });
    rb.promoted_at = '2026-01-02T00:00:00Z';
    expect(verifyPin(rb).status).toBe('legacy');
    // the next write chains the whole file; a new entry goes on top
    const file: EnvironmentFile = { environment: 'production', prompts: { a: legacyPin(), b: rb } };
    const migrated = migrateFile(file);
    expect(verifyPin(migrated.prompts.a!).status).toBe('chained');
    expect(verifyPin(migrated.prompts.b!).status).toBe('chained');
    expect(migrateFile(migrated)).toBe(migrated);
    const next = promote(migrated, '1.2.0');
    expect(verifyPin(pinOf(next)).status).toBe('chained');
    expect(pinOf(next).history.every((e) => /^[0-9a-f]{64}$/.test(e.digest ?? ''))).toBe(true);
    // recordHistory migrates what it is given the same way
    const e: NewHistoryEntry = { action: 'promote', version: '1.2.0', from: '1.1.0', sha256: sha('1.2.0'), at: '2026-01-03T00:00:00Z', by: 'Ana' };
    expect(recordHistory(legacyPin().history, e, 50).slice(1)).toEqual(migrated.prompts.a!.history);
  });

  it('tamperCheck gives the refusal every env-changing command uses (exit 1, naming the file, the prompt and the edit)', () => {
    const p = pinOf(promote(empty(), '1.0.0'));
    expect(tamperCheck([{ rel: 'environments/production.yaml', id: 'a', pin: p }, { rel: 'x', id: 'b', pin: undefined }])).toBeNull();
    const r = tamperCheck([{ rel: 'environments/production.yaml', id: 'a', pin: { ...p, sha256: 'f'.repeat(64) } }]);
    expect(r?.refusals[0]).toMatchObject({ code: 'tampered', exit: 1, file: 'environments/production.yaml' });
    expect(r?.refusals[0].message).toMatch(/^refused: environments\/production\.yaml was not written by promptrail: a: the pin's sha256 is f{64}/);
    expect(r?.refusals[0].hint).toMatch(/git checkout <commit> -- environments\/production\.yaml/);
  });
});
