/**
 * An inter-process lock under `.prompts/locks/` serializing every write of environment files
 * (and the git commit that follows it). The lock file is created atomically with its content
 * (written to a temp file, then hard-linked into place, which fails when the lock exists), so a
 * reader never sees an empty lock. A lock whose PID is dead on this host is stale and is broken;
 * a live holder makes us wait (bounded), then exit 3 naming the PID.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConflictError } from '../errors.js';
import { processAlive, readRegularFile, removeDeadTempFiles, tempPathFor } from './files.js';

export interface LockHolder {
  pid: number;
  host: string;
  at: string;
  command?: string;
}

export interface LockOptions {
  /** how long to wait for a live holder (default: PROMPTRAIL_LOCK_TIMEOUT_MS or 30 s) */
  timeoutMs?: number;
  /** what the holder is doing, for the message other processes print */
  command?: string;
  /** the lock file's path as shown in messages (default: relative to cwd) */
  display?: string;
  /** called once when we start waiting */
  onWait?: (holder: LockHolder | null) => void;
}

export interface Lock {
  file: string;
  release(): void;
}

export const DEFAULT_LOCK_TIMEOUT_MS = 30_000;
/** an unreadable lock file older than this is treated as stale */
const GARBLED_STALE_MS = 5_000;

/** Is `pid` a live process on this host? */
export const pidAlive = processAlive;

interface HolderRead {
  holder: LockHolder | null;
  raw: string | null;
  mtimeMs: number;
  /** nothing is there: the lock was released */
  missing: boolean;
  /** something is there that promptrail never makes (a symbolic link, a folder, a fifo): never read, never waited for */
  foreign: string | null;
}

function readHolder(file: string): HolderRead {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(file);
  } catch (e) {
    // only a lock that is gone was released; anything else (no permission) is held by something
    // we cannot read, and goes through the timeout like any holder
    return { holder: null, raw: null, mtimeMs: Date.now(), missing: (e as NodeJS.ErrnoException).code === 'ENOENT', foreign: null };
  }
  if (!st.isFile()) {
    return { holder: null, raw: null, mtimeMs: st.mtimeMs, missing: false, foreign: st.isSymbolicLink() ? 'a symbolic link' : st.isDirectory() ? 'a folder' : 'not a regular file' };
  }
  const bytes = readRegularFile(file, 64 * 1024);
  if (!Buffer.isBuffer(bytes)) {
    if (bytes.rule === 'file-missing') return { holder: null, raw: null, mtimeMs: Date.now(), missing: true, foreign: null };
    return { holder: null, raw: null, mtimeMs: st.mtimeMs, missing: false, foreign: null };
  }
  const raw = bytes.toString('utf8');
  try {
    const h = JSON.parse(raw) as LockHolder;
    if (typeof h.pid === 'number' && typeof h.host === 'string') return { holder: h, raw, mtimeMs: st.mtimeMs, missing: false, foreign: null };
  } catch {
    /* garbled */
  }
  return { holder: null, raw, mtimeMs: st.mtimeMs, missing: false, foreign: null };
}

function tryCreate(file: string, content: string): boolean {
  const tmp = tempPathFor(file);
  fs.writeFileSync(tmp, content, { flag: 'wx' });
  try {
    fs.linkSync(tmp, file);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'ENOSYS') {
      // file systems without hard links: exclusive create (a tiny window where the lock is empty)
      try {
        fs.writeFileSync(file, content, { flag: 'wx' });
        return true;
      } catch (e2) {
        if ((e2 as NodeJS.ErrnoException).code === 'EEXIST') return false;
        throw e2;
      }
    }
    throw e;
  } finally {
    try {
      fs.unlinkSync(tmp);
    } catch {
      /* ignore */
    }
  }
}

/**
 * Breaks a stale lock without stealing a fresh one: the lock is renamed away first (only one
 * contender wins the rename); if what we moved is not the stale content we judged, it is put back.
 */
function breakStale(file: string, staleRaw: string | null): void {
  const aside = tempPathFor(file);
  try {
    fs.renameSync(file, aside);
  } catch {
    return; // someone else broke it first
  }
  let moved: string | null = null;
  try {
    moved = fs.readFileSync(aside, 'utf8');
  } catch {
    /* ignore */
  }
  if (moved !== staleRaw) {
    try {
      fs.linkSync(aside, file);
    } catch {
      /* a new lock is already in place */
    }
  }
  try {
    fs.unlinkSync(aside);
  } catch {
    /* ignore */
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function lockTimeoutFromEnv(env: NodeJS.ProcessEnv): number | undefined {
  const v = env.PROMPTRAIL_LOCK_TIMEOUT_MS;
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

export async function acquireLock(lockDir: string, name: string, opts: LockOptions = {}): Promise<Lock> {
  fs.mkdirSync(lockDir, { recursive: true });
  const file = path.join(lockDir, `${name}.lock`);
  const display = opts.display ?? (path.relative(process.cwd(), file) || file);
  // the temp and set-aside files of killed contenders
  removeDeadTempFiles(lockDir);
  const me: LockHolder = { pid: process.pid, host: os.hostname(), at: new Date().toISOString(), command: opts.command };
  const content = `${JSON.stringify(me)}\n`;
  const timeout = opts.timeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
  const start = Date.now();
  let waited = false;
  let delay = 15;
  for (;;) {
    if (tryCreate(file, content)) {
      return {
        file,
        release() {
          const { raw } = readHolder(file);
          if (raw === content) {
            try {
              fs.unlinkSync(file);
            } catch {
              /* already gone */
            }
          }
        },
      };
    }
    const { holder, raw, mtimeMs, missing, foreign } = readHolder(file);
    if (foreign) {
      throw new ConflictError(`${display} is ${foreign}, not a lock promptrail made; refusing to wait on it or follow it`, {
        location: { file: display },
        hint: `remove it ("rm ${display}"; for a link that removes the link only) and run the command again`,
      });
    }
    // released between our attempt and the read: try again at once, but never past the timeout
    if (missing && Date.now() - start < timeout) continue;
    const stale = raw !== null && (holder ? holder.host === me.host && !pidAlive(holder.pid) : Date.now() - mtimeMs > GARBLED_STALE_MS);
    if (stale) {
      breakStale(file, raw);
      continue;
    }
    if (Date.now() - start >= timeout) {
      const who = holder ? `process ${holder.pid}${holder.host !== me.host ? ` on ${holder.host}` : ''}${holder.command ? ` (${holder.command})` : ''} since ${holder.at}` : 'another process';
      throw new ConflictError(`environment files are locked by ${who}`, {
        location: { file: display },
        hint: `wait for it to finish and retry; if that process is gone, delete the lock file`,
      });
    }
    if (!waited) {
      waited = true;
      opts.onWait?.(holder);
    }
    await sleep(delay + Math.floor(Math.random() * delay));
    delay = Math.min(delay * 2, 200);
  }
}

/** Is the lock `name` in `lockDir` held right now by a live process of this host (another promptrail mid-change)? */
/** A lock left by a promptrail process of this host that died holding it (SIGKILL, power loss). */
export function lockAbandoned(lockDir: string, name: string): boolean {
  const { holder, foreign } = readHolder(path.join(lockDir, `${name}.lock`));
  return !foreign && holder !== null && holder.host === os.hostname() && !pidAlive(holder.pid);
}

export function lockHeld(lockDir: string, name: string): boolean {
  const { holder, foreign } = readHolder(path.join(lockDir, `${name}.lock`));
  return !foreign && holder !== null && holder.host === os.hostname() && pidAlive(holder.pid);
}
