// The operator knows which agents it talks to: a server certificate from the agents' CA must also be an
// agent's (names mtls.agentServerName, is for server authentication, is not the operator's identity).
// Real agent processes serve each certificate; the operator's gRPC client (with watched certificate
// files, as the binary runs) dials them.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GrpcAgentClient } from '../../operator/dispatch/grpc-agent-client.js';
import { AGENT_TLS_NAME, issue, makePki, type Pki } from './agent-pki.js';
import { startAgentProcess, type AgentProcess } from './agent-process.js';

let dir = '';
let pki: Pki;
const agents: AgentProcess[] = [];

/** An agent serving certificate `name` of the test PKI; the operator's listSessions outcome against it. */
async function dialAgentServing(name: string): Promise<string> {
  const agent = await startAgentProcess({
    args: [
      ...['--node-name', 'node-a', '--listen', '127.0.0.1:0', '--data-dir', path.join(dir, `data-${name}`)],
      ...['--tls-cert', path.join(dir, `${name}.crt`), '--tls-key', path.join(dir, `${name}.key`)],
      ...['--tls-ca', pki.caCert],
    ],
  });
  agents.push(agent);
  const client = new GrpcAgentClient(
    { addressOf: () => `127.0.0.1:${agent.port}` },
    { caFile: pki.caCert, certFile: pki.clientCert, keyFile: pki.clientKey, serverName: AGENT_TLS_NAME },
  );
  try {
    await client.listSessions('node-a');
    return '';
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    client.close();
  }
}

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error('agent tests need root (CAP_NET_RAW)');
  dir = await mkdtemp(path.join(tmpdir(), 'tapedeck-identity-'));
  pki = await makePki(dir);
  const san = `subjectAltName=DNS:${AGENT_TLS_NAME}\n`;
  await issue(dir, 'ca', 'hubble-as-agent', `${san}extendedKeyUsage=clientAuth\n`, 'hubble-ops');
  await issue(dir, 'ca', 'operator-as-agent', `${san}extendedKeyUsage=serverAuth\n`, 'tapedeck-operator');
  await issue(dir, 'ca', 'other-name', 'subjectAltName=DNS:minio\nextendedKeyUsage=serverAuth\n');
});

afterAll(async () => {
  await Promise.all(agents.map((a) => a.stop()));
  if (dir !== '') await rm(dir, { recursive: true, force: true });
});

describe("operator's check of agent identities", () => {
  it("should talk to an agent serving an agent's certificate", async () => {
    expect(await dialAgentServing('server')).toBe('');
  });

  it.each([
    [
      'a client certificate (a Hubble client of the same CA)',
      'hubble-as-agent',
      /not for server authentication|unsuitable certificate purpose/,
    ],
    [
      "a certificate with the operator's identity",
      'operator-as-agent',
      /carries the operator's identity, not an agent's/,
    ],
    ['a certificate for another name', 'other-name', /is not an agent's: it does not name tapedeck-agent/],
  ])('should refuse an agent serving %s', async (_case, name, reason) => {
    const message = await dialAgentServing(name);
    console.log(`${name}: ${message}`);
    expect(message).toMatch(reason);
  });
});
