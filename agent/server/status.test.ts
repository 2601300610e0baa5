import { status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { CaptureError, CaptureErrorCode, FilterError } from '../capture/capture-error.js';
import { OutputError, OutputErrorCode } from '../output/output-error.js';
import { SessionError, SessionErrorCode } from '../session/session-error.js';
import { RequestError } from './request-error.js';
import { statusOf, toServiceError } from './status.js';

describe('statusOf', () => {
  it.each([
    { name: 'a request error', error: new RequestError(status.UNIMPLEMENTED, 'f', 'm'), code: status.UNIMPLEMENTED },
    { name: 'a filter error', error: new FilterError('bpf', 'syntax error'), code: status.INVALID_ARGUMENT },
    {
      name: 'the session limit',
      error: new SessionError(SessionErrorCode.TooManySessions, 'full'),
      code: status.RESOURCE_EXHAUSTED,
    },
    { name: 'an unknown session', error: new SessionError(SessionErrorCode.NotFound, 'x'), code: status.NOT_FOUND },
    {
      name: 'a start failing on a missing interface',
      error: new SessionError(SessionErrorCode.StartFailed, 'open', {
        cause: new CaptureError(CaptureErrorCode.OpenFailed, 'no such device'),
      }),
      code: status.FAILED_PRECONDITION,
    },
    {
      name: 'a start failing on a bad file name',
      error: new SessionError(SessionErrorCode.StartFailed, 'open', {
        cause: new OutputError(OutputErrorCode.InvalidName, 'bad'),
      }),
      code: status.INVALID_ARGUMENT,
    },
    { name: 'anything else', error: new Error('boom'), code: status.INTERNAL },
  ])('should map $name', ({ error, code }) => {
    expect(statusOf(error)).toBe(code);
  });

  it('should keep the message as the status details', () => {
    const error = toServiceError(new FilterError('bpf', 'syntax error'));
    expect(error.details).toBe('bpf: syntax error');
    expect(error.code).toBe(status.INVALID_ARGUMENT);
  });
});
