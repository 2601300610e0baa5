// Who may call the agent: mTLS proves a client's certificate chains to the CA; this decides whether its
// identity is one the agent serves. The operator's identity, plus identities an admin lists for
// Hubble-style clients (--allow-client); a certificate from the same CA with any other identity (another
// node's agent, a leaked test certificate) is refused with PERMISSION_DENIED before any handler runs.
import { ResponderBuilder, ServerInterceptingCall, ServerListenerBuilder, status } from '@grpc/grpc-js';
import type { ServerInterceptor } from '@grpc/grpc-js';
import type { PeerCertificate } from 'node:tls';
import type { Logger } from 'pino';

/** The identity on the operator's client certificate (its subject CN). */
export const OPERATOR_IDENTITY = 'tapedeck-operator';
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

/** A certificate's identities: its subject CN and every DNS and URI subjectAltName. */
export function identitiesOf(cert: PeerCertificate): string[] {
  const cn = cert.subject?.CN;
  const names = (cert.subjectaltname ?? '')
    .split(', ')
    .filter((n) => n.startsWith('DNS:') || n.startsWith('URI:'))
    .map((n) => n.slice(n.indexOf(':') + 1));
  return [...(typeof cn === 'string' && cn !== '' ? [cn] : []), ...names];
}

/** Why `cert` may not call the agent, or undefined when one of its identities is allowed. */
export function clientProblem(cert: PeerCertificate | undefined, allowed: readonly string[]): string | undefined {
  if (cert === undefined || Object.keys(cert).length === 0) return 'no client certificate';
  const ids = identitiesOf(cert);
  const usages = (cert as PeerCertificate & { ext_key_usage?: string[] }).ext_key_usage;
  if (usages !== undefined && !usages.includes(CLIENT_AUTH)) {
    return `client certificate ${ids.join(', ')} is not for client authentication (extendedKeyUsage)`;
  }
  if (ids.some((id) => allowed.includes(id))) return undefined;
  return `client identity ${ids.join(', ') || '(none)'} is not allowed: the agent accepts ${allowed.join(', ')}`;
}

/** A server interceptor refusing every call whose client certificate carries no allowed identity. */
export function peerIdentityInterceptor(allowed: readonly string[], logger: Logger): ServerInterceptor {
  return (_method, call) => {
    const listener = new ServerListenerBuilder()
      .withOnReceiveMetadata((metadata, next) => {
        const problem = clientProblem(call.getAuthContext().sslPeerCertificate, allowed);
        if (problem === undefined) {
          next(metadata);
          return;
        }
        logger.warn({ peer: call.getPeer(), problem }, 'Refused client');
        call.sendStatus({ code: status.PERMISSION_DENIED, details: problem });
      })
      .build();
    return new ServerInterceptingCall(call, new ResponderBuilder().withStart((next) => next(listener)).build());
  };
}
