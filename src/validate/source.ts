/**
 * Where validate's bytes come from (the source phase): the `Source` interface, and the working
 * tree's implementation: a walk of the registry folders that never follows a linked folder out
 * of the registry, reads through one descriptor per plain file (its fstat doubles as the cache
 * fingerprint), and every guard of readRegistryFile for anything else.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readRegistryFile, isInside, MAX_FILE_BYTES, MAX_ENV_FILE_BYTES, type FileProblem } from '../registry/files.js';
import type { ListedEntry, EntryType } from './layout.js';
import { fingerprintOf, type Fingerprint } from './cache.js';

export interface Blob {
  bytes?: Buffer;
  problem?: FileProblem;
}

/** Where file contents come from: the working tree or the git index. */
export interface Source {
  list(dirs: string[]): Promise<ListedEntry[]>;
  /** raw bytes (or the problem that stopped reading) of many files */
  read(rels: string[]): Promise<Map<string, Blob>>;
  /** stat fingerprint of a regular file, for the cache (working tree only) */
  stat?(rel: string): Fingerprint | undefined;
  /** the fingerprints of the folders the last list() read (null: a listed top folder that does not exist) */
  dirPrints?(): ReadonlyMap<string, Fingerprint | null>;
  /** a folder's fingerprint now (null: none, or not a folder) */
  dirPrint?(rel: string): Fingerprint | null;
  /** records the fingerprint another thread took when it read the file */
  prime?(rel: string, fp: Fingerprint): void;
}

/** open flags for readPlainFile: never through a symbolic link, never waiting on a fifo (null: not on this platform) */
const PLAIN_OPEN = fs.constants.O_NOFOLLOW !== undefined && fs.constants.O_NONBLOCK !== undefined ? fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK : null;

/**
 * A regular file of at most MAX_FILE_BYTES, read through one descriptor: its fstat (the same
 * size, times and inode an lstat gives for a regular file, taken before reading, so it can
 * serve as the cache fingerprint) and its bytes. Null for anything else (a symbolic link, a
 * directory, a large file, an error): the caller then takes readRegistryFile with its guards.
 */
function readPlainFile(file: string): { st: fs.Stats; bytes: Buffer } | null {
  if (PLAIN_OPEN === null) return null;
  let fd: number;
  try {
    fd = fs.openSync(file, PLAIN_OPEN);
  } catch {
    return null;
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile() || st.size > MAX_FILE_BYTES) return null;
    const bytes = Buffer.allocUnsafe(st.size);
    let off = 0;
    while (off < bytes.length) {
      const n = fs.readSync(fd, bytes, off, bytes.length - off, off);
      if (n === 0) break;
      off += n;
    }
    // a file that shrank meanwhile: its bytes so far (its new fingerprint differs next run)
    return { st, bytes: off === bytes.length ? bytes : bytes.subarray(0, off) };
  } catch {
    return null;
  } finally {
    fs.closeSync(fd);
  }
}

export function worktreeSource(root: string): Source {
  let realRoot = root;
  try {
    realRoot = fs.realpathSync(root);
  } catch {}
  // fingerprints of regular files (compact: a large registry has thousands, Stats objects cost GC)
  const stats = new Map<string, Fingerprint>();
  const rootPrefix = root.endsWith(path.sep) ? root : `${root}${path.sep}`;
  let dirPrints = new Map<string, Fingerprint | null>();
  // taken before the folder is read: a change after it shows as a different fingerprint next time
  const dirPrint = (rel: string): Fingerprint | null => {
    const st = fs.statSync(`${rootPrefix}${rel}`, { throwIfNoEntry: false });
    return st && st.isDirectory() ? fingerprintOf(st) : null;
  };
  return {
    dirPrints: () => dirPrints,
    dirPrint,
    prime: (rel, fp) => void stats.set(rel, fp),
    async list(dirs) {
      const out: ListedEntry[] = [];
      const prints = new Map<string, Fingerprint | null>();
      const walk = (relDir: string, depth: number): void => {
        prints.set(relDir, dirPrint(relDir));
        let ents: fs.Dirent[];
        try {
          ents = fs.readdirSync(path.join(root, relDir), { withFileTypes: true });
        } catch {
          return;
        }
        for (const e of ents) {
          const rel = `${relDir}/${e.name}`;
          let type: EntryType = e.isFile() ? 'file' : e.isDirectory() ? 'dir' : e.isSymbolicLink() ? 'symlink' : 'other';
          if (type === 'symlink' && !/\.ya?ml$/.test(e.name)) {
            // a linked folder is not followed; one leading outside the registry is reported
            let real: string | undefined;
            try {
              real = fs.realpathSync(path.join(root, rel));
            } catch {}
            if (real !== undefined && !isInside(realRoot, real)) {
              out.push({
                rel,
                type: 'other',
                problem: { line: 1, column: 1, rule: 'file-outside-registry', message: `symbolic link leads outside the registry (to ${real}); replace it with the files themselves`, severity: 'error' },
              });
              continue;
            }
            type = 'other';
          }
          if (type === 'symlink') type = 'file';
          out.push({ rel, type });
          if (type === 'dir' && depth < 8 && !e.name.endsWith('.yaml')) walk(rel, depth + 1);
        }
      };
      for (const d of dirs) walk(d, 0);
      dirPrints = prints;
      return out;
    },
    async read(rels) {
      const map = new Map<string, Blob>();
      for (const rel of rels) {
        const file = `${rootPrefix}${rel}`;
        // a plain small file (the lstat is cached): read it straight; anything else gets every guard
        const st = stats.get(rel);
        if (st && st[0] <= MAX_FILE_BYTES) {
          try {
            map.set(rel, { bytes: fs.readFileSync(file) });
            continue;
          } catch {}
        }
        if (!st) {
          const plain = readPlainFile(file);
          if (plain) {
            stats.set(rel, fingerprintOf(plain.st));
            map.set(rel, { bytes: plain.bytes });
            continue;
          }
        }
        // the upper bound of any registry file: checkFile applies each kind's own limit
        const r = readRegistryFile(file, root, MAX_ENV_FILE_BYTES);
        map.set(rel, 'rule' in r ? { problem: r } : { bytes: r.bytes });
      }
      return map;
    },
    stat(rel) {
      let st = stats.get(rel);
      if (!st) {
        // rel is a listing path ("/"-separated, no ".."): plain concatenation is enough (and
        // measurably cheaper than path.join over a large registry)
        const ls = fs.lstatSync(`${rootPrefix}${rel}`, { throwIfNoEntry: false });
        if (!ls || !ls.isFile()) return undefined;
        st = fingerprintOf(ls);
        stats.set(rel, st);
      }
      return st;
    },
  };
}
