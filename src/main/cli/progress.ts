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
      { stream, format: '{pass} [{bar}] {value}/{total} slices | {name} | {duration_formatted} elapsed, ~{eta_formatted} left', hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    let pass: string | undefined;
    let moved = false;
    return {
      update(p) {
        if (p.phase === 'write') return;
        // Two passes over the slices for an aligned job: estimating, then stacking.
        const label = p.phase === 'align' ? 'aligning' : 'stacking';
        if (pass === undefined) {
          bar.start(p.total, 0, { name: '', pass: label });
        } else if (label !== pass) {
          // Keep a finished pass's bar on screen; one that never moved is only relabelled.
          if (moved) {
            bar.stop();
            bar.start(p.total, 0, { name: '', pass: label });
          } else {
            bar.setTotal(p.total);
            bar.update({ pass: label });
          }
          moved = false;
        }
        pass = label;
        // A pass's opening event (nothing done yet) would only make the estimate infinite.
        if ((p.phase === 'align' || p.phase === 'focus') && p.done > 0) {
          bar.update(p.done, { name: p.slice?.name ?? '' });
          moved = true;
        }
      },
      stop() {
        if (pass !== undefined) bar.stop();
      },
    };
  }
  return {
    update(p) {
      const seconds = (p.elapsedMs / 1000).toFixed(1);
      if (p.phase === 'probe') stream.write(`found ${p.total} slices (${seconds}s)\n`);
      else if (p.phase === 'align') stream.write(p.done === 0 ? `aligning ${p.total} slices to the reference (${seconds}s)\n` : `aligned ${p.done}/${p.total} (${seconds}s)\n`);
      else if (p.phase === 'focus') stream.write(`slice ${p.done}/${p.total} ${p.slice?.name ?? ''} (${seconds}s)\n`);
      else stream.write(`writing outputs (${seconds}s)\n`);
    },
    stop() {},
  };
}
