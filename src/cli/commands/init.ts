/**
 * `prompts init [--example]`: creates a registry in the current (or -C) folder. Like `git init`
 * it is safe to run again: it never overwrites a file, creates whatever is missing and reports
 * what it kept ("Reinitialized … nothing overwritten"). Every check happens before the first write.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UsageError } from '../../errors.js';
import { cliCommand } from '../invocation.js';
import { writeJson, type CommandContext } from '../ui.js';
import { loadConfigFile, resolveConfig } from '../../registry/registry.js';
import { CONFIG_FILE, findRoot, SCHEMAS_DIR, SUITE_FILE } from '../../paths.js';
import { isInside, readRegistryFileOrThrow, writeFileAtomic, writeFileExclusive } from '../../registry/files.js';
import { authorEmail, DEFAULT_CONFIG, EXAMPLE_ID, examplePrompt, exampleSuite, gitattributesWithEol, gitignoreWithState, isoDate, modeline } from '../../registry/scaffold.js';

type Kind = 'file' | 'dir';

interface Step {
  rel: string;
  kind: Kind;
  /** absolute path */
  abs: string;
  /** file content to create; for .gitignore the full new content */
  content?: string;
  /** append to an existing file (.gitignore) instead of creating */
  update?: boolean;
}

interface Outcome {
  created: string[];
  updated: string[];
  existing: string[];
  kept: { path: string; reason: string }[];
}

function statOf(p: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(p);
  } catch {
    return undefined;
  }
}

export interface InitOptions {
  /** --example: add a working sample prompt and suite */
  example?: boolean;
}

export async function run(ctx: CommandContext, _args: string[], opts: InitOptions): Promise<number> {
  const root = path.resolve(ctx.cwd);
  const rootStat = statOf(root);
  if (!rootStat) throw new UsageError(`folder ${root} does not exist`, { hint: 'create it first, or pass -C <existing folder>' });
  if (!fs.statSync(root).isDirectory()) throw new UsageError(`${root} is not a folder`);

  const outcome: Outcome = { created: [], updated: [], existing: [], kept: [] };
  const steps: Step[] = [];
  const rel = (abs: string): string => path.relative(root, abs).split(path.sep).join('/') || '.';

  // 1. the config: keep an existing one (it must be valid: everything else depends on it)
  const configAbs = path.join(root, CONFIG_FILE);
  const configStat = statOf(configAbs);
  const reinit = configStat !== undefined;
  let promptsDirName = 'prompts';
  let envDirName = 'environments';
  // the example runs on an echo provider; an existing config may call it something else
  let echoProvider: string | undefined = 'offline';
  if (reinit) {
    const cfg = resolveConfig(loadConfigFile(root));
    promptsDirName = cfg.prompts_dir;
    envDirName = cfg.environments_dir;
    echoProvider = Object.entries(cfg.providers).find(([, p]) => p.type === 'echo')?.[0];
    outcome.existing.push(CONFIG_FILE);
  } else {
    steps.push({ rel: CONFIG_FILE, kind: 'file', abs: configAbs, content: DEFAULT_CONFIG });
  }
  const parent = findRoot(path.dirname(root));
  const nested = !reinit && parent !== undefined && parent !== root ? parent : undefined;

  // 2. folders
  const promptsDir = path.resolve(root, promptsDirName);
  const envDir = path.resolve(root, envDirName);
  for (const [name, dir] of [['prompts_dir', promptsDir], ['environments_dir', envDir]] as const) {
    if (!isInside(root, dir)) throw new UsageError(`${name} "${rel(dir)}" leaves the registry folder`, { location: { file: CONFIG_FILE } });
  }
  for (const dir of [promptsDir, envDir, path.join(root, 'schemas')]) {
    const st = statOf(dir);
    if (st && !st.isDirectory() && !(st.isSymbolicLink() && fs.statSync(dir).isDirectory())) {
      throw new UsageError(`${rel(dir)} exists but is not a folder`, { hint: 'move it away and run "prompts init" again' });
    }
    if (st) outcome.existing.push(`${rel(dir)}/`);
    else steps.push({ rel: `${rel(dir)}/`, kind: 'dir', abs: dir });
  }

  // 3. the JSON schemas, so the modelines resolve in editors
  const schemaFiles = fs.readdirSync(SCHEMAS_DIR).filter((f) => f.endsWith('.schema.json')).sort();
  for (const f of schemaFiles) {
    const abs = path.join(root, 'schemas', f);
    const shipped = fs.readFileSync(path.join(SCHEMAS_DIR, f));
    const st = statOf(abs);
    if (!st) {
      steps.push({ rel: `schemas/${f}`, kind: 'file', abs, content: shipped.toString('utf8') });
      continue;
    }
    let same: boolean;
    try {
      same = st.isFile() && fs.readFileSync(abs).equals(shipped);
    } catch {
      same = false;
    }
    if (same) outcome.existing.push(`schemas/${f}`);
    else outcome.kept.push({ path: `schemas/${f}`, reason: 'differs from the schema of this promptrail version; delete it and run "prompts init" again to update it' });
  }

  // 4. .gitignore gets `.prompts/` (local state) once
  const ignoreAbs = path.join(root, '.gitignore');
  const ignoreStat = statOf(ignoreAbs);
  let ignoreText: string | null = null;
  if (ignoreStat) {
    if (!ignoreStat.isFile()) throw new UsageError('.gitignore exists but is not a regular file', { hint: 'fix it and run "prompts init" again' });
    ignoreText = readRegistryFileOrThrow(ignoreAbs, root, '.gitignore').text;
  }
  const newIgnore = gitignoreWithState(ignoreText);
  if (newIgnore === null) outcome.existing.push('.gitignore (.prompts/ already ignored)');
  else steps.push({ rel: '.gitignore', kind: 'file', abs: ignoreAbs, content: newIgnore, update: ignoreText !== null });

  // 4b. .gitattributes keeps registry YAML at LF on every platform (sha256 pins are byte-exact).
  // Only for a new registry: on an existing one, files committed with CRLF would change bytes
  // (and no longer match their pins) once git renormalizes them.
  const attrAbs = path.join(root, '.gitattributes');
  const attrStat = statOf(attrAbs);
  let attrText: string | null = null;
  if (attrStat && !reinit) {
    if (!attrStat.isFile()) throw new UsageError('.gitattributes exists but is not a regular file', { hint: 'fix it and run "prompts init" again' });
    attrText = readRegistryFileOrThrow(attrAbs, root, '.gitattributes').text;
  }
  const newAttr = reinit ? null : gitattributesWithEol(attrText, rel(promptsDir), rel(envDir));
  if (newAttr === null) {
    if (attrStat) outcome.existing.push('.gitattributes');
  } else steps.push({ rel: '.gitattributes', kind: 'file', abs: attrAbs, content: newAttr, update: attrText !== null });

  // 5. the example prompt and its suite
  if (opts.example) {
    const dir = path.join(promptsDir, ...EXAMPLE_ID.split('/'));
    const versionAbs = path.join(dir, '1.0.0.yaml');
    const suiteAbs = path.join(dir, SUITE_FILE);
    for (const ancestor of [path.join(promptsDir, 'example'), dir]) {
      const st = statOf(ancestor);
      if (st && !st.isDirectory()) throw new UsageError(`${rel(ancestor)} exists but is not a folder`, { hint: 'move it away or run "prompts init" without --example' });
    }
    const author = await authorEmail(root, ctx.env);
    const created = isoDate(new Date());
    for (const [abs, content] of [
      [versionAbs, examplePrompt(modeline(root, versionAbs, 'prompt'), created, author, echoProvider)],
      [suiteAbs, exampleSuite(modeline(root, suiteAbs, 'suite'))],
    ] as const) {
      if (statOf(abs)) outcome.existing.push(rel(abs));
      else steps.push({ rel: rel(abs), kind: 'file', abs, content });
    }
  }

  // Apply: create only, never overwrite (exclusive create; the .gitignore update is atomic).
  for (const s of steps) {
    if (s.kind === 'dir') {
      fs.mkdirSync(s.abs, { recursive: true });
      outcome.created.push(s.rel);
    } else if (s.update) {
      writeFileAtomic(s.abs, s.content!);
      outcome.updated.push(`${s.rel} (${s.rel === '.gitignore' ? 'added .prompts/' : 'registry YAML kept at LF'})`);
    } else if (writeFileExclusive(s.abs, s.content!)) {
      outcome.created.push(s.rel);
    } else {
      outcome.kept.push({ path: s.rel, reason: 'appeared while init was running; left as is' });
    }
  }

  if (ctx.json) {
    writeJson(ctx, { ok: true, root, reinitialized: reinit, created: outcome.created, updated: outcome.updated, existing: outcome.existing, kept: outcome.kept });
    return 0;
  }
  const c = await ctx.cErr();
  if (opts.example && !echoProvider) {
    ctx.warn('warning: prompts.config.yaml has no provider of type echo; add "offline: { type: echo }" under providers so the example prompt validates and its evals run offline');
  }
  if (nested) ctx.warn(`warning: ${root} is inside the registry ${nested}; commands run below ${root} now use this new registry`);
  const nothing = outcome.created.length === 0 && outcome.updated.length === 0;
  ctx.info(reinit ? `Reinitialized existing promptrail registry in ${root}${nothing ? ' (nothing to do, nothing overwritten)' : ' (nothing overwritten)'}` : `Initialized promptrail registry in ${root}`);
  for (const p of outcome.created) ctx.info(`  ${c.green('created')} ${p}`);
  for (const p of outcome.updated) ctx.info(`  ${c.green('updated')} ${p}`);
  for (const k of outcome.kept) ctx.info(`  ${c.yellow('kept')}    ${k.path}: ${k.reason}`);
  if (!reinit) {
    ctx.info('');
    // in the words the user started us with (`npx prompts init` → `npx prompts new …`)
    const p = cliCommand(ctx.env);
    ctx.info(opts.example ? `Next: ${p} validate && ${p} eval example/greeting` : `Next: ${p} new <id>   (e.g. ${p} new support/triage)`);
  }
  return 0;
}
