// Loads tapedeck's gRPC packages (used by the agent and the operator).
import { loadPackageDefinition } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import path from 'node:path';
import type { ProtoGrpcType as AgentProto } from './generated/agent.js';
import type { ProtoGrpcType as RecorderProto } from './generated/recorder.js';
import { LOADER_OPTIONS, PROTO_FILES, PROTO_ROOT } from './options.js';

function load(file: string): unknown {
  const definition = loadSync(path.join(PROTO_ROOT, file), { ...LOADER_OPTIONS, includeDirs: [PROTO_ROOT] });
  return loadPackageDefinition(definition);
}

/** Hubble's `recorder` package: `loadRecorderProto().recorder.Recorder`. */
export function loadRecorderProto(): RecorderProto {
  return load(PROTO_FILES.recorder) as RecorderProto;
}

/** tapedeck's own API: `loadAgentProto().tapedeck.agent.v1.AgentService`. */
export function loadAgentProto(): AgentProto {
  return load(PROTO_FILES.agent) as AgentProto;
}
