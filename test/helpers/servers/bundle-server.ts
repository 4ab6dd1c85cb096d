/**
 * A static server for bundles on 127.0.0.1, like a CDN or object store: GET returns the current
 * body with an ETag (quoted sha256) and Last-Modified, and answers If-None-Match /
 * If-Modified-Since with 304. Tests switch the body, the validators it sends, or a failure mode,
 * and read every request it got.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash } from 'node:crypto';

export type BundleServerMode = 'normal' | 'error500' | 'reset' | 'always304';

export interface BundleServer {
  url: string;
  /** the body served (a function: read on every request, e.g. from a file) */
  body: () => string;
  mode: BundleServerMode;
  /** which validators the server sends */
  validators: { etag: boolean; lastModified: boolean };
  requests: { headers: http.IncomingHttpHeaders; status: number }[];
  close(): Promise<void>;
}

export async function startBundleServer(body: () => string): Promise<BundleServer> {
  const sockets = new Set<import('node:net').Socket>();
  const state: BundleServer = { url: '', body, mode: 'normal', validators: { etag: true, lastModified: true }, requests: [], close: async () => {} };
  const lastModified = new Map<string, string>();
  const server = http.createServer((req, res) => {
    const record = (status: number): void => void state.requests.push({ headers: req.headers, status });
    if (state.mode === 'reset') {
      record(0);
      req.socket.destroy();
      return;
    }
    if (state.mode === 'error500') {
      record(500);
      res.writeHead(500, { 'content-type': 'text/plain' }).end('internal error');
      return;
    }
    if (state.mode === 'always304') {
      record(304);
      res.writeHead(304).end();
      return;
    }
    const text = state.body();
    const tag = `"${createHash('sha256').update(text).digest('hex')}"`;
    if (!lastModified.has(tag)) lastModified.set(tag, new Date(Date.now() - 1000 * (100 - lastModified.size)).toUTCString());
    const lm = lastModified.get(tag)!;
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (state.validators.etag) headers.etag = tag;
    if (state.validators.lastModified) headers['last-modified'] = lm;
    const inm = req.headers['if-none-match'];
    const ims = req.headers['if-modified-since'];
    if ((state.validators.etag && inm === tag) || (!inm && state.validators.lastModified && ims === lm)) {
      record(304);
      res.writeHead(304, headers).end();
      return;
    }
    record(200);
    res.writeHead(200, { ...headers, 'content-length': String(Buffer.byteLength(text)) }).end(text);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/production.bundle.json`;
  state.close = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  return state;
}
