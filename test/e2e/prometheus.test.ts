/**
 * End to end: an application's run() metrics exported with @opentelemetry/exporter-prometheus,
 * scraped by a REAL Prometheus server (started here on 127.0.0.1 with a temp config, a 1 s scrape
 * interval and its data in a temp folder that is removed), then promptrail_requests_total queried
 * through Prometheus' HTTP API — the series SPEC §12's `rollout check` queries read.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { metrics } from '@opentelemetry/api';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { openBundle } from '../../src/sdk/load-bundle.js';
import { InMemoryBudgetStore } from '../../src/sdk/budget.js';
import { chatPrompt, runtimeFixture, type RuntimeFixture } from '../integration/runtime-fixture.js';
import { describeWithTool } from '../helpers/tools.js';
import { freePort, until } from '../helpers/poll.js';

const PROMETHEUS = '/usr/bin/prometheus';

describeWithTool(PROMETHEUS, ['--version'], 'run() metrics in a real Prometheus', () => {
  let dir: string;
  let prom: ChildProcess | undefined;
  let promLog = '';
  let metricsServer: http.Server;
  let meterProvider: MeterProvider;
  let fx: RuntimeFixture;
  let promUrl: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'promptrail-prom-'));
    const exporter = new PrometheusExporter({ preventServerStart: true });
    meterProvider = new MeterProvider({ readers: [exporter] });
    metrics.setGlobalMeterProvider(meterProvider);
    metricsServer = http.createServer((req, res) => exporter.getMetricsRequestHandler(req, res));
    await new Promise<void>((r) => metricsServer.listen(0, '127.0.0.1', r));
    const appPort = (metricsServer.address() as AddressInfo).port;
    const promPort = await freePort();
    promUrl = `http://127.0.0.1:${promPort}`;
    writeFileSync(
      path.join(dir, 'prometheus.yml'),
      `global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: app\n    static_configs:\n      - targets: ['127.0.0.1:${appPort}']\n`,
    );
    prom = spawn(PROMETHEUS, [`--config.file=${path.join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${promPort}`, '--log.level=warn'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    prom.stdout!.on('data', (c: Buffer) => (promLog += c.toString()));
    prom.stderr!.on('data', (c: Buffer) => (promLog += c.toString()));
    await until('Prometheus to be ready', 30_000, async () => ((await fetch(`${promUrl}/-/ready`)).ok ? true : undefined)).catch((e: Error) => {
      throw new Error(`${e.message}\n${promLog.slice(-2000)}`);
    });
    fx = runtimeFixture({
      providers: '  offline: { type: echo }\n  dead: { type: openai, base_url: "http://127.0.0.1:9/v1", retries: 0 }',
      prompts: {
        'support/triage@1.2.0': chatPrompt({ provider: 'offline', version: '1.2.0' }),
        'summarize@1.0.0': chatPrompt({ id: 'summarize', provider: 'dead', extra: 'fallback: { text: "unavailable" }\n' }),
      },
    });
  }, 60_000);

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
    fx?.reg.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  it('promptrail_requests_total by prompt_id, prompt_version, variant and outcome', async () => {
    const set = openBundle(fx.bundle(), { budgetStore: new InMemoryBudgetStore() });
    for (let i = 0; i < 5; i++) await set.get('support/triage', { key: `user-${i}` }).run({ ticket: `t${i}` });
    for (let i = 0; i < 2; i++) expect((await set.get('summarize').run({ ticket: `s${i}` })).fallback?.via).toBe('text');

    const query = async (q: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> => {
      const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(q)}`);
      const body = (await res.json()) as { status: string; data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
      expect(body.status).toBe('success');
      return body.data.result;
    };
    const ok = await until('the scrape of promptrail_requests_total', 30_000, async () => {
      const r = await query('promptrail_requests_total{prompt_id="support/triage",prompt_version="1.2.0",outcome="ok"}');
      return r.length && r[0]!.value[1] === '5' ? r : undefined;
    });
    expect(ok[0]!.metric).toMatchObject({ __name__: 'promptrail_requests_total', job: 'app', prompt_id: 'support/triage', prompt_version: '1.2.0', variant: 'stable', outcome: 'ok', env: 'production' });
    // the shape of SPEC §12's default "errors" query: everything that was not ok
    const notOk = await query('sum(promptrail_requests_total{prompt_id="summarize",prompt_version="1.0.0",outcome!="ok"})');
    expect(notOk[0]!.value[1]).toBe('2');
    const fallback = await query('promptrail_requests_total{prompt_id="summarize",outcome="fallback"}');
    expect(fallback).toHaveLength(1);
    // the latency histogram (seconds) for a p95 per arm
    const latency = await query('promptrail_request_duration_count{prompt_id="support/triage",outcome="ok"}');
    expect(latency[0]!.value[1]).toBe('5');
    const p95 = await query('histogram_quantile(0.95, sum by (le) (promptrail_request_duration_bucket{prompt_id="support/triage"}))');
    expect(Number(p95[0]!.value[1])).toBeLessThan(1);
  }, 60_000);
});
