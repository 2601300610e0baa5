// Certificate expiry, where operators look: a gauge per certificate (the operator's own client certificate,
// read from its watched file, and every agent certificate a handshake accepted) and one Warning Event
// CertificateExpiring on the operator's Pod when one is within EXPIRY_WARNING_MS of its end.
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { PeerCertificate } from 'node:tls';
import { CoreV1Api } from '@kubernetes/client-node';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { Gauge } from 'prom-client';
import type { Registry } from 'prom-client';

export const EXPIRY_WARNING_MS = 14 * 24 * 3600 * 1000;
/** The operator's own certificate file is read again this often (it may be rotated). */
export const EXPIRY_CHECK_MS = 60_000;

export interface ExpiryOptions {
  registry: Registry;
  kubeConfig: KubeConfig;
  /** The Pod the Warning Events are about (the operator's own). */
  pod: { name: string; namespace: string };
  log: Logger;
  now?: () => number;
}

export class CertificateExpiry {
  private readonly gauge: Gauge<'certificate' | 'subject'>;
  private readonly core: CoreV1Api;
  private readonly warned = new Set<string>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly o: ExpiryOptions) {
    this.gauge = new Gauge({
      name: 'tapedeck_operator_certificate_expiry_timestamp_seconds',
      help: 'When a certificate stops being valid (Unix seconds): the operator client certificate, agent server certificates seen.',
      labelNames: ['certificate', 'subject'] as const,
      registers: [o.registry],
    });
    this.core = o.kubeConfig.makeApiClient(CoreV1Api);
  }

  /** Records one certificate's end of validity; warns once per certificate (serial) near its end. */
  async observe(certificate: 'operator' | 'agent', subject: string, serial: string, notAfter: Date): Promise<void> {
    this.gauge.set({ certificate, subject }, Math.floor(notAfter.getTime() / 1000));
    const left = notAfter.getTime() - (this.o.now ?? Date.now)();
    if (left > EXPIRY_WARNING_MS || this.warned.has(serial)) return;
    this.warned.add(serial);
    const days = Math.max(0, Math.floor(left / 86_400_000));
    const message = `The ${certificate} certificate ${subject} (serial ${serial}) expires at ${notAfter.toISOString()}, in ${days} days: rotate it (see helm/tapedeck/README.md)`;
    this.o.log.warn({ certificate, subject, notAfter }, 'Certificate expiring');
    const { name, namespace } = this.o.pod;
    const now = new Date();
    await this.core
      .createNamespacedEvent({
        namespace,
        body: {
          metadata: { generateName: `${name}.`, namespace },
          involvedObject: { apiVersion: 'v1', kind: 'Pod', name, namespace },
          type: 'Warning',
          reason: 'CertificateExpiring',
          message,
          source: { component: 'tapedeck-operator' },
          firstTimestamp: now,
          lastTimestamp: now,
          count: 1,
        },
      })
      .catch((error: unknown) => this.o.log.warn({ err: error }, 'Failed to record event'));
  }

  /** For agentCredentials(): an agent certificate a handshake accepted. */
  readonly seenAgent = (cert: PeerCertificate): void => {
    const cn = cert.subject?.CN;
    void this.observe('agent', (Array.isArray(cn) ? cn[0] : cn) ?? '', cert.serialNumber, new Date(cert.valid_to));
  };

  /** Watches the operator's own certificate file. */
  async watchOwn(certFile: string): Promise<void> {
    const check = async (): Promise<void> => {
      const cert = new X509Certificate(await readFile(certFile));
      await this.observe('operator', cert.subject.replace(/^CN=/, ''), cert.serialNumber, new Date(cert.validTo));
    };
    await check();
    this.timer = setInterval(() => void check().catch(() => undefined), EXPIRY_CHECK_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
  }
}
