// Downloads the files a manifest lists into a work directory, in parallel, resuming partial files
// from where an interrupted fetch left them, and verifies each against the manifest's size and
// sha256 before anything is merged. The sha256 is computed from the bytes as they arrive (only a
// resumed file's earlier part is read back). A file that does not match is removed (so a rerun fetches it
// again) and the fetch fails naming it. A file with a follower (GrowingFile) is read by the merge while
// it downloads; the follower sees the file's end only once it was verified.
import { createHash } from 'node:crypto';
import type { Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ManifestFile } from '../../core/manifest/manifest.js';
import { CliError } from '../cli-error.js';
import type { ObjectStore } from '../store/object-store.js';
import { formatStoreUrl } from '../store/store-url.js';
import type { GrowingFile } from './growing-file.js';
import type { Progress } from './progress.js';

export const PARALLEL_DOWNLOADS = 4;

export interface DownloadedFile {
  readonly file: ManifestFile;
  readonly path: string;
}

/** A name in the work directory for a key (keys are validated: no "/" survives, no "..": see core/manifest). */
export function workName(key: string): string {
  return key.replace(/\//g, '__');
}

async function sizeOf(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch {
    return undefined;
  }
}

async function hashFile(hash: Hash, path: string): Promise<void> {
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
}

async function fetchOne(
  store: ObjectStore,
  dir: string,
  file: ManifestFile,
  progress: Progress,
  follower: GrowingFile | undefined,
): Promise<DownloadedFile> {
  const done = join(dir, workName(file.key));
  const partial = `${done}.partial`;
  if ((await sizeOf(done)) === file.bytes) {
    progress.add(file.bytes);
    if (follower) {
      follower.opened(await open(done, 'r'), file.bytes);
      follower.verify();
    }
    return { file, path: done };
  }
  let offset = (await sizeOf(partial)) ?? 0;
  if (offset > file.bytes) {
    await rm(partial);
    offset = 0;
  }
  progress.add(offset);
  // The follower's handle is opened before anything can rename or remove the file, and outlives both.
  if (follower) {
    await writeFile(partial, '', { flag: 'a' });
    follower.opened(await open(partial, 'r'), offset);
  }
  const hash = createHash('sha256');
  if (offset > 0) await hashFile(hash, partial);
  if (offset < file.bytes || file.bytes === 0) {
    await store.downloadTo(file.key, partial, offset, (chunk) => {
      hash.update(chunk);
      progress.add(chunk.length);
      follower?.grew(chunk.length);
    });
  }
  const size = (await sizeOf(partial)) ?? 0;
  const where = formatStoreUrl(store.url, file.key);
  if (size !== file.bytes) {
    await rm(partial, { force: true });
    throw new CliError('integrity', `${where}: downloaded ${size} bytes, the manifest says ${file.bytes}`);
  }
  const sha256 = hash.digest('hex');
  if (sha256 !== file.sha256) {
    await rm(partial, { force: true });
    throw new CliError(
      'integrity',
      `${where}: sha256 mismatch: the manifest says ${file.sha256}, the object has ${sha256}`,
    );
  }
  await rename(partial, done);
  follower?.verify();
  return { file, path: done };
}

/** Bytes an earlier, interrupted fetch already left in `dir` for these files (what a rerun will not download). */
export async function presentBytes(dir: string, files: readonly ManifestFile[]): Promise<number> {
  let sum = 0;
  for (const file of files) {
    const done = join(dir, workName(file.key));
    const size = (await sizeOf(done)) === file.bytes ? file.bytes : ((await sizeOf(`${done}.partial`)) ?? 0);
    if (size <= file.bytes) sum += size;
  }
  return sum;
}

export interface Downloads {
  /** Resolves once every file is downloaded and verified; rejects with the first failure. */
  readonly finished: Promise<DownloadedFile[]>;
  /** Stops starting new downloads (the ones under way finish and stay for a rerun). */
  stop(reason: unknown): void;
}

/**
 * Downloads `files` PARALLEL_DOWNLOADS at a time, in order. `followers[i]`, where given, follows file i
 * as it grows; when the downloads fail or stop, every follower not yet verified fails too, so that no
 * reader waits for a file that will not come.
 */
export function downloadAll(
  store: ObjectStore,
  dir: string,
  files: readonly ManifestFile[],
  progress: Progress,
  followers: readonly (GrowingFile | undefined)[] = [],
): Downloads {
  const results: DownloadedFile[] = new Array<DownloadedFile>(files.length);
  let next = 0;
  let failure: unknown;
  const worker = async (): Promise<void> => {
    while (next < files.length && failure === undefined) {
      const i = next++;
      try {
        results[i] = await fetchOne(store, dir, files[i]!, progress, followers[i]);
      } catch (error) {
        failure ??= error;
        followers[i]?.fail(error);
      }
    }
  };
  const finished = (async (): Promise<DownloadedFile[]> => {
    await Promise.all(Array.from({ length: Math.min(PARALLEL_DOWNLOADS, files.length) }, worker));
    if (failure !== undefined) {
      for (const follower of followers) if (follower && !follower.settled) follower.fail(failure);
      throw failure;
    }
    return results;
  })();
  return {
    finished,
    stop(reason) {
      failure ??= reason;
    },
  };
}
