/**
 * `validate --base <rev>` for environment files (SPEC §11, §15): what the history chain alone
 * cannot prove, a comparison with the base can.
 *
 * - History is append-only: every pin's history at <rev> is still there, entries only added on
 *   top (and dropped off the bottom once history_limit is reached); a pin is never removed
 *   (`env-history-rewritten`).
 * - Each entry added since <rev> is one a promotion could have written: a promote into an
 *   environment with `requires` names a version that environment pinned (per its history:
 *   `env-not-upstream`), and its eval evidence names a suite this repository committed
 *   (`env-eval-unknown-suite`).
 * - Entries added since <rev> arrive in promptrail's commits (subject `prompts(<env>): …`,
 *   touching that file alone): otherwise a warning (`env-history-unattributed`), since a
 *   `--no-commit` run committed by hand looks the same as a hand edit.
 */
import { sha256 } from '../registry/files.js';
import { appendedEntries, describeEntry, restoreHint } from '../core/env-chain.js';
import { wasPinned } from '../core/promotion.js';
import { commitSubject, rolloutSubject } from '../core/env-text.js';
import { isObject, type JsonObject } from '../core/json.js';
import type { EnvironmentFile, HistoryEntry } from '../core/types.js';
import type { Problem } from './problem.js';
import { SUITE_FILE } from '../paths.js';
import { own } from '../core/own.js';

export interface BaseEnvInput {
  root: string;
  commit: string;
  rev: string;
  staged: boolean;
  promptsDir: string;
  environmentsDir: string;
  /** the environment files now (registry-relative) */
  envRels: string[];
  /** the config now (null: unparsable) */
  config: JsonObject | null;
  read(rels: string[]): Promise<Map<string, { bytes?: Buffer }>>;
}

async function parseEnv(bytes: Buffer | undefined): Promise<EnvironmentFile | null> {
  if (!bytes) return null;
  const text = bytes.toString('utf8');
  const [{ fastParseEnv }, { envShapeOk }] = await Promise.all([import('../registry/env-fast-parse.js'), import('../registry/env-shape.js')]);
  const fast = fastParseEnv(text);
  if (fast && envShapeOk(fast)) return fast;
  const [{ parseYaml }, { getValidator }] = await Promise.all([import('../registry/yaml.js'), import('../registry/schemas.js')]);
  const parsed = parseYaml(text);
  // a broken file is the per-file checks' to report
  return parsed.issues.length === 0 && getValidator('environment')(parsed.value) ? (parsed.value as EnvironmentFile) : null;
}

export async function checkEnvAgainstBase(o: BaseEnvInput): Promise<Problem[]> {
  const out: Problem[] = [];
  const [{ listTree, readBlobs }, { blobsInHistory, commitsTouching }, { parseYaml, positionOf }] = await Promise.all([import('../git/staged.js'), import('../git/env-audit.js'), import('../registry/yaml.js')]);
  const tree = await listTree(o.root, o.commit, [o.environmentsDir]);
  const baseEntries = tree.filter((e) => o.envRels.includes(e.path) || (e.path.startsWith(`${o.environmentsDir}/`) && e.path.endsWith('.yaml') && !e.path.slice(o.environmentsDir.length + 1).includes('/')));
  const [baseBlobs, nowBlobs] = await Promise.all([readBlobs(o.root, baseEntries.map((e) => e.oid)), o.read(o.envRels)]);
  const envCfg = o.config && isObject(o.config.environments) ? o.config.environments : {};
  const limit = o.config && typeof o.config.history_limit === 'number' ? o.config.history_limit : 50;
  const requiresOf = (env: string): string | null => {
    const e = envCfg[env];
    return isObject(e) && typeof e.requires === 'string' ? e.requires : null;
  };
  const nameOf = (rel: string): string => rel.slice(rel.lastIndexOf('/') + 1, -'.yaml'.length);

  const now = new Map<string, EnvironmentFile | null>();
  for (const rel of o.envRels) now.set(nameOf(rel), await parseEnv(nowBlobs.get(rel)?.bytes));
  const at = (rel: string, pointer: string): { line: number; column: number } => {
    const text = nowBlobs.get(rel)?.bytes?.toString('utf8');
    if (!text) return { line: 1, column: 1 };
    const parsed = parseYaml(text);
    return parsed.issues.length ? { line: 1, column: 1 } : positionOf(parsed, pointer);
  };
  const ptr = (...segs: (string | number)[]): string => segs.map((s) => `/${String(s).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');

  // the entries added since <rev>, per environment file
  const added: { rel: string; env: string; id: string; index: number; entry: HistoryEntry }[] = [];
  const relOfEnv = new Map(o.envRels.map((r) => [nameOf(r), r]));
  for (const b of baseEntries) {
    if (relOfEnv.has(nameOf(b.path))) continue;
    // an environment file deleted since <rev>: every pin in it was removed
    const base = await parseEnv(baseBlobs.get(b.oid));
    if (base && Object.keys(base.prompts).length) {
      out.push({ file: b.path, line: 1, column: 1, rule: 'env-history-rewritten', severity: 'error', message: `${b.path} existed at ${o.rev} with ${Object.keys(base.prompts).length} pin(s) and is gone: history is append-only; restore it (git checkout ${o.rev} -- ${b.path})` });
    }
  }
  for (const rel of o.envRels) {
    const env = nameOf(rel);
    const next = now.get(env);
    if (!next) continue;
    const b = baseEntries.find((e) => e.path === rel);
    const base = b ? await parseEnv(baseBlobs.get(b.oid)) : { environment: env, prompts: {} };
    if (!base) continue; // broken at <rev>: nothing to compare with
    for (const id of new Set([...Object.keys(base.prompts), ...Object.keys(next.prompts)])) {
      const r = appendedEntries(own(base.prompts, id), own(next.prompts, id), limit);
      if (r.problem) {
        const pos = own(next.prompts, id) ? at(rel, ptr('prompts', id, 'history')) : { line: 1, column: 1 };
        out.push({ file: rel, ...pos, rule: 'env-history-rewritten', severity: 'error', message: `${id}: compared with ${o.rev}, ${r.problem}; ${restoreHint(rel)}` });
        continue;
      }
      r.added.forEach((entry, index) => added.push({ rel, env, id, index, entry }));
    }
  }
  if (added.length === 0) return out;

  // a promotion needs its version pinned upstream (the upstream file as it is now, itself checked)
  for (const a of added) {
    if (a.entry.action !== 'promote' && a.entry.action !== 'rollout-start') continue;
    const up = requiresOf(a.env);
    const upFile = up ? now.get(up) : undefined;
    if (up && upFile !== undefined && upFile !== null && !wasPinned(upFile, a.id, a.entry.version)) {
      out.push({
        file: a.rel,
        ...at(a.rel, ptr('prompts', a.id, 'history', a.index)),
        rule: 'env-not-upstream',
        severity: 'error',
        message: `${a.id}: the entry ${describeEntry(a.entry)} added since ${o.rev} promotes ${a.entry.version}, which "${up}" never pinned (per its history), though "${a.env}" requires it: no promotion writes that; ${restoreHint(a.rel)}`,
      });
    }
  }

  // eval evidence must name a suite this repository committed
  const withEval = added.filter((a) => a.entry.eval?.suite_sha256 !== undefined);
  if (withEval.length) {
    const suiteRels = [...new Set(withEval.map((a) => `${o.promptsDir}/${a.id}/${SUITE_FILE}`))];
    const history = await blobsInHistory(o.root, 'HEAD', suiteRels).catch(() => new Map<string, Set<string>>());
    const oids = [...history.values()].flatMap((s) => [...s]);
    const blobs = await readBlobs(o.root, oids);
    const known = new Map<string, Set<string>>();
    for (const [rel, set] of history) known.set(rel, new Set([...set].flatMap((oid) => (blobs.has(oid) ? [sha256(blobs.get(oid)!)] : []))));
    for (const a of withEval) {
      const rel = `${o.promptsDir}/${a.id}/${SUITE_FILE}`;
      const sha = a.entry.eval!.suite_sha256!;
      if (known.get(rel)?.has(sha)) continue;
      out.push({
        file: a.rel,
        ...at(a.rel, ptr('prompts', a.id, 'history', a.index, 'eval')),
        rule: 'env-eval-unknown-suite',
        severity: 'error',
        message: `${a.id}: the eval recorded by ${describeEntry(a.entry)} names suite ${sha.slice(0, 12)}…, which matches no committed version of ${rel}: that evidence was not produced by this repository's suite (commit the suite the gate ran, or re-run the promotion)`,
      });
    }
  }

  // promptrail's commits carry its entries
  if (!o.staged) {
    const commits = await commitsTouching(o.root, o.commit, 'HEAD', o.environmentsDir).catch(() => []);
    for (const a of added) {
      const e = a.entry;
      // a rollout step's subject also names the weight before it, which the entry does not record
      const rollout = e.action !== 'promote' && e.action !== 'rollback';
      const subject = rollout ? rolloutSubject(a.env, a.id, e.from ?? 'none', e.version, 0, e.weight ?? 0).replace(/ 0% -> /, ' <weight>% -> ') : commitSubject(e.action as 'promote' | 'rollback', a.env, a.id, e.from, e.version);
      const [head, tail] = rollout ? subject.split('<weight>%') : [subject, ''];
      const matches = (s: string): boolean => (rollout ? s.startsWith(head!) && s.endsWith(tail!) && /^\d+(\.\d+)?$/.test(s.slice(head!.length, s.length - tail!.length)) : s === subject);
      if (commits.some((c) => matches(c.subject) && c.files.length === 1 && c.files[0] === a.rel)) continue;
      out.push({
        file: a.rel,
        ...at(a.rel, ptr('prompts', a.id, 'history', a.index)),
        rule: 'env-history-unattributed',
        severity: 'warning',
        message: `${a.id}: the entry ${describeEntry(a.entry)} added since ${o.rev} is in no commit of promptrail's ("${subject}", touching ${a.rel} alone); review who wrote it`,
      });
    }
  }
  return out;
}
