// The capture devices libpcap sees in the agent's network namespace.
import { CaptureError, CaptureErrorCode } from './capture-error.js';
import { loadNativeCapture } from './native-binding.js';
import type { RawInterface } from './native-binding.js';

export type CaptureInterface = RawInterface;

export function listInterfaces(): CaptureInterface[] {
  try {
    return loadNativeCapture().listInterfaces();
  } catch (err) {
    if (err instanceof CaptureError) throw err;
    throw new CaptureError(CaptureErrorCode.Interfaces, 'cannot list capture interfaces', { cause: err });
  }
}
