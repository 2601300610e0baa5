// Builds the ExportTarget of a session's destination with the credentials it has now: an S3 client
// (custom endpoint and path style for S3-compatible stores) or a GCS client (custom endpoint for
// emulators) authorised by the operator's access token. Without credentials from the operator the
// clients use the agent's ambient ones (the SDKs' default chains: environment, web identity,
// instance metadata), which the tenancy rules allow only to Recordings with the export-ambient right.
import { S3Client } from '@aws-sdk/client-s3';
import { Storage } from '@google-cloud/storage';
import { OAuth2Client } from 'google-auth-library';
import type { ExportDestination } from '../session/session-spec.js';
import type { ExportCredentials } from './export-credentials.js';
import { gcsTarget, s3Target, type ExportTarget } from './export-target.js';

/** One target and what closes it (sockets of its client). */
export interface OpenTarget {
  readonly target: ExportTarget;
  close(): void;
}

export type MakeTarget = (destination: ExportDestination, credentials: ExportCredentials | undefined) => OpenTarget;

export const makeTarget: MakeTarget = (destination, credentials) => {
  if (destination.kind === 's3') {
    const client = new S3Client({
      region: destination.region || 'us-east-1',
      ...(destination.endpoint && { endpoint: destination.endpoint }),
      forcePathStyle: destination.forcePathStyle,
      // Retries are the export queue's (backoff that never gives up); one SDK retry smooths a blip.
      maxAttempts: 2,
      ...(credentials?.kind === 's3' && {
        credentials: {
          accessKeyId: credentials.accessKeyId,
          secretAccessKey: credentials.secretAccessKey,
          ...(credentials.sessionToken && { sessionToken: credentials.sessionToken }),
        },
      }),
    });
    return { target: s3Target(client, destination.bucket, destination.prefix), close: () => client.destroy() };
  }
  let authClient: OAuth2Client | undefined;
  if (credentials?.kind === 'gcs') {
    // The operator's access token as is: no refresh token, so the client never calls a token endpoint.
    // No eager refresh: there is nothing to refresh with until the token really expired.
    authClient = new OAuth2Client({ eagerRefreshThresholdMillis: 0 });
    authClient.setCredentials({
      access_token: credentials.accessToken,
      ...(credentials.expiryMs !== undefined && { expiry_date: credentials.expiryMs }),
    });
  }
  const storage = new Storage({
    ...(destination.endpoint && { apiEndpoint: destination.endpoint }),
    // The project is only needed to create buckets, which the agent never does.
    projectId: 'tapedeck',
    // Sent to custom endpoints too, so an emulator sees what Google would.
    ...(authClient && { authClient, useAuthWithCustomEndpoint: true }),
  });
  return { target: gcsTarget(storage, destination.bucket, destination.prefix), close: () => {} };
};
