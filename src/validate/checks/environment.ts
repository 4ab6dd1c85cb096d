/** An environment file (environments/<env>.yaml): its schema, its name, the pins it holds and their rollouts. */
import { idProblem } from '../../core/ref.js';
import { isWeight, stagesProblem } from '../../core/bucket.js';
import { suggestEnv } from '../../core/suggest.js';
import { isObject } from '../../core/json.js';
import { restoreHint, verifyPin } from '../../core/env-chain.js';
import type { EnvPin } from '../../core/types.js';
import { own, ptr, schemaStep, type Reporter } from './reporter.js';
import type { CheckContext, PinFact } from './types.js';

/** Checks the file and returns its pins (whose sha256 the cross-file phase checks). */
export function checkEnvironment(r: Reporter, rel: string, ctx: CheckContext): PinFact[] {
  const v = r.doc.value;
  schemaStep(r, 'environment');
  const shaped = r.problems.length === 0;
  const stem = rel.slice(rel.lastIndexOf('/') + 1).replace(/\.yaml$/, '');
  const env = own(v, 'environment');
  if (typeof env === 'string' && env !== stem) {
    r.error('env-name-mismatch', `environment "${env}" does not match the file name: expected "${stem}"`, '/environment');
  }
  if (ctx.environments !== null && !ctx.environments.includes(stem)) {
    const s = suggestEnv(stem, ctx.environments);
    r.error(
      'env-undeclared',
      `environment "${stem}" is not declared in prompts.config.yaml${s ? `; did you mean "${s}"?` : ''} (environments: ${ctx.environments.join(', ') || 'none'}); declare it or remove this file`,
      Object.hasOwn(v, 'environment') ? '/environment' : '',
    );
  }
  const pins: PinFact[] = [];
  const prompts = own(v, 'prompts');
  if (isObject(prompts)) {
    for (const [id, pin] of Object.entries(prompts)) {
      // an invalid id is a schema problem already; never build a path from it
      if (!isObject(pin) || idProblem(id) !== null) continue;
      const version = own(pin, 'version');
      const sha = own(pin, 'sha256');
      const previous = own(pin, 'previous');
      if (typeof version === 'string' && typeof sha === 'string') {
        const released = releasedIn(own(pin, 'history'), version);
        const releasedDeps = releasedDepsIn(own(pin, 'history'));
        const fact: PinFact = { id, version, sha256: sha, previous: typeof previous === 'string' ? previous : null, ...(released.length ? { released } : {}), ...(releasedDeps.length ? { releasedDeps } : {}) };
        const rollout = own(pin, 'rollout');
        if (isObject(rollout)) {
          const candidate = checkRollout(r, id, version, rollout);
          if (candidate) fact.rollout = candidate;
        }
        const deps = depsFact(own(pin, 'deps'));
        if (deps) fact.deps = deps;
        const candidateDeps = fact.rollout && isObject(rollout) ? depsFact(own(rollout, 'deps')) : null;
        if (fact.rollout && candidateDeps) fact.rollout.deps = candidateDeps;
        pins.push(fact);
      }
    }
    // the history chain (core/env-chain.ts), once the file is well-formed
    if (shaped) checkChains(r, rel, prompts as Record<string, EnvPin>, pins);
  }
  return pins;
}

/** The string entries of a pin's (or candidate's) `deps:` map, or null without one. */
function depsFact(deps: unknown): Record<string, string> | null {
  if (!isObject(deps)) return null;
  const d: Record<string, string> = {};
  for (const [k, s] of Object.entries(deps)) if (typeof s === 'string') d[k] = s;
  return d;
}

/**
 * A pin's running rollout (SPEC §12) beyond its schema: a weight and stages the commands would
 * accept (2 decimals, stages ascending), a candidate that differs from the stable version. Its
 * candidate is returned for the cross-file check (the file exists, its sha256 matches).
 */
function checkRollout(r: Reporter, id: string, stable: string, rollout: Record<string, unknown>): { version: string; sha256: string; deps?: Record<string, string> } | null {
  const at = (k: string): string => `/prompts/${id.replace(/~/g, '~0').replace(/\//g, '~1')}/rollout/${k}`;
  const weight = own(rollout, 'weight');
  if (typeof weight === 'number' && weight >= 0 && weight <= 100 && !isWeight(weight)) {
    r.error('rollout-weight', `the rollout's weight ${weight} has more than 2 decimals (a bucket is 0.01 % of the keys); set it with "prompts rollout set"`, at('weight'));
  }
  const stages = own(rollout, 'stages');
  if (Array.isArray(stages) && stages.length > 0 && stages.every((x) => typeof x === 'number')) {
    const bad = stagesProblem(stages as number[]);
    if (bad) r.error('rollout-stages', `the rollout's stages: ${bad}`, at('stages'));
  }
  const version = own(rollout, 'version');
  const sha = own(rollout, 'sha256');
  if (typeof version !== 'string' || typeof sha !== 'string') return null;
  if (version === stable) {
    r.error('rollout-candidate-is-stable', `the rollout's candidate ${id}@${version} is the stable version; abort the rollout ("prompts rollout abort ${id} --env <env> --reason <text>")`, at('version'));
    return null;
  }
  return { version, sha256: sha };
}

/**
 * The distinct [version, sha256] of the history entries that recorded the bytes of a version
 * other than the active one (`active`, whose bytes the pin's own sha256 holds): the versions this
 * environment released before, for released-version-changed.
 */
function releasedDepsIn(history: unknown): [string, string][] {
  const out: [string, string][] = [];
  if (!Array.isArray(history)) return out;
  const seen = new Set<string>();
  for (const h of history) {
    const deps = isObject(h) ? own(h, 'deps') : undefined;
    if (!isObject(deps)) continue;
    for (const [k, sha] of Object.entries(deps)) {
      if (typeof sha !== 'string' || seen.has(`${k} ${sha}`)) continue;
      seen.add(`${k} ${sha}`);
      out.push([k, sha]);
    }
  }
  return out;
}

/** The distinct [version, sha256] of the history entries (see below). */
function releasedIn(history: unknown, active: string): [string, string][] {
  const out: [string, string][] = [];
  if (!Array.isArray(history)) return out;
  const seen = new Set<string>();
  for (const h of history) {
    if (!isObject(h)) continue;
    const version = own(h, 'version');
    const sha = own(h, 'sha256');
    if (typeof version !== 'string' || typeof sha !== 'string' || version === active || seen.has(`${version} ${sha}`)) continue;
    seen.add(`${version} ${sha}`);
    out.push([version, sha]);
  }
  return out;
}

/**
 * `env-history-tampered` (error) for every pin whose history or fields no promptrail command
 * wrote, named by the edit, with how to restore the file; such a pin's version and sha256 are
 * not checked against the version files (the edit, not the file, is the problem).
 * `env-history-unchained` (warning, once per file) for histories written before chains: they
 * are chained on the next promote or rollback in this environment.
 */
function checkChains(r: Reporter, rel: string, prompts: Record<string, EnvPin>, pins: PinFact[]): void {
  const legacy: string[] = [];
  for (const [id, pin] of Object.entries(prompts)) {
    const v = verifyPin(pin);
    if (v.status === 'legacy') legacy.push(id);
    if (v.status !== 'tampered') continue;
    const fact = pins.find((p) => p.id === id);
    if (fact) fact.tampered = true;
    for (const p of v.problems.slice(0, 1)) {
      const at = p.field !== undefined ? ptr('prompts', id, p.field) : p.entry !== undefined ? ptr('prompts', id, 'history', p.entry) : ptr('prompts', id);
      r.error('env-history-tampered', `${id}: ${p.message}; ${restoreHint(rel)}`, at);
    }
  }
  if (legacy.length) {
    const n = legacy.length;
    r.warning(
      'env-history-unchained',
      `${n} pin${n === 1 ? ' has a history' : 's have histories'} written before history chains (${legacy.slice(0, 3).join(', ')}${n > 3 ? ', …' : ''}): hand edits of ${n === 1 ? 'it' : 'them'} cannot be detected until the next promote or rollback in this environment, which chains the whole file`,
      ptr('prompts', legacy[0]!, 'history'),
    );
  }
}
