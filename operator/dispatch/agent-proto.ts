// TypeScript types of tapedeck's agent API, derived from the generated package
// type (proto/generated/agent.ts) so the operator needs no deep imports.
import type { MessageTypeDefinition } from '@grpc/proto-loader';
import type { ProtoGrpcType } from '../../proto/generated/agent.js';

type V1 = ProtoGrpcType['tapedeck']['agent']['v1'];
type In<K extends keyof V1> = V1[K] extends MessageTypeDefinition<infer I, infer _O> ? I : never;
type Out<K extends keyof V1> = V1[K] extends MessageTypeDefinition<infer _I, infer O> ? O : never;

export type AgentServiceClient = InstanceType<V1['AgentService']>;
export type SessionSpec = In<'SessionSpec'>;
export type SessionFilter = In<'Filter'>;
export type SessionExportDestination = In<'ExportDestination'>;
export type SessionExportCredentials = In<'ExportCredentials'>;
export type Session = Out<'Session'>;
export type StartSessionResponse = Out<'StartSessionResponse'>;
export type ListSessionsResponse = Out<'ListSessionsResponse'>;
export type StopReasonName = Session['stopReason'];
export type ProtocolName = NonNullable<NonNullable<In<'IncludeEntry'>['protocol']>>;
export type OutputFormatName = NonNullable<In<'Output'>['formats']>[number];
export type Duration =
  ProtoGrpcType['google']['protobuf']['Duration'] extends MessageTypeDefinition<infer I, infer _O> ? I : never;
