/**
 * Every command's --help has examples that use only the command's own (or global) options, and
 * marks the options it cannot run without as (required). Commands are found from the help
 * itself, so a new command without examples fails here.
 */
import { describe, expect, it } from 'vitest';
import { run } from '../../src/cli/main.js';
import { EXAMPLES } from '../../src/cli/help.js';

async function help(args: string[]): Promise<string> {
  let out = '';
  const code = await run([...args, '--help'], { stdout: { write: (s) => void (out += s), isTTY: false }, stderr: { write: (s) => void (out += s), isTTY: false }, env: { NO_COLOR: '1' } });
  expect(code).toBe(0);
  return out;
}
const commandsIn = (text: string): string[] => {
  const at = text.indexOf('\nCommands:\n');
  if (at === -1) return [];
  return text
    .slice(at + 11)
    .split('\n')
    .map((l) => /^ {2}([a-z][a-z-]*)/.exec(l)?.[1])
    .filter((n): n is string => n !== undefined && n !== 'help');
};

async function leafCommands(): Promise<string[][]> {
  const out: string[][] = [];
  const walk = async (prefix: string[]): Promise<void> => {
    for (const name of commandsIn(await help(prefix))) {
      const path = [...prefix, name];
      const sub = commandsIn(await help(path));
      if (sub.length) await walk(path);
      else out.push(path);
    }
  };
  await walk([]);
  return out;
}

describe('--help', () => {
  it('every command has examples using only its own and the global options; required options are marked', async () => {
    const leaves = await leafCommands();
    expect(leaves.length).toBeGreaterThanOrEqual(18);
    const globals = await help([]);
    for (const path of leaves) {
      const text = await help(path);
      const name = path.join(' ');
      expect(text, name).toContain('\nExamples:\n');
      const examples = text.slice(text.indexOf('\nExamples:\n')).split('\n').filter((l) => l.startsWith('  $ '));
      expect(examples.length, name).toBeGreaterThan(0);
      expect(EXAMPLES[name], name).toBeDefined();
      for (const ex of examples) {
        const cmd = ex.slice(4).split('#')[0]!;
        expect(cmd.startsWith(`prompts ${name}`) || cmd.includes(`| prompts ${name}`), `${name}: ${ex}`).toBe(true);
        for (const flag of cmd.match(/(?<=\s)--?[a-z][a-z-]*/g) ?? []) {
          expect(text.includes(`${flag} `) || text.includes(`${flag},`) || globals.includes(` ${flag}`), `${name}: ${flag} in "${ex}" is not an option`).toBe(true);
        }
      }
      // an option the command cannot run without says so
      for (const m of text.matchAll(/^ {2}(--[a-z-]+)[^\n]*$/gm)) {
        if (['promote', 'rollback', 'build'].includes(name) && m[1] === '--env') expect(m[0], name).toContain('(required)');
      }
    }
  });
});
