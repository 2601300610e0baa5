import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';

const exec = promisify(execFile);
const main = resolve(import.meta.dirname, '../main.ts');

/** What bash offers for the words typed so far (the last one being completed), with the generated script. */
async function complete(script: string, typed: readonly string[], env: NodeJS.ProcessEnv = process.env) {
  const words = ['tapedeck', ...typed];
  const program = [
    `source ${JSON.stringify(script)}`,
    `COMP_WORDS=(${words.map((w) => `'${w.replace(/'/g, "'\\''")}'`).join(' ')})`,
    `COMP_CWORD=${words.length - 1}`,
    '_tapedeck',
    'printf "%s\\n" "${COMPREPLY[@]}"',
  ].join('\n');
  const { stdout } = await exec('bash', ['-c', program], { env });
  return stdout.split('\n').filter(Boolean);
}

describe('tapedeck completion', () => {
  let script: string;

  beforeAll(async () => {
    const { stdout } = await exec(process.execPath, ['--import', 'tsx', main, 'completion', 'bash']);
    script = join(mkdtempSync(join(tmpdir(), 'tapedeck-completion-')), 'tapedeck.bash');
    writeFileSync(script, stdout);
  }, 30_000);

  it.each([
    [[''], ['analyze', 'ls', 'fetch', 'status', 'completion', 'help', '--help']],
    [['st'], ['status']],
    [['fetch', '--i'], ['--iteration']],
    [['fetch', '--no'], ['--node']],
    [
      ['status', '-o', ''],
      ['text', 'json'],
    ],
    [['analyze', '--format', ''], ['json']],
    [
      ['completion', ''],
      ['bash', 'zsh'],
    ],
    [['ls', '--n'], ['--namespace']],
  ])('should offer, after %j, %j', async (typed, offered) => {
    expect(await complete(script, typed)).toEqual(offered);
  });

  it('should offer every flag of fetch, from its definition', async () => {
    const flags = await complete(script, ['fetch', '-']);
    for (const flag of [
      '--from',
      '--endpoint',
      '--run',
      '--output',
      '-o',
      '--records',
      '--partial',
      '--kubeconfig',
      '--context',
    ])
      expect(flags).toContain(flag);
  });

  it('should complete file names for -o', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tapedeck-completion-files-'));
    writeFileSync(join(dir, 'checkout.pcapng'), '');
    expect(await complete(script, ['fetch', '-o', join(dir, 'check')])).toEqual([join(dir, 'checkout.pcapng')]);
  });

  it('should be a script bash accepts as a whole, and the zsh one wraps it', async () => {
    await exec('bash', ['-n', script]);
    const { stdout } = await exec(process.execPath, ['--import', 'tsx', main, 'completion', 'zsh']);
    expect(stdout).toMatch(/^# zsh completion[^\n]*\nautoload -U \+X bashcompinit && bashcompinit\n# bash completion/);
  }, 30_000);
});
