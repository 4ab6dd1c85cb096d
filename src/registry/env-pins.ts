/**
 * One prompt's pin in every environment, for the integrity check of promote/rollback, without
 * parsing every other environment file in full: in the layout promote/rollback write (the
 * header line, two-space pin keys), the pin's block is found by its key line and only that block
 * is parsed, by the same strict fast reader (fastParseEnv + envShapeOk) as whole files. Anything
 * else (hand edits, another layout) takes the full reader. An environment file that cannot be
 * read at all is left out: a broken other file is `validate`'s business, not a reason to block.
 */
import * as fs from 'node:fs';
import type { EnvironmentFile, EnvPin } from '../core/types.js';
import type { PinIn } from '../core/integrity.js';
import type { Registry } from './registry.js';
import { ENV_HEADER, envShapeOk, fastParseEnv, readEnvSnapshot, yamlString } from './env-store.js';
import { MAX_ENV_FILE_BYTES } from './files.js';

/**
 * `id`'s pin in each environment of the config, in config order. `known` holds files the
 * command has read already (the target, the `requires` environment): they are used as they are.
 */
export function pinsOf(registry: Registry, id: string, known: ReadonlyMap<string, EnvironmentFile>): PinIn[] {
  const out: PinIn[] = [];
  for (const env of registry.config.environmentOrder) {
    const file = known.get(env);
    if (file) {
      out.push({ env, pin: file.prompts[id] });
      continue;
    }
    try {
      out.push({ env, pin: readPin(registry, env, id) });
    } catch {
      /* unreadable or broken: left out */
    }
  }
  return out;
}

/** `id`'s pin in `env` (undefined when not pinned or the file does not exist). */
export function readPin(registry: Registry, env: string, id: string): EnvPin | undefined {
  const file = registry.envPath(env);
  let st: fs.Stats;
  try {
    st = fs.lstatSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  if (st.isFile() && st.size <= MAX_ENV_FILE_BYTES) {
    const hit = pinBlock(fs.readFileSync(file, 'utf8'), id);
    if (hit !== null) return hit.pin;
  }
  return readEnvSnapshot(registry, env).value.prompts[id];
}

/** A pin key line (after its two spaces) as promote/rollback write it: a plain id or a quoted one without escapes. */
const KEY_LINE = /^(?:[a-z0-9][a-z0-9._/-]*|"[a-z0-9][a-z0-9._/-]*"):$/;

/**
 * The pin of `id` read from its block alone, when `text` is in our own layout: { pin } (pin
 * undefined when the file has none for `id`), or null when the fast path cannot tell. Every line
 * indented by exactly two spaces must be a pin key in our spelling: then no other YAML form
 * (explicit `?` keys, flow mappings, anchors, tags, quoted keys with escapes) can hide a pin.
 */
export function pinBlock(text: string, id: string): { pin: EnvPin | undefined } | null {
  const nl = text.indexOf('\n');
  const nl2 = nl === -1 ? -1 : text.indexOf('\n', nl + 1);
  if (nl2 === -1 || text.slice(0, nl) !== ENV_HEADER || !text.startsWith('environment: ', nl + 1) || text.includes('\r')) return null;
  const intro = text.slice(0, nl2 + 1);
  if (text === `${intro}prompts: {}\n`) return { pin: undefined };
  if (!text.startsWith('prompts:\n  ', nl2 + 1) || text[nl2 + 12] === ' ' || !text.endsWith('\n')) return null;
  const plain = yamlString(id);
  let start = -1;
  let end = -1;
  for (let i = nl2 + 9; i !== -1; i = text.indexOf('\n  ', i + 1)) {
    if (text[i + 3] === ' ') continue;
    const eol = text.indexOf('\n', i + 1);
    const key = text.slice(i + 3, eol);
    if (!KEY_LINE.test(key)) return null;
    if (start !== -1 && end === -1) end = i + 1;
    if (key === `${plain}:` || key === `"${id}":`) {
      if (start !== -1) return null; // a duplicate key: the full reader reports it
      start = i + 1;
    }
  }
  if (start === -1) return { pin: undefined };
  const mini = fastParseEnv(`${intro}prompts:\n${text.slice(start, end === -1 ? text.length : end)}`);
  const pin = mini && envShapeOk(mini) ? mini.prompts[id] : undefined;
  return pin ? { pin } : null;
}
