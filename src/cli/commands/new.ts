/**
 * `prompts new <id> [--from <ref>]`: creates `prompts/<id>/1.0.0.yaml`, either a valid skeleton
 * or a copy of another version with id/version/created/changes (and author) reset, and its
 * `evals.yaml`: a valid empty suite with a commented example case, or with --from a copy of the
 * source prompt's suite. The id is checked before any path is built; an existing prompt (or
 * suite) is never touched.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConflictError, UsageError } from '../../errors.js';
import { idProblem } from '../../core/ref.js';
import { writeJson, type CommandContext } from '../ui.js';
import { openRegistry } from '../../registry/registry.js';
import { resolveRef } from '../../registry/resolve-ref.js';
import { realDirProblem, removeDeadTempFiles, writeFailure, writeFileExclusive } from '../../registry/files.js';
import { setTopLevelKeys } from '../../registry/yaml-edit.js';
import { authorEmail, isoDate, modeline, partialSkeleton, promptSkeleton, suiteSkeleton, withModeline } from '../../registry/scaffold.js';
import type { PromptFile, SuiteFile } from '../../core/types.js';
import { own } from '../../core/own.js';

export interface NewOptions {
  /** --from <id>@<version>: copy that version */
  from?: string;
  /** --partial: write a partial (kind: partial) instead of a prompt */
  partial?: boolean;
}

export async function run(ctx: CommandContext, args: string[], opts: NewOptions): Promise<number> {
  const id = args[0] ?? '';
  if (opts.partial && opts.from !== undefined) throw new UsageError('--partial and --from cannot be combined', { hint: 'a copy keeps the kind of the version it copies' });
  const problem = idProblem(id);
  if (problem) throw new UsageError(`invalid prompt id "${id}": ${problem}`, { hint: 'ids look like support/triage: lower-case segments joined by "/"' });
  const reg = openRegistry(ctx.cwd);
  const dir = reg.promptDir(id);
  const existing = reg.listVersions(id);
  if (existing.length > 0) {
    throw new UsageError(`prompt "${id}" already exists (versions: ${existing.join(', ')})`, {
      hint: `edit its latest version and run "prompts bump ${id}", or choose another id`,
    });
  }
  // Every folder on the way must be a real folder (or not exist yet): never a file, never a
  // symbolic link (the new version file would be written wherever it leads)
  const bad = realDirProblem(reg.root, dir);
  if (bad) throw new UsageError(`${bad.path} ${bad.why}; a prompt's folder must be a real folder inside ${reg.config.prompts_dir}/`, { hint: bad.why === 'is a symbolic link' ? 'replace the link with a real folder, or choose another id' : 'choose another id or move that file away' });
  const file = path.join(dir, '1.0.0.yaml');
  if (fs.lstatSync(file, { throwIfNoEntry: false })) throw new UsageError(`${reg.rel(file)} already exists`);

  const suiteFile = reg.suitePath(id);
  const keepSuite = fs.existsSync(suiteFile);
  const created = isoDate(new Date());
  const author = await authorEmail(reg.root, ctx.env);
  let isPartial = opts.partial === true;
  let line = modeline(reg.root, file, isPartial ? 'partial' : 'prompt');
  const suiteLine = modeline(reg.root, suiteFile, 'suite');
  let text: string;
  let suiteText = suiteSkeleton({ id, modeline: suiteLine });
  /** cases of a copied suite limited to versions 1.0.0 is not in */
  let outOfRange = 0;
  let from: { id: string; version: string } | undefined;
  if (opts.from !== undefined) {
    const src = resolveRef(reg, opts.from);
    const loaded = reg.loadYaml<PromptFile>(src.file, 'prompt');
    // the source's suite comes along (checked like any suite: a broken one is an error, exit 1)
    const suite = reg.loadSuite(src.id);
    if (suite) {
      suiteText = withModeline(suite.decoded.text, suiteLine);
      const { satisfies } = await import('semver');
      outOfRange = (suite.value as SuiteFile).cases.filter((c) => c.versions !== undefined && !satisfies('1.0.0', c.versions, { includePrerelease: true })).length;
    }
    from = { id: src.id, version: src.version };
    // a copy of a partial is a partial: its modeline names the partial schema
    if ((loaded.value as { kind?: unknown }).kind === 'partial') {
      isPartial = true;
      line = modeline(reg.root, file, 'partial');
    }
    const values: Record<string, string | string[]> = { id, version: '1.0.0', created, changes: [`Copied from ${src.id}@${src.version}`] };
    if (author) values.author = author;
    text = withModeline(setTopLevelKeys(loaded.decoded.text, values, ['version', 'id']), line);
  } else if (opts.partial) {
    text = partialSkeleton({ id, modeline: line, created, author });
  } else {
    const providers = Object.keys(reg.config.providers);
    const provider = providers[0] ?? 'openai';
    if (providers.length === 0) ctx.warn(`warning: prompts.config.yaml declares no providers; set model.provider in ${reg.rel(file)} to one you add there`);
    text = promptSkeleton({ id, modeline: line, created, author, provider, providerType: own(reg.config.providers, provider)?.type });
  }
  removeDeadTempFiles(dir);
  let written: boolean;
  try {
    written = writeFileExclusive(file, text);
  } catch (e) {
    throw writeFailure(e, reg.rel(file));
  }
  if (!written) throw new ConflictError(`${reg.rel(file)} was created by someone else while "prompts new" was running; nothing overwritten`);
  // the suite second: an evals.yaml already there (a folder prepared by hand) is kept as it is
  let suiteWritten: boolean;
  try {
    suiteWritten = !isPartial && !keepSuite && writeFileExclusive(suiteFile, suiteText);
  } catch (e) {
    throw writeFailure(e, reg.rel(suiteFile));
  }

  const rel = reg.rel(file);
  const suiteRel = reg.rel(suiteFile);
  if (ctx.json) {
    writeJson(ctx, { ok: true, id, version: '1.0.0', kind: isPartial ? 'partial' : 'prompt', file: rel, suite: suiteWritten ? suiteRel : null, from: from ? `${from.id}@${from.version}` : null });
    return 0;
  }
  // stdout is for scripts ($EDITOR "$(prompts new x)"): relative to where the command runs
  ctx.stdout.write(`${path.relative(path.resolve(ctx.cwd), file).split(path.sep).join('/')}\n`);
  ctx.info(`created ${isPartial ? 'partial ' : ''}${id}@1.0.0${from ? ` from ${from.id}@${from.version}` : ''}; edit it, then run "prompts validate"${isPartial ? `; include it with uses: { name: ${id}@1.0.0 } and {{> name}}` : ''}`);
  if (isPartial) ctx.info('a partial has no eval suite of its own: the suites of the prompts that include it evaluate it');
  else if (suiteWritten) ctx.info(from && suiteText !== suiteSkeleton({ id, modeline: suiteLine }) ? `copied the eval suite of ${from.id} to ${suiteRel}` : `created ${suiteRel}: an empty eval suite with an example case to uncomment (a gate refuses a version with no cases)`);
  else ctx.info(`kept the existing ${suiteRel}`);
  if (outOfRange) ctx.warn(`warning: ${outOfRange} case(s) of the copied suite have a "versions:" range that ${id}@1.0.0 is not in, so they do not run for it; adjust them in ${suiteRel}`);
  return 0;
}
