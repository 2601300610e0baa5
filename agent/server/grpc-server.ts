// The agent's gRPC server: Hubble's recorder.Recorder and tapedeck's
// AgentService on one port, mTLS unless explicitly started insecure.
import { Server, ServerCredentials, experimental } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { loadAgentProto, loadRecorderProto } from '../../proto/load.js';
import type { SessionManager } from '../session/session-manager.js';
import { CredentialVault } from '../export/export-credentials.js';
import { agentHandlers, type NodeStorage } from './agent-service.js';
import type { ExportView } from './to-proto.js';
import type { LeaderFence } from './leader-fence.js';
import type { BuildFilter } from './hubble-request.js';
import { REQUEST_LIMITS } from './limits.js';
import { OPERATOR_IDENTITY, peerIdentityInterceptor } from './peer-identity.js';
import { recorderHandlers } from './recorder-service.js';

/** How often the certificate files are read again: a rotated Secret is served without a restart. */
export const CERT_REFRESH_MS = 10_000;

/** PEM files: the server certificate chain and key, and the CA bundle client certificates must chain to. */
export interface ServerTls {
  readonly cert: string;
  readonly key: string;
  readonly ca: string;
  /** Default CERT_REFRESH_MS. */
  readonly refreshMs?: number;
}

export interface AgentServerOptions {
  /** host:port; port 0 picks a free port. */
  readonly listen: string;
  /** undefined = plaintext (local development only, --insecure). */
  readonly tls: ServerTls | undefined;
  readonly manager: SessionManager;
  readonly buildFilter: BuildFilter;
  /** Interface Hubble recordings capture on. */
  readonly hubbleInterface: string;
  readonly logger: Logger;
  readonly runningIntervalMs?: number;
  /** Leader-epoch fencing of AgentService's mutating calls. */
  readonly fence: LeaderFence;
  /** Export credentials by session (in memory only); a fresh vault when absent. */
  readonly credentials?: CredentialVault;
  readonly exports?: ExportView;
  /** The node's storage budget, for ListSessionsResponse.storage; absent = not reported. */
  readonly storage?: () => NodeStorage;
  /** Deletes an ended session's local files (StopSession delete_local_files). */
  readonly deleteRun?: (id: string) => Promise<void>;
  /** Client identities (certificate CN, DNS or URI SAN) served with TLS; default the operator's only. */
  readonly allowedClients?: readonly string[];
}

export interface AgentServer {
  /** The bound port. */
  readonly port: number;
  /** Stops accepting calls and waits (up to `graceMs`) for running calls to end. */
  shutdown(graceMs: number): Promise<void>;
}

/** How long the agent waits for its first read of the certificate files before it gives up starting. */
const CERT_LOAD_TIMEOUT_MS = 30_000;

export interface AgentServerCredentials {
  readonly credentials: ServerCredentials;
  /**
   * Resolves once the certificate files have been read and the server holds them: until then grpc-js
   * resets every connection ("unloaded credentials"), so the agent says it serves only after this.
   * Call after bindAsync (binding starts the first read).
   */
  loaded(): Promise<void>;
}

export function serverCredentials(tls: ServerTls | undefined): AgentServerCredentials {
  if (!tls) return { credentials: ServerCredentials.createInsecure(), loaded: () => Promise.resolve() };
  // The files are watched: new connections use a rotated certificate, key or CA; open ones keep theirs.
  const files = new experimental.FileWatcherCertificateProvider({
    certificateFile: tls.cert,
    privateKeyFile: tls.key,
    caCertificateFile: tls.ca,
    refreshIntervalMs: tls.refreshMs ?? CERT_REFRESH_MS,
  });
  // requireClientCertificate = true: a client without a certificate signed by the CA fails the handshake.
  const credentials = experimental.createCertificateProviderServerCredentials(files, files, true);
  return { credentials, loaded: () => certificatesLoaded(files, tls) };
}

/**
 * The provider notifies its listeners in the order they were added; the server's own listeners were added
 * at bind, so once ours have heard of both updates (in either order), the server has set its secure context.
 */
function certificatesLoaded(files: experimental.FileWatcherCertificateProvider, tls: ServerTls): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let identity = false;
    let ca = false;
    const done = (error?: Error): void => {
      clearTimeout(timer);
      files.removeIdentityCertificateListener(onIdentity);
      files.removeCaCertificateListener(onCa);
      if (error) reject(error);
      else resolve();
    };
    const onIdentity = (update: experimental.IdentityCertificateUpdate | null): void => {
      if (!update) return done(new Error(`cannot read the TLS certificate ${tls.cert} or key ${tls.key}`));
      identity = true;
      if (ca) done();
    };
    const onCa = (update: experimental.CaCertificateUpdate | null): void => {
      if (!update) return done(new Error(`cannot read the TLS CA bundle ${tls.ca}`));
      ca = true;
      if (identity) done();
    };
    const timer = setTimeout(
      () => done(new Error(`the TLS files were not read within ${CERT_LOAD_TIMEOUT_MS} ms`)),
      CERT_LOAD_TIMEOUT_MS,
    );
    files.addIdentityCertificateListener(onIdentity);
    files.addCaCertificateListener(onCa);
  });
}

export async function startAgentServer(options: AgentServerOptions): Promise<AgentServer> {
  const allowed = options.allowedClients ?? [OPERATOR_IDENTITY];
  const server = new Server({
    'grpc.max_receive_message_length': REQUEST_LIMITS.maxMessageBytes,
    'grpc.keepalive_time_ms': 60_000,
    // With TLS, only the allowed client identities reach a handler.
    interceptors: options.tls ? [peerIdentityInterceptor(allowed, options.logger)] : [],
  });
  const { recorder } = loadRecorderProto();
  const agent = loadAgentProto().tapedeck.agent.v1;
  server.addService(
    recorder.Recorder.service,
    recorderHandlers({
      manager: options.manager,
      hubble: { interface: options.hubbleInterface, buildFilter: options.buildFilter },
      logger: options.logger,
      ...(options.runningIntervalMs !== undefined && { runningIntervalMs: options.runningIntervalMs }),
    }),
  );
  server.addService(
    agent.AgentService.service,
    agentHandlers({
      manager: options.manager,
      buildFilter: options.buildFilter,
      logger: options.logger,
      fence: options.fence,
      credentials: options.credentials ?? new CredentialVault(),
      ...(options.exports && { exports: options.exports }),
      ...(options.storage && { storage: options.storage }),
      ...(options.deleteRun && { deleteRun: options.deleteRun }),
    }),
  );
  const { credentials, loaded } = serverCredentials(options.tls);
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(options.listen, credentials, (error, bound) => (error ? reject(error) : resolve(bound)));
  });
  try {
    await loaded();
  } catch (error) {
    server.forceShutdown();
    throw error;
  }
  return {
    port,
    shutdown: (graceMs) =>
      new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      }),
  };
}
