/** The built CLI end to end for SPEC §15: approve, promote behind approvals, history --at and verify — exit codes, stdout, stderr. */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { cli } from '../helpers/cli.js';
import { makeRegistry, type TempRegistry } from '../helpers/registry.js';

const CONFIG = `environments:
  development: {}
  production:
    requires: development
    approvals: { required: 1 }
providers:
  offline: { type: echo }
`;

const who = (name: string): Record<string, string> => {
  const email = `${name.toLowerCase()}@example.com`;
  return { GIT_AUTHOR_NAME: name, GIT_AUTHOR_EMAIL: email, GIT_COMMITTER_NAME: name, GIT_COMMITTER_EMAIL: email };
};

let r: TempRegistry;
beforeAll(() => {
  r = makeRegistry({ git: true, config: CONFIG, prompts: { 'support/triage': ['1.0.0'] } });
  r.write('.gitignore', '.prompts/\n');
  r.commitAll('init');
});
afterAll(() => r.cleanup());

const run = (name: string, args: string[]) => cli(args, { cwd: r.dir, env: who(name) });

describe('approvals end to end', () => {
  it('refuses, approves, promotes, shows the moment and verifies', async () => {
    expect((await run('Carl', ['promote', 'support/triage@1.0.0', '--env', 'development'])).exitCode).toBe(0);
    let res = await run('Carl', ['promote', 'support/triage', '--env', 'production']);
    expect(res.exitCode).toBe(1);
    expect(res.stdout).toBe('');
    expect(res.stderr).toMatch(/^error: refused: "production" requires 1 approval of support\/triage@1\.0\.0 \(sha256 [0-9a-f]{12}…\) by people other than its author and the promoter; it has none: 1 more approval needed/);
    expect(res.stderr).not.toMatch(/\n\s+at /);

    res = await run('Test', ['approve', 'support/triage@1.0.0', '--env', 'production']);
    expect(res.exitCode).toBe(1);
    expect(res.stderr).toMatch(/^error: refused: Test <test@example\.com> authored support\/triage@1\.0\.0/);

    res = await run('Bo', ['approve', 'support/triage', '--env', 'production']);
    expect(res.exitCode).toBe(2);
    expect(res.stderr).toMatch(/^error: approve takes <id>@<version>, not "support\/triage"/);

    res = await run('Bo', ['approve', 'support/triage@1.0.0', '--env', 'production', '--dry-run']);
    expect(res.exitCode).toBe(0);
    expect(res.stdout).toMatch(/^would approve support\/triage@1\.0\.0 for production\n {2}approver: Bo <bo@example\.com>\n/);
    expect(res.stdout).toMatch(/\(dry run: nothing written\)\n$/);

    res = await run('Bo', ['approve', 'support/triage@1.0.0', '--env', 'production', '--reason', 'read it']);
    expect(res.exitCode, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/^approved support\/triage@1\.0\.0 for production \(commit [0-9a-f]{12}\)\n$/);

    res = await run('Bo', ['approve', 'support/triage@1.0.0', '--env', 'production']);
    expect(res.exitCode).toBe(1);
    expect(res.stderr).toMatch(/already approved/);

    res = await run('Carl', ['promote', 'support/triage', '--env', 'production']);
    expect(res.exitCode, res.stderr).toBe(0);

    res = await run('Carl', ['history', '--env', 'production', '--at', 'HEAD']);
    expect(res.exitCode).toBe(0);
    expect(res.stdout).toMatch(/^production as of HEAD: commit [0-9a-f]{12} /);
    expect(res.stdout).toContain('approvals: Bo <bo@example.com> at ');
    expect(res.stdout).toContain('(read it)');

    res = await run('Carl', ['history', '--env', 'production', '--at', 'HEAD~1', '--json']);
    expect(JSON.parse(res.stdout)).toMatchObject({ env: 'production', pins: [] });

    res = await run('Carl', ['verify']);
    expect(res.exitCode, res.stdout).toBe(0);
    expect(res.stdout).toMatch(/2 pins verified\n$/);

    res = await run('Carl', ['verify', '--format', 'yaml']);
    expect(res.exitCode).toBe(2);

    // a hand edit of the pin: verify exits 1 naming it, as markdown for a PR comment
    const text = await import('node:fs').then((fs) => fs.readFileSync(`${r.dir}/environments/production.yaml`, 'utf8'));
    r.write('environments/production.yaml', text.replace(/previous: null/, 'previous: 0.9.0'));
    res = await run('Carl', ['verify', '--env', 'production', '--format', 'markdown']);
    expect(res.exitCode).toBe(1);
    expect(res.stdout).toMatch(/^### prompts verify: untraceable pins\n/);
    expect(res.stdout).toContain('chain: the pin\'s previous is 0.9.0');
  });
});
