// Keeps the two identities the operator issues current: its own client certificate (files in its memory
// volume, never in the API) and the agents' server certificate (the agent Secret, which every agent pod
// mounts and watches). At start and every checkMs it reissues whatever renewalReason() finds wrong, so
// rotation needs no restart anywhere: the operator's credentials and the agents' server read the files again.
import { X509Certificate } from 'node:crypto';
import { ApiException, type CoreV1Api } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { CertificateAuthority, CertificateUsage, IssuedCertificate } from './certificate-authority.js';
import { renewalReason, type Expected } from './certificate-check.js';
import { readIdentityCertificate, writeIdentity } from './identity-files.js';

export const DEFAULT_VALIDITY_MS = 90 * 86_400_000;
export const DEFAULT_CHECK_MS = 3_600_000;
/** After a failed check the next one comes sooner (an install where the Secret or RBAC lands late). */
export const RETRY_MS = 30_000;
/** Certificates start a little in the past, as clocks of nodes and the operator differ: 5 minutes at most. */
const BACKDATE_MS = 5 * 60_000;
const BACKDATE_SHARE = 0.01;

type SecretsApi = Pick<CoreV1Api, 'readNamespacedSecret' | 'replaceNamespacedSecret'>;

export interface IdentityIssuerOptions {
  readonly ca: CertificateAuthority;
  readonly secrets: SecretsApi;
  readonly namespace: string;
  /** The Secret the agents mount (created by the chart; the operator may only get and update it). */
  readonly agentSecret: string;
  /** mtls.agentServerName: the agents' CN and DNS name. */
  readonly agentName: string;
  /** The operator's CN, the identity the agents serve. */
  readonly operatorIdentity: string;
  /** Where the operator's own certificate files go (identity-files.ts). */
  readonly ownDir: string;
  readonly validityMs?: number;
  readonly checkMs?: number;
  readonly now?: () => number;
  readonly log: Logger;
}

export class IdentityIssuer {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly now: () => number;
  private readonly checkMs: number;

  constructor(private readonly o: IdentityIssuerOptions) {
    this.now = o.now ?? Date.now;
    this.checkMs = o.checkMs ?? DEFAULT_CHECK_MS;
  }

  /** The operator's client certificate files: reissued when missing or due. Throws when they cannot be written. */
  async ensureOwn(): Promise<void> {
    const current = await readIdentityCertificate(this.o.ownDir);
    const reason = renewalReason(current, this.expected(this.o.operatorIdentity, 'client'), this.now());
    if (reason === undefined) return;
    const issued = await this.issue(this.o.operatorIdentity, 'client');
    const cert = new X509Certificate(issued.cert);
    await writeIdentity(this.o.ownDir, issued, cert.serialNumber);
    this.logIssued('operator', reason, cert);
  }

  /** The agents' server certificate in their Secret: reissued when missing, foreign, single-purpose no more, or due. */
  async ensureAgents(): Promise<void> {
    const { namespace, agentSecret: name } = this.o;
    const secret = await this.o.secrets.readNamespacedSecret({ namespace, name }).catch((error: unknown) => {
      if (error instanceof ApiException && error.code === 404) {
        throw new Error(`the agents' Secret ${namespace}/${name} does not exist (the chart creates it)`);
      }
      throw error;
    });
    const data = secret.data ?? {};
    const decoded = (key: string): string | undefined =>
      data[key] === undefined ? undefined : Buffer.from(data[key], 'base64').toString('utf8');
    let reason = renewalReason(decoded('tls.crt'), this.expected(this.o.agentName, 'server'), this.now());
    if (reason === undefined && decoded('ca.crt')?.trim() !== this.o.ca.certPem.trim())
      reason = 'the CA bundle changed';
    if (reason === undefined) return;
    const issued = await this.issue(this.o.agentName, 'server');
    const b64 = (text: string): string => Buffer.from(text).toString('base64');
    // The read's resourceVersion makes this a compare-and-swap: of two replicas renewing at once one wins,
    // the other's 409 leaves the winner's certificate in place.
    await this.o.secrets.replaceNamespacedSecret({
      namespace,
      name,
      body: {
        ...secret,
        data: { ...data, 'ca.crt': b64(issued.ca), 'tls.crt': b64(issued.cert), 'tls.key': b64(issued.key) },
      },
    });
    this.logIssued('agent', reason, new X509Certificate(issued.cert));
  }

  /** Both, now and every checkMs (RETRY_MS after a failure). Throws only when the operator's own fails now. */
  async start(): Promise<void> {
    await this.ensureOwn();
    this.schedule(await this.checkAgents());
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private schedule(ok: boolean): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.check().then((good) => this.schedule(good)), ok ? this.checkMs : RETRY_MS);
    this.timer.unref();
  }

  private async check(): Promise<boolean> {
    const own = await this.ensureOwn().then(
      () => true,
      (error: unknown) => {
        this.o.log.error({ err: error }, 'Cannot renew the operator certificate');
        return false;
      },
    );
    return (await this.checkAgents()) && own;
  }

  private async checkAgents(): Promise<boolean> {
    return this.ensureAgents().then(
      () => true,
      (error: unknown) => {
        if (error instanceof ApiException && error.code === 409) return true; // another replica renewed it
        this.o.log.error({ err: error }, "Cannot issue the agents' certificate");
        return false;
      },
    );
  }

  private expected(name: string, usage: CertificateUsage): Expected {
    return { ca: this.o.ca.certificate, name, usage };
  }

  private issue(name: string, usage: CertificateUsage): Promise<IssuedCertificate> {
    const now = this.now();
    const validity = this.o.validityMs ?? DEFAULT_VALIDITY_MS;
    return this.o.ca.issue({
      name,
      usage,
      notBefore: new Date(now - Math.min(BACKDATE_MS, validity * BACKDATE_SHARE)),
      notAfter: new Date(now + validity),
    });
  }

  private logIssued(which: 'agent' | 'operator', reason: string, cert: X509Certificate): void {
    this.o.log.info(
      { certificate: which, subject: cert.subject, serial: cert.serialNumber, notAfter: cert.validTo, reason },
      `Issued the ${which} certificate`,
    );
  }
}
