/**
 * `prompts promote <id>[@<version>] --env <env>`: plan (requires), check (git state, gate),
 * then apply under the lock with compare-and-swap, one commit, optional push.
 */
import * as path from 'node:path';
import * as fs from 'node:fs';
import type { CommandContext } from '../ui.js';
import { writeJson } from '../ui.js';
import { CheckFailed, UsageError } from '../../errors.js';
import { openRegistry } from '../../registry/registry.js';
import { parseRef } from '../../core/ref.js';
import { planPromotion, applyPromotion, recheckPromotion, type PromotionPlan, type PromotionRecord } from '../../core/promotion.js';
import { readEnvSnapshot } from '../../registry/env-store.js';
import { prepareGit, applyChange, nowIso, probeGit } from '../../registry/env-transaction.js';
import { sha256 } from '../../registry/files.js';
import { pathStates } from '../../git/repo.js';
import { commitSubject, commitBody, evalLine, shortHash } from '../env-messages.js';
import type { EvalSummary, GateConfig } from '../../core/types.js';

function gateText(g: GateConfig | null): string | null {
  if (!g) return null;
  const parts: string[] = [];
  if (g.min_pass_rate !== undefined) parts.push(`min_pass_rate ${g.min_pass_rate}`);
  if (g.no_regressions) parts.push('no_regressions');
  if (g.provider) parts.push(`provider ${g.provider}`);
  return parts.join(', ') || 'configured';
}

export async function run(ctx: CommandContext, args: string[], opts: Record<string, unknown>): Promise<number> {
  const raw = args[0] ?? '';
  const env = String(opts.env ?? '');
  const reason = typeof opts.reason === 'string' ? opts.reason.trim() : undefined;
  const skipEval = Boolean(opts.skipEval);
  const doCommit = opts.commit !== false;
  const push = Boolean(opts.push);
  const dryRun = Boolean(opts.dryRun);
  const reportFile = typeof opts.report === 'string' ? opts.report : undefined;
  if (reportFile !== undefined && skipEval) throw new UsageError('--report and --skip-eval cannot be used together: --report is the evidence for the gate, --skip-eval bypasses it');
  if (reportFile !== undefined && reportFile.trim() === '') throw new UsageError('--report needs a file (the JSON of prompts eval -o or prompts report merge)');
  if (skipEval && !reason) throw new UsageError('--skip-eval needs --reason <text>: skipping the gate is recorded with why', { hint: `e.g. --skip-eval --reason "hotfix, evals run manually"` });
  if (opts.reason !== undefined && !reason) throw new UsageError('--reason must not be empty');
  if (push && !doCommit) throw new UsageError('--push needs a commit; drop --no-commit or --push');

  const parsed = parseRef(raw);
  if ('problem' in parsed) throw new UsageError(parsed.problem, { hint: 'promote takes <id> or <id>@<version>' });
  if (parsed.selector.kind === 'env') {
    throw new UsageError(`promote takes <id> or <id>@<version>, not "${raw}"`, { hint: `to promote what ${parsed.selector.env} pins, use "prompts promote ${parsed.id} --env <env>" with "requires: ${parsed.selector.env}"` });
  }
  const registry = openRegistry(ctx.cwd);
  registry.assertEnv(env);
  const probe = probeGit(registry.root, ctx.env);
  probe.catch(() => undefined); // awaited later; a refusal before then must not leave it unhandled
  const versions = registry.assertPromptExists(parsed.id);
  const envConfig = registry.config.environments[env] ?? {};
  const snap = readEnvSnapshot(registry, env);
  const upstreamName = envConfig.requires;
  const upstream = upstreamName ? { name: upstreamName, file: readEnvSnapshot(registry, upstreamName).value } : undefined;

  const decision = planPromotion({
    id: parsed.id,
    requestedVersion: parsed.selector.kind === 'version' ? parsed.selector.version : undefined,
    env,
    envConfig,
    target: snap.value,
    upstream,
    versions,
  });
  if (decision.kind === 'noop') {
    if (ctx.json) writeJson(ctx, { ok: true, action: 'none', id: decision.id, env, version: decision.version, message: 'already pinned' });
    else ctx.stdout.write(`${decision.id}@${decision.version} is already pinned in ${env}; nothing to do\n`);
    return 0;
  }
  const plan: PromotionPlan = decision;

  // the version file must be a valid prompt; its bytes are what gets pinned
  const loaded = registry.loadPrompt(plan.id, plan.version);
  // and it must render: a template that does not compile would be pinned, then break
  // `prompts build` and the application loading this environment. (A gate that runs renders
  // every case anyway and refuses a version none of them can render.)
  if (!plan.gate || skipEval) {
    const { checkCompiles } = await import('../../sdk/collect.js');
    checkCompiles(loaded.value, loaded.rel, loaded.parsed);
  }
  const digest = sha256(loaded.decoded.bytes);
  const gitc = await prepareGit(registry, { envFile: snap.file, versionFile: loaded.file, commit: doCommit, push, ctx, probe });
  // immutability: the bytes must be the ones recorded wherever this version was pinned before
  // (above all in the `requires` environment, where they were tested)
  const recorded = new Map<string, string>();
  for (const e of registry.config.environmentOrder) {
    let file;
    try {
      file = e === env ? snap.value : readEnvSnapshot(registry, e).value;
    } catch {
      continue; // a broken other env file is `validate`'s business
    }
    const pin = file.prompts[plan.id];
    if (!pin) continue;
    if (pin.version === plan.version && pin.sha256) recorded.set(pin.sha256, e);
    for (const h of pin.history) if (h.version === plan.version && h.sha256 && !recorded.has(h.sha256)) recorded.set(h.sha256, e);
  }
  if (recorded.size > 0 && !recorded.has(digest)) {
    const [firstSha, firstEnv] = [...recorded.entries()][0]!;
    throw new CheckFailed(
      `refused: ${registry.rel(loaded.file)} changed after ${plan.id}@${plan.version} was pinned in "${firstEnv}": its sha256 is ${digest.slice(0, 12)}…, recorded ${firstSha.slice(0, 12)}…`,
      {
        location: { file: registry.rel(loaded.file) },
        hint: 'version files are immutable: restore the pinned bytes from git, or bump a new version and promote that',
      },
    );
  }

  const gate = plan.gate;
  const gateDesc = gateText(gate);
  // a gate needs the prompt's suite: say so before anything, so --dry-run predicts the refusal
  if (gate && !skipEval && !fs.existsSync(registry.suitePath(plan.id))) {
    throw new CheckFailed(
      `refused: the gate of "${env}" (${gateDesc}) cannot run: prompt "${plan.id}" has no eval suite: add ${registry.rel(registry.suitePath(plan.id))} (cases with assertions), or promote with --skip-eval --reason <text>`,
    );
  }
  if (dryRun) {
    const planJson = {
      ok: true,
      dryRun: true,
      action: 'promote',
      id: plan.id,
      env,
      from: plan.from,
      to: plan.version,
      source: plan.source,
      sha256: digest,
      gate: gate ? (skipEval ? { config: gate, run: false, skipped: true } : { config: gate, run: true, ...(reportFile !== undefined ? { report: reportFile } : {}) }) : null,
      reason: reason ?? null,
      file: snap.rel,
      commit: gitc.repo !== null,
      push,
    };
    if (ctx.json) writeJson(ctx, planJson);
    else {
      const lines = [
        `would promote ${plan.id} ${plan.from ?? 'none'} -> ${plan.version} in ${env}${plan.source === 'upstream' ? ` (what ${upstreamName} pins)` : plan.source === 'latest' ? ' (latest version)' : ''}`,
        `  file:   ${snap.rel}`,
        `  sha256: ${digest}`,
        `  gate:   ${gate ? (skipEval ? `${gateDesc} — skipped (--skip-eval)` : `${gateDesc} — would ${reportFile !== undefined ? `check --report ${reportFile}` : 'run'}`) : 'none'}`,
        `  commit: ${gitc.repo ? `yes${push ? ', then push' : ''}` : 'no'}`,
      ];
      if (reason) lines.push(`  reason: ${reason}`);
      ctx.stdout.write(`${lines.join('\n')}\n(dry run: nothing written)\n`);
    }
    return 0;
  }

  let evalSummary: EvalSummary | undefined;
  if (gate && !skipEval) {
    const { runGate, GateUnavailable } = await import('../../eval/gate.js');
    let outcome;
    try {
      outcome = await runGate({ registry, id: plan.id, version: plan.version, env, gate, baselineVersion: plan.from, reportFile, ctx });
    } catch (e) {
      if (e instanceof GateUnavailable) {
        throw new CheckFailed(`refused: the gate of "${env}" (${gateDesc}) cannot run: ${e.message}`, { hint: /--skip-eval/.test(e.message) ? undefined : 'fix the eval setup, or bypass it with --skip-eval --reason <text> (recorded)' });
      }
      throw e;
    }
    if (!outcome.passed) {
      const list = outcome.failures.length ? outcome.failures.map((f) => `\n  - ${f}`).join('') : '';
      ctx.warn(`gate of ${env} failed for ${plan.id}@${plan.version}: ${evalLine(outcome.summary) ?? ''}${list}`);
      throw new CheckFailed(`refused: ${plan.id}@${plan.version} did not pass the gate of "${env}" (${gateDesc})${outcome.failures[0] ? `: ${outcome.failures[0]}` : ''}`, {
        hint: outcome.failures.length > 1 ? `${outcome.failures.length} reasons, listed above` : 'see "prompts eval" for the details',
      });
    }
    evalSummary = outcome.summary;
    if (gitc.repo && gitc.versionRel) {
      // the gate judged the suite on disk: say so when those are not the committed, reviewed bytes
      const suiteRel = path.posix.join(path.posix.dirname(gitc.versionRel), 'evals.yaml');
      const st = (await pathStates(gitc.repo.top, [suiteRel])).get(suiteRel) ?? 'clean';
      if (st !== 'clean') {
        ctx.warn(`warning: ${suiteRel} has uncommitted changes: the gate of "${env}" ran that working-tree suite (suite ${(evalSummary.suite_sha256 ?? '').slice(0, 12)}, recorded); commit it so reviewers see what the gate checked`);
      }
    }
  } else if (skipEval && !gate) {
    ctx.info(`note: "${env}" has no gate; --skip-eval has nothing to skip`);
  } else if (reportFile !== undefined && !gate) {
    ctx.info(`note: "${env}" has no gate; --report is not needed`);
  }

  const rec: PromotionRecord = { sha256: digest, at: nowIso(), by: gitc.by, reason, eval: evalSummary, skipEval: Boolean(gate) && skipEval };
  const result = await applyChange<PromotionPlan>({
    registry,
    ctx,
    snap,
    plan,
    gitc,
    recheck: recheckPromotion,
    apply: (fresh, p) => applyPromotion(fresh, p, rec, registry.config.history_limit),
    subject: (p) => commitSubject('promote', env, p.id, p.from, p.version),
    body: commitBody({ reason, eval: evalSummary, skipEval: rec.skipEval, id: plan.id, version: plan.version, sha256: digest, gate: gateDesc }),
    commandLabel: `prompts promote ${plan.id}@${plan.version} --env ${env}`,
  });
  if (ctx.json) {
    writeJson(ctx, {
      ok: true,
      action: 'promote',
      id: plan.id,
      env,
      from: plan.from,
      to: plan.version,
      sha256: digest,
      eval: evalSummary ?? null,
      skipEval: rec.skipEval ?? false,
      reason: reason ?? null,
      file: snap.rel,
      commit: result.commit,
      pushed: result.pushed,
    });
  } else {
    const where = result.commit ? ` (commit ${shortHash(result.commit)}${result.pushed ? ', pushed' : ''})` : gitc.repo ? '' : ' (no commit)';
    ctx.stdout.write(`promoted ${plan.id} ${plan.from ?? 'none'} -> ${plan.version} in ${env}${where}\n`);
    if (evalSummary) ctx.info(`eval: ${evalLine(evalSummary)}`);
  }
  return 0;
}
