// Owns the agent's capture sessions: idempotent start by session id, a named
// limit of concurrent sessions, lookup, listing, recovery of what the state
// store knows when the agent starts, and shutdown (a pause for Recordings).
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { ArchivedSession } from './archived-session.js';
import { CaptureSession, messageOf, type SessionResume } from './capture-session.js';
import type { ManagedSession } from './managed-session.js';
import type { SessionPorts } from './ports.js';
import { recoverSessions } from './session-recovery.js';
import { SessionError, SessionErrorCode } from './session-error.js';
import type { SessionSnapshot } from './session-snapshot.js';
import type { FilterUpdate, SessionSpec } from './session-spec.js';
import { StoredState } from '../state/stored-records.js';
import { StopReason } from './stop-condition.js';

/** Default limit of concurrently running sessions (Antrea: maxConcurrentCaptures = 16). */
export const DEFAULT_MAX_CONCURRENT_SESSIONS = 16;
/** Stopped sessions kept for GetSession/ListSessions; the oldest are forgotten first. */
export const MAX_RETAINED_STOPPED_SESSIONS = 256;

export interface SessionManagerOptions {
  readonly nodeName: string;
  /** Absolute data directory; every file of every session lives below it. */
  readonly dataDir: string;
  readonly maxConcurrentSessions: number;
  readonly ports: SessionPorts;
  readonly logger: Logger;
}

export interface StartResult {
  readonly session: ManagedSession;
  /** false when the id already existed and that session was returned. */
  readonly created: boolean;
}

export interface RecoveryResult {
  readonly resumed: number;
  readonly stopped: number;
  readonly failed: number;
}

export class SessionManager {
  private readonly sessions = new Map<string, ManagedSession>();
  /** Starts in flight by id: a concurrent retry waits for the first one. */
  private readonly starting = new Map<string, { spec: SessionSpec; result: Promise<StartResult> }>();
  private shuttingDown = false;

  constructor(private readonly options: SessionManagerOptions) {}

  get nodeName(): string {
    return this.options.nodeName;
  }

  activeCount(): number {
    let count = this.starting.size;
    for (const session of this.sessions.values()) if (session.isActive()) count += 1;
    return count;
  }

  /**
   * Repairs and lists what the state store knows and resumes every session whose window is still
   * open, each as its next segment. Call once, before serving requests.
   */
  async recover(): Promise<RecoveryResult> {
    const { journal, clock } = this.options.ports;
    const plans = await recoverSessions({
      journal,
      now: () => clock.now(),
      logger: this.options.logger,
      directoryFor: (stored) => this.directoryFor(stored.spec),
    });
    const result = { resumed: 0, stopped: 0, failed: 0 };
    for (const plan of plans) {
      if (plan.kind === 'stopped') {
        this.sessions.set(plan.stored.id, new ArchivedSession(plan.stored, plan.files, this.nodeName, journal));
        result.stopped += 1;
        continue;
      }
      try {
        await this.open(plan.resume.stored.spec, plan.resume);
        result.resumed += 1;
      } catch (error) {
        const { stored } = plan.resume;
        const failed = {
          ...stored,
          state: StoredState.Failed,
          stopReason: StopReason.Error,
          stopMs: clock.now(),
          message: `resume after restart: ${messageOf(error)}`,
          gaps: [...stored.gaps, plan.resume.gap],
        };
        journal.putSession(failed);
        this.options.logger.error({ session: stored.id, error: failed.message }, 'Cannot resume capture');
        this.sessions.set(stored.id, new ArchivedSession(failed, journal.files(stored.id), this.nodeName, journal));
        result.failed += 1;
      }
    }
    this.prune();
    return result;
  }

  async start(spec: SessionSpec): Promise<StartResult> {
    const existing = this.sessions.get(spec.id);
    if (existing) {
      if (!sameSpec(existing.spec, spec)) {
        throw new SessionError(SessionErrorCode.Conflict, `session ${spec.id} already exists with a different spec`);
      }
      return { session: existing, created: false };
    }
    const pending = this.starting.get(spec.id);
    if (pending) {
      if (!sameSpec(pending.spec, spec)) {
        throw new SessionError(SessionErrorCode.Conflict, `session ${spec.id} is being started with a different spec`);
      }
      return { session: (await pending.result).session, created: false };
    }
    if (this.shuttingDown) throw new SessionError(SessionErrorCode.ShuttingDown, 'agent is shutting down');
    if (spec.windowEndMs !== undefined && spec.windowEndMs <= this.options.ports.clock.now()) {
      throw new SessionError(
        SessionErrorCode.WindowEnded,
        `spec.windowEnd ${new Date(spec.windowEndMs).toISOString()} has already passed`,
      );
    }
    const limit = this.options.maxConcurrentSessions;
    if (this.activeCount() >= limit) {
      throw new SessionError(
        SessionErrorCode.TooManySessions,
        `maxConcurrentSessions (${limit}) reached: ${this.activeCount()} sessions are running`,
      );
    }
    const result = this.open(spec);
    this.starting.set(spec.id, { spec, result });
    try {
      return await result;
    } finally {
      this.starting.delete(spec.id);
    }
  }

  private async open(spec: SessionSpec, resume?: SessionResume): Promise<StartResult> {
    const directory = this.directoryFor(spec);
    await mkdir(directory, { recursive: true, mode: 0o750 });
    const logger = this.options.logger.child({
      session: spec.id,
      ...(spec.recording && { recording: `${spec.recording.namespace}/${spec.recording.name}` }),
    });
    const session = CaptureSession.start(
      spec,
      { nodeName: this.options.nodeName, directory, ports: this.options.ports, logger },
      resume,
    );
    this.sessions.set(spec.id, session);
    void session.done().then(() => {
      this.archive(session);
      this.prune();
    });
    return { session, created: true };
  }

  /**
   * An ended session is listed from the state store from now on, which retention changes (files
   * deleted, the run expired). Not at shutdown: the session is paused, and the process ends.
   */
  private archive(session: CaptureSession): void {
    if (this.shuttingDown || this.sessions.get(session.id) !== session) return;
    const { journal } = this.options.ports;
    const stored = journal.session(session.id);
    if (stored === undefined) return;
    this.sessions.set(session.id, new ArchivedSession(stored, journal.files(session.id), this.nodeName, journal));
  }

  /** The state store forgot an ended session (retention): it is no longer listed. */
  forget(id: string): void {
    if (this.sessions.get(id)?.isActive() === false) this.sessions.delete(id);
  }

  get(id: string): ManagedSession {
    const session = this.sessions.get(id);
    if (!session) throw new SessionError(SessionErrorCode.NotFound, `session ${JSON.stringify(id)} not found`);
    return session;
  }

  list(recordingUid = ''): SessionSnapshot[] {
    return [...this.sessions.values()]
      .filter((s) => recordingUid === '' || s.spec.recording?.uid === recordingUid)
      .map((s) => s.snapshot());
  }

  stop(id: string, reason: StopReason = StopReason.Stopped): Promise<SessionSnapshot> {
    return this.get(id).stop(reason);
  }

  /** Replaces a running session's filter; the same filter again returns the session unchanged. */
  update(id: string, filter: FilterUpdate): Promise<SessionSnapshot> {
    return this.get(id).updateFilter(filter);
  }

  /**
   * Refuses new sessions, stops every running one and waits until all files are final. A
   * Recording's session is paused, not stopped: the next agent on this data directory resumes it.
   */
  async shutdown(): Promise<SessionSnapshot[]> {
    this.shuttingDown = true;
    const active = [...this.sessions.values()].filter((s) => s.isActive());
    return Promise.all(active.map((s) => s.stop(StopReason.Shutdown)));
  }

  /** <dataDir>/recordings/<namespace>/<name>/<iteration> or <dataDir>/hubble; names were validated. */
  private directoryFor(spec: SessionSpec): string {
    const root = path.resolve(this.options.dataDir);
    const parts = spec.recording
      ? ['recordings', spec.recording.namespace, spec.recording.name, String(spec.recording.iteration)]
      : ['hubble'];
    const directory = path.resolve(root, ...parts);
    const relative = path.relative(root, directory);
    if (relative.startsWith('..') || path.isAbsolute(relative)) {
      throw new SessionError(SessionErrorCode.StartFailed, `session directory leaves the data directory`);
    }
    return directory;
  }

  private prune(): void {
    const stopped = [...this.sessions.values()].filter((s) => !s.isActive());
    for (const session of stopped.slice(0, Math.max(0, stopped.length - MAX_RETAINED_STOPPED_SESSIONS))) {
      this.sessions.delete(session.id);
    }
  }
}

function sameSpec(a: SessionSpec, b: SessionSpec): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
