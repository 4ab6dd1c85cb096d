/**
 * examples/production compiled against the built package and run with a bundle built by the
 * built CLI: run() with the bundle's providers and budget, the fallback text while the local
 * model is down (retries exhausted, then the breaker open), OpenTelemetry spans and metrics on
 * the console, and no API key anywhere in the output.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { cli } from '../helpers/cli.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const EXAMPLES = path.join(ROOT, 'examples');

describe('examples/production', () => {
  let work: string;
  beforeAll(() => {
    work = realpathSync(mkdtempSync(path.join(tmpdir(), 'promptrail-example-prod-')));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('runs a prompt with a fallback, a budget, a refreshing bundle and OpenTelemetry on the console', async () => {
    const app = path.join(work, 'production');
    mkdirSync(path.join(app, 'node_modules', '@opentelemetry'), { recursive: true });
    mkdirSync(path.join(work, 'app'), { recursive: true });
    symlinkSync(ROOT, path.join(app, 'node_modules', 'promptrail'), 'dir');
    for (const p of ['api', 'sdk-trace-base', 'sdk-metrics']) symlinkSync(path.join(ROOT, 'node_modules', '@opentelemetry', p), path.join(app, 'node_modules', '@opentelemetry', p), 'dir');
    for (const f of ['main.ts', 'tsconfig.json']) copyFileSync(path.join(EXAMPLES, 'production', f), path.join(app, f));
    copyFileSync(path.join(EXAMPLES, 'app', 'prompts.d.ts'), path.join(work, 'app', 'prompts.d.ts'));
    writeFileSync(path.join(app, 'package.json'), '{ "type": "module" }\n');
    const bundle = path.join(app, 'production.bundle.json');
    const b = await cli(['-C', path.join(EXAMPLES, 'registry'), 'build', '--env', 'production', '-o', bundle], { cwd: ROOT });
    expect(b.exitCode, b.stderr).toBe(0);
    const tsc = await execa(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', app, '--typeRoots', path.join(ROOT, 'node_modules/@types')], { reject: false });
    expect(tsc.stdout + tsc.stderr).toBe('');

    const KEY = 'sk-SENTINEL-example-0123456789';
    const r = await execa(process.execPath, [path.join(app, 'dist/main.js'), bundle, 'Where is my order?', 'I was charged twice'], { cwd: app, reject: false, env: { OPENAI_API_KEY: KEY } });
    expect(r.exitCode, r.stderr).toBe(0);
    const replies = r.stdout.split('\n').filter((l) => l.startsWith('reply: ') || l.startsWith('  support/reply@'));
    expect(replies).toEqual([
      'reply: Thanks for reaching out! A person from our team will answer you shortly.',
      expect.stringMatching(/^ {2}support\/reply@1\.0\.0 \(stable\) in [\d.]+ ms, 2 request\(s\), fallback via text because retries_exhausted$/),
      'reply: Thanks for reaching out! A person from our team will answer you shortly.',
      expect.stringMatching(/^ {2}support\/reply@1\.0\.0 \(stable\) in [\d.]+ ms, 0 request\(s\), fallback via text because circuit_open$/),
    ]);
    // ConsoleSpanExporter / ConsoleMetricExporter output
    expect(r.stdout).toContain("name: 'chat llama3.2'");
    expect(r.stdout).toContain("'promptrail.prompt.id': 'support/reply'");
    expect(r.stdout).toContain("'promptrail.fallback.reason': 'circuit_open'");
    expect(r.stdout).toContain("name: 'promptrail.requests'");
    expect(r.stdout).toContain("outcome: 'fallback'");
    expect(r.stdout + r.stderr).not.toContain(KEY);
  }, 60_000);
});
