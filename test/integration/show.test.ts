import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { prompts } from './registry-cmd-helpers.js';
import { makeRegistry, promptYaml, type TempRegistry } from '../helpers/registry.js';

let reg: TempRegistry | undefined;
afterEach(() => reg?.cleanup());

const PIN = `environment: production
prompts:
  support/triage:
    version: 1.0.0
    sha256: ${'d'.repeat(64)}
    previous: null
    promoted_at: 2026-11-22T10:00:00Z
    promoted_by: Ana <ana@example.com>
    history: []
`;

describe('prompts show', () => {
  it('prints the version file bytes exactly, for <id>, <id>@latest, <id>@<version> and <id>@<env>', async () => {
    reg = makeRegistry({ prompts: { 'support/triage': ['1.0.0', '1.1.0'] } });
    const odd = `# comment with unicode: café\n${promptYaml('support/triage', '1.1.0')}\n\n`;
    reg.write('prompts/support/triage/1.1.0.yaml', odd);
    reg.write('environments/production.yaml', PIN);
    expect((await prompts(reg.dir, ['show', 'support/triage'])).stdout).toBe(odd);
    expect((await prompts(reg.dir, ['show', 'support/triage@latest'])).stdout).toBe(odd);
    expect((await prompts(reg.dir, ['show', 'support/triage@1.0.0'])).stdout).toBe(promptYaml('support/triage', '1.0.0'));
    const viaEnv = await prompts(reg.dir, ['show', 'support/triage@production']);
    expect(viaEnv.stdout).toBe(promptYaml('support/triage', '1.0.0'));
    expect(viaEnv.stderr).toContain('support/triage@production is 1.0.0');
  });

  it('<id>@<env> warns (stderr) when the file no longer has the promoted bytes; show and render still work', async () => {
    reg = makeRegistry({ prompts: { 'support/triage': ['1.0.0'] } });
    const bytes = readFileSync(path.join(reg.dir, 'prompts/support/triage/1.0.0.yaml'));
    reg.write('environments/production.yaml', PIN.replace('d'.repeat(64), createHash('sha256').update(bytes).digest('hex')));
    const clean = await prompts(reg.dir, ['show', 'support/triage@production']);
    expect(clean.stderr).not.toContain('warning');
    reg.write('prompts/support/triage/1.0.0.yaml', `${bytes.toString('utf8')}# edited after promotion\n`);
    for (const args of [['show', 'support/triage@production'], ['render', 'support/triage@production', '--var', 'ticket=hi'], ['--json', 'render', 'support/triage@production', '--var', 'ticket=hi']]) {
      const r = await prompts(reg.dir, args);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain('warning: prompts/support/triage/1.0.0.yaml changed after it was promoted to production');
    }
    const plain = await prompts(reg.dir, ['show', 'support/triage@1.0.0']);
    expect(plain.stderr).not.toContain('warning');
  });

  it('--json: { id, version, sha256, file, via, prompt }', async () => {
    reg = makeRegistry({ prompts: { 'support/triage': ['1.0.0'] } });
    reg.write('environments/production.yaml', PIN);
    const r = await prompts(reg.dir, ['--json', 'show', 'support/triage@production']);
    const j = JSON.parse(r.stdout);
    const bytes = readFileSync(path.join(reg.dir, 'prompts/support/triage/1.0.0.yaml'));
    expect(j).toMatchObject({ id: 'support/triage', version: '1.0.0', sha256: createHash('sha256').update(bytes).digest('hex'), file: 'prompts/support/triage/1.0.0.yaml', via: 'production' });
    expect(j.prompt.model).toEqual({ provider: 'offline', name: 'echo-1', parameters: { temperature: 0.2, max_tokens: 400 } });
    const plain = JSON.parse((await prompts(reg.dir, ['--json', 'show', 'support/triage'])).stdout);
    expect(plain.via).toBeNull();
  });

  it.each([
    ['support/triage@9.9.9', 'has no version 9.9.9'],
    ['support/triage@1.0.1', 'did you mean "1.0.0"?'],
    ['support/triag', 'did you mean "support/triage"?'],
    ['support/triage@stagin', 'did you mean "staging"?'],
    ['support/triage@prod', 'did you mean "production"?'],
    ['support/triage@staging', 'is not pinned in environment "staging"'],
    ['support/triage@v1.0.0', 'not a strict semver version'],
    ['../x', 'invalid prompt id'],
  ])('%s → exit 2: %s', async (ref, msg) => {
    reg = makeRegistry({ prompts: { 'support/triage': ['1.0.0'] } });
    const r = await prompts(reg.dir, ['show', ref]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(msg);
  });

  it('an invalid version file is refused with file:line:col (exit 1)', async () => {
    reg = makeRegistry({ prompts: { 'support/triage': ['1.0.0'] } });
    reg.write('prompts/support/triage/1.0.0.yaml', promptYaml('support/triage', '1.0.0').replace('description:', 'descripton:'));
    const r = await prompts(reg.dir, ['show', 'support/triage']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: prompts\/support\/triage\/1\.0\.0\.yaml:3:1: .*descripton.*description/);
  });
});
