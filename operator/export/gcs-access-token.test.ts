import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createVerify, generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GCS_READ_WRITE_SCOPE, GcsTokenError, mintAccessToken, parseServiceAccountKey } from './gcs-access-token.js';
import type { ServiceAccountKey } from './gcs-access-token.js';

// A local token endpoint (Google's is unreachable here) that checks the assertion as Google does.
describe('mintAccessToken', () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const form = new URLSearchParams(body);
      const [header, claims, signature] = (form.get('assertion') ?? '').split('.');
      const valid =
        form.get('grant_type') === 'urn:ietf:params:oauth:grant-type:jwt-bearer' &&
        createVerify('RSA-SHA256')
          .update(`${header}.${claims}`)
          .verify(publicKey, Buffer.from(signature ?? '', 'base64url'));
      const c = JSON.parse(Buffer.from(claims ?? '', 'base64url').toString()) as Record<string, unknown>;
      if (
        !valid ||
        c['aud'] !== key.token_uri ||
        c['scope'] !== GCS_READ_WRITE_SCOPE ||
        c['iss'] !== key.client_email
      ) {
        res.writeHead(400).end('{"error":"invalid_grant"}');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"access_token":"ya29.test","expires_in":3599}');
    });
  });
  let key: ServiceAccountKey;

  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    key = {
      client_email: 'exporter@project.iam.gserviceaccount.com',
      private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      token_uri: `http://127.0.0.1:${port}/token`,
    };
  });
  afterAll(() => server.close());

  it('should exchange a signed assertion for a token and its expiry', async () => {
    const now = Date.UTC(2026, 11, 2, 8, 0, 0);
    expect(await mintAccessToken(key, now)).toEqual({ token: 'ya29.test', expiration: new Date(now + 3599_000) });
  });

  it('should fail with the endpoint answer when the key is not the one it knows', async () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    await expect(mintAccessToken({ ...key, private_key: other })).rejects.toThrow(
      /answered 400: \{"error":"invalid_grant"\}/,
    );
  });

  it.each([
    ['not JSON', '{', /not JSON/],
    ['without a private key', '{"client_email":"a","token_uri":"b"}', /has no private_key/],
  ])('should reject a key that is %s, naming the Secret', (_name, json, message) => {
    expect(() => parseServiceAccountKey(json, 'Secret shop/gcs-creds key "key.json"')).toThrow(GcsTokenError);
    expect(() => parseServiceAccountKey(json, 'Secret shop/gcs-creds key "key.json"')).toThrow(message);
  });
});
