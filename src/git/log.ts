/** The commits that touched environment files, parsed from `git log` (subject + trailers), via simple-git. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { simpleGitModule, viaSimpleGit } from './engine.js';
import type { CommitFacts } from '../core/history.js';
import type { HistoryAction } from '../core/types.js';

/** a commit that touched environment files: the facts history merges (core/history.ts) plus its text */
export interface EnvCommit extends CommitFacts {
  subject: string;
  body: string;
}

const SUBJECT = /^prompts\(([^)]+)\): (promote|rollback) (\S+) (\S+) -> (\S+)$/;
const ROLLOUT_SUBJECT = /^prompts\(([^)]+)\): rollout (\S+) (\S+) -> (\S+) (\d{1,3}(?:\.\d+)?)% -> (\d{1,3}(?:\.\d+)?)%$/;
const ROLLOUT_STEPS: Record<string, HistoryAction> = { start: 'rollout-start', set: 'rollout-set', abort: 'rollout-abort', complete: 'rollout-complete' };

export function parseEnvCommit(hash: string, author: string, date: string, subject: string, body: string): EnvCommit {
  const trailer = (k: string): string | null => {
    const t = new RegExp(`^${k}: (.*)$`, 'm').exec(body);
    return t ? t[1]!.trim() : null;
  };
  const base = { hash, author, date, subject, body, reason: trailer('Reason'), eval: trailer('Eval') };
  const r = ROLLOUT_SUBJECT.exec(subject);
  const step = r ? ROLLOUT_STEPS[trailer('Rollout') ?? ''] : undefined;
  if (r && step) {
    return { ...base, env: r[1]!, action: step, id: r[2]!, from: r[3]!, to: r[4]!, fromWeight: Number(r[5]), weight: Number(r[6]) };
  }
  const m = SUBJECT.exec(subject);
  return {
    ...base,
    env: m ? m[1]! : null,
    action: m ? (m[2] as 'promote' | 'rollback') : null,
    id: m ? m[3]! : null,
    from: m ? (m[4] === 'none' ? null : m[4]!) : null,
    to: m ? m[5]! : null,
    fromWeight: null,
    weight: null,
  };
}

/** Commits touching `paths` (relative to `top`), newest first. Empty when git has no history for them. */
export async function envCommits(top: string, paths: string[]): Promise<EnvCommit[]> {
  const specs = paths.map((p) => `:(literal)${p}`);
  try {
    const log = await viaSimpleGit(top, ['log', ...specs], async (g) => {
      const { pathspec } = await simpleGitModule();
      return g.log<{ hash: string; author: string; date: string; subject: string; body: string }>({
        format: { hash: '%H', author: '%an <%ae>', date: '%aI', subject: '%s', body: '%b' },
        splitter: '\x1f',
        '--no-color': null,
        paths: pathspec(...specs),
      });
    });
    return log.all.map((c) => parseEnvCommit(c.hash, c.author, c.date, c.subject, c.body.trim()));
  } catch {
    return []; // no commits yet
  }
}

export interface EnvFileHistory {
  /** the work tree's top level */
  top: string;
  /** a shallow clone: older commits may be missing */
  shallow: boolean;
  commits: EnvCommit[];
}

/**
 * The git history of environment files (absolute paths under `dir`), or null when `dir` is not
 * in a git work tree. Via simple-git.
 */
export async function envFileHistory(dir: string, files: string[]): Promise<EnvFileHistory | null> {
  let top: string;
  let shallow: boolean;
  try {
    const lines = (await viaSimpleGit(dir, ['rev-parse'], (g) => g.revparse(['--show-toplevel', '--is-shallow-repository']))).split('\n');
    top = lines[0]?.trim() ?? '';
    shallow = lines[1]?.trim() === 'true';
  } catch {
    return null;
  }
  if (!top) return null;
  // git reports real paths: map through the dir with symlinks resolved
  const realDir = fs.realpathSync(dir);
  const rels = files.map((f) => path.relative(top, path.join(realDir, path.relative(dir, f))).split(path.sep).join('/'));
  return { top, shallow, commits: await envCommits(top, rels) };
}
