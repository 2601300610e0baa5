// `tapedeck fetch NAMESPACE/NAME`: one verified, merged pcapng (and .jsonl of the JSON records) of a
// recording's run, whatever its node count. The objects are found through the Recording in the
// cluster, or with --from in a bucket alone. Nothing is left at an output path unless it is complete
// and every file matched its manifest's sha256; an interrupted fetch resumes from its work directory.
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ManifestFile } from '../../core/manifest/manifest.js';
import { CliError } from '../cli-error.js';
import { ExitCode } from '../exit-codes.js';
import { connectCluster } from '../cluster/cluster.js';
import type { ClusterFlags } from '../cluster/cluster.js';
import { exportLocation } from '../cluster/export-location.js';
import { openObjectStore } from '../store/object-store.js';
import { findNodeManifests, selectIteration } from '../store/runs.js';
import { formatStoreUrl, parseStoreUrl } from '../store/store-url.js';
import type { StoreUrl } from '../store/store-url.js';
import { downloadAll, presentBytes } from './download.js';
import { GrowingFile } from './growing-file.js';
import { mergeNodeFiles } from './merge-files.js';
import type { NodeFile } from './merge-files.js';
import { mergeRecordFiles } from './merge-records.js';
import { startProgress } from './progress.js';

export interface FetchFlags extends ClusterFlags {
  from?: string;
  endpoint?: string;
  iteration?: number;
  run?: string;
  node?: string[];
  output?: string;
  records?: string;
  partial?: boolean;
}

const PACKET_FORMATS = ['pcapng', 'pcap'] as const;

export function parseName(text: string): { namespace: string; name: string } {
  const match = /^([a-z0-9][-a-z0-9]{0,62})\/([a-z0-9][-a-z0-9.]{0,252})$/.exec(text);
  if (!match) throw new CliError('usage', `${JSON.stringify(text)} is not NAMESPACE/NAME`);
  return { namespace: match[1]!, name: match[2]! };
}

/** One packet format per node, pcapng preferred, so that no packet counts twice. */
function packetFiles(files: readonly ManifestFile[]): ManifestFile[] {
  for (const format of PACKET_FORMATS) {
    const chosen = files.filter((f) => f.format === format);
    if (chosen.length > 0) return chosen;
  }
  return [];
}

interface Source {
  url: StoreUrl;
  endpoint?: string;
  region?: string;
  run?: string;
}

/** The bucket, endpoint and run: from --from, or from the Recording in the cluster. */
async function locate(
  namespace: string,
  name: string,
  flags: FetchFlags,
  say: (line: string) => void,
): Promise<Source> {
  if (flags.from) return { url: parseStoreUrl(flags.from), endpoint: flags.endpoint, run: flags.run };
  const cluster = await connectCluster(flags);
  const recording = await cluster.getRecording(namespace, name);
  const location = exportLocation(recording);
  const at = !flags.endpoint && location.endpoint ? ` at ${location.endpoint}` : '';
  say(
    `Recording ${namespace}/${name} (run ${location.run}) exports to ${formatStoreUrl(location.url, location.url.prefix)}${at}`,
  );
  return {
    url: location.url,
    endpoint: flags.endpoint ?? location.endpoint,
    region: location.region,
    run: flags.run ?? location.run,
  };
}

const firstPacketMs = (file: ManifestFile): number =>
  file.firstPacketTime ? Date.parse(file.firstPacketTime) : Number.MAX_SAFE_INTEGER;

const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(1);

export async function runFetch(target: string, flags: FetchFlags, say: (line: string) => void): Promise<ExitCode> {
  const { namespace, name } = parseName(target);
  const source = await locate(namespace, name, flags, say);
  const store = await openObjectStore(source.url, { endpoint: source.endpoint, region: source.region });
  try {
    const where = formatStoreUrl(source.url, source.url.prefix);
    const all = await findNodeManifests(store, { namespace, recording: name });
    const nodes = selectIteration(all, `${namespace}/${name}`, where, {
      run: source.run,
      iteration: flags.iteration,
      nodes: flags.node,
    });
    const first = nodes[0]!;
    const label = `${namespace}/${name} run ${first.run} iteration ${first.iteration}`;
    const incomplete = nodes.filter((n) => !n.manifest.complete).map((n) => n.node);
    if (incomplete.length > 0 && !flags.partial) {
      throw new CliError(
        'input',
        `Run ${first.run} iteration ${first.iteration} is still exporting on ${incomplete.join(', ')}: wait, or pass --partial for what is there now`,
      );
    }
    // Earliest first: the merge, which follows the downloads, needs every file's first packets first.
    const packets = nodes
      .flatMap((n) => packetFiles(n.manifest.files).map((file) => ({ node: n.node, file })))
      .sort((a, b) => firstPacketMs(a.file) - firstPacketMs(b.file));
    const records = nodes.flatMap((n) =>
      n.manifest.files.filter((f) => f.format === 'json').map((file) => ({ node: n.node, file })),
    );
    const wanted = [...packets, ...records];
    if (wanted.length === 0)
      throw new CliError('notFound', `${label} exported no packet or record files (pcap, pcapng, json)`);
    const output = flags.output ?? `${namespace}_${name}_${first.iteration}.pcapng`;
    const recordsOutput = flags.records ?? `${output.replace(/\.pcapng$/, '')}.jsonl`;
    const work = `${output}.parts`;
    await mkdir(work, { recursive: true, mode: 0o700 });
    const files = wanted.map((w) => w.file);
    const total = files.reduce((sum, f) => sum + f.bytes, 0);
    say(`Fetching ${wanted.length} files (${mib(total)} MiB) of ${label} from ${nodes.length} nodes`);
    const present = await presentBytes(work, files);
    if (present > 0) say(`Resuming: ${mib(present)} MiB already downloaded in ${work}/`);
    const progress = startProgress(total, 'download');
    const followers = packets.map((p) => new GrowingFile(p.file.bytes));
    const downloads = downloadAll(store, work, files, progress, followers);
    const comment = `tapedeck fetch of ${label} from ${where}`;
    // The merge reads each packet file while it downloads and can only finish once all were verified.
    const merging =
      packets.length > 0
        ? mergeNodeFiles(
            packets.map((p, i) => ({ node: p.node, file: p.file, bytes: followers[i]! })),
            output,
            comment,
            // In the work directory: a fetch killed while merging leaves nothing beside the output.
            join(work, 'merging.pcapng'),
          )
        : undefined;
    merging?.catch((error: unknown) => downloads.stop(error));
    const [downloaded, merged] = await Promise.allSettled([
      downloads.finished.finally(() => progress.done()),
      merging,
    ]).finally(() => Promise.all(followers.map((f) => f.close().catch(() => {}))));
    // A failed download fails the merge with the same error; a failed merge stops the downloads with its.
    if (downloaded.status === 'rejected') throw downloaded.reason;
    if (merged.status === 'rejected') throw merged.reason;
    const local: NodeFile[] = downloaded.value.map((d, i) => ({ node: wanted[i]!.node, file: d.file, path: d.path }));
    const summary: string[] = [];
    if (merged.value)
      summary.push(`${output}: ${merged.value.packets} packets, interfaces ${merged.value.interfaces.join(', ')}`);
    if (records.length > 0) {
      const lines = await mergeRecordFiles(local.slice(packets.length), recordsOutput, join(work, 'merging.jsonl'));
      summary.push(`${recordsOutput}: ${lines.records} records`);
    }
    await rm(work, { recursive: true, force: true });
    say(`Wrote ${summary.join('; ')}; every sha256 matched`);
    return ExitCode.Ok;
  } finally {
    store.close();
  }
}
