/**
 * What every env-changing command shares around its own core plan: gathering (the version
 * file to pin, this prompt's pins everywhere), turning a core decision into an exit (refusals
 * become errors), and reporting (no change, dry run, result) through the one renderer. The
 * shape of such a command: options → gather → core plan → `apply/` → report.
 */
import * as fs from 'node:fs';
import type { CommandContext } from './ui.js';
import { interruptible, writeJson } from './ui.js';
import { Interrupted } from '../errors.js';
import type { Registry } from '../registry/registry.js';
import { contentSha256, readRegularFile } from '../registry/files.js';
import { pinsOf, readEnvView, type EnvView } from '../registry/env-view.js';
import type { EnvChangePlan, EnvDecision, NoChange, Refused } from '../core/env-change.js';
import type { GateOutcome } from '../core/gate.js';
import type { DepsMap, EnvironmentFile, GateConfig, PromptFile } from '../core/types.js';
import { selectPromotion, type PinEvidenceInput, type PromotionChoice } from '../core/promotion.js';
import { depsRecords, type DepsRecord } from '../core/integrity.js';
import { resolveVersion, type ResolvedVersion } from '../registry/resolved.js';
import { CheckFailed, UsageError } from '../errors.js';
import { approvalRules, approvalsOf, type ApprovalRuleInput } from '../core/approval.js';
import { approvalFacts, authorsOf, topRel } from './approval-facts.js';
import { jsonSchemaProblem } from '../validate/json-schema.js';
import { scanTemplate } from '../validate/template-scan.js';
import { refusalError } from '../apply/refusal.js';
import { preflight, pushPending, type ApplyResult, type GitProbe, type GitTarget, type PendingPushResult, type WatchedFile } from '../apply/index.js';
import { appliedDocument, dryRunDocument, noChangeDocument, renderApplied, renderDryRun } from './reporters/env-change.js';
import { own } from '../core/own.js';

/** The decision unless it is a refusal: then its detail lines go to stderr and it is thrown. */
export function decided<T>(ctx: CommandContext, d: T | Refused): T {
  if (typeof d === 'object' && d !== null && (d as { kind?: unknown }).kind === 'refused') {
    const first = (d as Refused).refusals[0];
    for (const line of first.detail ?? []) ctx.warn(line);
    throw refusalError(first);
  }
  return d as T;
}

/** Awaits the preflight and prints its notes (no commit outside git, an uncommitted env file). */
export async function gitChecked(ctx: CommandContext, preflight: Promise<GitTarget>): Promise<GitTarget> {
  const git = await preflight;
  for (const n of git.notes) ctx[n.level](n.text);
  return git;
}

export function reportNoChange(ctx: CommandContext, n: NoChange, pushed: PendingPushResult | null = null): number {
  if (ctx.json) writeJson(ctx, { ...noChangeDocument(n), ...(pushed ? { pushed: pushed.pushed.map((c) => c.hash) } : {}) });
  else {
    ctx.stdout.write(`${n.text}\n`);
    if (pushed) ctx.stdout.write(`pushed ${pushed.pushed.length} pending commit${pushed.pushed.length === 1 ? '' : 's'} to ${pushed.target}: ${pushed.pushed.map((c) => `${c.hash.slice(0, 12)} ${c.subject}`).join('; ')}\n`);
  }
  return 0;
}

/**
 * The change is in effect already: exit 0, nothing written. With `--push`, the change may be
 * committed but not pushed (an earlier run's push failed or was killed): that commit is pushed.
 */
export async function noChange(ctx: CommandContext, registry: Registry, n: NoChange, o: { probe: Promise<GitProbe>; envFile: string; push: boolean }): Promise<number> {
  if (!o.push) return reportNoChange(ctx, n);
  const git = await gitChecked(ctx, preflight(registry, { probe: o.probe, envFile: o.envFile, pinnedFile: null, commit: true, push: true, pendingOnly: true }));
  return reportNoChange(ctx, n, await pushPending(ctx, git));
}

export function reportDryRun(ctx: CommandContext, plan: EnvChangePlan, git: GitTarget, push: boolean): number {
  const will = { commit: git.repo !== null, push };
  if (ctx.json) writeJson(ctx, dryRunDocument(plan, will));
  else ctx.stdout.write(renderDryRun(plan, will));
  return 0;
}

export function reportApplied(ctx: CommandContext, plan: EnvChangePlan, result: ApplyResult, git: GitTarget): number {
  if (ctx.json) writeJson(ctx, appliedDocument(plan, result));
  else {
    ctx.stdout.write(renderApplied(plan, result, git.repo !== null));
    for (const line of plan.after) ctx.info(line);
  }
  return 0;
}

export interface PinnableVersion {
  file: string;
  /** registry-relative */
  rel: string;
  sha256: string;
  /** sha256 of every other file it is resolved from (partials, parents); empty without any */
  deps: DepsMap;
  /** absolute paths of those files (they must be committed too) */
  depFiles: string[];
  /** the resolution, for the compile check */
  resolved: ResolvedVersion;
}

/**
 * The version file about to be pinned, resolved: a valid prompt file for that id and version
 * whose partials and parents resolve (exit 1 with file:line:col otherwise), with the sha256 of
 * the very bytes checked and of each file it is resolved from. A partial is never pinned on its
 * own (exit 2): its bytes are pinned through the prompts that include it.
 */
export function pinnableVersion(registry: Registry, id: string, version: string): PinnableVersion {
  const rv = resolveVersion(registry, { id, version });
  if (rv.resolution.kind === 'partial') {
    throw new UsageError(`${id}@${version} is a partial: it is pinned through the prompts that include it (their pins record its sha256 under deps)`, { hint: `see "prompts dependents ${id}"` });
  }
  const depFiles = Object.keys(rv.resolved.deps).map((k) => {
    const at = k.lastIndexOf('@');
    return registry.versionPath(k.slice(0, at), k.slice(at + 1));
  });
  return { file: rv.root.loaded.file, rel: rv.root.loaded.rel, sha256: rv.root.doc.sha256, deps: rv.resolved.deps, depFiles, resolved: rv };
}

/**
 * With `compileCheck`, a version about to be pinned must render: a template that does not
 * compile would be pinned, then break `prompts build` and the application loading the
 * environment. (A gate that runs renders every case anyway and refuses a version none of them
 * can render.)
 */
export async function checkPinnable(v: PinnableVersion, opts: { compileCheck: boolean }): Promise<void> {
  const p = v.resolved.resolved.prompt;
  if (!opts.compileCheck || (Object.keys(v.deps).length === 0 && surelyRenders(p))) return;
  const { checkCompiles } = await import('../sdk/collect.js');
  checkCompiles(p, v.rel, v.resolved.root.loaded.parsed, v.resolved.resolved.library);
}

/**
 * The deps every environment records (each pin's and history entry's), for the immutability of
 * what a version is resolved from: read only for a version that has deps. `known`: files the
 * command has read in full already. A file that cannot be read is left out (validate's business).
 */
export function allDepRecords(registry: Registry, deps: DepsMap): DepsRecord[] {
  if (Object.keys(deps).length === 0) return [];
  const out: DepsRecord[] = [];
  for (const env of registry.config.environmentOrder) {
    try {
      out.push(...depsRecords(env, registry.loadEnv(env).value));
    } catch {
      /* unreadable or broken: left out */
    }
  }
  return out;
}

/**
 * True when the version certainly renders, decided without Handlebars or a runtime ajv: its
 * schemas pass the precompiled 2020-12 meta-schema check (validate's), and every template is in
 * the simple subset whose variables are certain (text, {{name}}, {{#if}}/{{#unless}}), each of
 * them declared in inputs. False only means "not certain": checkCompiles then decides, with its
 * exact messages. Anything else checkCompiles looks at (a fallback) is left to it.
 */
function surelyRenders(p: PromptFile): boolean {
  if (p.fallback !== undefined) return false;
  if (p.inputs !== undefined && jsonSchemaProblem(p.inputs) !== null) return false;
  if (p.output?.schema !== undefined && jsonSchemaProblem(p.output.schema) !== null) return false;
  const props = p.inputs?.properties;
  const declared = new Set(props && typeof props === 'object' ? Object.keys(props) : []);
  const templates = p.messages ? p.messages.map((m) => m.content) : [p.template ?? ''];
  for (const t of templates) {
    const vars = typeof t === 'string' ? scanTemplate(t) : null;
    if (vars === null || vars.some((v) => !declared.has(v.name))) return false;
  }
  return true;
}

/**
 * The restored version file and its sha256, null when it no longer exists (rollback refuses
 * that); its deps as it resolves now (a problem resolving it stops the rollback with its
 * file:line:col: a partial it includes is gone or broken).
 */
export function restorableVersion(registry: Registry, id: string, version: string): { file: string; rel: string; sha256: string | null; deps: DepsMap; depFiles: string[] } {
  const file = registry.versionPath(id, version);
  const rel = registry.rel(file);
  // a regular file only: a symbolic link, a fifo or a device is refused without reading it
  const bytes = readRegularFile(file);
  if (!Buffer.isBuffer(bytes)) {
    if (bytes.rule === 'file-missing') return { file, rel, sha256: null, deps: {}, depFiles: [] };
    throw new CheckFailed(bytes.message, { location: { file: rel } });
  }
  const bytesSha = contentSha256(bytes);
  let v: PinnableVersion;
  try {
    v = pinnableVersion(registry, id, version);
  } catch (e) {
    // a file that no longer reads as a prompt: the integrity check against its recorded sha256 says more
    if (e instanceof CheckFailed && e.location?.file === rel) return { file, rel, sha256: bytesSha, deps: {}, depFiles: [] };
    throw e;
  }
  return { file, rel, sha256: bytesSha, deps: v.deps, depFiles: v.depFiles };
}

/**
 * Runs an environment's gate on the chosen version (loaded only then), or checks `reportFile`
 * as its evidence: its outcome, or why it cannot run. `suite`: the suite's git state; the gate judged the suite on disk, so say so when
 * those are not the committed, reviewed bytes.
 */
export async function gateOutcome(
  ctx: CommandContext,
  registry: Registry,
  choice: { id: string; version: string; env: string; from: string | null },
  gate: GateConfig,
  reportFile: string | undefined,
  suite: WatchedFile | undefined,
): Promise<GateOutcome | { unavailable: string }> {
  const { runGate, GateUnavailable, GateInterrupted } = await import('../eval/gate.js');
  // Ctrl-C stops the gate's requests at once: nothing was written yet, nothing will be
  const interrupt = interruptible(ctx, `interrupted: stopping the gate of "${choice.env}"; nothing is written (Ctrl-C again to quit at once)`);
  let outcome: GateOutcome;
  try {
    outcome = await runGate({ registry, id: choice.id, version: choice.version, env: choice.env, gate, baselineVersion: choice.from, reportFile, ctx, signal: interrupt.signal });
  } catch (e) {
    if (e instanceof GateInterrupted || interrupt.signal.aborted) throw new Interrupted(`${choice.id}@${choice.version} was not promoted to ${choice.env}: the gate was interrupted (nothing written)`);
    if (e instanceof GateUnavailable) return { unavailable: e.message };
    throw e;
  } finally {
    interrupt.dispose();
  }
  if (interrupt.signal.aborted) throw new Interrupted(`${choice.id}@${choice.version} was not promoted to ${choice.env}: the gate was interrupted (nothing written)`);
  if (outcome.passed && suite && suite.state !== 'clean') {
    ctx.warn(`warning: ${suite.rel} has uncommitted changes: the gate of "${choice.env}" ran that working-tree suite (suite ${(outcome.summary.suite_sha256 ?? '').slice(0, 12)}, recorded); commit it so reviewers see what the gate checked`);
  }
  return outcome;
}

/** The target environment's view of `id`, its `requires` environment, and which version goes there. */
export interface PinSelection {
  snap: EnvView;
  upstream: { name: string; file: EnvironmentFile; rel: string } | undefined;
  decision: EnvDecision<PromotionChoice>;
}

/**
 * Step 1 of promote and rollout start: read the target's pin (and the `requires` environment's)
 * and choose the version (core/promotion.ts selectPromotion: the named one, what `requires` pins,
 * the latest; `requires` enforced; a running rollout refused).
 */
export function selectPin(registry: Registry, o: { env: string; id: string; requestedVersion?: string; versions: readonly string[]; change?: string }): PinSelection {
  const snap = readEnvView(registry, o.env, o.id);
  const up = own(registry.config.environments, o.env)?.requires;
  const upView = up ? readEnvView(registry, up, o.id) : undefined;
  const upstream = up && upView ? { name: up, file: upView.value, rel: upView.rel } : undefined;
  const decision = selectPromotion({ id: o.id, requestedVersion: o.requestedVersion, env: o.env, target: snap.value, targetRel: snap.rel, upstream, versions: o.versions, change: o.change });
  return { snap, upstream, decision };
}

/** What promote and rollout start gathered about the version about to be pinned (or served to a share of the keys). */
export interface PinGathered {
  gate: GateConfig | null;
  suiteFile: string;
  version: PinnableVersion;
  git: GitTarget;
  /** the input of core/promotion.ts pinEvidence, without the gate's outcome yet */
  evidence: Omit<PinEvidenceInput, 'outcome'>;
}

/**
 * Step 2 of promote and rollout start: the git checks (the version file is committed, the push
 * target) run while the version file is read and checked (an invalid file is reported first, an
 * uncommitted one before integrity), and this prompt's pins everywhere for the integrity rule.
 */
export async function gatherPinnable(
  ctx: CommandContext,
  registry: Registry,
  sel: PinSelection,
  choice: PromotionChoice,
  o: { probe: Promise<GitProbe>; skipEval: boolean; report: string | undefined; commit: boolean; push: boolean },
): Promise<PinGathered> {
  const gate = own(registry.config.environments, choice.env)?.gate ?? null;
  const rules = approvalRules(own(registry.config.environments, choice.env)?.approvals);
  if (rules.signed && !o.commit) {
    throw new UsageError(`"${choice.env}" requires signed commits (approvals.signed in prompts.config.yaml); --no-commit would make none`, { hint: 'drop --no-commit' });
  }
  const suiteFile = registry.suitePath(choice.id);
  // the version resolved (its partials and parents), then git's checks of every file it is
  // resolved from run while it is compile-checked
  const version = pinnableVersion(registry, choice.id, choice.version);
  const gitP = preflight(registry, { probe: o.probe, envFile: sel.snap.file, pinnedFile: version.file, pinnedDeps: version.depFiles, watch: [suiteFile], commit: o.commit, push: o.push });
  gitP.catch(() => undefined);
  await checkPinnable(version, { compileCheck: !gate || o.skipEval });
  const git = await gitChecked(ctx, gitP);
  const approvals = rules.required > 0 ? await gatherApprovals(registry, sel.snap, choice, version.sha256, rules, await o.probe) : undefined;
  const known = new Map([[choice.env, sel.snap.value], ...(sel.upstream ? [[sel.upstream.name, sel.upstream.file] as const] : [])]);
  return {
    gate,
    suiteFile,
    version,
    git,
    evidence: {
      choice,
      gate,
      skipEval: o.skipEval,
      report: o.report,
      suite: { file: registry.rel(suiteFile), exists: fs.existsSync(suiteFile) },
      versionFile: version.rel,
      sha256: version.sha256,
      deps: version.deps,
      depRecords: allDepRecords(registry, version.deps),
      pins: pinsOf(registry, choice.id, known),
      approvals,
      signed: rules.signed,
    },
  };
}

/**
 * The approval facts of the version about to be pinned (SPEC §15): the approvals the target's
 * env file records for it, each with the `prompts approve` commit that recorded it, the version
 * file's authors and the promoter. Approvals are git facts: read from the repository even with
 * --no-commit; outside git there are none.
 */
async function gatherApprovals(registry: Registry, snap: EnvView, choice: PromotionChoice, sha: string, rules: { required: number; signed: boolean }, probe: GitProbe): Promise<ApprovalRuleInput> {
  const base = { id: choice.id, version: choice.version, env: choice.env, sha256: sha, required: rules.required, signed: rules.signed, promoter: probe.by };
  const repo = probe.repo;
  if (!repo) return { ...base, authors: [], facts: [], inGit: false };
  const [authors, facts] = await Promise.all([
    authorsOf(registry, repo.top, choice.id, choice.version),
    approvalFacts(repo.top, topRel(registry, repo.top, snap.file), { env: choice.env, id: choice.id, version: choice.version, approvals: approvalsOf(snap.value, choice.id, choice.version), signed: rules.signed }),
  ]);
  return { ...base, authors: authors.map((a) => a.author), facts, inGit: true };
}

/**
 * The gate's outcome for a gathered version (the eval runs, or the --report is checked). The gate
 * sends requests with secrets: to the endpoints of the trusted config (`base`, else
 * PROMPTRAIL_TRUSTED_REV), when one is named.
 */
export async function gatheredOutcome(ctx: CommandContext, registry: Registry, g: PinGathered, base: string | undefined): Promise<GateOutcome | { unavailable: string }> {
  const { trustedRegistry } = await import('./trusted.js');
  const gateRegistry = await trustedRegistry(ctx, registry, base);
  return gateOutcome(ctx, gateRegistry, g.evidence.choice, g.gate!, g.evidence.report, g.git.watched.get(g.suiteFile));
}
