import { describe, expect, it } from 'vitest';
import { didYouMean, editDistance, suggestEnv } from '../../src/core/suggest.js';

describe('did-you-mean', () => {
  it('a swap of neighbouring letters is one edit', () => {
    expect(editDistance('titel', 'title')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(didYouMean('titel', ['title', 'tags'])).toBe('title');
    expect(didYouMean('tikcet', ['ticket'])).toBe('ticket');
  });
  it('environment names: abbreviations people type, only when unambiguous', () => {
    const envs = ['development', 'staging', 'production'];
    expect(suggestEnv('prd', envs)).toBe('production');
    expect(suggestEnv('prod', envs)).toBe('production');
    expect(suggestEnv('dev', envs)).toBe('development');
    expect(suggestEnv('stg', envs)).toBe('staging');
    expect(suggestEnv('qa', envs)).toBeUndefined();
    expect(suggestEnv('p', envs)).toBeUndefined();
    expect(suggestEnv('pr', ['production', 'preview'])).toBeUndefined(); // two candidates: no guess
    // not for other names
    expect(didYouMean('dev', envs)).toBeUndefined();
  });
});
