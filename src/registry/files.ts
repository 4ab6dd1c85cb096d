/**
 * Reading and writing registry files safely: size and encoding guards before parsing, sha256,
 * atomic writes (temp file + fsync + rename) so a crash never leaves a half-written file.
 */
import * as crypto from 'node:crypto';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UsageError, CheckFailed } from '../errors.js';

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

/**
 * Reads a registry file with every guard: must be a regular file (a symlink is followed only
 * when it stays inside `root`), at most 1 MiB, UTF-8, no NUL bytes, no conflict markers.
 */
export function readRegistryFile(file: string, root: string, maxBytes: number = MAX_FILE_BYTES): DecodedFile | FileProblem {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { rule: 'file-missing', message: 'file does not exist' };
    return { rule: 'file-unreadable', message: `cannot read file (${code ?? 'error'}); check its permissions` };
  }
  if (st.isSymbolicLink()) {
    let real: string;
    try {
      real = fs.realpathSync(file);
    } catch {
      return { rule: 'file-missing', message: 'symbolic link points at a file that does not exist' };
    }
    let realRoot = root;
    try {
      realRoot = fs.realpathSync(root);
    } catch {
      /* keep root */
    }
    if (!isInside(realRoot, real)) {
      return { rule: 'file-outside-registry', message: `symbolic link leads outside the registry (to ${real}); replace it with a regular file` };
    }
    st = fs.statSync(real);
  }
  if (st.isDirectory()) return { rule: 'file-not-regular', message: 'expected a file but found a directory' };
  if (!st.isFile()) return { rule: 'file-not-regular', message: 'expected a regular file' };
  if (st.size > maxBytes) return tooLarge(st.size, maxBytes);
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { rule: 'file-unreadable', message: `cannot read file (${code ?? 'error'}); check its permissions` };
  }
  return decodeRegistryBytes(bytes, maxBytes);
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
 * Atomic write: write a temp file in the same directory, fsync it, rename over the target,
 * fsync the directory. Readers see the old or the new file, never a mix. `syncDir: false`
 * leaves the directory's fsync (which makes the rename durable) to the caller: `syncDirectory`,
 * e.g. while the next step already runs.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array, opts: { mode?: number; syncDir?: boolean } = {}): void {
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true });
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let fd: number | undefined;
  try {
    fd = fs.openSync(tmp, 'wx', opts.mode ?? 0o644);
    fs.writeFileSync(fd, data);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(tmp, file);
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
  if (opts.syncDir === false) return;
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

/** Creates a file only when it does not exist yet (never overwrites). Returns false when it existed. */
export function writeFileExclusive(file: string, data: string): boolean {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  try {
    fs.writeFileSync(file, data, { flag: 'wx' });
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
}
