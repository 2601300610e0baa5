// Random capture-sized files for the export tests, with the sha256 a client should find.
import { createHash, randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface MadeFile {
  readonly path: string;
  readonly sha256: string;
}

export async function makeRandomFile(dir: string, name: string, bytes: number): Promise<MadeFile> {
  const data = randomBytes(bytes);
  const path = join(dir, name);
  await writeFile(path, data);
  return { path, sha256: createHash('sha256').update(data).digest('hex') };
}
