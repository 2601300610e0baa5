import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GENERATED_DIR, GENERATED_HEADER, generateProtoTypes } from './generate.js';

describe('proto/generated', () => {
  let outDir = '';
  let files: string[] = [];

  beforeAll(async () => {
    outDir = await mkdtemp(path.join(tmpdir(), 'tapedeck-proto-'));
    files = await generateProtoTypes(outDir);
  }, 60_000);

  afterAll(async () => {
    await rm(outDir, { recursive: true, force: true });
  });

  it('should generate types for both packages', () => {
    expect(files).toContain('recorder.ts');
    expect(files).toContain('agent.ts');
  });

  it('should match the committed files (run `npm run generate:proto` when this fails)', async () => {
    for (const file of files) {
      const fresh = await readFile(path.join(outDir, file), 'utf8');
      const committed = await readFile(path.join(GENERATED_DIR, file), 'utf8').catch(() => '<missing>');
      expect(committed, file).toBe(fresh);
      expect(fresh.startsWith(GENERATED_HEADER)).toBe(true);
    }
  });
});
