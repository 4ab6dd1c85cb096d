/**
 * Attack class: secrets go only where the reviewed config sends them (SPEC §11, issue 8 item 3).
 * - A provider that echoes the key back (whole, cut at the error-body limit, JSON-escaped, split
 *   across escapes, URL-encoded, in a reply) leaks no 8 consecutive characters of it anywhere.
 * - `base_url` userinfo (http://user:pass@host) is sent as Basic auth and never printed or stored.
 * - `eval`/`promote` with `--base <rev>` (or PROMPTRAIL_TRUSTED_REV) send requests, and keys, only
 *   to the endpoints and key variables of `<rev>`'s config, not to those a pull request wrote.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { sandboxesPerTest, errorLines, hasFragment, SENTINEL_KEY } from '../helpers/security.js';
import { startHostileServer, json, completion, type HostileServer } from '../helpers/servers/hostile.js';
import { redact, splitUserinfo } from '../../src/providers/http.js';

const sandbox = sandboxesPerTest();
const servers: HostileServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});
async function server(h: Parameters<typeof startHostileServer>[0]): Promise<HostileServer> {
  const s = await startHostileServer(h);
  servers.push(s);
  return s;
}

const OTHER_SECRET = 'ghp_Zr8Lw2Nq5Xv7Tb1Mc4Kd9Hs6Jf3Gy0PaQeUo';

const config = (url: string, keyEnv = 'OPENAI_API_KEY', extra = '') => `environments:
  development: {}
  staging: { requires: development, gate: { min_pass_rate: 1 } }
providers:
  llm: { type: openai, base_url: "${url}", api_key_env: ${keyEnv} }
  offline: { type: echo }${extra}
eval: { concurrency: 1, timeout_ms: 5000, retries: 0 }
`;
const PROMPT = `id: x
version: 1.0.0
model: { provider: llm, name: m }
inputs: { type: object, properties: { t: { type: string } } }
template: "{{t}}"
`;
const SUITE = 'cases:\n  - name: a\n    vars: { t: hello }\n    assert: [{ type: contains, value: ok }]\n';

/** every character as \u00XX, and one in three: the key split across JSON escapes */
const allEscaped = (s: string): string => [...s].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('');
const someEscaped = (s: string): string => [...s].map((c, i) => (i % 3 === 1 ? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}` : c)).join('');

describe('redaction (unit)', () => {
  it('a 401 body echoing a 40-character key and cut at 200 characters keeps zero characters of it', () => {
    expect(SENTINEL_KEY).toHaveLength(40);
    for (let pad = 150; pad <= 200; pad++) {
      const body = `${'x'.repeat(pad)}${SENTINEL_KEY} trailing`;
      const out = redact(body, [SENTINEL_KEY]).slice(0, 200);
      expect(hasFragment(out, SENTINEL_KEY, 4)).toBe(false);
    }
    expect(redact(`a ${SENTINEL_KEY.slice(0, 20)}… b`, [SENTINEL_KEY])).toBe('a ***… b');
    expect(redact(`a ${SENTINEL_KEY.slice(10, 30)} b ${SENTINEL_KEY.slice(25)}`, [SENTINEL_KEY])).toBe('a *** b ***');
    expect(redact(encodeURIComponent(`k=${SENTINEL_KEY}`), [SENTINEL_KEY])).not.toContain(SENTINEL_KEY.slice(3, 11));
  });

  it('userinfo is taken out of the URL and becomes secrets', () => {
    const u = splitUserinfo('http://bob:s3cr%40tPassw0rd@127.0.0.1:9/v1');
    expect(u.url).toBe('http://127.0.0.1:9/v1');
    expect(u.secrets).toContain('s3cr@tPassw0rd');
    expect(Buffer.from(u.basic!, 'base64').toString()).toBe('bob:s3cr@tPassw0rd');
  });
});

// many runs of the built CLI: bounded generously for a loaded machine (a hang still fails)
describe('a hostile provider cannot get the key printed or stored (built CLI)', { timeout: 120_000 }, () => {
  const bodies: [string, (key: string) => string, string][] = [
    ['a plain-text 401 body with the key straddling the 200-character cut', (k) => `${'x'.repeat(185)}${k} please`, 'text/plain'],
    ['a JSON 401 message with the key as \\u escapes', (k) => `{"error":{"message":"Incorrect API key provided: ${allEscaped(k)}"}}`, 'application/json'],
    ['a JSON 401 message with the key split across escapes', (k) => `{"error":{"message":"${'y'.repeat(470)}${someEscaped(k)}"}}`, 'application/json'],
    ['a truncated (invalid) JSON body with the key split across escapes', (k) => `{"error":{"message":"${someEscaped(k)}`, 'application/json'],
    ['a URL-encoded echo', (k) => `bad key=${encodeURIComponent(k).split('').join('')}&x=1`, 'text/plain'],
    ['a partial echo (the first 24 characters)', (k) => `{"error":"key ${k.slice(0, 24)}… rejected"}`, 'application/json'],
  ];
  it.each(bodies)('%s', async (_what, body, type) => {
    const srv = await server((_req, res) => {
      const text = body(SENTINEL_KEY);
      res.writeHead(401, { 'content-type': type, 'content-length': String(Buffer.byteLength(text)) });
      res.end(text);
    });
    const s = sandbox({ config: config(srv.url) });
    s.write('prompts/x/1.0.0.yaml', PROMPT);
    s.write('prompts/x/evals.yaml', SUITE);
    s.commitAll();
    const r = await s.run(['eval', 'x', '--json']);
    expect(r.exitCode).toBe(2);
    expect(errorLines(r.stderr)).toHaveLength(1);
    expect(errorLines(r.stderr)[0]).toMatch(/HTTP 401/);
    expect(srv.requests[0]!.headers.authorization).toBe(`Bearer ${SENTINEL_KEY}`);
    expect(s.leaks([r])).toEqual([]);
    expect(s.outsideChanges()).toEqual([]);
  });

  it('a 500 body and a reply echoing the key are redacted in the report, the cache and the output', async () => {
    const srv = await server((_req, res, n) => {
      if (n === 1) json(res, 500, { error: { message: `upstream saw ${someEscaped(SENTINEL_KEY)}` } });
      else json(res, 200, completion(`ok, your key is ${SENTINEL_KEY} and ${SENTINEL_KEY.slice(5, 30)}`));
    });
    const s = sandbox({ config: config(srv.url).replace('retries: 0', 'retries: 1') });
    s.write('prompts/x/1.0.0.yaml', PROMPT);
    s.write('prompts/x/evals.yaml', SUITE);
    s.commitAll();
    const r = await s.run(['eval', 'x', '--verbose', '-o', 'report.json']);
    expect(r.exitCode).toBe(0);
    expect(srv.requests).toHaveLength(2);
    expect(s.leaks([r])).toEqual([]);
    expect(s.outsideChanges()).toEqual([]);
  });

  it('base_url userinfo is sent as Basic auth and never printed, stored or cached', async () => {
    const password = 'Pw_9hT4kLm2Qz7Rx';
    const srv = await server((req, res, n) => (n === 1 ? json(res, 200, completion('ok')) : json(res, 404, { error: { message: `no such model at ${req.headers.host}` } })));
    const url = srv.url.replace('http://', `http://robot:${password}@`);
    const s = sandbox({ config: config(url).replace(', api_key_env: OPENAI_API_KEY', '') });
    s.write('prompts/x/1.0.0.yaml', PROMPT);
    s.write('prompts/x/evals.yaml', SUITE);
    s.commitAll();
    const ok = await s.run(['eval', 'x', '--json', '-o', 'r.json']);
    expect(ok.exitCode).toBe(0);
    expect(srv.requests[0]!.headers.authorization).toBe(`Basic ${Buffer.from(`robot:${password}`).toString('base64')}`);
    const fail = await s.run(['eval', 'x', '--no-cache']);
    expect(fail.exitCode).toBe(2);
    expect(errorLines(fail.stderr)[0]).toContain(`http://127.0.0.1:${srv.port}/v1`);
    // the config holds the userinfo (the user wrote it there); nothing else may
    expect(s.leaks([ok, fail], password, { except: ['prompts.config.yaml'] })).toEqual([]);
    expect(s.leaks([ok, fail], Buffer.from(`robot:${password}`).toString('base64'))).toEqual([]);
    expect(s.outsideChanges()).toEqual([]);
  });
});

// many runs of the built CLI: bounded generously for a loaded machine (a hang still fails)
describe('--base <rev> / PROMPTRAIL_TRUSTED_REV: endpoints and key variables from the reviewed config', { timeout: 120_000 }, () => {
  async function prRepo(): Promise<{ s: ReturnType<typeof sandbox>; good: HostileServer; evil: HostileServer }> {
    const good = await server((_req, res) => json(res, 200, completion('ok')));
    const evil = await server((_req, res) => json(res, 200, completion('ok')));
    const s = sandbox({ config: config(good.url) });
    s.write('prompts/x/1.0.0.yaml', PROMPT);
    s.write('prompts/x/evals.yaml', SUITE);
    s.commitAll('main');
    s.git('checkout', '-q', '-b', 'pr');
    // the pull request: the key variable points at another secret, the endpoint at its own host
    s.write('prompts.config.yaml', config(evil.url, 'GITHUB_TOKEN'));
    s.write('prompts/x/1.0.1.yaml', PROMPT.replace('1.0.0', '1.0.1'));
    s.commitAll('pr');
    return { s, good, evil };
  }
  const env = { OPENAI_API_KEY: SENTINEL_KEY, GITHUB_TOKEN: OTHER_SECRET };

  it('eval <ref> --base main and eval --changed --base main talk only to main\'s endpoint, with main\'s key variable', async () => {
    const { s, good, evil } = await prRepo();
    const one = await s.run(['eval', 'x', '--base', 'main', '--no-cache'], { env });
    expect(one.exitCode).toBe(0);
    expect(one.stderr).toMatch(/warning: provider "llm": base_url differs from main \(http:\/\/127\.0\.0\.1:\d+\/v1 here, http:\/\/127\.0\.0\.1:\d+\/v1 there\); using main's/);
    expect(one.stderr).toMatch(/warning: provider "llm": api_key_env differs from main \("GITHUB_TOKEN" here, "OPENAI_API_KEY" there\)/);
    const changed = await s.run(['eval', '--changed', '--base', 'main', '--no-cache'], { env });
    expect(changed.exitCode).toBe(0);
    const viaEnv = await s.run(['eval', 'x', '--no-cache'], { env: { ...env, PROMPTRAIL_TRUSTED_REV: 'main' } });
    expect(viaEnv.exitCode).toBe(0);
    expect(evil.requests).toHaveLength(0);
    expect(good.requests.length).toBe(3);
    for (const r of good.requests) expect(r.headers.authorization).toBe(`Bearer ${SENTINEL_KEY}`);
    expect(s.leaks([one, changed, viaEnv], OTHER_SECRET)).toEqual([]);
    expect(s.leaks([one, changed, viaEnv])).toEqual([]);
    expect(s.outsideChanges()).toEqual([]);
  });

  it('a gated promote with --base takes the gate\'s providers from <rev>', async () => {
    const { s, good, evil } = await prRepo();
    expect((await s.run(['promote', 'x@1.0.1', '--env', 'development'], { env })).exitCode).toBe(0);
    const r = await s.run(['promote', 'x', '--env', 'staging', '--base', 'main'], { env });
    expect(r.exitCode).toBe(0);
    expect(evil.requests).toHaveLength(0);
    expect(good.requests).toHaveLength(1);
    expect(s.leaks([r], OTHER_SECRET)).toEqual([]);
    expect(s.outsideChanges()).toEqual([]);
  });

  it('a provider the trusted config does not have is refused (exit 2); an unknown revision is exit 2', async () => {
    const { s, evil } = await prRepo();
    s.write('prompts.config.yaml', config(evil.url, 'OPENAI_API_KEY', `\n  sneaky: { type: openai, base_url: "${evil.url}", api_key_env: GITHUB_TOKEN }`));
    const r = await s.run(['eval', 'x', '--provider', 'sneaky', '--base', 'main'], { env });
    expect(r.exitCode).toBe(2);
    expect(errorLines(r.stderr)[0]).toMatch(/provider "sneaky" is not in prompts\.config\.yaml at main/);
    const bad = await s.run(['eval', 'x', '--base', 'no-such-rev'], { env });
    expect(bad.exitCode).toBe(2);
    expect(errorLines(bad.stderr)).toHaveLength(1);
    expect(evil.requests).toHaveLength(0);
    expect(s.leaks([r, bad], OTHER_SECRET)).toEqual([]);
  });
});

// many runs of the built CLI: bounded generously for a loaded machine (a hang still fails)
describe('validate --base reports provider changes (provider-changed)', { timeout: 120_000 }, () => {
  it('a changed api_key_env, base_url or headers, an added and a removed provider are errors with their line', async () => {
    const s = sandbox({ config: config('http://127.0.0.1:9/v1', 'OPENAI_API_KEY', '\n  other: { type: anthropic, api_key_env: ANTHROPIC_API_KEY }') });
    s.commitAll('main');
    s.write('prompts.config.yaml', config('http://user:pw_Secret99@127.0.0.1:8/v1', 'GITHUB_TOKEN', '\n  added: { type: openai, api_key_env: OPENAI_API_KEY, headers: { x-key: "a" } }\n  off2: { type: echo }'));
    const r = await s.run(['--json', 'validate', '--base', 'main']);
    expect(r.exitCode).toBe(1);
    const errors = (JSON.parse(r.stdout) as { errors: { rule: string; line: number; message: string }[] }).errors.filter((e) => e.rule === 'provider-changed');
    expect(errors.map((e) => e.message.split(';')[0]).sort()).toEqual([
      'provider "added" was added since main ("openai", base_url unset, api_key_env "OPENAI_API_KEY")',
      'provider "llm": api_key_env changed since main ("OPENAI_API_KEY" -> "GITHUB_TOKEN")',
      'provider "llm": base_url changed since main ("http://127.0.0.1:9/v1" -> "http://127.0.0.1:8/v1")',
      'provider "other" was removed since main',
    ]);
    expect(errors.find((e) => e.message.includes('base_url'))!.line).toBe(5); // the llm: line
    expect(r.stdout).not.toContain('pw_Secret99');
    const staged = await s.run(['validate', '--base', 'main', '--staged']);
    expect(staged.exitCode).toBe(0); // nothing staged: the index still has main's config
    s.git('add', 'prompts.config.yaml');
    const staged2 = await s.run(['validate', '--base', 'main', '--staged', '--format', 'github']);
    expect(staged2.exitCode).toBe(1);
    expect(staged2.stdout).toMatch(/::error file=prompts\.config\.yaml,line=5,col=\d+,title=provider-changed::/);
    expect(s.outsideChanges()).toEqual([]);
  });
});
