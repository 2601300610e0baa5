// `tapedeck fetch NAMESPACE/NAME --from s3://…|gs://…`: one verified, merged pcapng of a recording's
// run, whatever its node count. Nothing is left at the output path unless it is complete and every
// file matched its manifest's sha256; an interrupted fetch resumes from its work directory.
import { mkdir, rm } from 'node:fs/promises';
import { Command, InvalidArgumentError } from 'commander';
import type { ManifestFile } from '../../core/manifest/manifest.js';
import { CliError } from '../cli-error.js';
import { EXIT_CODES_HELP, ExitCode } from '../exit-codes.js';
import { openObjectStore } from '../store/object-store.js';
import { findNodeManifests, selectIteration } from '../store/runs.js';
import { formatStoreUrl, parseStoreUrl } from '../store/store-url.js';
import { downloadAll } from './download.js';
import { mergeNodeFiles } from './merge-files.js';
import type { NodeFile } from './merge-files.js';
import { startProgress } from './progress.js';

export interface FetchFlags {
  from?: string;
  endpoint?: string;
  iteration?: number;
  run?: string;
  node?: string[];
  output?: string;
  partial?: boolean;
}

const PACKET_FORMATS = ['pcapng', 'pcap'] as const;

function parseName(text: string): { namespace: string; name: string } {
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

export async function runFetch(target: string, flags: FetchFlags, say: (line: string) => void): Promise<ExitCode> {
  const { namespace, name } = parseName(target);
  if (!flags.from) {
    throw new CliError(
      'usage',
      'Finding exports through the cluster is not supported yet: pass --from s3://BUCKET/PREFIX or gs://BUCKET/PREFIX',
    );
  }
  const url = parseStoreUrl(flags.from);
  const store = openObjectStore(url, { endpoint: flags.endpoint });
  try {
    const where = formatStoreUrl(url, url.prefix);
    const all = await findNodeManifests(store, { namespace, recording: name });
    const nodes = selectIteration(all, `${namespace}/${name}`, where, {
      run: flags.run,
      iteration: flags.iteration,
      nodes: flags.node,
    });
    const first = nodes[0]!;
    const incomplete = nodes.filter((n) => !n.manifest.complete).map((n) => n.node);
    if (incomplete.length > 0 && !flags.partial) {
      throw new CliError(
        'input',
        `Run ${first.run} iteration ${first.iteration} is still exporting on ${incomplete.join(', ')}: wait, or pass --partial for what is there now`,
      );
    }
    const wanted = nodes.flatMap((n) => packetFiles(n.manifest.files).map((file) => ({ node: n.node, file })));
    if (wanted.length === 0)
      throw new CliError(
        'notFound',
        `Run ${first.run} iteration ${first.iteration} of ${namespace}/${name} exported no packet files`,
      );
    const output = flags.output ?? `${namespace}_${name}_${first.iteration}.pcapng`;
    const work = `${output}.parts`;
    await mkdir(work, { recursive: true, mode: 0o700 });
    const total = wanted.reduce((sum, w) => sum + w.file.bytes, 0);
    say(
      `Fetching ${wanted.length} files (${(total / 2 ** 20).toFixed(1)} MiB) of ${namespace}/${name} run ${first.run} iteration ${first.iteration} from ${nodes.length} nodes`,
    );
    const progress = startProgress(total, 'download');
    const downloaded = await downloadAll(
      store,
      work,
      wanted.map((w) => w.file),
      progress,
    ).finally(() => progress.done());
    const inputs: NodeFile[] = downloaded.map((d, i) => ({ node: wanted[i]!.node, file: d.file, path: d.path }));
    const comment = `tapedeck fetch of ${namespace}/${name} run ${first.run} iteration ${first.iteration} from ${where}`;
    const merged = await mergeNodeFiles(inputs, output, comment);
    await rm(work, { recursive: true, force: true });
    say(`Wrote ${output}: ${merged.packets} packets, interfaces ${merged.interfaces.join(', ')}; every sha256 matched`);
    return ExitCode.Ok;
  } finally {
    store.close();
  }
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

export function fetchCommand(done: (code: ExitCode) => void, fail: (error: unknown) => ExitCode): Command {
  return new Command('fetch')
    .description("Download a recording's exported files, verify every sha256 and merge all nodes into one pcapng")
    .argument('<namespace/name>', 'the Recording')
    .option('--from <url>', 'where it was exported: s3://BUCKET[/PREFIX] or gs://BUCKET[/PREFIX]')
    .option('--endpoint <url>', 'an S3-compatible store or emulator (e.g. http://127.0.0.1:9000)')
    .option('--iteration <n>', 'which iteration (default: the latest)', positiveInt)
    .option('--run <uid8>', 'which run, when the Recording was deleted and created again (default: the newest)')
    .option('--node <name...>', 'only these nodes')
    .option('-o, --output <file>', 'the merged pcapng (default: NAMESPACE_NAME_ITERATION.pcapng)')
    .option('--partial', 'fetch a run that is still exporting (what its manifests list now)')
    .addHelpText(
      'after',
      `
Examples:
  tapedeck fetch shop/checkout-errors --from s3://traffic/prod -o checkout.pcapng
  tapedeck fetch shop/checkout-errors --from gs://traffic/prod --iteration 2 --node node-a
  AWS_PROFILE=minio tapedeck fetch shop/checkout --from s3://traffic --endpoint http://127.0.0.1:9000

Progress goes to stderr (a bar on a terminal). An interrupted fetch resumes from OUTPUT.parts/.
${EXIT_CODES_HELP}`,
    )
    .action(async (target: string, flags: FetchFlags) => {
      try {
        done(await runFetch(target, flags, (line) => process.stderr.write(`${line}\n`)));
      } catch (error) {
        done(fail(error));
      }
    });
}
