/**
 * Phase 4, the per-file checks: every file to check is answered by the cache (same stat
 * fingerprint, or same sha256 of its bytes) or read and checked, on the main thread or, for a
 * large cold run on a machine with more than 2 cores, also on worker threads. The cache is
 * written back when anything changed.
 */
import { availableParallelism } from 'node:os';
import { CONFIG_FILE } from '../paths.js';
import { contentSha256 } from '../registry/files.js';
import type { FileOutcome } from './checks/types.js';
import { entryOf, outcomeOf, sameFingerprint, saveCache, trustworthy, type Fingerprint } from './cache.js';
import type { ConfigStage } from './phase-config.js';
import type { Selection } from './phase-select.js';
import { startPool, type Pool } from './pool.js';
import { readProblem, type Run } from './run.js';
import { loadChecks } from './load-checks.js';

/**
 * Threads for a large cold run when not told: measured with bench/validate.mjs (see the
 * README's Performance section) on 2 cores.
 */
function autoThreads(cores: number): number {
  return cores > 2 ? Math.min(4, cores) : 1;
}

/** below this many files to check, worker threads cost more than they save */
const PARALLEL_THRESHOLD = 600;
/** files per chunk a thread reads and checks at a time */
const CHUNK = 200;

export interface Checked {
  outcomes: Map<string, FileOutcome>;
  /** sha256 of each file read or answered by the cache */
  shas: Map<string, string>;
}

export async function checkFiles(run: Run, cfg: ConfigStage, sel: Selection): Promise<Checked> {
  const { opts, src, scanStart } = run;
  const { cache, fresh, ctx } = cfg;
  const outcomes = new Map<string, FileOutcome>();
  const shas = new Map<string, string>();
  const needRead: string[] = [];
  for (const rel of sel.toCheck) {
    const hit = cache.get(rel);
    // only a recorded fingerprint can spare the read (the read takes its own fstat)
    const st = hit?.f ? src.stat?.(rel) : undefined;
    if (st && hit && sameFingerprint(hit.f, st)) {
      outcomes.set(rel, outcomeOf(hit));
      shas.set(rel, hit.s);
      fresh.set(rel, hit);
    } else needRead.push(rel);
  }
  const cores = availableParallelism();
  const threads = opts.workers === undefined || opts.workers === 'auto' ? autoThreads(cores) : opts.workers;
  // files no cache entry can answer are shared out in chunks; the others are read here first
  // (their bytes may still match a cached sha256)
  const misses = needRead.filter((r) => !cache.has(r));
  const maybe = needRead.filter((r) => cache.has(r));
  // the main thread checks too: `threads` = the main one + (threads - 1) workers
  const pool: Pool | undefined = threads > 1 && run.idx === undefined && misses.length >= PARALLEL_THRESHOLD ? await startPool(threads - 1, ctx, run.root) : undefined;
  let checkedCount = 0;
  let byWorkers = 0;
  let dirty = false;
  const record = (rel: string, s: string, out: FileOutcome, fp: Fingerprint | undefined): void => {
    outcomes.set(rel, out);
    shas.set(rel, s);
    const f = fp && trustworthy(fp, scanStart) ? fp : undefined;
    fresh.set(rel, entryOf(s, out, f));
  };
  /** reads and checks these files here */
  const checkHere = async (rels: string[]): Promise<void> => {
    const blobs = await src.read(rels);
    let checks: Awaited<ReturnType<typeof loadChecks>> | undefined;
    for (const rel of rels) {
      const b = blobs.get(rel)!;
      if (b.problem) {
        outcomes.set(rel, { problems: [readProblem(b.problem)] });
        continue;
      }
      const s = contentSha256(b.bytes!);
      const hit = cache.get(rel);
      const st = src.stat?.(rel);
      if (hit && hit.s === s) {
        const f = st && trustworthy(st, scanStart) ? st : undefined;
        outcomes.set(rel, outcomeOf(hit));
        shas.set(rel, s);
        fresh.set(rel, entryOf(s, outcomeOf(hit), f));
        if (f !== undefined || hit.f !== undefined) dirty = true;
        continue;
      }
      checks ??= await loadChecks();
      record(rel, s, await checks.checkFileAsync(sel.layout.files.get(rel)!, rel, b.bytes!, ctx), st);
      checkedCount++;
    }
  };
  const chunks: string[][] = [];
  for (let i = 0; i < misses.length; i += CHUNK) chunks.push(misses.slice(i, i + CHUNK));
  try {
    for (let i = 0; i < maybe.length; i += CHUNK) await checkHere(maybe.slice(i, i + CHUNK));
    if (!pool) {
      for (const c of chunks) await checkHere(c);
    } else {
      // workers take chunks from the front, the main thread from the back, until none is left
      const submitted: Promise<void>[] = [];
      const feed = (): void => {
        while (chunks.length && pool.inFlight() < 2 * pool.size) {
          const chunk = chunks.shift()!;
          submitted.push(
            pool.submit(chunk.map((rel) => ({ rel, kind: sel.layout.files.get(rel)! }))).then(
              (results) => {
                results.forEach((r, k) => {
                  const rel = chunk[k]!;
                  if (r.sha === undefined) outcomes.set(rel, r.outcome);
                  else {
                    if (r.fp) src.prime?.(rel, r.fp);
                    record(rel, r.sha, r.outcome, r.fp);
                    checkedCount++;
                    byWorkers++;
                  }
                });
                feed();
              },
              // a chunk a worker could not do (the thread died, the worker file is missing) is done here
              () => checkHere(chunk),
            ),
          );
        }
      };
      feed();
      while (chunks.length) {
        await checkHere(chunks.pop()!);
        // let the workers' answers in (each one is handed its next chunk then)
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      // answers and their follow-up chunks settle; a failed one was checked here meanwhile
      for (let i = 0; i < submitted.length; i++) await submitted[i];
    }
  } finally {
    pool?.close();
  }
  run.debug(
    () =>
      `validate: ${sel.toCheck.length} files to check, ${needRead.length} read, ${checkedCount} checked${pool ? ` (${threads} threads: the main one and ${pool.size} worker${pool.size > 1 ? 's' : ''}, which checked ${byWorkers})` : ''} (${cache.size} cached results loaded)`,
  );
  if (opts.cache && !run.idx && (checkedCount > 0 || dirty || fresh.size !== cache.size || !cache.has(CONFIG_FILE) || cache.get(CONFIG_FILE)!.s !== fresh.get(CONFIG_FILE)?.s)) {
    // keep entries of files not looked at this run (a partial run must not empty the cache)
    for (const [k, v] of cache) if (!fresh.has(k) && sel.listedType.has(k) && k !== CONFIG_FILE) fresh.set(k, v);
    saveCache(run.stateDir, cfg.digest, fresh, (rel) => rel === CONFIG_FILE || sel.layout.files.get(rel) === 'environment', run.state);
  }
  return { outcomes, shas };
}
