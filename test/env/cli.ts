/**
 * `npm run testenv:up`: starts the control plane and object stores for humans (and for the demo), prints
 * how to reach them, and runs until Ctrl-C. Options: --nodes N also creates N simulated nodes.
 */
import { parseArgs } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { createNodes, type SimulatedNodes } from './nodes.js';
import { startTestEnv } from './test-env.js';

const { values } = parseArgs({ options: { nodes: { type: 'string', default: '0' } } });
const nodeCount = Number(values.nodes);
if (!Number.isInteger(nodeCount) || nodeCount < 0) throw new RangeError(`--nodes must be a whole number`);

const say = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

const env = await startTestEnv({ strict: false, log: (m) => say(`[testenv] ${m}`) });
let nodes: SimulatedNodes | undefined;
let stopping = false;
const stop = async (code: number): Promise<void> => {
  if (stopping) return;
  stopping = true;
  say('[testenv] Stopping');
  await nodes?.destroy();
  await env.stop();
  process.exit(code);
};
process.on('SIGINT', () => void stop(130));
process.on('SIGTERM', () => void stop(143));

try {
  if (nodeCount > 0) {
    const kc = new KubeConfig();
    kc.loadFromFile(env.facts.kubeconfigPath);
    nodes = await createNodes({ count: nodeCount, kubeConfig: kc, runId: env.facts.runId });
  }
} catch (err) {
  say(`[testenv] Creating nodes failed: ${err instanceof Error ? err.message : String(err)}`);
  await stop(1);
}

const { facts } = env;
say(`[testenv] Ready in ${env.startupMs} ms; logs in ${facts.tempDir}`);
say('');
say(`export KUBECONFIG=${facts.kubeconfigPath}`);
if (facts.s3) {
  say(`export AWS_ENDPOINT_URL=${facts.s3.endpoint}`);
  say(`export AWS_ACCESS_KEY_ID=${facts.s3.accessKeyId}`);
  say(`export AWS_SECRET_ACCESS_KEY=${facts.s3.secretAccessKey}`);
  say(`export AWS_REGION=${facts.s3.region}`);
}
if (facts.gcs) say(`export STORAGE_EMULATOR_HOST=${facts.gcs.endpoint}`);
say(`export PATH=${facts.bin.kubectl.replace(/\/kubectl$/, '')}:$PATH`);
say('');
say(`API server: ${facts.apiServerUrl}`);
for (const node of nodes?.nodes ?? []) say(`Node ${node.name}: ip=${node.ip} netns=${node.netns}`);
if (nodes) say(`Host address on the nodes' bridge: ${nodes.gatewayIp}`);
for (const reason of Object.values(facts.missing)) say(`Not available: ${reason}`);
say('Press Ctrl-C to stop and clean up.');
setInterval(() => undefined, 1 << 30);
