/**
 * `validate --format junit` and `eval --format junit` are what Jenkins' xunit plugin accepts:
 * every report validates against its JUnit schema (test/fixtures/xsd/jenkins-junit-10.xsd),
 * checked with the real `xmllint --schema`.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeWithTool } from '../helpers/tools.js';
import { runInProcess } from '../helpers/in-process.js';
import { makeRegistry, promptYaml, type TempRegistry } from '../helpers/registry.js';

const XSD = fileURLToPath(new URL('../fixtures/xsd/jenkins-junit-10.xsd', import.meta.url));
const FIXTURES = fileURLToPath(new URL('../../fixtures', import.meta.url));

let out: string;
beforeAll(() => {
  out = mkdtempSync(path.join(tmpdir(), 'promptrail-junit-'));
});
afterAll(() => rmSync(out, { recursive: true, force: true }));

/** xmllint's verdict on one report ("" when it validates). */
function schemaErrors(xml: string, name: string): string {
  const file = path.join(out, `${name.replace(/[^a-z0-9.-]/gi, '_')}.xml`);
  writeFileSync(file, xml);
  const r = spawnSync('xmllint', ['--noout', '--schema', XSD, file], { encoding: 'utf8' });
  return r.status === 0 ? '' : `${r.stderr}\n${xml.slice(0, 3000)}`;
}

describeWithTool('xmllint', ['--version'], 'JUnit reports validate against the Jenkins xunit JUnit schema', () => {
  it('validate --format junit, for the valid fixture and every broken one', async () => {
    const dirs = ['valid', ...readdirSync(path.join(FIXTURES, 'broken')).map((b) => `broken/${b}`)];
    for (const d of dirs) {
      const r = await runInProcess(path.join(FIXTURES, d), ['validate', '--format', 'junit', '--no-cache']);
      expect(r.stdout.startsWith('<?xml'), `${d}: ${r.stderr}`).toBe(true);
      expect(schemaErrors(r.stdout, d), d).toBe('');
    }
  });

  it('validate --format junit with errors and warnings in one file, and markup in messages', async () => {
    const reg: TempRegistry = makeRegistry({ prompts: { 'support/triage': ['1.0.0'] } });
    try {
      reg.write('prompts/support/triage/1.1.0.yaml', promptYaml('support/triage', '1.1.0', { provider: 'of<li>ne "&"', body: '\n      {{unknown_var}}' }));
      const r = await runInProcess(reg.dir, ['validate', '--format', 'junit', '--no-cache']);
      expect(r.code).toBe(1);
      expect(r.stdout).toContain('<failure ');
      expect(r.stdout).not.toContain(' file=');
      expect(schemaErrors(r.stdout, 'errors-and-warnings')).toBe('');
    } finally {
      reg.cleanup();
    }
  });

  it('eval --format junit: passes, failures, errors, repeats, providers side by side, shards', async () => {
    const reg = makeRegistry({
      config: `environments:\n  development: {}\nproviders:\n  offline: { type: echo }\n  other: { type: echo }\n`,
      prompts: { 'support/triage': ['1.0.0'] },
    });
    try {
      reg.write(
        'prompts/support/triage/evals.yaml',
        `cases:
  - name: passes <&> "quoted" 'single'
    vars: { ticket: "refund please" }
    assert: [{ type: contains, value: refund }]
  - name: fails
    vars: { ticket: "app crashes" }
    assert: [{ type: equals, value: "nope <b>" }, { type: contains, value: crashes }]
  - name: errors (missing input)
    vars: { customer_tier: pro }
    assert: [{ type: contains, value: x }]
`,
      );
      const runs: [string, string[]][] = [
        ['one', []],
        ['repeat', ['--repeat', '2']],
        ['providers', ['--provider', 'offline,other']],
        ['shard', ['--shard', '1/2']],
      ];
      for (const [name, extra] of runs) {
        const r = await runInProcess(reg.dir, ['eval', 'support/triage@1.0.0', '--format', 'junit', ...extra]);
        expect(r.stdout.startsWith('<?xml'), `${name}: ${r.stderr}`).toBe(true);
        if (name === 'one') {
          expect(r.stdout).toContain('<failure ');
          expect(r.stdout).toContain('<error ');
        }
        expect(schemaErrors(r.stdout, `eval-${name}`), name).toBe('');
      }
    } finally {
      reg.cleanup();
    }
  });
});
