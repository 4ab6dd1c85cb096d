import { afterEach, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { execFileSync, spawn } from 'node:child_process';
import * as path from 'node:path';
import { prompts, snapshot } from './registry-cmd-helpers.js';
import { makeRegistry, promptYaml, type TempRegistry } from '../helpers/registry.js';

let reg: TempRegistry | undefined;
afterEach(() => reg?.cleanup());

const TYPED = `id: typed
version: 1.0.0
model: { provider: offline, name: echo-1, parameters: { temperature: 0.2 } }
inputs:
  type: object
  required: [count, items]
  properties:
    count: { type: integer }
    items: { type: array, items: { type: string } }
    flag: { type: boolean }
    label: { type: [string, "null"] }
  additionalProperties: false
template: "{{count}} items: {{#each items}}{{this}},{{/each}}{{#if flag}} flagged{{/if}} {{json items}} {{label}}"
`;

const PIN = `environment: staging
prompts:
  support/triage:
    version: 1.0.0
    sha256: ${'e'.repeat(64)}
    previous: null
    promoted_at: 2026-11-22T10:00:00Z
    promoted_by: Ana <ana@example.com>
    history: []
`;

describe('prompts render', () => {
  it('renders each message with its role', async () => {
    reg = makeRegistry({ prompts: { 'support/triage': ['1.0.0'] } });
    const r = await prompts(reg.dir, ['render', 'support/triage', '--var', 'ticket=I was charged twice', '--var', 'customer_tier=pro']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('--- system ---\nYou are a support triage assistant.\n\n--- user ---\nTicket: I was charged twice\nTier: pro\n');
    expect(r.stderr).toContain('support/triage@1.0.0 · offline/echo-1');
  });

  it('--json: { id, version, sha256, model, messages } with the environment overrides applied to the model', async () => {
    reg = makeRegistry({ prompts: { 'support/triage': ['1.0.0'] } });
    const r = await prompts(reg.dir, ['--json', 'render', 'support/triage', '--var', 'ticket=hi', '--env', 'production']);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ id: 'support/triage', version: '1.0.0', env: 'production', model: { provider: 'offline', name: 'echo-1', parameters: { temperature: 0.1, max_tokens: 400 } } });
    expect(j.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(j.messages).toEqual([
      { role: 'system', content: 'You are a support triage assistant.' },
      { role: 'user', content: 'Ticket: hi\n\n' },
    ]);
    const noEnv = JSON.parse((await prompts(reg.dir, ['--json', 'render', 'support/triage', '--var', 'ticket=hi'])).stdout);
    expect(noEnv.model.parameters.temperature).toBe(0.2);
    expect(noEnv.env).toBeNull();
  });

  it('an <id>@<env> ref applies that environment overrides', async () => {
    reg = makeRegistry({ prompts: { 'support/triage': ['1.0.0', '1.1.0'] } });
    reg.write('environments/staging.yaml', PIN);
    const j = JSON.parse((await prompts(reg.dir, ['--json', 'render', 'support/triage@staging', '--var', 'ticket=x'])).stdout);
    expect(j).toMatchObject({ version: '1.0.0', env: 'staging', model: { parameters: { temperature: 0.3 } } });
  });

  it('--var values are JSON for non-string inputs and text for string inputs; --vars file and --var merge', async () => {
    reg = makeRegistry();
    reg.write('prompts/typed/1.0.0.yaml', TYPED);
    writeFileSync(path.join(reg.dir, 'vars.json'), JSON.stringify({ count: 1, items: ['x'], label: 'from-file' }));
    const r = await prompts(reg.dir, ['--json', 'render', 'typed', '--vars', 'vars.json', '--var', 'count=3', '--var', 'items=["a","b"]', '--var', 'flag=true', '--var', 'label=42']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).messages[0].content).toBe('3 items: a,b, flagged ["a","b"] 42');
  });

  it('bad inputs are a usage error (exit 2) naming each variable', async () => {
    reg = makeRegistry({ prompts: { 'support/triage': ['1.0.0'] } });
    const r = await prompts(reg.dir, ['render', 'support/triage', '--var', 'tickt=x', '--var', 'customer_tier=gold']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('missing required input "ticket" (you passed "tickt": a typo?)');
    expect(r.stderr).toContain('input "tickt" is not declared in the prompt\'s inputs; did you mean "ticket"?');
    expect(r.stderr).toContain('input "customer_tier" must be one of "free", "pro", "enterprise"');
    expect(r.stderr).toContain('declared inputs: ticket, customer_tier');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it.each([
    [['--var', 'count=three', '--var', 'items=[]'], '--var count: "three" is not valid JSON'],
    [['--var', 'noequals'], 'must look like name=value'],
    [['--vars', 'missing.json'], '--vars missing.json: file not found'],
    [['--vars', 'bad.json'], '--vars bad.json: not valid JSON'],
    [['--vars', 'list.json'], 'expected a JSON object of name: value, found an array'],
    [['--var', 'count=1', '--var', 'items=[]', '--env', 'prod'], 'unknown environment "prod"'],
  ])('usage errors exit 2: %j', async (args, msg) => {
    reg = makeRegistry();
    reg.write('prompts/typed/1.0.0.yaml', TYPED);
    reg.write('bad.json', '{nope');
    reg.write('list.json', '[1]');
    const before = snapshot(reg.dir);
    const r = await prompts(reg.dir, ['render', 'typed', ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(msg);
    expect(snapshot(reg.dir)).toEqual(before);
  });

  it('__proto__ in --vars or --var is treated as an undeclared input, not a prototype', async () => {
    reg = makeRegistry({ prompts: { 'support/triage': ['1.0.0'] } });
    reg.write('proto.json', '{"ticket":"x","__proto__":{"polluted":true}}');
    const r = await prompts(reg.dir, ['render', 'support/triage', '--vars', 'proto.json']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('"__proto__" is not declared');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const r2 = await prompts(reg.dir, ['render', 'support/triage', '--var', 'ticket=x', '--var', '__proto__=y']);
    expect(r2.code).toBe(2);
  });

  it('a template syntax error points at the message in the YAML file (exit 1)', async () => {
    reg = makeRegistry({ prompts: { 'support/triage': ['1.0.0'] } });
    reg.write('prompts/support/triage/1.0.0.yaml', promptYaml('support/triage', '1.0.0').replace('{{/if}}', '{{/unless}}'));
    const r = await prompts(reg.dir, ['render', 'support/triage', '--var', 'ticket=x']);
    expect(r.code).toBe(1);
    // line 26 of the file is the template's second line: "      {{#if customer_tier}}Tier: {{customer_tier}}{{/unless}}"
    expect(r.stderr).toMatch(/^error: prompts\/support\/triage\/1\.0\.0\.yaml:26:\d+: template syntax error: .*\(template line 2, column \d+\)/);
  });

  it('a template syntax error in a double-quoted scalar has the same line:col as validate reports', async () => {
    reg = makeRegistry({ prompts: { 'support/triage': ['1.0.0'] } });
    const text = promptYaml('support/triage', '1.0.0').replace('content: You are a support triage assistant.', 'content: "You are \\"a\\" helpful {{#if ticket}} assistant."');
    reg.write('prompts/support/triage/1.0.0.yaml', text);
    const r = await prompts(reg.dir, ['render', 'support/triage', '--var', 'ticket=x']);
    expect(r.code).toBe(1);
    const v = await prompts(reg.dir, ['--json', 'validate']);
    const err = (JSON.parse(v.stdout) as { errors: { file: string; line: number; column: number; rule: string }[] }).errors.find((e) => e.rule === 'template-syntax')!;
    expect(r.stderr).toMatch(new RegExp(`^error: prompts/support/triage/1\\.0\\.0\\.yaml:${err.line}:${err.column}: template syntax error`));
  });

  it('a template variable that is not declared is named (exit 2)', async () => {
    reg = makeRegistry({ prompts: { 'support/triage': ['1.0.0'] } });
    reg.write('prompts/support/triage/1.0.0.yaml', promptYaml('support/triage', '1.0.0').replace('Ticket: {{ticket}}', 'Ticket: {{ticket}} {{region}}'));
    const r = await prompts(reg.dir, ['render', 'support/triage', '--var', 'ticket=x']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('the template uses "region", which is not declared');
  });

  it('an inputs schema that is not a valid JSON Schema is exit 1 at its line, not an unexpected failure (70)', async () => {
    reg = makeRegistry({ prompts: { typed: [] } });
    reg.write('prompts/typed/1.0.0.yaml', TYPED.replace('count: { type: integer }', 'count: { type: integr }'));
    const r = await prompts(reg.dir, ['render', 'typed', '--var', 'count=1', '--var', 'items=[]']);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/^error: prompts\/typed\/1\.0\.0\.yaml:5:\d+: "inputs" of typed@1\.0\.0 is not a valid JSON Schema: .*count/);
  });

  it('--vars reads a pipe too (--vars <(…), --vars /dev/stdin)', async () => {
    reg = makeRegistry({ prompts: { 'support/triage': ['1.0.0'] } });
    const fifo = path.join(reg.dir, 'vars.pipe');
    execFileSync('mkfifo', [fifo]);
    // another process writes into the pipe (reading blocks until it does)
    const writer = spawn('sh', ['-c', 'printf \'{"ticket":"from a pipe"}\' > "$1"', 'sh', fifo], { stdio: 'ignore' });
    const r = await prompts(reg.dir, ['render', 'support/triage', '--vars', fifo]);
    writer.kill();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Ticket: from a pipe');
  });
});
