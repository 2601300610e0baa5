// Validates a pcap-filter expression by compiling it to BPF without capturing
// (pcap_open_dead + pcap_compile): the expression is never handed to a shell.
import { CaptureError, CaptureErrorCode, FilterError } from './capture-error.js';
import { loadNativeCapture } from './native-binding.js';

/** pcap DLT_* link types the agent captures on. */
export const LinkType = { Ethernet: 1, LinuxSll: 113, LinuxSll2: 276 } as const;
/** Longest expression the native layer accepts. */
export const MAX_FILTER_EXPRESSION_LENGTH = 65_535;
/** The kernel refuses classic BPF programs longer than this (BPF_MAXINSNS). */
export const MAX_BPF_INSTRUCTIONS = 4096;

/**
 * Compiles `expression` for `linkType` and returns the number of BPF
 * instructions. Throws FilterError (named after `field`) carrying pcap's message.
 */
export function compileFilter(
  expression: string,
  linkType: number = LinkType.Ethernet,
  snaplen = 262_144,
  field = 'filter',
): number {
  if (expression.length > MAX_FILTER_EXPRESSION_LENGTH) {
    throw new FilterError(field, `expression is longer than ${MAX_FILTER_EXPRESSION_LENGTH} characters`);
  }
  if (expression.includes('\0')) throw new FilterError(field, 'expression contains a NUL character');
  try {
    return loadNativeCapture().compileFilter(expression, linkType, snaplen);
  } catch (err) {
    if (err instanceof CaptureError) throw err;
    const message = err instanceof Error ? err.message : String(err);
    if ((err as { code?: unknown }).code === 'ERR_CAPTURE_FILTER') {
      throw new FilterError(field, `invalid pcap-filter expression: ${message}`, { cause: err });
    }
    throw new CaptureError(CaptureErrorCode.InvalidOptions, `cannot compile filter: ${message}`, { cause: err });
  }
}
