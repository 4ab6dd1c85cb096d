/**
 * Worker threads for large cold runs of the per-file checks (working tree only). Each worker
 * reads and checks the chunks of files it is given; started as soon as the run knows its
 * files, so their start-up (loading the checks) overlaps the main thread's own share.
 */
import type { Worker as WorkerType } from 'node:worker_threads';
import type { CheckContext } from './checks/types.js';
import type { WorkItem, WorkRequest, WorkResponse, WorkResult } from './worker.js';

export class Pool {
  private readonly workers: WorkerType[] = [];
  private readonly pending = new Map<number, { resolve: (o: WorkResult[]) => void; reject: (e: unknown) => void }>();
  private next = 0;
  private seq = 0;
  private failed: unknown;

  constructor(Worker: typeof WorkerType, threads: number, ctx: CheckContext, root: string) {
    const url = new URL('./worker.js', import.meta.url);
    for (let i = 0; i < threads; i++) {
      const w = new Worker(url, { workerData: { ctx, root } });
      w.on('message', (res: WorkResponse) => {
        const p = this.pending.get(res.id);
        this.pending.delete(res.id);
        if (!p) return;
        if (res.ok) p.resolve(res.results);
        else p.reject(new Error(res.error));
      });
      w.on('error', (e) => {
        this.failed = e;
        for (const p of this.pending.values()) p.reject(e);
        this.pending.clear();
      });
      this.workers.push(w);
    }
  }

  get size(): number {
    return this.workers.length;
  }

  inFlight(): number {
    return this.pending.size;
  }

  submit(items: WorkItem[]): Promise<WorkResult[]> {
    if (this.failed) return Promise.reject(this.failed);
    const id = this.seq++;
    const w = this.workers[this.next++ % this.workers.length]!;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      w.postMessage({ id, items } satisfies WorkRequest);
    });
  }

  close(): void {
    for (const w of this.workers) void w.terminate();
  }
}

export async function startPool(threads: number, ctx: CheckContext, root: string): Promise<Pool> {
  const { Worker } = await import('node:worker_threads');
  return new Pool(Worker, threads, ctx, root);
}
