import type { PeerCertificate } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { clientProblem, identitiesOf } from './peer-identity.js';

const cert = (cn: string, san = '', usages?: string[]): PeerCertificate =>
  ({
    subject: { CN: cn },
    subjectaltname: san,
    ...(usages && { ext_key_usage: usages }),
  }) as unknown as PeerCertificate;

describe('peer identity', () => {
  it('should take the CN and every DNS and URI subjectAltName as identities', () => {
    expect(identitiesOf(cert('op', 'DNS:a, IP Address:10.0.0.1, URI:spiffe://tapedeck.dev/operator'))).toEqual([
      'op',
      'a',
      'spiffe://tapedeck.dev/operator',
    ]);
  });

  it.each<[string, PeerCertificate | undefined, string | undefined]>([
    ['the operator', cert('tapedeck-operator', '', ['1.3.6.1.5.5.7.3.2']), undefined],
    ['a listed URI', cert('x', 'URI:spiffe://ops/hubble'), undefined],
    [
      'another identity',
      cert('node-b'),
      'client identity node-b is not allowed: the agent accepts tapedeck-operator, spiffe://ops/hubble',
    ],
    [
      'a server-only certificate',
      cert('tapedeck-operator', '', ['1.3.6.1.5.5.7.3.1']),
      'client certificate tapedeck-operator is not for client authentication (extendedKeyUsage)',
    ],
    ['no certificate', undefined, 'no client certificate'],
  ])('should judge %s', (_case, peer, expected) => {
    expect(clientProblem(peer, ['tapedeck-operator', 'spiffe://ops/hubble'])).toBe(expected);
  });
});
