/**
 * Is a user-written JSON Schema (a prompt's `inputs`, `output.schema`, an inline json-schema
 * assertion) itself valid? Checked against the 2020-12 meta-schema and compiled, so bad
 * `$ref`s and regex patterns are caught. Results are memoized by the schema's JSON text: the
 * versions of one prompt usually share their schemas, so a large registry compiles few.
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsImport from 'ajv-formats';

const addFormats = addFormatsImport as unknown as (ajv: Ajv2020) => Ajv2020;

let ajv: Ajv2020 | undefined;
function instance(): Ajv2020 {
  if (!ajv) {
    // logger off: ajv would print warnings (unknown formats…) on the console
    ajv = new Ajv2020({ allErrors: true, strict: false, allowUnionTypes: true, validateSchema: true, logger: false });
    addFormats(ajv);
  }
  return ajv;
}

const memo = new Map<string, string | null>();

/** Why `schema` is not a valid JSON Schema, or null when it is. */
export function jsonSchemaProblem(schema: unknown): string | null {
  let key: string;
  try {
    key = JSON.stringify(schema);
  } catch {
    return 'the schema cannot be represented as JSON';
  }
  const hit = memo.get(key);
  if (hit !== undefined) return hit;
  const a = instance();
  let problem: string | null = null;
  try {
    if (!a.validateSchema(schema as object)) {
      problem = a.errorsText(a.errors, { dataVar: 'schema', separator: '; ' });
    } else {
      // compile without caching it in ajv (a schema with $id would clash with an earlier one)
      const copy = JSON.parse(key) as Record<string, unknown>;
      if (copy && typeof copy === 'object') delete copy.$id;
      a.compile(copy);
      a.removeSchema(copy);
    }
  } catch (e) {
    problem = e instanceof Error ? e.message.split('\n')[0]! : String(e);
  }
  memo.set(key, problem);
  return problem;
}
