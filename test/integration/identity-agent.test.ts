// The agent knows who calls it: over mTLS it serves the operator's identity and the identities an admin
// lists (--allow-client) for Hubble-style clients, and refuses every other certificate of the same CA. Its
// certificate files are watched: after a rotation new connections get the new certificate while a running
// recording goes on.
import { spawn } from 'node:child_process';
import { randomBytes, X509Certificate } from 'node:crypto';
import { readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import { connect } from 'node:tls';
import type { ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveBinary } from '../env/versions.js';
import { agentClient, channelCredentials, record, recorderClient, unary } from './agent-clients.js';
import { PORT_X, hubbleStart, startTestAgent, type TestAgent } from './agent-harness.js';
import { AGENT_TLS_NAME, issue } from './agent-pki.js';
import { tsharkCount, udpFlood } from './agent-traffic.js';

const HUBBLE_IDENTITY = 'hubble-ops';
let t: TestAgent;

const pem = async (name: string): Promise<{ ca: Buffer; cert: Buffer; key: Buffer }> => ({
  ca: await readFile(t.pki.caCert),
  cert: await readFile(path.join(t.pki.dir, `${name}.crt`)),
  key: await readFile(path.join(t.pki.dir, `${name}.key`)),
});

/** ListSessions with the client certificate `name` of the test PKI: '' when served, else the error. */
async function listAs(name: string): Promise<string> {
  const client = agentClient(t.address, channelCredentials(await pem(name)));
  try {
    await unary(client.ListSessions.bind(client), {});
    return '';
  } catch (error) {
    const e = error as ServiceError;
    return `${e.code} ${e.details}`;
  } finally {
    client.close();
  }
}

/** The serial number of the certificate the agent presents on a new TLS connection. */
async function servedSerial(): Promise<string> {
  const { cert, key, ca } = await pem('client');
  const [host = '', port = ''] = t.address.split(':');
  return new Promise((resolve, reject) => {
    const socket = connect(
      { host, port: Number(port), ca, cert, key, servername: AGENT_TLS_NAME, ALPNProtocols: ['h2'] },
      () => {
        resolve(socket.getPeerX509Certificate()?.serialNumber ?? '');
        socket.destroy();
      },
    );
    socket.once('error', reject);
  });
}

beforeAll(async () => {
  t = await startTestAgent(['--allow-client', 'tapedeck-operator', '--allow-client', HUBBLE_IDENTITY]);
  const dir = t.pki.dir;
  await issue(dir, 'ca', 'intruder', 'extendedKeyUsage=clientAuth\n', 'tapedeck-agent-node-b');
  await issue(dir, 'ca', 'hubble', 'extendedKeyUsage=clientAuth\n', HUBBLE_IDENTITY);
  await issue(dir, 'ca', 'operator-as-server', 'extendedKeyUsage=serverAuth\n', 'tapedeck-operator');
});

afterAll(async () => {
  await t?.close();
});

describe('agent client identities', () => {
  it("should serve the operator's identity", async () => {
    expect(await listAs('client')).toBe('');
  });

  it("should refuse a client certificate from the same CA that is not the operator's", async () => {
    expect(await listAs('intruder')).toBe(
      '7 client identity tapedeck-agent-node-b is not allowed: the agent accepts tapedeck-operator, hubble-ops',
    );
  });

  it('should refuse a certificate that is not for client authentication, whatever its name', async () => {
    expect(await listAs('operator-as-server')).toMatch(/^14 |^7 .*not for client authentication/);
  });

  it('should let a listed Hubble identity record with the real hubble CLI', async () => {
    const hubble = await resolveBinary('hubble');
    const flood = udpFlood([{ host: '127.0.0.1', port: PORT_X }], 5, 10);
    const args = [
      ...['record', '--server', t.address, '--tls', '--tls-ca-cert-files', t.pki.caCert],
      ...['--tls-client-cert-file', path.join(t.pki.dir, 'hubble.crt')],
      ...['--tls-client-key-file', path.join(t.pki.dir, 'hubble.key'), '--tls-server-name', AGENT_TLS_NAME],
      ...['--packet-limit', '25', `127.0.0.1/32 0 127.0.0.0/8 ${PORT_X} UDP`],
    ];
    const child = spawn(hubble, args, { cwd: t.dir, env: { PATH: process.env.PATH ?? '', HOME: t.dir } });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve)).finally(() =>
      flood.stop(),
    );
    expect(code).toBe(0);
    const file = /Output: (\S+)$/m.exec(stdout)?.[1] ?? '';
    expect(await tsharkCount(file)).toBe(25);
  });

  it('should present a rotated certificate on new connections while a recording goes on', async () => {
    const before = await servedSerial();
    const client = recorderClient(t.address, channelCredentials(await pem('client')));
    let running: () => void = () => undefined;
    const started = new Promise<void>((resolve) => (running = resolve));
    const flood = udpFlood([{ host: '127.0.0.1', port: PORT_X }], 2, 20);
    const outcome = record(client, [hubbleStart({ stopCondition: { packetsCapturedCount: 400 } })], {
      onResponse: (r) => (r.responseType === 'running' ? running() : undefined),
    });
    await started;
    // A new server certificate and key, swapped in with renames as the kubelet swaps a Secret volume.
    const id = randomBytes(3).toString('hex');
    await issue(t.pki.dir, 'ca', `server-${id}`, `subjectAltName=DNS:${AGENT_TLS_NAME}\nextendedKeyUsage=serverAuth\n`);
    await rename(path.join(t.pki.dir, `server-${id}.key`), t.pki.serverKey);
    await rename(path.join(t.pki.dir, `server-${id}.crt`), t.pki.serverCert);
    const rotated = new X509Certificate(await readFile(t.pki.serverCert)).serialNumber;
    expect(rotated).not.toBe(before);
    const deadline = Date.now() + 30_000;
    while ((await servedSerial()) !== rotated && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
    expect(await servedSerial()).toBe(rotated);
    const { error, responses } = await outcome.finally(() => flood.stop());
    client.close();
    expect(error).toBeUndefined();
    expect(responses.at(-1)?.stopped?.stats?.packetsCaptured).toBe(400);
  }, 60_000);
});
