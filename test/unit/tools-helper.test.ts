import { describe, expect, it } from 'vitest';
import { requireTool } from '../helpers/tools.js';

describe('test/helpers/tools.ts', () => {
  it('finds a working tool', () => {
    expect(requireTool(process.execPath, ['--version'])).toEqual({ available: true });
  });
  it('says why a tool is missing or broken', () => {
    expect(requireTool('promptrail-no-such-tool', ['--version'])).toEqual({ available: false, reason: 'promptrail-no-such-tool is not installed (not on PATH)' });
    const broken = requireTool(process.execPath, ['-e', 'console.error("boom"); process.exit(3)']);
    expect(broken.available).toBe(false);
    expect(broken.reason).toMatch(/exited with 3: boom/);
  });
});
