// How tapedeck loads its .proto files at runtime. The generated TypeScript types
// in proto/generated/ describe objects shaped by exactly these options, so the
// generator (proto/generate.ts) derives its flags from this object too.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const PROTO_FILES = {
  recorder: 'recorder/recorder.proto',
  agent: 'tapedeck/agent/v1/agent.proto',
} as const;

/**
 * The directory holding the .proto files: beside this module when run from
 * source (tsx), or the repository's proto/ when run from dist/proto/.
 */
export const PROTO_ROOT =
  [new URL('.', import.meta.url), new URL('../../proto/', import.meta.url)]
    .map((url) => fileURLToPath(url))
    .find((dir) => existsSync(`${dir}${PROTO_FILES.recorder}`)) ?? fileURLToPath(new URL('.', import.meta.url));

/**
 * camelCase field names, 64-bit integers as JavaScript numbers (counters and
 * durations stay far below 2^53), enums as their names, defaults filled in, and
 * a virtual field naming the member set in each oneof.
 */
export const LOADER_OPTIONS = {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_ROOT],
} as const;

/** The same choices as proto-loader-gen-types flags. */
export const GENERATOR_FLAGS = [
  '--longs=Number',
  '--enums=String',
  '--defaults',
  '--oneofs',
  '--grpcLib=@grpc/grpc-js',
  '--importFileExtension=.js',
] as const;
