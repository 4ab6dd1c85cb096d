/**
 * The smallest git runner: `git <args>` in a directory, stdout as text (or bytes). Used on hot
 * paths (validate --staged, promote) where loading simple-git would cost start-up time.
 */
import { execFile, type ExecFileOptions } from 'node:child_process';

export class GitError extends Error {
  constructor(
    message: string,
    readonly args: string[],
    readonly code: number | null,
    readonly stderr: string,
  ) {
    super(message);
    this.name = 'GitError';
  }
}

export interface GitRunOptions {
  input?: string;
  env?: NodeJS.ProcessEnv;
  /** accept these exit codes without throwing */
  okCodes?: number[];
}

export function git(cwd: string, args: string[], opts: GitRunOptions = {}): Promise<string> {
  return gitBuffer(cwd, args, opts).then((b) => b.toString('utf8'));
}

export function gitBuffer(cwd: string, args: string[], opts: GitRunOptions = {}): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const o: ExecFileOptions & { encoding: 'buffer' } = {
      cwd,
      encoding: 'buffer',
      maxBuffer: 256 * 1024 * 1024,
      env: { ...process.env, ...(opts.env ?? {}), GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' },
    };
    const child = execFile('git', args, o, (err, stdout, stderr) => {
      const code = err ? ((err as NodeJS.ErrnoException & { code?: unknown }).code as unknown) : 0;
      const numeric = typeof code === 'number' ? code : err ? null : 0;
      if (err && !(numeric !== null && opts.okCodes?.includes(numeric))) {
        const se = Buffer.isBuffer(stderr) ? stderr.toString('utf8') : String(stderr ?? '');
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
          reject(new GitError('git is not installed or not on PATH', args, null, se));
          return;
        }
        reject(new GitError(`git ${args[0] ?? ''} failed: ${se.trim().split('\n').pop() ?? ''}`, args, numeric, se));
        return;
      }
      resolve(Buffer.isBuffer(stdout) ? stdout : Buffer.from(String(stdout)));
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** The top level of the work tree containing `cwd`, or null when it is not in a git repository. */
export async function gitTopLevel(cwd: string): Promise<string | null> {
  try {
    return (await git(cwd, ['rev-parse', '--show-toplevel'])).trim() || null;
  } catch {
    return null;
  }
}
