/**
 * Attack class: names that are Object.prototype members (SPEC §11, issue 8 item 9). An
 * environment, provider, prompt id or model name typed on the command line or written in a
 * file is data: `constructor`, `__proto__`, `toString`, `hasOwnProperty` are unknown names
 * (exit 2) or ordinary names, never lookups on the prototype chain; `__proto__` keys in YAML
 * never set a prototype.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { sandboxesPerTest, errorLines, type Sandbox } from '../helpers/security.js';
import { BASIC_CONFIG } from '../helpers/registry.js';
import { own, hasOwnKey, dict } from '../../src/core/own.js';
import { resolveConfig } from '../../src/registry/registry.js';
import { fastParseEnv } from '../../src/registry/env-store.js';

const sandbox = sandboxesPerTest();
const NAMES = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__'];

const PROMPT = (id: string, v: string, model = 'echo-1') => `id: ${id}
version: ${v}
model: { provider: offline, name: ${model} }
inputs: { type: object, properties: { t: { type: string } } }
template: "{{t}}"
`;

function repo(): Sandbox {
  const s = sandbox();
  s.write('prompts/x/1.0.0.yaml', PROMPT('x', '1.0.0'));
  s.write('prompts/x/evals.yaml', 'cases:\n  - name: a\n    vars: { t: a }\n');
  s.commitAll();
  return s;
}

function expectUsage(r: { exitCode: number; stderr: string; stdout: string }, what: RegExp): void {
  expect(r.exitCode).toBe(2);
  const lines = errorLines(r.stderr);
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(what);
  expect(r.stderr).not.toMatch(/TypeError|at .*\.js:\d+/);
}

describe('lookups by name (unit)', () => {
  it('own/hasOwnKey never see Object.prototype; the resolved config is null-prototype', () => {
    for (const n of NAMES) {
      expect(own({}, n)).toBeUndefined();
      expect(hasOwnKey({}, n)).toBe(false);
    }
    const cfg = resolveConfig({ providers: { p: { type: 'echo', prices: { m: { input_per_1m: 1, output_per_1m: 1 } } } } } as never);
    for (const n of NAMES) {
      expect((cfg.environments as Record<string, unknown>)[n]).toBeUndefined();
      expect((cfg.providers as Record<string, unknown>)[n]).toBeUndefined();
      expect((cfg.providers.p!.prices as Record<string, unknown>)[n]).toBeUndefined();
    }
    expect(Object.getPrototypeOf(dict({ a: 1 }))).toBeNull();
  });

  it('the environment file fast reader leaves `__proto__` to the careful reader, which rejects it', () => {
    const head = '# Written by `prompts promote` and `prompts rollback`. Do not edit by hand.\nenvironment: development\nprompts:\n';
    const pin = '    version: 1.0.0\n    sha256: ' + 'a'.repeat(64) + '\n    previous: null\n    promoted_at: "2026-01-01T00:00:00Z"\n    promoted_by: "a"\n    history:\n      - { action: promote, version: 1.0.0, from: null, at: "2026-01-01T00:00:00Z", by: "a", __proto__: "x" }\n';
    expect(fastParseEnv(`${head}  __proto__:\n${pin}`)).toBeNull();
    expect(fastParseEnv(`${head}  x:\n${pin}`)).toBeNull();
    expect(({} as Record<string, unknown>).version).toBeUndefined();
  });
});

// many runs of the built CLI: bounded generously for a loaded machine (a hang still fails)
describe('names are data, not object keys (built CLI)', { timeout: 120_000 }, () => {
  it('--env with a prototype member is an unknown environment (eval, promote, rollback, render, history, build)', async () => {
    const s = repo();
    const runs = [];
    for (const env of ['constructor', 'toString', 'hasOwnProperty']) {
      const all = [
        ['eval', 'x', '--env', env],
        ['promote', 'x@1.0.0', '--env', env],
        ['rollback', 'x', '--env', env],
        ['render', 'x', '--env', env, '--var', 't=a'],
        ['render', `x@${env}`, '--var', 't=a'],
        ['history', 'x', '--env', env],
        ['build', '--env', env],
        ['rollout', 'start', 'x@1.0.0', '--env', env],
        ['rollout', 'status', '--env', env],
      ];
      // every command with "constructor" (a valid environment name); the others are refused by the name rules already
      for (const args of env === 'constructor' ? all : all.slice(0, 2)) {
        const r = await s.run(args);
        runs.push(r);
        expectUsage(r, env === 'constructor' ? /unknown environment "constructor"/ : /environment/);
      }
    }
    expect(s.git('status', '--porcelain')).toBe('');
    expect(s.outsideChanges()).toEqual([]);
    expect(s.leaks(runs)).toEqual([]);
  });

  it('--provider with a prototype member is an unknown provider', async () => {
    const s = repo();
    for (const p of NAMES) {
      const r = await s.run(['eval', 'x', '--provider', p]);
      expectUsage(r, /unknown provider/);
    }
    expect(s.outsideChanges()).toEqual([]);
  });

  it('a prompt named "constructor" is an ordinary prompt: promoted, listed, pinned', async () => {
    const s = sandbox();
    s.write('prompts/constructor/1.0.0.yaml', PROMPT('constructor', '1.0.0'));
    s.commitAll();
    const p = await s.run(['promote', 'constructor@1.0.0', '--env', 'development']);
    expect(p.stderr).toBe('');
    expect(p.exitCode).toBe(0);
    expect(readFileSync(`${s.repo}/environments/development.yaml`, 'utf8')).toMatch(/^ {2}constructor:\n {4}version: 1\.0\.0$/m);
    const again = await s.run(['promote', 'constructor@1.0.0', '--env', 'development']);
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toMatch(/already pinned/);
    const staging = await s.run(['promote', 'constructor', '--env', 'staging', '--skip-eval', '--reason', 'test']);
    expect(staging.exitCode).toBe(0);
    const list = await s.run(['--json', 'list']);
    expect(JSON.parse(list.stdout).prompts[0]).toMatchObject({ id: 'constructor', environments: { development: '1.0.0', staging: '1.0.0', production: null } });
    const status = await s.run(['status']);
    expect(status.exitCode).toBe(0);
    expect(s.outsideChanges()).toEqual([]);
  });

  it('a model named "toString" has no price unless one is written: --max-cost refuses', async () => {
    const s = sandbox({ config: BASIC_CONFIG.replace('offline: { type: echo }', 'offline: { type: echo }\n  paid: { type: openai, base_url: "http://127.0.0.1:9/v1", api_key_env: OPENAI_API_KEY, prices: { other: { input_per_1m: 1, output_per_1m: 1 } } }') });
    s.write('prompts/x/1.0.0.yaml', PROMPT('x', '1.0.0', 'toString'));
    s.write('prompts/x/evals.yaml', 'cases:\n  - name: a\n    vars: { t: a }\n');
    s.commitAll();
    for (const model of ['toString', 'constructor', '__proto__']) {
      const r = await s.run(['eval', 'x', '--provider', `paid:${model}`, '--max-cost', '1']);
      expectUsage(r, /--max-cost needs the price of model/);
    }
    expect(s.outsideChanges()).toEqual([]);
  });

  it('`__proto__` keys in the config or an environment file are refused with their line, never merged', async () => {
    const s = sandbox({ config: `${BASIC_CONFIG}  __proto__: { type: openai, base_url: "http://127.0.0.1:9/v1", api_key_env: OPENAI_API_KEY }\n` });
    s.write('prompts/x/1.0.0.yaml', PROMPT('x', '1.0.0'));
    s.commitAll();
    const r = await s.run(['eval', 'x', '--provider', 'offline']);
    expectUsage(r, /prompts\.config\.yaml:\d+:\d+: the key "__proto__" is not allowed/);
    const ok = sandbox();
    ok.write('prompts/x/1.0.0.yaml', PROMPT('x', '1.0.0'));
    ok.write('environments/development.yaml', 'environment: development\nprompts:\n  __proto__: { version: 1.0.0, sha256: ' + 'a'.repeat(64) + ' }\n');
    const v = await ok.run(['validate']);
    expect(v.exitCode).toBe(1);
    expect(v.stdout).toMatch(/yaml-unsafe-key/);
    const st = await ok.run(['status']);
    expect(st.exitCode).not.toBe(0);
    expect(errorLines(st.stderr)[0]).toMatch(/__proto__/);
  });
});
