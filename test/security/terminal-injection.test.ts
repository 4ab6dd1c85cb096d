/**
 * Attack class: injection through printed text (SPEC §11, issue 8 item 8). A pull request
 * controls case names, YAML keys, schema property names, reasons and `by` fields (a hand-edited
 * environment file), and a provider controls its replies and error bodies. None of it may act
 * on the terminal (ANSI CSI/OSC, `\r`), start a line of its own, start a GitHub Actions
 * workflow command (`::error …`, `::add-mask::`), or add markup to a markdown output.
 */
import { describe, expect, it } from 'vitest';
import { sandboxesPerTest, errorLines, type Sandbox } from '../helpers/security.js';
import type { CliResult } from '../helpers/cli.js';
import { startOpenAIServer } from '../helpers/servers/openai.js';
import { safeLines, safeText, markdownText } from '../../src/core/escape.js';

const sandbox = sandboxesPerTest();

/** The hostile text: clear screen, set the window title (OSC), carriage return, a new line holding a workflow command. */
const EVIL = '\u001b[2J\u001b]0;owned\u0007\rfake\n::error file=x,line=1::pwned\n  ::add-mask::x\u009b31m\u202eevil';
const EVIL_YAML = '"\\e[2J\\e]0;owned\\a\\rfake\\n::error file=x,line=1::pwned\\n  ::add-mask::x\\u009b31m\\u202Eevil"';

/** What no output stream may hold after untrusted text went through it. */
function expectInert(text: string): void {
  // eslint-disable-next-line no-control-regex
  expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202e]/);
  for (const line of text.split('\n')) expect(line).not.toMatch(/^\s*::/);
}

function expectAllInert(...rs: CliResult[]): void {
  for (const r of rs) {
    expectInert(r.stdout);
    expectInert(r.stderr);
  }
}

const PROMPT = (id: string, v: string) => `id: ${id}
version: ${v}
model: { provider: offline, name: echo-1 }
inputs: { type: object, properties: { t: { type: string } } }
template: "{{t}}"
`;

function promptRepo(s: Sandbox): void {
  s.write('prompts/x/1.0.0.yaml', PROMPT('x', '1.0.0'));
  s.write(
    'prompts/x/evals.yaml',
    `cases:
  - name: ${EVIL_YAML}
    vars: { t: ${EVIL_YAML} }
    assert:
      - { type: equals, value: "something else", name: ${EVIL_YAML} }
`,
  );
  s.commitAll('prompts');
}

describe('the one escaping function', () => {
  it('escapes every control character, keeps the value on its line and never starts a workflow command', () => {
    const t = safeText(EVIL);
    expectInert(t);
    expect(t).not.toContain('\n');
    expect(t).toContain('\\e[2J');
    expect(safeText('::error::x')).toBe('\\u003a:error::x');
    expect(safeText('  ::warning::x')).toBe('  \\u003a:warning::x');
    expect(safeText('a::b')).toBe('a::b');
    const lines = safeLines(`refused:\n  - ${'::error::x'}\n::stop-commands::t`);
    expectInert(lines);
    expect(lines.split('\n')).toHaveLength(3);
    expect(safeLines('\u001b[31mred\u001b[39m', { keepColors: true })).toBe('\u001b[31mred\u001b[39m');
    expect(safeLines('\u001b]0;t\u0007', { keepColors: true })).toBe('\\e]0;t\\u0007');
  });

  it('markdown text cannot open a tag, a link, an image, a mention or a line', () => {
    const md = markdownText('<img src=x onerror=alert(1)>![i](https://e.x) @team\n# h');
    expect(md).not.toMatch(/<|\n|\]\(|@/);
  });
});

// many runs of the built CLI: bounded generously for a loaded machine (a hang still fails)
describe('no injection through printed text (built CLI)', { timeout: 120_000 }, () => {
  it('eval: hostile case names, assertion names and replies stay inert under GitHub Actions (text, junit, markdown summary)', async () => {
    const s = sandbox();
    promptRepo(s);
    const summary = `${s.outside}/tmp/summary.md`;
    const gh = { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary };
    const text = await s.run(['eval', 'x'], { env: gh });
    expect(text.exitCode).toBe(1);
    expect(text.stdout).toContain('FAIL');
    expect(text.stdout).toContain('\\e[2J');
    const junit = await s.run(['eval', 'x', '--format', 'junit']);
    expect(junit.exitCode).toBe(1);
    expectAllInert(text, junit);
    const { readFileSync } = await import('node:fs');
    const md = readFileSync(summary, 'utf8');
    expect(md).not.toMatch(/<img|<script|\n::/);
    expect(md).not.toContain(String.fromCharCode(27));
    // the summary file is the one place outside the repo a run may write to (it was asked to)
    expect(s.outsideChanges()).toEqual(['outside/tmp/summary.md']);
    expect(s.leaks([text, junit])).toEqual([]);
  });

  it('history and status: a reason, a `by` and a hand-edited environment file cannot rewrite the terminal', async () => {
    const s = sandbox();
    s.write('prompts/x/1.0.0.yaml', PROMPT('x', '1.0.0'));
    s.commitAll('prompts');
    const promote = await s.run(['promote', 'x@1.0.0', '--env', 'development', '--reason', EVIL], { env: { GIT_AUTHOR_NAME: 'Eve \u001b[8m', GIT_COMMITTER_NAME: 'Eve \u001b[8m' } });
    expect(promote.exitCode).toBe(0);
    // a pull request edits the file by hand: `promoted_by` and a history `by` with escapes
    const { readFileSync, writeFileSync } = await import('node:fs');
    const file = `${s.repo}/environments/development.yaml`;
    writeFileSync(file, readFileSync(file, 'utf8').replace(/by: "(?:[^"\\]|\\.)*"/g, `by: ${EVIL_YAML}`));
    const history = await s.run(['history', 'x']);
    expect(history.exitCode).toBe(0);
    expect(history.stdout).toContain('reason: \\e[2J');
    const status = await s.run(['status']);
    const list = await s.run(['list']);
    expectAllInert(promote, history, status, list);
    expect(s.outsideChanges()).toEqual([]);
    expect(s.leaks([promote, history, status, list])).toEqual([]);
  });

  it('rollout status: a hand-edited `started_by`, salt and history `by` cannot rewrite the terminal', async () => {
    const s = sandbox();
    s.write('prompts/x/1.0.0.yaml', PROMPT('x', '1.0.0'));
    s.write('prompts/x/1.0.1.yaml', PROMPT('x', '1.0.1'));
    s.commitAll('prompts');
    expect((await s.run(['promote', 'x@1.0.0', '--env', 'development'])).exitCode).toBe(0);
    const start = await s.run(['rollout', 'start', 'x@1.0.1', '--env', 'development', '--weight', '10']);
    expect(start.stderr).toBe('');
    expect(start.exitCode).toBe(0);
    const { readFileSync, writeFileSync } = await import('node:fs');
    const file = `${s.repo}/environments/development.yaml`;
    const edited = readFileSync(file, 'utf8')
      .replace(/(started_by|by|salt): "(?:[^"\\]|\\.)*"/g, (_m, k: string) => `${k}: ${EVIL_YAML}`)
      .replace(/(started_by|by|salt): (?!")[^\n]*/g, (_m, k: string) => `${k}: ${EVIL_YAML}`);
    expect(edited).not.toBe(readFileSync(file, 'utf8'));
    writeFileSync(file, edited);
    const status = await s.run(['rollout', 'status', '--env', 'development']);
    const history = await s.run(['history', 'x']);
    expect(status.stdout + status.stderr).toContain('\\e[2J');
    expectAllInert(start, status, history);
    expect(s.outsideChanges()).toEqual([]);
  });

  it('validate: a hostile YAML key and case name are escaped in text and in --format github (no new workflow command)', async () => {
    const s = sandbox();
    s.write('prompts/x/1.0.0.yaml', `${PROMPT('x', '1.0.0')}${EVIL_YAML}: 1\n`);
    s.write('prompts/x/evals.yaml', `cases:\n  - name: ${EVIL_YAML}\n    vars: { t: a }\n    assert: [{ type: regex, pattern: "(" }]\n  - name: ${EVIL_YAML}\n    vars: { t: a }\n`);
    const text = await s.run(['validate'], { env: { GITHUB_ACTIONS: 'true' } });
    const github = await s.run(['validate', '--format', 'github']);
    expect(text.exitCode).toBe(1);
    expect(github.exitCode).toBe(1);
    expect(text.stdout).toContain('schema-unknown-key');
    expectInert(text.stdout);
    expectInert(text.stderr);
    // every line of the github format is one of our annotations
    for (const line of github.stdout.trimEnd().split('\n')) expect(line).toMatch(/^::(error|warning) file=[^:]*,line=\d+,col=\d+,title=[a-z-]+::/);
    // eslint-disable-next-line no-control-regex
    expect(github.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    expect(s.outsideChanges()).toEqual([]);
  });

  it('a provider error body with escapes is one inert error line', async () => {
    const server = await startOpenAIServer({ respond: () => ({ type: 'status', status: 401, message: EVIL }) });
    try {
      const s = sandbox({
        config: `providers:\n  llm: { type: openai, base_url: "${server.url}", api_key_env: OPENAI_API_KEY }\n`,
      });
      s.write('prompts/x/1.0.0.yaml', PROMPT('x', '1.0.0').replace('provider: offline', 'provider: llm'));
      s.write('prompts/x/evals.yaml', 'cases:\n  - name: a\n    vars: { t: a }\n');
      s.commitAll();
      const r = await s.run(['eval', 'x']);
      expect(r.exitCode).toBe(2);
      expect(errorLines(r.stderr)).toHaveLength(1);
      expect(errorLines(r.stderr)[0]).toContain('HTTP 401');
      expectAllInert(r);
      expect(s.leaks([r])).toEqual([]);
      expect(s.outsideChanges()).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it('diff --format markdown: schema property names and reasons cannot add HTML or break out of code', async () => {
    const s = sandbox();
    s.write('prompts/x/1.0.0.yaml', PROMPT('x', '1.0.0'));
    s.write('prompts/x/1.1.0.yaml', PROMPT('x', '1.1.0').replace('properties: { t: { type: string } }', 'properties: { t: { type: string }, "a`</td><img src=x onerror=alert(1)>`": { type: string } }').replace('template: "{{t}}"', 'template: "{{t}}\\n~~~~\\n```\\n</details><script>x</script>"'));
    const r = await s.run(['diff', 'x@1.0.0', 'x@1.1.0', '--format', 'markdown']);
    expect(r.exitCode).toBe(0);
    const outsideCode = r.stdout.replace(/^(`{3,})diff\n[\s\S]*?\n\1$/gm, '').replace(/`[^`\n]*`/g, '');
    expect(outsideCode).not.toMatch(/<img|<script|<\/td>/);
    expect(r.stdout).toMatch(/^````diff$/m);
    expect(s.outsideChanges()).toEqual([]);
  });
});
