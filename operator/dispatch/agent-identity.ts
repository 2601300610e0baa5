// Who the operator talks to: besides chaining to the CA, an agent's certificate must name the agents'
// identity (mtls.agentServerName, a DNS subjectAltName), be for server authentication and not carry the
// operator's own identity, so no other certificate of the same CA (a Hubble client's, the operator's)
// can pose as an agent. With certificate files the credentials follow a rotated Secret: new connections
// use the new certificate and CA without a restart.
import { checkServerIdentity } from 'node:tls';
import type { PeerCertificate } from 'node:tls';
import { credentials, experimental } from '@grpc/grpc-js';
import type { ChannelCredentials } from '@grpc/grpc-js';

/** The operator's identity on its client certificate (the agents accept it by default). */
export const OPERATOR_IDENTITY = 'tapedeck-operator';
export const DEFAULT_AGENT_NAME = 'tapedeck-agent';
/** How often certificate files are read again. */
export const CERT_REFRESH_MS = 10_000;
const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';

export interface AgentTlsFiles {
  caFile: string;
  certFile: string;
  keyFile: string;
  serverName?: string;
  refreshMs?: number;
  /** Called with every agent certificate a handshake accepted (for its expiry). */
  onAgentCertificate?: (cert: PeerCertificate) => void;
}

/** Why `cert` is not an agent's, or undefined when it is. */
export function agentServerProblem(cert: PeerCertificate, serverName: string): string | undefined {
  const names = (cert.subjectaltname ?? '').split(', ').filter((n) => n !== '');
  const who = [cert.subject?.CN, ...names].filter((n) => n !== undefined && n !== '').join(', ');
  const usages = (cert as PeerCertificate & { ext_key_usage?: string[] }).ext_key_usage;
  if (usages !== undefined && !usages.includes(SERVER_AUTH)) {
    return `certificate ${who} is not for server authentication (extendedKeyUsage), so it is not an agent's`;
  }
  if (cert.subject?.CN === OPERATOR_IDENTITY || names.includes(`DNS:${OPERATOR_IDENTITY}`)) {
    return `certificate ${who} carries the operator's identity, not an agent's`;
  }
  const mismatch = checkServerIdentity(serverName, cert);
  if (mismatch !== undefined) return `certificate ${who} is not an agent's: it does not name ${serverName}`;
  return undefined;
}

/** mTLS credentials towards the agents. */
export function agentCredentials(
  tls: { ca: Buffer; cert: Buffer; key: Buffer; serverName?: string } | AgentTlsFiles,
): ChannelCredentials {
  const serverName = tls.serverName ?? DEFAULT_AGENT_NAME;
  const seen = 'onAgentCertificate' in tls ? tls.onAgentCertificate : undefined;
  const verify = {
    checkServerIdentity: (_host: string, cert: PeerCertificate): Error | undefined => {
      const problem = agentServerProblem(cert, serverName);
      if (problem !== undefined) return new Error(problem);
      seen?.(cert);
      return undefined;
    },
  };
  if (!('caFile' in tls)) return credentials.createSsl(tls.ca, tls.key, tls.cert, verify);
  const files = new experimental.FileWatcherCertificateProvider({
    certificateFile: tls.certFile,
    privateKeyFile: tls.keyFile,
    caCertificateFile: tls.caFile,
    refreshIntervalMs: tls.refreshMs ?? CERT_REFRESH_MS,
  });
  return experimental.createCertificateProviderChannelCredentials(files, files, verify);
}
