// The agent's gRPC server: Hubble's recorder.Recorder and tapedeck's
// AgentService on one port, mTLS unless explicitly started insecure.
import { Server, ServerCredentials } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { loadAgentProto, loadRecorderProto } from '../../proto/load.js';
import type { SessionManager } from '../session/session-manager.js';
import { agentHandlers } from './agent-service.js';
import type { LeaderFence } from './leader-fence.js';
import type { BuildFilter } from './hubble-request.js';
import { REQUEST_LIMITS } from './limits.js';
import { recorderHandlers } from './recorder-service.js';

export interface ServerTls {
  /** PEM server certificate chain and key. */
  readonly cert: Buffer;
  readonly key: Buffer;
  /** PEM CA bundle that client certificates must chain to. */
  readonly ca: Buffer;
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
}

export interface AgentServer {
  /** The bound port. */
  readonly port: number;
  /** Stops accepting calls and waits (up to `graceMs`) for running calls to end. */
  shutdown(graceMs: number): Promise<void>;
}

export function serverCredentials(tls: ServerTls | undefined): ServerCredentials {
  if (!tls) return ServerCredentials.createInsecure();
  // checkClientCertificate = true: a client without a certificate signed by `ca` fails the handshake.
  return ServerCredentials.createSsl(tls.ca, [{ cert_chain: tls.cert, private_key: tls.key }], true);
}

export async function startAgentServer(options: AgentServerOptions): Promise<AgentServer> {
  const server = new Server({
    'grpc.max_receive_message_length': REQUEST_LIMITS.maxMessageBytes,
    'grpc.keepalive_time_ms': 60_000,
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
    }),
  );
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(options.listen, serverCredentials(options.tls), (error, bound) =>
      error ? reject(error) : resolve(bound),
    );
  });
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
