// Wires informers → work queue → reconciler. Caches run on every replica (so a
// standby is warm); workers only run while this replica leads.
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { AgentClient } from '../dispatch/agent-client.js';
import type { AgentDirectory } from '../dispatch/grpc-agent-client.js';
import type { OperatorMetrics } from '../ops/metrics.js';
import { PolicyGuard } from '../tenancy/policy-guard.js';
import type { ExportGrants } from '../export/export-grants.js';
import type { TenancyOptions } from '../tenancy/policy-guard.js';
import { ClusterCache, DEFAULT_AGENT_PORT } from './cluster-cache.js';
import type { AgentPods } from './cluster-cache.js';
import { Reconciler } from './reconciler.js';
import { RecordingStore } from './recording-store.js';
import { WorkQueue, maxConcurrentReconciles } from './work-queue.js';

export interface ControllerOptions {
  kubeConfig: KubeConfig;
  /** Builds the agent client once the agent directory (the pod cache) exists. */
  agents: (directory: AgentDirectory) => AgentClient;
  agentPods?: Partial<AgentPods>;
  metrics: OperatorMetrics;
  log: Logger;
  now?: () => number;
  concurrency?: number;
  identity?: string;
  /** Reconcile Recordings of this namespace only; undefined = all. */
  watchNamespace?: string;
  /** Hold node-wide Recordings unless this tenancy policy enforces; undefined = no check. */
  tenancy?: TenancyOptions;
  /** The leader election (fencing epoch, fresh Lease); undefined = always acting, epoch 0. */
  leadership?: Leadership;
  /** An agent refused this replica as a stale leader. */
  onFenced?: () => void;
  /** Overrides how long after its window end a deleted Recording waits for unreachable agents (tests). */
  deletionGraceMs?: number;
  /** Export destinations and credentials; undefined = sessions export nowhere. */
  exports?: ExportGrants;
}

/** What the reconciler asks the leader election before and while acting. */
export interface Leadership {
  readonly canAct: boolean;
  readonly epoch: number;
}

export const defaultAgentPods: AgentPods = {
  namespace: 'tapedeck-system',
  labels: { 'app.kubernetes.io/name': 'tapedeck', 'app.kubernetes.io/component': 'agent' },
  defaultPort: DEFAULT_AGENT_PORT,
};

export class Controller {
  readonly cache: ClusterCache;
  readonly agents: AgentClient;
  private readonly store: RecordingStore;
  private readonly reconciler: Reconciler;
  private queue: WorkQueue | undefined;
  private workers: Promise<void> | undefined;
  private synced = false;

  constructor(private readonly o: ControllerOptions) {
    const identity = o.identity ?? 'tapedeck-operator';
    this.store = new RecordingStore(o.kubeConfig, 'tapedeck-operator', identity);
    this.cache = new ClusterCache(
      o.kubeConfig,
      this.store,
      { ...defaultAgentPods, ...o.agentPods },
      (key) => this.queue?.add(key),
      o.log,
      o.watchNamespace,
    );
    this.agents = o.agents(this.cache);
    this.reconciler = new Reconciler({
      store: this.store,
      cluster: this.cache,
      agents: this.agents,
      metrics: o.metrics,
      log: o.log,
      now: o.now,
      mayAct: () => this.queue !== undefined && (o.leadership?.canAct ?? true),
      leaderEpoch: () => o.leadership?.epoch ?? 0,
      deletionGraceMs: o.deletionGraceMs,
      onFenced: () => {
        o.log.warn({ identity: o.identity }, 'Fenced by an agent: stopping workers');
        void this.stopWorkers();
        o.onFenced?.();
      },
      tenancy: o.tenancy && new PolicyGuard(o.kubeConfig, o.tenancy, this.store, o.log),
      ...(o.exports && { exports: o.exports }),
    });
  }

  get isSynced(): boolean {
    return this.synced;
  }

  /** Starts the informers; resolves once their first lists are in. */
  async startCaches(): Promise<void> {
    await this.cache.start();
    this.synced = true;
  }

  /** Starts reconciling (call when leading). */
  startWorkers(): void {
    if (this.queue !== undefined) return;
    const queue = new WorkQueue(this.o.now);
    this.queue = queue;
    const { metrics, log } = this.o;
    this.workers = queue.run(
      async (key) => {
        const end = metrics.reconcileDuration.startTimer();
        try {
          const outcome = await this.reconciler.reconcile(key);
          metrics.reconciles.inc({ result: 'success' });
          return outcome;
        } finally {
          end();
        }
      },
      (key, error, retryInMs) => {
        metrics.reconciles.inc({ result: 'error' });
        metrics.errors.inc({ kind: 'reconcile' });
        log.warn({ recording: key, err: error, retryInMs }, 'Reconcile failed');
      },
      this.o.concurrency ?? maxConcurrentReconciles,
    );
    this.cache.enqueueAll();
  }

  /** Stops reconciling; in-flight reconciles finish first. */
  async stopWorkers(): Promise<void> {
    const queue = this.queue;
    if (queue === undefined) return;
    this.queue = undefined;
    queue.shutdown();
    await this.workers;
  }

  async stop(): Promise<void> {
    await this.stopWorkers();
    await this.cache.stop();
  }
}
