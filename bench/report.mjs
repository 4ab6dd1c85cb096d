#!/usr/bin/env node
// Benchmark of eval reports at scale (issue 14). Runs against the built dist/ and bin/prompts.js;
// data under bench/.work/report. Every measurement is a ratio against a baseline measured in
// this same run:
//   1. a 10,000-case report (echo cases vs a baseline version): HTML size vs the JSON report's
//      size (goal <= 2x); HTML generation in-process vs the 1 s budget, with JSON.stringify of
//      the same report for context; `prompts report html` whole CLI; first paint and "table
//      ready" in headless Chromium vs the 2 s budget (skipped when /usr/bin/chromium is absent);
//   2. --shard 1/4 … 4/4 of 8,000 echo cases (about 2,000 per shard): the merged report is
//      identical, case for case, to the unsharded run; `prompts report merge` whole CLI and
//      in-process vs the 0.5 s budget.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'bin', 'prompts.js');
const WORK = path.join(ROOT, 'bench', '.work', 'report');
const dist = (p) => pathToFileURL(path.join(ROOT, 'dist', p)).href;
if (!fs.existsSync(path.join(ROOT, 'dist', 'cli', 'reporters', 'eval-html.js'))) {
  console.error('bench/report.mjs: build first (npm run build)');
  process.exit(1);
}

const results = [];
function report(name, value, baselineName, baseline, goal, unit = 'ms') {
  const r = value / baseline;
  const ok = goal === undefined ? '' : r <= goal ? '  ok' : '  OVER GOAL';
  results.push({ name, ratio: r, goal, ok: goal === undefined || r <= goal });
  const shown = unit === 'bytes' ? `${(value / 1048576).toFixed(2)} MiB` : `${value.toFixed(0)} ms`;
  console.log(`${name.padEnd(62)} ${shown.padStart(10)}  = ${r.toFixed(2)}x ${baselineName}${goal !== undefined ? ` (goal <= ${goal}x)` : ''}${ok}`);
}
const best = (xs) => Math.min(...xs);
function cli(args, cwd, okCodes = [0, 1]) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, CI: 'true', NO_COLOR: '1' }, encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 });
  const ms = performance.now() - t0;
  if (!okCodes.includes(r.status) || /^error:/m.test(r.stderr)) throw new Error(`prompts ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return { ms, stdout: r.stdout, stderr: r.stderr };
}
function makeRegistry(name, cases) {
  const dir = path.join(WORK, name);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.join(dir, 'prompts', 'bench'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'prompts.config.yaml'), 'providers:\n  offline: { type: echo }\neval: { concurrency: 8 }\n');
  const v = (ver, text) => `id: bench\nversion: ${ver}\nmodel: { provider: offline, name: echo-1 }\ninputs: { type: object, required: [ticket], properties: { ticket: { type: string } }, additionalProperties: false }\nmessages:\n  - { role: system, content: "${text}" }\n  - { role: user, content: "Ticket: {{ticket}}" }\n`;
  fs.writeFileSync(path.join(dir, 'prompts', 'bench', '1.0.0.yaml'), v('1.0.0', 'You are a support triage assistant.'));
  fs.writeFileSync(path.join(dir, 'prompts', 'bench', '1.1.0.yaml'), v('1.1.0', 'You are a careful triage assistant for support. Answer with the category.'));
  // every 10th case checks "support triage", which 1.1.0 no longer says: a regression each, and
  // every output differs from the baseline's, so the report has failures, regressions and diffs
  const lines = ['defaults: { assert: [{ type: contains, value: Ticket }] }', 'cases:'];
  for (let i = 0; i < cases; i++) lines.push(i % 10 === 3 ? `  - { name: c${i}, vars: { ticket: "t${i}" }, assert: [{ type: contains, value: support triage }] }` : `  - { name: c${i}, vars: { ticket: "t${i}" } }`);
  fs.writeFileSync(path.join(dir, 'prompts', 'bench', 'evals.yaml'), `${lines.join('\n')}\n`);
  return dir;
}
console.log(`bench/report.mjs — load average at start: ${os.loadavg().map((x) => x.toFixed(1)).join(' ')} (${os.cpus().length} CPUs)`);

// --- 1. a 10,000-case report ------------------------------------------------------------------
{
  const dir = makeRegistry('html10k', 10000);
  cli(['eval', 'bench@1.1.0', '--baseline', '1.0.0', '-o', 'report.json', '-q'], dir);
  const jsonFile = path.join(dir, 'report.json');
  const jsonBytes = fs.statSync(jsonFile).size;
  const doc = JSON.parse(fs.readFileSync(jsonFile, 'utf8'));
  if (doc.cases !== 10000) throw new Error(`expected 10,000 cases, got ${doc.cases}`);
  const { renderEvalHtml } = await import(dist('cli/reporters/eval-html.js'));
  renderEvalHtml([doc]); // warm: assets read once per process
  const gen = [];
  const str = [];
  let html = '';
  for (let i = 0; i < 5; i++) {
    let t0 = performance.now();
    html = renderEvalHtml([doc]);
    gen.push(performance.now() - t0);
    t0 = performance.now();
    JSON.stringify(doc, null, 2);
    str.push(performance.now() - t0);
  }
  const htmlFile = path.join(dir, 'report.html');
  fs.writeFileSync(htmlFile, html);
  const whole = [0, 1, 2].map(() => {
    fs.rmSync(htmlFile, { force: true });
    return cli(['report', 'html', 'report.json', '-o', 'report.html'], dir, [0]).ms;
  });
  report('10,000 cases: HTML size vs the JSON report (-o)', Buffer.byteLength(html), 'of the JSON', jsonBytes, 2, 'bytes');
  report('10,000 cases: HTML generation, in-process', best(gen), 'of the 1 s budget', 1000, 1);
  report('  (context) JSON.stringify of the same report', best(str), 'of the 1 s budget', 1000);
  report('10,000 cases: prompts report html, whole CLI (read + check + write)', best(whole), 'of the 1 s budget', 1000);

  if (fs.existsSync('/usr/bin/chromium')) {
    const { chromium } = await import('playwright-core');
    const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'promptrail-bench-chromium-'));
    try {
      const ctx = await chromium.launchPersistentContext(profile, {
        executablePath: '/usr/bin/chromium',
        headless: true,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
        viewport: { width: 1280, height: 900 },
      });
      const fcp = [];
      const ready = [];
      const filter = [];
      for (let i = 0; i < 3; i++) {
        const page = await ctx.newPage();
        await page.goto(pathToFileURL(htmlFile).href);
        await page.waitForSelector('html[data-ready="true"]', { timeout: 30000 });
        ready.push(Number(await page.getAttribute('html', 'data-ready-ms')));
        fcp.push(await page.evaluate(() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN));
        const t0 = Date.now();
        await page.click('#filter-failed');
        /* global document */
        await page.waitForFunction(() => document.querySelector('#page-info')?.textContent?.includes('of 1000 '));
        filter.push(Date.now() - t0);
        await page.close();
      }
      await ctx.close();
      report('10,000 cases: first contentful paint in Chromium', best(fcp), 'of the 2 s budget', 2000, 1);
      report('  the table rendered and usable (data-ready)', best(ready), 'of the 2 s budget', 2000, 1);
      report('  "failed" filter over 10,000 cases, click to redrawn page', best(filter), 'of the 2 s budget', 2000);
    } finally {
      fs.rmSync(profile, { recursive: true, force: true });
    }
  } else {
    console.log('  (skipped: /usr/bin/chromium is not installed, no first-paint measurement)');
  }
}

// --- 2. --shard 1..4/4 of 8,000 echo cases, then report merge ---------------------------------
{
  const dir = makeRegistry('shard8k', 8000);
  const full = JSON.parse(cli(['--json', 'eval', 'bench@1.1.0', '--baseline', '1.0.0'], dir).stdout);
  const sizes = [];
  for (const i of [1, 2, 3, 4]) {
    cli(['eval', 'bench@1.1.0', '--baseline', '1.0.0', '--shard', `${i}/4`, '-o', `shard-${i}.json`, '-q'], dir);
    sizes.push(JSON.parse(fs.readFileSync(path.join(dir, `shard-${i}.json`), 'utf8')).cases);
  }
  const files = [1, 2, 3, 4].map((i) => `shard-${i}.json`);
  const whole = [0, 1, 2].map(() => {
    fs.rmSync(path.join(dir, 'merged.json'), { force: true });
    return cli(['report', 'merge', ...files, '-o', 'merged.json'], dir).ms;
  });
  const merged = JSON.parse(fs.readFileSync(path.join(dir, 'merged.json'), 'utf8'));
  // identical case for case: everything but timings (latency, start, duration) and the merge record
  const norm = (r) => ({ ...r, started_at: null, duration_ms: null, merged: null, latency: null, results: r.results.map((x) => ({ ...x, latency_ms: null })) });
  const a = JSON.stringify(norm(full));
  const b = JSON.stringify(norm(merged));
  if (a !== b) throw new Error('the merged report differs from the unsharded run');
  console.log(`  shards of ${sizes.join(' + ')} = ${sizes.reduce((x, y) => x + y, 0)} cases; merged report identical, case for case, to the unsharded run (${merged.results.length} results)`);
  const { readReportFile } = await import(dist('eval/document.js'));
  const { mergeFiles } = await import(dist('eval/merge.js'));
  const inproc = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    const read = [];
    for (const f of files) read.push(await readReportFile(dir, f));
    mergeFiles(read);
    inproc.push(performance.now() - t0);
  }
  const cold = best([0, 1, 2].map(() => cli(['--version'], dir, [0]).ms));
  report('merge of 4 shards (8,000 cases), whole CLI', best(whole), 'of the 0.5 s budget', 500, 1);
  report('  in-process (read + schema check + verify + merge)', best(inproc), 'of the 0.5 s budget', 500, 1);
  report('  (context) CLI cold start, prompts --version', cold, 'of the 0.5 s budget', 500);
}

const over = results.filter((r) => !r.ok);
console.log(over.length ? `\n${over.length} measurement(s) over goal` : '\nall measurements within their goals');
