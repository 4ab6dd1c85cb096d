// Benchmark of the runtime API (issue 5): loadBundle of 1,000 prompts (budget ≤ 50 ms) and
// render per call after the first (budget ≤ 20 µs). Baselines measured in the same run:
// JSON.parse of the same bundle file, and a hand-written template literal render.
// Needs `npm run build`. Data under bench/.work/sdk/ (gitignored). Exit 1 when a budget is missed.
import { mkdirSync, writeFileSync, rmSync, readFileSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as path from 'node:path';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const WORK = path.join(ROOT, 'bench', '.work', 'sdk');
const N = Number(process.env.SDK_BENCH_PROMPTS ?? 1000);
const { applyPromotion } = await import(pathToFileURL(path.join(ROOT, 'dist', 'core', 'promotion.js')).href);
const { serializeEnv } = await import(pathToFileURL(path.join(ROOT, 'dist', 'registry', 'env-store.js')).href);

function promptYaml(id, i) {
  return `id: ${id}
version: 1.${i % 7}.0
description: Prompt ${i} classifies a ticket and drafts a reply
model:
  provider: openai
  name: gpt-4o-mini
  parameters: { temperature: 0.2, max_tokens: 400 }
inputs:
  type: object
  required: [ticket]
  properties:
    ticket: { type: string, minLength: 1, maxLength: 20000 }
    customer_tier: { type: string, enum: [free, pro, enterprise] }
    field_${i % 37}: { type: string }
  additionalProperties: false
output:
  format: json
  schema: { type: object, required: [category], properties: { category: { type: string }, reply: { type: string } } }
messages:
  - role: system
    content: You are support assistant number ${i}. Classify the ticket and draft a short reply.
  - role: user
    content: |
      Ticket: {{ticket}}
      {{#if customer_tier}}Tier: {{customer_tier}}{{/if}}
      {{#if field_${i % 37}}}Extra: {{field_${i % 37}}}{{/if}}
`;
}

function generate() {
  rmSync(WORK, { recursive: true, force: true });
  mkdirSync(path.join(WORK, 'environments'), { recursive: true });
  writeFileSync(
    path.join(WORK, 'prompts.config.yaml'),
    'environments:\n  production:\n    overrides: { model: { parameters: { temperature: 0.1 } } }\nproviders:\n  openai: { type: openai, api_key_env: OPENAI_API_KEY }\n',
  );
  // pins as promote writes them (SPEC §15's history chain: a hand-written pin is refused by build)
  let env = { environment: 'production', prompts: {} };
  for (let i = 0; i < N; i++) {
    const id = `${['support', 'sales', 'search', 'billing'][i % 4]}/p${String(i).padStart(4, '0')}`;
    const text = promptYaml(id, i);
    const version = `1.${i % 7}.0`;
    mkdirSync(path.join(WORK, 'prompts', id), { recursive: true });
    writeFileSync(path.join(WORK, 'prompts', id, `${version}.yaml`), text);
    const sha = createHash('sha256').update(text).digest('hex');
    env = applyPromotion(env, { id, version }, { sha256: sha, at: '2026-11-22T10:04:11Z', by: 'bench' }, 50);
  }
  writeFileSync(path.join(WORK, 'environments', 'production.yaml'), serializeEnv(env));
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (ms) => (ms < 1 ? `${(ms * 1000).toFixed(2)} µs` : `${ms.toFixed(2)} ms`);

generate();
const bundlePath = path.join(WORK, 'production.bundle.json');
let t = performance.now();
const b = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'prompts.js'), '-C', WORK, 'build', '--env', 'production', '-o', bundlePath], { encoding: 'utf8' });
const buildMs = performance.now() - t;
if (b.status !== 0) {
  console.error(`prompts build failed (${b.status}): ${b.stderr}`);
  process.exit(1);
}
const bytes = statSync(bundlePath).size;
console.log(`prompts build --env production: ${N} prompts, ${(bytes / 1024 / 1024).toFixed(2)} MiB bundle in ${fmt(buildMs)} (CLI process, incl. start-up)`);

const sdk = await import(pathToFileURL(path.join(ROOT, 'dist', 'index.js')).href);

// --- loadBundle vs JSON.parse of the same file ---
const RUNS = 15;
const parseTimes = [];
const loadTimes = [];
for (let r = 0; r < RUNS; r++) {
  globalThis.gc?.();
  t = performance.now();
  JSON.parse(readFileSync(bundlePath, 'utf8'));
  parseTimes.push(performance.now() - t);
  globalThis.gc?.();
  t = performance.now();
  const set = await sdk.loadBundle(bundlePath);
  loadTimes.push(performance.now() - t);
  if (set.ids().length !== N) throw new Error('wrong prompt count');
}
const parseMs = median(parseTimes);
const loadMs = median(loadTimes);
console.log(`baseline  readFile + JSON.parse of the bundle: ${fmt(parseMs)} (median of ${RUNS})`);
console.log(`loadBundle(${N} prompts), integrity-checked:  ${fmt(loadMs)} (median of ${RUNS}) = ${(loadMs / parseMs).toFixed(2)}x baseline   budget 50 ms: ${loadMs <= 50 ? 'PASS' : 'FAIL'}`);

// --- render: first call (compiles) and per call after the first ---
const set = await sdk.loadBundle(bundlePath);
const handle = set.get('support/p0000');
const vars = { ticket: 'I was charged twice, please refund', customer_tier: 'pro' };
t = performance.now();
handle.render(vars);
const firstMs = performance.now() - t;
const CALLS = 200000;
for (let i = 0; i < 20000; i++) handle.render(vars); // warm-up
const renderRuns = [];
for (let r = 0; r < 5; r++) {
  t = performance.now();
  for (let i = 0; i < CALLS; i++) handle.render(vars);
  renderRuns.push(((performance.now() - t) * 1000) / CALLS);
}
const renderUs = median(renderRuns);
// baseline: the same messages built by hand with template literals (no validation, no engine)
const sys = handle.messages[0].content;
let sink = 0;
const baseRuns = [];
for (let r = 0; r < 5; r++) {
  t = performance.now();
  for (let i = 0; i < CALLS; i++) {
    const m = [
      { role: 'system', content: sys },
      { role: 'user', content: `Ticket: ${vars.ticket}\n${vars.customer_tier ? `Tier: ${vars.customer_tier}` : ''}\n` },
    ];
    sink += m.length;
  }
  baseRuns.push(((performance.now() - t) * 1000) / CALLS);
}
const baseUs = median(baseRuns);
console.log(`first render (compiles templates + ajv validator, verifies source): ${fmt(firstMs)}`);
console.log(`baseline  hand-written template literal:      ${(baseUs * 1000).toFixed(0)} ns/call${sink ? '' : ''}`);
console.log(`render() after the first, inputs validated:   ${renderUs.toFixed(2)} µs/call = ${(renderUs / baseUs).toFixed(1)}x baseline   budget 20 µs: ${renderUs <= 20 ? 'PASS' : 'FAIL'}`);

// --- first get() of every prompt (lazy source re-check) and loadRegistry, for reference ---
t = performance.now();
const all = await sdk.loadBundle(bundlePath);
for (const id of all.ids()) all.get(id);
console.log(`loadBundle + get() of all ${N} (each source re-parsed and compared once): ${fmt(performance.now() - t)}`);
t = performance.now();
await sdk.loadBundle(bundlePath, { verify: 'full' });
console.log(`loadBundle(..., { verify: 'full' }) (every source re-parsed at load): ${fmt(performance.now() - t)}`);
t = performance.now();
const reg = await sdk.loadRegistry({ cwd: WORK, env: 'production' });
console.log(`loadRegistry(${N} pinned files, sha256-checked, parsed, schema-validated; templates compile on first render): ${fmt(performance.now() - t)} (${reg.ids().length} prompts)`);

process.exit(loadMs <= 50 && renderUs <= 20 ? 0 : 1);
