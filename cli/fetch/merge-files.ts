// Merges the downloaded packet files of every node into one time-ordered pcapng written to a
// temporary name beside the output and renamed when complete. Interfaces are "<node>/<interface>",
// from the manifest (pcap files carry no interface names).
import { open, rename, rm } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { mergeToPcapng } from '../../core/merge/k-way-merge.js';
import type { MergeInput, MergeResult } from '../../core/merge/k-way-merge.js';
import { PacketSource } from '../../core/merge/packet-source.js';
import type { ManifestFile } from '../../core/manifest/manifest.js';
import { CaptureError } from '../../core/capture/capture-error.js';
import { CliError } from '../cli-error.js';

export interface NodeFile {
  readonly node: string;
  readonly file: ManifestFile;
  readonly path: string;
}

export async function mergeNodeFiles(
  files: readonly NodeFile[],
  output: string,
  comment: string,
): Promise<MergeResult> {
  const handles: FileHandle[] = [];
  const temp = `${output}.tmp-${process.pid}`;
  let out: FileHandle | undefined;
  // One write in flight while the merge builds the next batch: the disk and the merge overlap.
  let inFlight: Promise<unknown> = Promise.resolve();
  try {
    const inputs: MergeInput[] = [];
    for (const f of files) {
      const handle = await open(f.path, 'r');
      handles.push(handle);
      let position = 0;
      inputs.push({
        source: new PacketSource(
          {
            read: async (into, offset, length) => {
              const { bytesRead } = await handle.read(into, offset, length, position);
              position += bytesRead;
              return bytesRead;
            },
          },
          f.file.key,
        ),
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
  } finally {
    await Promise.all(handles.map((h) => h.close().catch(() => {})));
  }
}
