/**
 * Progress on a real terminal: `script` gives the built CLI a pseudo-terminal, so stderr is a
 * TTY as on a developer's machine. The spinner (ora) shows there, and never in CI, with --json
 * or with --quiet, where stderr must stay clean for logs.
 */
import { it, expect, beforeAll, afterAll } from 'vitest';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { execa } from 'execa';
import { BIN } from '../helpers/cli.js';
import { GIT_ENV, registriesPerTest, promptYaml } from '../helpers/registry.js';
import { startOpenAIServer, type FakeServer } from '../helpers/servers/openai.js';
import { describeWithTool } from '../helpers/tools.js';

const reg = registriesPerTest();
let server: FakeServer;
beforeAll(async () => {
  server = await startOpenAIServer({ latencyMs: 40 });
});
afterAll(async () => {
  await server.close();
});

/** Runs the CLI with a pseudo-terminal as stdin/stdout/stderr; returns what the terminal showed. */
async function onTerminal(args: string[], cwd: string, env: Record<string, string>): Promise<{ screen: string; exitCode: number }> {
  // a pseudo-terminal starts with no size; a real one has one
  const command = `stty cols 100 rows 40; ${[process.execPath, BIN, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ')}`;
  const base: Record<string, string | undefined> = { ...process.env, ...GIT_ENV, NO_COLOR: '1', TERM: 'xterm', ...env };
  if (!('CI' in env)) delete base.CI;
  const r = await execa('script', ['-qfec', command, '/dev/null'], { cwd, env: base, extendEnv: false, reject: false, timeout: 30000 });
  return { screen: String(r.stdout), exitCode: r.exitCode ?? -1 };
}

function registry(): string {
  const r = reg({
    config: `providers:\n  llm: { type: openai, base_url: "${server.url}" }\neval: { concurrency: 2, retries: 0 }\n`,
  });
  r.write('prompts/support/triage/1.0.0.yaml', promptYaml('support/triage', '1.0.0', { provider: 'llm' }));
  const cases = Array.from({ length: 24 }, (_, i) => `  - { name: c${i}, vars: { ticket: "t${i}" } }`);
  r.write('prompts/support/triage/evals.yaml', `cases:\n${cases.join('\n')}\n`);
  return r.dir;
}

describeWithTool('script', ['--version'], 'progress on a terminal', () => {
  it('eval shows a spinner with done/total on a TTY and removes it before the report', async () => {
    const { screen, exitCode } = await onTerminal(['eval', 'support/triage@1.0.0', '--no-cache'], registry(), {});
    expect(exitCode).toBe(0);
    // ora's dots spinner and the progress text, redrawn in place
    expect(screen).toMatch(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] eval \d+\/24/);
    // the report follows; the spinner line was cleared, not left behind in it
    const report = screen.slice(screen.lastIndexOf(' passed'));
    expect(screen).toContain('24/24 passed');
    expect(report).not.toMatch(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/);
  });

  it('Ctrl-C on the terminal while the spinner runs: the spinner goes, the partial report is written, exit 130', async () => {
    const dir = registry();
    const command = `stty cols 100 rows 40; '${process.execPath}' '${BIN}' eval support/triage@1.0.0 --no-cache --concurrency 1 -o partial.json`;
    const env: Record<string, string | undefined> = { ...process.env, ...GIT_ENV, NO_COLOR: '1', TERM: 'xterm' };
    delete env.CI;
    const child = execa('script', ['-qfec', command, '/dev/null'], { cwd: dir, env, extendEnv: false, reject: false, timeout: 30000 });
    let screen = '';
    child.stdout!.on('data', (d: Buffer) => (screen += d.toString('utf8')));
    const t0 = Date.now();
    while (!/ \d+\/24/.test(screen) && Date.now() - t0 < 15000) await new Promise((r) => setTimeout(r, 20));
    child.stdin!.write('\x03'); // the terminal turns it into SIGINT for the foreground process
    const r = await child;
    expect(r.exitCode).toBe(130);
    expect(screen).toContain('interrupted: finishing the report');
    const report = JSON.parse(readFileSync(path.join(dir, 'partial.json'), 'utf8')) as { interrupted: boolean; cases: number };
    expect(report.interrupted).toBe(true);
    expect(report.cases).toBeLessThan(24);
  });

  for (const [what, args, env] of [
    ['CI=true', [], { CI: 'true' }],
    ['--json', ['--json'], {}],
    ['--quiet', ['-q'], {}],
  ] as [string, string[], Record<string, string>][]) {
    it(`no spinner with ${what}, even on a TTY`, async () => {
      const { screen, exitCode } = await onTerminal(['eval', 'support/triage@1.0.0', '--no-cache', ...args], registry(), env);
      expect(exitCode).toBe(0);
      expect(screen).not.toMatch(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/);
      expect(screen).not.toMatch(/\d+\/24(?! passed)/);
    });
  }
});
