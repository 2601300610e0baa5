// Test PKI for the agent's mTLS: a CA, a server certificate, a client
// certificate, and a second CA with its own client (a stranger), all made
// with the openssl CLI via execFile (argument arrays, no shell).
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The name clients expect in the agent's certificate (grpc.ssl_target_name_override). */
export const AGENT_TLS_NAME = 'tapedeck-agent';
export const OPERATOR_IDENTITY = 'tapedeck-operator';

export interface Pki {
  readonly dir: string;
  readonly caCert: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly clientCert: string;
  readonly clientKey: string;
  readonly strangerCert: string;
  readonly strangerKey: string;
}

export interface ClientPem {
  readonly ca: Buffer;
  readonly cert: Buffer;
  readonly key: Buffer;
}

async function openssl(dir: string, args: readonly string[]): Promise<void> {
  await run('openssl', [...args], { cwd: dir });
}

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

async function makeCa(dir: string, name: string): Promise<void> {
  await openssl(dir, [
    'req',
    '-x509',
    ...EC_KEY,
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.crt`,
    '-days',
    '2',
    '-subj',
    `/CN=${name}`,
  ]);
}

/** Issues `<name>.crt` and `<name>.key` from CA `ca`, with subject CN `cn` (default `name`). */
export async function issue(dir: string, ca: string, name: string, extensions: string, cn = name): Promise<void> {
  await openssl(dir, ['req', ...EC_KEY, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`]);
  await writeFile(path.join(dir, `${name}.ext`), extensions);
  await openssl(dir, [
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    `${ca}.crt`,
    '-CAkey',
    `${ca}.key`,
    '-CAcreateserial',
    '-out',
    `${name}.crt`,
    '-days',
    '2',
    '-extfile',
    `${name}.ext`,
  ]);
}

export async function makePki(dir: string): Promise<Pki> {
  await makeCa(dir, 'ca');
  await makeCa(dir, 'stranger-ca');
  await issue(dir, 'ca', 'server', `subjectAltName=DNS:${AGENT_TLS_NAME}\nextendedKeyUsage=serverAuth\n`);
  // The operator's identity: the agent accepts no other client by default.
  await issue(dir, 'ca', 'client', 'extendedKeyUsage=clientAuth\n', OPERATOR_IDENTITY);
  await issue(dir, 'stranger-ca', 'stranger', 'extendedKeyUsage=clientAuth\n');
  const at = (file: string): string => path.join(dir, file);
  return {
    dir,
    caCert: at('ca.crt'),
    serverCert: at('server.crt'),
    serverKey: at('server.key'),
    clientCert: at('client.crt'),
    clientKey: at('client.key'),
    strangerCert: at('stranger.crt'),
    strangerKey: at('stranger.key'),
  };
}

export async function clientPem(pki: Pki, who: 'client' | 'stranger' = 'client'): Promise<ClientPem> {
  const [ca, cert, key] = await Promise.all([
    readFile(pki.caCert),
    readFile(who === 'client' ? pki.clientCert : pki.strangerCert),
    readFile(who === 'client' ? pki.clientKey : pki.strangerKey),
  ]);
  return { ca, cert, key };
}
