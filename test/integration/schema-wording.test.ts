import { describe, it, expect } from 'vitest';
import { runInProcess } from '../helpers/in-process.js';
import { registriesPerTest, promptYaml } from '../helpers/registry.js';

const reg = registriesPerTest();

describe('one wording for schema problems', () => {
  const broken: [string, (t: string) => string][] = [
    ['an unknown key', (t) => t.replace('description:', 'descripton:')],
    ['a value of the wrong type', (t) => t.replace('name: echo-1', 'name: [echo-1]')],
    ['both template and messages', (t) => t.replace('messages:', 'template: hi\nmessages:')],
    ['a missing required key', (t) => t.replace(/^model:\n( {2}.*\n)+/m, '')],
  ];
  for (const [what, edit] of broken) {
    it(`${what}: show and render say what validate says, at the same position`, async () => {
      const r = reg({ prompts: { 'support/triage': ['1.0.0'] } });
      r.write('prompts/support/triage/1.0.0.yaml', edit(promptYaml('support/triage', '1.0.0')));
      const v = await runInProcess(r.dir, ['validate', '--json']);
      const first = (JSON.parse(v.stdout) as { errors: { file: string; line: number; column: number; message: string }[] }).errors[0]!;
      for (const cmd of [['show', 'support/triage@1.0.0'], ['render', 'support/triage@1.0.0', '--var', 'ticket=x']]) {
        const res = await runInProcess(r.dir, cmd);
        expect(res.code).toBe(1);
        expect(res.stderr.split('\n')[0]).toContain(`error: ${first.file}:${first.line}:${first.column}: ${first.message}`);
      }
    });
  }
});
