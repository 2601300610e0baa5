// `tapedeck analyze FILE…`: flow, HTTP and DNS records from pcap/pcapng files, JSON Lines on stdout (or -o FILE).
// One engine runs across all files in order, so a capture rotated into several files keeps its flows.
import { Command, InvalidArgumentError, Option } from 'commander';
import { captureParserFor, createFlowEngine } from '../../core/analyzer.js';
import { CaptureError, CaptureErrorCode } from '../../core/capture/capture-error.js';
import { EXIT_CODES_HELP, ExitCode } from '../exit-codes.js';
import { readCapture } from './read-capture.js';
import { RecordOutput } from './record-output.js';

interface AnalyzeFlags {
  format: 'json';
  output?: string;
  maxFlows?: number;
  redactHeader: string[];
  redactQuery: string[];
  /** commander's --no-redact: false when given. */
  redact: boolean;
}

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

function headerName(value: string, previous: string[] = []): string[] {
  if (!HEADER_NAME.test(value)) throw new InvalidArgumentError('must be a header name (letters, digits, -, no spaces)');
  return [...previous, value];
}

function queryName(value: string, previous: string[] = []): string[] {
  if (value === '') throw new InvalidArgumentError('must not be empty');
  return [...previous, value];
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

function say(message: string): void {
  process.stderr.write(`tapedeck: ${message}\n`);
}

export async function runAnalyze(files: string[], flags: AnalyzeFlags): Promise<ExitCode> {
  let output: RecordOutput;
  try {
    output = new RecordOutput(flags.output);
  } catch (err) {
    say(`cannot write ${flags.output}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    return ExitCode.Output;
  }
  const engine = createFlowEngine(output.write, {
    ...(flags.maxFlows && { maxFlows: flags.maxFlows }),
    redaction: { headers: flags.redactHeader, queryParameters: flags.redactQuery, disabled: !flags.redact },
  });
  let exit: ExitCode = ExitCode.Ok;
  try {
    for (const file of files) {
      try {
        await readCapture(
          file,
          (head) => captureParserFor(head, engine),
          () => output.flush(),
        );
      } catch (err) {
        if (err instanceof CaptureError) {
          const damaged = err.code === CaptureErrorCode.Truncated || err.code === CaptureErrorCode.Corrupt;
          say(`${file}: ${err.message}${damaged ? ' (records up to here were written)' : ''}`);
          exit = Math.max(exit, damaged ? ExitCode.Damaged : ExitCode.Input) as ExitCode;
        } else if ((err as NodeJS.ErrnoException).code && (err as NodeJS.ErrnoException).syscall) {
          const e = err as NodeJS.ErrnoException;
          say(`cannot read ${file}: ${e.code} (${e.syscall})`);
          exit = Math.max(exit, ExitCode.Input) as ExitCode;
        } else {
          throw err;
        }
      }
    }
    engine.finish();
    await output.close();
  } catch (err) {
    output.abandon();
    if ((err as NodeJS.ErrnoException).code === 'EPIPE') return exit;
    say(`cannot write records: ${(err as Error).message}`);
    return ExitCode.Output;
  }
  const s = engine.stats;
  if (s.evictions > 0)
    say(`${s.evictions} flows were written early because the flow table was full (raise --max-flows)`);
  if (s.bufferOverflows > 0) say(`out-of-order data was given up ${s.bufferOverflows} times (memory budget)`);
  return exit;
}

export function analyzeCommand(done: (code: ExitCode) => void): Command {
  return new Command('analyze')
    .description('Write flow, HTTP and DNS records (JSON Lines) from pcap or pcapng files')
    .argument('<file...>', 'capture files, read in order as one capture')
    .addOption(new Option('--format <format>', 'record format').choices(['json']).default('json'))
    .option('-o, --output <file>', 'write records to this file (written complete or not at all) instead of stdout')
    .option('--max-flows <n>', 'flows held at once before the least recently used is written', positiveInt)
    .option('--redact-header <name>', 'also redact this HTTP header (repeatable)', headerName, [])
    .option('--redact-query <name>', 'redact this query parameter in HTTP uris (repeatable)', queryName, [])
    .option('--no-redact', 'record every header and query value as sent (Authorization and cookies included)')
    .addHelpText(
      'after',
      `
Examples:
  tapedeck analyze --format json capture.pcap > records.jsonl
  tapedeck analyze node-a_000000.pcapng node-a_000001.pcapng -o records.jsonl
  tapedeck analyze dns.pcap | jq 'select(.kind == "dns") | .dns.name'
  tapedeck analyze web.pcap --redact-header X-Api-Key --redact-query token | jq 'select(.kind == "http")'

HTTP records redact the values of Authorization, Proxy-Authorization, Cookie and Set-Cookie unless --no-redact.

Link types: Ethernet (VLAN tags too), Linux cooked v1/v2 (capture on "any"), raw IP, BSD/OpenBSD loopback.
${EXIT_CODES_HELP}`,
    )
    .action(async (files: string[], flags: AnalyzeFlags) => done(await runAnalyze(files, flags)));
}
