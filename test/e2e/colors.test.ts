/**
 * Colors are decided per stream: on a real terminal (`script` gives the built CLI a
 * pseudo-terminal), `prompts validate > file` writes no escape codes into the file while the
 * terminal still gets them on stderr, and `2> file` keeps stderr's file clean while stdout, the
 * terminal, is colored.
 */
import { expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { execa } from 'execa';
import { BIN } from '../helpers/cli.js';
import { GIT_ENV, registriesPerTest, promptYaml } from '../helpers/registry.js';
import { describeWithTool } from '../helpers/tools.js';

const reg = registriesPerTest();
// eslint-disable-next-line no-control-regex
const ESC = /\u001b\[/;
const q = (a: string): string => `'${a.replace(/'/g, `'\\''`)}'`;

/** Runs `prompts ...args <redirect>` under a pseudo-terminal; returns what the terminal showed. */
async function onTerminal(args: string[], redirect: string, cwd: string): Promise<string> {
  const command = `stty cols 100 rows 40; ${[process.execPath, BIN, ...args].map(q).join(' ')} ${redirect}`;
  const env: Record<string, string | undefined> = { ...process.env, ...GIT_ENV, TERM: 'xterm' };
  for (const k of ['CI', 'NO_COLOR', 'FORCE_COLOR']) delete env[k];
  const r = await execa('script', ['-qfec', command, '/dev/null'], { cwd, env, extendEnv: false, reject: false, timeout: 30000 });
  return String(r.stdout);
}

/** A registry whose validate report has an error and a warning (colored red/yellow on a terminal). */
function broken(): string {
  const r = reg({ prompts: { 'support/triage': ['1.0.0'] } });
  r.write('prompts/support/triage/1.1.0.yaml', promptYaml('support/triage', '1.1.0', { provider: 'ofline' }));
  return r.dir;
}

describeWithTool('script', ['--version'], 'colors per stream on a terminal', () => {
  for (const [how, pre] of [
    ['validate (the fast path)', []],
    ['-C . validate (through commander)', ['-C', '.']],
  ] as [string, string[]][]) {
    it(`${how} > file: no escape codes in the file; on the terminal the report is colored`, async () => {
      const dir = broken();
      const screen = await onTerminal([...pre, 'validate'], '> out.txt', dir);
      const file = readFileSync(path.join(dir, 'out.txt'), 'utf8');
      expect(file).toContain('provider-unknown');
      expect(file).not.toMatch(ESC);
      expect(screen).not.toContain('provider-unknown');
      // the same command with stdout on the terminal is colored (the test can fail)
      expect(await onTerminal([...pre, 'validate'], '', dir)).toMatch(ESC);
    });
  }

  it('2> file: stderr\'s file has no escape codes while stdout on the terminal is colored', async () => {
    const r = reg({ config: null });
    await onTerminal(['init'], '2> err.txt', r.dir);
    const err = readFileSync(path.join(r.dir, 'err.txt'), 'utf8');
    expect(err).toContain('created');
    expect(err).not.toMatch(ESC);
    // and on the terminal, init's messages are colored (stderr decides for itself)
    const r2 = reg({ config: null });
    expect(await onTerminal(['init'], '> out.txt', r2.dir)).toMatch(ESC);
    const dir = broken();
    const screen = await onTerminal(['validate'], '2> err.txt', dir);
    expect(screen).toContain('provider-unknown');
    expect(screen).toMatch(ESC);
  });
});
