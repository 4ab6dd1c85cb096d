/**
 * Attack class: bounded time and memory for every hostile input (SPEC §11, issue 8 item 4).
 * Catastrophic regexes (assertions, schema patterns), `similar` on long strings, a provider that
 * streams without end, adversarial fences, deeply nested templates and YAML, an environment file
 * that would outgrow its limit, and Ctrl-C during eval and a gated promote: each ends quickly
 * with a clear message and exit code, never a hang or a crash.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { execa } from 'execa';
import { sandboxesPerTest, errorLines, SENTINEL_KEY } from '../helpers/security.js';
import { startHostileServer, stream, type HostileServer } from '../helpers/servers/hostile.js';
import { BIN } from '../helpers/cli.js';
import { GIT_ENV } from '../helpers/registry.js';
import { compileUserRegex, userRegexProblem } from '../../src/core/regex.js';
import { boundedLevenshtein, similarityAtLeast } from '../../src/eval/assertions/similarity.js';
import { WHOLE_FENCE, INNER_FENCE, wholeFenceBody, innerFenceBody, stripJsonFence } from '../../src/sdk/output.js';
import { GRADE_FENCE, unfence, parseGrade } from '../../src/eval/assertions/rubric.js';
import { parseTemplate, MAX_TEMPLATE_DEPTH } from '../../src/core/template.js';
import { parseYaml } from '../../src/registry/yaml.js';

const sandbox = sandboxesPerTest();
const servers: HostileServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

const PROMPT = (extra = '', provider = 'offline') => `id: x
version: 1.0.0
model: { provider: ${provider}, name: m }
inputs: { type: object, properties: { t: { type: string${extra} } } }
template: "{{t}}"
`;

/** a tiny seeded generator */
function rng(seed: number): () => number {
  return () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
}

describe('linear-time engines (unit)', () => {
  it('catastrophic patterns match in linear time; RE2-unsupported syntax is a clear problem', () => {
    const evil = `${'a'.repeat(50_000)}!`;
    const t0 = performance.now();
    for (const p of ['(a+)+$', '(a|aa)+$', '(a*)*b', '^(\\w+\\s?)*$']) expect(compileUserRegex(p).test(evil)).toBe(false);
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(userRegexProblem('(?=a)b')).toMatch(/RE2 syntax/);
    expect(userRegexProblem('(a)\\1')).toMatch(/invalid regular expression/);
    expect(userRegexProblem('a', 'y')).toMatch(/flag "y" is not supported/);
    expect(compileUserRegex('^HELLO$', 'im').test('x\nhello\ny')).toBe(true);
    expect(compileUserRegex('\\d{3}-\\d{4}').test('call 555-1234')).toBe(true);
    // two patterns in one ajv instance stay two patterns (ajv keys compiled patterns by toString)
    expect(String(compileUserRegex('^a$', 'u'))).not.toBe(String(compileUserRegex('^c$', 'u')));
  });

  it('banded Levenshtein equals the full one within its bound; long inputs are bounded', () => {
    const r = rng(3);
    const full = (a: string[], b: string[]): number => {
      let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
      for (let i = 1; i <= a.length; i++) {
        const cur = [i];
        for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
        prev = cur;
      }
      return prev[b.length]!;
    };
    for (let t = 0; t < 2000; t++) {
      const a = [...Array(Math.floor(r() * 12))].map(() => 'abc'[Math.floor(r() * 3)]!);
      const b = [...Array(Math.floor(r() * 12))].map(() => 'abc'[Math.floor(r() * 3)]!);
      const k = Math.floor(r() * 8);
      const d = full(a, b);
      expect(boundedLevenshtein(a, b, k)).toBe(d <= k ? d : null);
    }
    const t0 = performance.now();
    const long = 'lorem ipsum '.repeat(8_000); // 96,000 characters each: the full table would be 9.2e9 cells
    expect(similarityAtLeast(long, `${long}x`, 0.999)).toMatchObject({ exact: true });
    expect(similarityAtLeast(long, long.toUpperCase(), 0.5)).toHaveProperty('tooLong');
    expect(performance.now() - t0).toBeLessThan(10_000);
  });

  it('the fence scanners equal their regular expressions, and are linear where those are quadratic', () => {
    const r = rng(7);
    const parts = ['```', '```json', '```JSON', 'json', '\n', '\r\n', '\r', ' ', '\t', 'x', '{}', '`', '-', 'a_1'];
    for (let t = 0; t < 10_000; t++) {
      const s = [...Array(Math.floor(r() * 9))].map(() => parts[Math.floor(r() * parts.length)]).join('');
      expect(wholeFenceBody(s.trim())).toBe(WHOLE_FENCE.exec(s.trim())?.[1] ?? null);
      expect(innerFenceBody(s)).toBe(INNER_FENCE.exec(s)?.[1] ?? null);
      expect(unfence(s.trim())).toBe(s.trim().replace(GRADE_FENCE, '$1'));
    }
    const t0 = performance.now();
    stripJsonFence(`\`\`\`\n${' '.repeat(200_000)}x`);
    stripJsonFence('```json\n'.repeat(50_000));
    parseGrade(`\`\`\`${' '.repeat(200_000)}x`);
    expect(performance.now() - t0).toBeLessThan(10_000); // quadratic scanners take minutes here
  }, 60_000);

  it('templates and YAML nested beyond the limits are refused at once', () => {
    const t0 = performance.now();
    const deep = `${'{{#if a}}'.repeat(10_000)}x${'{{/if}}'.repeat(10_000)}`;
    const p = parseTemplate(deep);
    expect('problem' in p && p.problem.rule).toBe('template-too-deep');
    expect('ast' in parseTemplate(`${'{{#if a}}'.repeat(MAX_TEMPLATE_DEPTH)}x${'{{/if}}'.repeat(MAX_TEMPLATE_DEPTH)}`)).toBe(true);
    expect(parseYaml(`a: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`).issues[0]?.rule).toBe('yaml-too-deep');
    expect(parseYaml(`a: ${'['.repeat(70)}${']'.repeat(70)}\n`).issues[0]?.rule).toBe('yaml-too-deep');
    expect(performance.now() - t0).toBeLessThan(5000);
  });
});

describe('file size limits before reading', () => {
  it('the SDK refuses a bundle past 64 MiB or a fifo without reading it', async () => {
    const { loadBundle } = await import('../../src/sdk/load-bundle.js');
    const { truncateSync, writeFileSync } = await import('node:fs');
    const { execFileSync } = await import('node:child_process');
    const s = sandbox();
    const big = `${s.outside}/big.json`;
    writeFileSync(big, '{');
    truncateSync(big, 64 * 1024 * 1024 + 1); // sparse: no disk used, no read needed to refuse it
    await expect(loadBundle(big)).rejects.toThrow(/bundle is larger than 67108864 bytes/);
    const fifo = `${s.outside}/fifo.json`;
    execFileSync('mkfifo', [fifo]);
    await expect(loadBundle(fifo)).rejects.toThrow(/bundle is not a regular file/);
  });
});

// many runs of the built CLI: bounded generously for a loaded machine (a hang still fails)
describe('hostile inputs end quickly with a clear message (built CLI)', { timeout: 120_000 }, () => {
  it('a catastrophic regex and json-path matches on a long reply: the case fails, fast', async () => {
    const s = sandbox();
    s.write('prompts/x/1.0.0.yaml', PROMPT());
    s.write('prompts/x/evals.yaml', `cases:\n  - name: evil\n    vars: { t: "${'a'.repeat(5000)}!" }\n    assert:\n      - { type: regex, pattern: "(a+)+$" }\n      - { type: similar, value: "${'b'.repeat(4000)}" }\n`);
    s.commitAll();
    const t0 = Date.now();
    const r = await s.run(['eval', 'x'], { timeout: 20_000 });
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toMatch(/FAIL\s+evil/);
    expect(Date.now() - t0).toBeLessThan(15_000);
    expect(s.outsideChanges()).toEqual([]);
  });

  it('a schema pattern is the same engine in validate and render: lookahead is refused by both; a catastrophic one renders at once', async () => {
    const s = sandbox();
    s.write('prompts/x/1.0.0.yaml', PROMPT(', pattern: "^(?=a)a$"'));
    const v = await s.run(['validate']);
    expect(v.exitCode).toBe(1);
    expect(v.stdout).toMatch(/inputs-invalid-schema/);
    expect(v.stdout).toMatch(/RE2 syntax/);
    const r = await s.run(['render', 'x', '--var', 't=a']);
    expect(r.exitCode).not.toBe(0);
    expect(errorLines(r.stderr)).toHaveLength(1);
    s.write('prompts/x/1.0.0.yaml', PROMPT(', pattern: "^(a+)+$"'));
    expect((await s.run(['validate'])).exitCode).toBe(0);
    const t0 = Date.now();
    const slow = await s.run(['render', 'x', '--var', `t=${'a'.repeat(20_000)}!`], { timeout: 20_000 });
    expect(slow.exitCode).toBe(2);
    expect(errorLines(slow.stderr)[0]).toMatch(/input "t" must match pattern/);
    expect(Date.now() - t0).toBeLessThan(15_000);
  });

  it('a provider streaming an endless body is cut off at 16 MiB (exit 1, bounded memory)', async () => {
    const srv = await startHostileServer((_req, res) => stream(res, `{"pad":"${'x'.repeat(65_000)}",`));
    servers.push(srv);
    const s = sandbox({ config: `providers:\n  llm: { type: openai, base_url: "${srv.url}", api_key_env: OPENAI_API_KEY }\neval: { retries: 0, timeout_ms: 30000 }\n` });
    s.write('prompts/x/1.0.0.yaml', PROMPT('', 'llm'));
    s.write('prompts/x/evals.yaml', 'cases:\n  - name: a\n    vars: { t: a }\n');
    s.commitAll();
    const r = await s.run(['eval', 'x', '--no-cache'], { timeout: 30_000 });
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toMatch(/larger than 16777216 bytes \(16 MiB\); refused/);
    expect(srv.sent.bytes).toBeLessThan(64 * 1024 * 1024);
    expect(s.leaks([r])).toEqual([]);
  });

  it('validate refuses a template nested too deep, fast, with its line', async () => {
    const s = sandbox();
    s.write('prompts/x/1.0.0.yaml', PROMPT().replace('template: "{{t}}"', `template: "${'{{#if t}}'.repeat(5000)}x${'{{/if}}'.repeat(5000)}"`));
    const t0 = Date.now();
    const v = await s.run(['validate'], { timeout: 20_000 });
    expect(v.exitCode).toBe(1);
    expect(v.stdout).toMatch(/template-too-deep/);
    const r = await s.run(['render', 'x', '--var', 't=a'], { timeout: 20_000 });
    expect(r.exitCode).toBe(1);
    expect(errorLines(r.stderr)[0]).toMatch(/nested more than 32 deep/);
    expect(Date.now() - t0).toBeLessThan(10_000);
  });

  it('promote refuses to grow an environment file past 64 MiB (nothing written); the history_limit it names fixes it', async () => {
    const { serializeEnv } = await import('../../src/registry/env-serialize.js');
    const config = (limit: number): string => `history_limit: ${limit}\nenvironments:\n  development: {}\nproviders:\n  offline: { type: echo }\n`;
    const s = sandbox({ config: config(10_000) });
    s.write('prompts/x/1.0.0.yaml', PROMPT());
    s.write('prompts/x/1.0.1.yaml', PROMPT().replace('1.0.0', '1.0.1'));
    s.commitAll();
    const { createHash } = await import('node:crypto');
    const sha = (v: string): string => createHash('sha256').update(readFileSync(`${s.repo}/prompts/x/${v}.yaml`)).digest('hex');
    const shas = { '1.0.0': sha('1.0.0'), '1.0.1': sha('1.0.1') };
    // a history promptrail could have written (each entry starts where the one below left off,
    // the pin is its newest entry), long reasons, the file just under the limit
    const reason = 'r'.repeat(6_800);
    const file = (n: number): string => {
      const history = Array.from({ length: n }, (_, i) => {
        const version = (n - i) % 2 ? '1.0.0' : '1.0.1';
        const from = i === n - 1 ? null : version === '1.0.0' ? '1.0.1' : '1.0.0';
        return { action: 'promote' as const, version, from, sha256: shas[version], at: '2026-01-01T00:00:00Z', by: 'Test User <test@example.com>', reason };
      });
      const top = history[0]!;
      return serializeEnv({ environment: 'development', prompts: { x: { version: top.version, sha256: top.sha256, previous: top.from, promoted_at: top.at, promoted_by: top.by, reason, history } } });
    };
    const per = file(2).length - file(1).length;
    let n = Math.floor((64 * 1024 * 1024 - file(1).length) / per);
    while (Buffer.byteLength(file(n)) > 64 * 1024 * 1024) n--;
    const text = file(n);
    expect(n).toBeLessThan(10_000);
    s.write('environments/development.yaml', text);
    s.commitAll('a long history');
    const next = n % 2 ? '1.0.1' : '1.0.0'; // the version the newest entry does not pin
    const head = s.git('rev-parse', 'HEAD');
    const r = await s.run(['promote', `x@${next}`, '--env', 'development', '--reason', 'r'.repeat(100_000)], { timeout: 90_000 });
    expect(r.exitCode).toBe(1);
    expect(errorLines(r.stderr)).toHaveLength(1);
    expect(errorLines(r.stderr)[0]).toMatch(/environments\/development\.yaml.*would grow to \d+ bytes, over the 64 MiB .* limit of environment files; nothing was written/);
    const limit = Number(/set history_limit: (\d+) in prompts\.config\.yaml \(now 10000; the pin of x then keeps/.exec(r.stderr)?.[1]);
    expect(limit).toBeGreaterThan(1);
    expect(limit).toBeLessThan(n);
    expect(readFileSync(`${s.repo}/environments/development.yaml`, 'utf8') === text).toBe(true);
    expect(s.git('rev-parse', 'HEAD')).toBe(head);
    expect(s.git('status', '--porcelain')).toBe('');
    expect(s.outsideChanges()).toEqual([]);
    // the fix it names works: the same command then writes a file under the limit
    s.write('prompts.config.yaml', config(limit));
    s.commitAll('lower history_limit');
    const ok = await s.run(['promote', `x@${next}`, '--env', 'development', '--reason', 'r'.repeat(100_000)], { timeout: 90_000 });
    expect(ok.stderr).toBe('');
    expect(ok.exitCode).toBe(0);
    const size = readFileSync(`${s.repo}/environments/development.yaml`).length;
    expect(size).toBeLessThanOrEqual(64 * 1024 * 1024);
    expect(size).toBeGreaterThan(60 * 1024 * 1024); // only as much history as needed was dropped
    expect((await s.run(['validate'], { timeout: 90_000 })).exitCode).toBe(0);
  }, 240_000);
});

// many runs of the built CLI: bounded generously for a loaded machine (a hang still fails)
describe('Ctrl-C (a real SIGINT) stops within 1 s with exit 130 and nothing half-written', { timeout: 120_000 }, () => {
  async function slowRepo(): Promise<{ s: ReturnType<typeof sandbox>; srv: HostileServer }> {
    const srv = await startHostileServer(() => undefined); // never answers
    servers.push(srv);
    const s = sandbox({ config: `environments:\n  development: {}\n  staging: { requires: development, gate: { min_pass_rate: 1 } }\nproviders:\n  llm: { type: openai, base_url: "${srv.url}", api_key_env: OPENAI_API_KEY }\neval: { retries: 0, timeout_ms: 60000 }\n` });
    s.write('prompts/x/1.0.0.yaml', PROMPT('', 'llm'));
    s.write('prompts/x/evals.yaml', 'cases:\n  - name: a\n    vars: { t: a }\n  - name: b\n    vars: { t: b }\n');
    s.commitAll();
    return { s, srv };
  }

  async function interrupt(s: ReturnType<typeof sandbox>, srv: HostileServer, args: string[]): Promise<{ exitCode: number | undefined; stderr: string; ms: number }> {
    const child = execa(process.execPath, [BIN, ...args], { cwd: s.repo, env: { ...GIT_ENV, NO_COLOR: '1', CI: 'true', HOME: `${s.outside}/home`, OPENAI_API_KEY: SENTINEL_KEY }, reject: false });
    const deadline = Date.now() + 15_000;
    while (srv.requests.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(srv.requests.length).toBeGreaterThan(0);
    const t0 = Date.now();
    child.kill('SIGINT');
    const r = await child;
    return { exitCode: r.exitCode, stderr: String(r.stderr), ms: Date.now() - t0 };
  }

  it('eval', async () => {
    const { s, srv } = await slowRepo();
    const r = await interrupt(s, srv, ['eval', 'x', '--no-cache']);
    expect(r.exitCode).toBe(130);
    expect(r.ms).toBeLessThan(1000);
    expect(r.stderr).toMatch(/interrupted/);
    expect(s.outsideChanges()).toEqual([]);
  });

  it('a gated promote: nothing written, no lock left', async () => {
    const { s, srv } = await slowRepo();
    expect((await s.run(['promote', 'x@1.0.0', '--env', 'development'])).exitCode).toBe(0);
    const before = readFileSync(`${s.repo}/environments/development.yaml`, 'utf8');
    const r = await interrupt(s, srv, ['promote', 'x', '--env', 'staging']);
    expect(r.exitCode).toBe(130);
    expect(r.ms).toBeLessThan(1000);
    expect(errorLines(r.stderr)).toHaveLength(1);
    expect(errorLines(r.stderr)[0]).toMatch(/was not promoted to staging: the gate was interrupted \(nothing written\)/);
    expect(readFileSync(`${s.repo}/environments/development.yaml`, 'utf8')).toBe(before);
    expect(() => readFileSync(`${s.repo}/environments/staging.yaml`)).toThrow();
    expect(s.git('status', '--porcelain')).toBe('');
    expect(s.outsideChanges()).toEqual([]);
  });
});
