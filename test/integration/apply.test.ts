/**
 * apply/: the one path that carries out an EnvChangePlan, on temp registries with real git:
 * compare-and-swap, restore on failure, the lock, pending plans.
 */
import { describe, it, expect, afterEach } from 'vitest';
import { writeFileSync, chmodSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { GIT_ENV, type TempRegistry } from '../helpers/registry.js';
import { prompts, envBytes, readEnv, head, gitRegistry, UNGATED_CONFIG } from './env-helpers.js';
import { openRegistry } from '../../src/registry/registry.js';
import { readEnvView } from '../../src/registry/env-view.js';
import { acquireLock } from '../../src/registry/lock.js';
import { sha256 } from '../../src/registry/files.js';
import { selectPromotion, planPromotion, type PromotionInput } from '../../src/core/promotion.js';
import type { EnvChangePlan } from '../../src/core/env-change.js';
import { applyPlan, preflight, startGitProbe } from '../../src/apply/index.js';
import type { RunContext } from '../../src/context.js';
import { ConflictError, InternalError } from '../../src/errors.js';

let r: TempRegistry;
afterEach(() => r?.cleanup());

function io(env: NodeJS.ProcessEnv = {}): RunContext & { lines: string[] } {
  const lines: string[] = [];
  return { cwd: process.cwd(), env: { ...process.env, ...GIT_ENV, ...env }, json: false, info: (m) => void lines.push(m), warn: (m) => void lines.push(m), lines };
}

/** Gathers and plans `promote a@<version> --env development` the way the command does. */
async function planned(version: string, ctx: RunContext, over: Partial<PromotionInput> = {}) {
  const registry = openRegistry(r.dir);
  const snap = readEnvView(registry, 'development', 'a');
  const choice = selectPromotion({ id: 'a', requestedVersion: version, env: 'development', target: snap.value, versions: registry.listVersions('a') });
  if (choice.kind !== 'choice') throw new Error(choice.kind);
  const file = registry.versionPath('a', version);
  const probe = startGitProbe(registry.root, ctx.env);
  const plan = planPromotion({
    choice,
    gate: null,
    skipEval: false,
    suite: { file: 'prompts/a/evals.yaml', exists: false },
    file: snap.rel,
    versionFile: registry.rel(file),
    sha256: sha256(readFileSync(file)),
    pins: [{ env: 'development', pin: snap.value.prompts.a }],
    reason: null,
    at: '2026-11-22T10:00:00Z',
    by: (await probe).by,
    historyLimit: 50,
    ...over,
  });
  if (plan.kind !== 'change') throw new Error(plan.refusals[0].message);
  const git = await preflight(registry, { probe, envFile: snap.file, pinnedFile: file, commit: true, push: false });
  return { registry, snap, plan, git };
}

describe('applyPlan', () => {
  it('writes the env file and commits it alone with the plan\'s subject and body', async () => {
    r = gitRegistry();
    const ctx = io();
    const { registry, snap, plan, git } = await planned('1.0.0', ctx);
    const res = await applyPlan(plan, { registry, io: ctx, snap, git, label: 'test' });
    expect(res).toMatchObject({ pushed: false, pushAttempts: 0 });
    expect(res.commit).toMatch(/^[0-9a-f]{12}$/);
    expect(readEnv(r, 'development').prompts.a!.version).toBe('1.0.0');
    expect(r.git('log', '-1', '--format=%s%n%b').trim()).toBe(`${plan.subject}\n${plan.body}`);
    expect(r.git('show', '--name-only', '--format=', 'HEAD').trim()).toBe('environments/development.yaml');
  });

  it('compare-and-swap: the same prompt re-pinned since the plan was made is exit 3 and writes nothing', async () => {
    r = gitRegistry();
    const ctx = io();
    const stale = await planned('1.1.0', ctx);
    // another process pins a@1.0.0 meanwhile
    expect((await prompts(r.dir, ['promote', 'a@1.0.0', '--env', 'development'])).code).toBe(0);
    const before = { bytes: envBytes(r, 'development'), head: head(r) };
    const err = await applyPlan(stale.plan, { registry: stale.registry, io: ctx, snap: stale.snap, git: stale.git, label: 'test' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictError);
    expect((err as ConflictError).exitCode).toBe(3);
    expect((err as ConflictError).message).toBe('a in "development" changed while this promotion was prepared (it was not pinned, now 1.0.0)');
    expect((err as ConflictError).location).toEqual({ file: 'environments/development.yaml' });
    expect({ bytes: envBytes(r, 'development'), head: head(r) }).toEqual(before);
  });

  it('compare-and-swap: another prompt pinned meanwhile is kept, and the plan applies onto the fresh file', async () => {
    r = gitRegistry(UNGATED_CONFIG, { a: ['1.0.0'], b: ['1.0.0'] });
    const ctx = io();
    const p = await planned('1.0.0', ctx);
    expect((await prompts(r.dir, ['promote', 'b@1.0.0', '--env', 'development'])).code).toBe(0);
    await applyPlan(p.plan, { registry: p.registry, io: ctx, snap: p.snap, git: p.git, label: 'test' });
    expect(Object.keys(readEnv(r, 'development').prompts)).toEqual(['a', 'b']);
  });

  it('a failure after the write (the commit fails) puts the old bytes back and exits 3', async () => {
    r = gitRegistry();
    expect((await prompts(r.dir, ['promote', 'a@1.0.0', '--env', 'development'])).code).toBe(0);
    const ctx = io();
    const p = await planned('1.1.0', ctx);
    const before = { bytes: envBytes(r, 'development'), head: head(r) };
    const hook = path.join(r.dir, '.git/hooks/pre-commit');
    writeFileSync(hook, '#!/bin/sh\nexit 1\n');
    chmodSync(hook, 0o755);
    const err = await applyPlan(p.plan, { registry: p.registry, io: ctx, snap: p.snap, git: p.git, label: 'test' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictError);
    expect((err as ConflictError).message).toMatch(/^git commit failed, so environments\/development\.yaml was restored/);
    expect({ bytes: envBytes(r, 'development'), head: head(r) }).toEqual(before);
    expect(r.git('status', '--porcelain').trim()).toBe('');
  });

  it('a lock held by a live process: exit 3 naming it after the bounded wait, nothing written', async () => {
    r = gitRegistry();
    const ctx = io({ PROMPTRAIL_LOCK_TIMEOUT_MS: '200' });
    const p = await planned('1.0.0', ctx);
    const held = await acquireLock(path.join(r.dir, '.prompts', 'locks'), 'environments', { command: 'holder' });
    try {
      const h = head(r);
      const err = await applyPlan(p.plan, { registry: p.registry, io: ctx, snap: p.snap, git: p.git, label: 'test' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConflictError);
      expect((err as ConflictError).message).toContain(`environment files are locked by process ${process.pid} (holder)`);
      expect(ctx.lines).toContain(`waiting for the environment lock held by process ${process.pid}…`);
      expect(envBytes(r, 'development')).toBeNull();
      expect(head(r)).toBe(h);
    } finally {
      held.release();
    }
  });

  it('refuses a plan still pending on evidence (exit 70) before taking the lock or writing', async () => {
    r = gitRegistry();
    const ctx = io();
    const p = await planned('1.0.0', ctx);
    const pending: EnvChangePlan = { ...p.plan, pending: 'gate' };
    const err = await applyPlan(pending, { registry: p.registry, io: ctx, snap: p.snap, git: p.git, label: 'test' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InternalError);
    expect((err as InternalError).exitCode).toBe(70);
    expect(envBytes(r, 'development')).toBeNull();
  });
});
