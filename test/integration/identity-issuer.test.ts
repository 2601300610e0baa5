// The chart's default identities, end to end on the real API server: `helm install` makes a CA and an empty
// agents' Secret; the operator's issuer (operator/identity, run as the operator's ServiceAccount through
// impersonation, so the chart's RBAC is what allows it) fills that Secret with a server-only certificate
// and writes its own client-only one. openssl reads both; a real agent serves the Secret's files (as the
// kubelet writes them), the operator's gRPC client talks to it with its issued identity, and the agent's
// key is refused as a client. A renewal (clock moved past two thirds) reaches new connections while a
// recording goes on.
import { execFile } from 'node:child_process';
import { randomBytes, X509Certificate } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connect } from 'node:tls';
import { promisify } from 'node:util';
import { CoreV1Api, type V1Secret } from '@kubernetes/client-node';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GrpcAgentClient } from '../../operator/dispatch/grpc-agent-client.js';
import { CertificateAuthority } from '../../operator/identity/certificate-authority.js';
import { RENEW_AFTER } from '../../operator/identity/certificate-check.js';
import { identityPaths } from '../../operator/identity/identity-files.js';
import { IdentityIssuer } from '../../operator/identity/identity-issuer.js';
import { kubeConfig } from '../env/kube.js';
import { channelCredentials, record, recorderClient } from './agent-clients.js';
import { PORT_X, hubbleStart } from './agent-harness.js';
import { startAgentProcess, type AgentProcess } from './agent-process.js';
import { udpFlood } from './agent-traffic.js';
import { chartDir, helmRunner, type Helm } from './helm-fixtures.js';
import { impersonating } from './tenancy-fixtures.js';

const run = promisify(execFile);
const id = randomBytes(3).toString('hex');
const release = `ids-${id}`;
const namespace = `tapedeck-ids-${id}`;
const agentSecret = `${release}-tapedeck-agent-tls`;
const VALIDITY_MS = 90 * 86_400_000;
const admin = kubeConfig();
const core = admin.makeApiClient(CoreV1Api);

let helm: Helm;
let dir = '';
// The issuer's clock starts two thirds of a validity in the past, so that its first certificates are valid
// now and due for renewal when the clock is set to the real time.
let now = Date.now() - VALIDITY_MS * RENEW_AFTER - 60_000;
let issuer: IdentityIssuer;
let agent: AgentProcess | undefined;
const own = (): ReturnType<typeof identityPaths> => identityPaths(path.join(dir, 'operator'));
const agentFiles = (): ReturnType<typeof identityPaths> => identityPaths(path.join(dir, 'agent-volume'));

const secretData = async (): Promise<Record<string, string>> => {
  const secret: V1Secret = await core.readNamespacedSecret({ namespace, name: agentSecret });
  return Object.fromEntries(
    Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]),
  );
};

/** openssl's reading of a PEM certificate: subject, SAN and extended key usage lines. */
async function openssl(pem: string): Promise<string> {
  const child = run('openssl', ['x509', '-noout', '-subject', '-ext', 'subjectAltName,extendedKeyUsage']);
  child.child.stdin?.end(pem);
  return (await child).stdout;
}

/** What the kubelet does with the agents' Secret: its keys as files, replaced by renames. */
async function projectAgentSecret(): Promise<void> {
  const data = await secretData();
  const files = agentFiles();
  await mkdir(path.dirname(files.cert), { recursive: true });
  for (const [key, file] of [
    ['ca.crt', files.ca],
    ['tls.key', files.key],
    ['tls.crt', files.cert],
  ] as const) {
    await writeFile(`${file}.new`, data[key] ?? '', { mode: 0o400 });
    await rename(`${file}.new`, file);
  }
}

/** The serial of the certificate the agent presents on a new TLS connection. */
async function servedSerial(): Promise<string> {
  const [ca, cert, key] = await Promise.all([readFile(own().ca), readFile(own().cert), readFile(own().key)]);
  return new Promise((resolve, reject) => {
    const socket = connect(
      { host: '127.0.0.1', port: agent?.port, ca, cert, key, servername: 'tapedeck-agent', ALPNProtocols: ['h2'] },
      () => {
        resolve(socket.getPeerX509Certificate()?.serialNumber ?? '');
        socket.destroy();
      },
    );
    socket.once('error', reject);
  });
}

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error('agent tests need root (CAP_NET_RAW)');
  dir = await mkdtemp(path.join(tmpdir(), 'tapedeck-issuer-'));
  helm = await helmRunner(`identity-issuer-${id}`);
  await helm('install', release, chartDir, '--namespace', namespace, '--create-namespace');
  // The operator's mounted CA volume.
  const ca = await core.readNamespacedSecret({ namespace, name: `${release}-tapedeck-ca` });
  const caPem = Buffer.from(ca.data?.['tls.crt'] ?? '', 'base64').toString();
  const caKey = Buffer.from(ca.data?.['tls.key'] ?? '', 'base64').toString();
  await writeFile(path.join(dir, 'ca.crt'), caPem);
  const operatorAccount = `system:serviceaccount:${namespace}:${release}-tapedeck-operator`;
  issuer = new IdentityIssuer({
    ca: await CertificateAuthority.load(caPem, caKey),
    secrets: impersonating(admin, operatorAccount).makeApiClient(CoreV1Api),
    namespace,
    agentSecret,
    agentName: 'tapedeck-agent',
    operatorIdentity: 'tapedeck-operator',
    ownDir: path.join(dir, 'operator'),
    validityMs: VALIDITY_MS,
    now: () => now,
    log: pino({ level: 'silent' }),
  });
});

afterAll(async () => {
  issuer?.stop();
  await agent?.stop();
  await helm?.('uninstall', release, '--namespace', namespace).catch(() => undefined);
  await core.deleteNamespace({ name: namespace }).catch(() => undefined);
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('identities the operator issues from the chart CA', () => {
  it("should fill the chart's empty agents' Secret with a server-only certificate and make itself a client-only one", async () => {
    expect(await secretData()).toEqual({ 'ca.crt': '', 'tls.crt': '', 'tls.key': '' });
    await issuer.start();
    const data = await secretData();
    const agentText = await openssl(data['tls.crt'] ?? '');
    console.log(`agent certificate:\n${agentText}`);
    expect(agentText).toMatch(/CN ?= ?tapedeck-agent[\s\S]*DNS:tapedeck-agent/);
    expect(agentText).toContain('TLS Web Server Authentication');
    expect(agentText).not.toContain('TLS Web Client Authentication');
    const operatorText = await openssl(await readFile(own().cert, 'utf8'));
    console.log(`operator certificate:\n${operatorText}`);
    expect(operatorText).toMatch(/CN ?= ?tapedeck-operator/);
    expect(operatorText).toContain('TLS Web Client Authentication');
    expect(operatorText).not.toContain('TLS Web Server Authentication');
    // Both chain to the chart's CA, as openssl verifies them for their purpose.
    await writeFile(path.join(dir, 'agent.crt'), data['tls.crt'] ?? '');
    const verify = (purpose: string, file: string) =>
      run('openssl', ['verify', '-purpose', purpose, '-CAfile', path.join(dir, 'ca.crt'), file]).then(
        (r) => r.stdout.trim(),
        (e: { stdout?: string; stderr?: string }) => `${e.stdout ?? ''}${e.stderr ?? ''}`.trim(),
      );
    expect(await verify('sslserver', path.join(dir, 'agent.crt'))).toMatch(/: OK$/);
    expect(await verify('sslclient', own().cert)).toMatch(/: OK$/);
    const agentAsClient = await verify('sslclient', path.join(dir, 'agent.crt'));
    console.log(`openssl verify -purpose sslclient, the agent certificate: ${agentAsClient}`);
    expect(agentAsClient).toMatch(/unsuitable certificate purpose/);
    // A second check changes nothing while both are current.
    const before = (await core.readNamespacedSecret({ namespace, name: agentSecret })).metadata?.resourceVersion;
    await issuer.ensureAgents();
    await issuer.ensureOwn();
    expect((await core.readNamespacedSecret({ namespace, name: agentSecret })).metadata?.resourceVersion).toBe(before);
    expect(await openssl(await readFile(own().cert, 'utf8'))).toBe(operatorText);
  });

  it("should let the operator's issued identity call an agent serving the Secret, and refuse the agent's key as a client", async () => {
    await projectAgentSecret();
    agent = await startAgentProcess({
      args: [
        ...['--node-name', 'node-a', '--listen', '127.0.0.1:0', '--data-dir', path.join(dir, 'data')],
        ...['--tls-cert', agentFiles().cert, '--tls-key', agentFiles().key, '--tls-ca', agentFiles().ca],
        ...['--hubble-interface', 'lo'],
      ],
    });
    const operator = new GrpcAgentClient(
      { addressOf: () => `127.0.0.1:${agent?.port}` },
      { caFile: own().ca, certFile: own().cert, keyFile: own().key, serverName: 'tapedeck-agent' },
    );
    try {
      await expect(operator.listSessions('node-a')).resolves.toEqual([]);
    } finally {
      operator.close();
    }
    // The agents' key as a client: the agent's TLS server ends the handshake (TLS 1.2, so the client
    // certificate is judged within it; the unit test shows OpenSSL's verdict, INVALID_PURPOSE), while the
    // operator's certificate on the same path gets the server's HTTP/2 settings.
    const handshake = async (files: ReturnType<typeof identityPaths>): Promise<string> => {
      const [ca, cert, key] = await Promise.all([readFile(files.ca), readFile(files.cert), readFile(files.key)]);
      return new Promise<string>((resolve) => {
        const socket = connect({
          ...{ host: '127.0.0.1', port: agent?.port, ca, cert, key, servername: 'tapedeck-agent' },
          ...{ ALPNProtocols: ['h2'], maxVersion: 'TLSv1.2' as const },
        });
        socket.once('secureConnect', () =>
          socket.once('data', () => {
            resolve('served');
            socket.destroy();
          }),
        );
        socket.once('error', (error) => resolve(error.message));
        socket.once('close', () => resolve('closed without a reason'));
      });
    };
    expect(await handshake(own())).toBe('served');
    const refused = await handshake(agentFiles());
    console.log(`the agents' key as a client: ${refused}`);
    expect(refused).toBe('Client network socket disconnected before secure TLS connection was established');
  });

  it('should renew both at two thirds of their validity; new connections get them while a recording goes on', async () => {
    const before = await servedSerial();
    const [ca, cert, key] = await Promise.all([readFile(own().ca), readFile(own().cert), readFile(own().key)]);
    const client = recorderClient(`127.0.0.1:${agent?.port}`, channelCredentials({ ca, cert, key }));
    let running: () => void = () => undefined;
    const started = new Promise<void>((resolve) => (running = resolve));
    const flood = udpFlood([{ host: '127.0.0.1', port: PORT_X }], 2, 20);
    const outcome = record(client, [hubbleStart({ stopCondition: { packetsCapturedCount: 400 } })], {
      onResponse: (r) => (r.responseType === 'running' ? running() : undefined),
    });
    await started;
    const ownBefore = new X509Certificate(cert).serialNumber;
    now = Date.now();
    await issuer.ensureOwn();
    await issuer.ensureAgents();
    expect(new X509Certificate(await readFile(own().cert)).serialNumber).not.toBe(ownBefore);
    const renewed = new X509Certificate((await secretData())['tls.crt'] ?? '').serialNumber;
    expect(renewed).not.toBe(before);
    await projectAgentSecret();
    const deadline = Date.now() + 30_000;
    while ((await servedSerial()) !== renewed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
    expect(await servedSerial()).toBe(renewed);
    const { error, responses } = await outcome.finally(() => flood.stop());
    client.close();
    expect(error).toBeUndefined();
    expect(responses.at(-1)?.stopped?.stats?.packetsCaptured).toBe(400);
  }, 60_000);
});
