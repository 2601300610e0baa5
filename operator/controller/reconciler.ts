// One level-based reconcile of a Recording: re-read it, ask the agents of the
// nodes it concerns what runs, decide, act, decide again on the outcome, then
// write status (only when it changed), Events and the finalizer.
import type { Logger } from 'pino';
import { DispatchError, DispatchErrorCode, SessionState } from '../dispatch/agent-client.js';
import type { AgentClient, SessionReport, StopReason } from '../dispatch/agent-client.js';
import { buildSessionFilter, buildSessionSpec } from '../dispatch/session-spec.js';
import type { OperatorMetrics } from '../ops/metrics.js';
import { decide } from './decide.js';
import type { Action } from './decide.js';
import { zeroCounters } from './node-rows.js';
import type { AgentReport } from './node-rows.js';
import type { RecordingStore } from './recording-store.js';
import { FINALIZER } from './recording-view.js';
import type { RecordingStatus, RecordingView } from './recording-view.js';
import { sameJson } from './same-json.js';
import type { RecordingEvent } from './status-extras.js';
import { resolveTargets } from './targets.js';
import type { NodeInfo, PodInfo } from './targets.js';
import type { Outcome } from './work-queue.js';

/** While a deleted Recording still has sessions, look again this soon. */
export const DELETION_RETRY_MS = 250;

export interface TargetSource {
  nodeInfos(): NodeInfo[];
  podInfos(): PodInfo[];
}

export interface ReconcilerDeps {
  store: RecordingStore;
  cluster: TargetSource;
  agents: AgentClient;
  metrics: OperatorMetrics;
  log: Logger;
  now?: () => number;
  /** Returns false when this replica must not act (not the leader). */
  mayAct?: () => boolean;
  /** Tenancy (operator/tenancy/policy-guard.ts): holds node-wide Recordings while no policy enforces who may create them. */
  tenancy?: { hold(recording: RecordingView, now: number): Promise<Outcome | undefined> };
}

const FAILURE_REASONS = { start: 'StartFailed', stop: 'StopFailed', update: 'UpdateFailed' } as const;

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export class Reconciler {
  private readonly now: () => number;

  constructor(private readonly deps: ReconcilerDeps) {
    this.now = deps.now ?? Date.now;
  }

  async reconcile(key: string): Promise<Outcome> {
    const [namespace = '', name = ''] = key.split('/');
    let recording = await this.deps.store.get(namespace, name);
    if (recording === undefined) return {};
    const held = await this.deps.tenancy?.hold(recording, this.now());
    if (held !== undefined) return held;
    const log = this.deps.log.child({ recording: key });
    const { metrics } = this.deps;

    const targets = resolveTargets(recording, this.deps.cluster.nodeInfos(), this.deps.cluster.podInfos());
    const concerned = new Set([...targets.map((t) => t.node), ...(recording.status?.nodes ?? []).map((r) => r.name)]);
    const reports = await this.gather([...concerned]);

    const first = decide({ recording, targets, reports, now: this.now() });
    if (first.finalizer === 'add') {
      recording = await this.deps.store.setFinalizers(recording, [...(recording.metadata.finalizers ?? []), FINALIZER]);
    }
    const failures: RecordingEvent[] = [];
    await Promise.all(first.actions.map((a) => this.act(recording as RecordingView, a, reports, failures, log)));

    const second = decide({ recording, targets, reports, now: this.now() });
    metrics.sessionsRunning.set(
      { namespace, recording: name },
      (second.status.nodes ?? []).filter((r) => r.phase === 'Capturing').length,
    );
    const deleting = recording.metadata.deletionTimestamp !== undefined;
    if (!deleting && !sameJson(recording.status ?? {}, second.status)) {
      recording = await this.deps.store.patchStatus(recording, second.status);
      logTransition(log, recording.status);
    }
    for (const event of [...second.events, ...failures]) await this.emit(recording, event, log);

    if (deleting) {
      const stopsFailed = failures.length > 0;
      if (first.finalizer === 'remove' || (!stopsFailed && second.finalizer === 'remove')) {
        const rest = (recording.metadata.finalizers ?? []).filter((f) => f !== FINALIZER);
        await this.deps.store.setFinalizers(recording, rest);
        log.info('Removed finalizer');
        metrics.sessionsRunning.remove({ namespace, recording: name });
        return {};
      }
      return { requeueAfterMs: DELETION_RETRY_MS };
    }
    if (failures.length > 0) throw new Error(`${failures.length} agent call(s) failed: ${failures[0]?.message ?? ''}`);
    return { requeueAfterMs: second.requeueAfterMs };
  }

  private async gather(nodes: string[]): Promise<Map<string, AgentReport>> {
    const reports = new Map<string, AgentReport>();
    await Promise.all(
      nodes.map(async (node) => {
        try {
          reports.set(node, { reachable: true, sessions: await this.deps.agents.listSessions(node) });
        } catch (error) {
          if (error instanceof DispatchError && error.code === 'TD_ERR_DISPATCH_NO_AGENT') return;
          this.deps.metrics.errors.inc({ kind: 'agent' });
          reports.set(node, { reachable: false, error: message(error) });
        }
      }),
    );
    return reports;
  }

  private async act(
    recording: RecordingView,
    action: Action,
    reports: Map<string, AgentReport>,
    failures: RecordingEvent[],
    log: Logger,
  ): Promise<void> {
    const { agents, metrics } = this.deps;
    if (this.deps.mayAct?.() === false) throw new Error('not the leader: refusing to dispatch');
    const uid = recording.metadata.uid ?? '';
    const nodeLog = log.child({ node: action.node, iteration: action.iteration });
    let result: SessionReport | undefined;
    try {
      if (action.kind === 'start') {
        const spec = buildSessionSpec(recording, action.iteration, action.podIPs);
        result = await agents.startSession(action.node, spec);
        nodeLog.info('Started capture');
      } else if (action.kind === 'update') {
        const key = { recordingUid: uid, iteration: action.iteration };
        const filter = buildSessionFilter(recording, action.podIPs);
        result = await agents.updateSession(action.node, key, filter);
        nodeLog.info({ bpf: filter.bpf }, 'Updated capture filter');
      } else {
        const key = { recordingUid: uid, iteration: action.iteration };
        result = await agents.stopSession(action.node, key, action.reason as StopReason);
        nodeLog.info({ reason: action.reason }, 'Stopped capture');
      }
      metrics.sessionActions.inc({ action: action.kind, result: 'success' });
    } catch (error) {
      metrics.sessionActions.inc({ action: action.kind, result: 'error' });
      nodeLog.warn({ err: error }, `Failed to ${action.kind} capture`);
      failures.push({
        type: 'Warning',
        reason: FAILURE_REASONS[action.kind],
        message: `Node ${action.node}: ${message(error)}`,
      });
      // A rejected start (bad spec for this agent) fails the node for this iteration; anything else
      // (agent down, deadline) leaves the row Pending and the reconcile retries with backoff.
      const report = reports.get(action.node);
      if (action.kind === 'start' && error instanceof DispatchError && error.code === DispatchErrorCode.Rejected) {
        const failed: SessionReport = {
          recordingUid: uid,
          iteration: action.iteration,
          state: SessionState.Failed,
          message: message(error),
          ...zeroCounters,
          files: [],
        };
        if (report?.reachable === true)
          reports.set(action.node, { reachable: true, sessions: [...report.sessions, failed] });
      }
      return;
    }
    const report = reports.get(action.node);
    if (result === undefined || report === undefined || !report.reachable) return;
    const others = report.sessions.filter((s) => !(s.recordingUid === uid && s.iteration === result.iteration));
    reports.set(action.node, { reachable: true, sessions: [...others, result] });
  }

  private async emit(recording: RecordingView, event: RecordingEvent, log: Logger): Promise<void> {
    try {
      await this.deps.store.recordEvent(recording, event);
    } catch (error) {
      this.deps.metrics.errors.inc({ kind: 'event' });
      log.warn({ err: error, reason: event.reason }, 'Failed to record event');
    }
  }
}

function logTransition(log: Logger, status: RecordingStatus | undefined): void {
  log.debug({ phase: status?.phase, iteration: status?.iteration, totals: status?.totals }, 'Updated status');
}
