/**
 * The markdown `diff` and `eval` append to $GITHUB_STEP_SUMMARY, rendered by GitHub's own
 * renderer (cmark-gfm, with raw HTML let through as GitHub does before sanitizing): nothing a
 * prompt file or a reply holds becomes markup, and no fence inside a template ends its block.
 */
import { expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describeWithTool } from '../helpers/tools.js';
import { runInProcess } from '../helpers/in-process.js';
import { registriesPerTest } from '../helpers/registry.js';

const makeReg = registriesPerTest();

const EVIL = [
  'Plain line before',
  '```',
  '</details><img src=x onerror=alert(1)><script>alert(2)</script>',
  '~~~~',
  '````````',
  '   ```js',
  '<b>bold?</b> *emph* [link](https://evil.example) @team',
  'Plain line after',
];

const version = (v: string, body: string[]): string => `id: evil
version: ${v}
model: { provider: offline, name: echo-1 }
inputs: { type: object, required: [ticket], properties: { ticket: { type: string } }, additionalProperties: false }
messages:
  - role: system
    content: |
${body.map((l) => `      ${l}`).join('\n')}
  - role: user
    content: "{{ticket}}"
`;

function render(md: string): string {
  const r = spawnSync('cmark-gfm', ['--unsafe', '-e', 'table', '-e', 'strikethrough', '-e', 'autolink'], { input: md, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}
const tags = (html: string): Set<string> => new Set([...html.matchAll(/<([a-zA-Z][a-zA-Z0-9]*)/g)].map((m) => m[1]!.toLowerCase()));
const unescape = (s: string): string => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&');

describeWithTool('cmark-gfm', ['--version'], 'GITHUB_STEP_SUMMARY markdown, rendered by GitHub\'s renderer', () => {
  it('diff: a template with fences and HTML stays inside its code block; nothing becomes markup', async () => {
    const reg = makeReg({ config: 'environments:\n  development: {}\nproviders:\n  offline: { type: echo }\n' });
    reg.write('prompts/evil/1.0.0.yaml', version('1.0.0', ['Plain line before', 'Plain line after']));
    // a description and an input name that would break out of a code span, and a new template
    const v110 = version('1.1.0', EVIL)
      .replace('inputs: {', 'description: "<img src=y> `x` | y"\ninputs: {')
      .replace('ticket: { type: string } }', 'ticket: { type: string }, "a`<img src=z onerror=alert(4)>`|": { type: string } }');
    reg.write('prompts/evil/1.1.0.yaml', v110);
    const summary = path.join(reg.dir, 'summary.md');
    const r = await runInProcess(reg.dir, ['diff', 'evil', '--format', 'markdown'], { GITHUB_STEP_SUMMARY: summary });
    expect(r.code, r.stderr).toBe(0);
    const html = render(readFileSync(summary, 'utf8'));
    const allowed = ['code', 'details', 'h3', 'li', 'p', 'pre', 'strong', 'summary', 'table', 'tbody', 'td', 'th', 'thead', 'tr', 'ul'];
    for (const t of tags(html)) expect(allowed).toContain(t);
    expect(html).not.toMatch(/<(img|script|b|a|em)\b/);
    // the whole template diff is one code block, every line of it inside
    const blocks = [...html.matchAll(/<pre><code[^>]*>([\s\S]*?)<\/code><\/pre>/g)].map((m) => unescape(m[1]!));
    expect(blocks).toHaveLength(1);
    for (const l of EVIL) expect(blocks[0]).toContain(l);
    expect(html.match(/<details/g)).toHaveLength(1);
    expect(html.match(/<\/details>/g)).toHaveLength(1);
    expect(html.trimEnd().endsWith('</details>')).toBe(true);
  });

  it('eval: case names, replies and messages with HTML and fences are text', async () => {
    const reg = makeReg({ config: 'environments:\n  development: {}\nproviders:\n  offline: { type: echo }\n' });
    reg.write('prompts/evil/1.0.0.yaml', version('1.0.0', EVIL));
    reg.write(
      'prompts/evil/evals.yaml',
      `cases:
  - name: "<img src=x onerror=alert(1)> \`\`\` | pipe"
    vars: { ticket: "</td></tr></table><script>alert(3)</script>" }
    assert: [{ type: equals, value: "<b>never</b>" }]
  - name: passes
    vars: { ticket: "hello" }
    assert: [{ type: contains, value: hello }]
`,
    );
    const summary = path.join(reg.dir, 'summary.md');
    const r = await runInProcess(reg.dir, ['eval', 'evil@1.0.0'], { GITHUB_STEP_SUMMARY: summary });
    expect(r.stderr).not.toContain('cannot append');
    const html = render(readFileSync(summary, 'utf8'));
    expect(html).not.toMatch(/<(img|script|b|a|em|details)\b/);
    expect(html.match(/<table>/g)).toHaveLength(1);
    expect(html.match(/<\/table>/g)).toHaveLength(1);
    // one row per case, both rows in the table's body
    const body = /<tbody>([\s\S]*?)<\/tbody>/.exec(html)![1]!;
    expect(body.match(/<tr>/g)).toHaveLength(2);
    expect(unescape(body)).toContain('<img src=x onerror=alert(1)>');
  });
});

it('fenceFor: a backtick fence longer than any backtick run inside, at least three', async () => {
  const { fenceFor } = await import('../../src/cli/reporters/diff/markdown.js');
  expect(fenceFor('plain')).toBe('```');
  expect(fenceFor('a ``` b')).toBe('````');
  expect(fenceFor('````````\n`')).toBe('`````````');
});
