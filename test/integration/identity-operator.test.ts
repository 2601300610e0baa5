// The operator knows which agents it talks to: a server certificate from the agents' CA must also be an
// agent's (names mtls.agentServerName, is for server authentication, is not the operator's identity).
// Real agent processes serve each certificate; the operator's gRPC client (with watched certificate
// files, as the binary runs) dials them.
import { mkdtemp, rename, rm } from 'node:fs/promises';
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

  it('should use a rotated client certificate on new connections while open ones go on', async () => {
    const start = async (data: string): Promise<AgentProcess> => {
      const agent = await startAgentProcess({
        args: [
          ...['--node-name', 'node-a', '--listen', '127.0.0.1:0', '--data-dir', path.join(dir, data)],
          ...['--tls-cert', pki.serverCert, '--tls-key', pki.serverKey, '--tls-ca', pki.caCert],
        ],
      });
      agents.push(agent);
      return agent;
    };
    const [first, second] = [await start('rot-1'), await start('rot-2')];
    const addresses: Record<string, string> = { one: `127.0.0.1:${first.port}`, two: `127.0.0.1:${second.port}` };
    // Files the operator watches, as a Secret volume: the client certificate is replaced by renames.
    await issue(dir, 'ca', 'rotating', 'extendedKeyUsage=clientAuth\n', 'tapedeck-operator');
    const client = new GrpcAgentClient(
      { addressOf: (node) => addresses[node] },
      {
        caFile: pki.caCert,
        certFile: path.join(dir, 'rotating.crt'),
        keyFile: path.join(dir, 'rotating.key'),
        serverName: AGENT_TLS_NAME,
        refreshMs: 200,
      },
    );
    try {
      await client.listSessions('one');
      // The new certificate carries another identity, so the agents' refusal shows which one was used.
      await issue(dir, 'ca', 'next', 'extendedKeyUsage=clientAuth\n', 'rotated-identity');
      await rename(path.join(dir, 'next.key'), path.join(dir, 'rotating.key'));
      await rename(path.join(dir, 'next.crt'), path.join(dir, 'rotating.crt'));
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const refused = await client.listSessions('two').then(
        () => '',
        (error: unknown) => String(error),
      );
      expect(refused).toContain('client identity rotated-identity is not allowed');
      // The open connection to the first agent keeps the certificate it was made with.
      await expect(client.listSessions('one')).resolves.toEqual([]);
    } finally {
      client.close();
    }
  });
});
