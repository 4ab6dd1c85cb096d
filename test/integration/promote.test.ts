import { describe, it, expect, afterEach } from 'vitest';
import { writeFileSync, appendFileSync, chmodSync, existsSync } from 'node:fs';
import * as path from 'node:path';
import { makeRegistry, BASIC_CONFIG, promptYaml, type TempRegistry } from '../helpers/registry.js';
import { prompts, envBytes, readEnv, head, commitCount, gitRegistry, UNGATED_CONFIG } from './env-helpers.js';
import { serializeEnv, ENV_HEADER, yamlString, fastParseEnv, envShapeOk } from '../../src/registry/env-store.js';
import { parseYaml } from '../../src/registry/yaml.js';
import { getValidator } from '../../src/registry/schemas.js';
import { sha256 } from '../../src/registry/files.js';
import jsYaml from 'js-yaml';
import { mutations } from '../helpers/mutate.js';
import type { EnvironmentFile } from '../../src/core/types.js';

let r: TempRegistry;
afterEach(() => r?.cleanup());

const fileSha = (reg: TempRegistry, id: string, v: string): string => sha256(Buffer.from(reg.git('show', `HEAD:prompts/${id}/${v}.yaml`)));

describe('env-store serialization', () => {
  const sample: EnvironmentFile = {
    environment: 'production',
    prompts: {
      'z/last': { version: '1.0.0', sha256: 'f'.repeat(64), previous: null, promoted_at: '2026-11-22T10:04:11Z', promoted_by: 'Ana <ana@example.com>', history: [] },
      'support/triage': {
        version: '1.2.0-rc.1',
        sha256: '0123456789'.repeat(6) + 'abcd',
        previous: '1.1.0',
        promoted_at: '2026-11-22T10:04:11Z',
        promoted_by: 'O\'Brien: "the boss" #1',
        reason: 'yes',
        eval: { pass_rate: 0.96, passed: 48, cases: 50, suite_sha256: 'a'.repeat(64), regressions: 0 },
        history: [
          { action: 'promote', version: '1.2.0-rc.1', from: '1.1.0', sha256: 'b'.repeat(64), at: '2026-11-22T10:04:11Z', by: 'x, y {z}', reason: 'null', eval: { pass_rate: 1, passed: 2, cases: 2 }, skip_eval: true },
          { action: 'rollback', version: '1.1.0', from: '1.2.0', at: '2026-11-21T10:04:11Z', by: 'true', reason: 'latency spike\nsecond line' },
        ],
      },
    },
  };

  it('round-trips through the yaml parser and the schema, and through a YAML 1.1 reader (js-yaml)', () => {
    const text = serializeEnv(sample);
    expect(text.startsWith(`${ENV_HEADER}\nenvironment: production\nprompts:\n  support/triage:\n`)).toBe(true);
    const parsed = parseYaml(text);
    expect(parsed.issues).toEqual([]);
    expect(parsed.value).toEqual(sample);
    expect(getValidator('environment')(parsed.value)).toBe(true);
    expect(JSON.parse(JSON.stringify(jsYaml.load(text)))).toEqual(sample);
  });

  it('is stable: same value, same bytes, ids sorted', () => {
    const a = serializeEnv(sample);
    const reordered: EnvironmentFile = { environment: 'production', prompts: { 'support/triage': sample.prompts['support/triage']!, 'z/last': sample.prompts['z/last']! } };
    expect(serializeEnv(reordered)).toBe(a);
    expect(serializeEnv({ environment: 'dev', prompts: {} })).toBe(`${ENV_HEADER}\nenvironment: dev\nprompts: {}\n`);
  });

  it('quotes strings that would read back as something else', () => {
    for (const s of ['true', 'null', '1', '1.5', '1e3', 'yes', 'off', '~', '', ' x', 'a: b', '#c', '0x1F', '2026-11-22T10:00:00Z']) {
      expect(parseYaml(`k: ${yamlString(s)}\n`).value).toEqual({ k: s });
    }
    expect(yamlString('1.2.0')).toBe('1.2.0');
    expect(yamlString('support/triage')).toBe('support/triage');
  });
});

describe('env-store fast path', () => {
  const one: EnvironmentFile = {
    environment: 'development',
    prompts: { a: { version: '1.0.0', sha256: 'a'.repeat(64), previous: null, promoted_at: '2026-11-22T10:04:11Z', promoted_by: 'Ana', history: [{ action: 'promote', version: '1.0.0', from: null, at: '2026-11-22T10:04:11Z', by: 'Ana' }] } },
  };

  it('reads exactly what the YAML parser reads, and only our own layout', () => {
    const text = serializeEnv(one);
    expect(fastParseEnv(text)).toEqual(parseYaml(text).value);
    expect(fastParseEnv(text.replace('environment: development', 'environment: development # hand edit'))).toBeNull();
    expect(fastParseEnv(text.replace('    version: 1.0.0', '    version:   1.0.0'))).toBeNull();
    expect(fastParseEnv(`environment: development\nprompts: {}\n`)).toBeNull();
    expect(fastParseEnv(serializeEnv({ environment: 'development', prompts: {} }))).toEqual({ environment: 'development', prompts: {} });
  });

  it('on thousands of mutated files, whatever the fast path accepts is exactly what the YAML parser reads', () => {
    const base = serializeEnv({
      environment: 'development',
      prompts: {
        a: { ...one.prompts.a!, reason: 'why: "this", #1', eval: { pass_rate: 0.5, passed: 1, cases: 2, regressions: 0 } },
        'b/c': { ...one.prompts.a!, previous: '0.9.0', history: [...one.prompts.a!.history, { action: 'rollback', version: '0.9.0', from: '1.0.0', at: '2026-11-21T10:04:11Z', by: 'x', skip_eval: true }] },
      },
    });
    const CHARS = [':', '"', ' ', '#', ',', '{', '}', '[', ']', '0', '1', 'a', '-', '\t', "'", '\\', '_', '~', '.', 'e'];
    let accepted = 0;
    for (const text of mutations(base, { seed: 42, count: 4000, chars: CHARS })) {
      const fast = fastParseEnv(text);
      if (fast === null || !envShapeOk(fast)) continue;
      accepted++;
      const full = parseYaml(text);
      expect(full.issues, text).toEqual([]);
      expect(full.value, text).toEqual(fast);
      // writing it back (untouched pins keep their source lines) reads back the same
      expect(parseYaml(serializeEnv(fast)).value, text).toEqual(fast);
    }
    expect(accepted).toBeGreaterThan(100); // some mutations keep the file valid (e.g. another reason text)
  });

  it('its shape check agrees with the schema', () => {
    const validate = getValidator('environment');
    const variants: unknown[] = [
      one,
      { ...one, extra: 1 },
      { environment: 'development', prompts: { a: { ...one.prompts.a, sha256: 'xyz' } } },
      { environment: 'development', prompts: { a: { ...one.prompts.a, version: 'v1' } } },
      { environment: 'development', prompts: { a: { ...one.prompts.a, history: [{ action: 'deploy', version: '1.0.0', from: null, at: 't', by: 'b' }] } } },
      { environment: 'development', prompts: { A: one.prompts.a } },
      { environment: 'development', prompts: { a: { ...one.prompts.a, eval: { pass_rate: 2, passed: 1, cases: 1 } } } },
    ];
    for (const v of variants) expect(envShapeOk(v)).toBe(validate(v));
  });

  it('a hand-edited env file is read by the full parser; a broken one is reported with its position', async () => {
    r = gitRegistry();
    r.write('environments/development.yaml', 'environment: development\nprompts:\n  a:\n    version: 1.0.0\n    sha256: nope\n');
    const res = await prompts(r.dir, ['promote', 'a@1.1.0', '--env', 'development']);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/^error: environments\/development\.yaml:\d+:\d+: /);
  });

  it('env files in our layout may exceed the 1 MiB limit of hand-written files', async () => {
    r = gitRegistry();
    const big: EnvironmentFile = { environment: 'development', prompts: {} };
    for (let i = 0; i < 4000; i++) big.prompts[`p${i}`] = { ...one.prompts.a!, reason: 'x'.repeat(200) };
    r.write('environments/development.yaml', serializeEnv(big));
    r.commitAll('big env');
    const res = await prompts(r.dir, ['promote', 'a@1.0.0', '--env', 'development']);
    expect(res, res.stderr).toMatchObject({ code: 0 });
    expect(Object.keys(readEnv(r, 'development').prompts)).toHaveLength(4001);
  });
});

describe('prompts promote', () => {
  it('pins the version with sha256, previous, who/when/why, and commits only the env file', async () => {
    r = gitRegistry();
    // someone else's staged work must stay staged and out of the commit
    r.write('notes.txt', 'wip\n');
    r.git('add', 'notes.txt');
    let res = await prompts(r.dir, ['promote', 'a@1.0.0', '--env', 'development', '--reason', 'first']);
    expect(res).toMatchObject({ code: 0 });
    expect(res.stdout).toMatch(/^promoted a none -> 1\.0\.0 in development \(commit [0-9a-f]{12}\)\n$/);
    res = await prompts(r.dir, ['promote', 'a@1.1.0', '--env', 'development']);
    expect(res.code).toBe(0);
    const env = readEnv(r, 'development');
    const pin = env.prompts.a!;
    expect(pin).toMatchObject({ version: '1.1.0', sha256: fileSha(r, 'a', '1.1.0'), previous: '1.0.0', promoted_by: 'Test User <test@example.com>' });
    expect(pin.promoted_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(pin.history.map((h) => [h.action, h.version, h.from])).toEqual([
      ['promote', '1.1.0', '1.0.0'],
      ['promote', '1.0.0', null],
    ]);
    expect(pin.history[1]!.reason).toBe('first');
    expect(envBytes(r, 'development')!.split('\n')[0]).toBe(ENV_HEADER);
    // the commits
    expect(r.git('log', '-2', '--format=%s').trim().split('\n')).toEqual(['prompts(development): promote a 1.0.0 -> 1.1.0', 'prompts(development): promote a none -> 1.0.0']);
    expect(r.git('log', '-1', '--skip=1', '--format=%b')).toContain('Reason: first');
    expect(r.git('log', '-1', '--format=%an <%ae>').trim()).toBe('Test User <test@example.com>');
    expect(r.git('show', '--name-only', '--format=', 'HEAD').trim()).toBe('environments/development.yaml');
    expect(r.git('diff', '--cached', '--name-only').trim()).toBe('notes.txt');
  });

  it('without @version promotes what the required environment pins', async () => {
    r = gitRegistry();
    await prompts(r.dir, ['promote', 'a@1.1.0', '--env', 'development']);
    const res = await prompts(r.dir, ['promote', 'a', '--env', 'staging']);
    expect(res.code).toBe(0);
    expect(readEnv(r, 'staging').prompts.a!.version).toBe('1.1.0');
  });

  it('without @version and without requires promotes the latest version', async () => {
    r = gitRegistry();
    expect((await prompts(r.dir, ['promote', 'a', '--env', 'development'])).code).toBe(0);
    expect(readEnv(r, 'development').prompts.a!.version).toBe('1.2.0');
  });

  it('promoting the version already pinned is a no-op (exit 0, nothing written)', async () => {
    r = gitRegistry();
    await prompts(r.dir, ['promote', 'a@1.0.0', '--env', 'development']);
    const before = envBytes(r, 'development');
    const h = head(r);
    const res = await prompts(r.dir, ['promote', 'a@1.0.0', '--env', 'development']);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/already pinned/);
    expect(envBytes(r, 'development')).toBe(before);
    expect(head(r)).toBe(h);
  });

  it('--dry-run prints the plan (text and --json) and writes nothing', async () => {
    r = gitRegistry();
    const h = head(r);
    let res = await prompts(r.dir, ['promote', 'a@1.0.0', '--env', 'development', '--dry-run']);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/would promote a none -> 1\.0\.0 in development/);
    expect(res.stdout).toMatch(/dry run: nothing written/);
    res = await prompts(r.dir, ['--json', 'promote', 'a@1.0.0', '--env', 'development', '--dry-run']);
    expect(JSON.parse(res.stdout)).toMatchObject({ ok: true, dryRun: true, action: 'promote', id: 'a', env: 'development', from: null, to: '1.0.0', sha256: fileSha(r, 'a', '1.0.0'), commit: true });
    expect(envBytes(r, 'development')).toBeNull();
    expect(head(r)).toBe(h);
  });

  it('--json prints one result document', async () => {
    r = gitRegistry();
    const res = await prompts(r.dir, ['--json', 'promote', 'a@1.0.0', '--env', 'development']);
    const doc = JSON.parse(res.stdout);
    expect(doc).toMatchObject({ ok: true, action: 'promote', id: 'a', env: 'development', from: null, to: '1.0.0', pushed: false });
    expect(doc.commit).toBe(head(r));
  });

  it('--no-commit writes the file and makes no commit', async () => {
    r = gitRegistry();
    const h = head(r);
    const res = await prompts(r.dir, ['promote', 'a@1.0.0', '--env', 'development', '--no-commit']);
    expect(res.code).toBe(0);
    expect(readEnv(r, 'development').prompts.a!.version).toBe('1.0.0');
    expect(head(r)).toBe(h);
  });

  it('outside git: writes the file, no commit, says so on stderr', async () => {
    r = makeRegistry({ git: false, config: UNGATED_CONFIG, prompts: { a: ['1.0.0'] } });
    const res = await prompts(r.dir, ['promote', 'a@1.0.0', '--env', 'development']);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/\(no commit\)/);
    expect(res.stderr).toMatch(/not in a git repository/);
    expect(readEnv(r, 'development').prompts.a!.version).toBe('1.0.0');
  });

  it('bounds history by history_limit', async () => {
    r = gitRegistry(`history_limit: 2\n${UNGATED_CONFIG}`);
    for (const v of ['1.0.0', '1.1.0', '1.2.0']) await prompts(r.dir, ['promote', `a@${v}`, '--env', 'development']);
    expect(readEnv(r, 'development').prompts.a!.history.map((h) => h.version)).toEqual(['1.2.0', '1.1.0']);
  });

  it('an uncommitted env file (e.g. from a --no-commit run) is refused, not swept into the commit (exit 3)', async () => {
    r = gitRegistry();
    await prompts(r.dir, ['promote', 'a@1.0.0', '--env', 'development', '--no-commit']);
    const before = envBytes(r, 'development');
    const res = await prompts(r.dir, ['promote', 'a@1.1.0', '--env', 'development']);
    expect(res.code).toBe(3);
    expect(res.stderr).toMatch(/environments\/development.yaml has uncommitted changes \(it is untracked\); promptrail's commit must hold its own change alone/);
    expect(envBytes(r, 'development')).toEqual(before);
    // committed, the next promotion goes ahead
    r.commitAll('the --no-commit promotion');
    expect((await prompts(r.dir, ['promote', 'a@1.1.0', '--env', 'development'])).code).toBe(0);
    expect(r.git('status', '--porcelain').trim()).toBe('');
  });

  describe('refusals write nothing', () => {
    async function refuses(args: string[], code: number, message: RegExp, setup?: (r: TempRegistry) => void | Promise<void>): Promise<void> {
      r = gitRegistry();
      await prompts(r.dir, ['promote', 'a@1.0.0', '--env', 'development']);
      await setup?.(r);
      const before = { dev: envBytes(r, 'development'), staging: envBytes(r, 'staging'), prod: envBytes(r, 'production'), head: head(r) };
      const res = await prompts(r.dir, args);
      expect(res.stderr).toMatch(message);
      expect(res.code).toBe(code);
      expect(res.stdout).toBe('');
      expect({ dev: envBytes(r, 'development'), staging: envBytes(r, 'staging'), prod: envBytes(r, 'production'), head: head(r) }).toEqual(before);
    }

    it('wrong order: a version never pinned upstream (exit 1)', () =>
      refuses(['promote', 'a@1.1.0', '--env', 'staging'], 1, /refused: a@1\.1\.0 has never been pinned in "development"/));
    it('skipping a stage: production before staging (exit 1)', () => refuses(['promote', 'a@1.0.0', '--env', 'production'], 1, /never been pinned in "staging"/));
    it('unknown environment (exit 2, did-you-mean)', () => refuses(['promote', 'a@1.0.0', '--env', 'stagin'], 2, /unknown environment "stagin"; did you mean "staging"\?/));
    it('unknown version (exit 2)', () => refuses(['promote', 'a@9.0.0', '--env', 'development'], 2, /prompt "a" has no version 9\.0\.0/));
    it('unknown prompt (exit 2)', () => refuses(['promote', 'nope@1.0.0', '--env', 'development'], 2, /unknown prompt "nope"/));
    it('invalid id (exit 2)', () => refuses(['promote', '../x@1.0.0', '--env', 'development'], 2, /invalid prompt id/));
    it('an env ref instead of a version (exit 2)', () => refuses(['promote', 'a@staging', '--env', 'production'], 2, /promote takes <id> or <id>@<version>/));
    it('--skip-eval without --reason (exit 2)', () => refuses(['promote', 'a@1.0.0', '--env', 'staging', '--skip-eval'], 2, /--skip-eval needs --reason/));
    it('--push with --no-commit (exit 2)', () => refuses(['promote', 'a@1.1.0', '--env', 'development', '--push', '--no-commit'], 2, /--push needs a commit/));
    it('--push without a remote (exit 2)', () => refuses(['promote', 'a@1.1.0', '--env', 'development', '--push'], 2, /no remote/));
    it('a version file with uncommitted changes (exit 3)', () =>
      refuses(['promote', 'a@1.1.0', '--env', 'development'], 3, /refusing to pin prompts\/a\/1\.1\.0\.yaml: it has uncommitted changes/, (reg) => appendFileSync(path.join(reg.dir, 'prompts/a/1.1.0.yaml'), '# edit\n')));
    it('a staged but uncommitted version file (exit 3)', () =>
      refuses(['promote', 'a@1.1.0', '--env', 'development'], 3, /has uncommitted changes/, (reg) => {
        appendFileSync(path.join(reg.dir, 'prompts/a/1.1.0.yaml'), '# edit\n');
        reg.git('add', 'prompts/a/1.1.0.yaml');
      }));
    it('an untracked version file (exit 3)', () =>
      refuses(['promote', 'a@1.3.0', '--env', 'development'], 3, /it is untracked/, (reg) => void reg.write('prompts/a/1.3.0.yaml', readVersion(reg, '1.2.0').replace(/1\.2\.0/g, '1.3.0'))));
    it('an invalid version file (exit 1, file:line:col)', () =>
      refuses(['promote', 'a@1.1.0', '--env', 'development'], 1, /prompts\/a\/1\.1\.0\.yaml:\d+:\d+:/, (reg) => {
        reg.write('prompts/a/1.1.0.yaml', 'id: a\nversion: 1.1.0\nmodel: 3\n');
        reg.commitAll('break it');
      }));
    it('a broken environment file (exit 1, file:line:col)', () =>
      refuses(['promote', 'a@1.1.0', '--env', 'development'], 1, /environments\/development\.yaml:\d+:\d+/, (reg) => void reg.write('environments/development.yaml', 'environment: development\nprompts: [\n')));
  });

  it('a failing git commit (hook) restores the env file and exits 3', async () => {
    r = gitRegistry();
    await prompts(r.dir, ['promote', 'a@1.0.0', '--env', 'development']);
    const before = envBytes(r, 'development');
    const h = head(r);
    const hook = path.join(r.dir, '.git/hooks/pre-commit');
    writeFileSync(hook, '#!/bin/sh\necho "hook says no" >&2\nexit 1\n');
    chmodSync(hook, 0o755);
    const res = await prompts(r.dir, ['promote', 'a@1.1.0', '--env', 'development']);
    expect(res.code).toBe(3);
    expect(res.stderr).toMatch(/git commit failed, so environments\/development\.yaml was restored/);
    expect(envBytes(r, 'development')).toBe(before);
    expect(head(r)).toBe(h);
    expect(r.git('status', '--porcelain').trim()).toBe('');
    // a first promotion into a new env file: the file is removed again and unstaged
    const res2 = await prompts(r.dir, ['promote', 'a@1.0.0', '--env', 'staging']);
    expect(res2.code).toBe(3);
    expect(existsSync(path.join(r.dir, 'environments/staging.yaml'))).toBe(false);
    expect(r.git('status', '--porcelain').trim()).toBe('');
  });

  describe('gates', () => {
    const SUITE_PASS = `cases:\n  - name: mentions the ticket\n    vars: { ticket: "refund please" }\n    assert:\n      - { type: contains, value: "refund please" }\n`;
    const SUITE_FAIL = `cases:\n  - name: impossible\n    vars: { ticket: "refund please" }\n    assert:\n      - { type: contains, value: "this text is never echoed" }\n`;

    function gated(suite?: string): TempRegistry {
      const reg = makeRegistry({ git: true, config: BASIC_CONFIG, prompts: { a: ['1.0.0', '1.1.0'] } });
      reg.write('.gitignore', '.prompts/\n');
      if (suite) reg.write('prompts/a/evals.yaml', suite);
      reg.commitAll('init');
      return reg;
    }

    it('--skip-eval --reason bypasses the gate and records it in history and the commit body', async () => {
      r = gated();
      await prompts(r.dir, ['promote', 'a@1.0.0', '--env', 'development']);
      const res = await prompts(r.dir, ['promote', 'a', '--env', 'staging', '--skip-eval', '--reason', 'hotfix, evals run by hand']);
      expect(res.code).toBe(0);
      const pin = readEnv(r, 'staging').prompts.a!;
      expect(pin.history[0]).toMatchObject({ action: 'promote', version: '1.0.0', skip_eval: true, reason: 'hotfix, evals run by hand' });
      expect(r.git('log', '-1', '--format=%B')).toMatch(/Reason: hotfix, evals run by hand\nEval: skipped \(--skip-eval\)/);
    });

    it('a passing gate (echo provider) records the eval summary in the pin, history and commit', async () => {
      r = gated(SUITE_PASS);
      await prompts(r.dir, ['promote', 'a@1.0.0', '--env', 'development']);
      const res = await prompts(r.dir, ['promote', 'a', '--env', 'staging']);
      expect(res.stderr).not.toMatch(/error/);
      expect(res.code).toBe(0);
      const pin = readEnv(r, 'staging').prompts.a!;
      expect(pin.eval).toMatchObject({ pass_rate: 1, passed: 1, cases: 1 });
      expect(pin.history[0]!.eval).toEqual(pin.eval);
      expect(r.git('log', '-1', '--format=%B')).toMatch(/Eval: pass rate 1 \(1\/1 cases\)/);
    });

    it('a passing gate on an uncommitted suite warns that the gate ran the working-tree suite', async () => {
      r = gated(SUITE_FAIL);
      await prompts(r.dir, ['promote', 'a@1.0.0', '--env', 'development']);
      // the failing case "fixed" locally (never reviewed, never committed)
      r.write('prompts/a/evals.yaml', SUITE_PASS);
      const res = await prompts(r.dir, ['promote', 'a', '--env', 'staging']);
      expect(res.code).toBe(0);
      expect(res.stderr).toMatch(/warning: prompts\/a\/evals\.yaml has uncommitted changes: the gate of "staging" ran that working-tree suite/);
      r.commitAll('suite');
      const clean = await prompts(r.dir, ['promote', 'a@1.0.0', '--env', 'production']);
      expect(clean.code).toBe(0);
      expect(clean.stderr).not.toMatch(/uncommitted/);
    });

    it('a failing gate refuses (exit 1) listing the failures, and writes nothing', async () => {
      r = gated(SUITE_FAIL);
      await prompts(r.dir, ['promote', 'a@1.0.0', '--env', 'development']);
      const h = head(r);
      const res = await prompts(r.dir, ['promote', 'a', '--env', 'staging']);
      expect(res.code).toBe(1);
      expect(res.stderr).toMatch(/did not pass the gate of "staging"/);
      expect(res.stderr).toMatch(/case "impossible" failed/);
      expect(envBytes(r, 'staging')).toBeNull();
      expect(head(r)).toBe(h);
    });

    it('a gate that cannot run (no suite) refuses (exit 1) and writes nothing', async () => {
      r = gated();
      await prompts(r.dir, ['promote', 'a@1.0.0', '--env', 'development']);
      const h = head(r);
      const res = await prompts(r.dir, ['promote', 'a', '--env', 'staging']);
      expect(res.code).toBe(1);
      expect(res.stderr).toMatch(/refused: the gate of "staging" .* cannot run: .*no eval suite/);
      expect(envBytes(r, 'staging')).toBeNull();
      expect(head(r)).toBe(h);
      // --dry-run predicts the same refusal (it used to print "gate … would run" and exit 0)
      const dry = await prompts(r.dir, ['promote', 'a', '--env', 'staging', '--dry-run']);
      expect(dry.code).toBe(1);
      expect(dry.stderr).toMatch(/refused: the gate of "staging" .* cannot run: .*no eval suite/);
    });
  });

  it('refuses (exit 1, nothing written) a version file whose bytes changed after it was pinned upstream, even when committed', async () => {
    r = gitRegistry(UNGATED_CONFIG);
    expect((await prompts(r.dir, ['promote', 'a@1.0.0', '--env', 'development'])).code).toBe(0);
    appendFileSync(path.join(r.dir, 'prompts/a/1.0.0.yaml'), '# edited after it was pinned\n');
    r.commitAll('edit a pinned version');
    const h = head(r);
    const res = await prompts(r.dir, ['promote', 'a@1.0.0', '--env', 'staging']);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/refused: prompts\/a\/1\.0\.0\.yaml changed after a@1\.0\.0 was pinned in "development"/);
    expect(envBytes(r, 'staging')).toBeNull();
    expect(head(r)).toBe(h);
  });

  it('refuses (exit 1, nothing written) a version whose template does not compile or uses an undeclared input', async () => {
    r = gitRegistry(UNGATED_CONFIG);
    const text = promptYaml('a', '1.3.0');
    expect(text).toMatch(/\{\{ticket\}\}/);
    r.write('prompts/a/1.3.0.yaml', text.replace('{{ticket}}', '{{#if ticket}}{{ticket}}'));
    r.write('prompts/a/1.4.0.yaml', promptYaml('a', '1.4.0').replace('{{ticket}}', '{{tickt}}'));
    r.commitAll('broken versions');
    const h = head(r);
    const unclosed = await prompts(r.dir, ['promote', 'a@1.3.0', '--env', 'development']);
    expect(unclosed.code).toBe(1);
    expect(unclosed.stderr).toMatch(/prompts\/a\/1\.3\.0\.yaml:\d+:\d+: .*template/);
    const undeclared = await prompts(r.dir, ['promote', 'a@1.4.0', '--env', 'development']);
    expect(undeclared.code).toBe(1);
    expect(undeclared.stderr).toMatch(/the template uses "tickt", not declared in inputs/);
    expect(envBytes(r, 'development')).toBeNull();
    expect(head(r)).toBe(h);
  });

  it('refuses (exit 1, nothing written) an ungated version whose schemas or fallback text the full check rejects', async () => {
    r = gitRegistry(UNGATED_CONFIG);
    r.write('prompts/a/1.3.0.yaml', promptYaml('a', '1.3.0').replace('  type: object\n  required: [ticket]', '  type: 7\n  required: [ticket]'));
    r.write('prompts/a/1.4.0.yaml', `${promptYaml('a', '1.4.0')}output:\n  format: json\nfallback:\n  text: not json\n`);
    r.commitAll('broken versions');
    const h = head(r);
    const schema = await prompts(r.dir, ['promote', 'a@1.3.0', '--env', 'development']);
    expect(schema.code).toBe(1);
    expect(schema.stderr).toMatch(/prompts\/a\/1\.3\.0\.yaml:\d+:\d+: inputs is not a valid JSON Schema/);
    const fallback = await prompts(r.dir, ['promote', 'a@1.4.0', '--env', 'development']);
    expect(fallback.code).toBe(1);
    expect(fallback.stderr).toMatch(/fallback\.text is not valid JSON, but output\.format is json/);
    expect(envBytes(r, 'development')).toBeNull();
    expect(head(r)).toBe(h);
  });

  it('a registry in a subfolder of the git work tree commits the right path', async () => {
    r = makeRegistry({ git: true, config: null });
    r.write('reg/prompts.config.yaml', UNGATED_CONFIG);
    r.write('reg/prompts/a/1.0.0.yaml', readVersionText('a', '1.0.0'));
    r.commitAll('init');
    const res = await prompts(path.join(r.dir, 'reg'), ['promote', 'a@1.0.0', '--env', 'development']);
    expect(res, res.stderr).toMatchObject({ code: 0 });
    expect(r.git('show', '--name-only', '--format=', 'HEAD').trim()).toBe('reg/environments/development.yaml');
    const dirty = await prompts(path.join(r.dir, 'reg'), ['promote', 'a@1.0.0', '--env', 'staging']);
    expect(dirty.code).toBe(0);
    appendFileSync(path.join(r.dir, 'reg/prompts/a/1.0.0.yaml'), '# x\n');
    const refused = await prompts(path.join(r.dir, 'reg'), ['promote', 'a@1.0.0', '--env', 'production']);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/refusing to pin reg\/prompts\/a\/1\.0\.0\.yaml/);
  });

  it('commits with the first commit in an empty repository', async () => {
    r = makeRegistry({ git: true, config: UNGATED_CONFIG, prompts: { a: ['1.0.0'] } });
    r.git('add', 'prompts', 'prompts.config.yaml');
    // no commit yet: the version file is staged, not committed -> refused
    const res = await prompts(r.dir, ['promote', 'a@1.0.0', '--env', 'development']);
    expect(res.code).toBe(3);
    r.git('commit', '-q', '-m', 'init');
    expect((await prompts(r.dir, ['promote', 'a@1.0.0', '--env', 'development'])).code).toBe(0);
    expect(commitCount(r)).toBe(2);
  });
});

function readVersionText(id: string, v: string): string {
  return promptYaml(id, v);
}

function readVersion(reg: TempRegistry, v: string): string {
  return reg.git('show', `HEAD:prompts/a/${v}.yaml`);
}
