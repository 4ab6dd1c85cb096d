/**
 * The plain subset of JSON Schema that prompts declare for their inputs and outputs (types,
 * properties, required, enum, bounds …; no references, patterns or combinators), recognized
 * keyword by keyword. Such a schema is valid against the 2020-12 meta-schema by construction,
 * so validate and render need neither the meta-schema validator (whose own compilation costs
 * about 0.1 s) nor ajv's memo key for it. False means "ask ajv", not "invalid".
 */
const SIMPLE_TYPES = new Set(['array', 'boolean', 'integer', 'null', 'number', 'object', 'string']);
const isNonNegInt = (x: unknown): boolean => Number.isInteger(x) && (x as number) >= 0;
const isNum = (x: unknown): boolean => typeof x === 'number' && Number.isFinite(x);
const isStr = (x: unknown): x is string => typeof x === 'string';
const isArr = (x: unknown): x is unknown[] => Array.isArray(x);
const uniqueStrings = (x: unknown): boolean => isArr(x) && x.every(isStr) && new Set(x).size === x.length;
/** What each keyword of the plain subset must hold to be valid against the 2020-12 meta-schema. */
const KEYWORDS: Record<string, (v: unknown, depth: number) => boolean> = {
  type: (v) => (isStr(v) ? SIMPLE_TYPES.has(v) : isArr(v) && v.length > 0 && v.every((t) => isStr(t) && SIMPLE_TYPES.has(t)) && new Set(v).size === v.length),
  properties: (v, d) => v !== null && typeof v === 'object' && !isArr(v) && Object.values(v).every((s) => plainSchema(s, d + 1)),
  required: uniqueStrings,
  additionalProperties: (v, d) => plainSchema(v, d + 1),
  items: (v, d) => plainSchema(v, d + 1),
  // (an empty enum passes the meta-schema but ajv refuses to compile it: left to ajv's path)
  enum: (v) => isArr(v) && v.length > 0,
  const: () => true,
  default: () => true,
  examples: isArr,
  description: isStr,
  title: isStr,
  format: isStr,
  minLength: isNonNegInt,
  maxLength: isNonNegInt,
  minItems: isNonNegInt,
  maxItems: isNonNegInt,
  minProperties: isNonNegInt,
  maxProperties: isNonNegInt,
  minimum: isNum,
  maximum: isNum,
  exclusiveMinimum: isNum,
  exclusiveMaximum: isNum,
  multipleOf: (v) => isNum(v) && (v as number) > 0,
  uniqueItems: (v) => typeof v === 'boolean',
};

/** Is `s` a schema of the plain subset? (test/unit/validate-fast-paths.test.ts compares with ajv) */
export function plainSchema(s: unknown, depth = 0): boolean {
  if (typeof s === 'boolean') return true;
  if (s === null || typeof s !== 'object' || isArr(s) || depth > 16) return false;
  for (const k of Object.keys(s)) {
    const check = Object.hasOwn(KEYWORDS, k) ? KEYWORDS[k] : undefined;
    if (!check || !check((s as Record<string, unknown>)[k], depth)) return false;
  }
  return true;
}
