/** `diff --format json`: the PromptDiff as one stable JSON document. */
import type { PromptDiff } from '../../../core/diff.js';

export function renderDiffJson(d: PromptDiff): string {
  return `${JSON.stringify(d, null, 2)}\n`;
}
