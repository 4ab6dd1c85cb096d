/**
 * A start-up shortcut for `prompts validate …` (the pre-commit hook's command): when every
 * argument is one validate understands, run it without loading commander. Anything else
 * (help, an unknown or misspelled flag, a global option before "validate") returns null and
 * main.ts parses with commander as usual, so messages and errors stay commander's.
 */
import * as path from 'node:path';
import type { Output } from '../ui.js';
import type { ValidateOptions } from './validate.js';

export interface FastIO {
  stdout: Output;
  stderr: Output;
  env: NodeJS.ProcessEnv;
}

interface Parsed {
  paths: string[];
  opts: ValidateOptions;
  cwd?: string;
  json: boolean;
  color: boolean;
  quiet: boolean;
  verbose: boolean;
}

/** Parses validate's arguments (after "validate"), or null when commander should do it. */
export function parseValidateArgs(args: string[]): Parsed | null {
  const p: Parsed = { paths: [], opts: { format: 'text', cache: true }, json: false, color: true, quiet: false, verbose: false };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const value = (name: string): string | null => {
      if (a.startsWith(`${name}=`)) return a.slice(name.length + 1);
      const v = args[i + 1];
      if (a !== name || v === undefined || v.startsWith('-')) return null;
      i++;
      return v;
    };
    if (a === '--') {
      p.paths.push(...args.slice(i + 1));
      break;
    }
    if (!a.startsWith('-') || a === '-') p.paths.push(a);
    else if (a === '--staged') p.opts.staged = true;
    else if (a === '--no-cache') p.opts.cache = false;
    else if (a === '--json') p.json = true;
    else if (a === '--no-color') p.color = false;
    else if (a === '-q' || a === '--quiet') p.quiet = true;
    else if (a === '--verbose') p.verbose = true;
    else if (a === '--format' || a.startsWith('--format=')) {
      const v = value('--format');
      if (v === null) return null;
      p.opts.format = v;
    } else if (a === '--base' || a.startsWith('--base=')) {
      const v = value('--base');
      if (v === null) return null;
      p.opts.base = v;
    } else if (a === '-C' || a === '--cwd' || a.startsWith('--cwd=')) {
      const v = a === '-C' ? (args[i + 1] !== undefined && !args[i + 1]!.startsWith('-') ? args[++i]! : null) : value('--cwd');
      if (v === null) return null;
      p.cwd = v;
    } else return null;
  }
  return p;
}

/** Runs validate when the arguments allow the shortcut; null otherwise. */
export async function fastValidate(args: string[], io: FastIO): Promise<number | null> {
  const parsed = parseValidateArgs(args);
  if (!parsed) return null;
  const verbose = parsed.verbose || Boolean(io.env.DEBUG);
  try {
    if (parsed.opts.staged) {
      // the pre-commit hook: git starts answering while the rest of validate loads
      const { findRoot } = await import('../../paths.js');
      const root = findRoot(path.resolve(parsed.cwd ?? process.cwd()));
      // (the checks load once the engine has: loading both at once delays the engine, which git's next step waits for)
      if (root) (await import('../../validate/early-git.js')).askStagedEarly(root);
    }
    const ui = await import('../ui.js');
    const ctx = ui.makeContext({ cwd: parsed.cwd ?? process.cwd(), json: parsed.json, colors: parsed.color, quiet: parsed.quiet, verbose }, io);
    const { run } = await import('./validate.js');
    return await run(ctx, parsed.paths, parsed.opts);
  } catch (e) {
    const { reportError } = await import('../report-error.js');
    return reportError(e, { ...io, verbose, json: parsed.json });
  }
}
