// gRPC clients of the agent as a Hubble client (recorder.Recorder) and as the
// operator (tapedeck.agent.v1.AgentService) would build them.
import { credentials, type ChannelCredentials, type ClientDuplexStream, type ServiceError } from '@grpc/grpc-js';
import type { RecordRequest } from '../../proto/generated/recorder/RecordRequest.js';
import type { RecordResponse__Output } from '../../proto/generated/recorder/RecordResponse.js';
import type { RecorderClient } from '../../proto/generated/recorder/Recorder.js';
import type { AgentServiceClient } from '../../proto/generated/tapedeck/agent/v1/AgentService.js';
import { loadAgentProto, loadRecorderProto } from '../../proto/load.js';
import { AGENT_TLS_NAME, type ClientPem } from './agent-pki.js';

export function channelCredentials(pem: ClientPem | 'insecure' | { ca: Buffer }): ChannelCredentials {
  if (pem === 'insecure') return credentials.createInsecure();
  if (!('cert' in pem)) return credentials.createSsl(pem.ca);
  return credentials.createSsl(pem.ca, pem.key, pem.cert);
}

const OPTIONS = { 'grpc.ssl_target_name_override': AGENT_TLS_NAME, 'grpc.default_authority': AGENT_TLS_NAME };

export function recorderClient(address: string, creds: ChannelCredentials): RecorderClient {
  return new (loadRecorderProto().recorder.Recorder)(address, creds, OPTIONS);
}

export function agentClient(address: string, creds: ChannelCredentials): AgentServiceClient {
  return new (loadAgentProto().tapedeck.agent.v1.AgentService)(address, creds, OPTIONS);
}

export interface RecordOutcome {
  readonly responses: RecordResponse__Output[];
  readonly error?: ServiceError;
}

/** Runs one Record stream: sends `requests` (then `stop` when `stopAfterMs` elapses) and collects everything until the stream ends. */
export function record(
  client: RecorderClient,
  requests: readonly RecordRequest[],
  hooks: {
    onResponse?: (r: RecordResponse__Output, call: ClientDuplexStream<RecordRequest, RecordResponse__Output>) => void;
  } = {},
): Promise<RecordOutcome> {
  return new Promise((resolve) => {
    const responses: RecordResponse__Output[] = [];
    const call = client.Record();
    call.on('data', (response: RecordResponse__Output) => {
      responses.push(response);
      hooks.onResponse?.(response, call);
    });
    call.on('error', (error: ServiceError) => resolve({ responses, error }));
    call.on('end', () => resolve({ responses }));
    for (const request of requests) call.write(request);
  });
}

/** Calls a unary method and resolves with its response or rejects with its ServiceError. */
export function unary<Req, Res>(
  method: (request: Req, callback: (error: ServiceError | null, response?: Res) => void) => unknown,
  request: Req,
): Promise<Res> {
  return new Promise((resolve, reject) => {
    method(request, (error, response) => (error ? reject(error) : resolve(response as Res)));
  });
}
