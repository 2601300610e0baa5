import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { generateCrdOutputs } from '../../scripts/crd-types/generate.js';

const root = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');

describe('generated Recording API files', async () => {
  const outputs = [...(await generateCrdOutputs(root))];

  it.each(outputs)(
    'should keep %s in sync with crds/recording.yaml (run npm run generate:crd-types)',
    async (file, expected) => {
      const actual = await readFile(join(root, file), 'utf8');
      expect(actual).toBe(expected);
    },
  );
});
