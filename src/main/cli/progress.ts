// Progress on stderr: a bar when stderr is a terminal, one plain line per event otherwise (logs,
// CI, pipes), so stdout stays free for --json.
import cliProgress from 'cli-progress';
import type { StackProgress } from '../../shared/types';

export interface ProgressReporter {
  update(progress: StackProgress): void;
  stop(): void;
}

export function createProgressReporter(stream: NodeJS.WriteStream = process.stderr): ProgressReporter {
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      { stream, format: 'stacking [{bar}] {value}/{total} slices | {name} | {duration_formatted} elapsed, ~{eta_formatted} left', hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      update(p) {
        if (!started && p.phase !== 'write') {
          bar.start(p.total, 0, { name: '' });
          started = true;
        }
        if (p.phase === 'focus') bar.update(p.done, { name: p.slice?.name ?? '' });
      },
      stop() {
        if (started) bar.stop();
      },
    };
  }
  return {
    update(p) {
      const seconds = (p.elapsedMs / 1000).toFixed(1);
      if (p.phase === 'probe') stream.write(`found ${p.total} slices (${seconds}s)\n`);
      else if (p.phase === 'focus') stream.write(`slice ${p.done}/${p.total} ${p.slice?.name ?? ''} (${seconds}s)\n`);
      else stream.write(`writing outputs (${seconds}s)\n`);
    },
    stop() {},
  };
}
