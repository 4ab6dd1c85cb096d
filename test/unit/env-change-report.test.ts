import { describe, it, expect } from 'vitest';
import { renderDryRun, dryRunDocument, renderApplied, appliedDocument, noChangeDocument } from '../../src/cli/reporters/env-change.js';
import { planPromotion, type PromotionChoice } from '../../src/core/promotion.js';
import { planRollback } from '../../src/core/rollback.js';
import type { EnvChangePlan } from '../../src/core/env-change.js';

const SHA = 'a'.repeat(64);
const choice: PromotionChoice = { kind: 'choice', id: 'a', env: 'staging', version: '1.1.0', from: null, source: 'upstream', upstream: 'development' };
const promotion = planPromotion({
  choice, gate: { min_pass_rate: 0.8 }, skipEval: false, suite: { file: 'prompts/a/evals.yaml', exists: true },
  file: 'environments/staging.yaml', versionFile: 'prompts/a/1.1.0.yaml', sha256: SHA, pins: [], reason: 'ready', at: 't', by: 'b', historyLimit: 50,
}) as EnvChangePlan;
const rollback = planRollback({
  choice: { kind: 'choice', id: 'a', env: 'development', from: '1.2.0', version: '1.1.0', previous: '1.0.0', eval: null },
  file: 'environments/development.yaml', versionFile: 'prompts/a/1.1.0.yaml', sha256: SHA, pins: [], reason: null, at: 't', by: 'b', historyLimit: 50,
}) as EnvChangePlan;

describe('one renderer for every env-changing command', () => {
  it('dry run as text: headline, the plan\'s lines, commit, reason', () => {
    expect(renderDryRun(promotion, { commit: true, push: true })).toBe(
      `would promote a none -> 1.1.0 in staging (what development pins)\n  file:   environments/staging.yaml\n  sha256: ${SHA}\n  gate:   min_pass_rate 0.8 — would run\n  commit: yes, then push\n  reason: ready\n(dry run: nothing written)\n`,
    );
    expect(renderDryRun(rollback, { commit: false, push: false })).toBe(
      `would roll back a 1.2.0 -> 1.1.0 in development\n  previous becomes: 1.0.0\n  file:   environments/development.yaml\n  sha256: ${SHA}\n  commit: no\n(dry run: nothing written)\n`,
    );
  });

  it('dry run as JSON: the common keys and the plan\'s own', () => {
    expect(dryRunDocument(promotion, { commit: true, push: false })).toEqual({
      ok: true, dryRun: true, action: 'promote', id: 'a', env: 'staging', from: null, to: '1.1.0', source: 'upstream', sha256: SHA,
      gate: { config: { min_pass_rate: 0.8 }, run: true }, reason: 'ready', file: 'environments/staging.yaml', commit: true, push: false,
    });
    expect(dryRunDocument(rollback, { commit: true, push: false })).toEqual({
      ok: true, dryRun: true, action: 'rollback', id: 'a', env: 'development', from: '1.2.0', to: '1.1.0', previous: '1.0.0', sha256: SHA, reason: null, file: 'environments/development.yaml', commit: true, push: false,
    });
  });

  it('the result: one line (commit, pushed, or no commit) and one JSON document', () => {
    expect(renderApplied(rollback, { commit: 'c0ffee1234567890', pushed: true }, true)).toBe('rolled back a 1.2.0 -> 1.1.0 in development (commit c0ffee123456, pushed)\n');
    expect(renderApplied(promotion, { commit: null, pushed: false }, false)).toBe('promoted a none -> 1.1.0 in staging (no commit)\n');
    expect(renderApplied(promotion, { commit: null, pushed: false }, true)).toBe('promoted a none -> 1.1.0 in staging\n');
    expect(appliedDocument(rollback, { commit: 'c0ffee', pushed: false })).toEqual({
      ok: true, action: 'rollback', id: 'a', env: 'development', from: '1.2.0', to: '1.1.0', previous: '1.0.0', sha256: SHA, reason: null, file: 'environments/development.yaml', commit: 'c0ffee', pushed: false,
    });
  });

  it('nothing to do', () => {
    expect(noChangeDocument({ kind: 'noop', action: 'promote', id: 'a', env: 'd', version: '1.0.0', text: 't', message: 'already pinned' })).toEqual({ ok: true, action: 'none', id: 'a', env: 'd', version: '1.0.0', message: 'already pinned' });
  });
});
