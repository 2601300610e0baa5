// Test helper: read capture files with Wireshark's own tools (tshark,
// capinfos), which nobody on this project wrote. Missing tools fail the test.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);
const TOOL_TIMEOUT_MS = 60_000;

export interface TsharkResult {
  readonly rows: string[][];
  readonly stderr: string;
  readonly exitCode: number;
}

/** `tshark -r file -T fields -e ...`; rows of field values, one per packet. */
export async function tsharkFields(file: string, fields: readonly string[]): Promise<TsharkResult> {
  const args = ['-n', '-r', file, '-T', 'fields', '-E', 'separator=/t', ...fields.flatMap((f) => ['-e', f])];
  try {
    const { stdout, stderr } = await run('tshark', args, { timeout: TOOL_TIMEOUT_MS, maxBuffer: 256 * 1024 * 1024 });
    return { rows: parseRows(stdout), stderr, exitCode: 0 };
  } catch (error) {
    const failed = error as { code?: unknown; stdout?: string; stderr?: string };
    if (typeof failed.code !== 'number') throw error;
    return { rows: parseRows(failed.stdout ?? ''), stderr: failed.stderr ?? '', exitCode: failed.code };
  }
}

/** `capinfos -M` report as "label" → "value" (e.g. "Number of packets" → "1000"); the first interface wins. */
export async function capinfos(file: string): Promise<Map<string, string>> {
  const { stdout } = await run('capinfos', ['-M', file], { timeout: TOOL_TIMEOUT_MS });
  const report = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    // "Label:   value", and "Label = value" in the per-interface section.
    const match = /^\s*([^:=]+?)(?::\s+| = )(.*)$/.exec(line);
    if (match?.[1] !== undefined && match[2] !== undefined && !report.has(match[1].trim())) {
      report.set(match[1].trim(), match[2].trim());
    }
  }
  return report;
}

function parseRows(stdout: string): string[][] {
  return stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => line.split('\t'));
}

/** Packet count of each file, read by one `capinfos` run (fails if any file is unreadable). */
export async function capinfosCounts(files: readonly string[]): Promise<number[]> {
  const { stdout } = await run('capinfos', ['-T', '-r', '-c', '-M', ...files], { timeout: TOOL_TIMEOUT_MS });
  return parseRows(stdout).map((row) => Number(row.at(-1)));
}

/**
 * `mergecap -a`: the files one after the other, in one file of the first one's
 * format. The last file may end in a torn record (after kill -9): mergecap then
 * still writes every whole packet and exits 2 naming that file, which is accepted.
 */
export async function concatenate(files: readonly string[], output: string): Promise<void> {
  try {
    await run('mergecap', ['-a', '-w', output, ...files], { timeout: TOOL_TIMEOUT_MS });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    const last = files.at(-1) ?? '';
    if (!(last !== '' && stderr.includes(`"${last}" appears to have been cut short`))) throw error;
  }
}
