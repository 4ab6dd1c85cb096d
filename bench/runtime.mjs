// Benchmark of run() (issue 12): its overhead over a bare fetch of the same local
// OpenAI-compatible server (≤ 0.3 ms per call at concurrency 1; ≤ 1.1x the bare-fetch time at
// concurrency 50), the cost of tracing with the real OpenTelemetry SDK (≤ 0.1 ms more per call),
// memory over 100,000 calls (flat), and a call against an open circuit breaker (≤ 1 ms).
// Baselines are measured in the same run, interleaved with the subject. Needs `npm run build`.
// Data under bench/.work/runtime/ (gitignored). Exit 1 when a goal is missed.
import { mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as path from 'node:path';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const WORK = path.join(ROOT, 'bench', '.work', 'runtime');
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const us = (ms) => `${(ms * 1000).toFixed(1)} µs`;

// --- the local server, in its own process
const srv = spawn(process.execPath, [path.join(ROOT, 'bench', 'lib', 'llm-server.mjs')], { stdio: ['ignore', 'pipe', 'inherit'] });
const port = await new Promise((resolve) => srv.stdout.once('data', (d) => resolve(Number(String(d).trim()))));
const BASE = `http://127.0.0.1:${port}/v1`;
process.on('exit', () => srv.kill());

// --- a registry with one prompt pinned in production, built with the real CLI
rmSync(WORK, { recursive: true, force: true });
mkdirSync(path.join(WORK, 'prompts', 'support', 'triage'), { recursive: true });
mkdirSync(path.join(WORK, 'environments'), { recursive: true });
writeFileSync(
  path.join(WORK, 'prompts.config.yaml'),
  `environments:\n  production: {}\nproviders:\n  main: { type: openai, base_url: "${BASE}", api_key_env: BENCH_KEY, retries: 2, prices: { bench-model: { input_per_1m: 0.15, output_per_1m: 0.6 } } }\n  dead: { type: openai, base_url: "http://127.0.0.1:9/v1", retries: 0, breaker: { failures: 1, cooldown_ms: 3600000 } }\n`,
);
const prompt = (id, provider, extra = '', json = true) => `id: ${id}
version: 1.0.0
model: { provider: ${provider}, name: bench-model, parameters: { temperature: 0.2, max_tokens: 200 } }
inputs:
  type: object
  required: [ticket]
  properties: { ticket: { type: string, minLength: 1 }, customer_tier: { type: string, enum: [free, pro, enterprise] } }
  additionalProperties: false
${json ? 'output:\n  format: json\n  schema: { type: object, required: [category], properties: { category: { type: string }, reply: { type: string } } }\n' : ''}messages:
  - { role: system, content: "You are a support triage assistant. Classify the ticket and draft a short reply." }
  - { role: user, content: "Ticket: {{ticket}}\\n{{#if customer_tier}}Tier: {{customer_tier}}{{/if}}" }
${extra}`;
let env = 'environment: production\nprompts:\n';
for (const [id, provider, extra] of [
  ['support/triage', 'main', ''],
  ['down/plain', 'dead', ''],
  ['down/fallback', 'dead', `fallback: { text: '{"category": "other"}' }\n`],
]) {
  const text = prompt(id, provider, extra);
  mkdirSync(path.join(WORK, 'prompts', id), { recursive: true });
  writeFileSync(path.join(WORK, 'prompts', id, '1.0.0.yaml'), text);
  env += `  ${id}:\n    version: 1.0.0\n    sha256: ${createHash('sha256').update(text).digest('hex')}\n    previous: null\n    promoted_at: 2026-11-22T10:04:11Z\n    promoted_by: bench\n    history: []\n`;
}
writeFileSync(path.join(WORK, 'environments', 'production.yaml'), env);
const bundlePath = path.join(WORK, 'production.bundle.json');
const b = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'prompts.js'), '-C', WORK, 'build', '--env', 'production', '-o', bundlePath], { encoding: 'utf8' });
if (b.status !== 0) {
  console.error(`prompts build failed: ${b.stderr}`);
  process.exit(1);
}

const sdk = await import(pathToFileURL(path.join(ROOT, 'dist', 'index.js')).href);
/** The same prompt on the echo provider (built by the real code path: the bundle's digests are recomputed by prompts build). */
async function makeEchoHandle() {
  const text = prompt('support/triage', 'offline', '', false);
  const dir = path.join(WORK, 'echo');
  mkdirSync(path.join(dir, 'prompts', 'support', 'triage'), { recursive: true });
  mkdirSync(path.join(dir, 'environments'), { recursive: true });
  writeFileSync(path.join(dir, 'prompts.config.yaml'), 'environments:\n  production: {}\nproviders:\n  offline: { type: echo }\n');
  writeFileSync(path.join(dir, 'prompts', 'support', 'triage', '1.0.0.yaml'), text);
  writeFileSync(path.join(dir, 'environments', 'production.yaml'), `environment: production\nprompts:\n  support/triage:\n    version: 1.0.0\n    sha256: ${createHash('sha256').update(text).digest('hex')}\n    previous: null\n    promoted_at: 2026-11-22T10:04:11Z\n    promoted_by: bench\n    history: []\n`);
  const reg = await sdk.loadRegistry({ cwd: dir, env: 'production' });
  const h = reg.get('support/triage');
  return h;
}
const prompts = await sdk.loadBundle(bundlePath, { processEnv: { BENCH_KEY: 'sk-bench' } });
const triage = prompts.get('support/triage');
const vars = { ticket: 'I was charged twice, please refund', customer_tier: 'pro' };

// the baseline: what an app would hand-write around a bare fetch (same request, same parsing)
const system = triage.messages[0].content;
async function bare() {
  const res = await fetch(`${BASE}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer sk-bench' },
    body: JSON.stringify({ temperature: 0.2, max_tokens: 200, model: 'bench-model', messages: [{ role: 'system', content: system }, { role: 'user', content: `Ticket: ${vars.ticket}\nTier: ${vars.customer_tier}` }], stream: false }),
  });
  const json = await res.json();
  return JSON.parse(json.choices[0].message.content);
}
async function subject() {
  const r = await triage.run(vars);
  return r.data;
}

async function serial(fn, n) {
  const t = performance.now();
  for (let i = 0; i < n; i++) await fn();
  return (performance.now() - t) / n;
}
async function concurrent(fn, n, c) {
  let next = 0;
  const t = performance.now();
  await Promise.all(Array.from({ length: c }, async () => { while (next++ < n) await fn(); }));
  return performance.now() - t;
}
/**
 * Baseline and subject in alternating short batches (which goes first alternates too), so that
 * load from other jobs on the machine hits both alike. Reports the medians of each, the median of
 * the per-batch differences and ratios, and this process's CPU time per call of each.
 */
async function interleaved(base, subj, rounds, measure, callsPerBatch) {
  const diffs = [];
  const ratios = [];
  const bs = [];
  const ss = [];
  const cpu = { base: [], subj: [] };
  const timed = async (fn, key) => {
    const c0 = process.cpuUsage();
    const v = await measure(fn);
    const c = process.cpuUsage(c0);
    cpu[key].push((c.user + c.system) / 1000 / callsPerBatch);
    return v;
  };
  for (let r = 0; r < rounds; r++) {
    let x;
    let y;
    if (r % 2) {
      x = await timed(base, 'base');
      y = await timed(subj, 'subj');
    } else {
      y = await timed(subj, 'subj');
      x = await timed(base, 'base');
    }
    diffs.push(y - x);
    ratios.push(y / x);
    bs.push(x);
    ss.push(y);
  }
  return { diff: median(diffs), ratio: median(ratios), base: median(bs), subj: median(ss), cpuBase: median(cpu.base), cpuSubj: median(cpu.subj) };
}

// warm-up (JIT, keep-alive sockets, first run() loads its modules)
for (let i = 0; i < 1000; i++) { await bare(); await subject(); }

const c1 = await interleaved(bare, subject, 30, (fn) => serial(fn, 200), 200);
const N50 = 500;
const c50 = await interleaved(bare, subject, 24, (fn) => concurrent(fn, N50, 50), N50);
const ratio50 = c50.subj / c50.base;

// the runtime's own CPU cost, without the network: run() with the echo provider vs render()

// tracing on: the real SDK with an in-memory exporter (spans kept until reset, so reset per batch)
const cpuRounds = 15;
const echoTriage = await makeEchoHandle();
const echoRun = () => echoTriage.run(vars);
for (let i = 0; i < 5000; i++) await echoRun();
const noTrace = [];
for (let r = 0; r < cpuRounds; r++) noTrace.push(await serial(echoRun, 2000));
const { trace, metrics } = await import('@opentelemetry/api');
const { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } = await import('@opentelemetry/sdk-trace-base');
const exporter = new InMemorySpanExporter();
trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
for (let i = 0; i < 5000; i++) await echoRun();
const withTrace = [];
for (let r = 0; r < cpuRounds; r++) {
  exporter.reset();
  withTrace.push(await serial(echoRun, 2000));
}
if (exporter.getFinishedSpans().length !== 2000) throw new Error(`expected 2000 spans, got ${exporter.getFinishedSpans().length}`);
const overTrace = median(withTrace) - median(noTrace);
const { MeterProvider, MetricReader } = await import('@opentelemetry/sdk-metrics');
class Reader extends MetricReader { async onForceFlush() {} async onShutdown() {} }
const reader = new Reader();
metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
for (let i = 0; i < 5000; i++) await echoRun();
const withAll = [];
for (let r = 0; r < cpuRounds; r++) {
  exporter.reset();
  withAll.push(await serial(echoRun, 2000));
}
const overAll = median(withAll) - median(noTrace);
// and against the server with tracing + metrics on, for reference
exporter.reset();
const c1t = await interleaved(bare, subject, 16, async (fn) => { const v = await serial(fn, 200); exporter.reset(); return v; }, 200);

// memory over 100,000 calls (tracing and metrics on; spans dropped every 10,000)
const heap = () => { globalThis.gc?.(); globalThis.gc?.(); return process.memoryUsage().heapUsed / 1024 / 1024; };
await concurrent(subject, 10_000, 50);
exporter.reset();
const heap10k = heap();
let doneCalls = 10_000;
while (doneCalls < 100_000) {
  await concurrent(subject, 10_000, 50);
  exporter.reset();
  doneCalls += 10_000;
}
await reader.collect();
const heap100k = heap();

// an open breaker: the first call to the dead endpoint opens it; then every call fails fast
const plain = prompts.get('down/plain');
const fb = prompts.get('down/fallback');
await plain.run(vars).catch(() => {});
let failedFast = 0;
const NB = 20_000;
let t = performance.now();
for (let i = 0; i < NB; i++) await plain.run(vars).catch((e) => { if (e.reason === 'circuit_open') failedFast++; });
const breakerMs = (performance.now() - t) / NB;
t = performance.now();
let fellBack = 0;
for (let i = 0; i < NB; i++) if ((await fb.run(vars)).fallback?.reason === 'circuit_open') fellBack++;
const fallbackMs = (performance.now() - t) / NB;
if (failedFast !== NB || fellBack !== NB) throw new Error(`breaker: ${failedFast} failed fast, ${fellBack} fell back of ${NB}`);

const goals = [
  [`run() overhead over a bare fetch, concurrency 1 (bare ${us(c1.base)}/call, run() ${us(c1.subj)}/call; CPU ${us(c1.cpuBase)} vs ${us(c1.cpuSubj)})`, `${us(c1.diff)} per call`, c1.diff <= 0.3, '≤ 0.3 ms'],
  [`run() vs bare fetch, concurrency 50, ${N50} calls per batch (bare ${c50.base.toFixed(0)} ms; median per-batch ratio ${c50.ratio.toFixed(2)}x; CPU per call ${us(c50.cpuBase)} vs ${us(c50.cpuSubj)})`, `${c50.subj.toFixed(0)} ms = ${ratio50.toFixed(2)}x`, ratio50 <= 1.1, '≤ 1.1x'],
  [`run() CPU cost without network (echo provider, render + budget + breaker + span + metrics, no SDK)`, `${us(median(noTrace))} per call`, true, '-'],
  ['tracing on (real OTel SDK, in-memory exporter): extra per call', us(overTrace), overTrace <= 0.1, '≤ 0.1 ms'],
  ['tracing + metrics on (SDK meter provider): extra per call', us(overAll), true, '-'],
  [`tracing + metrics on, against the server: run() overhead over a bare fetch (CPU ${us(c1t.cpuBase)} vs ${us(c1t.cpuSubj)})`, `${us(c1t.diff)} per call`, true, '-'],
  ['heap after 100,000 calls vs after 10,000 (tracing + metrics on)', `${heap100k.toFixed(1)} MiB vs ${heap10k.toFixed(1)} MiB = ${(heap100k / heap10k).toFixed(2)}x`, heap100k <= heap10k * 1.2, 'flat (≤ 1.2x)'],
  ['breaker open: a call fails fast (ProviderUnavailableError)', `${us(breakerMs)} per call`, breakerMs <= 1, '≤ 1 ms'],
  ['breaker open: a call falls back to fallback.text', `${us(fallbackMs)} per call`, fallbackMs <= 1, '≤ 1 ms'],
];
for (const [what, got, ok, goal] of goals) console.log(`${ok ? 'PASS' : 'MISS'}  ${what}: ${got}   goal ${goal}`);
srv.kill();
process.exit(goals.every((g) => g[2]) ? 0 : 1);
