// An in-memory stand-in for the node agents behind the operator's AgentClient
// port (the Kubernetes API is real in these tests; only the agents are fake).
// It behaves like the real agent where the operator depends on it: sessions keyed
// by Recording uid + iteration, a repeated start returns the session (or is refused
// when its spec differs), filters trimmed and echoed with their endpoint IPs,
// leader-epoch fencing (a lower non-zero epoch than the highest seen is refused with
// "stale leader epoch …", the highest epoch survives restarts), Shutdown, and
// restarts with or without resuming sessions (resumed ones report their gap).
import { DispatchError, DispatchErrorCode, SessionState } from '../../operator/dispatch/agent-client.js';
import type {
  StopOptions,
  AgentClient,
  SessionFilter,
  SessionKey,
  SessionReport,
  SessionSpec,
  StopReason,
} from '../../operator/dispatch/agent-client.js';
import type { AgentDirectory } from '../../operator/dispatch/grpc-agent-client.js';

const id = (uid: string, iteration: number): string => `${uid}-${iteration}`;

const trimmed = (f: SessionFilter | null | undefined): SessionFilter => ({
  include: f?.include ?? [],
  bpf: (f?.bpf ?? '').trim(),
  endpointIps: [...(f?.endpointIps ?? [])],
});

export class FakeAgents implements AgentClient {
  readonly sessions = new Map<string, Map<string, SessionReport>>();
  /** Start calls per node/session id, duplicates included. */
  readonly startCalls = new Map<string, number>();
  /** Start calls that created a new session. */
  created = 0;
  readonly down = new Set<string>();
  /** The spec of every session created, by node/session id. */
  readonly specs = new Map<string, SessionSpec>();
  /** Nodes whose agent rejects every start (as for a filter it cannot compile). */
  readonly rejecting = new Set<string>();
  /** Every UpdateSession call, in order, as node/session id and the new bpf. */
  readonly updates: { session: string; bpf: string; endpointIps: string[] }[] = [];
  /** Highest leader epoch seen per node (persisted by the real agent, so kept across restarts). */
  readonly epochs = new Map<string, number>();
  /** The leader epoch of the call that created each session, by node/session id. */
  readonly createdWithEpoch = new Map<string, number>();
  /** Every refused stale-leader call, as the agent logs it. */
  readonly refusals: string[] = [];
  /** Files each new session reports (the measurement used 3). */
  filesPerSession = 1;
  private readonly shutdownAt = new Map<string, number>();
  private directory: AgentDirectory | undefined;

  constructor(readonly nodes: Set<string>) {}

  /** From now on a node has an agent only while the directory (the operator's pod cache) has its pod IP. */
  useDirectory(directory: AgentDirectory): this {
    this.directory = directory;
    return this;
  }

  private node(node: string): Map<string, SessionReport> {
    const present = this.directory === undefined ? this.nodes.has(node) : this.directory.addressOf(node) !== undefined;
    if (!present) throw new DispatchError(DispatchErrorCode.NoAgent, node, `no agent on ${node}`);
    if (this.down.has(node)) throw new DispatchError(DispatchErrorCode.Unavailable, node, `agent on ${node} is down`);
    let sessions = this.sessions.get(node);
    if (sessions === undefined) {
      sessions = new Map();
      this.sessions.set(node, sessions);
    }
    return sessions;
  }

  private fence(node: string, epoch: number, method: string): void {
    const highest = this.epochs.get(node) ?? 0;
    if (epoch === 0) return;
    if (epoch < highest) {
      const line = `node ${node}: ${method}: stale leader epoch ${epoch} < ${highest}`;
      this.refusals.push(line);
      throw new DispatchError(
        DispatchErrorCode.Fenced,
        node,
        `agent on node ${node}: stale leader epoch ${epoch} < ${highest}`,
      );
    }
    this.epochs.set(node, epoch);
  }

  async startSession(node: string, spec: SessionSpec, epoch = 0): Promise<SessionReport> {
    const sessions = this.node(node);
    this.fence(node, epoch, 'StartSession');
    if (this.rejecting.has(node))
      throw new DispatchError(DispatchErrorCode.Rejected, node, `agent on ${node}: bad filter`);
    const uid = spec.recording?.uid ?? '';
    const iteration = spec.recording?.iteration ?? 0;
    const key = `${node}/${id(uid, iteration)}`;
    this.startCalls.set(key, (this.startCalls.get(key) ?? 0) + 1);
    const existing = sessions.get(id(uid, iteration));
    if (existing !== undefined) {
      if (JSON.stringify(trimmed(spec.filter)) !== JSON.stringify(existing.filter)) {
        throw new DispatchError(
          DispatchErrorCode.Unavailable,
          node,
          `session ${id(uid, iteration)} already exists with a different spec`,
        );
      }
      return { ...existing };
    }
    this.created += 1;
    this.specs.set(key, spec);
    this.createdWithEpoch.set(key, epoch);
    const report: SessionReport = {
      recordingUid: uid,
      iteration,
      state: SessionState.Running,
      packetsCaptured: 0,
      bytesCaptured: 0,
      packetsLost: 0,
      bytesLost: 0,
      files: Array.from({ length: this.filesPerSession }, (_, k) => ({
        path: `/var/lib/tapedeck/${uid}/${iteration}/tapedeck_${this.created}_${k}_${node}.pcap`,
        format: 'pcap',
        bytes: 24,
        closed: false,
      })),
      filter: trimmed(spec.filter),
    };
    sessions.set(id(uid, iteration), report);
    return { ...report };
  }

  async stopSession(
    node: string,
    key: SessionKey,
    reason: StopReason,
    epoch = 0,
    options: StopOptions = {},
  ): Promise<SessionReport | undefined> {
    const sessions = this.node(node);
    this.fence(node, epoch, 'StopSession');
    const s = sessions.get(id(key.recordingUid, key.iteration));
    if (s === undefined) return undefined;
    if (s.state === SessionState.Running) {
      s.state = SessionState.Stopped;
      s.stopReason = reason;
      s.files = s.files.map((f) => ({ ...f, closed: true }));
    }
    // As the real agent: the run's local files are deleted and the session reports it expired.
    if (options.deleteLocalFiles === true) s.expired = true;
    return { ...s };
  }

  async updateSession(node: string, key: SessionKey, filter: SessionFilter, epoch = 0): Promise<SessionReport> {
    const sessions = this.node(node);
    this.fence(node, epoch, 'UpdateSession');
    const s = sessions.get(id(key.recordingUid, key.iteration));
    if (s === undefined) throw new DispatchError(DispatchErrorCode.Rejected, node, `session not found on ${node}`);
    const next = trimmed(filter);
    if (JSON.stringify(s.filter) !== JSON.stringify(next)) {
      if (s.state !== SessionState.Running) {
        throw new DispatchError(DispatchErrorCode.Rejected, node, `session on ${node} is not running`);
      }
      const session = `${node}/${id(key.recordingUid, key.iteration)}`;
      this.updates.push({ session, bpf: next.bpf ?? '', endpointIps: next.endpointIps ?? [] });
      s.filter = next;
    }
    return { ...s };
  }

  /** Every RefreshCredentials call, as node/session id (the credentials themselves are not kept). */
  readonly refreshes: string[] = [];

  async refreshCredentials(node: string, key: SessionKey, _credentials: unknown, epoch = 0): Promise<SessionReport> {
    const sessions = this.node(node);
    this.fence(node, epoch, 'RefreshCredentials');
    const s = sessions.get(id(key.recordingUid, key.iteration));
    if (s === undefined) throw new DispatchError(DispatchErrorCode.Rejected, node, `session not found on ${node}`);
    this.refreshes.push(`${node}/${id(key.recordingUid, key.iteration)}`);
    return { ...s };
  }

  async listSessions(node: string): Promise<SessionReport[]> {
    return [...this.node(node).values()].map((s) => ({ ...s }));
  }

  /** The agent shuts down (SIGTERM): running sessions stop with Shutdown, then it is unreachable. */
  shutdown(node: string, now = Date.now()): void {
    for (const s of this.sessions.get(node)?.values() ?? []) {
      if (s.state !== SessionState.Running) continue;
      s.state = SessionState.Stopped;
      s.stopReason = 'Stopped';
      s.shutdown = true;
    }
    this.shutdownAt.set(node, now);
    this.down.add(node);
  }

  /** The agent comes back; with `resume` it continues the sessions Shutdown stopped (reporting the gap), else it forgot them. */
  restart(node: string, options: { resume: boolean }, now = Date.now()): void {
    const sessions = this.sessions.get(node);
    if (!options.resume) sessions?.clear();
    for (const s of sessions?.values() ?? []) {
      if (s.shutdown !== true) continue;
      delete s.shutdown;
      delete s.stopReason;
      s.state = SessionState.Running;
      s.gaps = [...(s.gaps ?? []), { from: this.shutdownAt.get(node) ?? now, to: now, reason: 'agent restarted' }];
    }
    this.down.delete(node);
  }

  running(): { node: string; session: SessionReport }[] {
    return [...this.sessions].flatMap(([node, m]) =>
      [...m.values()].filter((s) => s.state === SessionState.Running).map((session) => ({ node, session })),
    );
  }

  /** Simulates an agent-side stop condition: every running session of `uid` captured `packets` and stopped. */
  hitPacketLimit(uid: string, packets: number): number {
    let hit = 0;
    for (const { session } of this.running()) {
      if (session.recordingUid !== uid) continue;
      session.packetsCaptured = packets;
      session.bytesCaptured = packets * 64;
      session.state = SessionState.Stopped;
      session.stopReason = 'PacketLimit';
      hit += 1;
    }
    return hit;
  }
}
