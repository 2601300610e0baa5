// Informers for everything a reconcile reads besides the Recording itself:
// Nodes, Pods (podSelector targets and the agent DaemonSet's pods) and
// Recordings (the event source). Every event becomes work-queue keys.
import { AppsV1Api, CoreV1Api, makeInformer } from '@kubernetes/client-node';
import type {
  Informer,
  KubeConfig,
  KubernetesObject,
  ObjectCache,
  V1DaemonSet,
  V1Node,
  V1Pod,
} from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { RECORDING_GROUP, RECORDING_PLURAL, RECORDING_VERSION } from '../api/recording.js';
import type { AgentDirectory } from '../dispatch/grpc-agent-client.js';
import type { RecordingView } from './recording-view.js';
import { isNodeReady, placementOf, placementProblem } from './agent-placement.js';
import type { AgentPlacement } from './agent-placement.js';
import type { RecordingStore } from './recording-store.js';
import { matches } from './targets.js';
import type { NodeInfo, PodInfo } from './targets.js';

/**
 * After a watch error, an informer is restarted after this delay, doubling up to the maximum (with jitter).
 * The common error is a 429 while the API server's watch cache for the resource initializes (a CRD just
 * installed, an API server restarted; measured: < 400 ms here): the restart relists, so a Recording created
 * meanwhile waits for up to this delay. Short first, then backing off, so a real 429 storm is not fed.
 */
export const INFORMER_RESTART_DELAY_MS = 200;
export const INFORMER_MAX_RESTART_DELAY_MS = 30_000;
/** An informer that ran this long without an error starts its backoff over. */
const INFORMER_HEALTHY_MS = 60_000;
export const DEFAULT_AGENT_PORT = 9443;
const SYNC_POLL_MS = 20;

export interface AgentPods {
  namespace: string;
  labels: Record<string, string>;
  /** Port used when the pod declares no container port named "grpc". */
  defaultPort: number;
}

export function keyOf(o: { metadata?: { namespace?: string; name?: string } }): string {
  return `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;
}

type Cached<T extends KubernetesObject> = Informer<T> & ObjectCache<T>;

export class ClusterCache implements AgentDirectory {
  readonly recordings: Cached<RecordingView & KubernetesObject>;
  readonly nodes: Cached<V1Node>;
  readonly pods: Cached<V1Pod>;
  /** The agent DaemonSet(s): where the agent can run decides which nodes are targets. */
  readonly daemonSets: Cached<V1DaemonSet>;
  private stopped = false;
  private readonly synced = new Set<string>();

  constructor(
    kubeConfig: KubeConfig,
    store: RecordingStore,
    private readonly agents: AgentPods,
    private readonly enqueue: (key: string) => void,
    private readonly log: Logger,
    /** Watch Recordings of this namespace only; undefined = all namespaces. */
    watchNamespace?: string,
  ) {
    const core = kubeConfig.makeApiClient(CoreV1Api);
    const scope = watchNamespace === undefined ? '' : `/namespaces/${encodeURIComponent(watchNamespace)}`;
    this.recordings = makeInformer(
      kubeConfig,
      `/apis/${RECORDING_GROUP}/${RECORDING_VERSION}${scope}/${RECORDING_PLURAL}`,
      this.listed('recordings', () => store.list(watchNamespace) as never),
    );
    this.nodes = makeInformer(
      kubeConfig,
      '/api/v1/nodes',
      this.listed('nodes', () => core.listNode()),
    );
    this.pods = makeInformer(
      kubeConfig,
      '/api/v1/pods',
      this.listed('pods', () => core.listPodForAllNamespaces()),
    );
    const apps = kubeConfig.makeApiClient(AppsV1Api);
    const ns = encodeURIComponent(agents.namespace);
    this.daemonSets = makeInformer(
      kubeConfig,
      `/apis/apps/v1/namespaces/${ns}/daemonsets`,
      this.listed('daemonsets', () => apps.listNamespacedDaemonSet({ namespace: agents.namespace })),
    );

    for (const verb of ['add', 'update', 'delete'] as const) {
      this.recordings.on(verb, (r) => this.enqueue(keyOf(r)));
      this.nodes.on(verb, () => this.enqueueAll());
      this.pods.on(verb, (p) => this.onPod(p));
      this.daemonSets.on(verb, () => this.enqueueAll());
    }
    for (const [name, informer] of [
      ['recordings', this.recordings],
      ['nodes', this.nodes],
      ['pods', this.pods],
      ['daemonsets', this.daemonSets],
    ] as const) {
      this.restartOnError(name, informer);
    }
  }

  /** Restarts a failed watch with exponential backoff and jitter (a 429 storm must not be fed by retries). */
  private restartOnError(name: string, informer: Informer<KubernetesObject>): void {
    let failures = 0;
    let lastFailure = 0;
    informer.on('error', (error: unknown) => {
      if (this.stopped) return;
      const now = Date.now();
      failures = now - lastFailure > INFORMER_HEALTHY_MS ? 1 : failures + 1;
      lastFailure = now;
      const base = Math.min(INFORMER_RESTART_DELAY_MS * 2 ** (failures - 1), INFORMER_MAX_RESTART_DELAY_MS);
      const delay = Math.round(base * (0.5 + Math.random() / 2));
      this.log.warn(
        {
          informer: name,
          delayMs: delay,
          error: error instanceof Error ? error.message.split('\n')[0] : String(error),
        },
        'Watch failed, restarting',
      );
      setTimeout(() => {
        if (!this.stopped) void informer.start().catch(() => undefined);
      }, delay).unref();
    });
  }

  /** Starts the informers and resolves once each has completed a first list (retrying failed ones). */
  async start(): Promise<void> {
    await Promise.all([this.nodes.start(), this.pods.start(), this.daemonSets.start()]);
    await this.recordings.start();
    while (this.synced.size < 4 && !this.stopped) {
      await new Promise((resolve) => setTimeout(resolve, SYNC_POLL_MS));
    }
  }

  private listed<T>(name: string, list: () => Promise<T>): () => Promise<T> {
    return async () => {
      const result = await list();
      this.synced.add(name);
      return result;
    };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all([this.recordings.stop(), this.nodes.stop(), this.pods.stop(), this.daemonSets.stop()]);
  }

  enqueueAll(): void {
    for (const r of this.recordings.list()) this.enqueue(keyOf(r));
  }

  /** The agent DaemonSets' placement: those in the agent namespace whose pod template has the agent labels. */
  agentPlacements(): AgentPlacement[] {
    return this.daemonSets
      .list(this.agents.namespace)
      .filter((ds) => matches(agentSelector(this.agents), ds.spec?.template.metadata?.labels ?? {}))
      .map(placementOf);
  }

  /**
   * Nodes with their readiness and whether the agent DaemonSet can run there. Without an agent DaemonSet
   * (a test environment, an agent installed otherwise), every node is taken as one the agent can run on.
   */
  nodeInfos(): NodeInfo[] {
    const placements = this.agentPlacements();
    return this.nodes.list().map((n) => ({
      name: n.metadata?.name ?? '',
      labels: n.metadata?.labels ?? {},
      ready: isNodeReady(n),
      agentCanRun: placements.length === 0 || placements.some((p) => placementProblem(p, n) === undefined),
    }));
  }

  /**
   * Pods a podSelector may narrow a capture to. hostNetwork pods are left out (tenancy, SECURITY.md): their
   * IP is the node's, so their traffic cannot be told apart from every other host-network process.
   */
  podInfos(): PodInfo[] {
    return this.pods
      .list()
      .filter((p) => p.spec?.hostNetwork !== true)
      .map((p) => ({
        namespace: p.metadata?.namespace ?? '',
        labels: p.metadata?.labels ?? {},
        nodeName: p.spec?.nodeName,
        podIPs: (p.status?.podIPs ?? []).map((ip) => ip.ip).filter((ip) => ip !== ''),
        terminating: p.metadata?.deletionTimestamp !== undefined,
      }));
  }

  /** AgentDirectory: the agent pod on `node` with an IP, as "ip:port". */
  addressOf(node: string): string | undefined {
    for (const pod of this.pods.list(this.agents.namespace)) {
      if (!this.isAgent(pod) || pod.spec?.nodeName !== node) continue;
      if (pod.metadata?.deletionTimestamp !== undefined) continue;
      const ip = pod.status?.podIP;
      if (ip === undefined || ip === '') continue;
      const port =
        pod.spec?.containers.flatMap((c) => c.ports ?? []).find((p) => p.name === 'grpc')?.containerPort ??
        this.agents.defaultPort;
      return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
    }
    return undefined;
  }

  private isAgent(pod: V1Pod): boolean {
    return (
      pod.metadata?.namespace === this.agents.namespace &&
      matches(agentSelector(this.agents), pod.metadata?.labels ?? {})
    );
  }

  private onPod(pod: V1Pod): void {
    if (this.isAgent(pod)) {
      this.enqueueAll();
      return;
    }
    for (const r of this.recordings.list(pod.metadata?.namespace)) {
      if (r.spec.target.podSelector !== undefined) this.enqueue(keyOf(r));
    }
  }
}

export function agentSelector(agents: AgentPods): { matchLabels: Record<string, string> } {
  return { matchLabels: agents.labels };
}
