/**
 * Phase 4, the per-file checks: every file to check is answered by the cache (same stat
 * fingerprint, or same sha256 of its bytes) or read and checked, on the main thread or, for a
 * large cold run on a machine with more than 2 cores, also on worker threads. The cache is
 * written back when anything changed.
 */
import { availableParallelism } from 'node:os';
import { CONFIG_FILE } from '../paths.js';
import { sha256 } from '../registry/files.js';
import type { FileOutcome } from './checks/types.js';
import { entryOf, outcomeOf, sameFingerprint, saveCache, trustworthy } from './cache.js';
import type { ConfigStage } from './phase-config.js';
import type { Selection } from './phase-select.js';
import { startPool, type Pool } from './pool.js';
import { readProblem, type Run } from './run.js';
import type { WorkItem } from './worker.js';
import { loadChecks } from './load-checks.js';

/** below this many files to check, worker threads cost more than they save */
const PARALLEL_THRESHOLD = 600;
const BATCH = 250;

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
  // measured on 2 cores (bench/validate.mjs): a worker's start-up (loading and warming up its own
  // copy of the checks) costs more than it saves, so 'auto' uses threads only with more cores
  const cores = availableParallelism();
  const threads = opts.workers === undefined || opts.workers === 'auto' ? (cores > 2 ? Math.min(4, cores) : 1) : opts.workers;
  const likelyMisses = needRead.filter((r) => !cache.has(r)).length;
  // the main thread checks too: `threads` = the main one + (threads - 1) workers
  const pool: Pool | undefined = threads > 1 && likelyMisses >= PARALLEL_THRESHOLD ? await startPool(threads - 1, ctx) : undefined;
  const work: WorkItem[] = [];
  const submitted: Promise<void>[] = [];
  const record = (w: WorkItem, out: FileOutcome): void => {
    outcomes.set(w.rel, out);
    const st = src.stat?.(w.rel);
    const f = st && trustworthy(st, scanStart) ? st : undefined;
    fresh.set(w.rel, entryOf(shas.get(w.rel)!, out, f));
  };
  let checkedCount = 0;
  let dirty = false;
  // a batch a worker could not do (the thread died, the worker file is missing) is done here
  const submit = (batch: WorkItem[]): void => {
    submitted.push(
      pool!.submit(batch).then(
        (outs) => {
          checkedCount += batch.length;
          batch.forEach((w, k) => record(w, outs[k]!));
        },
        () => void work.push(...batch),
      ),
    );
  };
  const checkHere = async (batch: WorkItem[]): Promise<void> => {
    const checks = await loadChecks();
    for (const w of batch) record(w, await checks.checkFileAsync(w.kind, w.rel, w.bytes, ctx));
    checkedCount += batch.length;
  };
  try {
    for (let i = 0; i < needRead.length; i += BATCH) {
      const part = needRead.slice(i, i + BATCH);
      const blobs = await src.read(part);
      for (const rel of part) {
        const b = blobs.get(rel)!;
        if (b.problem) {
          outcomes.set(rel, { problems: [readProblem(b.problem)] });
          continue;
        }
        const s = sha256(b.bytes!);
        shas.set(rel, s);
        const hit = cache.get(rel);
        const st = src.stat?.(rel);
        const f = st && trustworthy(st, scanStart) ? st : undefined;
        if (hit && hit.s === s) {
          outcomes.set(rel, outcomeOf(hit));
          fresh.set(rel, entryOf(s, outcomeOf(hit), f));
          if (f !== undefined || hit.f !== undefined) dirty = true;
        } else {
          work.push({ rel, kind: sel.layout.files.get(rel)!, bytes: b.bytes! });
        }
      }
      if (pool && work.length >= BATCH) {
        const batch = work.splice(0, work.length);
        // each worker gets a batch ahead of the one it is on; the main thread does the rest
        if (pool.inFlight() < 2 * pool.size) submit(batch);
        else await checkHere(batch);
      }
    }
    if (pool && work.length) submit(work.splice(0, work.length));
    await Promise.all(submitted);
  } finally {
    pool?.close();
  }
  if (work.length) await checkHere(work);
  run.debug(
    () =>
      `validate: ${sel.toCheck.length} files to check, ${needRead.length} read, ${checkedCount} checked${pool ? ` (${threads} threads: the main one and ${pool.size} worker${pool.size > 1 ? 's' : ''})` : ''} (${cache.size} cached results loaded)`,
  );
  if (opts.cache && !run.idx && (checkedCount > 0 || dirty || fresh.size !== cache.size || !cache.has(CONFIG_FILE) || cache.get(CONFIG_FILE)!.s !== fresh.get(CONFIG_FILE)?.s)) {
    // keep entries of files not looked at this run (a partial run must not empty the cache)
    for (const [k, v] of cache) if (!fresh.has(k) && sel.listedType.has(k) && k !== CONFIG_FILE) fresh.set(k, v);
    saveCache(run.stateDir, cfg.digest, fresh, (rel) => rel === CONFIG_FILE || sel.layout.files.get(rel) === 'environment');
  }
  return { outcomes, shas };
}
