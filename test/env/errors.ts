/** Stable codes for everything that can go wrong while starting or using the test environment. */
export const TestEnvErrorCode = {
  BinaryMissing: 'TESTENV_BINARY_MISSING',
  NotReady: 'TESTENV_NOT_READY',
  ProcessExited: 'TESTENV_PROCESS_EXITED',
  CommandFailed: 'TESTENV_COMMAND_FAILED',
  Unavailable: 'TESTENV_UNAVAILABLE',
  NoFreeSubnet: 'TESTENV_NO_FREE_SUBNET',
} as const;
export type TestEnvErrorCode = (typeof TestEnvErrorCode)[keyof typeof TestEnvErrorCode];

export class TestEnvError extends Error {
  override readonly name = 'TestEnvError';
  constructor(
    readonly code: TestEnvErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
