/** The package's version (from its package.json), read once. */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { PACKAGE_DIR } from './paths.js';

let version: string | undefined;

export function packageVersion(): string {
  version ??= (JSON.parse(readFileSync(path.join(PACKAGE_DIR, 'package.json'), 'utf8')) as { version: string }).version;
  return version;
}
