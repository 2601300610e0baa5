// What the data directory really takes, as the kubelet measures it for an emptyDir's sizeLimit
// (and as `du -s -B1` prints it): allocated blocks (st_blocks × 512) of every file and directory
// below it, the directory itself included. Hard links are counted once per name (du counts them
// once): more, never less. And what the volume has free (statfs), which may be less than the
// budget when other data shares it.
import type { Dirent } from 'node:fs';
import { lstat, readdir, statfs } from 'node:fs/promises';
import path from 'node:path';

export interface TreeUsage {
  /** Allocated bytes of everything below the directory, the directory included. */
  readonly totalBytes: number;
  /** Allocated bytes of each regular file, by absolute path. */
  readonly files: ReadonlyMap<string, number>;
}

/** st_blocks counts 512-byte units whatever the file system's block size (POSIX, Linux). */
export function allocatedBytes(stats: { blocks: number }): number {
  return stats.blocks * 512;
}

/** Walks `dir` with lstat (symbolic links are not followed); entries that vanish meanwhile are skipped. */
export async function measureTree(dir: string): Promise<TreeUsage> {
  const files = new Map<string, number>();
  let totalBytes = 0;
  const pending = [dir];
  while (pending.length > 0) {
    const current = pending.pop() ?? dir;
    const own = await lstat(current).catch(() => undefined);
    if (own === undefined) continue;
    totalBytes += allocatedBytes(own);
    if (!own.isDirectory()) continue;
    let entries: Dirent[];
    try {
      entries = await readdir(current, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const entry of entries) {
      const child = path.join(current, entry.name);
      if (entry.isDirectory()) {
        pending.push(child);
        continue;
      }
      const stats = await lstat(child).catch(() => undefined);
      if (stats === undefined) continue;
      const bytes = allocatedBytes(stats);
      totalBytes += bytes;
      if (stats.isFile()) files.set(child, bytes);
    }
  }
  return { totalBytes, files };
}

export interface VolumeSpace {
  /** Bytes an unprivileged writer may still allocate (f_bavail × f_bsize). */
  readonly availableBytes: number;
  readonly blockSize: number;
}

export async function volumeSpace(dir: string): Promise<VolumeSpace> {
  const stats = await statfs(dir);
  return { availableBytes: stats.bavail * stats.bsize, blockSize: stats.bsize };
}
