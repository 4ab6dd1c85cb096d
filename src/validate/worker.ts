/** A worker thread running the per-file checks on its share of a large cold run. */
import { parentPort } from 'node:worker_threads';
import { checkFileAsync, type CheckContext, type FileKind, type FileOutcome } from './checks.js';

export interface WorkItem {
  rel: string;
  kind: FileKind;
  bytes: Uint8Array;
}

export interface WorkRequest {
  ctx: CheckContext;
  items: WorkItem[];
}

export type WorkResponse = { ok: true; outcomes: FileOutcome[] } | { ok: false; error: string };

parentPort?.on('message', async (req: WorkRequest) => {
  try {
    const outcomes: FileOutcome[] = [];
    for (const it of req.items) outcomes.push(await checkFileAsync(it.kind, it.rel, it.bytes, req.ctx));
    parentPort!.postMessage({ ok: true, outcomes } satisfies WorkResponse);
  } catch (e) {
    parentPort!.postMessage({ ok: false, error: e instanceof Error ? (e.stack ?? e.message) : String(e) } satisfies WorkResponse);
  }
});
