import { describe, it, expect } from 'vitest';
import { parseValidateArgs } from '../../src/cli/commands/validate-fast.js';

describe('validate start-up shortcut: argument parsing', () => {
  it('understands every validate option and global flag it supports', () => {
    expect(parseValidateArgs(['--staged', '--no-cache', '--format', 'github', '--base=origin/main', '-C', 'sub', '--json', '--no-color', '-q', '--verbose', 'prompts/a', '--', '-odd'])).toEqual({
      paths: ['prompts/a', '-odd'],
      opts: { staged: true, base: 'origin/main', format: 'github', cache: false },
      cwd: 'sub',
      json: true,
      color: false,
      quiet: true,
      verbose: true,
    });
    expect(parseValidateArgs([])).toMatchObject({ paths: [], opts: { format: 'text', cache: true } });
  });
  it.each([[['--help']], [['-h']], [['--stagd']], [['--format']], [['--base', '--staged']], [['-qC', 'x']], [['--cwd']]])('leaves %j to commander', (args) => {
    expect(parseValidateArgs(args)).toBeNull();
  });
});
