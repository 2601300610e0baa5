import { createPrivateKey, randomBytes, webcrypto, X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { createServer, connect, type TLSSocket } from 'node:tls';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as x509 from '@peculiar/x509';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CertificateAuthority, USAGE_OID, type IssuedCertificate } from './certificate-authority.js';
import { renewalReason, RENEW_AFTER } from './certificate-check.js';
import { identityPaths, writeIdentity } from './identity-files.js';

const DAY = 86_400_000;
const RSA = {
  name: 'RSASSA-PKCS1-v1_5',
  hash: 'SHA-256',
  modulusLength: 2048,
  publicExponent: new Uint8Array([1, 0, 1]),
};

/** A self-signed CA as the chart's genCA makes one (RSA), or with a leaf's extensions when `ca` is false. */
async function selfSigned(name: string, ca = true): Promise<{ cert: string; key: string }> {
  const keys = await webcrypto.subtle.generateKey(RSA, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: `CN=${name}`,
    notBefore: new Date(Date.now() - DAY),
    notAfter: new Date(Date.now() + 365 * DAY),
    keys: keys as never,
    signingAlgorithm: RSA,
    // A subjectKeyIdentifier not derived the way the library derives one (Go's genCA does the same).
    extensions: [
      new x509.BasicConstraintsExtension(ca, undefined, true),
      new x509.SubjectKeyIdentifierExtension(randomBytes(20).toString('hex')),
    ],
  });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return { cert: cert.toString('pem'), key: x509.PemConverter.encode(pkcs8, 'PRIVATE KEY') };
}

/** A leaf with both TLS usages, as Sprig's genSignedCert makes them. */
async function dualPurpose(ca: { cert: string; key: string }, name: string): Promise<string> {
  const keys = await webcrypto.subtle.generateKey(RSA, true, ['sign', 'verify']);
  const signer = await webcrypto.subtle.importKey(
    'pkcs8',
    createPrivateKey(ca.key).export({ format: 'der', type: 'pkcs8' }),
    RSA,
    false,
    ['sign'],
  );
  const leaf = await x509.X509CertificateGenerator.create({
    serialNumber: '02',
    subject: `CN=${name}`,
    issuer: new x509.X509Certificate(ca.cert).subjectName,
    notBefore: new Date(Date.now() - DAY),
    notAfter: new Date(Date.now() + 90 * DAY),
    signingKey: signer as never,
    publicKey: keys.publicKey as never,
    signingAlgorithm: RSA,
    extensions: [
      new x509.ExtendedKeyUsageExtension([USAGE_OID.server, USAGE_OID.client]),
      new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: name }]),
    ],
  });
  return leaf.toString('pem');
}

/**
 * One TLS handshake: a server with `server`'s certificate checking a client certificate against the CA.
 * The server does not reject, so the verdict OpenSSL reached (authorized or its error code) is readable.
 */
async function handshake(server: IssuedCertificate, client: IssuedCertificate, name: string): Promise<string> {
  const tls = createServer({
    key: server.key,
    cert: server.cert,
    ca: server.ca,
    requestCert: true,
    rejectUnauthorized: false,
  });
  const verdict = new Promise<string>((resolve) => {
    tls.on('secureConnection', (socket: TLSSocket) =>
      resolve(
        socket.authorized
          ? `accepted ${socket.getPeerCertificate().subject.CN}`
          : `refused: ${String(socket.authorizationError)}`,
      ),
    );
    tls.on('tlsClientError', (error) => resolve(`failed: ${error.message}`));
  });
  await new Promise<void>((resolve) => tls.listen(0, '127.0.0.1', resolve));
  const port = (tls.address() as { port: number }).port;
  const socket = connect({
    host: '127.0.0.1',
    port,
    servername: name,
    key: client.key,
    cert: client.cert,
    ca: client.ca,
  });
  socket.on('error', () => undefined);
  try {
    return await verdict;
  } finally {
    socket.destroy();
    tls.close();
  }
}

describe('CertificateAuthority', () => {
  let caPem: { cert: string; key: string };
  let ca: CertificateAuthority;
  let agent: IssuedCertificate;
  let operator: IssuedCertificate;
  const now = Date.now();
  const window = { notBefore: new Date(now - 60_000), notAfter: new Date(now + 90 * DAY) };

  beforeAll(async () => {
    caPem = await selfSigned('tapedeck CA');
    ca = await CertificateAuthority.load(caPem.cert, caPem.key);
    agent = await ca.issue({ name: 'tapedeck-agent', usage: 'server', ...window });
    operator = await ca.issue({ name: 'tapedeck-operator', usage: 'client', ...window });
  });

  it('should issue an agent certificate for server authentication only, naming the agents, chained to the CA', () => {
    const cert = new X509Certificate(agent.cert);
    expect(cert.keyUsage).toEqual([USAGE_OID.server]);
    expect(cert.subject).toBe('CN=tapedeck-agent');
    expect(cert.subjectAltName).toBe('DNS:tapedeck-agent');
    expect(cert.ca).toBe(false);
    expect(cert.checkIssued(ca.certificate) && cert.verify(ca.certificate.publicKey)).toBe(true);
    expect(cert.checkPrivateKey(createPrivateKey(agent.key))).toBe(true);
    expect(new Date(cert.validTo).getTime()).toBe(Math.floor(window.notAfter.getTime() / 1000) * 1000);
    expect(agent.ca.trim()).toBe(caPem.cert.trim());
  });

  it('should issue the operator a certificate for client authentication only', () => {
    const cert = new X509Certificate(operator.cert);
    expect(cert.keyUsage).toEqual([USAGE_OID.client]);
    expect(cert.subject).toBe('CN=tapedeck-operator');
    expect(cert.serialNumber).not.toBe(new X509Certificate(agent.cert).serialNumber);
  });

  it("should let the operator's certificate through a TLS server's client check and refuse the agent's", async () => {
    expect(await handshake(agent, operator, 'tapedeck-agent')).toBe('accepted tapedeck-operator');
    // The agent's key is worth nothing as a client: OpenSSL refuses its purpose in the handshake.
    expect(await handshake(agent, agent, 'tapedeck-agent')).toBe('refused: INVALID_PURPOSE');
  });

  it('should refuse a CA certificate that is not a CA and a key that is not its own, saying which', async () => {
    const leaf = await selfSigned('not a ca', false);
    await expect(CertificateAuthority.load(leaf.cert, leaf.key)).rejects.toThrow(/CN=not a ca is not a CA/);
    const other = await selfSigned('other CA');
    await expect(CertificateAuthority.load(caPem.cert, other.key)).rejects.toThrow(/does not belong/);
  });

  describe('renewalReason', () => {
    const expected = (name = 'tapedeck-agent', usage: 'server' | 'client' = 'server') => ({
      ca: ca.certificate,
      name,
      usage,
    });

    it('should keep a current certificate and renew one that is missing, foreign, dual-purpose or misnamed', async () => {
      expect(renewalReason(agent.cert, expected(), now)).toBeUndefined();
      expect(renewalReason(undefined, expected(), now)).toBe('none issued yet');
      expect(renewalReason('', expected(), now)).toBe('none issued yet');
      expect(renewalReason('garbage', expected(), now)).toMatch(/^unreadable/);
      const foreign = await (
        await CertificateAuthority.load(...(Object.values(await selfSigned('x')) as [string, string]))
      ).issue({
        name: 'tapedeck-agent',
        usage: 'server',
        ...window,
      });
      expect(renewalReason(foreign.cert, expected(), now)).toBe('not issued by the current CA');
      expect(renewalReason(await dualPurpose(caPem, 'tapedeck-agent'), expected(), now)).toMatch(
        /not for server authentication only \(extendedKeyUsage 1\.3\.6\.1\.5\.5\.7\.3\.1, 1\.3\.6\.1\.5\.5\.7\.3\.2\)/,
      );
      expect(renewalReason(operator.cert, expected(), now)).toMatch(/not for server authentication only/);
      expect(renewalReason(agent.cert, expected('tapedeck-agent-2'), now)).toBe('does not name tapedeck-agent-2');
    });

    it('should renew once two thirds of the validity have passed, and an expired one', () => {
      const from = window.notBefore.getTime();
      const due = from + (window.notAfter.getTime() - from) * RENEW_AFTER;
      expect(renewalReason(agent.cert, expected(), due - 1000)).toBeUndefined();
      expect(renewalReason(agent.cert, expected(), due + 1000)).toMatch(/^due for renewal/);
      expect(renewalReason(agent.cert, expected(), window.notAfter.getTime() + 1000)).toMatch(/^expired at/);
    });
  });

  describe('identity files', () => {
    let dir = '';
    afterAll(async () => {
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    it('should switch all three files at once and keep only the newest version, keys 0400', async () => {
      dir = await mkdtemp(path.join(tmpdir(), 'tapedeck-identity-'));
      const files = identityPaths(dir);
      await writeIdentity(dir, operator, 'first');
      expect(await readFile(files.cert, 'utf8')).toBe(operator.cert);
      const renewed = await ca.issue({ name: 'tapedeck-operator', usage: 'client', ...window });
      await writeIdentity(dir, renewed, 'second');
      expect(await readFile(files.cert, 'utf8')).toBe(renewed.cert);
      expect(await readFile(files.key, 'utf8')).toBe(renewed.key);
      expect(await readFile(files.ca, 'utf8')).toBe(renewed.ca);
      expect(
        new X509Certificate(await readFile(files.cert)).checkPrivateKey(createPrivateKey(await readFile(files.key))),
      ).toBe(true);
      const versions = (await readdir(dir)).filter((name) => name.startsWith('..') && name !== '..data');
      expect(versions).toHaveLength(1);
      expect((await stat(files.key)).mode & 0o777).toBe(0o400);
      expect((await stat(dir)).mode & 0o777).toBe(0o700);
    });
  });
});
