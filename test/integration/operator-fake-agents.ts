// An in-memory stand-in for the node agents behind the operator's AgentClient
// port (the Kubernetes API is real in these tests; only the agents are fake).
// It keeps sessions by Recording uid + iteration like the real agent, counts
// every start call, and lets a test end sessions or take an agent down.
import { DispatchError, DispatchErrorCode, SessionState } from '../../operator/dispatch/agent-client.js';
import type {
  AgentClient,
  SessionFilter,
  SessionKey,
  SessionReport,
  SessionSpec,
  StopReason,
} from '../../operator/dispatch/agent-client.js';

const id = (uid: string, iteration: number): string => `${uid}-${iteration}`;

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
  readonly updates: { session: string; bpf: string }[] = [];
  /** Identity of the replica using this client (for leader tests). */
  constructor(readonly nodes: Set<string>) {}

  private node(node: string): Map<string, SessionReport> {
    if (!this.nodes.has(node)) throw new DispatchError(DispatchErrorCode.NoAgent, node, `no agent on ${node}`);
    if (this.down.has(node)) throw new DispatchError(DispatchErrorCode.Unavailable, node, `agent on ${node} is down`);
    let sessions = this.sessions.get(node);
    if (sessions === undefined) {
      sessions = new Map();
      this.sessions.set(node, sessions);
    }
    return sessions;
  }

  async startSession(node: string, spec: SessionSpec): Promise<SessionReport> {
    const sessions = this.node(node);
    if (this.rejecting.has(node))
      throw new DispatchError(DispatchErrorCode.Rejected, node, `agent on ${node}: bad filter`);
    const uid = spec.recording?.uid ?? '';
    const iteration = spec.recording?.iteration ?? 0;
    const key = `${node}/${id(uid, iteration)}`;
    this.startCalls.set(key, (this.startCalls.get(key) ?? 0) + 1);
    const existing = sessions.get(id(uid, iteration));
    if (existing !== undefined) return { ...existing };
    this.created += 1;
    this.specs.set(key, spec);
    const report: SessionReport = {
      recordingUid: uid,
      iteration,
      state: SessionState.Running,
      packetsCaptured: 0,
      bytesCaptured: 0,
      packetsLost: 0,
      bytesLost: 0,
      files: [
        {
          path: `/var/lib/tapedeck/${uid}/${iteration}/tapedeck_1_${node}.pcap`,
          format: 'pcap',
          bytes: 24,
          closed: false,
        },
      ],
      filter: { include: spec.filter?.include ?? [], bpf: spec.filter?.bpf ?? '' },
    };
    sessions.set(id(uid, iteration), report);
    return { ...report };
  }

  async stopSession(node: string, key: SessionKey, reason: StopReason): Promise<SessionReport | undefined> {
    const s = this.node(node).get(id(key.recordingUid, key.iteration));
    if (s === undefined) return undefined;
    if (s.state === SessionState.Running) {
      s.state = SessionState.Stopped;
      s.stopReason = reason;
      s.files = s.files.map((f) => ({ ...f, closed: true }));
    }
    return { ...s };
  }

  async updateSession(node: string, key: SessionKey, filter: SessionFilter): Promise<SessionReport> {
    const s = this.node(node).get(id(key.recordingUid, key.iteration));
    if (s === undefined) throw new DispatchError(DispatchErrorCode.Rejected, node, `session not found on ${node}`);
    if (JSON.stringify(s.filter) !== JSON.stringify(filter)) {
      if (s.state !== SessionState.Running) {
        throw new DispatchError(DispatchErrorCode.Rejected, node, `session on ${node} is not running`);
      }
      this.updates.push({ session: `${node}/${id(key.recordingUid, key.iteration)}`, bpf: filter.bpf ?? '' });
      s.filter = { include: filter.include ?? [], bpf: filter.bpf ?? '' };
    }
    return { ...s };
  }

  async listSessions(node: string): Promise<SessionReport[]> {
    return [...this.node(node).values()].map((s) => ({ ...s }));
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
