/**
 * The HTML eval report: one self-contained file (works from file:// and as a CI artifact) with
 * the data as JSON in a `<script type="application/json">`, a small viewer script, its styles,
 * and jsdiff (the `diff` package's browser build) for the word diff, all inline.
 *
 * Safety: nothing from the data is written as markup. The JSON escapes `<`, `>`, `&`, U+2028 and
 * U+2029 as \u escapes, so a reply containing `</script><script>…` stays a string inside the
 * data block; the viewer puts every string into the page with textContent. The Content-Security-
 * Policy allows no network at all (`default-src 'none'`) and only the two inline scripts and
 * the stylesheet of this file, by sha256 hash — not 'unsafe-inline', which would also let any
 * script that an injection managed to place in the page run.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import type { EvalReport } from '../../eval/report.js';
import { reportsOf, isRunDocument, type EvalRunDocument } from '../../eval/document.js';

/** Marks files this reporter wrote (`-o` replaces only those, never another file). */
export const HTML_GENERATOR = 'promptrail eval report';

let assets: { client: string; style: string; diff: string } | undefined;

function loadAssets(): { client: string; style: string; diff: string } {
  if (!assets) {
    const here = new URL('./eval-html/', import.meta.url);
    const require = createRequire(import.meta.url);
    const diffDir = path.dirname(require.resolve('diff/package.json'));
    const diffVersion = (JSON.parse(readFileSync(path.join(diffDir, 'package.json'), 'utf8')) as { version: string }).version;
    assets = {
      client: readFileSync(new URL('client.js', here), 'utf8'),
      style: readFileSync(new URL('style.css', here), 'utf8'),
      diff: `/*! jsdiff ${diffVersion} (npm "diff"), BSD-3-Clause, https://github.com/kpdecker/jsdiff */\n${readFileSync(path.join(diffDir, 'dist', 'diff.min.js'), 'utf8')}`,
    };
    // inline scripts and styles end at the first "</script" / "</style": none may contain one
    for (const [name, text] of Object.entries(assets)) {
      if (/<\/(script|style)|<!--/i.test(text)) throw new Error(`eval-html asset ${name} contains a sequence that would end its element early`);
    }
  }
  return assets;
}

/** JSON that is safe inside a `<script>` element: no `<`, `>`, `&`, U+2028 or U+2029 as such. */
export function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function cspHash(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

/** Text for HTML element content/attributes (only our own constant text goes there, but still). */
function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export interface HtmlOptions {
  title?: string;
  /** ISO time shown in the header (default: now) */
  generatedAt?: string;
}

/** One HTML page showing every report of `docs` (plain reports and run documents). */
export function renderEvalHtml(docs: readonly (EvalReport | EvalRunDocument)[], o: HtmlOptions = {}): string {
  const a = loadAssets();
  const reports = docs.flatMap(reportsOf);
  const skipped = docs.filter(isRunDocument).flatMap((d) => d.skipped);
  const base = docs.filter(isRunDocument).map((d) => d.selection?.base).find((b) => b !== undefined);
  const data = { generated_at: o.generatedAt ?? new Date().toISOString(), title: o.title ?? 'promptrail eval report', base: base ?? null, skipped, reports };
  const csp = [
    "default-src 'none'",
    `script-src ${cspHash(a.diff)} ${cspHash(a.client)}`,
    `style-src ${cspHash(a.style)}`,
    "img-src 'none'",
    "connect-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${esc(csp)}">`,
    '<meta name="referrer" content="no-referrer">',
    `<meta name="generator" content="${HTML_GENERATOR}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${esc(data.title)}</title>`,
    `<style>${a.style}</style>`,
    '</head>',
    '<body>',
    '<main id="app"><noscript>This report needs JavaScript to show its data (it runs locally: no network).</noscript></main>',
    `<script type="application/json" id="report-data">${scriptSafeJson(data)}</script>`,
    `<script>${a.diff}</script>`,
    `<script>${a.client}</script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

/** Is `text` a page this reporter wrote? (for `-o`: never overwrite another file) */
export function isEvalHtml(text: string): boolean {
  return text.startsWith('<!doctype html>') && text.includes(`<meta name="generator" content="${HTML_GENERATOR}">`);
}
