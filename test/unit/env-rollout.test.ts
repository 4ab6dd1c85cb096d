/**
 * A pin's `rollout` block and rollout history entries in the environment file format: the
 * serializer's bytes read back the same by the YAML parser, a YAML 1.1 reader and the fast reader;
 * the schema and its code twin (envShapeOk) agree; the one-pin layout check (env-canonical.ts)
 * admits only what the strict reader accepts — on hand edits and on thousands of mutated files.
 */
import { describe, it, expect } from 'vitest';
import jsYaml from 'js-yaml';
import { serializeEnv, fastParseEnv, envShapeOk } from '../../src/registry/env-store.js';
import { isCanonicalEnvText } from '../../src/registry/env-canonical.js';
import { pinBlock, pinViewOfText } from '../../src/registry/env-view.js';
import { parseYaml } from '../../src/registry/yaml.js';
import { getValidator } from '../../src/registry/schemas.js';
import { mutations } from '../helpers/mutate.js';
import { migrateHistory } from '../../src/core/env-chain.js';
import type { EnvironmentFile, EnvPin, HistoryEntry } from '../../src/core/types.js';

// histories chained as promptrail writes them (core/env-chain.ts): the canonical layout has digests
const pin = (version: string, extra: Partial<EnvPin> = {}): EnvPin => {
  const p: EnvPin = {
    version,
    sha256: 'a'.repeat(64),
    previous: null,
    promoted_at: '2026-11-22T10:04:11Z',
    promoted_by: 'Ana',
    history: [{ action: 'promote', version, from: null, sha256: 'a'.repeat(64), at: '2026-11-22T10:04:11Z', by: 'Ana' }],
    ...extra,
  };
  return { ...p, history: migrateHistory(p.history) as HistoryEntry[] };
};

const canary = (over: Partial<NonNullable<EnvPin['rollout']>> = {}): EnvPin =>
  pin('1.4.0', {
    previous: '1.3.0',
    eval: { pass_rate: 1, passed: 2, cases: 2 },
    rollout: {
      version: '1.5.0',
      sha256: 'b'.repeat(64),
      weight: 12.5,
      salt: 'support/triage@1.5.0',
      stages: [5, 12.5, 50, 100],
      started_at: '2026-12-01T10:00:00Z',
      started_by: 'Ana <ana@example.com>',
      updated_at: '2026-12-01T11:00:00Z',
      eval: { pass_rate: 0.95, passed: 19, cases: 20, suite_sha256: 'c'.repeat(64) },
      ...over,
    },
    history: [
      { action: 'rollout-set', version: '1.5.0', from: '1.4.0', weight: 12.5, sha256: 'b'.repeat(64), at: '2026-12-01T11:00:00Z', by: 'Bo', reason: 'looks fine' },
      { action: 'rollout-start', version: '1.5.0', from: '1.4.0', weight: 5, sha256: 'b'.repeat(64), at: '2026-12-01T10:00:00Z', by: 'Ana <ana@example.com>', eval: { pass_rate: 0.95, passed: 19, cases: 20 } },
      { action: 'rollout-abort', version: '1.4.1', from: '1.4.0', weight: 0, at: '2026-11-30T10:00:00Z', by: 'x', reason: 'r' },
      { action: 'rollout-complete', version: '1.4.0', from: '1.3.0', weight: 100, at: '2026-11-29T10:00:00Z', by: 'x' },
      { action: 'promote', version: '1.3.0', from: null, at: '2026-11-28T10:00:00Z', by: 'x' },
    ],
  });

const file: EnvironmentFile = {
  environment: 'production',
  prompts: { a: pin('1.0.0'), 'support/triage': canary(), z: canary({ salt: 'sälz 🧂 "q"', stages: undefined, eval: undefined, weight: 0 }) },
};

describe('the rollout block', () => {
  const text = serializeEnv(file);

  it('is a block of its own lines between eval and history', () => {
    expect(text).toContain(
      [
        '    eval: { pass_rate: 1, passed: 2, cases: 2 }',
        '    rollout:',
        '      version: 1.5.0',
        `      sha256: ${'b'.repeat(64)}`,
        '      weight: 12.5',
        '      salt: "support/triage@1.5.0"',
        '      stages: [5, 12.5, 50, 100]',
        '      started_at: "2026-12-01T10:00:00Z"',
        '      started_by: "Ana <ana@example.com>"',
        '      updated_at: "2026-12-01T11:00:00Z"',
        `      eval: { pass_rate: 0.95, passed: 19, cases: 20, suite_sha256: ${'c'.repeat(64)} }`,
        '    history:',
        `      - { action: rollout-set, version: 1.5.0, from: 1.4.0, weight: 12.5, sha256: ${'b'.repeat(64)}, at: "2026-12-01T11:00:00Z", by: Bo, reason: looks fine }`.replace('reason: looks fine', `reason: "looks fine", digest: ${file.prompts['support/triage']!.history[0]!.digest}`),
      ].join('\n'),
    );
  });

  it('round-trips through the YAML parser, a YAML 1.1 reader, the schema and the fast reader', () => {
    const parsed = parseYaml(text);
    expect(parsed.issues).toEqual([]);
    expect(parsed.value).toEqual(file);
    expect(getValidator('environment')(parsed.value)).toBe(true);
    expect(JSON.parse(JSON.stringify(jsYaml.load(text)))).toEqual(file);
    const fast = fastParseEnv(text);
    expect(fast).toEqual(file);
    expect(envShapeOk(fast)).toBe(true);
    expect(isCanonicalEnvText(text)).toBe(true);
    for (const id of Object.keys(file.prompts)) expect(pinBlock(text, id)).toEqual({ pin: file.prompts[id] });
  });

  it('a one-pin change of another pin keeps the rollout block byte for byte', () => {
    const view = pinViewOfText(text, 'a')!;
    const out = view.render({ ...view.value, prompts: { a: pin('2.0.0') } });
    expect(out).toBe(serializeEnv({ ...file, prompts: { ...file.prompts, a: pin('2.0.0') } }));
    expect(out.slice(out.indexOf('  support/triage:'))).toBe(text.slice(text.indexOf('  support/triage:')));
  });

  it('hand edits the schema refuses are refused by the fast reader and the layout check alike', () => {
    const validate = getValidator('environment');
    for (const [what, bad] of [
      ['weight above 100', text.replace('      weight: 12.5', '      weight: 150')],
      ['negative weight', text.replace('      weight: 12.5', '      weight: -1')],
      ['empty salt', text.replace('      salt: "support/triage@1.5.0"', '      salt: ""')],
      ['salt too long', text.replace('      salt: "support/triage@1.5.0"', `      salt: "${'s'.repeat(257)}"`)],
      ['empty stages', text.replace('      stages: [5, 12.5, 50, 100]', '      stages: []')],
      ['a stage of 0', text.replace('      stages: [5, 12.5, 50, 100]', '      stages: [0, 50]')],
      ['an unknown rollout key', text.replace('      weight: 12.5\n', '      weight: 12.5\n      color: blue\n')],
      ['a rollout without keys', text.replace(/ {4}rollout:\n( {6}.*\n)+/, '    rollout:\n')],
      ['no version', text.replace(/ {6}version: 1\.5\.0\n/, '')],
      ['an unknown action', text.replace('action: rollout-set', 'action: rollout-pause')],
      ['an entry weight above 100', text.replace('weight: 100, at', 'weight: 101, at')],
      ['a string weight', text.replace('      weight: 12.5', '      weight: "12.5"')],
    ] as const) {
      const full = parseYaml(bad);
      const schemaOk = full.issues.length === 0 && validate(full.value);
      expect(schemaOk, what).toBe(false);
      const fast = fastParseEnv(bad);
      expect(fast !== null && envShapeOk(fast), what).toBe(false);
      expect(isCanonicalEnvText(bad), what).toBe(false);
    }
  });

  it('on thousands of mutated files: what the layout check or the fast reader accepts, the YAML parser and the schema read the same', () => {
    const validate = getValidator('environment');
    const CHARS = [':', '"', ' ', '#', ',', '{', '}', '[', ']', '0', '1', '9', 'a', '-', '\\', '.', 'e', 'w'];
    let compared = 0;
    let canonical = 0;
    for (const mutated of mutations(text, { seed: 21, count: 4000, chars: CHARS })) {
      const fast = fastParseEnv(mutated);
      const fastOk = fast !== null && envShapeOk(fast);
      const canon = isCanonicalEnvText(mutated);
      if (canon) {
        canonical++;
        expect(fastOk, mutated).toBe(true);
      }
      if (!fastOk) continue;
      compared++;
      const full = parseYaml(mutated);
      expect(full.issues, mutated).toEqual([]);
      expect(validate(full.value), mutated).toBe(true);
      expect(fast, mutated).toEqual(full.value);
    }
    expect(canonical).toBeGreaterThan(100);
    expect(compared).toBeGreaterThan(100);
  }, 120_000);
});
