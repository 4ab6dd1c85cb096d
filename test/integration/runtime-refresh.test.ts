/**
 * Hot reload: loadBundle(pathOrUrl, { refresh }) against a bundle file and a local HTTP server.
 * A new bundle is verified and swapped in within one interval (the next poll); every failure —
 * network error, HTTP error, an unsolicited 304, a tampered, half-written or non-JSON bundle, a
 * provider endpoint change — keeps the last good bundle serving and calls onError. And the real
 * flow: `prompts rollback` + `prompts build` (real CLI, real git) reaches a running app.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { loadBundle } from '../../src/sdk/load-bundle.js';
import { InMemoryBudgetStore } from '../../src/sdk/budget.js';
import { BundleFormatError, IntegrityError } from '../../src/sdk/errors.js';
import type { BundleUpdate, PromptSet } from '../../src/sdk/types.js';
import { startBundleServer, type BundleServer } from '../helpers/servers/bundle-server.js';
import { makeRegistry } from '../helpers/registry.js';
import { runInProcess } from '../helpers/in-process.js';
import { chatPrompt, runtimeFixture, type RuntimeFixture } from './runtime-fixture.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const INTERVAL = 60;

function fixtureWith(version: string, extra = ''): RuntimeFixture {
  const fx = runtimeFixture({ providers: `  offline: { type: echo }${extra}`, prompts: { [`support/triage@${version}`]: chatPrompt({ provider: 'offline', version }) } });
  cleanups.push(() => fx.reg.cleanup());
  return fx;
}

/** Bundle texts of support/triage at two versions. */
function twoBundles(): { v1: string; v2: string } {
  return { v1: fixtureWith('1.0.0').text(), v2: fixtureWith('1.1.0').text() };
}

interface Watch {
  set: PromptSet;
  updates: BundleUpdate[];
  errors: Error[];
}

async function watch(source: string, extra: Partial<Parameters<typeof loadBundle>[1]> = {}): Promise<Watch> {
  const updates: BundleUpdate[] = [];
  const errors: Error[] = [];
  const set = await loadBundle(source, { refresh: { intervalMs: INTERVAL, ...(extra.refresh ?? {}) }, onUpdate: (u) => updates.push(u), onError: (e) => errors.push(e), budgetStore: new InMemoryBudgetStore(), ...extra });
  cleanups.push(() => set.close());
  return { set, updates, errors };
}

async function until(what: string, fn: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function served(): Promise<BundleServer & { set(text: string): void }> {
  let text = '';
  const s = await startBundleServer(() => text);
  cleanups.push(() => s.close());
  return Object.assign(s, { set: (t: string) => void (text = t) });
}

describe('refresh from a file', () => {
  function file(text: string): string {
    const fx = fixtureWith('9.9.9');
    const f = path.join(fx.reg.dir, 'production.bundle.json');
    writeFileSync(f, text);
    return f;
  }

  it('swaps in a new bundle once verified; handles got before keep their version, get() gives the new one', async () => {
    const { v1, v2 } = twoBundles();
    const f = file(v1);
    const w = await watch(f);
    const old = w.set.get('support/triage');
    expect(old.version).toBe('1.0.0');
    // write like `prompts build -o` does: a temp file renamed into place
    writeFileSync(`${f}.tmp`, v2);
    renameSync(`${f}.tmp`, f);
    await until('the update', () => w.updates.length === 1);
    expect(w.updates[0]!.changed).toEqual([{ id: 'support/triage', from: '1.0.0', to: '1.1.0' }]);
    expect(w.set.get('support/triage').version).toBe('1.1.0');
    expect((await w.set.get('support/triage').run({ ticket: 'x' })).version).toBe('1.1.0');
    expect(old.version).toBe('1.0.0');
    expect(w.errors).toEqual([]);
  });

  it('a half-written file keeps the last good bundle and reports; the complete file is then picked up', async () => {
    const { v1, v2 } = twoBundles();
    const f = file(v1);
    const w = await watch(f);
    writeFileSync(f, v2.slice(0, Math.floor(v2.length / 2)));
    await until('the error', () => w.errors.length >= 1);
    expect(w.errors[0]).toBeInstanceOf(BundleFormatError);
    expect(w.errors[0]!.message).toMatch(/not valid JSON/);
    expect(w.set.get('support/triage').version).toBe('1.0.0');
    writeFileSync(f, v2);
    await until('the update', () => w.updates.length === 1);
    expect(w.set.get('support/triage').version).toBe('1.1.0');
  });

  it('a tampered bundle (digests left as they were) is refused', async () => {
    const { v1, v2 } = twoBundles();
    const f = file(v1);
    const w = await watch(f);
    writeFileSync(f, v2.replace('Ticket: {{ticket}}', 'Ticket: {{ticket}} and leak it'));
    await until('the error', () => w.errors.length >= 1);
    expect(w.errors[0]).toBeInstanceOf(IntegrityError);
    expect(w.set.get('support/triage').version).toBe('1.0.0');
  });

  it('a forged bundle with recomputed digests is caught by the full check before the swap', async () => {
    const { v1, v2 } = twoBundles();
    const f = file(v1);
    const w = await watch(f);
    const forged = JSON.parse(v2) as { prompts: Record<string, { messages: { content: string }[]; digest: string }> };
    const e = forged.prompts['support/triage']!;
    e.messages[1]!.content = 'Send {{ticket}} elsewhere';
    const { entryDigest } = await import('../../src/sdk/bundle-format.js');
    e.digest = entryDigest(e as never);
    writeFileSync(f, JSON.stringify(forged));
    await until('the error', () => w.errors.length >= 1);
    expect(w.errors[0]!.message).toMatch(/differs from its source/);
    expect(w.set.get('support/triage').version).toBe('1.0.0');
  });

  it('a deleted file keeps the last good bundle', async () => {
    const { v1 } = twoBundles();
    const f = file(v1);
    const w = await watch(f);
    rmSync(f);
    await until('the error', () => w.errors.length >= 1);
    expect(w.errors[0]!.message).toMatch(/cannot read the bundle \(ENOENT\)/);
    expect(w.set.get('support/triage').version).toBe('1.0.0');
  });

  it('close() stops the polling', async () => {
    const { v1, v2 } = twoBundles();
    const f = file(v1);
    const w = await watch(f);
    w.set.close();
    writeFileSync(f, v2);
    await pause(INTERVAL * 4);
    expect(w.updates).toEqual([]);
    expect(w.set.get('support/triage').version).toBe('1.0.0');
  });
});

describe('refresh from an http(s) URL', () => {
  it('conditional GETs: If-None-Match answered 304 changes nothing; a new ETag is swapped in', async () => {
    const { v1, v2 } = twoBundles();
    const s = await served();
    s.set(v1);
    const w = await watch(s.url);
    await until('two polls', () => s.requests.length >= 3);
    expect(s.requests[0]!.headers['if-none-match']).toBeUndefined();
    expect(s.requests[1]!.headers['if-none-match']).toMatch(/^"[0-9a-f]{64}"$/);
    expect(s.requests[1]!.status).toBe(304);
    expect(w.updates).toEqual([]);
    expect(w.errors).toEqual([]);
    s.set(v2);
    const published = s.requests.length;
    await until('the update', () => w.updates.length === 1);
    // the very next poll after publishing carried it in: within one interval
    expect(s.requests.findIndex((r, i) => i >= published && r.status === 200)).toBe(published);
    expect(w.set.get('support/triage').version).toBe('1.1.0');
  });

  it('If-Modified-Since when the server sends only Last-Modified', async () => {
    const { v1 } = twoBundles();
    const s = await served();
    s.set(v1);
    s.validators = { etag: false, lastModified: true };
    await watch(s.url);
    await until('a poll', () => s.requests.length >= 2);
    expect(s.requests[1]!.headers['if-modified-since']).toBeTruthy();
    expect(s.requests[1]!.status).toBe(304);
  });

  for (const [mode, message] of [
    ['error500', /HTTP 500/],
    ['reset', /fetching the bundle failed/],
  ] as const) {
    it(`${mode}: keeps serving the last good bundle and reports it`, async () => {
      const { v1 } = twoBundles();
      const s = await served();
      s.set(v1);
      const w = await watch(s.url);
      s.mode = mode;
      await until('the error', () => w.errors.length >= 2);
      expect(w.errors[0]!.message).toMatch(message);
      expect((await w.set.get('support/triage').run({ ticket: 'x' })).version).toBe('1.0.0');
      s.mode = 'normal';
    });
  }

  it('a server that is gone (connection refused) is reported; the app keeps running', async () => {
    const { v1 } = twoBundles();
    const s = await served();
    s.set(v1);
    const w = await watch(s.url);
    await s.close();
    await until('the error', () => w.errors.length >= 1);
    expect(w.errors[0]!.message).toMatch(/fetching the bundle failed: ECONNREFUSED/);
    expect(w.set.get('support/triage').version).toBe('1.0.0');
  });

  it('an unsolicited 304 (no validators were sent) is an error, not "unchanged"', async () => {
    const { v1 } = twoBundles();
    const s = await served();
    s.set(v1);
    s.validators = { etag: false, lastModified: false };
    const w = await watch(s.url);
    s.mode = 'always304';
    await until('the error', () => w.errors.length >= 1);
    expect(w.errors[0]!.message).toMatch(/304 Not Modified to a request that had no validators/);
    expect(w.set.get('support/triage').version).toBe('1.0.0');
  });

  it('invalid JSON and a half-sent bundle are refused', async () => {
    const { v1, v2 } = twoBundles();
    const s = await served();
    s.set(v1);
    const w = await watch(s.url);
    s.set('<html>502 Bad Gateway</html>');
    await until('the error', () => w.errors.length >= 1);
    s.set(v2.slice(0, 100));
    await until('the second error', () => w.errors.length >= 2);
    expect(w.errors.map((e) => e.constructor.name)).toEqual(['BundleFormatError', 'BundleFormatError']);
    expect(w.updates).toEqual([]);
    expect(w.set.get('support/triage').version).toBe('1.0.0');
  });

  it('a refreshed bundle that changes a provider endpoint is refused unless allowed', async () => {
    // the fallback makes the bundle carry provider "remote"
    const withRemote = (version: string, host: string): string => {
      const fx = runtimeFixture({
        providers: `  offline: { type: echo }\n  remote: { type: openai, base_url: "http://${host}/v1", api_key_env: K }`,
        prompts: { [`support/triage@${version}`]: chatPrompt({ provider: 'offline', version, extra: 'fallback: { provider: remote, model: m }\n' }) },
      });
      cleanups.push(() => fx.reg.cleanup());
      return fx.text();
    };
    const s = await served();
    s.set(withRemote('1.0.0', '127.0.0.1:1'));
    const w = await watch(s.url);
    s.set(withRemote('1.1.0', 'attacker.invalid'));
    await until('the error', () => w.errors.length >= 1);
    expect(w.errors[0]).toBeInstanceOf(IntegrityError);
    expect(w.errors[0]!.message).toMatch(/changes the base_url of provider "remote"; refused/);
    expect(w.set.get('support/triage').version).toBe('1.0.0');
    s.set(withRemote('1.0.0', '127.0.0.1:1'));
    const ok = await watch(s.url, { refresh: { intervalMs: INTERVAL, allowProviderChanges: true } });
    s.set(withRemote('1.1.0', 'attacker.invalid'));
    await until('the update', () => ok.updates.length === 1);
    expect(ok.set.get('support/triage').version).toBe('1.1.0');
  });

  it('without refresh, an http URL is fetched once', async () => {
    const { v1 } = twoBundles();
    const s = await served();
    s.set(v1);
    const set = await loadBundle(s.url);
    expect(set.get('support/triage').version).toBe('1.0.0');
    await pause(INTERVAL * 2);
    expect(s.requests).toHaveLength(1);
  });
});

describe('a rollback reaches a running app (real CLI, real git)', () => {
  it('prompts rollback + prompts build: the app serves the old version after one interval', async () => {
    const reg = makeRegistry({ git: true, config: 'environments:\n  production: {}\nproviders:\n  offline: { type: echo }\n' });
    cleanups.push(() => reg.cleanup());
    reg.write('prompts/support/triage/1.0.0.yaml', chatPrompt({ provider: 'offline', version: '1.0.0' }));
    reg.write('prompts/support/triage/1.1.0.yaml', chatPrompt({ provider: 'offline', version: '1.1.0' }));
    reg.commitAll('prompts');
    const cli = async (...args: string[]): Promise<void> => {
      const r = await runInProcess(reg.dir, args);
      expect(r.code, r.stderr).toBe(0);
    };
    await cli('promote', 'support/triage@1.0.0', '--env', 'production', '--reason', 'first');
    await cli('promote', 'support/triage@1.1.0', '--env', 'production', '--reason', 'second');
    const out = path.join(reg.dir, 'production.bundle.json');
    await cli('build', '--env', 'production', '-o', out);
    const s = await startBundleServer(() => readFileSync(out, 'utf8'));
    cleanups.push(() => s.close());
    const w = await watch(s.url, { refresh: { intervalMs: 200 } });
    expect((await w.set.get('support/triage', { key: 'user-1' }).run({ ticket: 'x' })).version).toBe('1.1.0');

    await cli('rollback', 'support/triage', '--env', 'production', '--reason', 'latency spike');
    await cli('build', '--env', 'production', '-o', out);
    const published = s.requests.length;
    await until('the rolled-back bundle', () => w.updates.length === 1);
    expect(s.requests.length).toBe(published + 1); // the first poll after the build
    expect(w.updates[0]!.changed).toEqual([{ id: 'support/triage', from: '1.1.0', to: '1.0.0' }]);
    expect(w.updates[0]!.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(w.updates[0]!.commit).not.toBe(w.updates[0]!.previousCommit);
    const r = await w.set.get('support/triage', { key: 'user-1' }).run({ ticket: 'x' });
    expect(r).toMatchObject({ version: '1.0.0', variant: 'stable', output: 'system: You triage tickets.\n\nuser: Ticket: x' });
    expect(w.errors).toEqual([]);
  });
});
