/**
 * Phase 5b, the cross-file checks of environment files: which files this run reports (the
 * selection, plus the environment files that pin a selected version, a selected rollout
 * candidate, or a version whose deps include a selected file) and, for every pin reported, that
 * the pinned version exists and its bytes are the promoted bytes (sha256), that every file of its
 * closure has the bytes its `deps` recorded (an edited partial is caught like an edited prompt)
 * and that `deps` lists exactly the closure, that the recorded previous version (the rollback
 * target) exists, and that a running rollout's candidate is pinned like any pin (its file exists,
 * its bytes and its deps' are the ones the rollout started with).
 * And that no version released before (recorded in a history entry, as the version or under
 * its deps) was edited since (released-version-changed).
 */
import { sortVersions } from '../core/ref.js';
import { didYouMean } from '../core/suggest.js';
import { CONFIG_FILE } from '../paths.js';
import { contentSha256 } from '../registry/files.js';
import type { PinFact } from './checks/types.js';
import { isStrictSemver, versionRel } from './layout.js';
import type { ConfigStage } from './phase-config.js';
import type { Checked } from './phase-files.js';
import type { Selection } from './phase-select.js';
import type { Run } from './run.js';
import type { Problem } from './problem.js';
import type { Resolved } from './phase-resolve.js';
import { parseVersionRef } from '../core/resolve.js';

/** The files reported, with the per-file and structural problems of each added to the run. */
export function reportedFiles(run: Run, cfg: ConfigStage, sel: Selection, checked: Checked): { report: Set<string>; pinsToCheck: Map<string, PinFact[]> } {
  const report = new Set<string>();
  const pinsToCheck = new Map<string, PinFact[]>();
  for (const rel of sel.envRels) {
    const pins = checked.outcomes.get(rel)?.pins ?? [];
    if (sel.inSel(rel)) {
      report.add(rel);
      pinsToCheck.set(rel, pins);
    } else {
      const relevant = pins.filter((p) => sel.selected!.has(versionRel(cfg.promptsDir, p.id, p.version)) || (p.rollout !== undefined && sel.selected!.has(versionRel(cfg.promptsDir, p.id, p.rollout.version))) || [...Object.keys(p.deps ?? {}), ...Object.keys(p.rollout?.deps ?? {})].some((k) => sel.selected!.has(depRel(cfg.promptsDir, k) ?? '')));
      if (relevant.length) {
        report.add(rel);
        pinsToCheck.set(rel, relevant);
      }
    }
  }
  for (const rel of sel.layout.files.keys()) if (rel !== CONFIG_FILE && sel.inSel(rel)) report.add(rel);
  for (const [rel, list] of sel.layout.problems) {
    if (!sel.inSel(rel)) continue;
    run.report(rel, list);
    report.add(rel);
  }
  for (const rel of report) {
    const o = checked.outcomes.get(rel);
    if (o) run.report(rel, o.problems);
  }
  return { report, pinsToCheck };
}

/** The version file a deps key (`<id>@<version>`) names, or null for a key that is not one. */
function depRel(promptsDir: string, key: string): string | null {
  const p = parseVersionRef(key);
  return 'problem' in p ? null : versionRel(promptsDir, p.id, p.version);
}

interface PinFinding {
  pin: PinFact;
  /** the pin's key the finding is about (a pointer below the pin: version, sha256, deps/<key> …) */
  field: string;
  rule: string;
  message: string;
  severity: 'error' | 'warning';
}

export async function checkPins(run: Run, cfg: ConfigStage, sel: Selection, checked: Checked, pinsToCheck: Map<string, PinFact[]>, resolved?: Resolved): Promise<void> {
  const { promptsDir, environmentsDir } = cfg;
  const { src } = run;
  const { shas } = checked;
  const pinned = new Set<string>();
  // a partial --staged listing may not show a dep's folder: reading tells whether it exists
  const depRels = new Set<string>();
  for (const pins of pinsToCheck.values()) {
    for (const p of pins) {
      pinned.add(versionRel(promptsDir, p.id, p.version));
      if (p.rollout) pinned.add(versionRel(promptsDir, p.id, p.rollout.version));
      for (const k of [...Object.keys(p.deps ?? {}), ...Object.keys(p.rollout?.deps ?? {})]) {
        const r = depRel(promptsDir, k);
        if (r) depRels.add(r);
      }
    }
  }
  const missingSha = [...pinned, ...depRels].filter((r) => (sel.versionExists(r) || depRels.has(r)) && !shas.has(r));
  if (missingSha.length) {
    const more = await src.read(missingSha);
    for (const [rel, b] of more) if (b.bytes) shas.set(rel, contentSha256(b.bytes));
  }
  const pPrefix = `${promptsDir}/`;
  for (const [envRel, pins] of pinsToCheck) {
    const found: PinFinding[] = [];
    const envName = envRel.slice(envRel.lastIndexOf('/') + 1, -5);
    for (const pin of pins) {
      // a hand-edited pin is reported as such (env-history-tampered), not as a changed or missing file
      if (pin.tampered) continue;
      if (pin.rollout) checkCandidate(pin, pin.rollout, versionRel(promptsDir, pin.id, pin.rollout.version), envName, sel, shas, found);
      const vr = versionRel(promptsDir, pin.id, pin.version);
      if (!sel.versionExists(vr)) {
        const present = sel.versionsOf(pin.id);
        const versions = present.length ? present : undefined;
        let message: string;
        if (sel.deleted.has(vr)) message = `${vr} is pinned in ${envName} but its deletion is staged; version files that were promoted must stay (unstage the deletion: git restore --staged ${vr})`;
        else if (!versions) {
          if (run.partial) {
            // a partial --staged listing knows only the changed folders: suggest from all ids
            run.partial = false;
            for (const e of await src.list([promptsDir, environmentsDir])) {
              if (e.rel.startsWith(pPrefix) && e.rel.endsWith('.yaml') && e.rel.lastIndexOf('/') > pPrefix.length) sel.allIds.add(e.rel.slice(pPrefix.length, e.rel.lastIndexOf('/')));
            }
          }
          const s = didYouMean(pin.id, sel.allIds);
          message = `pins prompt "${pin.id}", which does not exist${s ? `; did you mean "${s}"?` : ''} (restore ${vr} or roll the pin back)`;
        } else message = `pins ${pin.id}@${pin.version}, but ${vr} does not exist (versions: ${sortVersions(versions).join(', ')}); restore the file`;
        found.push({ pin, field: 'version', rule: 'pin-missing-version', message, severity: 'error' });
        continue;
      }
      const actual = shas.get(vr);
      if (actual !== undefined && actual !== pin.sha256) {
        found.push({
          pin,
          field: 'sha256',
          rule: 'pin-sha-mismatch',
          message: `${vr} changed after it was promoted to ${envName} (sha256 ${pin.sha256.slice(0, 12)}… recorded, ${actual.slice(0, 12)}… now); version files are immutable: restore the promoted bytes (git restore --source=HEAD --staged --worktree -- ${vr}, or from the commit that promoted it if the edit is committed) and put the change in a new version (edit the latest version, then prompts bump)`,
          severity: 'error',
        });
      }
      found.push(...(await depFindings(pin, { version: pin.version, deps: pin.deps, prefix: '' }, envName, promptsDir, sel, shas, checked, resolved)));
      if (pin.rollout && sel.versionExists(versionRel(promptsDir, pin.id, pin.rollout.version))) {
        found.push(...(await depFindings(pin, { version: pin.rollout.version, deps: pin.rollout.deps, prefix: 'rollout/' }, envName, promptsDir, sel, shas, checked, resolved)));
      }
      if (pin.previous !== null && isStrictSemver(pin.previous) && !sel.versionExists(versionRel(promptsDir, pin.id, pin.previous))) {
        found.push({ pin, field: 'previous', rule: 'pin-previous-missing', message: `previous version ${pin.id}@${pin.previous} (the rollback target) does not exist; rollback would fail`, severity: 'warning' });
      }
    }
    if (found.length) {
      // positions: only now is the env file parsed with the careful parser
      const text = (await src.read([envRel])).get(envRel)?.bytes?.toString('utf8') ?? '';
      const { parseYaml, positionOf } = await import('../registry/yaml.js');
      const parsed = parseYaml(text);
      for (const f of found) {
        const pos = parsed.issues.length ? { line: 1, column: 1 } : positionOf(parsed, `/prompts/${escapeKey(f.pin.id)}/${f.field}`);
        run.problems.push({ file: envRel, line: pos.line, column: pos.column, rule: f.rule, message: f.message, severity: f.severity });
      }
    }
  }
}

/** A running rollout's candidate: its file must exist with the bytes the rollout started with. */
function checkCandidate(pin: PinFact, r: { version: string; sha256: string }, vr: string, envName: string, sel: Selection, shas: Map<string, string>, found: PinFinding[]): void {
  if (!sel.versionExists(vr)) {
    const message = sel.deleted.has(vr)
      ? `${vr} is the candidate of a rollout in ${envName} but its deletion is staged; unstage it (git restore --staged ${vr}) or abort the rollout first`
      : `rolls out ${pin.id}@${r.version} (the candidate), but ${vr} does not exist; restore the file, or abort the rollout ("prompts rollout abort ${pin.id} --env ${envName} --reason <text>")`;
    found.push({ pin, field: 'rollout/version', rule: 'rollout-missing-version', message, severity: 'error' });
    return;
  }
  const actual = shas.get(vr);
  if (actual !== undefined && actual !== r.sha256) {
    found.push({
      pin,
      field: 'rollout/sha256',
      rule: 'rollout-sha-mismatch',
      message: `${vr} changed after its rollout started in ${envName} (sha256 ${r.sha256.slice(0, 12)}… recorded, ${actual.slice(0, 12)}… now); version files are immutable: restore the bytes the rollout serves (git restore --source=HEAD --staged --worktree -- ${vr}) and put the change in a new version`,
      severity: 'error',
    });
  }
}

/**
 * Released means immutable, without --base: a selected version file whose bytes some
 * environment recorded when it pinned them (a history entry's sha256) must still have one of the
 * recorded digests, even when no environment pins it now. The versions pinned now are
 * pin-sha-mismatch's (reported on the environment file); this reports the edited file itself, so
 * the pre-commit hook (`validate --staged`) stops the edit of an old release before a rollback
 * to it fails on the emergency path.
 */
export function checkReleased(run: Run, cfg: ConfigStage, sel: Selection, checked: Checked): void {
  const active = new Set<string>();
  /** version file -> its recorded digests, each with the first environment that recorded it */
  const recorded = new Map<string, Map<string, string>>();
  for (const envRel of sel.envRels) {
    const pins = checked.outcomes.get(envRel)?.pins;
    if (!pins) continue;
    const env = envRel.slice(envRel.lastIndexOf('/') + 1, -5);
    for (const p of pins) {
      active.add(versionRel(cfg.promptsDir, p.id, p.version));
      if (p.rollout) active.add(versionRel(cfg.promptsDir, p.id, p.rollout.version));
      // the versions it pinned before, and the partials and parents they were resolved from (deps)
      const released: [string, string][] = [...(p.released ?? []).map(([v, sha]) => [`${p.id}@${v}`, sha] as [string, string]), ...(p.releasedDeps ?? [])];
      for (const [key, sha] of released) {
        const rel = depRel(cfg.promptsDir, key);
        if (rel === null) continue;
        if (!sel.inSel(rel)) continue;
        let m = recorded.get(rel);
        if (!m) recorded.set(rel, (m = new Map()));
        if (!m.has(sha)) m.set(sha, env);
      }
    }
  }
  // deps pinned now are pin-dep-changed's (reported on the environment file)
  for (const envRel of sel.envRels) {
    for (const p of checked.outcomes.get(envRel)?.pins ?? []) {
      for (const k of [...Object.keys(p.deps ?? {}), ...Object.keys(p.rollout?.deps ?? {})]) {
        const r = depRel(cfg.promptsDir, k);
        if (r) active.add(r);
      }
    }
  }
  for (const [rel, digests] of recorded) {
    if (active.has(rel) || !sel.versionExists(rel)) continue;
    const now = checked.shas.get(rel);
    if (now === undefined || digests.has(now)) continue;
    const [sha, env] = digests.entries().next().value!;
    run.problems.push({
      file: rel,
      line: 1,
      column: 1,
      rule: 'released-version-changed',
      message: `${rel} was released (promoted to ${env} with sha256 ${sha.slice(0, 12)}…) and changed since (${now.slice(0, 12)}… now); version files are immutable: restore the released bytes (git log -p -- ${rel} shows the edit) and put the change in a new version (edit the latest version, then prompts bump)`,
      severity: 'error',
    });
  }
}

/** how many tracked state files are named one by one */
const TRACKED_SHOWN = 20;

/**
 * `state-tracked`: files under .prompts/ that git tracks. Local state (eval reports, caches, the
 * validate memo) is never evidence, so validate, eval and promote ignore such files; a pull
 * request that commits them is reported, with the fix.
 */
export function stateTracked(tracked: ReadonlySet<string>): Problem[] {
  const all = [...tracked].sort();
  return all.slice(0, TRACKED_SHOWN).map((file, i) => ({
    file,
    line: 1,
    column: 1,
    rule: 'state-tracked',
    severity: 'error' as const,
    message: `${file} is tracked by git, but .prompts/ holds local state (eval reports, caches, locks), which promptrail never takes as evidence: untrack it with "git rm --cached -r .prompts" and keep .prompts/ in .gitignore${i === TRACKED_SHOWN - 1 && all.length > TRACKED_SHOWN ? ` (and ${all.length - TRACKED_SHOWN} more tracked files under .prompts/)` : ''}`,
  }));
}

const escapeKey = (k: string): string => k.replace(/~/g, '~0').replace(/\//g, '~1');

/**
 * The deps of one pin: each recorded file exists with the recorded bytes, and the recorded keys
 * are exactly the closure of the pinned version (a pin of a version with partials and no deps,
 * or deps a hand edit trimmed, would let a partial change unseen).
 */
async function depFindings(
  pin: PinFact,
  target: { version: string; deps?: Record<string, string>; prefix: '' | 'rollout/' },
  envName: string,
  promptsDir: string,
  sel: Selection,
  shas: Map<string, string>,
  checked: Checked,
  resolved: Resolved | undefined,
): Promise<PinFinding[]> {
  const out: PinFinding[] = [];
  const deps = target.deps ?? {};
  const vr = versionRel(promptsDir, pin.id, target.version);
  const ver = target.version;
  const what = target.prefix ? `the rollout candidate ${pin.id}@${ver}` : `${pin.id}@${ver}`;
  for (const [key, recorded] of Object.entries(deps)) {
    const rel = depRel(promptsDir, key);
    const field = `${target.prefix}deps/${escapeKey(key)}`;
    if (rel === null) continue; // the schema reports a key that is not <id>@<version>
    if (!sel.versionExists(rel) && !shas.has(rel)) {
      out.push({ pin, field, rule: 'pin-dep-missing', severity: 'error', message: `${what} was pinned in ${envName} with ${key}, but ${rel} does not exist; restore the file (pinned versions and what they include must stay)` });
      continue;
    }
    const actual = shas.get(rel);
    if (actual !== undefined && actual !== recorded) {
      out.push({
        pin,
        field,
        rule: 'pin-dep-changed',
        severity: 'error',
        message: `${rel} changed after ${what} was pinned in ${envName} with it (sha256 ${recorded.slice(0, 12)}… recorded, ${actual.slice(0, 12)}… now); version files are immutable, partials too: restore the promoted bytes (git restore --source=HEAD --staged --worktree -- ${rel}) and put the change in a new version (prompts bump ${key.slice(0, key.lastIndexOf('@'))}, then prompts bump ${pin.id} --use ${key.slice(0, key.lastIndexOf('@'))}@<new>)`,
      });
    }
  }
  if (resolved && (target.deps !== undefined || checked.outcomes.get(vr)?.res !== undefined)) {
    const closure = await resolved.closureOf(pin.id, ver);
    if (closure) {
      const missing = Object.keys(closure).filter((k) => !Object.hasOwn(deps, k));
      const extra = Object.keys(deps).filter((k) => !Object.hasOwn(closure, k));
      if (missing.length || extra.length) {
        const why = [missing.length ? `it does not record ${missing.join(', ')}, which ${what} is resolved from` : '', extra.length ? `it records ${extra.join(', ')}, which ${what} does not use` : ''].filter(Boolean).join('; ');
        out.push({ pin, field: `${target.prefix}${target.deps ? 'deps' : 'sha256'}`, rule: 'pin-deps-mismatch', severity: 'error', message: `the deps of ${what} in ${envName} are not its closure: ${why}; environment files are written by prompts promote: promote the version again (or roll back) instead of editing deps` });
      }
    }
  }
  return out;
}
