/**
 * The shipped schemas are usable by any consumer: they compile under ajv `strict: true` (what an
 * editor plugin or a user's CI may use), and `created` accepts exactly RFC 3339 dates and
 * date-times (issue 9 item 9).
 */
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsImport from 'ajv-formats';
import { schemaFindings } from '../../src/registry/schema-findings.js';

const addFormats = ((addFormatsImport as unknown as { default?: unknown }).default ?? addFormatsImport) as (a: Ajv2020) => Ajv2020;
const dir = new URL('../../schemas/', import.meta.url);
const files = readdirSync(dir).filter((f) => f.endsWith('.schema.json'));

describe('shipped schemas', () => {
  it.each(files)('%s compiles under ajv strict: true (every strict check, no union types allowed)', (f) => {
    const ajv = new Ajv2020({ strict: true, allErrors: true, logger: { log: () => {}, warn: (m: unknown) => { throw new Error(String(m)); }, error: (m: unknown) => { throw new Error(String(m)); } } });
    addFormats(ajv);
    expect(() => ajv.compile(JSON.parse(readFileSync(new URL(f, dir), 'utf8')) as object)).not.toThrow();
  });

  const prompt = (created: unknown) => ({ id: 'a/b', version: '1.0.0', created, model: { provider: 'p', name: 'm' }, template: 'hi' });
  it('created: RFC 3339 full-date or date-time, nothing else', () => {
    for (const ok of ['2026-11-20', '2024-02-29', '2026-11-20T10:04:11Z', '2026-11-20t10:04:11z', '2026-11-20T10:04:11.123Z', '2026-11-20T12:04:11+02:00', '2026-11-20T10:04:11-05:30', '2016-12-31T23:59:60Z']) {
      expect(schemaFindings('prompt', prompt(ok)), ok).toEqual([]);
    }
    for (const bad of ['2026-11-20T10:04:11', '2026-11-20 10:04:11Z', '2026-11-20T10:04Z', '2026-11-20T10:04:11+0200', '2026-02-30', '2026-13-01', '2026-11-20T25:00:00Z', '20.11.2026', '2026-11', 'today', 20261120]) {
      const f = schemaFindings('prompt', prompt(bad));
      expect(f.length, String(bad)).toBe(1);
      expect(f[0]!.message, String(bad)).toMatch(typeof bad === 'number' ? /created/ : /^"created" must be an RFC 3339 date \(2026-11-20\) or date-time/);
    }
  });
});
