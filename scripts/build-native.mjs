// Builds the agent's libpcap binding with node-gyp against the headers of the Node that runs this
// script (its install prefix holds include/node), never another Node's headers from a user
// ~/.npmrc `nodedir`, and never a header download (which fails without internet access).
/* global process, console */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const nodedir = dirname(dirname(process.execPath));
const header = join(nodedir, 'include', 'node', 'node_api.h');
if (!existsSync(header)) {
  console.error(`build-native: ${header} is missing; install Node with its headers (bash scripts/test.sh does)`);
  process.exit(1);
}
console.error(`build-native: Node ${process.version}, headers in ${join(nodedir, 'include', 'node')}`);
const nodeGyp = createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js');
const env = { ...process.env, npm_config_nodedir: nodedir };
const result = spawnSync(process.execPath, [nodeGyp, 'rebuild', `--nodedir=${nodedir}`], { stdio: 'inherit', env });
process.exit(result.status ?? 1);
