import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from '../../src/providers/circuit.js';
import { Semaphore, TokenBucket } from '../../src/providers/resilience.js';
import { InMemoryBudgetStore } from '../../src/sdk/budget.js';
import { estimateCost, estimateRequest } from '../../src/providers/cost.js';

describe('CircuitBreaker: closed → open → half-open → closed/open', () => {
  it('opens after N consecutive failures; a success in between resets the count', () => {
    let now = 0;
    const b = new CircuitBreaker({ failures: 3, cooldownMs: 1000, now: () => now });
    b.failure('a');
    b.failure('b');
    b.success();
    expect(b.failure('c')).toBe(false);
    expect(b.failure('d')).toBe(false);
    expect(b.failure('e')).toBe(true);
    expect(b.state).toBe('open');
    expect(b.tryAcquire()).toBe(false);
    expect(b.retryAt).toBe(1000);
    now = 999;
    expect(b.tryAcquire()).toBe(false);
    now = 1000;
    expect(b.state).toBe('half-open');
    expect(b.tryAcquire()).toBe(true); // the one probe
    expect(b.tryAcquire()).toBe(false); // everyone else still fails fast
    expect(b.failure('probe failed')).toBe(true);
    expect(b.state).toBe('open');
    now = 2000;
    expect(b.tryAcquire()).toBe(true);
    b.neutral(); // a 429 or 4xx says nothing: the next caller may probe
    expect(b.tryAcquire()).toBe(true);
    b.success();
    expect(b.state).toBe('closed');
    expect(b.opens).toBe(2);
  });
});

describe('TokenBucket', () => {
  it('starts full, goes into debt, and tells each taker how long to wait (arrival order)', () => {
    let now = 0;
    const t = new TokenBucket(60, () => now); // 1 per second
    for (let i = 0; i < 60; i++) expect(t.take(1)).toBe(0);
    expect(t.take(1)).toBe(1000);
    expect(t.take(1)).toBe(2000);
    now = 2000;
    expect(t.available).toBeCloseTo(0, 6);
    t.give(1);
    expect(t.take(1)).toBe(0);
  });
  it('clamps a request larger than the bucket to its size, and never refills past it', () => {
    let now = 0;
    const t = new TokenBucket(100, () => now);
    expect(t.take(500)).toBe(0);
    expect(t.take(50)).toBe(30_000);
    now = 10 * 60_000;
    expect(t.available).toBe(100);
  });
});

describe('Semaphore', () => {
  it('FIFO, bounded, and an aborted waiter gives up its place', async () => {
    const s = new Semaphore(2);
    await s.acquire();
    await s.acquire();
    const order: string[] = [];
    const ac = new AbortController();
    const a = s.acquire().then(() => order.push('a'));
    const b = s.acquire(ac.signal).then(
      () => order.push('b'),
      () => order.push('b aborted'),
    );
    const c = s.acquire().then(() => order.push('c'));
    expect(s.waiting).toBe(3);
    ac.abort();
    s.release();
    s.release();
    await Promise.all([a, b, c]);
    expect(order).toEqual(['b aborted', 'a', 'c']);
    expect(s.inUse).toBe(2);
  });
});

describe('InMemoryBudgetStore: rolling hour and day', () => {
  it('refuses what does not fit, counts reservations, forgets spend older than the window', () => {
    const st = new InMemoryBudgetStore();
    const limits = { usd_per_hour: 1, usd_per_day: 2 };
    const h = 3_600_000;
    expect(st.reserve(0.6, limits, 0)).toEqual({ ok: true });
    expect(st.reserve(0.6, limits, 1000)).toEqual({ ok: false, window: 'hour', limitUsd: 1, spentUsd: 0.6 });
    st.adjust(-0.5, 0); // the call cost less
    expect(st.reserve(0.6, limits, 1000)).toEqual({ ok: true });
    expect(st.spent(h, 1000)).toBeCloseTo(0.7, 10);
    // an hour later the hour window is empty again, the day still counts
    expect(st.reserve(0.9, limits, h + 120_000)).toEqual({ ok: true });
    expect(st.reserve(0.9, limits, 2 * h + 240_000)).toEqual({ ok: false, window: 'day', limitUsd: 2, spentUsd: expect.closeTo(1.6, 10) });
    // a day later everything has left the windows
    expect(st.spent(24 * h, 26 * h)).toBe(0);
    expect(st.reserve(0.9, limits, 26 * h)).toEqual({ ok: true });
  });
});

describe('cost estimates (shared with eval)', () => {
  it('upper bound: input chars / 4 + framing, and the request\'s max_tokens (else the provider default)', () => {
    const msgs = [{ role: 'user' as const, content: 'x'.repeat(400) }];
    expect(estimateRequest(msgs, { max_tokens: 50 }, 'openai')).toEqual({ inputTokens: 104, outputTokens: 50 });
    expect(estimateRequest(msgs, { max_completion_tokens: 70 }, 'openai').outputTokens).toBe(70);
    expect(estimateRequest(msgs, {}, 'openai').outputTokens).toBe(1024);
    expect(estimateRequest(msgs, {}, 'anthropic').outputTokens).toBe(1024);
    const prices = { m: { input_per_1m: 1, output_per_1m: 2 } };
    expect(estimateCost({ inputTokens: 1_000_000, outputTokens: 500_000 }, prices, 'm', 'openai')).toBe(2);
    expect(estimateCost({ inputTokens: 1, outputTokens: 1 }, prices, 'other', 'openai')).toBeNull();
    expect(estimateCost({ inputTokens: 1, outputTokens: 1 }, undefined, 'm', 'echo')).toBe(0);
  });
});

describe('displayUrl', () => {
  it('never prints userinfo', async () => {
    const { displayUrl } = await import('../../src/providers/http.js');
    expect(displayUrl('https://user:secret@gw.example.com/v1/chat/completions')).toBe('https://gw.example.com/v1/chat/completions');
    expect(displayUrl('http://127.0.0.1:1/v1')).toBe('http://127.0.0.1:1/v1');
  });
});
