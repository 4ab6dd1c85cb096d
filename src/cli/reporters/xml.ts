import { safeLines } from '../../core/escape.js';

/** XML text/attribute escaping shared by the JUnit reporters. */
export function xmlEscape(s: string): string {
  // control characters shown as escapes (core/escape.ts: the file is also printed to CI logs), and
  // the two XML 1.0 cannot hold at all dropped
  const clean = safeLines(s).replace(/[\uFFFE\uFFFF]/g, '');
  return clean.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}
