// npm run demo: tapedeck end to end on this machine, no cluster or cloud account.
// Starts the test environment's control plane (etcd + kube-apiserver +
// kube-controller-manager), installs the CRD that ships, runs one tapedeck-agent
// (this machine is the node) and the tapedeck-operator binary, applies a
// Recording that captures UDP on loopback for a few seconds while this script
// sends some, then prints the final status and every pcap with tshark's count.
import { execFile, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { CoreV1Api, CustomObjectsApi, KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { Recording } from '../../operator/api/recording.js';
import { startTestEnv } from '../env/test-env.js';
import { startAgentProcess } from '../integration/agent-process.js';
import { installRecordingCrd } from '../integration/crd-fixtures.js';

const run = promisify(execFile);
const say = (line: string): boolean => process.stdout.write(`${line}\n`);
const NODE = 'demo-node';
const SYSTEM = 'tapedeck-system';
const PORT = 5555;
const coords = { group: 'tapedeck.dev', version: 'v1alpha1', plural: 'recordings' };

async function findFiles(dir: string, suffix: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile() && e.name.endsWith(suffix)).map((e) => path.join(e.parentPath, e.name));
}

say('Starting the control plane (etcd, kube-apiserver, kube-controller-manager)...');
const env = await startTestEnv({});
const stops: (() => Promise<unknown>)[] = [() => env.stop()];
try {
  const kc = new KubeConfig();
  kc.loadFromFile(env.facts.kubeconfigPath);
  const core = kc.makeApiClient(CoreV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  await installRecordingCrd(kc);
  say(`Control plane up at ${env.facts.apiServerUrl}; CRD recordings.tapedeck.dev installed`);
  say(`  (KUBECONFIG=${env.facts.kubeconfigPath})`);

  const dataDir = path.join(await mkdtemp(path.join(tmpdir(), 'tapedeck-demo-')), 'data');
  const agent = await startAgentProcess({
    args: ['--node-name', NODE, '--listen', '127.0.0.1:0', '--data-dir', dataDir, '--insecure'],
  });
  stops.unshift(() => agent.stop());
  say(`Agent serving on 127.0.0.1:${agent.port}, data in ${dataDir}`);

  // No kubelet: the Node and the agent DaemonSet's Pod are written through the API.
  await core.createNode({ body: { metadata: { name: NODE, labels: { 'kubernetes.io/hostname': NODE } } } });
  await core.createNamespace({ body: { metadata: { name: SYSTEM } } });
  const labels = { 'app.kubernetes.io/name': 'tapedeck', 'app.kubernetes.io/component': 'agent' };
  await core.createNamespacedPod({
    namespace: SYSTEM,
    body: {
      metadata: { name: 'tapedeck-agent-demo', labels },
      spec: {
        nodeName: NODE,
        containers: [
          { name: 'agent', image: 'tapedeck-agent:dev', ports: [{ name: 'grpc', containerPort: agent.port }] },
        ],
      },
    },
  });
  await core.patchNamespacedPodStatus(
    { namespace: SYSTEM, name: 'tapedeck-agent-demo', body: { status: { phase: 'Running', podIP: '127.0.0.1' } } },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );

  const main = fileURLToPath(new URL('../../operator/main.ts', import.meta.url));
  const operator = spawn(
    process.execPath,
    [
      ...['--import', 'tsx', main, '--kubeconfig', env.facts.kubeconfigPath, '--insecure'],
      ...['--leader-elect', 'false', '--http-bind', '127.0.0.1:0', '--agent-namespace', SYSTEM],
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const operatorExit = new Promise((resolve) => operator.once('exit', resolve));
  stops.unshift(async () => {
    operator.kill('SIGTERM');
    await operatorExit;
  });
  await new Promise<void>((resolve) =>
    createInterface({ input: operator.stdout }).on('line', (line) => {
      if (line.includes('"Caches synced"')) resolve();
    }),
  );
  say('Operator running');

  await custom.createNamespacedCustomObject({
    ...coords,
    namespace: 'default',
    body: {
      apiVersion: 'tapedeck.dev/v1alpha1',
      kind: 'Recording',
      metadata: { name: 'demo' },
      spec: {
        target: { interfaces: ['lo'] },
        filter: { include: [{ destinationCIDR: '127.0.0.1/32', destinationPort: PORT, protocol: 'UDP' }] },
        schedule: { duration: '5s' },
        output: { formats: ['pcap', 'pcapng'] },
      },
    },
  });
  say(`Applied Recording default/demo: UDP to 127.0.0.1:${PORT} on lo for 5s; sending traffic...`);

  const socket = createSocket('udp4');
  let sent = 0;
  const sender = setInterval(() => {
    for (let i = 0; i < 10; i++) socket.send(`tapedeck demo packet ${sent++}`, PORT, '127.0.0.1');
  }, 20);
  let final: Recording | undefined;
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const r = (await custom.getNamespacedCustomObject({ ...coords, namespace: 'default', name: 'demo' })) as Recording;
    if (r.status?.phase === 'Completed' || r.status?.phase === 'Failed') {
      final = r;
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  clearInterval(sender);
  socket.close();
  say(`Sent ${sent} UDP packets`);
  const { stdout } = await run(env.facts.bin.kubectl, ['get', 'rec', '-A', '-o', 'wide'], {
    env: { ...process.env, KUBECONFIG: env.facts.kubeconfigPath },
  });
  say(stdout.trimEnd());
  say(JSON.stringify(final?.status ?? {}, null, 2));
  for (const file of [...(await findFiles(dataDir, '.pcap')), ...(await findFiles(dataDir, '.pcapng'))]) {
    const { stdout: count } = await run('tshark', ['-r', file, '-T', 'fields', '-e', 'frame.number']);
    say(`${file}: tshark reads ${count.split('\n').filter((l) => l !== '').length} packets`);
  }
  if (final?.status?.phase !== 'Completed') process.exitCode = 1;
} finally {
  for (const stop of stops) await stop().catch(() => undefined);
}
