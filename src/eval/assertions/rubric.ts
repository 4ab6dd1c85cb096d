/**
 * `llm-rubric`: the grading prompt sent to a provider, and a tolerant parser of its answer.
 * The grader is asked for JSON `{"pass": bool, "score": 0..1, "reason": "..."}`; when it
 * answers otherwise we look for a JSON object inside the text, then for PASS/FAIL words and a
 * "score: x" figure, and only then give up (the assertion fails saying the answer was unreadable).
 */
import type { Message } from '../../core/types.js';

export interface Grade {
  pass: boolean;
  score: number | null;
  reason: string;
}

export function rubricMessages(rubric: string, output: string): Message[] {
  return [
    {
      role: 'system',
      content:
        'You grade the output of another AI model against a rubric. Reply with only a JSON object: ' +
        '{"pass": true|false, "score": <number from 0 to 1>, "reason": "<one sentence>"}.',
    },
    { role: 'user', content: `Rubric:\n${rubric}\n\nOutput to grade:\n<output>\n${output}\n</output>` },
  ];
}

function fromObject(o: Record<string, unknown>, threshold: number): Grade | null {
  let score: number | null = null;
  if (typeof o.score === 'number' && Number.isFinite(o.score)) score = o.score > 1 && o.score <= 10 ? o.score / 10 : o.score;
  else if (typeof o.score === 'string' && Number.isFinite(Number(o.score))) score = Number(o.score);
  let pass: boolean | null = null;
  const p = o.pass ?? o.passed ?? o.verdict ?? o.result;
  if (typeof p === 'boolean') pass = p;
  else if (typeof p === 'string') {
    if (/^(pass|passed|true|yes)$/i.test(p.trim())) pass = true;
    else if (/^(fail|failed|false|no)$/i.test(p.trim())) pass = false;
  }
  if (pass === null && score !== null) pass = score >= threshold;
  if (pass === null) return null;
  const reason = typeof o.reason === 'string' ? o.reason : typeof o.explanation === 'string' ? o.explanation : '';
  return { pass, score, reason };
}

/** The spec of `unfence`: it gives exactly this replacement, in linear time (a test compares them). */
export const GRADE_FENCE = /^```(?:json)?\s*([\s\S]*?)\s*```$/i;
const space = /\s/;

/** `t.replace(GRADE_FENCE, '$1')` without the regex's quadratic backtracking on long whitespace. */
export function unfence(t: string): string {
  if (!t.startsWith('```') || t.length < 6 || !t.endsWith('```')) return t;
  let p = 3;
  if (t.slice(3, 7).toLowerCase() === 'json' && t.length - 3 >= 7) p = 7;
  const close = t.length - 3;
  while (p < close && space.test(t[p]!)) p++;
  let q = close;
  while (q > p && space.test(t[q - 1]!)) q--;
  return t.slice(p, q);
}

/** Parses a grader's answer; null when no verdict can be read from it. */
export function parseGrade(text: string, threshold = 0.5): Grade | null {
  const t = unfence(text.trim());
  const candidates = [t];
  const start = t.indexOf('{');
  const end = t.lastIndexOf('}');
  if (start !== -1 && end > start) candidates.push(t.slice(start, end + 1));
  for (const c of candidates) {
    try {
      const j = JSON.parse(c) as unknown;
      if (j !== null && typeof j === 'object' && !Array.isArray(j)) {
        const g = fromObject(j as Record<string, unknown>, threshold);
        if (g) return g;
      }
    } catch {}
  }
  const sm = /score\s*[:=]\s*(\d+(?:\.\d+)?)(\s*\/\s*10)?/i.exec(t);
  let score: number | null = null;
  if (sm) score = sm[2] ? Number(sm[1]) / 10 : Number(sm[1]) > 1 && Number(sm[1]) <= 10 ? Number(sm[1]) / 10 : Number(sm[1]);
  const hasPass = /\b(PASS|PASSED)\b/i.test(t);
  const hasFail = /\b(FAIL|FAILED)\b/i.test(t);
  const firstLine = t.split('\n')[0]!.slice(0, 200);
  if (hasPass !== hasFail) return { pass: hasPass, score, reason: firstLine };
  if (score !== null) return { pass: score >= threshold, score, reason: firstLine };
  return null;
}
