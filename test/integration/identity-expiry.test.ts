// Certificate expiry where operators look: the real operator binary exports the end of validity of its own
// client certificate and of the agent certificates it accepted as a gauge, and records one Warning Event
// CertificateExpiring on its Pod for each certificate within two weeks of its end (the test PKI's
// certificates are valid for two days).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestNodes } from '../env/kube.js';
import type { SimulatedNodes } from '../env/nodes.js';
import { metric, startNodeAgents, startOperatorProcess } from '../e2e/operator-processes.js';
import type { OperatorProcess } from '../e2e/operator-processes.js';
import { makePki, type Pki } from './agent-pki.js';
import type { AgentProcess } from './agent-process.js';
import { OperatorHarness, waitFor } from './operator-harness.js';

const h = new OperatorHarness();
let dir = '';
let sim: SimulatedNodes | undefined;
let pki: Pki;
let agents: AgentProcess[] = [];
let operator: OperatorProcess | undefined;

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error('network namespace tests need root (CAP_NET_ADMIN, CAP_NET_RAW)');
  dir = await mkdtemp(path.join(tmpdir(), 'tapedeck-expiry-'));
  await h.setup([]);
  sim = await createTestNodes(1, { labels: () => ({ 'op-run': h.run }) });
  pki = await makePki(dir);
  agents = await startNodeAgents(h, sim.nodes, pki, dir);
  operator = await startOperatorProcess(h, pki, `expiry-${h.run}`, {
    leaseDurationMs: 3_000,
    renewDeadlineMs: 2_000,
    retryPeriodMs: 250,
  });
  await operator.leading;
});

afterAll(async () => {
  operator?.child.kill('SIGKILL');
  await Promise.all(agents.map((a) => a.stop()));
  await sim?.destroy();
  await h.teardown();
  if (dir !== '') await rm(dir, { recursive: true, force: true });
});

describe('certificate expiry', () => {
  it('should export both certificates as a gauge and warn once each with an Event on the operator Pod', async () => {
    await h.create('expiry', { target: { nodeSelector: h.selector() }, schedule: { duration: '1m' } });
    await h.waitPhase('expiry', 'Running');
    const end = async (file: string): Promise<number> =>
      Math.floor(Date.parse(new X509Certificate(await readFile(file)).validTo) / 1000);
    const gauge = 'tapedeck_operator_certificate_expiry_timestamp_seconds';
    expect(await metric(operator!, `${gauge}{certificate="operator",subject="tapedeck-operator"}`)).toBe(
      await end(pki.clientCert),
    );
    expect(await metric(operator!, `${gauge}{certificate="agent",subject="server"}`)).toBe(await end(pki.serverCert));
    const events = await waitFor('two CertificateExpiring Events', async () => {
      const list = await h.core.listNamespacedEvent({
        namespace: h.namespace,
        fieldSelector: `involvedObject.name=expiry-${h.run},reason=CertificateExpiring`,
      });
      return list.items.length === 2 ? list.items : undefined;
    });
    for (const event of events) {
      expect(event.type).toBe('Warning');
      expect(event.involvedObject.kind).toBe('Pod');
      expect(event.message).toMatch(/certificate .* expires at .*, in [01] days: rotate it/);
    }
    console.log(events.map((e) => e.message).join('\n'));
  });
});
