/**
 * One validate run, as its phases see it: the options, where the bytes come from, the registry
 * listing (which later phases may widen), and the problems found so far.
 */
import * as path from 'node:path';
import { STATE_DIR } from '../paths.js';
import type { FileProblem } from '../registry/files.js';
import type { ListedEntry } from './layout.js';
import type { FileProblemEntry, Problem } from './problem.js';
import type { Source } from './source.js';
import type { Fingerprint } from './cache.js';
import type { IndexSource } from './source-index.js';
import type { StateAccess } from '../registry/state.js';

export interface EngineOptions {
  root: string;
  cwd: string;
  paths: string[];
  staged: boolean;
  base?: string;
  cache: boolean;
  toolVersion: string;
  /** worker threads for large runs: 'auto' (default) or a number (0 = none) */
  workers?: number | 'auto';
  /** the run's start time (tests move it to exercise the stat fingerprints) */
  now?: number;
  /** --staged: 'full' lists the whole index even when a part would do (tests compare the two) */
  indexListing?: 'auto' | 'full';
  /** --verbose: where time and work went */
  debug?: (msg: string) => void;
  /** told about each path argument outside the registry (ignored: lint-staged passes every staged file) */
  onIgnoredPath?: (given: string) => void;
}

export const DEFAULT_DIRS: [string, string] = ['prompts', 'environments'];

export class Run {
  readonly root: string;
  /** when the run started: files changed less than RACY_MS before it are not fingerprinted */
  readonly scanStart: number;
  readonly stateDir: string;
  readonly problems: Problem[] = [];
  /** the registry listing: paths under `listedDirs` (and the config) */
  listing: ListedEntry[] = [];
  listedDirs: [string, string] = DEFAULT_DIRS;
  /** a --staged listing of only the part of the index the changes touch (see stagedListing) */
  partial = false;
  /** the fingerprints of the folders behind `listing` (working tree only), for the run memo */
  dirPrints: ReadonlyMap<string, Fingerprint | null> | undefined;
  /** the registry root and what git tracks under its .prompts/ (a cache or memo committed there is never read) */
  state: StateAccess;

  constructor(
    readonly opts: EngineOptions,
    /** the working tree, or the git index with --staged */
    readonly src: Source,
    readonly idx: IndexSource | undefined,
  ) {
    this.root = opts.root;
    this.scanStart = opts.now ?? Date.now();
    this.stateDir = path.join(opts.root, STATE_DIR);
    this.state = { root: opts.root, tracked: new Set() };
  }

  /** Lists the whole of these two folders (replacing a partial listing). */
  async relist(dirs: [string, string]): Promise<void> {
    this.listedDirs = dirs;
    this.listing = await this.src.list(dirs);
    this.partial = false;
    this.dirPrints = this.src.dirPrints?.();
  }

  report(file: string, list: readonly FileProblemEntry[]): void {
    for (const p of list) this.problems.push({ file, ...p });
  }

  debug(msg: () => string): void {
    if (this.opts.debug) this.opts.debug(`${msg()}, ${Math.round(Date.now() - this.scanStart)} ms so far`);
  }
}

/** A problem that stopped a file from being read, as a problem at its first line. */
export function readProblem(p: FileProblem): FileProblemEntry {
  return { line: p.line ?? 1, column: p.column ?? 1, rule: p.rule, message: p.message, severity: 'error' };
}
