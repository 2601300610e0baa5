// Mints a short-lived GCS OAuth access token from a service-account key (the Recording's Secret),
// so that agents get a token worth one hour and never the key. The OAuth 2.0 JWT-bearer flow,
// written out because gtoken (under google-auth-library) hard-codes Google's token URL while a key
// names its own `token_uri` (and tests need a local one).
import { createSign } from 'node:crypto';

export const GCS_READ_WRITE_SCOPE = 'https://www.googleapis.com/auth/devstorage.read_write';
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const LIFETIME_S = 3600;

export interface ServiceAccountKey {
  readonly client_email: string;
  readonly private_key: string;
  readonly token_uri: string;
}

export interface AccessToken {
  readonly token: string;
  readonly expiration: Date;
}

export class GcsTokenError extends Error {
  override name = 'GcsTokenError';
}

/** Parses the key JSON of a Secret, naming what is missing (never echoing the key). */
export function parseServiceAccountKey(json: string, source: string): ServiceAccountKey {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(json) as Record<string, unknown>;
  } catch {
    throw new GcsTokenError(`${source} is not a service-account key: not JSON`);
  }
  for (const field of ['client_email', 'private_key', 'token_uri'] as const) {
    if (typeof raw[field] !== 'string' || raw[field] === '') throw new GcsTokenError(`${source} has no ${field}`);
  }
  return raw as unknown as ServiceAccountKey;
}

const base64url = (data: string | Buffer): string => Buffer.from(data).toString('base64url');

export function signedAssertion(key: ServiceAccountKey, nowMs: number, scope = GCS_READ_WRITE_SCOPE): string {
  const iat = Math.floor(nowMs / 1000);
  const header = base64url(JSON.stringify({ alg: 'RS256', typ: 'JWT' }));
  const claims = base64url(
    JSON.stringify({ iss: key.client_email, scope, aud: key.token_uri, iat, exp: iat + LIFETIME_S }),
  );
  const signature = createSign('RSA-SHA256').update(`${header}.${claims}`).sign(key.private_key);
  return `${header}.${claims}.${base64url(signature)}`;
}

export async function mintAccessToken(
  key: ServiceAccountKey,
  nowMs = Date.now(),
  signal?: AbortSignal,
): Promise<AccessToken> {
  const body = new URLSearchParams({ grant_type: JWT_BEARER, assertion: signedAssertion(key, nowMs) });
  let response: Response;
  try {
    response = await fetch(key.token_uri, { method: 'POST', body, signal });
  } catch (error) {
    throw new GcsTokenError(`Token endpoint ${key.token_uri} unreachable: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const text = await response.text();
  if (!response.ok) {
    throw new GcsTokenError(`Token endpoint ${key.token_uri} answered ${response.status}: ${text.slice(0, 200)}`);
  }
  const answer = JSON.parse(text) as { access_token?: string; expires_in?: number };
  if (!answer.access_token || !answer.expires_in)
    throw new GcsTokenError(`Token endpoint ${key.token_uri} sent no access_token`);
  return { token: answer.access_token, expiration: new Date(nowMs + answer.expires_in * 1000) };
}
