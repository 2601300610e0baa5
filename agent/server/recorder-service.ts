// Hubble's recorder.Recorder/Record: one recording per bidi stream. The first
// message must be `start`; `running` responses with statistics follow at a
// regular interval; `stop`, a stop condition or the client going away stops
// the recording; a final `stopped` response (statistics + file path) is sent
// before the server ends the stream, as Hubble's client requires.
import { status, type ServerDuplexStream } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { RecorderHandlers } from '../../proto/generated/recorder/Recorder.js';
import type { RecordRequest__Output } from '../../proto/generated/recorder/RecordRequest.js';
import type { RecordResponse } from '../../proto/generated/recorder/RecordResponse.js';
import type { ManagedSession } from '../session/managed-session.js';
import type { SessionManager } from '../session/session-manager.js';
import { SessionState } from '../session/session-snapshot.js';
import { StopReason } from '../session/stop-condition.js';
import { hubbleSessionSpec, type HubbleDefaults } from './hubble-request.js';
import { RequestError } from './request-error.js';
import { toServiceError } from './status.js';
import { hubbleStats, timestamp } from './to-proto.js';

/** How often a running recording reports its statistics. */
export const RUNNING_INTERVAL_MS = 1000;

export interface RecorderServiceOptions {
  readonly manager: SessionManager;
  readonly hubble: HubbleDefaults;
  readonly logger: Logger;
  readonly runningIntervalMs?: number;
}

type RecordCall = ServerDuplexStream<RecordRequest__Output, RecordResponse>;

export function recorderHandlers(options: RecorderServiceOptions): RecorderHandlers {
  return { Record: (call: RecordCall) => new RecordStream(call, options).run() };
}

class RecordStream {
  private session: ManagedSession | undefined;
  private started = false;
  private finished = false;
  private timer: NodeJS.Timeout | undefined;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly call: RecordCall,
    private readonly options: RecorderServiceOptions,
  ) {}

  run(): void {
    this.call.on('data', (request: RecordRequest__Output) => {
      this.queue = this.queue.then(() => this.handle(request)).catch((error: unknown) => this.fail(error));
    });
    this.call.on('cancelled', () => {
      this.finished = true;
      this.stopTimer();
      if (this.session) void this.session.stop(StopReason.Stopped);
    });
  }

  private async handle(request: RecordRequest__Output): Promise<void> {
    if (this.finished) return;
    switch (request.requestType) {
      case 'start':
        if (this.started) {
          throw new RequestError(status.FAILED_PRECONDITION, 'start', 'a recording is already running on this stream');
        }
        this.started = true;
        await this.start(request);
        return;
      case 'stop':
        if (!this.session) {
          throw new RequestError(status.FAILED_PRECONDITION, 'stop', 'no recording was started on this stream');
        }
        await this.session.stop(StopReason.Stopped);
        return;
      default:
        throw new RequestError(status.INVALID_ARGUMENT, 'request_type', 'must be start or stop');
    }
  }

  private async start(request: RecordRequest__Output): Promise<void> {
    const spec = hubbleSessionSpec(request.start, this.options.hubble);
    const { session } = await this.options.manager.start(spec);
    this.session = session;
    if (this.finished) {
      void session.stop(StopReason.Stopped);
      return;
    }
    this.sendRunning();
    this.timer = setInterval(() => this.sendRunning(), this.options.runningIntervalMs ?? RUNNING_INTERVAL_MS);
    void session.done().then((final) => {
      this.stopTimer();
      if (this.finished) return;
      this.finished = true;
      if (final.state === SessionState.Failed) {
        this.call.emit('error', toServiceError(new RequestError(status.INTERNAL, '', final.message)));
        return;
      }
      this.call.write({
        nodeName: this.options.manager.nodeName,
        time: timestamp(new Date()),
        stopped: { stats: hubbleStats(final.stats), filesink: { filePath: final.files[0]?.path ?? '' } },
      });
      this.call.end();
    });
  }

  private sendRunning(): void {
    if (this.finished || !this.session) return;
    this.call.write({
      nodeName: this.options.manager.nodeName,
      time: timestamp(new Date()),
      running: { stats: hubbleStats(this.session.stats()) },
    });
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private fail(error: unknown): void {
    if (this.finished) return;
    this.finished = true;
    this.stopTimer();
    const serviceError = toServiceError(error);
    this.options.logger.info(
      { code: status[serviceError.code], error: serviceError.details },
      'Rejected recording request',
    );
    if (this.session) void this.session.stop(StopReason.Stopped);
    this.call.emit('error', serviceError);
  }
}
