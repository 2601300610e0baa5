// Merges the packet files of every node into one time-ordered pcapng written to a temporary name
// beside the output and renamed when complete. Interfaces are "<node>/<interface>", from the manifest
// (pcap files carry no interface names). The inputs are byte sources: local files, or files still
// downloading (GrowingFile), which the merge follows as they arrive.
import { open, rename, rm } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { mergeToPcapng } from '../../core/merge/k-way-merge.js';
import type { MergeInput, MergeResult } from '../../core/merge/k-way-merge.js';
import { PacketSource } from '../../core/merge/packet-source.js';
import type { ByteSource } from '../../core/merge/packet-source.js';
import type { ManifestFile } from '../../core/manifest/manifest.js';
import { CaptureError } from '../../core/capture/capture-error.js';
import { CliError } from '../cli-error.js';

export interface NodeFile {
  readonly node: string;
  readonly file: ManifestFile;
  readonly path: string;
}

export interface NodeInput {
  readonly node: string;
  readonly file: ManifestFile;
  readonly bytes: ByteSource;
}

/** A local file read from its start, as a merge input's bytes. */
export async function openFileSource(path: string): Promise<ByteSource & { close(): Promise<void> }> {
  const handle = await open(path, 'r');
  let position = 0;
  return {
    read: async (into, offset, length) => {
      const { bytesRead } = await handle.read(into, offset, length, position);
      position += bytesRead;
      return bytesRead;
    },
    close: () => handle.close(),
  };
}

/** Merges local files (the benchmark's merge alone; fetch merges as it downloads). */
export async function mergeLocalFiles(
  files: readonly NodeFile[],
  output: string,
  comment: string,
): Promise<MergeResult> {
  const sources = await Promise.all(files.map((f) => openFileSource(f.path)));
  try {
    return await mergeNodeFiles(
      files.map((f, i) => ({ node: f.node, file: f.file, bytes: sources[i]! })),
      output,
      comment,
    );
  } finally {
    await Promise.all(sources.map((s) => s.close().catch(() => {})));
  }
}

/** `temp`: where the output is written before the rename (same file system as `output`). */
export async function mergeNodeFiles(
  files: readonly NodeInput[],
  output: string,
  comment: string,
  temp = `${output}.tmp-${process.pid}`,
): Promise<MergeResult> {
  let out: FileHandle | undefined;
  // One write in flight while the merge builds the next batch: the disk and the merge overlap.
  let inFlight: Promise<unknown> = Promise.resolve();
  try {
    const inputs: MergeInput[] = [];
    for (const f of files) {
      inputs.push({
        source: new PacketSource(f.bytes, f.file.key),
        interfaceName: (index) => ({
          name: `${f.node}/${f.file.interfaces[index] ?? `if${index}`}`,
          description: `node ${f.node}`,
        }),
      });
    }
    out = await open(temp, 'w', 0o600);
    const sink = out;
    const write = async (data: Buffer): Promise<void> => {
      await inFlight;
      inFlight = sink.write(data);
      inFlight.catch(() => {}); // handled: awaited with the next write or at the end
    };
    const result = await mergeToPcapng(inputs, { write }, comment);
    await inFlight;
    await out.sync();
    await out.close();
    out = undefined;
    await rename(temp, output);
    return result;
  } catch (error) {
    await inFlight.catch(() => {}); // a failed write not yet awaited: the error below is the one to report
    await out?.close().catch(() => {});
    await rm(temp, { force: true });
    if (error instanceof CaptureError)
      throw new CliError('input', `Merging failed: ${error.message}`, { cause: error });
    if ((error as NodeJS.ErrnoException).syscall) {
      throw new CliError('output', `Writing ${output} failed: ${(error as Error).message}`, { cause: error });
    }
    throw error;
  }
}
