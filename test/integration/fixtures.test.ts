/**
 * The sample registries of fixtures/: the valid one passes every read-only command, and each
 * broken one reports exactly its kind of problem (at its position, with the exit code) and
 * nothing else. Run with --no-cache: nothing is written into the fixtures.
 */
import { describe, it, expect } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runInProcess } from '../helpers/in-process.js';

const FIXTURES = fileURLToPath(new URL('../../fixtures', import.meta.url));
const broken = readdirSync(path.join(FIXTURES, 'broken')).sort();

interface Expected {
  exit: number;
  problems: string[];
}

async function validate(dir: string): Promise<{ exit: number; problems: string[] }> {
  const r = await runInProcess(dir, ['validate', '--json', '--no-cache']);
  const j = JSON.parse(r.stdout) as { errors: { file: string; line: number; column: number; rule: string }[]; warnings: typeof j.errors };
  const line = (sev: string) => (p: (typeof j.errors)[number]) => `${sev} ${p.file}:${p.line}:${p.column} ${p.rule}`;
  return { exit: r.code, problems: [...j.errors.map(line('error')), ...j.warnings.map(line('warning'))] };
}

describe('fixtures/valid', () => {
  const dir = path.join(FIXTURES, 'valid');
  it('validates clean and serves list, status and show', async () => {
    expect(await validate(dir)).toEqual({ exit: 0, problems: [] });
    const list = await runInProcess(dir, ['list', '--json']);
    expect(JSON.parse(list.stdout)).toMatchObject({ prompts: [{ id: 'summarize' }, { id: 'support/triage', latest: '1.1.0', environments: { development: '1.1.0', production: '1.0.0' } }] });
    expect((await runInProcess(dir, ['status'])).code).toBe(0);
    expect((await runInProcess(dir, ['show', 'support/triage@production'])).code).toBe(0);
  });
});

describe('fixtures/broken: one registry per kind of problem', () => {
  it('covers the rules validate reports from files', () => {
    expect(broken.length).toBeGreaterThanOrEqual(45);
  });
  for (const name of broken) {
    it(name, async () => {
      const dir = path.join(FIXTURES, 'broken', name);
      const expected = JSON.parse(readFileSync(path.join(dir, 'expected.json'), 'utf8')) as Expected;
      // the folder names the rule it is about
      expect(expected.problems.some((p) => p.endsWith(` ${name}`))).toBe(true);
      expect(await validate(dir)).toEqual(expected);
    });
  }
});

describe('fixtures/broken: other commands stop at the same problem validate reports first', () => {
  // the kinds every command checks when it reads a version file: file guards, YAML, the schema
  const readKinds = broken.filter((n) => /^(yaml-|file-(empty|binary|encoding)$|schema-|conflict-marker$|template-or-messages$)/.test(n));
  it.each(readKinds)('%s: show exits 1 at validate\'s position', async (name) => {
    const dir = path.join(FIXTURES, 'broken', name);
    const expected = JSON.parse(readFileSync(path.join(dir, 'expected.json'), 'utf8')) as Expected;
    const first = expected.problems[0]!.split(' ')[1]!; // file:line:col
    const r = await runInProcess(dir, ['show', 'support/triage@1.0.0']);
    expect(r.code).toBe(1);
    expect(r.stderr.startsWith(`error: ${first.replace(/:1:1$/, '')}`)).toBe(true);
  });
});

