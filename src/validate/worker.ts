/**
 * A worker thread taking a share of a large cold run: for each file of a chunk it reads the
 * bytes (through the same guarded reader as the main thread) and runs the per-file checks.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { contentSha256 } from '../registry/files.js';
import { checkFileAsync, type CheckContext, type FileKind, type FileOutcome } from './checks/index.js';
import type { Fingerprint } from './cache.js';
import { readProblem } from './run.js';
import { worktreeSource } from './source.js';

export interface WorkItem {
  rel: string;
  kind: FileKind;
}

export interface WorkRequest {
  id: number;
  items: WorkItem[];
}

/** A file's result: its outcome, the sha256 of its bytes and their fingerprint (absent when it could not be read). */
export interface WorkResult {
  outcome: FileOutcome;
  sha?: string;
  fp?: Fingerprint;
}

export type WorkResponse = { id: number; ok: true; results: WorkResult[] } | { id: number; ok: false; error: string };

const data = workerData as { ctx: CheckContext; root: string } | null;

if (data && parentPort) {
  const port = parentPort;
  const src = worktreeSource(data.root);
  port.on('message', async (req: WorkRequest) => {
    try {
      const blobs = await src.read(req.items.map((i) => i.rel));
      const results: WorkResult[] = [];
      for (const it of req.items) {
        const b = blobs.get(it.rel)!;
        if (b.problem) results.push({ outcome: { problems: [readProblem(b.problem)] } });
        else results.push({ outcome: await checkFileAsync(it.kind, it.rel, b.bytes!, data.ctx), sha: contentSha256(b.bytes!), fp: src.stat?.(it.rel) });
      }
      port.postMessage({ id: req.id, ok: true, results } satisfies WorkResponse);
    } catch (e) {
      port.postMessage({ id: req.id, ok: false, error: e instanceof Error ? (e.stack ?? e.message) : String(e) } satisfies WorkResponse);
    }
  });
}
