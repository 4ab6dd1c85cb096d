/**
 * Reading and writing registry files safely: size and encoding guards before parsing, sha256,
 * atomic writes (temp file + fsync + rename) so a crash never leaves a half-written file.
 */
import * as crypto from 'node:crypto';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UsageError, CheckFailed, InternalError } from '../errors.js';

export const MAX_FILE_BYTES = 1024 * 1024;
/**
 * Environment files are written by promote/rollback and grow with the number of pinned prompts
 * and their bounded history (~350 bytes per history entry): 1,000 prompts × 50 entries ≈ 17 MiB.
 * They get a larger limit than hand-written files so big registries keep working.
 */
export const MAX_ENV_FILE_BYTES = 64 * 1024 * 1024;

function tooLarge(size: number, max: number): FileProblem {
  if (max === MAX_FILE_BYTES) {
    return { rule: 'file-too-large', message: `file is ${size} bytes; registry files are limited to 1 MiB (${max} bytes). Split the prompt or move large data out of it.` };
  }
  return { rule: 'file-too-large', message: `file is ${size} bytes; environment files are limited to ${Math.round(max / 1024 / 1024)} MiB (${max} bytes). Lower history_limit in prompts.config.yaml to keep them smaller.` };
}

// crypto.hash (Node >= 20.12) hashes in one call, about twice as fast on small inputs as a Hash object
const oneShot = (crypto as { hash?: (alg: string, data: string | Uint8Array, enc: 'hex') => string }).hash;

export function sha256(data: string | Uint8Array): string {
  return oneShot ? oneShot('sha256', data, 'hex') : createHash('sha256').update(data).digest('hex');
}

const CRLF = Buffer.from('\r\n');

/**
 * THE digest of a registry file (a version file's pin, a history entry's sha256, an eval report's
 * sha256 and suite_sha256, a bundle entry's sha256): sha256 of the file's bytes with every CRLF
 * read as LF, i.e. of the bytes git stores for a text file (its end-of-line conversion, with
 * core.autocrlf or a `text`/`eol=lf` attribute, turns each CRLF into LF and keeps a lone CR).
 * A file saved with CRLF on Windows and the same file checked out with LF on Linux have one
 * digest, the committed blob's sha256. A file without CRLF (the usual case) is hashed as it is,
 * so every pin made before this rule keeps matching. (YAML reads CRLF and LF as the same line
 * break, so two files with one digest always mean the same content.) Every verifier computes
 * a pin with this function, never with `sha256` of the raw bytes.
 */
export function contentSha256(data: string | Uint8Array): string {
  if (typeof data === 'string') return sha256(data.includes('\r\n') ? data.replace(/\r\n/g, '\n') : data);
  const buf = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  let at = buf.indexOf(CRLF);
  if (at === -1) return sha256(buf);
  const out = Buffer.allocUnsafe(buf.length);
  let n = 0;
  let from = 0;
  while (at !== -1) {
    n += buf.copy(out, n, from, at);
    from = at + 1; // drop the CR, keep the LF
    at = buf.indexOf(CRLF, from);
  }
  n += buf.copy(out, n, from);
  return sha256(out.subarray(0, n));
}

export type FileProblemRule =
  | 'file-missing'
  | 'file-not-regular'
  | 'file-outside-registry'
  | 'file-too-large'
  | 'file-empty'
  | 'file-binary'
  | 'file-encoding'
  | 'conflict-marker'
  | 'file-unreadable';

export interface FileProblem {
  rule: FileProblemRule;
  message: string;
  line?: number;
  column?: number;
}

export interface DecodedFile {
  bytes: Buffer;
  text: string;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/**
 * Decodes file bytes as UTF-8 text after the guards every registry file goes through.
 * Returns a problem (never throws) so `validate` can report it and go on.
 */
export function decodeRegistryBytes(bytes: Buffer, maxBytes: number = MAX_FILE_BYTES): DecodedFile | FileProblem {
  if (bytes.length > maxBytes) return tooLarge(bytes.length, maxBytes);
  if (bytes.length === 0) return { rule: 'file-empty', message: 'file is empty; a registry file must hold a YAML mapping' };
  if (bytes.includes(0)) return { rule: 'file-binary', message: 'file contains NUL bytes; it looks binary, not YAML text' };
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return { rule: 'file-encoding', message: 'file is not valid UTF-8; save it as UTF-8' };
  }
  if (text.trim() === '') return { rule: 'file-empty', message: 'file holds only white space; a registry file must hold a YAML mapping' };
  const marker = findConflictMarker(text);
  if (marker) return marker;
  return { bytes, text };
}

// `\r?`: a file with Windows line endings has its markers before "\r\n"
const CONFLICT = /^(<{7}(?: .*)?|={7}|>{7}(?: .*)?|\|{7}(?: .*)?)\r?$/m;

/** git merge conflict markers (<<<<<<<, =======, >>>>>>>) at the start of a line. */
export function findConflictMarker(text: string): FileProblem | null {
  // substring scans are much cheaper than the multi-line pattern; most files have no marker
  if (!text.includes('<<<<<<<') && !text.includes('=======') && !text.includes('>>>>>>>') && !text.includes('|||||||')) return null;
  const m = CONFLICT.exec(text);
  if (!m) return null;
  const line = text.slice(0, m.index).split('\n').length;
  return {
    rule: 'conflict-marker',
    message: `git conflict marker "${m[1]!.slice(0, 7)}" found; resolve the merge conflict before committing`,
    line,
    column: 1,
  };
}

/** Is `target` inside `root` (both absolute, already resolved)? */
export function isInside(root: string, target: string): boolean {
  const rel = path.relative(root, target);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** open flags that never follow a symbolic link and never wait on a fifo (null: not on this platform) */
const NOFOLLOW_READ =
  fs.constants.O_NOFOLLOW !== undefined && fs.constants.O_NONBLOCK !== undefined ? fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK : null;

function unreadable(e: unknown): FileProblem {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return { rule: 'file-missing', message: 'file does not exist' };
  return { rule: 'file-unreadable', message: `cannot read file (${code ?? 'error'}); check its permissions` };
}

/**
 * The bytes of a regular file, read without following a symbolic link and without opening
 * anything else (a fifo, a device such as /dev/zero, a directory): those are refused from their
 * lstat, before any read, and the descriptor's fstat is checked again (the path may be swapped
 * between the two). At most `maxBytes`.
 */
export function readRegularFile(file: string, maxBytes: number = MAX_FILE_BYTES): Buffer | FileProblem {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(file);
  } catch (e) {
    return unreadable(e);
  }
  const kind = notRegular(st);
  if (kind) return kind;
  if (st.size > maxBytes) return tooLarge(st.size, maxBytes);
  let fd: number;
  try {
    fd = NOFOLLOW_READ === null ? fs.openSync(file, 'r') : fs.openSync(file, NOFOLLOW_READ);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ELOOP') return { rule: 'file-not-regular', message: 'is a symbolic link; registry files must be regular files' };
    return unreadable(e);
  }
  try {
    const fst = fs.fstatSync(fd);
    const now = notRegular(fst);
    if (now) return now;
    if (fst.size > maxBytes) return tooLarge(fst.size, maxBytes);
    const bytes = Buffer.allocUnsafe(fst.size);
    let off = 0;
    while (off < bytes.length) {
      const n = fs.readSync(fd, bytes, off, bytes.length - off, off);
      if (n === 0) break;
      off += n;
    }
    return off === bytes.length ? bytes : bytes.subarray(0, off);
  } catch (e) {
    return unreadable(e);
  } finally {
    fs.closeSync(fd);
  }
}

function notRegular(st: fs.Stats): FileProblem | null {
  if (st.isFile()) return null;
  if (st.isDirectory()) return { rule: 'file-not-regular', message: 'expected a file but found a directory' };
  if (st.isSymbolicLink()) return { rule: 'file-not-regular', message: 'is a symbolic link; registry files must be regular files (a link can change what it points at behind the recorded sha256): replace it with a copy of the file' };
  const what = st.isFIFO() ? 'a fifo' : st.isCharacterDevice() ? 'a character device' : st.isBlockDevice() ? 'a block device' : st.isSocket() ? 'a socket' : 'not a regular file';
  return { rule: 'file-not-regular', message: `expected a regular file, found ${what}; nothing was read from it` };
}

/**
 * Reads a registry file with every guard: a regular file (a symbolic link is never followed:
 * one leading outside `root` is reported as such), at most 1 MiB, UTF-8, no NUL bytes, no
 * conflict markers.
 */
export function readRegistryFile(file: string, root: string, maxBytes: number = MAX_FILE_BYTES): DecodedFile | FileProblem {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(file);
  } catch (e) {
    return unreadable(e);
  }
  if (st.isSymbolicLink()) {
    let real: string | null = null;
    try {
      real = fs.realpathSync(file);
    } catch {
      /* dangling */
    }
    let realRoot = root;
    try {
      realRoot = fs.realpathSync(root);
    } catch {
      /* keep root */
    }
    if (real !== null && !isInside(realRoot, real)) {
      return { rule: 'file-outside-registry', message: `symbolic link leads outside the registry (to ${real}); replace it with a regular file` };
    }
  }
  const bytes = readRegularFile(file, maxBytes);
  return Buffer.isBuffer(bytes) ? decodeRegistryBytes(bytes, maxBytes) : bytes;
}

/**
 * Every folder from `root` down to `dir` (inclusive) must be a real folder inside the
 * registry, never a symbolic link (which could lead anything promptrail writes or reads as
 * its own state out of the repository). With `create`, missing ones are made. Returns the
 * first offending path (registry-relative) and why, or null when all is well.
 */
export function realDirProblem(root: string, dir: string, opts: { create?: boolean } = {}): { path: string; why: string } | null {
  const rel = path.relative(root, dir);
  if (rel === '') return null;
  if (rel.startsWith('..') || path.isAbsolute(rel)) return { path: dir, why: 'is outside the registry' };
  let cur = root;
  for (const seg of rel.split(path.sep)) {
    cur = path.join(cur, seg);
    let st: fs.Stats | undefined;
    try {
      st = fs.lstatSync(cur);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') return { path: path.relative(root, cur), why: `cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})` };
    }
    if (st === undefined) {
      if (!opts.create) return null;
      try {
        fs.mkdirSync(cur);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      st = fs.lstatSync(cur);
    }
    if (st.isSymbolicLink()) return { path: path.relative(root, cur).split(path.sep).join('/'), why: 'is a symbolic link' };
    if (!st.isDirectory()) return { path: path.relative(root, cur).split(path.sep).join('/'), why: 'exists but is not a folder' };
  }
  return null;
}

/** realDirProblem as an error (exit 2): the command cannot keep its files inside the registry. */
export function assertRealDir(root: string, dir: string, opts: { create?: boolean; what?: string } = {}): void {
  const p = realDirProblem(root, dir, opts);
  if (p) {
    throw new UsageError(`${p.path} ${p.why}; promptrail ${opts.what ?? 'reads and writes its files'} only inside the registry and never through a symbolic link`, {
      hint: p.why === 'is a symbolic link' ? `replace it with a real folder ("rm ${p.path}" removes the link only)` : `move it away`,
    });
  }
}

export function isFileProblem(x: DecodedFile | FileProblem): x is FileProblem {
  return (x as FileProblem).rule !== undefined;
}

/** Like readRegistryFile but throws a UsageError (exit 2) for commands that need the file. */
export function readRegistryFileOrThrow(file: string, root: string, display: string, exit: 1 | 2 = 2): DecodedFile {
  const r = readRegistryFile(file, root);
  if (isFileProblem(r)) {
    const opts = { location: { file: display, line: r.line, column: r.column } };
    throw exit === 1 ? new CheckFailed(r.message, opts) : new UsageError(r.message, opts);
  }
  return r;
}

/**
 * The temp file every promptrail write goes through: `.<name>.<pid>.<12 hex>.tmp` beside the
 * target. Hidden, never `.yaml` or `.json` (no reader takes it for a registry or state file),
 * and named after the process that made it, so `removeDeadTempFiles` can tell a killed run's
 * leftovers from a live one's.
 */
export function tempPathFor(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
}

const TEMP_NAME = /^\..+\.(\d+)\.[0-9a-f]{12}\.tmp$/;

/** Is `pid` a live process on this host? */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the temp files (tempPathFor) that processes no longer alive left in `dir` (killed
 * between creating and renaming them), so they never pile up as untracked files. Those of live
 * processes are theirs. Best effort, never throws.
 */
export function removeDeadTempFiles(dir: string): void {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  for (const n of names) {
    const m = TEMP_NAME.exec(n);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid === process.pid || processAlive(pid)) continue;
    try {
      fs.unlinkSync(path.join(dir, n));
    } catch {
      /* another process removed it */
    }
  }
}

/** The problem of a failed write in words (a full disk is not a bug), as an error for the command. */
export function writeFailure(e: unknown, display: string): Error {
  const code = (e as NodeJS.ErrnoException)?.code;
  const why =
    code === 'ENOSPC' || code === 'EDQUOT' ? 'the disk is full' :
    code === 'EFBIG' ? 'the file size limit was reached' :
    code === 'EROFS' ? 'the file system is read-only' :
    code === 'EACCES' || code === 'EPERM' ? 'permission denied' : null;
  if (why === null) return e instanceof Error ? e : new Error(String(e));
  return new InternalError(`cannot write ${display}: ${why} (${code}); nothing was changed`, { hint: 'free some space or fix the permissions, then run the command again', cause: e });
}

const O_WRITE_NEW = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | (fs.constants.O_NOFOLLOW ?? 0);

/** Writes `data` to a new temp file beside `file` and makes it durable; returns its path (removed again on failure). */
function writeTemp(file: string, data: string | Uint8Array, mode: number | undefined, fsync = true): string {
  const tmp = tempPathFor(file);
  let fd: number | undefined;
  try {
    fd = fs.openSync(tmp, O_WRITE_NEW, mode ?? 0o666);
    // an explicit or preserved mode is the mode, whatever the umask
    if (mode !== undefined) fs.fchmodSync(fd, mode);
    fs.writeFileSync(fd, data);
    if (fsync) fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    return tmp;
  } catch (e) {
    if (fd !== undefined) {
      try {
        fs.closeSync(fd);
      } catch {
        /* ignore */
      }
    }
    try {
      fs.unlinkSync(tmp);
    } catch {
      /* ignore */
    }
    throw e;
  }
}

function syncDirSync(dir: string): void {
  try {
    const dfd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(dfd);
    } finally {
      fs.closeSync(dfd);
    }
  } catch {
    /* directory fsync is not supported everywhere */
  }
}

/**
 * Atomic write: write a temp file in the same directory (tempPathFor), fsync it, rename over the
 * target, fsync the directory. Readers see the old or the new file, never a mix, and a full disk
 * or a killed process leaves the old file (and at worst a temp file that removeDeadTempFiles
 * sweeps). A file that is rewritten keeps its mode (unless `mode` says otherwise); a new one gets
 * `mode` or 0666 less the umask. `syncDir: false` leaves the directory's fsync (which makes the
 * rename durable) to the caller: `syncDirectory`, e.g. while the next step already runs.
 * `fsync: false` (caches that are only worth speed) skips making the data durable.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array, opts: { mode?: number; syncDir?: boolean; fsync?: boolean } = {}): void {
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true });
  let mode = opts.mode;
  if (mode === undefined) {
    try {
      const st = fs.lstatSync(file);
      if (st.isFile()) mode = st.mode & 0o7777;
    } catch {
      /* a new file */
    }
  }
  const tmp = writeTemp(file, data, mode, opts.fsync !== false);
  try {
    fs.renameSync(tmp, file);
  } catch (e) {
    try {
      fs.unlinkSync(tmp);
    } catch {
      /* ignore */
    }
    throw e;
  }
  if (opts.syncDir !== false) syncDirSync(dir);
}

/** fsync of a directory (after a rename in it), off the main thread; never rejects (not supported everywhere). */
export async function syncDirectory(dir: string): Promise<void> {
  let handle: fs.promises.FileHandle | undefined;
  try {
    handle = await fs.promises.open(dir, 'r');
    await handle.sync();
  } catch {
    /* directory fsync is not supported everywhere */
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/**
 * Creates a file only when nothing exists at its path yet (never overwrites, not even a
 * symbolic link), atomically: the complete, fsynced temp file is hard-linked into place (which
 * fails when the path exists), so a full disk or a killed process never leaves an empty or cut
 * file behind. Returns false when the path existed.
 */
export function writeFileExclusive(file: string, data: string): boolean {
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true });
  if (fs.lstatSync(file, { throwIfNoEntry: false })) return false;
  const tmp = writeTemp(file, data, undefined);
  try {
    try {
      fs.linkSync(tmp, file);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') return false;
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS' && code !== 'EXDEV') throw e;
      // a file system without hard links: rename, after checking again (a tiny window, never a partial file)
      if (fs.lstatSync(file, { throwIfNoEntry: false })) return false;
      fs.renameSync(tmp, file);
    }
  } finally {
    try {
      fs.unlinkSync(tmp);
    } catch {
      /* renamed */
    }
  }
  syncDirSync(dir);
  return true;
}
