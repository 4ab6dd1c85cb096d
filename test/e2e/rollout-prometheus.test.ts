/**
 * End to end, `rollout check` against a REAL Prometheus (started here on 127.0.0.1 with a temp
 * config, a 1 s scrape and a temp data folder): an application's run() calls — through a bundle
 * built by the CLI, keyed so that each rollout's candidate serves its share — are exported with
 * @opentelemetry/exporter-prometheus; Prometheus scrapes them; the built CLI's `rollout check
 * --prometheus <url>` queries its HTTP API with the configured PromQL and reaches the verdict: abort
 * for a failing candidate, advance for a healthy one, and `--apply` commits it.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { metrics } from '@opentelemetry/api';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { openBundle } from '../../src/sdk/load-bundle.js';
import { InMemoryBudgetStore } from '../../src/sdk/budget.js';
import { bucketOf } from '../../src/core/bucket.js';
import type { PromptSet } from '../../src/sdk/types.js';
import { chatPrompt } from '../integration/runtime-fixture.js';
import { makeRegistry, type TempRegistry } from '../helpers/registry.js';
import { cli } from '../helpers/cli.js';
import { describeWithTool } from '../helpers/tools.js';
import { freePort, until } from '../helpers/poll.js';

const PROMETHEUS = '/usr/bin/prometheus';

const ROLLOUT_CONFIG = `    rollout:
      stages: [25, 50, 100]
      min_requests: 5
      advance_when: { error_rate: "<= 0.05" }
      abort_when: { error_rate: "> 0.2", error_rate_delta: "> 0.1" }`;

const config = (queries = ''): string => `environments:
  production:
${ROLLOUT_CONFIG}${queries}
providers:
  offline: { type: echo }
  dead: { type: openai, base_url: "http://127.0.0.1:9/v1", retries: 0, breaker: { failures: 2, cooldown_ms: 600000 } }
`;

describeWithTool(PROMETHEUS, ['--version'], 'rollout check against a real Prometheus', () => {
  let dir: string;
  let prom: ChildProcess | undefined;
  let promLog = '';
  let metricsServer: http.Server;
  let meterProvider: MeterProvider;
  let reg: TempRegistry;
  let promUrl: string;
  const KEYS = Array.from({ length: 160 }, (_, i) => `user-${i}`);

  const query = async (q: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> => {
    const body = (await (await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(q)}`)).json()) as { data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
    return body.data.result;
  };
  const total = async (id: string): Promise<number> => Number((await query(`sum(promptrail_requests_total{prompt_id="${id}"})`))[0]?.value[1] ?? 0);
  const runAll = async (set: PromptSet, keys: string[]): Promise<void> => {
    for (const id of ['good/prompt', 'bad/prompt']) for (const key of keys) await set.get(id, { key }).run({ ticket: key });
  };

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'promptrail-rollout-prom-'));
    const exporter = new PrometheusExporter({ preventServerStart: true });
    meterProvider = new MeterProvider({ readers: [exporter] });
    metrics.setGlobalMeterProvider(meterProvider);
    metricsServer = http.createServer((req, res) => exporter.getMetricsRequestHandler(req, res));
    await new Promise<void>((r) => metricsServer.listen(0, '127.0.0.1', r));
    const appPort = (metricsServer.address() as AddressInfo).port;
    const promPort = await freePort();
    promUrl = `http://127.0.0.1:${promPort}`;
    writeFileSync(path.join(dir, 'prometheus.yml'), `global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: app\n    static_configs:\n      - targets: ['127.0.0.1:${appPort}']\n`);
    prom = spawn(PROMETHEUS, [`--config.file=${path.join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${promPort}`, '--log.level=warn'], { stdio: ['ignore', 'pipe', 'pipe'] });
    prom.stdout!.on('data', (c: Buffer) => (promLog += c.toString()));
    prom.stderr!.on('data', (c: Buffer) => (promLog += c.toString()));
    await until('Prometheus to be ready', 30_000, async () => ((await fetch(`${promUrl}/-/ready`)).ok ? true : undefined)).catch((e: Error) => {
      throw new Error(`${e.message}\n${promLog.slice(-2000)}`);
    });

    // the registry: two prompts, each pinned at 1.0.0 with a rollout of 1.1.0 at 25 %; bad's candidate calls a dead endpoint (its fallback text serves: outcome "fallback")
    reg = makeRegistry({ git: true, config: config() });
    for (const id of ['good/prompt', 'bad/prompt']) {
      reg.write(`prompts/${id}/1.0.0.yaml`, chatPrompt({ id, version: '1.0.0', provider: 'offline' }));
      reg.write(`prompts/${id}/1.1.0.yaml`, id === 'bad/prompt' ? chatPrompt({ id, version: '1.1.0', provider: 'dead', extra: 'fallback: { text: "unavailable" }\n' }) : chatPrompt({ id, version: '1.1.0', provider: 'offline' }));
    }
    reg.write('.gitignore', '.prompts/\nbundle.json\n');
    reg.commitAll('prompts');
    for (const id of ['good/prompt', 'bad/prompt']) {
      for (const args of [['promote', `${id}@1.0.0`, '--env', 'production'], ['rollout', 'start', `${id}@1.1.0`, '--env', 'production']]) {
        const res = await cli(args, { cwd: reg.dir });
        expect(res, res.stderr).toMatchObject({ exitCode: 0 });
      }
    }
    const b = await cli(['build', '--env', 'production', '-o', 'bundle.json'], { cwd: reg.dir });
    expect(b, b.stderr).toMatchObject({ exitCode: 0 });
    const set = openBundle(JSON.parse(readFileSync(path.join(reg.dir, 'bundle.json'), 'utf8')), { budgetStore: new InMemoryBudgetStore() });
    // two batches across scrapes, so increase() over the window sees the counters grow
    await runAll(set, KEYS.slice(0, 40));
    await until('the first scrape', 30_000, async () => ((await total('good/prompt')) >= 40 ? true : undefined));
    await runAll(set, KEYS.slice(40));
    await until('the second scrape', 30_000, async () => ((await total('good/prompt')) === KEYS.length && (await total('bad/prompt')) === KEYS.length ? true : undefined));
  }, 120_000);

  afterAll(async () => {
    if (prom && prom.exitCode === null) {
      const exited = new Promise((r) => prom!.once('exit', r));
      prom.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      if (prom.exitCode === null) prom.kill('SIGKILL');
    }
    metrics.disable();
    await meterProvider?.shutdown();
    await new Promise((r) => metricsServer?.close(r));
    reg?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  it('a healthy candidate: advance (default queries, per arm), and --apply commits 25% -> 50%', async () => {
    let res = await cli(['--json', 'rollout', 'check', 'good/prompt', '--env', 'production', '--prometheus', promUrl, '--window', '5m'], { cwd: reg.dir });
    expect(res, res.stderr).toMatchObject({ exitCode: 0 });
    const doc = JSON.parse(res.stdout);
    expect(doc).toMatchObject({ verdict: 'advance', to: 50, source: `prometheus ${promUrl}` });
    expect(doc.arms.stable.requests).toBeGreaterThan(50);
    expect(doc.arms.candidate.requests).toBeGreaterThan(10);
    expect(doc.arms.candidate.errors).toBe(0);
    expect(doc.arms.candidate.error_rate).toBe(0);
    res = await cli(['rollout', 'check', 'good/prompt', '--env', 'production', '--prometheus', promUrl, '--window', '5m', '--apply'], { cwd: reg.dir });
    expect(res, res.stderr).toMatchObject({ exitCode: 0 });
    expect(res.stdout).toMatch(/verdict: advance \(25% -> 50%\)/);
    expect(res.stdout).toMatch(/advanced the rollout of good\/prompt 1\.0\.0 -> 1\.1\.0 in production: 25% -> 50% \(commit/);
    expect(reg.git('log', '-1', '--format=%s').trim()).toBe('prompts(production): rollout good/prompt 1.0.0 -> 1.1.0 25% -> 50%');
    expect(reg.git('log', '-1', '--format=%b')).toMatch(new RegExp(`Check: advance \\(prometheus ${promUrl.replace(/[.]/g, '\\.')}, last 5m\\)`));
  }, 60_000);

  it('a failing candidate: abort (exit 1) with the numbers; --apply aborts it as one commit', async () => {
    let res = await cli(['rollout', 'check', 'bad/prompt', '--env', 'production', '--prometheus', promUrl, '--window', '5m'], { cwd: reg.dir });
    expect(res.exitCode, res.stderr).toBe(1);
    expect(res.stdout).toMatch(/verdict: abort \(25% -> 0%\)\n {2}error_rate 1 > 0\.2 \(abort_when\)/);
    res = await cli(['rollout', 'check', 'bad/prompt', '--env', 'production', '--prometheus', promUrl, '--window', '5m', '--apply'], { cwd: reg.dir });
    expect(res.exitCode).toBe(1);
    expect(res.stdout).toMatch(/aborted the rollout of bad\/prompt 1\.0\.0 -> 1\.1\.0 in production: 25% -> 0%/);
    expect(reg.git('log', '-1', '--format=%s').trim()).toBe('prompts(production): rollout bad/prompt 1.0.0 -> 1.1.0 25% -> 0%');
    expect(reg.git('show', '--name-only', '--format=', 'HEAD').trim()).toBe('environments/production.yaml');
  }, 60_000);

  it('configured PromQL (cumulative counters) gives each arm exactly the calls its keys made', async () => {
    const queries = `
      metrics:
        prometheus:
          url: ${promUrl}
          queries:
            requests: sum(promptrail_requests_total{prompt_id="{{id}}",prompt_version="{{version}}",env="{{env}}"})
            errors: sum(promptrail_requests_total{prompt_id='{{id}}',prompt_version='{{version}}',outcome!="ok"})`;
    reg.write('prompts.config.yaml', config(queries));
    reg.commitAll('custom queries');
    const res = await cli(['--json', 'rollout', 'check', 'good/prompt', '--env', 'production'], { cwd: reg.dir });
    expect(res, res.stderr).toMatchObject({ exitCode: 0 });
    const doc = JSON.parse(res.stdout);
    // the keys the SDK sent to the candidate at 25 % (the counters are cumulative)
    const candidate = KEYS.filter((k) => bucketOf('good/prompt@1.1.0', k) >= 7500).length;
    expect(doc.arms.candidate.requests).toBe(candidate);
    expect(doc.arms.stable.requests).toBe(KEYS.length - candidate);
    expect(doc.arms.candidate.errors).toBe(0);
    expect(doc).toMatchObject({ weight: 50, verdict: 'complete' }); // advanced to 50 % above: the next stage is the last
  }, 60_000);
});
