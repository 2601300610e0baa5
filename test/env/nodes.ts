import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { CoreV1Api, type KubeConfig, type V1Node } from '@kubernetes/client-node';
import { runCommand, type CommandResult } from './command.js';
import { forwardToLoopback, type HostForward } from './host-forward.js';
import { createNetworkSet, type NetworkSet } from './netns.js';

/**
 * Simulated cluster nodes: a network namespace each (see netns.ts) plus a matching `Node` object whose
 * status (Ready, InternalIP) is written through the status subresource, since no kubelet runs here.
 */
export interface SimulatedNode {
  /** The Node object's name (also its kubernetes.io/hostname label). */
  name: string;
  netns: string;
  /** InternalIP: the node's address inside its namespace. */
  ip: string;
  labels: Record<string, string>;
  /** Spawns a process inside the node's namespace (`ip netns exec <ns> command ...args`, no shell). */
  spawn(command: string, args: readonly string[], options?: SpawnOptions): ChildProcess;
  /** Runs a command inside the node's namespace to completion; rejects with its stderr on failure. */
  run(command: string, args: readonly string[]): Promise<CommandResult>;
}

export interface SimulatedNodes {
  nodes: SimulatedNode[];
  /** Host (root namespace) address on the nodes' bridge: host processes listening on it are reachable from nodes. */
  gatewayIp: string;
  subnet: string;
  bridge: string;
  /**
   * Makes a loopback-only service of the host (e.g. MinIO's port) reachable from the nodes at
   * <gatewayIp>:<port>; closed by destroy(). Note that URLs the service hands out (fake-gcs-server's
   * resumable-upload Location) still name 127.0.0.1.
   */
  exposeHostPort(port: number): Promise<string>;
  /** Deletes the Node objects, namespaces and links, and closes forwards. Idempotent. */
  destroy(): Promise<void>;
}

export interface CreateNodesOptions {
  count: number;
  kubeConfig: KubeConfig;
  /** Run id of the test environment (TestEnvFacts.runId): ties the namespaces to the run for sweeping. */
  runId: string;
  /** Node names are <namePrefix><index>. Default: sim<subnet-index>-. */
  namePrefix?: string;
  /** Extra labels for every node, or per node index. */
  labels?: Record<string, string> | ((index: number) => Record<string, string>);
}

export const simulatedLabel = 'tapedeck.dev/simulated-node';

function nodeObject(name: string, labels: Record<string, string>): V1Node {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name, labels } };
}

async function markReady(api: CoreV1Api, name: string, address: string): Promise<void> {
  const node = await api.readNode({ name });
  const now = new Date();
  node.status = {
    ...node.status,
    addresses: [
      { type: 'InternalIP', address },
      { type: 'Hostname', address: name },
    ],
    conditions: [
      {
        type: 'Ready',
        status: 'True',
        reason: 'KubeletReady',
        message: 'Simulated by the tapedeck test environment',
        lastHeartbeatTime: now,
        lastTransitionTime: now,
      },
    ],
  };
  await api.replaceNodeStatus({ name, body: node });
}

async function deleteNode(api: CoreV1Api, name: string): Promise<void> {
  try {
    await api.deleteNode({ name });
  } catch (err) {
    if ((err as { code?: number }).code !== 404) throw err;
  }
}

function inNetns(network: { netns: string }): Pick<SimulatedNode, 'spawn' | 'run'> {
  return {
    spawn: (command, args, options = {}) => spawn('ip', ['netns', 'exec', network.netns, command, ...args], options),
    run: (command, args) => runCommand('ip', ['netns', 'exec', network.netns, command, ...args]),
  };
}

/** Creates `count` simulated nodes (namespaces + Ready Node objects). Needs root. */
export async function createNodes(options: CreateNodesOptions): Promise<SimulatedNodes> {
  const api = options.kubeConfig.makeApiClient(CoreV1Api);
  const network: NetworkSet = await createNetworkSet(options.runId, options.count);
  const prefix = options.namePrefix ?? `sim${network.bridge.slice('td-s'.length)}-`;
  const created: string[] = [];
  const forwards: HostForward[] = [];
  let destroyed = false;
  const destroy = async (): Promise<void> => {
    if (destroyed) return;
    destroyed = true;
    try {
      await Promise.all(forwards.map((f) => f.close()));
      await Promise.all(created.map((name) => deleteNode(api, name)));
    } finally {
      await network.destroy();
    }
  };
  const results = await Promise.allSettled(
    network.members.map(async (member, index): Promise<SimulatedNode> => {
      const name = `${prefix}${index}`;
      const extra = typeof options.labels === 'function' ? options.labels(index) : (options.labels ?? {});
      const labels = {
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        [simulatedLabel]: 'true',
        ...extra,
      };
      await api.createNode({ body: nodeObject(name, labels) });
      created.push(name);
      await markReady(api, name, member.ip);
      return { name, netns: member.netns, ip: member.ip, labels, ...inNetns(member) };
    }),
  );
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) {
    await destroy();
    throw failed.reason;
  }
  const nodes = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const exposeHostPort = async (port: number): Promise<string> => {
    const forward = await forwardToLoopback(network.gatewayIp, port);
    forwards.push(forward);
    return forward.address;
  };
  return {
    nodes,
    gatewayIp: network.gatewayIp,
    subnet: network.subnet,
    bridge: network.bridge,
    exposeHostPort,
    destroy,
  };
}
