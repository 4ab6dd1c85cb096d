/** `prompts eval` through the built CLI, against local servers on 127.0.0.1. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { execa } from 'execa';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { cli, BIN } from '../helpers/cli.js';
import { registriesPerTest, GIT_ENV, type TempRegistry } from '../helpers/registry.js';
import { startOpenAIServer } from '../helpers/servers/openai.js';
import type { FakeServer, RecordedRequest } from '../helpers/servers/fake-llm.js';

const SCHEMA = JSON.parse(fs.readFileSync(new URL('../../schemas/eval-report.schema.json', import.meta.url), 'utf8')) as object;
const validateReport = new Ajv2020({ allErrors: true, strict: false }).compile(SCHEMA);

const version = (v: string, text: string, provider = 'llm') => `id: support/triage
version: ${v}
model: { provider: ${provider}, name: gpt-test, parameters: { temperature: 0 } }
inputs: { type: object, required: [ticket], properties: { ticket: { type: string } }, additionalProperties: false }
messages:
  - { role: system, content: "${text}" }
  - { role: user, content: "{{ticket}}" }
`;

const SUITE = `defaults:
  assert:
    - { type: latency, max_ms: 5000 }
cases:
  - name: refund is billing
    vars: { ticket: "refund please" }
    assert: [{ type: json-path, path: $.category, equals: billing }]
  - name: crash is technical
    vars: { ticket: "app crashes" }
    assert: [{ type: json-path, path: $.category, equals: technical }]
  - name: only new
    versions: ">=1.1.0"
    vars: { ticket: "hello" }
    assert: [{ type: is-json }]
`;

/** The model: classifies by keyword; a system prompt "SLOPPY" breaks the technical case. */
function classify(req: RecordedRequest) {
  const sys = String(req.body.messages?.[0]?.content ?? '');
  const user = String(req.body.messages?.[1]?.content ?? '');
  const category = user.includes('refund') ? 'billing' : user.includes('crash') ? (sys.includes('SLOPPY') ? 'billing' : 'technical') : 'other';
  return { type: 'ok' as const, content: JSON.stringify({ category }), usage: { input: 20, output: 5 } };
}

let server: FakeServer;
beforeAll(async () => {
  server = await startOpenAIServer({ apiKey: 'sk-good', respond: classify });
});
afterAll(async () => {
  await server.close();
});

const makeReg = registriesPerTest();

function registry(extraConfig = ''): TempRegistry {
  const reg = makeReg({
    config: `environments:
  staging: {}
  production: { requires: staging, gate: { no_regressions: true } }
providers:
  llm: { type: openai, base_url: "${server.url}", api_key_env: TEST_OPENAI_KEY, prices: { gpt-test: { input_per_1m: 1, output_per_1m: 2 } } }
  offline: { type: echo }
eval: { concurrency: 2, timeout_ms: 5000, retries: 1 }
${extraConfig}`,
  });
  reg.write('prompts/support/triage/1.0.0.yaml', version('1.0.0', 'Classify.'));
  reg.write('prompts/support/triage/1.1.0.yaml', version('1.1.0', 'Classify SLOPPY.'));
  reg.write('prompts/support/triage/1.2.0.yaml', version('1.2.0', 'Classify better.'));
  reg.write('prompts/support/triage/evals.yaml', SUITE);
  return reg;
}

const KEY = { TEST_OPENAI_KEY: 'sk-good' };

describe('prompts eval (text)', () => {
  it('prints a table and a summary line, exits 0 when every case passes', async () => {
    const reg = registry();
    const r = await cli(['eval', 'support/triage@1.0.0'], { cwd: reg.dir, env: KEY });
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toContain('eval support/triage@1.0.0: 2 of 3 case(s) apply');
    expect(r.stdout).toMatch(/^STATUS\s+CASE\s+LATENCY\s+TOKENS\s+COST/m);
    expect(r.stdout).toMatch(/^PASS\s+refund is billing\s+\d+ms\s+25\s+\$0\.000030$/m);
    expect(r.stdout).toMatch(/support\/triage@1\.0\.0 on llm\/gpt-test: 2\/2 passed \(100\.0%\), .*50 tokens, \$0\.000060/);
    expect(fs.existsSync(path.join(reg.dir, '.prompts/evals/support/triage/1.0.0.json'))).toBe(true);
    // a second run answers from the cache, marked with *
    const again = await cli(['eval', 'support/triage@1.0.0'], { cwd: reg.dir, env: KEY });
    expect(again.stdout).toMatch(/^PASS\s+refund is billing\s+\d+ms\*/m);
    expect(again.stdout).toContain('* response from the cache');
  });

  it('exits 1 with the failing assertion (expected vs actual); --min-pass-rate accepts a lower pass rate', async () => {
    const reg = registry();
    const r = await cli(['eval', 'support/triage@1.1.0'], { cwd: reg.dir, env: KEY });
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toMatch(/^FAIL\s+crash is technical/m);
    expect(r.stdout).toContain('json-path: expected $.category to equal technical, got billing');
    expect(r.stdout).toContain('2/3 passed (66.7%), 1 failed');
    expect((await cli(['eval', 'support/triage@1.1.0', '--min-pass-rate', '0.6'], { cwd: reg.dir, env: KEY })).exitCode).toBe(0);
    expect((await cli(['eval', 'support/triage@1.1.0', '--min-pass-rate', '0.7'], { cwd: reg.dir, env: KEY })).exitCode).toBe(1);
  });

  it('runs offline with the echo provider (--provider)', async () => {
    const reg = registry();
    reg.write('prompts/support/triage/evals.yaml', 'cases:\n  - { name: echo, vars: { ticket: hi }, assert: [{ type: contains, value: "user: hi" }] }\n');
    const r = await cli(['eval', 'support/triage', '--provider', 'offline'], { cwd: reg.dir });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('support/triage@1.2.0 on offline/gpt-test: 1/1 passed');
  });
});

describe('prompts eval --baseline', () => {
  it('reports a regression against a version and exits 1', async () => {
    const reg = registry();
    const r = await cli(['eval', 'support/triage@1.1.0', '--baseline', '1.0.0', '--min-pass-rate', '0'], { cwd: reg.dir, env: KEY });
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toMatch(/^FAIL\s+crash is technical \(regression\)/m);
    expect(r.stdout).toContain('vs 1.0.0: 100.0% -> 50.0% on the 2 cases both ran (-50.0 pts); 1 regression ("crash is technical"), 0 improvements, 1 unchanged; 1 new ("only new")');
    // the delta compares like with like: "only new" (a case for >=1.1.0) is not a change
    expect(r.stdout).not.toContain('removed');
    // the baseline's own report is kept too (a later promote gate can reuse it)
    const stored = JSON.parse(fs.readFileSync(path.join(reg.dir, '.prompts/evals/support/triage/1.0.0.json'), 'utf8')) as { version: string; passed: number; baseline: unknown };
    expect(stored).toMatchObject({ version: '1.0.0', passed: 2, baseline: null });
  });

  it('reports improvements against an environment pin with --json, reusing cached responses, and exits 0', async () => {
    const reg = registry();
    reg.write('environments/production.yaml', `environment: production
prompts:
  support/triage:
    version: 1.1.0
    sha256: "${'0'.repeat(64)}"
    previous: null
    promoted_at: 2026-11-22T10:00:00Z
    promoted_by: Test
    history: []
`);
    expect((await cli(['eval', 'support/triage@1.1.0', '--min-pass-rate', '0'], { cwd: reg.dir, env: KEY })).exitCode).toBe(0);
    const before = server.requests.length;
    const r = await cli(['eval', 'support/triage@1.2.0', '--baseline', 'production', '--json'], { cwd: reg.dir, env: KEY });
    expect(r.exitCode).toBe(0);
    const report = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(validateReport(report), JSON.stringify(validateReport.errors)).toBe(true);
    expect(report).toMatchObject({ ok: true, version: '1.2.0', regressions: [], improvements: ['crash is technical'], unchanged: 2, baseline: { version: '1.1.0', pass_rate: 0.6667, delta: 0.3333 } });
    // 1.2.0's three cases were requested; the baseline 1.1.0 came from the cache
    expect(server.requests.length - before).toBe(3);
  });

  it('against an environment, its gate min_pass_rate applies unless --min-pass-rate is given', async () => {
    const reg = registry();
    const cfg = path.join(reg.dir, 'prompts.config.yaml');
    fs.writeFileSync(cfg, fs.readFileSync(cfg, 'utf8').replace('  staging: {}', '  staging: { gate: { min_pass_rate: 0.9 } }'));
    reg.write('environments/staging.yaml', `environment: staging
prompts:
  support/triage: { version: 1.1.0, sha256: "${'0'.repeat(64)}", previous: null, promoted_at: 2026-11-22T10:00:00Z, promoted_by: Test, history: [] }
`);
    const r = await cli(['eval', 'support/triage@1.1.0', '--baseline', 'staging'], { cwd: reg.dir, env: KEY });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('using environment "staging"\'s gate: min_pass_rate 0.9');
    expect(r.stdout).toContain('pass rate 66.7% is below the minimum 90.0%');
    expect(r.stdout).toContain('no regressions');
    expect((await cli(['eval', 'support/triage@1.1.0', '--baseline', 'staging', '--min-pass-rate', '0.5'], { cwd: reg.dir, env: KEY })).exitCode).toBe(0);
  });

  it('<id>@<env> runs the pinned version as the environment does: its overrides.model applied', async () => {
    const reg = registry();
    const cfg = path.join(reg.dir, 'prompts.config.yaml');
    fs.writeFileSync(cfg, fs.readFileSync(cfg, 'utf8').replace('  staging: {}', '  staging: { overrides: { model: { name: gpt-staging, parameters: { temperature: 0.7 } } } }'));
    reg.write('environments/staging.yaml', `environment: staging
prompts:
  support/triage: { version: 1.0.0, sha256: "${'0'.repeat(64)}", previous: null, promoted_at: 2026-11-22T10:00:00Z, promoted_by: Test, history: [] }
`);
    const before = server.requests.length;
    const r = await cli(['--json', 'eval', 'support/triage@staging', '--no-cache'], { cwd: reg.dir, env: KEY });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ version: '1.0.0', model: 'gpt-staging', parameters: { temperature: 0.7 } });
    const sent = server.requests.slice(before).map((q) => [q.body.model, q.body.temperature]);
    expect(sent).toEqual([['gpt-staging', 0.7], ['gpt-staging', 0.7]]);
    // a plain version ref keeps the version's own model
    const plain = await cli(['--json', 'eval', 'support/triage@1.0.0'], { cwd: reg.dir, env: KEY });
    expect(JSON.parse(plain.stdout)).toMatchObject({ model: 'gpt-test', parameters: { temperature: 0 } });
  });

  it('rejects an unknown baseline with exit 2', async () => {
    const reg = registry();
    const r = await cli(['eval', 'support/triage@1.2.0', '--baseline', '9.9.9'], { cwd: reg.dir, env: KEY });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('has no version 9.9.9');
  });
});

describe('prompts eval reports', () => {
  it('--json prints one document matching the schema; -o writes it to a file; GITHUB_STEP_SUMMARY gets markdown', async () => {
    const reg = registry();
    const summary = path.join(reg.dir, 'summary.md');
    fs.writeFileSync(summary, '# previous step\n');
    const r = await cli(['--json', 'eval', 'support/triage@1.1.0', '-o', 'out/report.json'], { cwd: reg.dir, env: { ...KEY, GITHUB_STEP_SUMMARY: summary } });
    expect(r.exitCode).toBe(1);
    const report = JSON.parse(r.stdout) as { results: { name: string; pass: boolean; assertions: unknown[] }[] } & Record<string, unknown>;
    expect(validateReport(report), JSON.stringify(validateReport.errors)).toBe(true);
    expect(report).toMatchObject({ ok: false, prompt: 'support/triage', version: '1.1.0', provider: 'llm', model: 'gpt-test', cases: 3, passed: 2, failed: 1, errors: 0, pass_rate: 0.6667, baseline: null });
    expect(report.results.map((x) => [x.name, x.pass])).toEqual([['refund is billing', true], ['crash is technical', false], ['only new', true]]);
    expect(report.results[1]!.assertions).toContainEqual({ type: 'json-path', pass: false, message: 'expected $.category to equal technical, got billing', weight: 1 });
    expect(JSON.parse(fs.readFileSync(path.join(reg.dir, 'out/report.json'), 'utf8'))).toEqual(report);
    expect(JSON.parse(fs.readFileSync(path.join(reg.dir, '.prompts/evals/support/triage/1.1.0.json'), 'utf8'))).toEqual(report);
    const md = fs.readFileSync(summary, 'utf8');
    expect(md.startsWith('# previous step\n### ❌ Eval `support/triage@1.1.0` — 2/3 passed (66.7%)')).toBe(true);
    expect(md).toContain('| ❌ fail | crash is technical |');
    // a second run replaces its own earlier report
    const again = await cli(['eval', 'support/triage@1.0.0', '-o', 'out/report.json'], { cwd: reg.dir, env: KEY });
    expect(again.stderr).not.toContain('not overwriting');
    expect(JSON.parse(fs.readFileSync(path.join(reg.dir, 'out/report.json'), 'utf8'))).toMatchObject({ version: '1.0.0' });
  });

  it('--format junit prints one testcase per case', async () => {
    const reg = registry();
    const r = await cli(['eval', 'support/triage@1.1.0', '--format', 'junit'], { cwd: reg.dir, env: KEY });
    expect(r.exitCode).toBe(1);
    expect(r.stdout.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites')).toBe(true);
    expect(r.stdout.match(/<testcase /g)).toHaveLength(3);
    expect(r.stdout).toContain('<testsuite name="support/triage@1.1.0" tests="3" failures="1" errors="0"');
    expect(r.stdout).toContain('<failure message="json-path: expected $.category to equal technical, got billing"');
  });
});

describe('prompts eval record/replay', () => {
  it('--record then --replay runs without a key and without the network', async () => {
    const reg = registry();
    expect((await cli(['eval', 'support/triage@1.0.0', '--record'], { cwd: reg.dir, env: KEY })).exitCode).toBe(0);
    const before = server.requests.length;
    const r = await cli(['eval', 'support/triage@1.0.0', '--replay', '--json'], { cwd: reg.dir, env: { TEST_OPENAI_KEY: undefined } });
    expect(r.exitCode).toBe(0);
    expect(server.requests.length).toBe(before);
    expect((JSON.parse(r.stdout) as { results: { cached: boolean }[] }).results.every((x) => x.cached)).toBe(true);
  });

  it('--replay without a recording fails those cases clearly', async () => {
    const reg = registry();
    const r = await cli(['eval', 'support/triage@1.0.0', '--replay'], { cwd: reg.dir });
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toMatch(/^ERROR\s+refund is billing/m);
    expect(r.stdout).toContain('no recorded response for this case');
  });
});

describe('prompts eval errors', () => {
  it('a missing API key exits 2 naming the variable, before writing anything', async () => {
    const reg = registry();
    const r = await cli(['eval', 'support/triage@1.0.0'], { cwd: reg.dir, env: { TEST_OPENAI_KEY: undefined } });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('provider "llm" needs an API key, but the environment variable TEST_OPENAI_KEY is not set');
    expect(r.stdout).toBe('');
    expect(fs.existsSync(path.join(reg.dir, '.prompts'))).toBe(false);
  });

  it('a rejected key (401) exits 2 at once with a clear message', async () => {
    const reg = registry();
    const before = server.requests.length;
    const r = await cli(['eval', 'support/triage@1.0.0'], { cwd: reg.dir, env: { TEST_OPENAI_KEY: 'sk-wrong-key' } });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/^error: provider "llm": HTTP 401: Incorrect API key provided/m);
    expect(r.stderr).toContain('the API key was rejected');
    expect(r.stderr).not.toContain('sk-wrong-key');
    expect(server.requests.length - before).toBeLessThanOrEqual(2);
  });

  it.each([
    [['--record', '--replay'], '--record and --replay cannot be used together'],
    [['--no-cache', '--replay'], '--no-cache cannot be combined with --replay'],
    [['--concurrency', '0'], '--concurrency must be a whole number from 1 to 256'],
    [['--min-pass-rate', '2'], '--min-pass-rate must be a number from 0 to 1'],
    [['--format', 'xml'], 'unknown --format "xml"'],
    [['--provider', 'lm'], 'unknown provider "lm"; did you mean "llm"?'],
    [['-o', 'prompts'], '-o prompts is a directory'],
    // checked before the run, not after it (a paid eval was thrown away)
    [['-o', 'prompts.config.yaml/report.json'], 'cannot write -o prompts.config.yaml/report.json: '],
    // never overwrites a file that is not an earlier eval report
    [['-o', 'prompts.config.yaml'], '-o prompts.config.yaml exists and was not generated by "prompts eval"; not overwriting it'],
  ])('usage error %j exits 2 and writes nothing', async (flags, message) => {
    const reg = registry();
    const r = await cli(['eval', 'support/triage@1.0.0', ...flags], { cwd: reg.dir, env: KEY });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(message);
    expect(fs.existsSync(path.join(reg.dir, '.prompts'))).toBe(false);
  });

  it('a prompt without a suite exits 2 saying which file to add', async () => {
    const reg = registry();
    fs.rmSync(path.join(reg.dir, 'prompts/support/triage/evals.yaml'));
    const r = await cli(['eval', 'support/triage'], { cwd: reg.dir, env: KEY });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('error: prompts/support/triage/evals.yaml: prompt "support/triage" has no eval suite');
  });

  it('an invalid semver range in the suite is reported with file:line:col', async () => {
    const reg = registry();
    reg.write('prompts/support/triage/evals.yaml', 'cases:\n  - name: a\n    versions: "not a range"\n');
    const r = await cli(['eval', 'support/triage'], { cwd: reg.dir, env: KEY });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('error: prompts/support/triage/evals.yaml:3:15: case "a": "not a range" is not a valid semver range');
  });
});

describe('secrets never leak', () => {
  it('a whole eval with a sentinel key, including error bodies that echo headers, writes the key nowhere', async () => {
    const SENTINEL = 'sk-SENTINEL-7f3a9c1e5b2d';
    let n = 0;
    const leaky = await startOpenAIServer({
      apiKey: SENTINEL,
      respond: (req) => {
        n++;
        const headers = JSON.stringify(req.headers);
        if (n % 4 === 1) return { type: 'status', status: 500, message: `internal error; request headers were ${headers}` };
        if (n % 4 === 2) return { type: 'status', status: 429, message: `slow down ${headers}`, headers: { 'retry-after': '0' } };
        return { type: 'ok', content: `I saw ${headers}` };
      },
    });
    try {
      const reg = registry();
      const cfgFile = path.join(reg.dir, 'prompts.config.yaml');
      fs.writeFileSync(cfgFile, fs.readFileSync(cfgFile, 'utf8').replace('  offline: { type: echo }', `  offline: { type: echo }\n  leaky: { type: openai, base_url: "${leaky.url}", api_key_env: LEAKY_KEY }`));
      const summary = path.join(reg.dir, 'summary.md');
      const env = { LEAKY_KEY: SENTINEL, GITHUB_STEP_SUMMARY: summary };
      const runs = [
        await cli(['eval', 'support/triage@1.2.0', '--provider', 'leaky', '--verbose', '-o', 'report.json', '--concurrency', '1'], { cwd: reg.dir, env }),
        await cli(['--json', 'eval', 'support/triage@1.1.0', '--provider', 'leaky', '--baseline', '1.0.0', '--verbose'], { cwd: reg.dir, env }),
        await cli(['eval', 'support/triage@1.0.0', '--provider', 'leaky', '--format', 'junit', '--record'], { cwd: reg.dir, env }),
        // a wrong key whose 401 body echoes what was sent
        await cli(['eval', 'support/triage@1.0.0', '--provider', 'leaky', '--no-cache'], { cwd: reg.dir, env: { ...env, LEAKY_KEY: `${SENTINEL}-wrong` } }),
      ];
      expect(leaky.requests.length).toBeGreaterThan(6);
      expect(leaky.requests.some((q) => String(q.headers.authorization).includes(SENTINEL))).toBe(true);
      expect(runs[0]!.stdout).toContain('I saw');
      expect(runs[3]!.exitCode).toBe(2);
      for (const r of runs) {
        expect(r.stdout).not.toContain(SENTINEL);
        expect(r.stderr).not.toContain(SENTINEL);
      }
      const files = fs.readdirSync(reg.dir, { recursive: true }).map(String).filter((f) => !f.startsWith('.git/') && fs.statSync(path.join(reg.dir, f)).isFile());
      expect(files.filter((f) => f.startsWith('.prompts/cache/')).length).toBeGreaterThan(0);
      expect(files).toContain('report.json');
      expect(files).toContain('summary.md');
      for (const f of files) expect(fs.readFileSync(path.join(reg.dir, f), 'utf8'), f).not.toContain(SENTINEL);
    } finally {
      await leaky.close();
    }
  });
});

describe('Ctrl-C', () => {
  it('SIGINT writes the partial report of the cases that finished and exits 130', async () => {
    const slow = await startOpenAIServer({ latencyMs: 150 });
    try {
      const reg = registry();
      const cfgFile = path.join(reg.dir, 'prompts.config.yaml');
      fs.writeFileSync(cfgFile, fs.readFileSync(cfgFile, 'utf8').replace('  offline: { type: echo }', `  offline: { type: echo }\n  slow: { type: openai, base_url: "${slow.url}" }`));
      const lines = ['cases:'];
      for (let i = 0; i < 40; i++) lines.push(`  - { name: c${i}, vars: { ticket: "t${i}" } }`);
      reg.write('prompts/support/triage/evals.yaml', `${lines.join('\n')}\n`);
      // the last complete report of this version on this provider (as an earlier run left it)
      const complete = `${JSON.stringify({ prompt: 'support/triage', version: '1.0.0', interrupted: false, stopped: null, results: [] })}\n`;
      reg.write('.prompts/evals/support/triage/1.0.0@slow.json', complete);
      const child = execa(process.execPath, [BIN, 'eval', 'support/triage@1.0.0', '--provider', 'slow', '--concurrency', '2', '-o', 'partial.json'], {
        cwd: reg.dir,
        env: { NO_COLOR: '1', CI: 'true', ...GIT_ENV },
        reject: false,
      });
      const t0 = Date.now();
      while (slow.requests.length < 6 && Date.now() - t0 < 10000) await new Promise((r) => setTimeout(r, 20));
      child.kill('SIGINT');
      const r = await child;
      expect(r.exitCode).toBe(130);
      expect(String(r.stderr)).toContain('interrupted: finishing the report');
      expect(String(r.stdout)).toContain('interrupted:');
      const report = JSON.parse(fs.readFileSync(path.join(reg.dir, 'partial.json'), 'utf8')) as { interrupted: boolean; cases: number; results: { error: string | null }[] };
      expect(report.interrupted).toBe(true);
      expect(report.cases).toBeGreaterThanOrEqual(3);
      expect(report.cases).toBeLessThan(40);
      expect(report.results.every((x) => x.error === null)).toBe(true);
      // another provider than the version's own: kept beside its report, under <version>@<provider>.json;
      // a partial run goes to .partial.json and never replaces the last complete report
      const stored = JSON.parse(fs.readFileSync(path.join(reg.dir, '.prompts/evals/support/triage/1.0.0@slow.partial.json'), 'utf8')) as { interrupted: boolean };
      expect(stored.interrupted).toBe(true);
      expect(fs.readFileSync(path.join(reg.dir, '.prompts/evals/support/triage/1.0.0@slow.json'), 'utf8')).toBe(complete);
    } finally {
      await slow.close();
    }
  });
});
