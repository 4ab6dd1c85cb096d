import { describe, it, expect, afterEach } from 'vitest';
import { makeRegistry, type TempRegistry } from '../helpers/registry.js';
import { openRegistry } from '../../src/registry/registry.js';
import { sha256 } from '../../src/registry/files.js';
import { migrateHistory } from '../../src/core/env-chain.js';
import { serializeEnv } from '../../src/registry/env-serialize.js';
import type { HistoryEntry } from '../../src/core/types.js';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

// Environment files grow with pins × history (history_limit 50 × ~350 bytes per entry), so a
// registry of ~60 prompts passes 1 MiB. They must stay readable past the 1 MiB limit of
// hand-written files.
describe('environment files larger than 1 MiB', () => {
  let reg: TempRegistry | undefined;
  afterEach(() => reg?.cleanup());

  it('are read by the registry (list/status/build path), while a 1 MiB+ version file is still refused', () => {
    reg = makeRegistry({ prompts: { 'support/triage': ['1.0.0'] } });
    const file = path.join(reg.dir, 'prompts/support/triage/1.0.0.yaml');
    const digest = sha256(readFileSync(file));
    const at = '2026-11-22T10:00:00Z';
    const lines = ['environment: development', 'prompts:'];
    for (let i = 0; i < 3000; i++) {
      lines.push(`  p${i}/x:`, '    version: 1.0.0', `    sha256: ${digest}`, '    previous: null', `    promoted_at: "${at}"`, '    promoted_by: "Test User <test@example.com>"', '    reason: "bulk"', '    history:');
      lines.push(`      - { action: promote, version: 1.0.0, from: null, sha256: ${digest}, at: "${at}", by: "Test User <test@example.com>", reason: "bulk" }`);
    }
    lines.push('  support/triage:', '    version: 1.0.0', `    sha256: ${digest}`, '    previous: null', `    promoted_at: "${at}"`, '    promoted_by: "T <t@example.com>"', '    history: []');
    const text = `${lines.join('\n')}\n`;
    expect(text.length).toBeGreaterThan(1024 * 1024);
    reg.write('environments/development.yaml', text);
    const env = openRegistry(reg.dir).loadEnv('development');
    expect(env.exists).toBe(true);
    expect(Object.keys(env.value.prompts)).toHaveLength(3001);

    reg.write('prompts/support/triage/1.0.1.yaml', `${readFileSync(file, 'utf8')}\n#${'x'.repeat(1024 * 1024)}\n`);
    expect(() => openRegistry(reg!.dir).loadPrompt('support/triage', '1.0.1')).toThrow(/limited to 1 MiB/);
  });
});

describe('validate and environment files larger than 1 MiB', () => {
  let reg: TempRegistry | undefined;
  afterEach(() => reg?.cleanup());

  it('accepts an env file over 1 MiB (promote writes them) but not a version file over 1 MiB', async () => {
    const { runValidate } = await import('../../src/validate/engine.js');
    reg = makeRegistry({ prompts: { 'support/triage': ['1.0.0'] } });
    const digest = sha256(readFileSync(path.join(reg.dir, 'prompts/support/triage/1.0.0.yaml')));
    // 6,000 entries, as promptrail writes them (chained; each one re-promotes 1.0.0 over itself)
    const at = '2026-11-22T10:00:00Z';
    const by = 'Test User <test@example.com>';
    const reason = 'a long audit trail';
    const history = migrateHistory(Array.from({ length: 6000 }, (_, i) => ({ action: 'promote' as const, version: '1.0.0', from: i === 5999 ? null : '1.0.0', sha256: digest, at, by, reason }))) as HistoryEntry[];
    const text = serializeEnv({ environment: 'development', prompts: { 'support/triage': { version: '1.0.0', sha256: digest, previous: '1.0.0', promoted_at: at, promoted_by: by, reason, history } } });
    expect(text.length).toBeGreaterThan(1024 * 1024);
    reg.write('environments/development.yaml', text);
    reg.write('prompts/support/triage/1.0.1.yaml', `${readFileSync(path.join(reg.dir, 'prompts/support/triage/1.0.0.yaml'), 'utf8').replace('version: 1.0.0', 'version: 1.0.1')}#${'x'.repeat(1024 * 1024)}\n`);
    const res = await runValidate({ root: reg.dir, cwd: reg.dir, paths: [], staged: false, cache: false, toolVersion: 'test', workers: 0 });
    const rules = res.errors.map((e) => `${e.file} ${e.rule}`);
    expect(rules).toEqual(['prompts/support/triage/1.0.1.yaml file-too-large']);
  });
});
