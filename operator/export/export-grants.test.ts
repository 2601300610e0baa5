import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordingFixture } from '../controller/recording-fixture.js';
import type { RecordingView } from '../controller/recording-view.js';
import { ExportGrantError, ExportGrants, REFRESH_MARGIN_MS, type ReadSecret } from './export-grants.js';

const secrets = new Map<string, Record<string, string>>();
const readSecret: ReadSecret = async (namespace, name) => secrets.get(`${namespace}/${name}`);

function grants(now = 1_000_000, defaults = {}): ExportGrants {
  return new ExportGrants({
    readSecret,
    operatorNamespace: 'tapedeck-system',
    defaults,
    roleArn: 'arn:aws:iam::000000000000:role/x',
    useSts: true,
    now: () => now,
  });
}

function withExport(exp: unknown): RecordingView {
  const r = recordingFixture({}, undefined, { namespace: 'shop', uid: '1b4e28ba-2fa1-11d2-883f-0016d3cca427' });
  return { ...r, spec: { ...r.spec, export: exp as never } };
}

// A local token endpoint (Google's is unreachable here).
const server = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' }).end('{"access_token":"ya29.test","expires_in":3600}');
});

describe('ExportGrants', () => {
  beforeAll(() => new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve)));
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('should export nowhere without spec.export or a default destination', async () => {
    expect(await grants().grantFor(withExport(undefined), 1, 'n1')).toBeUndefined();
  });

  it('should use the default destination, with ambient credentials when it names no Secret', async () => {
    const grant = await grants(0, { s3: { bucket: 'def', prefix: 'p' } }).grantFor(withExport(undefined), 1, 'n1');
    expect(grant).toEqual({
      destination: { s3: { bucket: 'def', prefix: 'p', region: '', endpoint: '', forcePathStyle: false } },
    });
  });

  it('should name the Secret and its namespace when it is missing or incomplete', async () => {
    const recording = withExport({ s3: { bucket: 'b', credentialsSecret: { name: 'keys' } } });
    await expect(grants().grantFor(recording, 1, 'n1')).rejects.toThrow(
      new ExportGrantError('credentials Secret shop/keys not found'),
    );
    secrets.set('shop/keys', { AWS_ACCESS_KEY_ID: 'AKIA' });
    await expect(grants().grantFor(recording, 1, 'n1')).rejects.toThrow(
      /Secret shop\/keys needs keys AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/,
    );
  });

  it('should pass temporary keys (with a session token) on without STS', async () => {
    secrets.set('shop/temp', { AWS_ACCESS_KEY_ID: 'ASIA', AWS_SECRET_ACCESS_KEY: 's', AWS_SESSION_TOKEN: 't' });
    const grant = await grants().grantFor(
      withExport({ s3: { bucket: 'b', credentialsSecret: { name: 'temp' } } }),
      1,
      'n1',
    );
    expect(grant?.credentials).toEqual({ s3: { accessKeyId: 'ASIA', secretAccessKey: 's', sessionToken: 't' } });
  });

  it('should mint a GCS access token from the Secret key', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const { port } = server.address() as AddressInfo;
    secrets.set('shop/sa', {
      'service-account.json': JSON.stringify({
        client_email: 'x@y.iam.gserviceaccount.com',
        private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }),
        token_uri: `http://127.0.0.1:${port}/token`,
      }),
    });
    const grant = await grants(5_000).grantFor(
      withExport({ gcs: { bucket: 'g', credentialsSecret: { name: 'sa' } } }),
      2,
      'n1',
    );
    expect(grant?.credentials).toEqual({ gcs: { accessToken: 'ya29.test' }, expiry: { seconds: 3605, nanos: 0 } });
    expect(grant?.expiresAt).toBe(3_605_000);
  });

  it('should refresh credentials only within the margin before they expire', () => {
    const g = grants(1_000_000);
    expect(g.dueForRefresh(undefined)).toBe(false);
    expect(g.dueForRefresh(1_000_000 + REFRESH_MARGIN_MS + 1)).toBe(false);
    expect(g.dueForRefresh(1_000_000 + REFRESH_MARGIN_MS)).toBe(true);
  });
});
