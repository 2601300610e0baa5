// AgentClient over tapedeck's gRPC agent API, with mTLS and a deadline on every
// call. One channel per agent address, reused across calls.
import { credentials, status as grpcStatus } from '@grpc/grpc-js';
import type Long from 'long';
import type { ChannelCredentials, ClientUnaryCall, ServiceError, requestCallback } from '@grpc/grpc-js';
import { loadAgentProto } from '../../proto/load.js';
import type {
  AgentServiceClient,
  ListSessionsResponse,
  Session,
  StartSessionResponse,
  StopReasonName,
} from './agent-proto.js';
import { DispatchError, DispatchErrorCode, SessionState, StopReason } from './agent-client.js';
import type {
  AgentClient,
  LeaderEpoch,
  SessionExportCredentials,
  SessionFilter,
  SessionKey,
  SessionReport,
  SessionSpec,
  StopOptions,
} from './agent-client.js';
import { agentCredentials } from './agent-identity.js';
import type { AgentTlsFiles } from './agent-identity.js';
import { sessionId } from './session-spec.js';

/** Every agent call gives up after this long; the reconcile retries with backoff. */
export const CALL_DEADLINE_MS = 5_000;

export interface AgentTls {
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
  /** Name the agents' certificates are issued for, when dialling them by IP. */
  serverName?: string;
}

/** Where the agent serving a node listens ("ip:port"), if one is known. */
export interface AgentDirectory {
  addressOf(node: string): string | undefined;
}

const stopReasons: Partial<Record<StopReasonName, StopReason>> = {
  STOP_REASON_PACKET_LIMIT: StopReason.PacketLimit,
  STOP_REASON_BYTE_LIMIT: StopReason.ByteLimit,
  STOP_REASON_TIME_ELAPSED: StopReason.TimeElapsed,
  STOP_REASON_STOPPED: StopReason.Stopped,
  STOP_REASON_DURATION: StopReason.Duration,
  STOP_REASON_STORAGE_FULL: StopReason.StorageFull,
  STOP_REASON_ERROR: StopReason.Error,
  STOP_REASON_SHUTDOWN: StopReason.Stopped,
};

const protoStopReason: Record<string, StopReasonName> = {
  [StopReason.Duration]: 'STOP_REASON_DURATION',
  [StopReason.Stopped]: 'STOP_REASON_STOPPED',
  [StopReason.Error]: 'STOP_REASON_ERROR',
};

const formatNames: Record<string, string> = {
  OUTPUT_FORMAT_PCAP: 'pcap',
  OUTPUT_FORMAT_PCAPNG: 'pcapng',
  OUTPUT_FORMAT_JSON: 'json',
  OUTPUT_FORMAT_DNSTAP: 'dnstap',
  OUTPUT_FORMAT_STREAMS: 'streams',
};

export function toReport(s: Session): SessionReport {
  const state =
    s.state === 'SESSION_STATE_RUNNING'
      ? SessionState.Running
      : s.state === 'SESSION_STATE_FAILED'
        ? SessionState.Failed
        : SessionState.Stopped;
  const report: SessionReport = {
    recordingUid: s.spec?.recording?.uid ?? '',
    iteration: s.spec?.recording?.iteration ?? 0,
    state,
    packetsCaptured: s.stats?.packetsCaptured ?? 0,
    bytesCaptured: s.stats?.bytesCaptured ?? 0,
    packetsLost: s.stats?.packetsLost ?? 0,
    bytesLost: s.stats?.bytesLost ?? 0,
    files: s.files.map((f) => ({
      path: f.path,
      format: formatNames[f.format] ?? 'pcap',
      bytes: f.bytes,
      closed: f.closed,
      ...(f.exportedUrl && { exportedUrl: f.exportedUrl }),
      ...(f.sha256 && { sha256: f.sha256 }),
    })),
  };
  const exp = s.export;
  if (exp) {
    report.export = {
      filesPending: exp.filesPending,
      filesExported: exp.filesExported,
      failedAttempts: exp.failedAttempts,
      lastErrorCode: exp.lastErrorCode,
      lastError: exp.lastError,
      manifestUrl: exp.manifestUrl,
      manifestComplete: exp.manifestComplete,
      ...(exp.credentialsExpiry && { credentialsExpiry: millisOf(exp.credentialsExpiry) }),
      filesExpiredUnexported: exp.filesExpiredUnexported,
    };
  }
  const filter = s.spec?.filter;
  if (filter) report.filter = { include: filter.include, bpf: filter.bpf, endpointIps: filter.endpointIps ?? [] };
  const gaps = (s.gaps ?? []).map((g) => ({ from: millisOf(g.from), to: millisOf(g.to), reason: g.reason }));
  if (gaps.length > 0) report.gaps = gaps;
  if (s.stopReason === 'STOP_REASON_SHUTDOWN') report.shutdown = true;
  const reason = stopReasons[s.stopReason];
  if (reason !== undefined) report.stopReason = reason;
  if (s.message !== '') report.message = s.message;
  if (s.storageFull) report.storageFull = true;
  const lostStorage = Number(s.packetsLostStorage ?? 0);
  if (lostStorage > 0) report.packetsLostStorage = lostStorage;
  if (s.expired) report.expired = true;
  return report;
}

function millisOf(t: { seconds?: string | number | Long; nanos?: number } | null | undefined): number {
  if (t === null || t === undefined) return 0;
  return Number(t.seconds ?? 0) * 1000 + Math.floor((t.nanos ?? 0) / 1_000_000);
}

/** The agent's refusal of a stale leader (agent API: FAILED_PRECONDITION "stale leader epoch …"). */
export function isFencing(error: ServiceError | null): boolean {
  return error?.code === grpcStatus.FAILED_PRECONDITION && /leader epoch/i.test(error.details ?? error.message);
}

type Unary<Res> = (options: { deadline: Date }, callback: requestCallback<Res>) => ClientUnaryCall;

export class GrpcAgentClient implements AgentClient {
  private readonly clients = new Map<string, AgentServiceClient>();
  private readonly creds: ChannelCredentials;
  private readonly Service = loadAgentProto().tapedeck.agent.v1.AgentService;

  constructor(
    private readonly directory: AgentDirectory,
    private readonly tls: AgentTls | AgentTlsFiles | undefined,
    private readonly deadlineMs = CALL_DEADLINE_MS,
  ) {
    // agent-identity.ts: the agent's certificate must be an agent's, not only chain to the CA.
    this.creds = tls === undefined ? credentials.createInsecure() : agentCredentials(tls);
  }

  async startSession(
    node: string,
    spec: SessionSpec,
    epoch: LeaderEpoch = 0,
    exportCredentials?: SessionExportCredentials,
  ): Promise<SessionReport> {
    const client = this.client(node);
    const request = { spec, leaderEpoch: epoch, ...(exportCredentials && { exportCredentials }) };
    const res = await this.call<StartSessionResponse>(node, (o, cb) => client.startSession(request, o, cb));
    if (res.session === null) throw new DispatchError(DispatchErrorCode.Rejected, node, 'agent returned no session');
    return toReport(res.session);
  }

  async stopSession(
    node: string,
    key: SessionKey,
    reason: StopReason,
    epoch: LeaderEpoch = 0,
    options: StopOptions = {},
  ): Promise<SessionReport | undefined> {
    const client = this.client(node);
    const id = sessionId(key.recordingUid, key.iteration);
    try {
      const request = {
        id,
        reason: protoStopReason[reason] ?? 'STOP_REASON_STOPPED',
        leaderEpoch: epoch,
        deleteLocalFiles: options.deleteLocalFiles === true,
      };
      return toReport(await this.call<Session>(node, (o, cb) => client.stopSession(request, o, cb)));
    } catch (error) {
      if (error instanceof DispatchError && (error.cause as ServiceError).code === grpcStatus.NOT_FOUND) {
        return undefined;
      }
      throw error;
    }
  }

  async updateSession(
    node: string,
    key: SessionKey,
    filter: SessionFilter,
    epoch: LeaderEpoch = 0,
  ): Promise<SessionReport> {
    const client = this.client(node);
    const request = { id: sessionId(key.recordingUid, key.iteration), filter, leaderEpoch: epoch };
    return toReport(await this.call<Session>(node, (o, cb) => client.updateSession(request, o, cb)));
  }

  async refreshCredentials(
    node: string,
    key: SessionKey,
    exportCredentials: SessionExportCredentials,
    epoch: LeaderEpoch = 0,
  ): Promise<SessionReport> {
    const client = this.client(node);
    const request = { id: sessionId(key.recordingUid, key.iteration), exportCredentials, leaderEpoch: epoch };
    return toReport(await this.call<Session>(node, (o, cb) => client.refreshCredentials(request, o, cb)));
  }

  async listSessions(node: string): Promise<SessionReport[]> {
    const client = this.client(node);
    const res = await this.call<ListSessionsResponse>(node, (o, cb) => client.listSessions({}, o, cb));
    return res.sessions.map(toReport);
  }

  close(): void {
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
  }

  private client(node: string): AgentServiceClient {
    const address = this.directory.addressOf(node);
    if (address === undefined) {
      throw new DispatchError(DispatchErrorCode.NoAgent, node, `no tapedeck agent found for node ${node}`);
    }
    let client = this.clients.get(address);
    if (client === undefined) {
      const options =
        this.tls?.serverName === undefined ? {} : { 'grpc.ssl_target_name_override': this.tls.serverName };
      client = new this.Service(address, this.creds, options);
      this.clients.set(address, client);
    }
    return client;
  }

  private call<Res>(node: string, method: Unary<Res>): Promise<Res> {
    return new Promise((resolve, reject) => {
      method({ deadline: new Date(Date.now() + this.deadlineMs) }, (error, response) => {
        if (error !== null || response === undefined) {
          // ALREADY_EXISTS (a repeated start whose spec differs, e.g. pod IPs changed meanwhile) is transient:
          // the next ListSessions shows the session, which is then adopted and its filter updated.
          const transient =
            error?.code === grpcStatus.UNAVAILABLE ||
            error?.code === grpcStatus.DEADLINE_EXCEEDED ||
            error?.code === grpcStatus.ALREADY_EXISTS;
          const code = isFencing(error)
            ? DispatchErrorCode.Fenced
            : transient
              ? DispatchErrorCode.Unavailable
              : DispatchErrorCode.Rejected;
          reject(
            new DispatchError(
              code,
              node,
              `agent on node ${node}: ${error?.details ?? error?.message ?? 'empty response'}`,
              { cause: error },
            ),
          );
        } else resolve(response);
      });
    });
  }
}
