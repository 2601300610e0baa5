// Shared setup for the operator's integration tests: the real API server from the
// test environment, the CRD that ships, a namespace and Node objects of this run,
// and controllers wired to an agent fake.
import { randomBytes } from 'node:crypto';
import { CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { CoreV1Event, KubeConfig } from '@kubernetes/client-node';
import { pino } from 'pino';
import {
  RECORDING_API_VERSION,
  RECORDING_GROUP,
  RECORDING_PLURAL,
  RECORDING_VERSION,
} from '../../operator/api/recording.js';
import type { Recording } from '../../operator/api/recording.js';
import { Controller } from '../../operator/controller/controller.js';
import type { Leadership } from '../../operator/controller/controller.js';
import type { AgentClient } from '../../operator/dispatch/agent-client.js';
import { OperatorMetrics } from '../../operator/ops/metrics.js';
import { kubeConfig } from '../env/kube.js';
import { installRecordingCrd } from './crd-fixtures.js';

export const AGENT_POD_LABELS = { 'app.kubernetes.io/name': 'tapedeck', 'app.kubernetes.io/component': 'agent' };
export const coords = { group: RECORDING_GROUP, version: RECORDING_VERSION, plural: RECORDING_PLURAL };
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`, { cause: last });
    await sleep(50);
  }
}

export class OperatorHarness {
  readonly kc: KubeConfig = kubeConfig();
  readonly core = this.kc.makeApiClient(CoreV1Api);
  readonly custom = this.kc.makeApiClient(CustomObjectsApi);
  readonly run = randomBytes(3).toString('hex');
  readonly namespace = `op-${this.run}`;
  readonly nodes: string[] = [];
  private readonly controllers: Controller[] = [];

  async setup(nodeLabels: Record<string, string>[]): Promise<void> {
    await installRecordingCrd(this.kc);
    await this.core.createNamespace({ body: { metadata: { name: this.namespace } } });
    for (const [i, labels] of nodeLabels.entries()) await this.addNode(`op-${this.run}-n${i}`, labels);
  }

  /** Creates a Ready Node of this run (no kubelet here: the Ready condition is written through /status). */
  async addNode(
    name: string,
    labels: Record<string, string> = {},
    spec: Record<string, unknown> = {},
  ): Promise<string> {
    await this.core.createNode({ body: { metadata: { name, labels: { ...labels, 'op-run': this.run } }, spec } });
    this.nodes.push(name);
    await this.setReady(name, true);
    return name;
  }

  async setReady(name: string, ready: boolean): Promise<void> {
    const now = new Date().toISOString();
    const condition = {
      type: 'Ready',
      status: ready ? 'True' : 'False',
      reason: ready ? 'KubeletReady' : 'KubeletNotReady',
    };
    await this.core.patchNodeStatus(
      { name, body: { status: { conditions: [{ ...condition, lastHeartbeatTime: now, lastTransitionTime: now }] } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
  }

  /** Writes an agent Pod on `node` (with an IP unless `ip` is empty), as the DaemonSet controller and kubelet would. */
  async addAgentPod(node: string, ip: string, labels: Record<string, string> = AGENT_POD_LABELS): Promise<void> {
    const name = `agent-${node}`.slice(0, 253);
    await this.core.createNamespacedPod({
      namespace: this.namespace,
      body: {
        metadata: { name, labels },
        spec: { nodeName: node, containers: [{ name: 'agent', image: 'agent:dev' }] },
      },
    });
    if (ip === '') return;
    await this.core.patchNamespacedPodStatus(
      { namespace: this.namespace, name, body: { status: { phase: 'Running', podIP: ip, podIPs: [{ ip }] } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
  }

  /** Stops every controller started so far (call after each test: one operator at a time). */
  async stopAll(): Promise<void> {
    await Promise.all(this.controllers.splice(0).map((c) => c.stop()));
  }

  async teardown(): Promise<void> {
    await this.stopAll();
    for (const name of this.nodes) await this.core.deleteNode({ name }).catch(() => undefined);
    await this.core.deleteNamespace({ name: this.namespace }).catch(() => undefined);
  }

  async startController(
    agents: AgentClient,
    options: {
      workers?: boolean;
      identity?: string;
      leadership?: Leadership;
      onFenced?: () => void;
      metrics?: OperatorMetrics;
      deletionGraceMs?: number;
      /** The fake agents answer only for nodes whose agent pod has an IP in the operator's cache. */
      agentsFromPods?: boolean;
    } = {},
  ): Promise<Controller> {
    const controller = new Controller({
      kubeConfig: this.kc,
      agents: (directory) => {
        if (options.agentsFromPods === true && 'useDirectory' in agents) {
          (agents as { useDirectory(d: typeof directory): unknown }).useDirectory(directory);
        }
        return agents;
      },
      leadership: options.leadership,
      onFenced: options.onFenced,
      deletionGraceMs: options.deletionGraceMs,
      agentPods: { namespace: this.namespace },
      metrics: options.metrics ?? new OperatorMetrics(),
      log: pino({ level: process.env.TAPEDECK_TEST_LOG ?? 'silent' }),
      watchNamespace: this.namespace,
      identity: options.identity ?? `test-${this.run}`,
    });
    this.controllers.push(controller);
    await controller.startCaches();
    if (options.workers !== false) controller.startWorkers();
    return controller;
  }

  async stopController(controller: Controller): Promise<void> {
    await controller.stop();
    this.controllers.splice(this.controllers.indexOf(controller), 1);
  }

  /** Selects this run's nodes (plus `labels`), so Recordings never touch other tests' nodes. */
  selector(labels: Record<string, string> = {}): { matchLabels: Record<string, string> } {
    return { matchLabels: { ...labels, 'op-run': this.run } };
  }

  async create(name: string, spec: Record<string, unknown>): Promise<Recording> {
    return (await this.custom.createNamespacedCustomObject({
      ...coords,
      namespace: this.namespace,
      body: { apiVersion: RECORDING_API_VERSION, kind: 'Recording', metadata: { name }, spec },
    })) as Recording;
  }

  async get(name: string): Promise<Recording> {
    return (await this.custom.getNamespacedCustomObject({ ...coords, namespace: this.namespace, name })) as Recording;
  }

  async waitPhase(name: string, phase: string, timeoutMs = 20_000): Promise<Recording> {
    return waitFor(
      `${name} to be ${phase}`,
      async () => {
        const r = await this.get(name);
        return r.status?.phase === phase ? r : undefined;
      },
      timeoutMs,
    );
  }

  async events(name: string): Promise<CoreV1Event[]> {
    const list = await this.core.listNamespacedEvent({
      namespace: this.namespace,
      fieldSelector: `involvedObject.name=${name}`,
    });
    return list.items;
  }

  /** Events of `name` once every reason in `reasons` is among them: Events are written after status. */
  async eventsWith(name: string, reasons: readonly string[]): Promise<CoreV1Event[]> {
    return waitFor(`Events ${reasons.join(', ')} on ${name}`, async () => {
      const events = await this.events(name);
      const seen = new Set(events.map((e) => e.reason));
      return reasons.every((r) => seen.has(r)) ? events : undefined;
    });
  }
}
