/**
 * The HTML eval report in a real browser: Debian's headless Chromium driven by playwright-core,
 * opened from file:// with a fresh profile. No console errors, no request but the document,
 * filters and search, the word diff, providers side by side, a hostile reply shown and not run,
 * and 10,000 cases that open and filter. Saves the README's screenshot (docs/eval-report.png)
 * when it is missing or PROMPTRAIL_UPDATE_SCREENSHOT=1.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { cli } from '../helpers/cli.js';
import { makeRegistry, type TempRegistry } from '../helpers/registry.js';
import { describeWithTool } from '../helpers/tools.js';
import { startOpenAIServer } from '../helpers/servers/openai.js';
import type { FakeServer } from '../helpers/servers/fake-llm.js';
import { renderEvalHtml } from '../../src/cli/reporters/eval-html.js';
import { buildReport } from '../../src/eval/report.js';
import type { CaseResult, EvalRun } from '../../src/eval/runner.js';
import type { EvalTarget } from '../../src/eval/suite.js';

const CHROMIUM = '/usr/bin/chromium';

/**
 * The page's globals, for functions that playwright runs in the page, where `globalThis` is its
 * window (the test compiles without the DOM library; the casts vanish in the compiled function).
 * String expressions cannot be used instead: the report's CSP forbids eval, as it should.
 */
interface PageGlobals {
  document: { querySelectorAll(s: string): { length: number }; querySelector(s: string): { textContent: string | null } | null };
}
const HOSTILE = '</script><script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">';
const SCREENSHOT = fileURLToPath(new URL('../../docs/eval-report.png', import.meta.url));

describeWithTool(CHROMIUM, ['--version'], 'the HTML eval report in headless Chromium', () => {
  let server: FakeServer;
  let reg: TempRegistry;
  let profile: string;
  let context: BrowserContext;

  beforeAll(async () => {
    server = await startOpenAIServer({ respond: (req) => ({ type: 'ok', content: `Category: ${/refund|charge/.test(String(req.body.messages?.at(-1)?.content)) ? 'billing' : 'technical'}.`, usage: { input: 30, output: 8 } }) });
    reg = makeRegistry({
      config: `providers:
  offline: { type: echo }
  llm: { type: openai, base_url: "${server.url}", prices: { triage-1: { input_per_1m: 0.15, output_per_1m: 0.6 } } }
`,
    });
    const v = (ver: string, text: string) => `id: support/triage
version: ${ver}
model: { provider: offline, name: triage-1 }
inputs: { type: object, required: [ticket], properties: { ticket: { type: string } }, additionalProperties: false }
template: "${text} Ticket: {{ticket}}"
`;
    reg.write('prompts/support/triage/1.0.0.yaml', v('1.0.0', 'Classify the ticket as billing or technical.'));
    reg.write('prompts/support/triage/1.1.0.yaml', v('1.1.0', 'Classify the support ticket as billing, technical or account, and explain briefly.'));
    reg.write('prompts/support/triage/evals.yaml', `cases:
  - { name: refund is billing, vars: { ticket: "I was charged twice, please refund" }, assert: [{ type: icontains, value: billing }] }
  - { name: crash is technical, vars: { ticket: "The app crashes on start" }, assert: [{ type: icontains, value: technical }] }
  - { name: mentions account, vars: { ticket: "I cannot log in" }, assert: [{ type: icontains, value: account }] }
  - { name: stays short, vars: { ticket: "Where is my invoice for the charge?" }, assert: [{ type: length, max: 95 }] }
  - { name: ${JSON.stringify(`hostile ${HOSTILE}`)}, vars: { ticket: ${JSON.stringify(HOSTILE)} }, assert: [{ type: contains, value: Ticket }] }
`);
    const r = await cli(['eval', 'support/triage@1.1.0', '--baseline', '1.0.0', '--provider', 'offline,llm', '--format', 'html', '-o', 'report.html'], { cwd: reg.dir });
    expect([0, 1]).toContain(r.exitCode);
    expect(r.stderr).not.toContain('error');
    profile = fs.mkdtempSync(path.join(os.tmpdir(), 'promptrail-chromium-'));
    const { chromium } = await import('playwright-core');
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 1280, height: 900 },
    });
  }, 60000);

  afterAll(async () => {
    await context?.close();
    if (profile) fs.rmSync(profile, { recursive: true, force: true });
    reg?.cleanup();
    await server?.close();
  });

  /** Opens a page, recording console errors, page errors and every request. */
  async function open(file: string): Promise<{ page: Page; requests: string[]; errors: string[] }> {
    const page = await context.newPage();
    const requests: string[] = [];
    const errors: string[] = [];
    page.on('request', (q) => requests.push(q.url()));
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') errors.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    await page.goto(pathToFileURL(file).href);
    await page.waitForSelector('html[data-ready="true"]', { timeout: 20000 });
    return { page, requests, errors };
  }

  const rowCount = (page: Page) => page.locator('#case-rows tr').count();

  it('opens from file:// with no request but the document and no console error; summary, chart and table are there', async () => {
    const file = path.join(reg.dir, 'report.html');
    const { page, requests, errors } = await open(file);
    expect(requests).toEqual([pathToFileURL(file).href]);
    expect(errors).toEqual([]);
    expect(await page.textContent('#card-pass-rate')).toMatch(/%/);
    expect(await page.locator('#chart rect.bar').count()).toBe(4); // 2 providers × (candidate + baseline)
    expect(await page.locator('#reports tbody tr').count()).toBe(2);
    // providers side by side: one column each
    expect(await page.locator('#cases thead th').allTextContents()).toEqual(['case', 'offline/triage-1', 'llm/triage-1']);
    expect(await rowCount(page)).toBe(5);
    await page.close();
  });

  it('filters (failed / regressed / changed) and search narrow the table', async () => {
    const { page, errors } = await open(path.join(reg.dir, 'report.html'));
    await page.click('#filter-failed');
    const failed = await rowCount(page);
    expect(failed).toBeGreaterThan(0);
    expect(failed).toBeLessThan(5);
    expect(await page.locator('#case-rows tr', { hasText: 'mentions account' }).count()).toBe(1);
    await page.click('#filter-regressed');
    expect(await page.locator('#case-rows tr').allTextContents()).toEqual([expect.stringContaining('stays short')]);
    await page.click('#filter-changed');
    expect(await rowCount(page)).toBe(5); // every output changed with the new wording
    await page.click('#filter-all');
    await page.fill('#search', 'CRASH');
    await page.waitForFunction(() => (globalThis as unknown as PageGlobals).document.querySelectorAll('#case-rows tr').length === 1);
    expect(await page.textContent('#case-rows')).toContain('crash is technical');
    await page.fill('#search', 'no such case anywhere');
    await page.waitForFunction(() => (globalThis as unknown as PageGlobals).document.querySelectorAll('#case-rows tr').length === 0);
    expect(await page.textContent('#page-info')).toBe('no case matches');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('shows each provider\'s output beside the baseline\'s with a word diff', async () => {
    const { page, errors } = await open(path.join(reg.dir, 'report.html'));
    await page.locator('#case-rows tr', { hasText: 'stays short' }).click();
    const detail = page.locator('#detail');
    await expect.poll(() => detail.isVisible()).toBe(true);
    expect(await detail.locator('h3').count()).toBe(2);
    expect(await detail.locator('pre.candidate').first().textContent()).toContain('Classify the support ticket as billing, technical or account');
    expect(await detail.locator('pre.baseline').first().textContent()).toContain('Classify the ticket as billing or technical.');
    const ins = await detail.locator('pre.diff ins').first().allTextContents();
    expect(ins.join('')).toContain('support');
    expect(await detail.locator('pre.diff del').count()).toBeGreaterThan(0);
    expect(await detail.textContent()).toContain('length: expected');
    expect(errors).toEqual([]);
    // the README screenshot: the report with a case opened
    const shot = await page.screenshot({ fullPage: true });
    expect(shot.subarray(1, 4).toString('latin1')).toBe('PNG');
    expect(shot.length).toBeGreaterThan(20000);
    if (!fs.existsSync(SCREENSHOT) || process.env.PROMPTRAIL_UPDATE_SCREENSHOT === '1') {
      fs.mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
      fs.writeFileSync(SCREENSHOT, shot);
    }
    await page.close();
  });

  it('a reply containing </script><script> and an onerror image is shown as text and never runs', async () => {
    const file = path.join(reg.dir, 'report.html');
    const html = fs.readFileSync(file, 'utf8');
    expect(html).not.toContain('</script><script>window.__pwned');
    expect(html.match(/<script/g)).toHaveLength(3); // the data block, jsdiff, the viewer
    const { page, requests, errors } = await open(file);
    await page.locator('#case-rows tr', { hasText: 'hostile' }).click();
    await expect.poll(() => page.locator('#detail').isVisible()).toBe(true);
    expect(await page.locator('#detail pre.candidate').first().textContent()).toContain(HOSTILE);
    expect(await page.locator('#detail h2').textContent()).toBe(`hostile ${HOSTILE}`);
    expect(await page.evaluate(() => typeof (globalThis as unknown as { __pwned?: unknown }).__pwned)).toBe('undefined');
    expect(await page.locator('#app img').count()).toBe(0);
    expect(await page.locator('script').count()).toBe(3);
    expect(requests).toEqual([pathToFileURL(file).href]);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('10,000 cases open, page and filter', async () => {
    const names = Array.from({ length: 10000 }, (_, i) => `case ${i}`);
    const target = { id: 'big/suite', version: '2.0.0', sha256: 'a'.repeat(64), suite_sha256: 'b'.repeat(64), cases: [] } as unknown as EvalTarget;
    const res = (i: number, pass: boolean, out: string): CaseResult => ({ name: names[i]!, pass, error: null, output: out, latency_ms: i % 300, tokens: { input: 20, output: 10, total: 30 }, cost_usd: 0.00001, cached: false, score: pass ? 1 : 0, assertions: [{ type: 'contains', pass, message: pass ? 'ok' : 'expected output to contain "x"', weight: 1 }] });
    const run = (results: CaseResult[]): EvalRun => ({ provider: 'llm', provider_type: 'openai', model: 'm', parameters: {}, results, planned: results.length, interrupted: false, stopped: null, fatal: false, duration_ms: 1, started_at: '2026-11-22T10:00:00Z', repeat: 1, case_pass_rate: 1, budget_exhausted: false });
    const current = names.map((_, i) => res(i, i % 10 !== 0, `answer number ${i} for the ticket, category billing`));
    const base = names.map((_, i) => res(i, i % 20 !== 0, `answer ${i} for this ticket, category billing`));
    const report = buildReport(target, run(current), { baseline: { version: '1.0.0', results: base } });
    const file = path.join(reg.dir, 'big.html');
    fs.writeFileSync(file, renderEvalHtml([report]));
    const { page, errors } = await open(file);
    expect(await page.textContent('#page-info')).toContain('cases 1–100 of 10000');
    await page.click('#next-page');
    expect(await page.textContent('#page-info')).toContain('cases 101–200 of 10000');
    await page.click('#filter-regressed');
    expect(await page.textContent('#page-info')).toContain('of 500 (10000 in all)');
    await page.fill('#search', 'case 9990');
    await page.waitForFunction(() => (globalThis as unknown as PageGlobals).document.querySelector('#page-info')?.textContent?.includes('of 1 '));
    await page.locator('#case-rows tr').first().click();
    expect(await page.locator('#detail pre.diff ins').count()).toBeGreaterThan(0);
    expect(errors).toEqual([]);
    await page.close();
  });
});
