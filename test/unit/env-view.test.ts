import { describe, it, expect } from 'vitest';
import { pinBlock, pinViewOfText } from '../../src/registry/env-view.js';
import { isCanonicalEnvText } from '../../src/registry/env-canonical.js';
import { mutations } from '../helpers/mutate.js';
import { serializeEnv, fastParseEnv, envShapeOk } from '../../src/registry/env-store.js';
import { parseYaml } from '../../src/registry/yaml.js';
import { getValidator } from '../../src/registry/schemas.js';
import type { EnvironmentFile, EnvPin } from '../../src/core/types.js';
import { migrateHistory } from '../../src/core/env-chain.js';

const pin = (version: string, extra: Partial<EnvPin> = {}): EnvPin => ({
  version,
  sha256: 'a'.repeat(64),
  previous: null,
  promoted_at: '2026-11-22T10:04:11Z',
  promoted_by: 'Ana',
  history: chained([{ action: 'promote', version, from: null, sha256: 'a'.repeat(64), at: '2026-11-22T10:04:11Z', by: 'Ana' }]),
  ...extra,
});
/** entries chained as promptrail writes them (`prev`: the oldest one's dropped predecessor) */
const chained = (h: EnvPin['history'], prev?: string): EnvPin['history'] => migrateHistory(prev ? h.map((e, i) => (i === h.length - 1 ? { ...e, prev } : e)) : h) as EnvPin['history'];
const file: EnvironmentFile = {
  environment: 'staging',
  prompts: {
    a: pin('1.0.0', { reason: 'why: "this", #1' }),
    'b/c': pin('2.0.0', { previous: '1.0.0', eval: { pass_rate: 0.5, passed: 1, cases: 2 } }),
    '1.0': pin('3.0.0'),
    z: pin('0.1.0'),
  },
};

describe('pinBlock: one pin read from its block alone', () => {
  it('needs sorted, unique keys (what the serializer writes)', () => {
    const t = serializeEnv(file);
    const swapped = t.replace(/( {2}a:\n(?: {4}.*\n| {6}.*\n)*)( {2}b\/c:\n(?: {4}.*\n| {6}.*\n)*)/, '$2$1');
    expect(swapped).not.toBe(t);
    expect(pinBlock(swapped, 'a')).toBeNull();
  });

  const text = serializeEnv(file);

  it('reads every pin exactly as the full parser does, first, middle and last', () => {
    const full = parseYaml(text).value as EnvironmentFile;
    for (const id of Object.keys(file.prompts)) expect(pinBlock(text, id)).toEqual({ pin: full.prompts[id] });
  });

  it('knows a prompt is not pinned, in a file with pins and in an empty one', () => {
    expect(pinBlock(text, 'nope')).toEqual({ pin: undefined });
    expect(pinBlock(serializeEnv({ environment: 'staging', prompts: {} }), 'a')).toEqual({ pin: undefined });
  });

  it('cannot tell (null: the full reader decides) for anything outside our own layout', () => {
    expect(pinBlock(text.replace(/^# .*\n/, ''), 'a')).toBeNull(); // no header
    expect(pinBlock(text.replace('  a:\n', '  ? a\n  :\n'), 'nope')).toBeNull(); // an explicit key could be any id
    // keys in any spelling the strict reader reads (quoted, escaped) are found by what they spell
    expect(pinBlock(text.replace('  z:\n', '  "\\u007a":\n'), 'z')).toEqual({ pin: file.prompts.z });
    expect(pinBlock(text.replace('  z:\n', '  "z":\n'), 'a')).toEqual({ pin: file.prompts.a });
    expect(pinBlock(text.replace('  z:\n', '  "\\u007A":\n'), 'nope')).toEqual({ pin: undefined });
    expect(pinBlock(text.replace('  z:\n', '  "\\u005a":\n'), 'z')).toBeNull(); // spells "Z": not an id
    expect(pinBlock(text.replace('  z:\n', '  z: &x\n'), 'a')).toBeNull();
    expect(pinBlock(text.replace('\nprompts:\n', '\nprompts:\n    '), 'a')).toBeNull(); // other indentation
    expect(pinBlock(text.replace(/\n/g, '\r\n'), 'a')).toBeNull();
    expect(pinBlock(`${text}  a:\n    version: 9.9.9\n`, 'a')).toBeNull(); // a duplicate key
  });

  it('on thousands of mutated files, whatever it reads from a valid file is what the full reader reads', () => {
    const validate = getValidator('environment');
    const CHARS = [':', '"', ' ', '#', ',', '{', '}', '[', ']', '0', '1', 'a', '-', '?', '&', '*', '!', '\\', 'z', '.'];
    let compared = 0;
    let spliced = 0;
    for (const mutated of mutations(text, { seed: 7, count: 3000, chars: CHARS })) {
      const full = parseYaml(mutated);
      if (full.issues.length || !validate(full.value)) continue;
      const value = full.value as EnvironmentFile;
      const whole = fastParseEnv(mutated);
      for (const id of [...Object.keys(value.prompts), 'a', 'z', 'nope']) {
        const got = pinBlock(mutated, id);
        if (got === null) continue;
        compared++;
        expect(got.pin, `${id} in\n${mutated}`).toEqual(value.prompts[id]);
        // and a change spliced in (when the view takes the file) is what the whole-file path writes
        const view = pinViewOfText(mutated, id);
        if (view) {
          expect(whole && envShapeOk(whole), mutated).toBeTruthy();
          spliced++;
          const next = pin('9.9.9', { reason: 'spliced' });
          expect(view.render({ ...view.value, prompts: { [id]: next } }), `${id} in\n${mutated}`).toBe(serializeEnv({ ...whole!, prompts: { ...whole!.prompts, [id]: next } }));
        }
      }
    }
    expect(compared).toBeGreaterThan(500);
    expect(spliced).toBeGreaterThan(100);
  }, 120_000);
});

describe('pinViewOfText: a change of one pin spliced into the bytes', () => {
  const ids = ['a', 'b/c', 'm', 'z/y', '1.0'];
  const files = (): EnvironmentFile[] => [
    { environment: 'staging', prompts: {} },
    { environment: 'staging', prompts: { m: pin('1.0.0') } },
    { environment: 'staging', prompts: Object.fromEntries(ids.map((id, i) => [id, pin(`1.${i}.0`, { reason: i % 2 ? 'why: "x"' : undefined })])) },
    { environment: 'staging', prompts: { 'b/c': pin('2.0.0'), 'z/y': pin('3.0.0', { previous: '2.9.0' }) } },
  ];

  it('writes exactly the bytes serializing the whole changed file gives: replace, insert anywhere, first pin', () => {
    let checked = 0;
    for (const f of files()) {
      const text = serializeEnv(f);
      for (const id of [...ids, '0first', 'zz/last', 'n']) {
        const view = pinViewOfText(text, id);
        expect(view, `${id} in\n${text}`).not.toBeNull();
        expect(view!.value).toEqual({ environment: 'staging', prompts: f.prompts[id] ? { [id]: f.prompts[id] } : {} });
        const next = pin('9.9.9', { previous: f.prompts[id]?.version ?? null, reason: 'spliced' });
        const got = view!.render({ ...view!.value, prompts: { [id]: next } });
        expect(got).toBe(serializeEnv({ ...f, prompts: { ...f.prompts, [id]: next } }));
        checked++;
      }
    }
    expect(checked).toBe(32);
  });

  it('refuses (a bug, exit 70) a render that changed more than its pin', () => {
    const view = pinViewOfText(serializeEnv(files()[2]!), 'a')!;
    expect(() => view.render({ environment: 'staging', prompts: { a: pin('2.0.0'), m: pin('2.0.0') } })).toThrow(/changed more than that pin/);
    expect(() => view.render({ environment: 'production', prompts: { a: pin('2.0.0') } })).toThrow(/changed more than that pin/);
  });
});

describe('isCanonicalEnvText: the layout the serializer writes, every value one the strict reader accepts', () => {
  it('accepts what serializeEnv writes, including quoted scalars, evals, skips and empty history', () => {
    const f: EnvironmentFile = {
      environment: 'prod-1',
      prompts: {
        '1.0': pin('1.0.0-rc.1+b.2', { reason: 'a "quoted", #1 reason: with\\u0001', eval: { pass_rate: 0.25, passed: 1, cases: 4, suite_sha256: '0'.repeat(64), regressions: 0, provider: 'yes', model: 'gpt-4o', skipped: false } }),
        a: { ...pin('2.0.0'), sha256: '1'.repeat(64), promoted_by: '123', history: [] },
        'b/c': pin('3.0.0', { previous: '2.0.0', history: chained([{ action: 'rollback', version: '3.0.0', from: '4.0.0', previous: null, at: '2026-11-22T10:04:11.5+01:00', by: 'x', reason: 'r', eval: { pass_rate: 1, passed: 2, cases: 2, report_sha256: 'c'.repeat(64), shards: 4 }, skip_eval: true }], 'd'.repeat(64)) }),
      },
    };
    expect(isCanonicalEnvText(serializeEnv(f))).toBe(true);
    expect(isCanonicalEnvText(serializeEnv({ environment: 'd', prompts: {} }))).toBe(true);
  });

  it('refuses what a hand edit makes of it', () => {
    const text = serializeEnv(file);
    for (const bad of [
      text.replace('    promoted_by:', '    promotedby:'),
      text.replace('    version: 1.0.0', '    version: v1'),
      text.replace(/sha256: a{64}/, 'sha256: abc'),
      text.replace('    previous: null', '    previous: "null"'),
      text.replace('    promoted_at: "', '    promoted_at: "x'),
      text.replace('action: promote', 'action: deploy'),
      text.replace('pass_rate: 0.5', 'pass_rate: 2'),
      text.replace('cases: 2 }', 'cases: 2, shards: 0 }'),
      text.replace('    version: 1.0.0\n', '    version: 1.0.0\n    extra: 1\n'),
      text.replace('    promoted_by: Ana\n', ''),
      text.replace('by: Ana, digest: ', 'by: Ana, at: x, digest: '),
      text.replace(/, digest: [0-9a-f]{64} \}/, ' }'), // an entry without a digest (written before chains)
      text.replace(/, digest: ([0-9a-f]{64}) \}/, ', digest: $1, prev: $1 }'), // keys out of order
      text.replace('environment: staging', 'environment: Staging'),
      `${text}# trailing comment\n`,
    ]) {
      expect(bad).not.toBe(text);
      expect(isCanonicalEnvText(bad), bad).toBe(false);
    }
  });

  it('on thousands of mutated files: whatever it accepts, the fast reader accepts and reads as the YAML parser does', () => {
    const text = serializeEnv({ ...file, prompts: { ...file.prompts, 'b/c': pin('2.0.0', { previous: '1.0.0', reason: 'why: "x"', eval: { pass_rate: 0.5, passed: 1, cases: 2, regressions: 0 }, history: chained([{ action: 'rollback', version: '2.0.0', from: '3.0.0', sha256: 'b'.repeat(64), at: '2026-11-21T10:04:11Z', by: 'x', skip_eval: true }]) }) } });
    const CHARS = [':', '"', ' ', '#', ',', '{', '}', '[', ']', '0', '1', 'a', '-', '\\', 'e', '.', 'T', 'Z', 'n', 'u'];
    let accepted = 0;
    for (const mutated of mutations(text, { seed: 11, count: 5000, chars: CHARS })) {
      if (!isCanonicalEnvText(mutated)) continue;
      accepted++;
      const fast = fastParseEnv(mutated);
      expect(fast && envShapeOk(fast), mutated).toBeTruthy();
      expect(parseYaml(mutated).value, mutated).toEqual(fast);
    }
    expect(accepted).toBeGreaterThan(100);
  }, 120_000);
});

describe('isCanonicalEnvText: digests YAML would read as numbers', () => {
  it('accepts them quoted (as the serializer writes them) and refuses them plain', () => {
    const digits = '1'.repeat(64);
    const exp = `${'1'.repeat(30)}e${'2'.repeat(33)}`;
    for (const sha of [digits, exp]) {
      const text = serializeEnv({ environment: 'd', prompts: { a: { ...pin('1.0.0'), sha256: sha, history: chained([{ action: 'promote', version: '1.0.0', from: null, sha256: sha, at: '2026-11-22T10:04:11Z', by: 'Ana' }]) } } });
      expect(text).toContain(`sha256: "${sha}"`);
      expect(isCanonicalEnvText(text)).toBe(true);
      expect(isCanonicalEnvText(text.replaceAll(`"${sha}"`, sha))).toBe(false);
    }
    const plain = serializeEnv(file);
    expect(isCanonicalEnvText(plain.replace(/sha256: (a{64})/, 'sha256: "$1"'))).toBe(true); // quoted needlessly: still read as that string
  });
});

describe('isCanonicalEnvText and plain scalars YAML reads as something else than a string', () => {
  it('refuses them where a string belongs, as the strict reader does, and admits them quoted', () => {
    const text = serializeEnv(file);
    for (const tok of ['123', '1.5', '1e5', '1_000', 'yes', 'No', 'ON', 'y', 'null', 'True', '0x1f', '0o17']) {
      const plain = text.replace('    promoted_by: Ana\n', `    promoted_by: ${tok}\n`);
      const fast = fastParseEnv(plain);
      expect(fast !== null && envShapeOk(fast), tok).toBe(false);
      expect(isCanonicalEnvText(plain), tok).toBe(false);
      expect(isCanonicalEnvText(text.replace('    promoted_by: Ana\n', `    promoted_by: "${tok}"\n`)), tok).toBe(true);
    }
    // a token that only starts like one is a string
    expect(isCanonicalEnvText(text.replace('    promoted_by: Ana\n', '    promoted_by: yes-man\n'))).toBe(true);
  });
});
