// The demo's node agent: mTLS certificates (openssl), one tapedeck-agent on this machine serving
// gRPC on loopback, and the agent DaemonSet's Pod object the operator discovers it by (created
// through the API with podIP 127.0.0.1, as there is no kubelet).
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { CoreV1Api } from '@kubernetes/client-node';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { AGENT_TLS_NAME, makePki } from '../../test/integration/agent-pki.js';
import type { Pki } from '../../test/integration/agent-pki.js';
import { startChild } from './child.js';
import type { DemoChild } from './child.js';
import { DemoError, DemoErrorCode } from './errors.js';

export const AGENT_NAMESPACE = 'tapedeck-system';
/** The labels the operator selects agent pods by (its --agent-selector default). */
export const AGENT_LABELS = { 'app.kubernetes.io/name': 'tapedeck', 'app.kubernetes.io/component': 'agent' } as const;
export { AGENT_TLS_NAME };
const READY_TIMEOUT_MS = 60_000;

export interface DemoAgent {
  readonly child: DemoChild;
  readonly port: number;
  readonly pki: Pki;
  readonly dataDir: string;
}

/** Starts the agent with its data under `demoDir`/data and its certificates under `demoDir`/pki. */
export async function startAgent(demoDir: string, nodeName: string): Promise<DemoAgent> {
  const pkiDir = path.join(demoDir, 'pki');
  const dataDir = path.join(demoDir, 'data');
  await mkdir(pkiDir, { recursive: true });
  const pki = await makePki(pkiDir).catch((error: unknown) => {
    throw new DemoError(DemoErrorCode.Agent, `Generating mTLS certificates with openssl failed: ${String(error)}`, {
      cause: error,
    });
  });
  const child = startChild(
    'tapedeck-agent',
    'agent/main.ts',
    [
      ...['--node-name', nodeName, '--listen', '127.0.0.1:0', '--data-dir', dataDir],
      ...['--tls-cert', pki.serverCert, '--tls-key', pki.serverKey, '--tls-ca', pki.caCert],
    ],
    path.join(demoDir, 'agent.log'),
  );
  try {
    const ready = await child.waitForLog((e) => e.msg === 'Serving gRPC', READY_TIMEOUT_MS);
    return { child, port: Number(ready['port']), pki, dataDir };
  } catch (error) {
    await child.stop();
    throw new DemoError(DemoErrorCode.Agent, `The agent did not start: ${(error as Error).message}`, { cause: error });
  }
}

/** The agent's Pod as the DaemonSet would create it, bound to `nodeName`, its status written by hand. */
export async function registerAgentPod(core: CoreV1Api, nodeName: string, port: number): Promise<string> {
  const name = `tapedeck-agent-${nodeName}`.slice(0, 63).replace(/-+$/, '');
  await core.createNamespacedPod({
    namespace: AGENT_NAMESPACE,
    body: {
      metadata: { name, labels: { ...AGENT_LABELS } },
      spec: {
        nodeName,
        containers: [{ name: 'agent', image: 'tapedeck-agent:dev', ports: [{ name: 'grpc', containerPort: port }] }],
      },
    },
  });
  await core.patchNamespacedPodStatus(
    {
      namespace: AGENT_NAMESPACE,
      name,
      body: { status: { phase: 'Running', podIP: '127.0.0.1', podIPs: [{ ip: '127.0.0.1' }] } },
    },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
  return `${AGENT_NAMESPACE}/${name}`;
}
