// Short-lived S3 credentials for one session: STS AssumeRole with an inline session policy that
// allows only what the agent's uploader calls, and only under the Recording's key prefix. The agent
// gets these, never the Secret's long-lived keys; a leaked session key is worth one prefix for at
// most DurationSeconds. (MinIO implements AssumeRole with session policies; minimum 900 s.)
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';

/** STS's minimum; also the refresh horizon the operator plans with. */
export const MIN_SESSION_SECONDS = 900;
/** AWS and MinIO limit a packed inline session policy to 2048 bytes. */
export const MAX_POLICY_BYTES = 2048;

export interface LongLivedS3Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

export interface SessionCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly expiration: Date;
}

export interface AssumeRoleRequest {
  readonly endpoint?: string;
  readonly region: string;
  readonly credentials: LongLivedS3Credentials;
  readonly bucket: string;
  /** The key prefix the session may write under, e.g. "prod/shop/checkout/1b4e28ba/" (ends in "/"). */
  readonly keyPrefix: string;
  /** Required by AWS; MinIO accepts any value. */
  readonly roleArn: string;
  readonly sessionName: string;
  readonly durationSeconds?: number;
}

export class SessionPolicyError extends Error {
  override name = 'SessionPolicyError';
}

const ARN_UNSAFE = /[*?"\\\s]/;

/** The inline policy: object calls under the prefix, multipart listing on the bucket. */
export function prefixPolicy(bucket: string, keyPrefix: string): string {
  if (!keyPrefix.endsWith('/') || ARN_UNSAFE.test(keyPrefix) || ARN_UNSAFE.test(bucket)) {
    throw new SessionPolicyError(
      `cannot scope a policy to s3://${bucket}/${keyPrefix}: the prefix must end in "/" and hold no wildcards`,
    );
  }
  const policy = JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: ['s3:PutObject', 's3:GetObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
        Resource: [`arn:aws:s3:::${bucket}/${keyPrefix}*`],
      },
      { Effect: 'Allow', Action: ['s3:ListBucketMultipartUploads'], Resource: [`arn:aws:s3:::${bucket}`] },
    ],
  });
  if (Buffer.byteLength(policy) > MAX_POLICY_BYTES) {
    throw new SessionPolicyError(
      `the session policy for s3://${bucket}/${keyPrefix} is ${Buffer.byteLength(policy)} bytes, over ${MAX_POLICY_BYTES}`,
    );
  }
  return policy;
}

export async function assumeRoleForPrefix(request: AssumeRoleRequest): Promise<SessionCredentials> {
  const sts = new STSClient({
    region: request.region,
    endpoint: request.endpoint || undefined,
    credentials: request.credentials,
    maxAttempts: 3,
  });
  try {
    const out = await sts.send(
      new AssumeRoleCommand({
        RoleArn: request.roleArn,
        RoleSessionName: request.sessionName.slice(0, 64),
        DurationSeconds: Math.max(MIN_SESSION_SECONDS, request.durationSeconds ?? MIN_SESSION_SECONDS),
        Policy: prefixPolicy(request.bucket, request.keyPrefix),
      }),
    );
    const c = out.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !c.Expiration) {
      throw new Error('AssumeRole answered without credentials');
    }
    return {
      accessKeyId: c.AccessKeyId,
      secretAccessKey: c.SecretAccessKey,
      sessionToken: c.SessionToken,
      expiration: c.Expiration,
    };
  } finally {
    sts.destroy();
  }
}

/** True when credentials expire within `marginMs` (refresh at half their life, at least 5 min ahead). */
export function needsRefresh(credentials: SessionCredentials, nowMs: number, marginMs = 5 * 60_000): boolean {
  return credentials.expiration.getTime() - nowMs <= marginMs;
}
