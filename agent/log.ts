// The agent's one pino logger (JSON lines on stdout); everything else logs
// through child loggers carrying session / recording context.
import pino, { type Logger } from 'pino';
import type { LogLevel } from './config/flags.js';

export function createLogger(level: LogLevel, nodeName: string): Logger {
  return pino(
    {
      level,
      base: { component: 'tapedeck-agent', node: nodeName },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: {
        paths: ['key', '*.key', 'privateKey', '*.privateKey', 'authorization', '*.authorization'],
        censor: '[redacted]',
      },
    },
    // Synchronous so that the last lines before exit are never lost.
    pino.destination({ dest: 1, sync: true }),
  );
}
