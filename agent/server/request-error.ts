// A request the agent refuses at the gRPC boundary: carries the status code
// and a message that starts with the offending field.
import { status } from '@grpc/grpc-js';

export class RequestError extends Error {
  constructor(
    readonly code: status,
    readonly field: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(field === '' ? message : `${field}: ${message}`, options);
    this.name = 'RequestError';
  }
}

export function invalid(field: string, message: string): RequestError {
  return new RequestError(status.INVALID_ARGUMENT, field, message);
}
