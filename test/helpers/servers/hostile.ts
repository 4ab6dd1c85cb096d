/**
 * A hostile "provider" on 127.0.0.1 for attack tests: each request is answered by a handler the
 * test writes (echo the key back in some disguise, stream a body without end, never answer),
 * with every request recorded. Streams are stopped when the client goes away or the server closes.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HostileRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export type Handler = (req: HostileRequest, res: http.ServerResponse, n: number) => void;

export interface HostileServer {
  /** base_url for the provider config: http://127.0.0.1:<port>/v1 */
  url: string;
  port: number;
  requests: HostileRequest[];
  /** bytes written by streaming handlers (see `stream`) */
  sent: { bytes: number };
  close(): Promise<void>;
}

export async function startHostileServer(handler: Handler): Promise<HostileServer> {
  const sockets = new Set<import('node:net').Socket>();
  const requests: HostileRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: HostileRequest = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      requests.push(r);
      handler(r, res, requests.length);
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    port,
    requests,
    sent: streamed,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

const streamed = { bytes: 0 };

/** Writes `chunk` again and again (chunked, no content-length) until `limit` bytes or the client leaves. */
export function stream(res: http.ServerResponse, chunk: string, limit = Infinity, status = 200): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  let sent = 0;
  const buf = Buffer.from(chunk);
  const pump = (): void => {
    while (sent < limit && !res.destroyed) {
      sent += buf.length;
      streamed.bytes += buf.length;
      if (!res.write(buf)) {
        res.once('drain', pump);
        return;
      }
    }
    if (!res.destroyed) res.end();
  };
  res.on('close', () => res.removeAllListeners('drain'));
  pump();
}

/** A JSON reply. */
export function json(res: http.ServerResponse, status: number, body: unknown): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) });
  res.end(text);
}

/** An OpenAI chat.completion body with `content`. */
export function completion(content: string): unknown {
  return { id: 'chatcmpl-1', object: 'chat.completion', model: 'm', choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }], usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } };
}
