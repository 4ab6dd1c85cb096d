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
import { getValidator, versionSchema } from '../../registry/schemas.js';
import { setInPaths, setTopLevelKeys, type PathEdit } from '../../registry/yaml-edit.js';
import { asLoadedVersion, registryLoader, resolveVersion, type LoadedVersion, type RegistryLoader, type VersionValue } from '../../registry/resolved.js';
import type { LoadedYaml } from '../../registry/registry.js';
import type { DecodedFile } from '../../registry/files.js';
import type { ParsedYaml } from '../../registry/yaml.js';
import { parseVersionRef, type ResolvedPrompt } from '../../core/resolve.js';
import { missingInputs, requiredBumpResolved, type MissingInput } from '../../core/partial-rules.js';
import { isObject } from '../../core/json.js';
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

/** Parses committed bytes as a version file (prompt or partial); undefined when they are not a valid one. */
function parseCommitted(bytes: Buffer): PromptFile | undefined {
  return parsedVersion(bytes)?.value as PromptFile | undefined;
}

function parsedVersion(bytes: Buffer): { value: VersionValue; decoded: DecodedFile; parsed: ParsedYaml } | undefined {
  const decoded = decodeRegistryBytes(bytes);
  if (isFileProblem(decoded)) return undefined;
  const parsed = parseYaml(decoded.text);
  if (parsed.issues.length) return undefined;
  return getValidator(versionSchema(parsed.value))(parsed.value) ? { value: parsed.value as VersionValue, decoded, parsed } : undefined;
}

/**
 * Another content of the latest version file (the committed one, or the edit with --use applied)
 * as resolution's root: the same id and version, its partials and parents read from the registry.
 */
function contentAs(reg: Registry, working: LoadedYaml<PromptFile>, id: string, version: string, bytes: Buffer): LoadedVersion | undefined {
  const v = parsedVersion(bytes);
  if (!v) return undefined;
  return asLoadedVersion(id, version, { file: working.file, rel: working.rel, decoded: v.decoded, parsed: v.parsed, value: v.value });
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

interface MovedUses {
  text: string;
  /** each include moved: its name, from and to `<id>@<version>` */
  moved: { name: string; from: string; to: string }[];
  /** inputs added for what the new partials use or require */
  added: MissingInput[];
}

/**
 * --use: the latest content with each include of the given partials moved to the given version,
 * and the inputs the new versions use or require that the prompt does not declare added (with
 * the partial's own property schema; required when the partial requires it). An include the
 * prompt only reaches through another partial cannot move here (that partial is immutable): the
 * message says which partial to bump first.
 */
function moveUses(reg: Registry, loader: RegistryLoader, root: LoadedVersion, wanted: { id: string; version: string; key: string }[]): MovedUses {
  const rel = root.loaded.rel;
  for (const u of wanted) {
    const got = loader.load(u.id, u.version);
    if (!('value' in got)) {
      const versions = 'missing' in got && got.missing === 'version' ? got.versions : [];
      throw new UsageError(`--use ${u.key}: ${'invalid' in got ? `that version file is not valid (${got.invalid})` : versions.length ? `${u.id} has no version ${u.version} (versions: ${versions.join(', ')})` : `there is no partial "${u.id}"`}`);
    }
    if (got.value.kind !== 'partial') throw new UsageError(`--use ${u.key}: ${u.key} is a prompt, not a partial (kind: partial)`);
  }
  const current = resolveVersion(reg, root, loader);
  const effective = current.resolution.uses;
  const own = isObject(root.doc.value.uses) ? (root.doc.value.uses as Record<string, unknown>) : null;
  const idOf = (key: string): string => key.slice(0, key.lastIndexOf('@'));
  const moved: MovedUses['moved'] = [];
  const next: Record<string, string> = { ...effective };
  for (const u of wanted) {
    const names = Object.keys(effective).filter((n) => idOf(effective[n]!) === u.id);
    if (names.length === 0) {
      const via = Object.keys(current.resolved.library.partials).find((k) => idOf(k) === u.id);
      const through = via ? Object.entries(current.resolved.library.partials).find(([, s]) => Object.values(s.uses).includes(via))?.[0] : undefined;
      throw new UsageError(
        through
          ? `${root.doc.id}@${root.doc.version} includes ${via} only through ${through}, which is immutable: bump ${idOf(through)} to use ${u.key} first, then --use ${idOf(through)}@<its new version>`
          : `${root.doc.id}@${root.doc.version} does not include ${u.id}${Object.keys(effective).length ? ` (its uses: ${Object.entries(effective).map(([n, k]) => `${n}: ${k}`).join(', ')})` : ' (it has no uses:)'}`,
        { location: { file: rel }, hint: `declare it under "uses:" yourself, or --use a partial it includes` },
      );
    }
    for (const n of names) {
      if (effective[n] === u.key) continue;
      moved.push({ name: n, from: effective[n]!, to: u.key });
      next[n] = u.key;
    }
  }
  if (moved.length === 0) throw new UsageError(`${root.doc.id}@${root.doc.version} already uses ${wanted.map((u) => u.key).join(', ')}; nothing to move`, { location: { file: rel } });
  // its own uses: edit the entries; inherited ones (extends): this version declares them all
  const edits: PathEdit[] = own ? moved.map((m) => ({ path: ['uses', m.name], value: m.to })) : [{ path: ['uses'], value: next }];
  const text1 = setInPaths(root.loaded.decoded.text, edits);
  const root1 = reparsed(root, text1);
  const res1 = resolveVersion(reg, root1, loader);
  const added = missingInputs(res1.resolved);
  if (added.length === 0) return { text: text1, moved, added };
  const inputs = isObject(root1.doc.value.inputs) ? (root1.doc.value.inputs as Record<string, unknown>) : null;
  const more: PathEdit[] = [];
  if (!inputs && root1.doc.value.extends === undefined) more.push({ path: ['inputs', 'type'], value: 'object' });
  for (const m of added) more.push({ path: ['inputs', 'properties', m.name], value: m.schema });
  const req = added.filter((m) => m.required).map((m) => m.name);
  if (req.length) {
    const have = inputs && Array.isArray(inputs.required) ? (inputs.required as unknown[]).filter((x): x is string => typeof x === 'string') : [];
    more.push({ path: ['inputs', 'required'], value: [...have, ...req.filter((r) => !have.includes(r))] });
  }
  return { text: setInPaths(text1, more), moved, added };
}

/** The same file with other text (already valid YAML): its document for resolution. */
function reparsed(root: LoadedVersion, text: string): LoadedVersion {
  const bytes = Buffer.from(text, 'utf8');
  const v = parsedVersion(bytes);
  if (!v) throw new InternalError(`editing ${root.loaded.rel} for --use produced a file that is not a valid version file`);
  return asLoadedVersion(root.doc.id, root.doc.version, { file: root.loaded.file, rel: root.loaded.rel, decoded: v.decoded, parsed: v.parsed, value: v.value });
}

function preType(level: BumpLevel): ReleaseType {
  return `pre${level}` as ReleaseType;
}

export interface BumpOptions {
  /** --preid rc */
  preid?: string;
  /** -m, --message: changelog lines, repeatable */
  message?: string[];
  /** --use <partial>@<version>, repeatable: move the prompt's uses of that partial to this version */
  use?: string[];
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
  const uses = (opts.use ?? []).map((u) => {
    const r = parseVersionRef(u);
    if ('problem' in r) throw new UsageError(`--use ${r.problem}`, { hint: 'e.g. --use shared/tone@1.3.0' });
    return { ...r, key: `${r.id}@${r.version}` };
  });

  const reg = openRegistry(ctx.cwd);
  const versions = reg.assertPromptExists(id);
  const latest = versions[versions.length - 1]!;
  const latestFile = reg.versionPath(id, latest);
  // The working content of the latest version must itself be a valid prompt (exit 1 otherwise).
  const working = reg.loadYaml<PromptFile>(latestFile, 'prompt');
  const loader = registryLoader(reg);
  const workingRoot = asLoadedVersion(id, latest, working as unknown as LoadedYaml<VersionValue>);
  // with --use, the next version is the working content with its uses moved (and the inputs the new partials need added)
  const moved = uses.length ? moveUses(reg, loader, workingRoot, uses) : null;
  const nextText = moved ? moved.text : working.decoded.text;
  const nextRoot = moved ? reparsed(workingRoot, moved.text) : workingRoot;

  // --- what changed since HEAD -------------------------------------------------------------
  const committed = await committedContent(reg, latestFile);
  const edited = committed.head !== null && !committed.head.equals(working.decoded.bytes);
  let required: RequiredBump | undefined;
  // the level is computed on the resolved prompts: a partial it now includes is part of the change
  const nextResolved = resolveVersion(reg, nextRoot, loader).resolved;
  if (edited || moved) {
    const prevRoot = edited ? contentAs(reg, working, id, latest, committed.head!) : workingRoot;
    if (prevRoot) {
      let prev: ResolvedPrompt | undefined;
      try {
        prev = resolveVersion(reg, prevRoot, registryLoader(reg)).resolved;
      } catch {
        prev = undefined; // the committed content does not resolve (a partial it used is gone): compare it unresolved
      }
      required = prev ? requiredBumpResolved(prev, nextResolved) : requiredBump(prevRoot.loaded.value as PromptFile, nextResolved.prompt);
    } else if (levelArg === undefined) {
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
  if (changes.length === 0 && (edited || moved)) {
    // Changelog lines the user wrote into the edited file win; else the computed reasons.
    const prevChanges = edited ? (parseCommitted(committed.head!)?.changes ?? []) : (working.value.changes ?? []);
    const own = working.value.changes ?? [];
    changes = JSON.stringify(own) !== JSON.stringify(prevChanges) && own.length ? own : (required?.reasons.length ? required.reasons : ['Edited']);
  }
  const created = isoDate(new Date());
  const text = setTopLevelKeys(nextText, { version: next, created, changes }, ['version']);

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
      ...(moved ? { uses: moved.moved, added_inputs: moved.added.map((a) => ({ name: a.name, required: a.required, partial: a.partial })) } : {}),
    });
    return 0;
  }
  // stdout is for scripts ($EDITOR "$(prompts bump x minor)"): relative to where the command runs
  ctx.stdout.write(`${path.relative(path.resolve(ctx.cwd), nextFile).split(path.sep).join('/')}\n`);
  const c = await ctx.cErr();
  ctx.info(`${id} ${latest} -> ${c.bold(next)} (${type}${required && levelArg === undefined ? `, computed from ${moved ? (edited ? 'your edit and --use' : 'the partials it now uses') : 'your edit'}` : ''})`);
  for (const m of moved?.moved ?? []) ctx.info(`  uses.${m.name}: ${m.from} -> ${m.to}`);
  for (const a of moved?.added ?? []) ctx.info(`  added input "${a.name}"${a.required ? ' (required)' : ''}: ${a.partial} uses it`);
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
