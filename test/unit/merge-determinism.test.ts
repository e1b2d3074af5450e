// The same job gives the same bits however many worker threads run it and whichever finishes
// first. smooth and pyramid add float sums across slices; added in the order workers finished,
// two 2-thread runs of the pcb bracket differed from each other and from one thread in a few
// samples. A synthetic stack large enough to show it (before the fix: most runs differ).
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { writeSyntheticStack } from '../../src/main/demo/synthetic-stack';
import { Engine } from '../../src/main/engine/job/engine';
import { builtWorkerFile, bytesOf, tempDir } from '../helpers/fixtures';

let dir: string;
let single: Engine;
let parallel: Engine;
beforeAll(async () => {
  dir = path.join(tempDir(), 'stack');
  await writeSyntheticStack({ width: 960, height: 720, sliceCount: 9, seed: 11, noise: 10 }, dir, 'png');
  single = new Engine({ workerFile: builtWorkerFile(), threads: 1 });
  parallel = new Engine({ workerFile: builtWorkerFile(), threads: 2 });
});
afterAll(async () => {
  await Promise.all([single?.close(), parallel?.close()]);
});

describe.each(['smooth', 'pyramid'] as const)('method %s', (method) => {
  test('one thread and two threads (three runs) give the same composite and depth map, bit for bit', { timeout: 180_000 }, async () => {
    const options = { method, align: 'off' as const };
    const reference = await single.stack({ inputs: [dir], options });
    const composite = bytesOf(reference.composite);
    const indexMap = bytesOf(reference.indexMap);
    for (let run = 0; run < 3; run++) {
      const result = await parallel.stack({ inputs: [dir], options });
      const other = bytesOf(result.composite);
      let differing = 0;
      for (let i = 0; i < other.length; i++) if (other[i] !== composite[i]) differing++;
      expect(differing, `run ${run + 1}: samples that differ from the one-thread composite`).toBe(0);
      expect(bytesOf(result.indexMap).equals(indexMap), `run ${run + 1}: depth map`).toBe(true);
    }
  });
});
