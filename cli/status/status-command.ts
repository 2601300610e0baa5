// `tapedeck status NAMESPACE/NAME`: the Recording's status and recent Events from the cluster, for a
// person (or, with -o json, the raw status for a script).
import { Command, Option } from 'commander';
import { EXIT_CODES_HELP, ExitCode } from '../exit-codes.js';
import { connectCluster } from '../cluster/cluster.js';
import type { ClusterFlags } from '../cluster/cluster.js';
import { parseName } from '../fetch/fetch-run.js';
import { formatStatus } from './status-format.js';

interface StatusFlags extends ClusterFlags {
  output?: 'text' | 'json';
}

export async function runStatus(target: string, flags: StatusFlags): Promise<ExitCode> {
  const { namespace, name } = parseName(target);
  const cluster = await connectCluster(flags);
  const recording = await cluster.getRecording(namespace, name);
  if (flags.output === 'json') {
    process.stdout.write(
      `${JSON.stringify({ metadata: recording.metadata, status: recording.status ?? {} }, null, 2)}\n`,
    );
    return ExitCode.Ok;
  }
  const events = await cluster.listEvents(namespace, name, recording.metadata.uid);
  process.stdout.write(`${formatStatus(recording, events, new Date())}\n`);
  return ExitCode.Ok;
}

export function statusCommand(done: (code: ExitCode) => void, fail: (error: unknown) => ExitCode): Command {
  return new Command('status')
    .description("Show a Recording's phase, conditions, per-node rows, gaps, exported artifacts and recent Events")
    .argument('<namespace/name>', 'the Recording')
    .addOption(new Option('-o, --output <format>', 'text or json').choices(['text', 'json']).default('text'))
    .option('--kubeconfig <file>', 'the kubeconfig (default: KUBECONFIG, ~/.kube/config)')
    .option('--context <name>', 'the kubeconfig context')
    .addHelpText(
      'after',
      `
Examples:
  tapedeck status shop/checkout-errors
  tapedeck status shop/checkout-errors -o json | jq .status.nodes
${EXIT_CODES_HELP}`,
    )
    .action(async (target: string, flags: StatusFlags) => {
      try {
        done(await runStatus(target, flags));
      } catch (error) {
        done(fail(error));
      }
    });
}
