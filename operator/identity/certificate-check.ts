// Whether a certificate the operator issued earlier can stay: issued by this CA, for exactly one usage,
// naming the expected identity, and less than RENEW_AFTER of its validity gone. Anything else is reissued.
import { X509Certificate } from 'node:crypto';
import { USAGE_OID, type CertificateUsage } from './certificate-authority.js';

/** The share of a certificate's validity after which it is renewed (a 90-day certificate at 60 days). */
export const RENEW_AFTER = 2 / 3;

export interface Expected {
  readonly ca: X509Certificate;
  readonly name: string;
  readonly usage: CertificateUsage;
}

/** Why `pem` must be reissued at `now`, or undefined while it is good. */
export function renewalReason(pem: string | undefined, expected: Expected, now: number): string | undefined {
  if (pem === undefined || pem.trim() === '') return 'none issued yet';
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pem);
  } catch (error) {
    return `unreadable (${(error as Error).message})`;
  }
  if (!cert.checkIssued(expected.ca) || !cert.verify(expected.ca.publicKey)) return 'not issued by the current CA';
  const usages = cert.keyUsage ?? [];
  if (usages.length !== 1 || usages[0] !== USAGE_OID[expected.usage]) {
    return `not for ${expected.usage} authentication only (extendedKeyUsage ${usages.join(', ') || 'absent'})`;
  }
  if (cert.checkHost(expected.name, { subject: 'never' }) === undefined) return `does not name ${expected.name}`;
  const from = Date.parse(cert.validFrom);
  const to = Date.parse(cert.validTo);
  if (now >= to) return `expired at ${new Date(to).toISOString()}`;
  if (now >= from + (to - from) * RENEW_AFTER) return `due for renewal (valid until ${new Date(to).toISOString()})`;
  return undefined;
}
