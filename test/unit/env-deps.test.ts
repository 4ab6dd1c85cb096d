import { describe, it, expect } from 'vitest';
import { serializeEnv, fastParseEnv, envShapeOk } from '../../src/registry/env-store.js';
import { isCanonicalEnvText } from '../../src/registry/env-canonical.js';
import { parseYaml } from '../../src/registry/yaml.js';
import { getValidator } from '../../src/registry/schemas.js';
import type { EnvironmentFile, HistoryEntry } from '../../src/core/types.js';
import { migrateHistory, verifyPin } from '../../src/core/env-chain.js';

const H = (c: string): string => c.repeat(64);
const sample: EnvironmentFile = {
  environment: 'production',
  prompts: {
    'support/triage': {
      version: '1.0.0',
      sha256: H('a'),
      deps: { 'base/triage@2.1.0-rc.1': H('c'), 'shared/tone@1.2.0': H('b') },
      previous: null,
      promoted_at: '2026-12-01T10:00:00Z',
      promoted_by: 'Ana <ana@example.com>',
      rollout: { version: '2.0.0', sha256: H('d'), deps: { 'shared/tone@1.3.0': H('e') }, weight: 10, salt: 'support/triage@2.0.0', started_at: '2026-12-01T11:00:00Z', started_by: 'Ana', updated_at: '2026-12-01T11:00:00Z' },
      // chained as promptrail writes it (the digests cover the deps)
      history: migrateHistory([
        { action: 'rollout-start', version: '2.0.0', from: '1.0.0', weight: 10, sha256: H('d'), deps: { 'shared/tone@1.3.0': H('e') }, at: '2026-12-01T11:00:00Z', by: 'Ana' },
        { action: 'promote', version: '1.0.0', from: null, sha256: H('a'), deps: { 'base/triage@2.1.0-rc.1': H('c'), 'shared/tone@1.2.0': H('b') }, at: '2026-12-01T10:00:00Z', by: 'Ana' },
      ]) as HistoryEntry[],
    },
  },
};

describe('deps in the environment format', () => {
  it('round-trips through the serializer, the fast reader, the canonical layout, the shape check and the schema', () => {
    const text = serializeEnv(sample);
    expect(text).toContain('    deps: { "base/triage@2.1.0-rc.1": ' + H('c') + ', "shared/tone@1.2.0": ' + H('b') + ' }\n');
    expect(text).toContain('      deps: { "shared/tone@1.3.0": ' + H('e') + ' }\n      weight: 10\n');
    const parsed = parseYaml(text);
    expect(parsed.issues).toEqual([]);
    expect(parsed.value).toEqual(JSON.parse(JSON.stringify(sample)));
    expect(getValidator('environment')(parsed.value)).toBe(true);
    expect(fastParseEnv(text)).toEqual(parsed.value);
    expect(envShapeOk(parsed.value)).toBe(true);
    expect(isCanonicalEnvText(text)).toBe(true);
  });
  it('refuses deps keys that are not <id>@<exact version>, digests that are not sha256, and a key twice', () => {
    const text = serializeEnv(sample);
    for (const bad of [text.replace('"shared/tone@1.2.0"', '"shared/tone@^1.2.0"'), text.replace('"shared/tone@1.2.0"', '"Shared/Tone@1.2.0"'), text.replace(`"shared/tone@1.2.0": ${H('b')}`, `"shared/tone@1.2.0": ${H('g')}`)]) {
      const v = parseYaml(bad).value;
      expect(getValidator('environment')(v)).toBe(false);
      expect(envShapeOk(v)).toBe(false);
      expect(isCanonicalEnvText(bad)).toBe(false);
    }
    const twice = text.replace(`"base/triage@2.1.0-rc.1": ${H('c')}`, `"shared/tone@1.2.0": ${H('c')}`);
    expect(isCanonicalEnvText(twice)).toBe(false);
    expect(parseYaml(twice).issues.length).toBeGreaterThan(0);
  });
});

describe('deps in the history chain (core/env-chain.ts)', () => {
  // the sample's pin, consistent with its history (promoted_by as the entry recorded it)
  const pin = { ...sample.prompts['support/triage']!, promoted_by: 'Ana' };
  it('a pin as promptrail wrote it verifies', () => {
    expect(verifyPin(pin).status).toBe('chained');
  });
  it("a hand-edited pin deps map is tampered, like a hand-edited sha256", () => {
    const edited = { ...pin, deps: { ...pin.deps, 'shared/tone@1.2.0': H('f') } };
    const v = verifyPin(edited);
    expect(v.status).toBe('tampered');
    expect(v.problems[0]!.field).toBe('deps');
    const trimmed = { ...pin, deps: { 'shared/tone@1.2.0': H('b') } };
    expect(verifyPin(trimmed).problems[0]!.field).toBe('deps');
    const { deps: _d, ...removed } = pin;
    expect(verifyPin(removed as typeof pin).problems[0]!.field).toBe('deps');
  });
  it("a hand-edited rollout deps map is tampered", () => {
    const edited = { ...pin, rollout: { ...pin.rollout!, deps: { 'shared/tone@1.3.0': H('0') } } };
    const v = verifyPin(edited);
    expect(v.status).toBe('tampered');
    expect(v.problems[0]!.field).toBe('rollout');
    expect(v.problems[0]!.message).toContain('rollout.deps');
  });
  it('the chain digest covers an entry deps map: editing it (pin and entry together) breaks the chain', () => {
    const history = pin.history.map((e, i) => (i === 1 ? { ...e, deps: { ...e.deps, 'shared/tone@1.2.0': H('f') } } : e));
    const v = verifyPin({ ...pin, history });
    expect(v.status).toBe('tampered');
    expect(v.problems[0]!.entry).toBe(1);
    expect(v.problems[0]!.message).toContain('chain breaks');
  });
});
