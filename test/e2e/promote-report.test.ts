/**
 * `promote --report <file>` through the built CLI: a CI's eval report (or merged shards) as the
 * gate's evidence, verified against the files on disk, and each refusal (other bytes, no
 * environment overrides, one shard, committed by a PR, another prompt, not a report, symlink).
 */
import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { cli } from '../helpers/cli.js';
import type { TempRegistry } from '../helpers/registry.js';
import { scaleRegistries, suite } from '../helpers/eval-scale.js';

const ENV_SCHEMA = JSON.parse(fs.readFileSync(new URL('../../schemas/environment.schema.json', import.meta.url), 'utf8')) as object;

const fixture = scaleRegistries();
const registry = fixture.registry;

describe('promote --report', () => {
  const staging = (reg: TempRegistry) => fs.readFileSync(path.join(reg.dir, 'environments/staging.yaml'), 'utf8');
  it('accepts a report of exactly these files as the gate evidence, verified; records its sha256', async () => {
    const reg = registry({ git: true });
    const before = fixture.server().requests.length;
    const ev = await cli(['eval', 'support/triage@1.0.0', '--env', 'staging', '-o', 'evidence.json', '-q'], { cwd: reg.dir });
    expect(ev.exitCode, ev.stderr).toBe(0);
    // the stored report would be reused too; remove it so the evidence must come from --report
    fs.rmSync(path.join(reg.dir, '.prompts/evals'), { recursive: true });
    const p = await cli(['promote', 'support/triage@1.0.0', '--env', 'staging', '--report', 'evidence.json', '--reason', 'ci'], { cwd: reg.dir });
    expect(p.exitCode, p.stderr).toBe(0);
    expect(p.stderr).toMatch(/gate: using --report evidence\.json \(sha256 [0-9a-f]{12}\): 3\/3 passed/);
    expect(p.stderr).not.toContain('gate: evaluating');
    const sha = (await import('node:crypto')).createHash('sha256').update(fs.readFileSync(path.join(reg.dir, 'evidence.json'))).digest('hex');
    expect(staging(reg)).toContain(`report_sha256: ${sha}`);
    expect(reg.git('log', '-1', '--format=%B')).toContain(`evidence: report ${sha.slice(0, 12)}`);
    expect(fs.existsSync(path.join(reg.dir, '.prompts/evals'))).toBe(false);
    expect(fixture.server().requests.length).toBe(before);
    // the written env file is valid for the schema (report_sha256 is a known key)
    const { parseYaml } = await import('../../src/registry/yaml.js');
    const v = new Ajv2020({ strict: false }).compile(ENV_SCHEMA);
    expect(v(parseYaml(staging(reg)).value), JSON.stringify(v.errors)).toBe(true);
    expect((await cli(['validate'], { cwd: reg.dir })).exitCode).toBe(0);
  });

  it('merged shards are evidence; the number of shards is recorded', async () => {
    const reg = registry({ git: true });
    for (const i of [1, 2]) await cli(['eval', 'support/triage@1.0.0', '--env', 'staging', '--shard', `${i}/2`, '-o', `s${i}.json`, '-q'], { cwd: reg.dir });
    expect((await cli(['report', 'merge', 's1.json', 's2.json', '-o', 'merged.json'], { cwd: reg.dir })).exitCode).toBe(0);
    const p = await cli(['promote', 'support/triage@1.0.0', '--env', 'staging', '--report', 'merged.json'], { cwd: reg.dir });
    expect(p.exitCode, p.stderr).toBe(0);
    expect(p.stderr).toContain('merged from 2 shards');
    expect(staging(reg)).toMatch(/shards: 2/);
  });

  it.each([
    ['a report of other suite bytes', async (reg: TempRegistry) => {
      await cli(['eval', 'support/triage@1.0.0', '--env', 'staging', '-o', 'ev.json', '-q'], { cwd: reg.dir });
      reg.write('prompts/support/triage/evals.yaml', suite(['refund', 'crash']));
      reg.git('commit', '-q', '-am', 'suite changed');
      return 'ev.json';
    }, 1, /refused: --report ev\.json is not evidence for support\/triage@1\.0\.0: it ran another version of prompts\/support\/triage\/evals\.yaml/],
    ['a report without the environment\'s overrides', async (reg: TempRegistry) => {
      await cli(['eval', 'support/triage@1.0.0', '-o', 'ev.json', '-q'], { cwd: reg.dir });
      return 'ev.json';
    }, 1, /it ran with parameters \{"max_tokens":50\}, the gate runs \{"max_tokens":50,"temperature":0\.3\}/],
    ['one shard only', async (reg: TempRegistry) => {
      await cli(['eval', 'support/triage@1.0.0', '--env', 'staging', '--shard', '1/2', '-o', 'ev.json', '-q'], { cwd: reg.dir });
      return 'ev.json';
    }, 1, /it is shard 1\/2 only: merge the shards/],
    ['a report committed to the repository', async (reg: TempRegistry) => {
      await cli(['eval', 'support/triage@1.0.0', '--env', 'staging', '-o', 'ev.json', '-q'], { cwd: reg.dir });
      reg.commitAll('a PR commits a passing report');
      return 'ev.json';
    }, 1, /refused: --report ev\.json is tracked by git; a report committed to the repository is never evidence/],
    ['a report force-added under .prompts/', async (reg: TempRegistry) => {
      await cli(['eval', 'support/triage@1.0.0', '--env', 'staging', '-q'], { cwd: reg.dir });
      reg.git('add', '-f', '.prompts/evals/support/triage/1.0.0.json');
      reg.git('commit', '-q', '-m', 'state');
      return '.prompts/evals/support/triage/1.0.0.json';
    }, 1, /is tracked by git/],
    ['a report of another prompt', async (reg: TempRegistry) => {
      await cli(['eval', 'billing/refund', '--env', 'staging', '-o', 'ev.json', '-q'], { cwd: reg.dir });
      return 'ev.json';
    }, 1, /refused: --report ev\.json has no report of support\/triage@1\.0\.0 \(it has billing\/refund@1\.0\.0\)/],
    ['a file that is not a report', async (reg: TempRegistry) => {
      reg.write('ev.json', '[]');
      return 'ev.json';
    }, 2, /report ev\.json is not a promptrail eval report/],
    ['a symlink', async (reg: TempRegistry) => {
      await cli(['eval', 'support/triage@1.0.0', '--env', 'staging', '-o', 'real.json', '-q'], { cwd: reg.dir });
      fs.symlinkSync(path.join(reg.dir, 'real.json'), path.join(reg.dir, 'ev.json'));
      return 'ev.json';
    }, 2, /report ev\.json is a symbolic link/],
  ])('refuses %s and writes nothing', async (_what, prepare, code, message) => {
    const reg = registry({ git: true });
    const file = await prepare(reg);
    const head = reg.git('rev-parse', 'HEAD');
    const p = await cli(['promote', 'support/triage@1.0.0', '--env', 'staging', '--report', file], { cwd: reg.dir });
    expect(p.exitCode, p.stderr).toBe(code);
    expect(p.stderr).toMatch(message);
    expect(fs.existsSync(path.join(reg.dir, 'environments/staging.yaml'))).toBe(false);
    expect(reg.git('rev-parse', 'HEAD')).toBe(head);
  });

  it('--dry-run checks the --report (a refusal is exit 1, a good one shows the verdict) and writes nothing', async () => {
    const reg = registry({ git: true });
    await cli(['eval', 'support/triage@1.0.0', '--env', 'staging', '--shard', '1/2', '-o', 'shard.json', '-q'], { cwd: reg.dir });
    await cli(['eval', 'support/triage@1.0.0', '--env', 'staging', '-o', 'full.json', '-q'], { cwd: reg.dir });
    fs.rmSync(path.join(reg.dir, '.prompts/evals'), { recursive: true });
    const head = reg.git('rev-parse', 'HEAD');
    const before = fixture.server().requests.length;
    const bad = await cli(['promote', 'support/triage@1.0.0', '--env', 'staging', '--report', 'shard.json', '--dry-run'], { cwd: reg.dir });
    expect(bad.exitCode, bad.stderr).toBe(1);
    expect(bad.stderr).toMatch(/it is shard 1\/2 only: merge the shards/);
    const good = await cli(['promote', 'support/triage@1.0.0', '--env', 'staging', '--report', 'full.json', '--dry-run', '--json'], { cwd: reg.dir });
    expect(good.exitCode, good.stderr).toBe(0);
    const doc = JSON.parse(good.stdout);
    expect(doc.gate).toMatchObject({ run: true, report: 'full.json', passed: true, eval: { passed: 3, cases: 3 } });
    const text = await cli(['promote', 'support/triage@1.0.0', '--env', 'staging', '--report', 'full.json', '--dry-run'], { cwd: reg.dir });
    expect(text.exitCode, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/gate: +min_pass_rate 0\.5 — passed \(--report full\.json\): pass rate 1 \(3\/3 cases\)/);
    expect(fs.existsSync(path.join(reg.dir, 'environments/staging.yaml'))).toBe(false);
    expect(reg.git('rev-parse', 'HEAD')).toBe(head);
    expect(fixture.server().requests.length).toBe(before);
  });

  it('--report with --skip-eval is a usage error', async () => {
    const reg = registry({ git: true });
    const p = await cli(['promote', 'support/triage@1.0.0', '--env', 'staging', '--report', 'x.json', '--skip-eval', '--reason', 'r'], { cwd: reg.dir });
    expect(p.exitCode).toBe(2);
    expect(p.stderr).toContain('--report and --skip-eval cannot be used together');
  });
});
