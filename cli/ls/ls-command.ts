// `tapedeck ls [s3://…|gs://…]`: the recordings exported under a bucket prefix — runs, iterations,
// nodes, file counts, sizes and time ranges — read from their manifests; without a URL, the cluster's
// Recordings, each with what its export destination holds.
import { Command } from 'commander';
import { CliError } from '../cli-error.js';
import { EXIT_CODES_HELP, ExitCode } from '../exit-codes.js';
import { openObjectStore } from '../store/object-store.js';
import { findNodeManifests } from '../store/runs.js';
import type { NodeManifest } from '../store/runs.js';
import { formatStoreUrl, parseStoreUrl } from '../store/store-url.js';
import { connectCluster } from '../cluster/cluster.js';
import type { ClusterFlags } from '../cluster/cluster.js';
import { exportLocation } from '../cluster/export-location.js';
import { formatTable, humanBytes } from '../format/table.js';

interface LsFlags extends ClusterFlags {
  endpoint?: string;
  namespace?: string;
}

interface Row {
  recording: string;
  run: string;
  iteration: number;
  nodes: number;
  complete: number;
  files: number;
  bytes: number;
  first?: string;
  last?: string;
}

export function summarise(manifests: readonly NodeManifest[]): Row[] {
  const rows = new Map<string, Row>();
  for (const m of manifests) {
    const id = `${m.namespace}/${m.recording}\0${m.run}\0${m.iteration}`;
    const row = rows.get(id) ?? {
      recording: `${m.namespace}/${m.recording}`,
      run: m.run,
      iteration: m.iteration,
      nodes: 0,
      complete: 0,
      files: 0,
      bytes: 0,
    };
    row.nodes++;
    if (m.manifest.complete) row.complete++;
    for (const f of m.manifest.files) {
      row.files++;
      row.bytes += f.bytes;
      if (f.firstPacketTime && (!row.first || f.firstPacketTime < row.first)) row.first = f.firstPacketTime;
      if (f.lastPacketTime && (!row.last || f.lastPacketTime > row.last)) row.last = f.lastPacketTime;
    }
    rows.set(id, row);
  }
  return [...rows.values()].sort(
    (a, b) => a.recording.localeCompare(b.recording) || a.run.localeCompare(b.run) || a.iteration - b.iteration,
  );
}

const HEADER = ['RECORDING', 'RUN', 'ITERATION', 'NODES', 'FILES', 'SIZE', 'FIRST PACKET', 'LAST PACKET', 'STATE'];

function cells(r: Row): string[] {
  return [
    r.recording,
    r.run,
    String(r.iteration),
    String(r.nodes),
    String(r.files),
    humanBytes(r.bytes),
    r.first?.replace(/\.\d+Z$/, 'Z') ?? '-',
    r.last?.replace(/\.\d+Z$/, 'Z') ?? '-',
    r.complete === r.nodes ? 'complete' : `exporting (${r.complete}/${r.nodes} nodes done)`,
  ];
}

export function formatRows(rows: readonly Row[]): string {
  return formatTable([HEADER, ...rows.map(cells)]);
}

async function lsBucket(target: string, flags: LsFlags): Promise<ExitCode> {
  const store = await openObjectStore(parseStoreUrl(target), { endpoint: flags.endpoint });
  try {
    const rows = summarise(await findNodeManifests(store));
    if (rows.length === 0) {
      process.stderr.write(`No exported recordings under ${target}\n`);
      return ExitCode.Ok;
    }
    process.stdout.write(`${formatRows(rows)}\n`);
    return ExitCode.Ok;
  } finally {
    store.close();
  }
}

/** Every Recording in the cluster (or one namespace) with what its export destination holds for it. */
async function lsCluster(flags: LsFlags): Promise<ExitCode> {
  const cluster = await connectCluster(flags);
  const recordings = await cluster.listRecordings(flags.namespace);
  if (recordings.length === 0) {
    process.stderr.write(
      `No Recordings in ${flags.namespace ? `namespace ${flags.namespace} of ` : ''}${cluster.describe}\n`,
    );
    return ExitCode.Ok;
  }
  const table: string[][] = [[...HEADER, 'DESTINATION']];
  let code: ExitCode = ExitCode.Ok;
  for (const recording of recordings) {
    const namespace = recording.metadata.namespace ?? '';
    const name = recording.metadata.name ?? '';
    const phase = recording.status?.phase ?? 'Pending';
    const bare = (state: string, destination: string, run = '-'): string[] => [
      `${namespace}/${name}`,
      run,
      String(recording.status?.iteration ?? '-'),
      '-',
      '-',
      '-',
      '-',
      '-',
      state,
      destination,
    ];
    let location;
    try {
      location = exportLocation(recording);
    } catch (error) {
      if (!(error instanceof CliError)) throw error;
      table.push(bare(`${phase}, no export destination`, '-'));
      continue;
    }
    const destination = formatStoreUrl(location.url, location.url.prefix);
    const store = await openObjectStore(location.url, {
      endpoint: flags.endpoint ?? location.endpoint,
      region: location.region,
    });
    try {
      const rows = summarise(await findNodeManifests(store, { namespace, recording: name }));
      if (rows.length === 0) table.push(bare(`${phase}, nothing exported yet`, destination, location.run));
      for (const row of rows) table.push([...cells(row), destination]);
    } catch (error) {
      if (!(error instanceof CliError)) throw error;
      process.stderr.write(`tapedeck: ${error.message}\n`);
      table.push(bare(`${phase}, cannot read the destination`, destination, location.run));
      if (code === ExitCode.Ok) code = error.exitCode;
    } finally {
      store.close();
    }
  }
  process.stdout.write(`${formatTable(table)}\n`);
  return code;
}

export async function runLs(target: string | undefined, flags: LsFlags): Promise<ExitCode> {
  return target ? lsBucket(target, flags) : lsCluster(flags);
}

export function lsCommand(done: (code: ExitCode) => void, fail: (error: unknown) => ExitCode): Command {
  return new Command('ls')
    .description('List exported recordings (runs, iterations, nodes, files, sizes, times) in a bucket or the cluster')
    .argument('[url]', 's3://BUCKET[/PREFIX] or gs://BUCKET[/PREFIX] (default: ask the cluster)')
    .option('--endpoint <url>', 'an S3-compatible store or emulator (e.g. http://127.0.0.1:9000)')
    .option('-n, --namespace <namespace>', 'with the cluster: only this namespace (default: all)')
    .option('--kubeconfig <file>', 'the kubeconfig (default: KUBECONFIG, ~/.kube/config)')
    .option('--context <name>', 'the kubeconfig context')
    .addHelpText(
      'after',
      `
Examples:
  tapedeck ls                        # every Recording in the cluster and its exports
  tapedeck ls -n shop
  tapedeck ls s3://traffic/prod
  tapedeck ls gs://traffic --endpoint http://127.0.0.1:4443
${EXIT_CODES_HELP}`,
    )
    .action(async (target: string | undefined, flags: LsFlags) => {
      try {
        done(await runLs(target, flags));
      } catch (error) {
        done(fail(error));
      }
    });
}
