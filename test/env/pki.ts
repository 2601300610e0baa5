import { generateKeyPairSync } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCommand } from './command.js';

/** Paths of the control plane's key material, all inside one directory. */
export interface Pki {
  caCert: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
  adminCert: string;
  adminKey: string;
  /** Service-account token signing key pair (ECDSA P-256, PEM). */
  serviceAccountKey: string;
  serviceAccountPub: string;
}

const days = '7';

async function keyAndCsr(dir: string, name: string, subject: string): Promise<void> {
  await runCommand('openssl', [
    'req',
    '-new',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    join(dir, `${name}.key`),
    '-out',
    join(dir, `${name}.csr`),
    '-subj',
    subject,
  ]);
}

async function sign(dir: string, name: string, extensions: string[]): Promise<void> {
  const extFile = join(dir, `${name}.ext`);
  await writeFile(extFile, `${extensions.join('\n')}\n`);
  await runCommand('openssl', [
    'x509',
    '-req',
    '-in',
    join(dir, `${name}.csr`),
    '-CA',
    join(dir, 'ca.crt'),
    '-CAkey',
    join(dir, 'ca.key'),
    '-CAcreateserial',
    '-days',
    days,
    '-extfile',
    extFile,
    '-out',
    join(dir, `${name}.crt`),
  ]);
}

/**
 * Creates a throw-away CA, an API server serving certificate for 127.0.0.1/localhost/kubernetes.default.svc
 * (plus serviceIp), an admin client certificate in group system:masters, and the service-account keys.
 */
export async function createPki(dir: string, serviceIp: string): Promise<Pki> {
  await runCommand('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    join(dir, 'ca.key'),
    '-out',
    join(dir, 'ca.crt'),
    '-days',
    days,
    '-subj',
    '/CN=tapedeck-test-ca',
  ]);
  const sans = ['IP:127.0.0.1', `IP:${serviceIp}`, 'DNS:localhost', 'DNS:kubernetes', 'DNS:kubernetes.default'];
  sans.push('DNS:kubernetes.default.svc', 'DNS:kubernetes.default.svc.cluster.local');
  await Promise.all([
    keyAndCsr(dir, 'apiserver', '/CN=kube-apiserver'),
    keyAndCsr(dir, 'admin', '/O=system:masters/CN=tapedeck-admin'),
  ]);
  // Signed one after the other: both update the CA's serial file.
  await sign(dir, 'apiserver', [
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature',
    'extendedKeyUsage=serverAuth',
    `subjectAltName=${sans.join(',')}`,
  ]);
  await sign(dir, 'admin', [
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature',
    'extendedKeyUsage=clientAuth',
  ]);
  const sa = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const serviceAccountKey = join(dir, 'sa.key');
  const serviceAccountPub = join(dir, 'sa.pub');
  await writeFile(serviceAccountKey, sa.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  await writeFile(serviceAccountPub, sa.publicKey.export({ type: 'spki', format: 'pem' }));
  return {
    caCert: join(dir, 'ca.crt'),
    caKey: join(dir, 'ca.key'),
    serverCert: join(dir, 'apiserver.crt'),
    serverKey: join(dir, 'apiserver.key'),
    adminCert: join(dir, 'admin.crt'),
    adminKey: join(dir, 'admin.key'),
    serviceAccountKey,
    serviceAccountPub,
  };
}

/** Base64 of a file's content, for *-data fields of a kubeconfig. */
export async function base64File(path: string): Promise<string> {
  return (await readFile(path)).toString('base64');
}
