// tapedeck.agent.v1.AgentService: sessions tied to Recordings (idempotent
// start by uid + iteration), stop, get and list with statistics and files,
// and a live filter update (UpdateSession).
import type { sendUnaryData, ServerUnaryCall } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { AgentServiceHandlers } from '../../proto/generated/tapedeck/agent/v1/AgentService.js';
import type { StartSessionRequest__Output } from '../../proto/generated/tapedeck/agent/v1/StartSessionRequest.js';
import type { SessionManager } from '../session/session-manager.js';
import { StopReason } from '../session/stop-condition.js';
import type { CredentialVault } from '../export/export-credentials.js';
import { agentFilter, agentSessionSpec } from './agent-request.js';
import { exportCredentials } from './export-request.js';
import type { BuildFilter } from './hubble-request.js';
import type { LeaderFence } from './leader-fence.js';
import { invalid } from './request-error.js';
import { toServiceError } from './status.js';
import { sessionProto, STOP_REASON_FROM_PROTO, type ExportView } from './to-proto.js';

export interface AgentServiceOptions {
  readonly manager: SessionManager;
  readonly buildFilter: BuildFilter;
  readonly logger: Logger;
  /** Refuses mutating requests of a stale leader (leader_epoch). */
  readonly fence: LeaderFence;
  /** Export credentials by session, in memory only. */
  readonly credentials: CredentialVault;
  /** Session.export and exported files (absent: nothing exports, e.g. in tests of capture alone). */
  readonly exports?: ExportView;
  /** The node's storage budget now (agent/storage/storage-budget.ts). */
  readonly storage?: () => NodeStorage;
  /** Deletes an ended session's local files (StopSession delete_local_files; agent/retention/). */
  readonly deleteRun?: (id: string) => Promise<void>;
}

export interface NodeStorage {
  readonly usedBytes: number;
  readonly limitBytes: number;
  readonly availableBytes: number;
}

/** Runs `work` and answers the unary call with its result or its error's status. */
function unary<Req, Res>(
  logger: Logger,
  method: string,
  work: (request: Req) => Promise<Res> | Res,
): (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => void {
  return (call, callback) => {
    Promise.resolve()
      .then(() => work(call.request))
      .then(
        (response) => callback(null, response),
        (error: unknown) => {
          const serviceError = toServiceError(error);
          logger.info({ method, code: serviceError.code, error: serviceError.details }, 'Rejected request');
          callback(serviceError);
        },
      );
  };
}

function sessionId(id: string): string {
  if (id === '') throw invalid('id', 'is required');
  return id;
}

export function agentHandlers(options: AgentServiceOptions): AgentServiceHandlers {
  const { manager, buildFilter, logger, fence, credentials, exports, storage, deleteRun } = options;
  return {
    StartSession: unary(logger, 'StartSession', async (request: StartSessionRequest__Output) => {
      fence.admit(request.leaderEpoch, 'StartSession');
      const withCredentials = request.exportCredentials?.credentials !== undefined;
      const spec = agentSessionSpec(request.spec, buildFilter, withCredentials);
      const granted = exportCredentials('exportCredentials', request.exportCredentials, spec.export);
      // Held before the session starts, so its first closed file finds them.
      if (granted) credentials.set(spec.id, granted);
      const { session, created } = await manager.start(spec);
      return { session: sessionProto(session.snapshot(), exports), created };
    }),
    StopSession: unary(logger, 'StopSession', async (request) => {
      fence.admit(request.leaderEpoch, 'StopSession');
      const reason = STOP_REASON_FROM_PROTO[String(request.reason)] ?? StopReason.Stopped;
      const id = sessionId(request.id);
      const stopped = await manager.stop(id, reason);
      if (!request.deleteLocalFiles) return sessionProto(stopped, exports);
      if (deleteRun === undefined) throw invalid('deleteLocalFiles', 'this agent does not delete local files');
      await deleteRun(id);
      return sessionProto(manager.get(id).snapshot(), exports);
    }),
    GetSession: unary(logger, 'GetSession', (request) =>
      sessionProto(manager.get(sessionId(request.id)).snapshot(), exports),
    ),
    UpdateSession: unary(logger, 'UpdateSession', async (request) => {
      fence.admit(request.leaderEpoch, 'UpdateSession');
      const id = sessionId(request.id);
      if (!request.filter) throw invalid('filter', 'is required');
      return sessionProto(await manager.update(id, agentFilter(request.filter, 'filter', buildFilter)), exports);
    }),
    RefreshCredentials: unary(logger, 'RefreshCredentials', (request) => {
      fence.admit(request.leaderEpoch, 'RefreshCredentials');
      const session = manager.get(sessionId(request.id));
      if (session.spec.export?.credentials !== 'request') {
        throw invalid('id', `session ${request.id} does not export with credentials from the operator`);
      }
      const granted = exportCredentials('exportCredentials', request.exportCredentials, session.spec.export);
      if (!granted) throw invalid('exportCredentials', 'is required');
      credentials.set(session.id, granted);
      return sessionProto(session.snapshot(), exports);
    }),
    ListSessions: unary(logger, 'ListSessions', (request) => ({
      nodeName: manager.nodeName,
      sessions: manager.list(request.recordingUid).map((s) => sessionProto(s, exports)),
      ...(storage && { storage: storageProto(storage()) }),
    })),
  };
}

function storageProto(s: NodeStorage): { usedBytes: number; limitBytes: number; availableBytes: number } {
  return { usedBytes: s.usedBytes, limitBytes: s.limitBytes, availableBytes: s.availableBytes };
}
