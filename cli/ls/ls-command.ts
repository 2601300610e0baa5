// `tapedeck ls s3://…|gs://…`: the recordings exported under a bucket prefix — runs, iterations,
// nodes, file counts, sizes and time ranges — read from their manifests.
import { Command } from 'commander';
import { CliError } from '../cli-error.js';
import { EXIT_CODES_HELP, ExitCode } from '../exit-codes.js';
import { openObjectStore } from '../store/object-store.js';
import { findNodeManifests } from '../store/runs.js';
import type { NodeManifest } from '../store/runs.js';
import { parseStoreUrl } from '../store/store-url.js';

interface LsFlags {
  endpoint?: string;
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

function human(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
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

export function formatTable(rows: readonly Row[]): string {
  const table = [
    ['RECORDING', 'RUN', 'ITERATION', 'NODES', 'FILES', 'SIZE', 'FIRST PACKET', 'LAST PACKET', 'STATE'],
    ...rows.map((r) => [
      r.recording,
      r.run,
      String(r.iteration),
      String(r.nodes),
      String(r.files),
      human(r.bytes),
      r.first?.replace(/\.\d+Z$/, 'Z') ?? '-',
      r.last?.replace(/\.\d+Z$/, 'Z') ?? '-',
      r.complete === r.nodes ? 'complete' : `exporting (${r.complete}/${r.nodes} nodes done)`,
    ]),
  ];
  const widths = table[0]!.map((_, c) => Math.max(...table.map((row) => row[c]!.length)));
  return table
    .map((row) => row.map((cell, c) => (c === row.length - 1 ? cell : cell.padEnd(widths[c]!))).join('   '))
    .join('\n');
}

export async function runLs(target: string | undefined, flags: LsFlags): Promise<ExitCode> {
  if (!target) {
    throw new CliError(
      'usage',
      'Listing through the cluster is not supported yet: pass s3://BUCKET[/PREFIX] or gs://BUCKET[/PREFIX]',
    );
  }
  const store = openObjectStore(parseStoreUrl(target), { endpoint: flags.endpoint });
  try {
    const rows = summarise(await findNodeManifests(store));
    if (rows.length === 0) {
      process.stderr.write(`No exported recordings under ${target}\n`);
      return ExitCode.Ok;
    }
    process.stdout.write(`${formatTable(rows)}\n`);
    return ExitCode.Ok;
  } finally {
    store.close();
  }
}

export function lsCommand(done: (code: ExitCode) => void, fail: (error: unknown) => ExitCode): Command {
  return new Command('ls')
    .description('List the recordings exported under a bucket prefix: runs, iterations, nodes, files, sizes, times')
    .argument('<url>', 's3://BUCKET[/PREFIX] or gs://BUCKET[/PREFIX]')
    .option('--endpoint <url>', 'an S3-compatible store or emulator (e.g. http://127.0.0.1:9000)')
    .addHelpText(
      'after',
      `
Examples:
  tapedeck ls s3://traffic/prod
  tapedeck ls gs://traffic --endpoint http://127.0.0.1:4443
${EXIT_CODES_HELP}`,
    )
    .action(async (target: string, flags: LsFlags) => {
      try {
        done(await runLs(target, flags));
      } catch (error) {
        done(fail(error));
      }
    });
}
