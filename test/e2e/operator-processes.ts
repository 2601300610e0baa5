// Helpers of the operator's end-to-end tests: real tapedeck-agent processes in
// network-namespace nodes (their DaemonSet pods written through the API, as
// there is no kubelet) and tapedeck-operator processes (through tsx) whose
// log lines the test can read.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { GrpcAgentClient } from '../../operator/dispatch/grpc-agent-client.js';
import { testEnv } from '../env/kube.js';
import type { SimulatedNode } from '../env/nodes.js';
import { freePort } from '../env/ports.js';
import { AGENT_TLS_NAME, clientPem } from '../integration/agent-pki.js';
import type { Pki } from '../integration/agent-pki.js';
import { startAgentProcess } from '../integration/agent-process.js';
import type { AgentProcess } from '../integration/agent-process.js';
import type { OperatorHarness } from '../integration/operator-harness.js';

export const AGENT_LABELS = { 'app.kubernetes.io/name': 'tapedeck', 'app.kubernetes.io/component': 'agent' };

/** Starts one agent per node inside its network namespace and registers its pod. */
export async function startNodeAgents(
  h: OperatorHarness,
  nodes: readonly SimulatedNode[],
  pki: Pki,
  dataRoot: string,
): Promise<AgentProcess[]> {
  const agents: AgentProcess[] = [];
  for (const node of nodes) {
    const agent = await startAgentProcess({
      netns: node.netns,
      args: [
        ...['--node-name', node.name, '--listen', `${node.ip}:0`, '--data-dir', path.join(dataRoot, node.name)],
        ...['--tls-cert', pki.serverCert, '--tls-key', pki.serverKey, '--tls-ca', pki.caCert],
      ],
    });
    agents.push(agent);
    await registerAgentPod(h, node, agent.port);
  }
  return agents;
}

/** The agent DaemonSet's pod on `node`, Running with the node's IP and its gRPC port (no kubelet here). */
export async function registerAgentPod(h: OperatorHarness, node: SimulatedNode, port: number): Promise<void> {
  const name = `agent-${node.name}`;
  const ports = [{ name: 'grpc', containerPort: port }];
  await h.core.createNamespacedPod({
    namespace: h.namespace,
    body: {
      metadata: { name, labels: AGENT_LABELS },
      spec: { nodeName: node.name, containers: [{ name: 'agent', image: 'tapedeck-agent:dev', ports }] },
    },
  });
  await h.core.patchNamespacedPodStatus(
    { namespace: h.namespace, name, body: { status: { phase: 'Running', podIP: node.ip, podIPs: [{ ip: node.ip }] } } },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
}

/** An AgentClient that dials the agents directly, to read their session lists. */
export async function directAgents(
  nodes: readonly SimulatedNode[],
  agents: readonly AgentProcess[],
  pki: Pki,
): Promise<GrpcAgentClient> {
  const addressOf = (node: string): string | undefined => {
    const i = nodes.findIndex((n) => n.name === node);
    return i < 0 ? undefined : `${nodes[i]?.ip ?? ''}:${agents[i]?.port ?? 0}`;
  };
  return new GrpcAgentClient({ addressOf }, { ...(await clientPem(pki)), serverName: AGENT_TLS_NAME });
}

export interface OperatorProcess {
  readonly identity: string;
  readonly child: ChildProcess;
  /** /metrics, /healthz and /readyz. */
  readonly httpPort: number;
  /** Every log line so far, parsed. */
  readonly lines: Record<string, unknown>[];
  /** Resolves when this replica logged that it leads. */
  readonly leading: Promise<void>;
  /** Log lines whose msg is `msg`. */
  logged(msg: string): Record<string, unknown>[];
  exited(): Promise<number | null>;
}

export interface LeaseTiming {
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

/** Runs the tapedeck-operator binary (through tsx) against the test API server with leader election on. */
export async function startOperatorProcess(
  h: OperatorHarness,
  pki: Pki,
  identity: string,
  timing: LeaseTiming,
): Promise<OperatorProcess> {
  const main = fileURLToPath(new URL('../../operator/main.ts', import.meta.url));
  const httpPort = await freePort();
  const child = spawn(
    process.execPath,
    [
      ...['--import', 'tsx', main, '--kubeconfig', testEnv().kubeconfigPath, '--identity', identity],
      ...['--namespace', h.namespace, '--watch-namespace', h.namespace, '--agent-namespace', h.namespace],
      ...['--leader-elect', 'true', '--lease-duration', String(timing.leaseDurationMs)],
      ...['--renew-deadline', String(timing.renewDeadlineMs), '--retry-period', String(timing.retryPeriodMs)],
      ...['--http-bind', `127.0.0.1:${httpPort}`],
      ...['--tls-ca', pki.caCert, '--tls-cert', pki.clientCert, '--tls-key', pki.clientKey],
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const lines: Record<string, unknown>[] = [];
  const leading = new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (process.env.TAPEDECK_TEST_LOG !== undefined) process.stderr.write(`[${identity}] ${line}\n`);
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        lines.push({ msg: line });
      }
      if (line.includes('"Became leader"')) resolve();
    });
    void exit.then((code) => reject(new Error(`operator ${identity} exited with ${code}`)));
  });
  leading.catch(() => undefined);
  return {
    identity,
    child,
    httpPort,
    lines,
    leading,
    logged: (msg) => lines.filter((l) => l.msg === msg),
    exited: () => exit,
  };
}

/** The value of a Prometheus sample (`name{labels}`) on the replica's /metrics, 0 when absent. */
export async function metric(operator: OperatorProcess, sample: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${operator.httpPort}/metrics`)).text();
  let total = 0;
  for (const line of text.split('\n')) {
    // The sample exactly: `tapedeck_operator_leader` must not also count `tapedeck_operator_leader_epoch`.
    const rest = line.slice(sample.length);
    if (line.startsWith(sample) && (rest.startsWith(' ') || (!sample.includes('{') && rest.startsWith('{')))) {
      total += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return total;
}
