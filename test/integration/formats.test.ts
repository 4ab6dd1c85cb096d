import { describe, it, expect } from 'vitest';
import { runInProcess } from '../helpers/in-process.js';
import { registriesPerTest } from '../helpers/registry.js';

const reg = registriesPerTest();

describe('--format: one table of reporters per command family', () => {
  const families: [string, string[], string[]][] = [
    ['validate', ['validate'], ['text', 'json', 'github', 'junit']],
    ['diff', ['diff', 'support/triage'], ['text', 'markdown', 'json']],
  ];
  for (const [name, args, formats] of families) {
    it(`${name}: an unknown format is exit 2 naming the formats; every format renders; --json always gives JSON`, async () => {
      const r = reg({ prompts: { 'support/triage': ['1.0.0', '1.1.0'] } });
      const bad = await runInProcess(r.dir, [...args, '--format', 'xml']);
      expect(bad).toMatchObject({ code: 2, stdout: '' });
      expect(bad.stderr).toBe(`error: unknown --format "xml" for ${name} (use one of: ${formats.join(', ')})\n`);
      // an unknown format is refused with --json too
      expect((await runInProcess(r.dir, ['--json', ...args, '--format', 'xml'])).code).toBe(2);
      for (const f of formats) {
        const out = await runInProcess(r.dir, [...args, '--format', f]);
        expect(out.code, f).toBe(0);
        if (f === 'json') expect(() => JSON.parse(out.stdout) as unknown).not.toThrow();
        const asJson = await runInProcess(r.dir, ['--json', ...args, '--format', f]);
        expect(JSON.parse(asJson.stdout)).toEqual(JSON.parse((await runInProcess(r.dir, [...args, '--format', 'json'])).stdout));
      }
    });
  }
});
