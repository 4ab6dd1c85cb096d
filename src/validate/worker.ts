/** A worker thread running the per-file checks on its share of a large cold run. */
import { parentPort, workerData } from 'node:worker_threads';
import { checkFileAsync, type CheckContext, type FileKind, type FileOutcome } from './checks/index.js';

export interface WorkItem {
  rel: string;
  kind: FileKind;
  bytes: Uint8Array;
}

export interface WorkRequest {
  id: number;
  items: WorkItem[];
}

export type WorkResponse = { id: number; ok: true; outcomes: FileOutcome[] } | { id: number; ok: false; error: string };

const ctx = (workerData as { ctx: CheckContext } | null)?.ctx;

parentPort?.on('message', async (req: WorkRequest) => {
  try {
    const outcomes: FileOutcome[] = [];
    for (const it of req.items) outcomes.push(await checkFileAsync(it.kind, it.rel, it.bytes, ctx!));
    parentPort!.postMessage({ id: req.id, ok: true, outcomes } satisfies WorkResponse);
  } catch (e) {
    parentPort!.postMessage({ id: req.id, ok: false, error: e instanceof Error ? (e.stack ?? e.message) : String(e) } satisfies WorkResponse);
  }
});
