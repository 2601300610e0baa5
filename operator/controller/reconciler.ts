// One level-based reconcile of a Recording: re-read it, ask the agents of the
// nodes it concerns what runs, decide, act, decide again on the outcome, then
// write status (only when it changed, conditional on resourceVersion), Events and
// the finalizer.
import type { Logger } from 'pino';
import { DispatchError, DispatchErrorCode } from '../dispatch/agent-client.js';
import type { AgentClient, SessionReport, StopReason } from '../dispatch/agent-client.js';
import { buildSessionFilter, buildSessionSpec } from '../dispatch/session-spec.js';
import type { OperatorMetrics } from '../ops/metrics.js';
import { announceRunning } from './announce-running.js';
import { decide } from './decide.js';
import type { Action, DecideInput, NodeRetry } from './decide.js';
import { NodeBackoff } from './node-backoff.js';
import { ClosedGapTally } from './node-gaps.js';
import type { AgentReport } from './node-rows.js';
import { isConflict } from './recording-store.js';
import type { RecordingStore } from './recording-store.js';
import { FINALIZER } from './recording-view.js';
import type { NodeRow, RecordingStatus, RecordingView } from './recording-view.js';
import { sameJson } from './same-json.js';
import { statusWrite } from './status-cadence.js';
import { eventsFor } from './status-extras.js';
import type { RecordingEvent } from './status-extras.js';
import { resolveTargets } from './targets.js';
import type { NodeInfo, PodInfo } from './targets.js';
import type { Outcome } from './work-queue.js';
import type { ExportGrants } from '../export/export-grants.js';
import { exporting } from './export-status.js';
import { CredentialRefresh } from './credential-refresh.js';

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
  /** Returns false when this replica must not act (not the leader, or its Lease is not fresh). */
  mayAct?: () => boolean;
  /** The leader epoch sent with every mutating agent call (0 = not fenced). */
  leaderEpoch?: () => number;
  /** Called when an agent refused a call because it has seen a newer leader: step down. */
  onFenced?: (error: DispatchError) => void;
  /** Overrides DELETION_GRACE_MS (tests). */
  deletionGraceMs?: number;
  /** Tenancy (operator/tenancy/policy-guard.ts): holds node-wide Recordings while no policy enforces who may create them. */
  tenancy?: { hold(recording: RecordingView, now: number): Promise<Outcome | undefined> };
  /** Export destinations and short-lived credentials per session (operator/export/export-grants.ts). */
  exports?: ExportGrants;
}

/** How often a Recording whose files are still uploading is looked at again. */
const EXPORT_REFRESH_MS = 5_000;

const FAILURE_REASONS = { start: 'StartFailed', stop: 'StopFailed', update: 'UpdateFailed' } as const;

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export class FencedError extends Error {
  readonly code = 'TD_ERR_OPERATOR_FENCED';
}

interface Outcomes {
  failures: RecordingEvent[];
  rejected: Map<string, string>;
}

export class Reconciler {
  private readonly now: () => number;
  /** Agents whose ListSessions failed, keyed by node: not asked again until their delay passed. */
  private readonly lists = new NodeBackoff();
  /** Agent calls (start, stop, update) that failed transiently, keyed by "<uid>/<node>". */
  private readonly calls = new NodeBackoff();
  private readonly lastWrite = new Map<string, number>();
  /** Per Recording uid: every row last written (folded ones too) and the rows status lists, to recognise it. */
  private readonly memory = new Map<string, { listed: unknown; rows: NodeRow[] }>();
  private readonly credentials: CredentialRefresh | undefined;
  private readonly gaps = new ClosedGapTally();

  constructor(private readonly deps: ReconcilerDeps) {
    this.now = deps.now ?? Date.now;
    this.credentials =
      deps.exports &&
      new CredentialRefresh({
        grants: deps.exports,
        agents: deps.agents,
        metrics: deps.metrics,
        emit: (recording, event, log) => this.emit(recording, event, log),
      });
  }

  async reconcile(key: string): Promise<Outcome> {
    const [namespace = '', name = ''] = key.split('/');
    let recording = await this.deps.store.get(namespace, name);
    if (recording === undefined) return {};
    const held = await this.deps.tenancy?.hold(recording, this.now());
    if (held !== undefined) return held;
    const log = this.deps.log.child({ recording: key });
    const { metrics } = this.deps;
    const uid = recording.metadata.uid ?? '';

    const nodeInfos = this.deps.cluster.nodeInfos();
    const targets = resolveTargets(recording, nodeInfos, this.deps.cluster.podInfos());
    const concerned = new Set([...targets.map((t) => t.node), ...(recording.status?.nodes ?? []).map((r) => r.name)]);
    const reports = await this.gather([...concerned]);
    if (this.credentials !== undefined && this.deps.mayAct?.() !== false) {
      await this.credentials.refresh(recording, reports, this.deps.leaderEpoch?.() ?? 0, this.now(), log);
    }
    const nodes = new Set(nodeInfos.map((n) => n.name));
    const outcomes: Outcomes = { failures: [], rejected: new Map() };
    const memory = this.memory.get(uid);
    const previousRows =
      memory !== undefined && sameJson(memory.listed, recording.status?.nodes ?? []) ? memory.rows : undefined;
    const input = (): DecideInput => ({
      recording: recording as RecordingView,
      targets,
      reports,
      now: this.now(),
      nodes,
      retries: this.retriesOf(uid, concerned),
      rejected: outcomes.rejected,
      ...(previousRows === undefined ? {} : { previousRows }),
      ...(this.deps.deletionGraceMs === undefined ? {} : { deletionGraceMs: this.deps.deletionGraceMs }),
    });

    const first = decide(input());
    const announced = recording.status ?? {};
    if (first.finalizer === 'add') {
      recording = await this.deps.store.setFinalizers(recording, [...(recording.metadata.finalizers ?? []), FINALIZER]);
    }
    const announcedRunning = await announceRunning(this.deps, recording, first.status, first.actions, log);
    if (announcedRunning === 'conflict') return { requeueAfterMs: 0 };
    recording = announcedRunning;
    await Promise.all(first.actions.map((a) => this.act(recording as RecordingView, a, reports, outcomes, log)));

    // The second pass continues from the first one's rows (a lost session restarted in this reconcile stays
    // segment 2 with its gap); Events compare with the status before this reconcile.
    const stored = recording.status ?? {};
    const decided = decide({
      ...input(),
      recording: { ...recording, status: first.status },
      ...(first.rows === undefined ? {} : { previousRows: first.rows }),
    });
    const second = { ...decided, events: eventsFor(announced, decided.status) };
    metrics.sessionsRunning.set(
      { namespace, recording: name },
      second.status.nodeCounts?.capturing ?? (second.status.nodes ?? []).filter((r) => r.phase === 'Capturing').length,
    );
    const deleting = recording.metadata.deletionTimestamp !== undefined;
    let requeue = second.requeueAfterMs;
    if (!deleting) {
      const now = this.now();
      const write = statusWrite(stored, second.status, this.lastWrite.get(uid), now);
      if (write.write) {
        try {
          recording = await this.deps.store.patchStatus(recording, second.status);
        } catch (error) {
          if (!isConflict(error)) throw error;
          metrics.errors.inc({ kind: 'conflict' });
          log.debug('Status changed meanwhile, reconciling again');
          return { requeueAfterMs: 0 };
        }
        this.lastWrite.set(uid, now);
        if (second.rows !== undefined) this.memory.set(uid, { listed: second.status.nodes ?? [], rows: second.rows });
        metrics.nodeGaps.inc({ namespace, recording: name }, this.gaps.newlyClosed(uid, second.status.nodes ?? []));
        metrics.statusPatches.inc();
        metrics.statusPatchBytes.inc(Buffer.byteLength(JSON.stringify(second.status)));
        logTransition(log, recording.status);
        for (const event of second.events) await this.emit(recording, event, log);
      } else if (write.dueAt !== undefined) {
        requeue = Math.min(requeue ?? Infinity, Math.max(1, write.dueAt - now));
      }
    }
    for (const event of outcomes.failures) await this.emit(recording, event, log);

    if (deleting) {
      if (second.finalizer === 'remove') {
        const rest = (recording.metadata.finalizers ?? []).filter((f) => f !== FINALIZER);
        await this.deps.store.setFinalizers(recording, rest);
        log.info({ unconfirmed: second.waitingOn ?? [] }, 'Removed finalizer');
        metrics.sessionsRunning.remove({ namespace, recording: name });
        metrics.nodeGaps.remove({ namespace, recording: name });
        this.calls.forget(`${uid}/`);
        this.credentials?.forget(uid);
        this.lastWrite.delete(uid);
        this.memory.delete(uid);
        this.gaps.forget(uid);
        return {};
      }
      log.info({ waitingOn: second.waitingOn }, 'Waiting for agents to confirm the stop');
      return { requeueAfterMs: Math.min(this.nextListRetry(second.waitingOn ?? []), requeue ?? Infinity) };
    }
    // Failed agent calls are retried per node with backoff, not by failing the whole reconcile (which
    // would slow the status refresh of every other node of the Recording).
    const retryAt = this.calls.nextRetry(`${uid}/`, this.now());
    if (retryAt !== undefined) requeue = Math.min(requeue ?? Infinity, Math.max(1, retryAt - this.now()));
    // Uploads go on after capture ended: keep following them until every manifest is final.
    if (exporting(second.rows ?? second.status.nodes ?? [])) requeue = Math.min(requeue ?? Infinity, EXPORT_REFRESH_MS);
    return { requeueAfterMs: requeue };
  }

  private retriesOf(uid: string, nodes: Iterable<string>): Map<string, NodeRetry> {
    const out = new Map<string, NodeRetry>();
    for (const node of nodes) {
      const entry = this.calls.get(`${uid}/${node}`);
      if (entry !== undefined) out.set(node, entry);
    }
    return out;
  }

  private nextListRetry(nodes: string[]): number {
    const now = this.now();
    const due = nodes.map((n) => this.lists.get(n)?.notBefore ?? now + 250);
    return Math.max(50, Math.min(...due, now + 1_000) - now);
  }

  private async gather(nodes: string[]): Promise<Map<string, AgentReport>> {
    const reports = new Map<string, AgentReport>();
    const now = this.now();
    await Promise.all(
      nodes.map(async (node) => {
        const waiting = this.lists.waiting(node, now);
        if (waiting !== undefined) {
          reports.set(node, { reachable: false, error: waiting.error });
          return;
        }
        try {
          reports.set(node, { reachable: true, sessions: await this.deps.agents.listSessions(node) });
          this.lists.succeeded(node);
        } catch (error) {
          if (error instanceof DispatchError && error.code === DispatchErrorCode.NoAgent) return;
          this.deps.metrics.errors.inc({ kind: 'agent' });
          this.lists.failed(node, message(error), this.now());
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
    outcomes: Outcomes,
    log: Logger,
  ): Promise<void> {
    const { agents, metrics } = this.deps;
    if (this.deps.mayAct?.() === false) throw new FencedError('not the leader: refusing to dispatch');
    const uid = recording.metadata.uid ?? '';
    const epoch = this.deps.leaderEpoch?.() ?? 0;
    const nodeLog = log.child({ node: action.node, iteration: action.iteration });
    const backoffKey = `${uid}/${action.node}`;
    let result: SessionReport | undefined;
    try {
      if (action.kind === 'start') {
        const grant = await this.deps.exports?.grantFor(recording, action.iteration, action.node);
        const spec = buildSessionSpec(recording, action.iteration, action.podIPs, action.deadline, grant?.destination);
        result = await agents.startSession(action.node, spec, epoch, grant?.credentials);
        if (grant?.credentials !== undefined) this.credentials?.started(uid, action.iteration, action.node, this.now());
        nodeLog.info({ epoch, export: grant?.destination !== undefined }, 'Started capture');
      } else if (action.kind === 'update') {
        const key = { recordingUid: uid, iteration: action.iteration };
        const filter = buildSessionFilter(recording, action.podIPs);
        result = await agents.updateSession(action.node, key, filter, epoch);
        nodeLog.info({ bpf: filter.bpf, endpoints: filter.endpointIps?.length ?? 0 }, 'Updated capture filter');
      } else {
        const key = { recordingUid: uid, iteration: action.iteration };
        const deleteLocalFiles = action.deleteLocalFiles === true;
        result = await agents.stopSession(action.node, key, action.reason as StopReason, epoch, { deleteLocalFiles });
        nodeLog.info({ reason: action.reason, deleteLocalFiles }, 'Stopped capture');
      }
      metrics.sessionActions.inc({ action: action.kind, result: 'success' });
      this.calls.succeeded(backoffKey);
    } catch (error) {
      metrics.sessionActions.inc({ action: action.kind, result: 'error' });
      if (error instanceof DispatchError && error.code === DispatchErrorCode.Fenced) {
        nodeLog.warn({ err: error, epoch }, 'Agent refused a stale leader: stepping down');
        metrics.errors.inc({ kind: 'fenced' });
        this.deps.onFenced?.(error);
        throw new FencedError(error.message, { cause: error });
      }
      nodeLog.warn({ err: error }, `Failed to ${action.kind} capture`);
      outcomes.failures.push({
        type: 'Warning',
        reason: FAILURE_REASONS[action.kind],
        message: `Node ${action.node}: ${message(error)}`,
      });
      // A start the agent rejects (an invalid spec) fails the node for this iteration; anything else
      // (agent down, deadline) leaves the row Pending and the start is retried with backoff.
      if (action.kind === 'start' && error instanceof DispatchError && error.code === DispatchErrorCode.Rejected) {
        outcomes.rejected.set(action.node, message(error));
      } else {
        this.calls.failed(backoffKey, message(error), this.now());
      }
      return;
    }
    const report = reports.get(action.node);
    if (result === undefined) {
      if (action.kind === 'stop' && report?.reachable === true) {
        const rest = report.sessions.filter((s) => !(s.recordingUid === uid && s.iteration === action.iteration));
        reports.set(action.node, { reachable: true, sessions: rest });
      }
      return;
    }
    if (report === undefined || !report.reachable) return;
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
