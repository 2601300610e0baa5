// Keeps the export credentials of a Recording's sessions alive: new ones for every session that still
// uploads and whose credentials expire soon (export-grants.ts's margin), or that holds none (its agent
// restarted). A failure is a Warning Event and is tried again after REFRESH_INTERVAL_MS.
import type { Logger } from 'pino';
import type { AgentClient } from '../dispatch/agent-client.js';
import { sessionId } from '../dispatch/session-spec.js';
import type { ExportGrants } from '../export/export-grants.js';
import type { OperatorMetrics } from '../ops/metrics.js';
import type { AgentReport } from './node-rows.js';
import type { RecordingView } from './recording-view.js';
import type { RecordingEvent } from './status-extras.js';

/** A session's credentials are not refreshed more often than this (a refresh that failed waits too). */
export const REFRESH_INTERVAL_MS = 30_000;

export interface CredentialRefreshDeps {
  grants: Pick<ExportGrants, 'grantFor' | 'dueForRefresh'>;
  agents: AgentClient;
  metrics: OperatorMetrics;
  emit: (recording: RecordingView, event: RecordingEvent, log: Logger) => Promise<void>;
}

export class CredentialRefresh {
  /** Last refresh (or start with credentials) per "<uid>-<iteration>/<node>". */
  private readonly refreshed = new Map<string, number>();

  constructor(private readonly deps: CredentialRefreshDeps) {}

  /** A session was just started with fresh credentials. */
  started(uid: string, iteration: number, node: string, now: number): void {
    this.refreshed.set(`${sessionId(uid, iteration)}/${node}`, now);
  }

  /** The Recording is gone: its sessions are not followed any more. */
  forget(uid: string): void {
    for (const key of this.refreshed.keys()) if (key.startsWith(`${uid}-`)) this.refreshed.delete(key);
  }

  async refresh(
    recording: RecordingView,
    reports: Map<string, AgentReport>,
    epoch: number,
    now: number,
    log: Logger,
  ): Promise<void> {
    const { grants, agents } = this.deps;
    const uid = recording.metadata.uid ?? '';
    const work: Promise<void>[] = [];
    for (const [node, report] of reports) {
      if (!report.reachable) continue;
      for (const session of report.sessions) {
        const e = session.export;
        if (session.recordingUid !== uid || e === undefined || e.manifestComplete) continue;
        const noCredentials = e.lastErrorCode === 'TD_ERR_EXPORT_NO_CREDENTIALS';
        if (!noCredentials && !grants.dueForRefresh(e.credentialsExpiry)) continue;
        const key = `${sessionId(uid, session.iteration)}/${node}`;
        if (now - (this.refreshed.get(key) ?? -Infinity) < REFRESH_INTERVAL_MS) continue;
        this.refreshed.set(key, now);
        work.push(this.refreshOne(recording, node, session.iteration, noCredentials, epoch, log, agents));
      }
    }
    await Promise.all(work);
  }

  private async refreshOne(
    recording: RecordingView,
    node: string,
    iteration: number,
    noCredentials: boolean,
    epoch: number,
    log: Logger,
    agents: Pick<AgentClient, 'refreshCredentials'>,
  ): Promise<void> {
    try {
      const grant = await this.deps.grants.grantFor(recording, iteration, node);
      if (grant?.credentials === undefined) return; // ambient: nothing to send
      const key = { recordingUid: recording.metadata.uid ?? '', iteration };
      await agents.refreshCredentials(node, key, grant.credentials, epoch);
      const reason = noCredentials ? 'none-held' : 'expiring';
      this.deps.metrics.credentialRefreshes.inc({ reason });
      log.info({ node, iteration, reason }, 'Refreshed export credentials');
    } catch (error) {
      this.deps.metrics.errors.inc({ kind: 'credentials' });
      log.warn({ err: error, node }, 'Cannot refresh export credentials');
      const message = error instanceof Error ? error.message : String(error);
      await this.deps.emit(
        recording,
        { type: 'Warning', reason: 'CredentialsRefreshFailed', message: `Node ${node}: ${message}` },
        log,
      );
    }
  }
}
