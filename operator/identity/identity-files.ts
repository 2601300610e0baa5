// The operator's own certificate, key and CA as files (ca.crt, tls.crt, tls.key) for the gRPC credentials
// that watch them. Written as the kubelet writes Secret volumes: a new directory, then one rename of the
// `..data` link, so the watcher never reads a new certificate with an old key.
import { mkdir, readFile, readlink, rename, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { IssuedCertificate } from './certificate-authority.js';

const DATA_LINK = '..data';
const FILES = { ca: 'ca.crt', cert: 'tls.crt', key: 'tls.key' } as const;

export interface IdentityPaths {
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

export function identityPaths(dir: string): IdentityPaths {
  return { ca: path.join(dir, FILES.ca), cert: path.join(dir, FILES.cert), key: path.join(dir, FILES.key) };
}

/** The certificate written last, or undefined when there is none yet. */
export async function readIdentityCertificate(dir: string): Promise<string | undefined> {
  try {
    return await readFile(identityPaths(dir).cert, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

export async function writeIdentity(dir: string, issued: IssuedCertificate, serial: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const version = `..${Date.now()}-${serial.slice(0, 8)}`;
  const versionDir = path.join(dir, version);
  await mkdir(versionDir, { mode: 0o700 });
  await writeFile(path.join(versionDir, FILES.key), issued.key, { mode: 0o400 });
  await writeFile(path.join(versionDir, FILES.cert), issued.cert, { mode: 0o400 });
  await writeFile(path.join(versionDir, FILES.ca), issued.ca, { mode: 0o400 });
  const previous = await readlink(path.join(dir, DATA_LINK)).catch(() => undefined);
  const staging = path.join(dir, `${DATA_LINK}.tmp`);
  await rm(staging, { force: true });
  await symlink(version, staging);
  await rename(staging, path.join(dir, DATA_LINK));
  for (const name of Object.values(FILES)) {
    // The stable names point through ..data; made once.
    await symlink(path.join(DATA_LINK, name), path.join(dir, name)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    });
  }
  if (previous !== undefined && previous !== version)
    await rm(path.join(dir, previous), { recursive: true, force: true });
}
