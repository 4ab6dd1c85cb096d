// The floor `prompts validate` is measured against (issue 2 item 7): read each registry file,
// parse it with js-yaml, run one precompiled ajv validate for its kind, single thread, no
// semantic checks. Usage: node validate-floor.mjs <registry-dir>
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import jsyaml from 'js-yaml';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

const root = process.argv[2];
const schemas = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'schemas');
const ajv = new Ajv2020({ allErrors: true, strict: false, allowUnionTypes: true });
addFormats(ajv);
const compile = (k) => ajv.compile(JSON.parse(readFileSync(path.join(schemas, `${k}.schema.json`), 'utf8')));
const v = { prompt: compile('prompt'), suite: compile('suite'), environment: compile('environment'), config: compile('config') };
const files = [];
const walk = (dir) => {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p);
    else if (e.name.endsWith('.yaml')) files.push(p);
  }
};
walk(path.join(root, 'prompts'));
walk(path.join(root, 'environments'));
files.push(path.join(root, 'prompts.config.yaml'));
let bad = 0;
for (const f of files) {
  const value = jsyaml.load(readFileSync(f, 'utf8'), { schema: jsyaml.CORE_SCHEMA });
  const rel = path.relative(root, f);
  const kind = rel === 'prompts.config.yaml' ? 'config' : rel.startsWith(`environments${path.sep}`) ? 'environment' : f.endsWith('evals.yaml') ? 'suite' : 'prompt';
  if (!v[kind](value)) bad++;
}
console.log(`${files.length} files, ${bad} invalid`);
