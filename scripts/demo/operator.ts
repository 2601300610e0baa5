// The demo's operator: tapedeck-operator from source with the control plane's kubeconfig and the
// agent's client certificate, no leader election (one replica), probes on a free loopback port.
import path from 'node:path';
import { AGENT_NAMESPACE, AGENT_TLS_NAME } from './agent.js';
import type { DemoAgent } from './agent.js';
import { startChild } from './child.js';
import type { DemoChild } from './child.js';
import { DemoError, DemoErrorCode } from './errors.js';

const READY_TIMEOUT_MS = 60_000;

export async function startOperator(
  demoDir: string,
  kubeconfig: string,
  agent: DemoAgent,
  namespace: string,
): Promise<DemoChild> {
  const child = startChild(
    'tapedeck-operator',
    'operator/main.ts',
    [
      ...['--kubeconfig', kubeconfig, '--leader-elect', 'false', '--http-bind', '127.0.0.1:0'],
      ...['--agent-namespace', AGENT_NAMESPACE, '--watch-namespace', namespace],
      ...['--tls-ca', agent.pki.caCert, '--tls-cert', agent.pki.clientCert, '--tls-key', agent.pki.clientKey],
      ...['--tls-server-name', AGENT_TLS_NAME],
    ],
    path.join(demoDir, 'operator.log'),
  );
  try {
    await child.waitForLog((e) => e.msg === 'Caches synced', READY_TIMEOUT_MS);
    return child;
  } catch (error) {
    await child.stop();
    throw new DemoError(DemoErrorCode.Operator, `The operator did not start: ${(error as Error).message}`, {
      cause: error,
    });
  }
}
