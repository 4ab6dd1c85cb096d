/**
 * What a cached validate result depends on besides a file's own bytes: the tool version, the
 * check code, the shipped schemas and the config's bytes. One digest over all of it keys the
 * per-file cache and the whole-run memo, so a new build, a schema edit or a config change never
 * serves an old result.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { sha256 } from '../registry/files.js';
import { SCHEMA_KINDS, schemaFile } from '../paths.js';

/** Bump when the checks change in a way that makes cached results wrong. */
export const CHECKS_VERSION = 4;

/**
 * The modules the per-file checks run (relative to this folder; a test keeps it complete):
 * a new build must not trust results of the old one.
 */
export const CHECK_CODE = [
  'checks/index.js',
  'checks/types.js',
  'checks/reporter.js',
  'checks/prompt.js',
  'checks/suite.js',
  'checks/environment.js',
  'checks/config.js',
  'json-schema.js',
  'compiled.js',
  'doc.js',
  'full-doc.js',
  'fast-yaml.js',
  'template-scan.js',
  'problem.js',
  '../core/template.js',
  '../core/template-scope.js',
  '../eval/assertions/check.js',
  '../eval/assertions/jsonpath.js',
  '../core/partials.js',
  '../core/ref.js',
  '../core/bucket.js',
  '../core/suggest.js',
  '../core/json.js',
  '../core/plain-schema.js',
  '../core/env-chain.js',
  '../core/env-change.js',
  '../core/regex.js',
  '../registry/schema-findings.js',
  '../registry/schemas.js',
  '../registry/yaml.js',
  '../registry/files.js',
  '../paths.js',
  '../errors.js',
];

let codeAndSchemas: string | undefined;
function codeAndSchemasDigest(): string {
  if (codeAndSchemas === undefined) {
    const h = createHash('sha256');
    const here = path.dirname(fileURLToPath(import.meta.url));
    for (const f of CHECK_CODE) {
      try {
        const st = fs.statSync(path.join(here, f));
        h.update(`${f}:${st.size}:${st.mtimeMs}`);
      } catch {
        h.update(`${f}:none`);
      }
    }
    for (const k of SCHEMA_KINDS) {
      try {
        h.update(fs.readFileSync(schemaFile(k)));
      } catch {
        h.update(`missing:${k}`);
      }
    }
    codeAndSchemas = h.digest('hex');
  }
  return codeAndSchemas;
}

/** The digest of a run with this tool version and these config bytes (undefined: unreadable config). */
export function runDigest(toolVersion: string, configBytes: Buffer | undefined): string {
  return sha256(`${toolVersion}|${CHECKS_VERSION}|${codeAndSchemasDigest()}|${configBytes ? sha256(configBytes) : ''}`);
}
