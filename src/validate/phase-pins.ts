/**
 * Phase 5a, the cross-file checks of environment files: which files this run reports (the
 * selection, plus the environment files that pin a selected version) and, for every pin
 * reported, that the pinned version exists and its bytes are the promoted bytes (sha256), that
 * the recorded previous version (the rollback target) exists, and that a running rollout's
 * candidate is pinned like any pin (its file exists, its bytes are the ones the rollout started with);
 * and that no version released before (recorded in a history entry) was edited since
 * (released-version-changed).
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
      const relevant = pins.filter((p) => sel.selected!.has(versionRel(cfg.promptsDir, p.id, p.version)) || (p.rollout !== undefined && sel.selected!.has(versionRel(cfg.promptsDir, p.id, p.rollout.version))));
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

interface PinFinding {
  pin: PinFact;
  field: 'version' | 'sha256' | 'previous' | 'rollout/version' | 'rollout/sha256';
  rule: string;
  message: string;
  severity: 'error' | 'warning';
}

export async function checkPins(run: Run, cfg: ConfigStage, sel: Selection, checked: Checked, pinsToCheck: Map<string, PinFact[]>): Promise<void> {
  const { promptsDir, environmentsDir } = cfg;
  const { src } = run;
  const { shas } = checked;
  const pinned = new Set<string>();
  for (const pins of pinsToCheck.values()) {
    for (const p of pins) {
      pinned.add(versionRel(promptsDir, p.id, p.version));
      if (p.rollout) pinned.add(versionRel(promptsDir, p.id, p.rollout.version));
    }
  }
  const missingSha = [...pinned].filter((r) => sel.versionExists(r) && !shas.has(r));
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
        const pos = parsed.issues.length ? { line: 1, column: 1 } : positionOf(parsed, `/prompts/${f.pin.id.replace(/~/g, '~0').replace(/\//g, '~1')}/${f.field}`);
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
      for (const [version, sha] of p.released ?? []) {
        if (!isStrictSemver(version)) continue;
        const rel = versionRel(cfg.promptsDir, p.id, version);
        if (!sel.inSel(rel)) continue;
        let m = recorded.get(rel);
        if (!m) recorded.set(rel, (m = new Map()));
        if (!m.has(sha)) m.set(sha, env);
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
