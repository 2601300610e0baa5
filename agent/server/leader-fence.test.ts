import { status } from '@grpc/grpc-js';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { LeaderFence, memoryEpochStore } from './leader-fence.js';
import { RequestError } from './request-error.js';

function logged(): { logger: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { logger, lines };
}

describe('LeaderFence', () => {
  it('should admit unfenced and newer epochs and persist the highest', () => {
    const store = memoryEpochStore(2);
    const fence = new LeaderFence(store, pino({ level: 'silent' }));
    fence.admit(0, 'StartSession');
    fence.admit(2, 'StartSession');
    fence.admit('5', 'StopSession');
    expect(store.leaderEpoch()).toBe(5);
    expect(new LeaderFence(store, pino({ level: 'silent' })).highestEpoch).toBe(5);
  });

  it('should refuse a stale epoch with FAILED_PRECONDITION and log both numbers at warn', () => {
    const { logger, lines } = logged();
    const fence = new LeaderFence(memoryEpochStore(5), logger);
    let error: unknown;
    try {
      fence.admit(3, 'UpdateSession');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(RequestError);
    expect((error as RequestError).code).toBe(status.FAILED_PRECONDITION);
    expect((error as RequestError).message).toBe('leader_epoch: stale leader epoch 3 < 5');
    expect(lines).toContainEqual(
      expect.objectContaining({ level: 40, msg: 'Refused request from a stale leader', epoch: 3, highestEpoch: 5 }),
    );
    expect(fence.highestEpoch).toBe(5);
  });
});
