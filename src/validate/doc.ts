/**
 * A parsed registry file as the checks see it: the plain value plus a way to find the YAML
 * line:column of any JSON pointer. Two modes:
 * - fast: js-yaml (about 10x faster than `yaml`) gives the value only; asking for a position
 *   throws `NeedPositions`, and the engine re-runs the checks in full mode. Clean files (the
 *   common case) never pay for positions.
 * - full (full-doc.ts, loaded only when needed): the `yaml` package with a line counter;
 *   positions of values, keys and of places inside template scalars.
 */

export class NeedPositions extends Error {
  constructor() {
    super('positions needed');
    this.name = 'NeedPositions';
  }
}

export interface Pos {
  line: number;
  column: number;
}

export interface Doc {
  value: Record<string, unknown>;
  fast: boolean;
  /** position of the value at `pointer` (or of `key` inside the mapping at `pointer`) */
  pos(pointer: string, key?: string): Pos;
  /** position inside the string scalar at `pointer` of (1-based) line/column of its value */
  posInScalar(pointer: string, line: number, column: number): Pos;
}

export function fastDoc(value: Record<string, unknown>): Doc {
  return {
    value,
    fast: true,
    pos() {
      throw new NeedPositions();
    },
    posInScalar() {
      throw new NeedPositions();
    },
  };
}

