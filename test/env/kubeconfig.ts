import { writeFile } from 'node:fs/promises';
import { stringify } from 'yaml';
import { base64File, type Pki } from './pki.js';

export const contextName = 'tapedeck-test';

/** Writes a self-contained admin kubeconfig (embedded CA and client certificate) and returns its path. */
export async function writeAdminKubeconfig(path: string, serverUrl: string, pki: Pki): Promise<string> {
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: contextName,
        cluster: { server: serverUrl, 'certificate-authority-data': await base64File(pki.caCert) },
      },
    ],
    users: [
      {
        name: 'tapedeck-admin',
        user: {
          'client-certificate-data': await base64File(pki.adminCert),
          'client-key-data': await base64File(pki.adminKey),
        },
      },
    ],
    contexts: [{ name: contextName, context: { cluster: contextName, user: 'tapedeck-admin' } }],
    'current-context': contextName,
  };
  await writeFile(path, stringify(config), { mode: 0o600 });
  return path;
}
