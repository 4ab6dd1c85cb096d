import { afterEach, describe, expect, it } from 'vitest';
import { prompts } from './registry-cmd-helpers.js';
import { makeRegistry, type TempRegistry } from '../helpers/registry.js';

let reg: TempRegistry | undefined;
afterEach(() => reg?.cleanup());

const pin = (env: string, pins: Record<string, string>): string =>
  `environment: ${env}\nprompts:\n${Object.entries(pins)
    .map(
      ([id, v]) =>
        `  ${id}:\n    version: ${v}\n    sha256: ${'c'.repeat(64)}\n    previous: null\n    promoted_at: 2026-11-22T10:00:00Z\n    promoted_by: Ana <ana@example.com>\n    history: []\n`,
    )
    .join('')}`;

describe('prompts list', () => {
  it('a folder that is not a valid id (upper case) is skipped with a warning, not a failure of list/types', async () => {
    reg = makeRegistry({ prompts: { summarize: ['1.0.0'] } });
    reg.write('prompts/Support/Triage/1.0.0.yaml', 'id: Support/Triage\n');
    const r = await prompts(reg.dir, ['list']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('summarize');
    expect(r.stderr).toContain('warning: skipped the folder prompts/Support/Triage: "Support/Triage" is not a valid prompt id');
    const t = await prompts(reg.dir, ['types']);
    expect(t.code, t.stderr).toBe(0);
    expect(t.stdout).toContain('"summarize"');
  });

  it('prints each prompt with its latest version and each environment pin (or -)', async () => {
    reg = makeRegistry({ prompts: { 'support/triage': ['1.0.0', '1.10.0', '1.2.0', '2.0.0-rc.1'], summarize: ['0.1.0'] } });
    reg.write('environments/staging.yaml', pin('staging', { 'support/triage': '1.10.0' }));
    reg.write('environments/production.yaml', pin('production', { 'support/triage': '1.2.0' }));
    const r = await prompts(reg.dir, ['list']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        'ID              LATEST                DEVELOPMENT  STAGING  PRODUCTION',
        'summarize       0.1.0                 -            -        -',
        'support/triage  1.10.0 (+2.0.0-rc.1)  -            1.10.0   1.2.0',
        '',
      ].join('\n'),
    );
  });

  it('--json: { prompts: [{ id, latest, latest_stable, versions, environments }] }', async () => {
    reg = makeRegistry({ prompts: { 'support/triage': ['1.0.0', '1.1.0'] } });
    reg.write('environments/development.yaml', pin('development', { 'support/triage': '1.0.0' }));
    const r = await prompts(reg.dir, ['--json', 'list']);
    expect(JSON.parse(r.stdout)).toEqual({
      prompts: [{ id: 'support/triage', latest: '1.1.0', latest_stable: '1.1.0', versions: ['1.0.0', '1.1.0'], environments: { development: '1.0.0', staging: null, production: null }, rollouts: {} }],
    });
  });

  it('lists a prompt pinned in an environment whose folder is gone (latest null)', async () => {
    reg = makeRegistry({ prompts: { a: ['1.0.0'] } });
    reg.write('environments/production.yaml', pin('production', { gone: '1.0.0' }));
    const r = await prompts(reg.dir, ['--json', 'list']);
    expect(JSON.parse(r.stdout).prompts[1]).toEqual({ id: 'gone', latest: null, latest_stable: null, versions: [], environments: { development: null, staging: null, production: '1.0.0' }, rollouts: {} });
  });

  it('an empty registry prints a hint on stderr and nothing on stdout', async () => {
    reg = makeRegistry();
    const r = await prompts(reg.dir, ['list']);
    expect(r).toMatchObject({ code: 0, stdout: '' });
    expect(r.stderr).toContain('prompts new <id>');
  });

  it('a broken environment file is reported with its location', async () => {
    reg = makeRegistry({ prompts: { a: ['1.0.0'] } });
    reg.write('environments/staging.yaml', 'environment: staging\nprompts: [\n');
    const r = await prompts(reg.dir, ['list']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: environments\/staging\.yaml:\d+:\d+: /);
  });
});
