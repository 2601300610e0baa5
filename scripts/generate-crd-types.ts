// `npm run generate:crd-types`: writes the files derived from crds/recording.yaml (TypeScript types
// and the chart's copy of the CRD). With --check it writes nothing and exits 1 when any has drifted.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateCrdOutputs } from './crd-types/generate.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const check = process.argv.includes('--check');

const readOrEmpty = (path: string): Promise<string> => readFile(path, 'utf8').catch(() => '');

const drifted: string[] = [];
for (const [file, content] of await generateCrdOutputs(root)) {
  const path = join(root, file);
  if ((await readOrEmpty(path)) === content) {
    continue;
  }
  drifted.push(file);
  if (!check) {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, content);
  }
}
if (check && drifted.length > 0) {
  process.stderr.write(`Generated files are out of date, run npm run generate:crd-types: ${drifted.join(', ')}\n`);
  process.exitCode = 1;
} else {
  process.stdout.write(drifted.length > 0 ? `Wrote ${drifted.join(', ')}\n` : 'Generated files are up to date\n');
}
