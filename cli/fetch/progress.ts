// Download progress on stderr: a bar with bytes, rate and ETA on a terminal (cli-progress), a plain
// line every few seconds otherwise, so logs stay readable.
import cliProgress from 'cli-progress';

export interface Progress {
  add(bytes: number): void;
  done(): void;
}

const PLAIN_INTERVAL_MS = 5000;

const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(1);

export function startProgress(total: number, label: string, stream: NodeJS.WriteStream = process.stderr): Progress {
  const started = Date.now();
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        stream,
        format: `${label} [{bar}] {percentage}% | {done}/{all} MiB | {rate} MiB/s | ETA {eta_formatted}`,
        // Fits 80 columns up to 9999 MiB; past the edge a narrow terminal cuts the line instead of wrapping it.
        barsize: 20,
        linewrap: false,
        hideCursor: true,
        etaBuffer: 50,
      },
      cliProgress.Presets.shades_classic,
    );
    let done = 0;
    bar.start(total, 0, { done: '0.0', all: mib(total), rate: '0.0' });
    return {
      add(bytes) {
        done += bytes;
        const seconds = Math.max(0.001, (Date.now() - started) / 1000);
        bar.update(done, { done: mib(done), all: mib(total), rate: (done / 2 ** 20 / seconds).toFixed(1) });
      },
      done: () => bar.stop(),
    };
  }
  let done = 0;
  let last = 0;
  return {
    add(bytes) {
      done += bytes;
      if (Date.now() - last >= PLAIN_INTERVAL_MS) {
        last = Date.now();
        stream.write(`${label}: ${mib(done)} of ${mib(total)} MiB\n`);
      }
    },
    done: () => stream.write(`${label}: ${mib(done)} MiB in ${((Date.now() - started) / 1000).toFixed(1)} s\n`),
  };
}
