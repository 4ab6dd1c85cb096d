/**
 * SPEC §15 core pieces: verify's checks (core/audit.ts) from given facts, pins as of a commit,
 * the chain over rollout steps (core/env-chain.ts), and approvals in the env file format.
 */
import { describe, it, expect } from 'vitest';
import { pinsAsOf, verifyPinChecks, type PinFacts } from '../../src/core/audit.js';
import { recordHistory, verifyPin } from '../../src/core/env-chain.js';
import { serializeEnv, fastParseEnv, envShapeOk } from '../../src/registry/env-store.js';
import { pinViewOfText } from '../../src/registry/env-view.js';
import { isCanonicalEnvText } from '../../src/registry/env-canonical.js';
import { parseYaml } from '../../src/registry/yaml.js';
import { getValidator } from '../../src/registry/schemas.js';
import type { EnvironmentFile, EnvPin, HistoryEntry } from '../../src/core/types.js';
import type { CommitFacts } from '../../src/core/history.js';
import { mutations } from '../helpers/mutate.js';

const SHA = 'a'.repeat(64);
const SUITE = 'c'.repeat(64);
const CARL = 'Carl <carl@example.com>';
const ev = { pass_rate: 1, passed: 2, cases: 2, suite_sha256: SUITE };

function promoted(): EnvPin {
  const history = recordHistory([], { action: 'promote', version: '1.0.0', from: null, sha256: SHA, at: '2026-12-01T10:00:00Z', by: CARL, eval: ev }, 50);
  return { version: '1.0.0', sha256: SHA, previous: null, promoted_at: '2026-12-01T10:00:00Z', promoted_by: CARL, eval: ev, history };
}

function facts(over: Partial<PinFacts> = {}): PinFacts {
  const commit = { hash: 'f'.repeat(40), author: CARL, changed: ['environments/production.yaml'] };
  return {
    env: 'production',
    id: 'p',
    pin: promoted(),
    envRel: 'environments/production.yaml',
    versionRel: 'prompts/p/1.0.0.yaml',
    envTopRel: 'environments/production.yaml',
    fileSha: SHA,
    headSha: SHA,
    candidate: null,
    inGit: true,
    newestCommit: commit,
    pinningCommit: commit,
    required: 1,
    signed: true,
    gated: true,
    approvals: { id: 'p', version: '1.0.0', env: 'production', sha256: SHA, required: 1, signed: true, authors: ['Ana <ana@example.com>'], promoter: CARL, inGit: true, facts: [{ approval: { by: 'Bo <bo@example.com>', at: '2026-12-01T09:00:00Z', sha256: SHA }, commit: { hash: 'e'.repeat(40), author: 'Bo <bo@example.com>', signature: 'good', signer: 'bo@example.com' } }] },
    signature: { status: 'good', signer: 'carl@example.com', detail: 'verifies' },
    suiteShaAtCommit: SUITE,
    ...over,
  };
}

const failing = (f: PinFacts): string[] => verifyPinChecks(f).filter((c) => c.status === 'fail').map((c) => c.name);

describe('verifyPinChecks', () => {
  it('passes every check on a traceable pin', () => {
    expect(verifyPinChecks(facts()).map((c) => `${c.name}:${c.status}`)).toEqual(['bytes:ok', 'blob:ok', 'commit:ok', 'chain:ok', 'approvals:ok', 'signatures:ok', 'eval:ok']);
  });

  it('names each kind of break', () => {
    expect(failing(facts({ fileSha: 'b'.repeat(64) }))).toEqual(['bytes']);
    expect(failing(facts({ headSha: null }))).toEqual(['blob']);
    expect(failing(facts({ newestCommit: null }))).toEqual(['commit']);
    expect(failing(facts({ newestCommit: { hash: '1'.repeat(40), author: CARL, changed: ['environments/production.yaml', 'prompts/p/1.0.0.yaml'] } }))).toEqual(['commit']);
    expect(failing(facts({ pin: { ...promoted(), promoted_by: 'Mallory <m@example.com>' } }))).toEqual(['chain']);
    expect(failing(facts({ pin: { ...promoted(), history: promoted().history.map(({ digest: _d, ...e }) => e) } }))).toEqual(['chain']);
    const noApproval = facts();
    noApproval.approvals = { ...noApproval.approvals!, facts: [] };
    expect(failing(noApproval)).toEqual(['approvals', 'signatures']);
    expect(failing(facts({ signature: { status: 'none', signer: null, detail: 'not signed' } }))).toEqual(['signatures']);
    expect(failing(facts({ suiteShaAtCommit: 'd'.repeat(64) }))).toEqual(['eval']);
    expect(failing(facts({ inGit: false, newestCommit: null }))).toEqual(['blob', 'commit']);
  });

  it('skips what does not apply: no approvals or signatures required, a rollback, no gate', () => {
    const f = facts({ required: 0, signed: false, gated: false, approvals: null });
    f.pin = { ...f.pin, eval: undefined, history: recordHistory([], { action: 'promote', version: '1.0.0', from: null, sha256: SHA, at: '2026-12-01T10:00:00Z', by: CARL }, 50) };
    expect(verifyPinChecks(f).map((c) => `${c.name}:${c.status}`)).toEqual(['bytes:ok', 'blob:ok', 'commit:ok', 'chain:ok', 'approvals:skip', 'signatures:skip', 'eval:skip']);
  });
});

describe('pinsAsOf', () => {
  it('lists every pin with the commit of its newest entry and the approvals of its bytes', () => {
    const file: EnvironmentFile = {
      environment: 'production',
      prompts: { p: promoted() },
      approvals: { 'p@1.0.0': [{ by: 'Bo <bo@example.com>', at: '2026-12-01T09:00:00Z', sha256: SHA }, { by: 'Old <o@example.com>', at: '2026-11-01T09:00:00Z', sha256: 'b'.repeat(64) }] },
    };
    const commit: CommitFacts = { hash: 'f'.repeat(40), author: CARL, date: '2026-12-01T10:00:01Z', env: 'production', action: 'promote', id: 'p', from: null, to: '1.0.0', fromWeight: null, weight: null, reason: null, eval: null };
    const [p] = pinsAsOf(file, [commit]);
    expect(p).toMatchObject({ id: 'p', version: '1.0.0', last: { action: 'promote', by: CARL }, commit: { hash: 'f'.repeat(40) }, approvals: [{ by: 'Bo <bo@example.com>' }] });
    expect(p!.approvals).toHaveLength(1);
  });
});

describe('the chain over rollout steps', () => {
  function running(): EnvPin {
    const base = promoted();
    let h: HistoryEntry[] = recordHistory(base.history, { action: 'rollout-start', version: '1.1.0', from: '1.0.0', weight: 5, sha256: 'b'.repeat(64), at: '2026-12-01T11:00:00Z', by: CARL }, 50);
    h = recordHistory(h, { action: 'rollout-set', version: '1.1.0', from: '1.0.0', weight: 25, sha256: 'b'.repeat(64), at: '2026-12-01T12:00:00Z', by: CARL }, 50);
    return { ...base, rollout: { version: '1.1.0', sha256: 'b'.repeat(64), weight: 25, salt: 'p@1.1.0', started_at: '2026-12-01T11:00:00Z', started_by: CARL, updated_at: '2026-12-01T12:00:00Z' }, history: h };
  }

  it('explains a running rollout, and catches a hand-set weight, a rollout no entry started, and a removed one', () => {
    expect(verifyPin(running()).status).toBe('chained');
    const p = running();
    expect(verifyPin({ ...p, rollout: { ...p.rollout!, weight: 50 } }).problems[0]!.message).toMatch(/the pin's rollout\.weight is 50, but its history \(rollout-set 1\.0\.0 -> 1\.1\.0 \(25%\) at .*\) recorded 25/);
    expect(verifyPin({ ...promoted(), rollout: p.rollout }).problems[0]!.message).toMatch(/has a rollout of 1\.1\.0 at 25%, but its newest history entry .* runs none/);
    const { rollout: _r, ...gone } = p;
    expect(verifyPin(gone).problems[0]!.message).toMatch(/leaves a rollout of 1\.1\.0 running, but the pin has no rollout block/);
    expect(verifyPin({ ...p, version: '0.9.0' }).problems[0]!.message).toMatch(/the pin's version is 0\.9\.0, but its newest promote, rollback or completed rollout .* recorded 1\.0\.0/);
  });
});

describe('approvals in the environment file', () => {
  const file: EnvironmentFile = { environment: 'production', prompts: { p: promoted() }, approvals: { 'p@1.0.0': [{ by: 'Bo <bo@example.com>', at: '2026-12-01T09:00:00Z', sha256: SHA, reason: 'ok: "fine"' }] } };
  const text = serializeEnv(file);

  it('are written after the pins and read back by the YAML parser and the schema', () => {
    expect(text).toContain(`approvals:\n  "p@1.0.0":\n    - { by: "Bo <bo@example.com>", at: "2026-12-01T09:00:00Z", sha256: ${SHA}, reason: "ok: \\"fine\\"" }\n`);
    const parsed = parseYaml(text);
    expect(parsed.issues).toEqual([]);
    expect(parsed.value).toEqual(file);
    expect(getValidator('environment')(parsed.value)).toBe(true);
    expect(envShapeOk(parsed.value)).toBe(true);
  });

  it('are read by the fast reader and come with a one-pin view, whose writes keep their bytes', () => {
    expect(fastParseEnv(text)).toEqual(file);
    expect(isCanonicalEnvText(text)).toBe(true);
    const view = pinViewOfText(text, 'p')!;
    expect(view.value.approvals).toEqual(file.approvals);
    const moved = { ...view.value, prompts: { p: { ...promoted(), version: '1.0.1' } } };
    expect(view.render(moved)).toBe(serializeEnv({ ...file, prompts: moved.prompts }));
    // a new pin sorted after the last one goes before the approvals
    const added = pinViewOfText(text, 'q')!;
    expect(added.render({ ...added.value, prompts: { q: promoted() } })).toBe(serializeEnv({ ...file, prompts: { ...file.prompts, q: promoted() } }));
    // a one-pin change may not touch the approvals
    expect(() => view.render({ ...moved, approvals: {} })).toThrow(/changed more than that pin/);
    expect(serializeEnv({ ...file, approvals: {} })).not.toContain('approvals');
  });

  it('on mutated files: what the layout check or the fast reader accepts, the YAML parser and the schema read the same', () => {
    const validate = getValidator('environment');
    let compared = 0;
    for (const mutated of mutations(text, { seed: 15, count: 1500, chars: [':', '"', ' ', '-', '{', '}', ',', '@', 'a', '1', '.', '\n'] })) {
      const fast = fastParseEnv(mutated);
      const fastOk = fast !== null && envShapeOk(fast);
      if (isCanonicalEnvText(mutated)) expect(fastOk, mutated).toBe(true);
      if (!fastOk) continue;
      compared++;
      const full = parseYaml(mutated);
      expect(full.issues, mutated).toEqual([]);
      expect(validate(full.value), mutated).toBe(true);
      expect(fast, mutated).toEqual(full.value);
    }
    expect(compared).toBeGreaterThan(20);
  }, 120_000);

  it('a section YAML would read differently is not the fast layout', () => {
    for (const bad of [text.replace(/ {4}- \{.*\n/, ''), text.replace('approvals:\n', 'approvals:\n\n'), `${text}  "q@1.0.0":\n`, text.replace('"p@1.0.0"', '"P@1.0.0"')]) {
      const fast = fastParseEnv(bad);
      expect(fast !== null && envShapeOk(fast)).toBe(false);
      expect(isCanonicalEnvText(bad)).toBe(false);
    }
  });
});
