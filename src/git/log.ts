/** The commits that touched environment files, parsed from `git log` (subject + trailers). */
import { git } from './run.js';
import type { CommitFacts } from '../core/history.js';

/** a commit that touched environment files: the facts history merges (core/history.ts) plus its text */
export interface EnvCommit extends CommitFacts {
  subject: string;
  body: string;
}

const SUBJECT = /^prompts\(([^)]+)\): (promote|rollback) (\S+) (\S+) -> (\S+)$/;

export function parseEnvCommit(hash: string, author: string, date: string, subject: string, body: string): EnvCommit {
  const m = SUBJECT.exec(subject);
  const trailer = (k: string): string | null => {
    const t = new RegExp(`^${k}: (.*)$`, 'm').exec(body);
    return t ? t[1]!.trim() : null;
  };
  return {
    hash,
    author,
    date,
    subject,
    body,
    env: m ? m[1]! : null,
    action: m ? (m[2] as 'promote' | 'rollback') : null,
    id: m ? m[3]! : null,
    from: m ? (m[4] === 'none' ? null : m[4]!) : null,
    to: m ? m[5]! : null,
    reason: trailer('Reason'),
    eval: trailer('Eval'),
  };
}

/** Commits touching `paths` (relative to `top`), newest first. Empty when git has no history for them. */
export async function envCommits(top: string, paths: string[]): Promise<EnvCommit[]> {
  let out: string;
  try {
    out = await git(top, ['log', '--no-color', '--format=%H%x1f%an <%ae>%x1f%aI%x1f%s%x1f%b%x1e', '--', ...paths.map((p) => `:(literal)${p}`)]);
  } catch {
    return []; // no commits yet
  }
  return out
    .split('\x1e')
    .map((r) => r.replace(/^\n/, ''))
    .filter((r) => r.includes('\x1f'))
    .map((r) => {
      const [hash = '', author = '', date = '', subject = '', body = ''] = r.split('\x1f');
      return parseEnvCommit(hash, author, date, subject, body.trim());
    });
}
