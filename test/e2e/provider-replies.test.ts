/**
 * Valid but unusual provider replies, retries and a dead server, through the built CLI against
 * local OpenAI- and Anthropic-compatible servers on 127.0.0.1 (issue 9 item 7).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { cli } from '../helpers/cli.js';
import { registriesPerTest, type TempRegistry } from '../helpers/registry.js';
import { startFakeServer, type Behavior, type FakeServer, type RecordedRequest } from '../helpers/servers/fake-llm.js';

const SCHEMA = JSON.parse(fs.readFileSync(new URL('../../schemas/eval-report.schema.json', import.meta.url), 'utf8')) as object;
const validateReport = new Ajv2020({ allErrors: true, strict: false }).compile(SCHEMA);

const lastUser = (req: RecordedRequest): string => String(req.body.messages?.[req.body.messages.length - 1]?.content ?? '');

/** OpenAI replies by the case's ticket */
const flakyTries = new Map<string, number>();
function openaiReply(req: RecordedRequest): Behavior {
  const t = lastUser(req);
  const msg = (message: Record<string, unknown>, finish = 'stop'): Behavior => ({
    type: 'reply',
    body: { id: 'chatcmpl-x', object: 'chat.completion', model: 'gpt-test', choices: [{ index: 0, message: { role: 'assistant', ...message }, finish_reason: finish }], usage: { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 } },
  });
  if (t === 'refuse') return msg({ content: null, refusal: "I'm sorry, I can't help with that." });
  if (t === 'nothing') return { type: 'reply', body: { id: 'chatcmpl-y', object: 'chat.completion', model: 'gpt-test', choices: [], usage: { prompt_tokens: 5, completion_tokens: 0, total_tokens: 5 } } };
  if (t === 'tool') return msg({ content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'lookup_order', arguments: '{"order":7}' } }] }, 'tool_calls');
  if (t === 'flaky') {
    const n = (flakyTries.get(t) ?? 0) + 1;
    flakyTries.set(t, n);
    if (n === 1) return { type: 'status', status: 429, message: 'Rate limit reached', headers: { 'retry-after-ms': '300' } };
  }
  return msg({ content: `ok: ${t}` });
}
function anthropicReply(req: RecordedRequest): Behavior {
  const t = lastUser(req);
  const base = { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-test', stop_sequence: null, usage: { input_tokens: 5, output_tokens: 3 } };
  if (t === 'tool') return { type: 'reply', body: { ...base, content: [{ type: 'tool_use', id: 'toolu_1', name: 'lookup_order', input: { order: 7 } }], stop_reason: 'tool_use' } };
  if (t === 'nothing') return { type: 'reply', body: { ...base, content: [], stop_reason: 'end_turn' } };
  return { type: 'reply', body: { ...base, content: [{ type: 'text', text: `ok: ${t}` }], stop_reason: 'end_turn' } };
}

let openai: FakeServer;
let anthropic: FakeServer;
let downUrl: string;
beforeAll(async () => {
  openai = await startFakeServer({ kind: 'openai', respond: openaiReply });
  anthropic = await startFakeServer({ kind: 'anthropic', respond: anthropicReply });
  // a port that was listening a moment ago and is closed now: connection refused
  const gone = await startFakeServer({ kind: 'openai' });
  downUrl = gone.url;
  await gone.close();
});
afterAll(async () => {
  await openai.close();
  await anthropic.close();
});

const makeReg = registriesPerTest();
function registry(provider: string, suite: string): TempRegistry {
  const reg = makeReg({
    config: `environments:
  staging: {}
providers:
  oa: { type: openai, base_url: "${openai.url}", api_key_env: TEST_KEY }
  an: { type: anthropic, base_url: "${anthropic.url}", api_key_env: TEST_KEY }
  down: { type: openai, base_url: "${downUrl}", api_key_env: TEST_KEY }
eval: { concurrency: 1, timeout_ms: 5000, retries: 1 }
`,
  });
  reg.write('prompts/p/1.0.0.yaml', `id: p\nversion: 1.0.0\nmodel: { provider: ${provider}, name: m-test }\ninputs: { type: object, required: [t], properties: { t: { type: string } }, additionalProperties: false }\nmessages:\n  - { role: user, content: "{{t}}" }\n`);
  reg.write('prompts/p/evals.yaml', suite);
  return reg;
}
const ENV = { TEST_KEY: 'sk-test' };

describe('unusual but valid provider replies are clear case results', () => {
  it('OpenAI: a refusal is the output, marked refused; choices: [] says so; tool calls only are the output as JSON; retries and Retry-After are visible', async () => {
    const reg = registry(
      'oa',
      `cases:
  - { name: refusal, vars: { t: refuse }, assert: [{ type: contains, value: "ok" }] }
  - { name: no choices, vars: { t: nothing }, assert: [{ type: contains, value: "ok" }] }
  - { name: tool only, vars: { t: tool }, assert: [{ type: json-path, path: "$[0].name", equals: lookup_order }, { type: json-path, path: "$[0].arguments.order", equals: 7 }] }
  - { name: flaky, vars: { t: flaky }, assert: [{ type: contains, value: "ok" }] }
`,
    );
    const text = await cli(['eval', 'p@1.0.0', '--no-cache'], { cwd: reg.dir, env: ENV });
    expect(text.exitCode).toBe(1);
    expect(text.stdout).not.toMatch(/no content|no choices\[0\]/);
    expect(text.stdout).toMatch(/^FAIL\s+refusal \(refused\)/m);
    expect(text.stdout).toContain(`contains: expected output to contain "ok", got "I'm sorry, I can't help with that."`);
    expect(text.stdout).toMatch(/^ERROR\s+no choices\s/m);
    expect(text.stdout).toContain('provider "oa": the reply has no choices ("choices": []): the provider generated nothing for this request');
    expect(text.stdout).toMatch(/^PASS\s+tool only \(tool calls only\)/m);
    expect(text.stdout).toMatch(/^PASS\s+flaky \[2 attempts\]/m);
    expect(text.stdout).toMatch(/^retries: 1 request retried in 1 case \(Retry-After waits: 300ms\)$/m);

    flakyTries.clear();
    const json = await cli(['eval', 'p@1.0.0', '--no-cache', '--json'], { cwd: reg.dir, env: ENV });
    const report = JSON.parse(json.stdout) as { results: { name: string; attempts?: number; reply?: string; output: string | null; retry_after_ms?: number }[] };
    expect(validateReport(report), JSON.stringify(validateReport.errors)).toBe(true);
    const by = new Map(report.results.map((r) => [r.name, r]));
    expect(by.get('refusal')).toMatchObject({ reply: 'refusal', output: "I'm sorry, I can't help with that.", attempts: 1 });
    expect(by.get('tool only')).toMatchObject({ reply: 'tool_calls', output: '[{"name":"lookup_order","arguments":{"order":7}}]', attempts: 1 });
    expect(by.get('no choices')).toMatchObject({ output: null, attempts: 1 });
    expect(by.get('flaky')).toMatchObject({ attempts: 2, retry_after_ms: 300 });
    expect(by.get('flaky')!.reply).toBeUndefined();
  });

  it('Anthropic: tool_use only is the output as JSON; an empty content list is an empty reply the assertions judge', async () => {
    const reg = registry(
      'an',
      `cases:
  - { name: tool only, vars: { t: tool }, assert: [{ type: json-path, path: "$[0].arguments.order", equals: 7 }] }
  - { name: empty, vars: { t: nothing }, assert: [{ type: length, min: 1 }] }
  - { name: text, vars: { t: hello }, assert: [{ type: contains, value: "ok: hello" }] }
`,
    );
    const r = await cli(['eval', 'p@1.0.0', '--no-cache'], { cwd: reg.dir, env: ENV });
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toMatch(/^PASS\s+tool only \(tool calls only\)/m);
    expect(r.stdout).toMatch(/^FAIL\s+empty \(empty reply\)/m);
    expect(r.stdout).toContain('length: expected at least 1 characters, got 0');
    expect(r.stdout).toMatch(/^PASS\s+text\s/m);
    expect(r.stdout).not.toContain('retries:');
  });

  it('a server that is down: each case says so, after its retries, and the run is not ok', async () => {
    const reg = registry('down', 'cases:\n  - { name: a, vars: { t: x } }\n  - { name: b, vars: { t: y } }\n');
    const r = await cli(['eval', 'p@1.0.0', '--no-cache'], { cwd: reg.dir, env: ENV });
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toMatch(/^ERROR\s+a \[2 attempts\]/m);
    expect(r.stdout).toContain('ECONNREFUSED): the server is down (nothing accepts connections at that address); check that it runs, or base_url (after 2 attempts)');
    expect(r.stdout).toMatch(/^retries: 2 requests retried in 2 cases$/m);
  });
});
