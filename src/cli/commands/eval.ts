/**
 * `prompts eval <ref>... | --all | --changed [--base <rev>]`: runs prompts' suites against
 * providers (several side by side with `--provider a,b`), optionally compares each with a
 * baseline, and reports (text / json / junit / html / markdown). One `<ref>` on one provider
 * prints the plain eval report; several prompts or providers print one run document (a report
 * each, one summary). Reports are stored under .prompts/evals/, `-o` writes the JSON (the HTML
 * page with --format html), and under GitHub Actions a markdown summary is appended to
 * $GITHUB_STEP_SUMMARY.
 * Exit 0 ok; 1 any report not ok (regressions, failed cases, pass rate below the minimum,
 * budget exhausted, circuit breaker); 2 usage/configuration; 130 after Ctrl-C.
 */
import * as path from 'node:path';
import type { CommandContext } from '../ui.js';
import { appendStepSummary, interruptible } from '../ui.js';
import { UsageError } from '../../errors.js';
import { hasOwnKey, own } from '../../core/own.js';
import { openRegistry, type Registry } from '../../registry/registry.js';
import { resolveRef } from '../../registry/resolve-ref.js';
import { prepareOutput, writeOutput } from '../output-file.js';
import { trustedRegistry } from '../trusted.js';
import { loadEvalTarget, PartialTarget, repeatPolicy, SuiteMissing, type EvalTarget } from '../../eval/suite.js';
import { chooseProvider } from '../../eval/runner.js';
import type { CacheMode } from '../../eval/cache.js';
import { parseShard, selectShard, type ShardSpec } from '../../eval/shard.js';
import type { EvalJob } from '../../eval/session.js';
import { looksLikeReportJson, type Selection, type Skipped } from '../../eval/document.js';
import { EVAL_FORMATS, EVAL_REPORTERS, isEvalFormat, type EvalDoc, type EvalFormat } from '../reporters/eval-reporters.js';

/** The options commander gives `prompts eval` (strings as typed; parsed by parseEvalOptions). */
export interface EvalOptions {
  baseline?: string;
  provider?: string;
  concurrency?: string;
  record?: boolean;
  replay?: boolean;
  cache?: boolean;
  minPassRate?: string;
  format?: string;
  output?: string;
  all?: boolean;
  changed?: boolean;
  base?: string;
  env?: string;
  repeat?: string;
  casePassRate?: string;
  maxCost?: string;
  shard?: string;
  artifactName?: string;
}

/** A provider to run on: a name from the config, optionally with another model (`name:model`). */
export interface ProviderChoice {
  name: string;
  model?: string;
}

export interface ParsedEvalOptions {
  concurrency?: number;
  cacheMode: CacheMode;
  minPassRate: number | null;
  format: EvalFormat;
  repeat?: number;
  casePassRate?: number;
  maxCostUsd: number | null;
  shard?: ShardSpec;
  /** undefined: each version's default provider */
  providers?: string[];
}

function number(flag: string, text: string, ok: (n: number) => boolean, what: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || !ok(n)) throw new UsageError(`${flag} must be ${what}, got "${text}"`);
  return n;
}

/** Flags → typed options; every usage error is found here, before anything is read or run. */
export function parseEvalOptions(o: EvalOptions, args: readonly string[]): ParsedEvalOptions {
  let concurrency: number | undefined;
  if (o.concurrency !== undefined) concurrency = number('--concurrency', o.concurrency, (n) => Number.isInteger(n) && n >= 1 && n <= 256, 'a whole number from 1 to 256');
  if (o.record && o.replay) throw new UsageError('--record and --replay cannot be used together', { hint: '--record refreshes the cache from the provider; --replay reads only the cache' });
  if (o.cache === false && (o.record || o.replay)) throw new UsageError(`--no-cache cannot be combined with ${o.record ? '--record' : '--replay'}`);
  const cacheMode: CacheMode = o.replay ? 'replay' : o.record ? 'record' : o.cache === false ? 'off' : 'readwrite';
  let minPassRate: number | null = null;
  if (o.minPassRate !== undefined) minPassRate = number('--min-pass-rate', o.minPassRate, (n) => n >= 0 && n <= 1, 'a number from 0 to 1 (e.g. 0.9)');
  const format = o.format ?? 'text';
  if (!isEvalFormat(format)) throw new UsageError(`unknown --format "${format}"`, { hint: `use ${EVAL_FORMATS.join(', ')}` });
  const repeat = o.repeat === undefined ? undefined : number('--repeat', o.repeat, (n) => Number.isInteger(n) && n >= 1 && n <= 100, 'a whole number from 1 to 100');
  if (repeat !== undefined && repeat > 1 && cacheMode === 'replay') throw new UsageError('--repeat cannot be combined with --replay: repeated runs ask the provider again, and --replay never does');
  const casePassRate = o.casePassRate === undefined ? undefined : number('--case-pass-rate', o.casePassRate, (n) => n > 0 && n <= 1, 'a number above 0 and at most 1 (e.g. 0.8)');
  const maxCostUsd = o.maxCost === undefined ? null : number('--max-cost', o.maxCost, (n) => n >= 0 && n <= 1e9, 'an amount in USD (e.g. 2.50)');
  const shard = o.shard === undefined ? undefined : parseShard(o.shard);
  let providers: string[] | undefined;
  if (o.provider !== undefined) {
    providers = o.provider.split(',').map((p) => p.trim());
    if (providers.some((p) => p === '')) throw new UsageError(`--provider needs provider names separated by commas, got "${o.provider}"`, { hint: 'e.g. --provider openai,anthropic:claude-3-5-haiku-latest' });
    const dup = providers.find((p, i) => providers!.indexOf(p) !== i);
    if (dup !== undefined) throw new UsageError(`--provider names "${dup}" twice`);
  }
  if (o.all && o.changed) throw new UsageError('--all and --changed cannot be used together');
  if ((o.all || o.changed) && args.length > 0) throw new UsageError(`${o.all ? '--all' : '--changed'} selects the prompts itself; do not also name references (${args.join(' ')})`);
  if (!o.all && !o.changed && args.length === 0) throw new UsageError('eval needs what to evaluate: <ref>..., --all or --changed', { hint: 'e.g. prompts eval support/triage, or prompts eval --changed --base origin/main' });
  if (o.base !== undefined && o.base.trim() === '') throw new UsageError('--base needs a revision (e.g. --base origin/main)');
  if (format === 'html' && o.output === undefined && o.artifactName !== undefined) throw new UsageError('--artifact-name names the HTML report written with -o <file>');
  return { concurrency, cacheMode, minPassRate, format, repeat, casePassRate, maxCostUsd, shard, providers };
}

/** `name` or `name:model`: a name the config has wins over splitting at the colon. */
export function parseProviderChoice(registry: Registry, text: string): ProviderChoice {
  if (hasOwnKey(registry.config.providers, text) || text === 'echo') return { name: text };
  const colon = text.indexOf(':');
  if (colon > 0 && colon < text.length - 1) return { name: text.slice(0, colon), model: text.slice(colon + 1) };
  return { name: text };
}

function loadTarget(registry: Registry, id: string, version: string): EvalTarget {
  try {
    return loadEvalTarget(registry, id, version);
  } catch (e) {
    if (e instanceof SuiteMissing) {
      throw new UsageError(`prompt "${id}" has no eval suite`, { location: { file: e.rel }, hint: `create ${e.rel} with cases and assertions (see "prompts init --example")` });
    }
    throw e;
  }
}

interface Selected {
  id: string;
  version: string;
  /** `<id>@<env>`: the environment the version came from */
  via?: string;
}

/** The prompts to evaluate, and those selected but not evaluable (with --all / --changed only). */
async function selectPrompts(ctx: CommandContext, registry: Registry, args: readonly string[], o: EvalOptions): Promise<{ selected: Selected[]; skipped: Skipped[]; selection: Selection }> {
  const skipped: Skipped[] = [];
  if (!o.all && !o.changed) {
    const seen = new Set<string>();
    const selected: Selected[] = [];
    for (const a of args) {
      const ref = resolveRef(registry, a);
      const key = `${ref.id}@${ref.version}@${ref.via ?? ''}`;
      if (seen.has(key)) continue;
      seen.add(key);
      selected.push({ id: ref.id, version: ref.version, via: ref.via });
    }
    return { selected, skipped, selection: { mode: 'refs' } };
  }
  let ids: string[];
  let selection: Selection;
  if (o.all) {
    ids = registry.listPromptIds();
    selection = { mode: 'all' };
  } else {
    const { changedPrompts } = await import('../../eval/select.js');
    const ch = await changedPrompts(registry, o.base, ctx.env);
    ids = ch.ids;
    selection = { mode: 'changed', base: { rev: ch.base.rev, commit: ch.base.commit } };
    ctx.info(`changed since ${ch.base.rev}${ch.base.source === 'given' ? '' : ` (${ch.base.source === 'github' ? '$GITHUB_BASE_REF' : ch.base.source === 'upstream' ? 'the upstream branch' : 'uncommitted changes only'})`}, merge-base ${ch.base.commit.slice(0, 12)}: ${ids.length} prompt(s)${ids.length ? `: ${ids.join(', ')}` : ''}`);
  }
  const selected: Selected[] = [];
  for (const id of ids) {
    const version = registry.latest(id);
    if (version === undefined) skipped.push({ prompt: id, reason: 'no version file left (deleted)' });
    else selected.push({ id, version });
  }
  return { selected, skipped, selection };
}

export async function run(ctx: CommandContext, args: string[], o: EvalOptions): Promise<number> {
  const opts = parseEvalOptions(o, args);
  const registry = await trustedRegistry(ctx, openRegistry(ctx.cwd), o.base);
  if (o.env !== undefined) registry.assertEnv(o.env);
  const multiSelect = Boolean(o.all || o.changed) || args.length > 1;
  const { selected, skipped, selection } = await selectPrompts(ctx, registry, args, o);
  const providerChoices = opts.providers?.map((p) => parseProviderChoice(registry, p));
  const multi = multiSelect || (providerChoices?.length ?? 0) > 1;

  const { inEnvironment } = await import('../../eval/gate.js');
  const jobs: EvalJob[] = [];
  const notes = new Set<string>();
  for (const sel of selected) {
    let target: EvalTarget;
    try {
      target = loadTarget(registry, sel.id, sel.version);
    } catch (e) {
      // with --all / --changed a prompt without a suite is reported as skipped, not an error
      if ((o.all || o.changed) && e instanceof UsageError && /has no eval suite/.test(e.message)) {
        skipped.push({ prompt: sel.id, reason: `no eval suite (${registry.rel(registry.suitePath(sel.id))})` });
        continue;
      }
      if ((o.all || o.changed) && e instanceof PartialTarget) {
        skipped.push({ prompt: sel.id, reason: 'a partial (evaluated through the prompts that include it)' });
        continue;
      }
      throw e;
    }
    // the environment whose overrides apply: --env, else the one of <id>@<env>
    const envName = o.env ?? sel.via;
    const asEnv = (t: EvalTarget): EvalTarget => (envName !== undefined ? inEnvironment(registry, envName, t) : t);
    target = asEnv(target);
    if (envName !== undefined && own(registry.config.environments, envName)?.overrides?.model) notes.add(`${envName} overrides applied`);
    const envGate = o.env !== undefined ? own(registry.config.environments, o.env)?.gate : undefined;
    let minPassRate = opts.minPassRate;
    if (minPassRate === null && envGate?.min_pass_rate !== undefined) {
      minPassRate = envGate.min_pass_rate;
      notes.add(`using environment "${o.env}"'s gate: min_pass_rate ${minPassRate}`);
    }
    let baseline: EvalTarget | undefined;
    if (o.baseline !== undefined) {
      if (o.baseline.includes('@')) throw new UsageError(`--baseline takes a version or an environment name, not a reference: "${o.baseline}"`);
      const isEnv = hasOwnKey(registry.config.environments, o.baseline);
      // several prompts against an environment: one it does not pin yet is new, evaluated without a baseline
      if (multiSelect && isEnv && !hasOwnKey(registry.loadEnv(o.baseline).value.prompts, sel.id)) {
        notes.add(`${sel.id} is not pinned in ${o.baseline}: evaluated without a baseline`);
      } else {
        const b = resolveRef(registry, `${sel.id}@${o.baseline}`);
        baseline = asEnv(loadTarget(registry, b.id, b.version));
        // against an environment, its gate's min_pass_rate applies unless --min-pass-rate (or --env) sets one
        const gateMin = b.via !== undefined ? own(registry.config.environments, b.via)?.gate?.min_pass_rate : undefined;
        if (minPassRate === null && gateMin !== undefined) {
          minPassRate = gateMin;
          notes.add(`using environment "${b.via}"'s gate: min_pass_rate ${gateMin}`);
        }
      }
    }
    const policy = repeatPolicy(target.suite, { repeat: opts.repeat, casePassRate: opts.casePassRate });
    if (policy.repeat > 1 && opts.cacheMode === 'replay') {
      throw new UsageError(`--replay cannot repeat cases, but ${target.suiteRel} asks for ${policy.repeat} runs per case (defaults.repeat)`, { hint: 'pass --repeat 1 to replay each case once' });
    }
    const total = target.cases.length;
    if (opts.shard) {
      target = selectShard(target, opts.shard);
      if (baseline) baseline = selectShard(baseline, opts.shard);
    }
    const choices = providerChoices ?? [{ name: envGate?.provider ?? chooseProvider(registry, target) }];
    ctx.info(
      `eval ${target.id}@${target.version}: ${total} of ${target.totalCases} case(s) apply` +
        (opts.shard ? `, ${target.cases.length} in shard ${opts.shard.index}/${opts.shard.count}` : '') +
        (policy.repeat > 1 ? `, ${policy.repeat} runs each (case_pass_rate ${policy.case_pass_rate})` : '') +
        (choices.length > 1 ? ` on ${choices.map((c) => (c.model ? `${c.name}:${c.model}` : c.name)).join(', ')}` : '') +
        (baseline ? `; baseline ${baseline.version}` : ''),
    );
    for (const choice of choices) jobs.push({ target, provider: choice.name, model: choice.model, baseline, policy, minPassRate });
  }
  for (const n of notes) ctx.info(n);

  // -o is checked before the run (which may cost time and money); it never overwrites a file that is not ours
  const { isEvalHtml } = opts.format === 'html' && o.output !== undefined ? await import('../reporters/eval-html.js') : { isEvalHtml: undefined };
  const outFile =
    o.output !== undefined
      ? prepareOutput(ctx.cwd, o.output, {
          command: 'eval',
          example: opts.format === 'html' ? 'eval-report.html' : 'eval-report.json',
          isOurs: (text) => looksLikeReportJson(text) || (isEvalHtml?.(text) ?? false),
        }).file
      : undefined;

  // Ctrl-C: stop scheduling, keep what finished, write the partial report. A second Ctrl-C kills.
  const interrupt = interruptible(ctx, 'interrupted: finishing the report of the cases that completed (Ctrl-C again to quit at once)');

  // a progress line while cases run, removed when the run is done (the table follows on stdout)
  const line = ctx.interactive ? ctx.progress('eval') : undefined;
  const onProgress = line
    ? (done: number, total: number, failing: number): void => line.update(`eval ${done}/${total}${failing ? ` (${failing} failing)` : ''}`)
    : undefined;

  const { runSession } = await import('../../eval/session.js');
  let session;
  try {
    session = await runSession({
      registry,
      jobs,
      concurrency: opts.concurrency ?? registry.config.eval.concurrency,
      cacheMode: opts.cacheMode,
      maxCostUsd: opts.maxCostUsd,
      env: ctx.env,
      signal: interrupt.signal,
      onLog: ctx.verbose ? (m: string) => ctx.info(m) : undefined,
      onProgress,
    });
  } finally {
    interrupt.dispose();
    line?.stop();
  }

  let doc: EvalDoc;
  if (multi) {
    const { makeDocument } = await import('../../eval/document.js');
    doc = makeDocument(session.reports, skipped, { selection, started_at: session.started_at, duration_ms: session.duration_ms, maxCostUsd: opts.maxCostUsd });
  } else {
    doc = session.reports[0]!;
  }
  const artifactName = o.artifactName ?? (opts.format === 'html' && outFile ? path.basename(outFile) : undefined);
  const { artifactLink } = await import('../reporters/eval-markdown.js');
  const rctx = { c: () => ctx.c(), artifact: artifactName !== undefined ? artifactLink(artifactName, ctx.env) : undefined };
  if (outFile) writeOutput(outFile, await EVAL_REPORTERS[opts.format === 'html' ? 'html' : 'json'](doc, rctx));
  if (ctx.env.GITHUB_STEP_SUMMARY) {
    const md = await EVAL_REPORTERS.markdown(doc, rctx);
    appendStepSummary(ctx, () => md);
  }
  if (session.fatal !== null) {
    const cases = session.reports.reduce((n, r) => n + r.cases, 0);
    throw new UsageError(session.fatal, { hint: `${cases} case(s) finished before it; the partial report is in .prompts/evals/ (<version>.partial.json; the last complete report is kept)` });
  }
  if (ctx.json || opts.format === 'json') ctx.stdout.write(await EVAL_REPORTERS.json(doc, rctx));
  else if (opts.format === 'html' && outFile) {
    // the page is in the file; the terminal gets one line per report
    ctx.stdout.write(await EVAL_REPORTERS.text(doc, { ...rctx, compact: true }));
    ctx.info(`wrote ${path.relative(ctx.cwd, outFile) || outFile}`);
  } else ctx.stdout.write(await EVAL_REPORTERS[opts.format](doc, rctx));
  if (session.interrupted) return 130;
  return doc.ok ? 0 : 1;
}
