/** A reader that closes the pipe early (`| head -1`, `grep -q`) must not make the CLI crash. */
import { describe, it, expect, afterAll } from 'vitest';
import { execa } from 'execa';
import { BIN } from '../helpers/cli.js';
import { makeRegistry, GIT_ENV } from '../helpers/registry.js';

const reg = makeRegistry({ prompts: Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`p${i}/x`, ['1.0.0', '1.1.0']])) });
afterAll(() => reg.cleanup());

describe('closed stdout pipe', () => {
  it.each([['list'], ['show', 'p1/x'], ['render', 'p1/x', '--var', 'ticket=t']])('prompts %s | true: no stack trace, exit 0', async (...args) => {
    const cmd = `for i in 1 2 3 4 5; do "${process.execPath}" "${BIN}" ${args.join(' ')} | true; echo "status=\${PIPESTATUS[0]}"; done`;
    const r = await execa('bash', ['-c', cmd], { cwd: reg.dir, env: { ...GIT_ENV, NO_COLOR: '1', CI: 'true' }, reject: false });
    expect(r.stderr).not.toMatch(/EPIPE|node:events|at /);
    expect(r.stdout.trim().split('\n')).toEqual(Array(5).fill('status=0'));
  });
});
