// The demo stack: a synthetic scene with a known depth (engine/synthetic-stack.ts), written once
// per machine into a temporary folder, then stacked like any folder.
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeSyntheticStack, type SyntheticStackSpec } from '../demo/synthetic-stack';

/** Big enough to show zoom and depth, small enough to render and stack in a few seconds. */
export const DEMO_SPEC: SyntheticStackSpec = { width: 1200, height: 800, sliceCount: 12, seed: 7, noise: 1.5 };

const pending = new Map<string, Promise<string>>();

function demoFolder(spec: SyntheticStackSpec, parent: string): string {
  const key = [spec.width, spec.height, spec.sliceCount, spec.seed ?? 1, spec.noise ?? 0].join('-');
  return path.join(parent, `deepfield-demo-${key}`);
}

/**
 * The folder holding the demo stack, written on first use. A marker file written last tells a
 * complete folder from one a crash left half-written.
 */
export function ensureDemoStack(spec: SyntheticStackSpec = DEMO_SPEC, parent = os.tmpdir()): Promise<string> {
  const folder = demoFolder(spec, parent);
  let job = pending.get(folder);
  if (!job) {
    job = (async () => {
      const marker = path.join(folder, '.complete');
      if (await fs.stat(marker).then(() => true, () => false)) return folder;
      await fs.rm(folder, { recursive: true, force: true });
      await writeSyntheticStack(spec, folder, 'jpg');
      await fs.writeFile(marker, '');
      return folder;
    })();
    job.catch(() => pending.delete(folder));
    pending.set(folder, job);
  }
  return job;
}
