/**
 * `prompts bump <id> [level] [--preid rc] [-m <change>]...`
 *
 * Version files are immutable, so a change is made by editing the latest version in place and
 * running `prompts bump <id>`: the edited content becomes the next version file and the latest
 * file goes back to its committed bytes. Without a level, the level is computed from the change
 * (semver-rules) and explained; an explicit level smaller than the change needs is refused.
 * With nothing edited (or outside git) an explicit level copies the latest version.
 *
 * Order of effects: all checks, then write the new file (exclusive create), then restore the
 * latest file. If the restore fails, the edit is already safe in the new file: nothing is lost.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CheckFailed, ConflictError, InternalError, UsageError } from '../../errors.js';
import { writeJson, type CommandContext } from '../ui.js';
import { openRegistry, type Registry } from '../../registry/registry.js';
import { writeFileAtomic, writeFileExclusive, writeFailure, decodeRegistryBytes, isFileProblem, readRegularFile, realDirProblem, removeDeadTempFiles } from '../../registry/files.js';
import { parseYaml } from '../../registry/yaml.js';
import { getValidator } from '../../registry/schemas.js';
import { setTopLevelKeys } from '../../registry/yaml-edit.js';
import { isoDate } from '../../registry/scaffold.js';
import { gitTopLevel } from '../../git/repo.js';
import { committedBytes, pathsDifferingFromHead, unstageIfStaged } from '../../git/worktree.js';
import { didYouMean } from '../../core/suggest.js';
import { idProblem } from '../../core/ref.js';
import {
  bumpSatisfies,
  isReleaseType,
  nextVersion,
  releaseTypeFor,
  stepLevel,
  RELEASE_TYPES,
  type BumpLevel,
  type ReleaseType,
  type RequiredBump,
  requiredBump,
} from '../../core/semver-rules.js';
import type { PromptFile } from '../../core/types.js';
import { caseFacts } from '../../validate/checks/suite.js';
import { inputFacts } from '../../validate/checks/prompt.js';
import { casesPassingUndeclared } from '../../validate/phase-suites.js';

const PREID = /^[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*$/;

interface Committed {
  /** the latest file is tracked and HEAD has content for it */
  head: Buffer | null;
  /** repo-relative path of the latest file, when in git */
  gitPath: string | null;
  top: string | null;
}

async function committedContent(reg: Registry, file: string): Promise<Committed> {
  const top = await gitTopLevel(reg.root);
  if (!top) return { head: null, gitPath: null, top: null };
  let realFile = file;
  try {
    realFile = path.join(fs.realpathSync(path.dirname(file)), path.basename(file));
  } catch {
    /* keep */
  }
  const gitPath = path.relative(fs.realpathSync(top), realFile).split(path.sep).join('/');
  // as a checkout would write it (core.autocrlf, .gitattributes eol): the raw blob of a CRLF
  // checkout differs from the file in every byte of line ending, which looked like an edit
  return { head: await committedBytes(top, gitPath), gitPath, top };
}

/** Parses committed bytes as a prompt; undefined when they are not a valid prompt file. */
function parseCommitted(bytes: Buffer): PromptFile | undefined {
  const decoded = decodeRegistryBytes(bytes);
  if (isFileProblem(decoded)) return undefined;
  const parsed = parseYaml(decoded.text);
  if (parsed.issues.length) return undefined;
  return getValidator('prompt')(parsed.value) ? (parsed.value as PromptFile) : undefined;
}

/** Version files of `id` other than `latest` that differ from HEAD (registry-relative paths). */
async function modifiedOlderVersions(top: string, reg: Registry, id: string, latest: string): Promise<string[]> {
  try {
    const dir = fs.realpathSync(reg.promptDir(id));
    const changed = await pathsDifferingFromHead(top, path.relative(fs.realpathSync(top), dir) || '.');
    return changed
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => path.join(fs.realpathSync(top), f))
      .filter((abs) => path.dirname(abs) === dir && path.basename(abs) !== `${latest}.yaml` && path.basename(abs) !== 'evals.yaml')
      .map((abs) => reg.rel(abs));
  } catch {
    return [];
  }
}

function preType(level: BumpLevel): ReleaseType {
  return `pre${level}` as ReleaseType;
}

export interface BumpOptions {
  /** --preid rc */
  preid?: string;
  /** -m, --message: changelog lines, repeatable */
  message?: string[];
}

export async function run(ctx: CommandContext, args: string[], opts: BumpOptions): Promise<number> {
  const id = args[0] ?? '';
  const levelArg = args[1];
  const { preid } = opts;
  const messages = opts.message ?? [];

  // --- usage checks (exit 2) -------------------------------------------------------------
  const problem = idProblem(id);
  if (problem) throw new UsageError(`invalid prompt id "${id}": ${problem}`);
  if (levelArg !== undefined && !isReleaseType(levelArg)) {
    const s = didYouMean(levelArg, RELEASE_TYPES);
    throw new UsageError(`unknown bump level "${levelArg}"${s ? `; did you mean "${s}"?` : ''}`, { hint: `levels: ${RELEASE_TYPES.join(', ')}, or none to compute it from your edit` });
  }
  if (preid !== undefined && !PREID.test(preid)) {
    throw new UsageError(`--preid "${preid}" is not a valid prerelease identifier`, { hint: 'use letters, digits and "-", e.g. rc or beta' });
  }
  if (preid !== undefined && levelArg !== undefined && !levelArg.startsWith('pre')) {
    throw new UsageError(`--preid applies to prerelease levels, not "${levelArg}"`, { hint: 'use premajor, preminor, prepatch or prerelease, or omit the level' });
  }
  for (const m of messages) if (m.trim() === '') throw new UsageError('-m needs a non-empty change description');

  const reg = openRegistry(ctx.cwd);
  const versions = reg.assertPromptExists(id);
  const latest = versions[versions.length - 1]!;
  const latestFile = reg.versionPath(id, latest);
  // The working content of the latest version must itself be a valid prompt (exit 1 otherwise).
  const working = reg.loadYaml<PromptFile>(latestFile, 'prompt');

  // --- what changed since HEAD -------------------------------------------------------------
  const committed = await committedContent(reg, latestFile);
  const edited = committed.head !== null && !committed.head.equals(working.decoded.bytes);
  let required: RequiredBump | undefined;
  if (edited) {
    const prev = parseCommitted(committed.head!);
    if (prev) required = requiredBump(prev, working.value);
    else if (levelArg === undefined) {
      throw new UsageError(`the committed ${working.rel} is not a valid prompt file, so the bump level cannot be computed`, { hint: 'pass a level: major, minor or patch' });
    }
  } else if (levelArg === undefined) {
    if (!committed.top) {
      throw new UsageError(`the registry ${reg.root} is not in a git repository, so there is no committed version to compare an edit with`, {
        hint: `pass a level: prompts bump ${id} major|minor|patch|prerelease`,
      });
    }
    if (committed.head === null) {
      throw new UsageError(`${working.rel} is not committed yet, so there is nothing to compare it with`, { hint: `commit it first, or pass a level: prompts bump ${id} patch` });
    }
    throw new UsageError(`nothing changed in ${working.rel} since HEAD; edit the latest version or pass a level`, {
      hint: `edit ${working.rel} and run "prompts bump ${id}", or "prompts bump ${id} patch" to copy it`,
    });
  }

  // --- the next version ----------------------------------------------------------------------
  let type: ReleaseType;
  if (levelArg !== undefined) type = levelArg as ReleaseType;
  else {
    const level = releaseTypeFor(latest, required!.level);
    if (preid === undefined) type = level;
    else {
      // On a prerelease line (2.0.0-rc.0) the next prerelease (rc.1) is enough when it satisfies the change.
      const nextPre = nextVersion(latest, 'prerelease', preid);
      type = latest.includes('-') && nextPre && bumpSatisfies(latest, nextPre, required!.level) ? 'prerelease' : preType(level);
    }
  }
  const next = nextVersion(latest, type, preid);
  if (!next) throw new InternalError(`cannot compute the ${type} version after ${latest}`);
  // A prerelease with a new --preid can sort BEFORE the latest (1.2.1-rc.0 → 1.2.1-beta.0):
  // the new file would not be the latest version, and the next bump would skip it.
  if (stepLevel(latest, next) === undefined) {
    throw new UsageError(`${latest} -> ${next} would go backwards: ${next} sorts before ${latest} in semver order`, {
      hint: `continue the current line with "prompts bump ${id} prerelease", use a later --preid (alphabetically after the current one), or start a new line with prepatch, preminor or premajor`,
    });
  }
  if (required && !bumpSatisfies(latest, next, required.level)) {
    const got = stepLevel(latest, next) ?? 'no';
    const needed = releaseTypeFor(latest, required.level);
    throw new CheckFailed(`${latest} -> ${next} is a ${got} bump, but your edit needs a ${required.level} bump: ${required.findings.filter((f) => f.level === required.level).map((f) => f.reason).join('; ')}`, {
      location: { file: working.rel },
      hint: `run "prompts bump ${id} ${preid !== undefined || type.startsWith('pre') ? preType(needed) : needed}"${preid ? ` --preid ${preid}` : ''}, or omit the level`,
    });
  }
  const nextFile = reg.versionPath(id, next);
  const bad = realDirProblem(reg.root, path.dirname(nextFile));
  if (bad) throw new UsageError(`${bad.path} ${bad.why}; a prompt's folder must be a real folder inside ${reg.config.prompts_dir}/`);
  if (fs.lstatSync(nextFile, { throwIfNoEntry: false })) throw new UsageError(`${reg.rel(nextFile)} already exists`, { hint: 'version files are immutable; pick another level' });

  let changes = messages;
  if (changes.length === 0 && edited) {
    // Changelog lines the user wrote into the edited file win; else the computed reasons.
    const prevChanges = parseCommitted(committed.head!)?.changes ?? [];
    const own = working.value.changes ?? [];
    changes = JSON.stringify(own) !== JSON.stringify(prevChanges) && own.length ? own : (required?.reasons.length ? required.reasons : ['Edited']);
  }
  const created = isoDate(new Date());
  const text = setTopLevelKeys(working.decoded.text, { version: next, created, changes }, ['version']);

  // --- apply: new file first, then restore the latest -----------------------------------------
  removeDeadTempFiles(path.dirname(nextFile));
  let written: boolean;
  try {
    written = writeFileExclusive(nextFile, text);
  } catch (e) {
    throw writeFailure(e, reg.rel(nextFile));
  }
  if (!written) throw new ConflictError(`${reg.rel(nextFile)} appeared while bumping; nothing was changed`);
  let restored = false;
  if (edited) {
    // Re-check that nobody changed the file since we read it, then put back the committed bytes.
    const now = readRegularFile(latestFile);
    if (!Buffer.isBuffer(now)) {
      throw new InternalError(`wrote ${reg.rel(nextFile)}, but could not re-read ${working.rel} to restore it: ${now.message}`, { hint: `restore it yourself with: git checkout HEAD -- ${committed.gitPath}` });
    }
    if (!now.equals(working.decoded.bytes)) {
      throw new ConflictError(`${working.rel} changed while bumping; wrote ${reg.rel(nextFile)} from the content read first and left ${working.rel} as is`, {
        hint: `compare the two files, then restore ${working.rel} with: git checkout HEAD -- ${committed.gitPath}`,
      });
    }
    try {
      writeFileAtomic(latestFile, committed.head!);
      restored = true;
    } catch (e) {
      throw new InternalError(`wrote ${reg.rel(nextFile)}, but could not restore ${working.rel}: ${(e as Error).message}`, { hint: `your edit is safe in ${reg.rel(nextFile)}; restore the old file with: git checkout HEAD -- ${committed.gitPath}` });
    }
    // If the edit was staged, unstage it too: the index must not carry a change to an immutable file.
    try {
      await unstageIfStaged(committed.top!, committed.gitPath!);
    } catch {
      ctx.warn(`warning: could not unstage ${working.rel}; run: git restore --staged ${committed.gitPath}`);
    }
  }

  // Released versions are immutable: name any whose content is no longer what an environment
  // recorded when it pinned it (validate fails on it: released-version-changed), committed or not
  const { changedReleases } = await import('../../registry/released.js');
  const released = changedReleases(reg, id);
  for (const x of released) {
    const r = x.recorded[0]!;
    ctx.warn(`warning: ${x.rel} was released (promoted to ${r.env} with sha256 ${r.sha256.slice(0, 12)}…) and its content changed since (${x.now.slice(0, 12)}… now); version files are immutable: restore the released bytes (git log -p -- ${x.rel} shows the edit)`);
  }
  // Older versions are immutable too: point out edits to them (validate --base would fail).
  const otherEdits = (committed.top ? await modifiedOlderVersions(committed.top, reg, id, latest) : []).filter((f) => !released.some((x) => x.rel === f));
  for (const f of otherEdits) ctx.warn(`warning: ${f} differs from HEAD; version files are immutable (restore it with: git checkout HEAD -- ${f})`);

  // Suite cases that still pass inputs the new version no longer declares: eval of it would reject them
  const stale = staleCases(reg, id, next, working.value);
  for (const sc of stale) {
    ctx.warn(`warning: suite case "${sc.name}" passes ${sc.vars.map((v) => `"${v}"`).join(', ')}, which ${next} does not declare (eval of ${next} would reject the case); limit it with versions: "<${next}" in ${reg.rel(reg.suitePath(id))}, or drop the var`);
  }

  const level = stepLevel(latest, next);
  if (ctx.json) {
    writeJson(ctx, {
      ok: true,
      id,
      from: latest,
      version: next,
      file: reg.rel(nextFile),
      release: type,
      level,
      required: required?.level ?? null,
      reasons: required?.reasons ?? [],
      edited,
      restored: restored ? working.rel : null,
      changes,
      released_changed: released.map((x) => x.rel),
      stale_cases: stale,
    });
    return 0;
  }
  // stdout is for scripts ($EDITOR "$(prompts bump x minor)"): relative to where the command runs
  ctx.stdout.write(`${path.relative(path.resolve(ctx.cwd), nextFile).split(path.sep).join('/')}\n`);
  const c = await ctx.cErr();
  ctx.info(`${id} ${latest} -> ${c.bold(next)} (${type}${required && levelArg === undefined ? `, computed from your edit` : ''})`);
  if (required) {
    if (required.reasons.length === 0) ctx.info('  no content change besides metadata');
    for (const f of required.findings) ctx.info(`  ${f.level.padEnd(5)} ${f.reason}`);
  }
  if (restored) ctx.info(`restored ${working.rel} to its committed content (version files are immutable)`);
  if (changes.length === 0) ctx.info(`note: no -m given; describe the change under "changes:" in ${reg.rel(nextFile)}`);
  return 0;
}

/** The suite's cases applying to `version` that pass inputs its closed inputs do not declare (none without a readable suite). */
function staleCases(reg: Registry, id: string, version: string, prompt: PromptFile): { name: string; vars: string[] }[] {
  let suite: unknown;
  try {
    suite = fs.existsSync(reg.suitePath(id)) ? reg.loadSuite(id)?.value : undefined;
  } catch {
    return []; // an invalid suite is validate's to report
  }
  if (suite === null || typeof suite !== 'object') return [];
  return casesPassingUndeclared(caseFacts(suite as Record<string, unknown>), version, inputFacts(prompt as unknown as Record<string, unknown>));
}
