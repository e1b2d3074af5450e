// Issue 16 in Debian's Chromium against the built browser host: a folder of camera RAW slices
// (DNGs written in code) gets the RAW colour choice beside its title, the toolbar stays one row at
// 1440 px (with the run note, its widest), and the choice reaches the job.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, test } from 'vitest';
import { encodeDng } from '../helpers/dng';
import { random, tempDir } from '../helpers/fixtures';
import { appInChromium, missingPrerequisite, openStack, screenshot, waitForDone } from './browser-host-fixture';

const skipReason = missingPrerequisite();
if (skipReason && process.env.CI) throw new Error(`browser-host e2e tests cannot run in CI: ${skipReason}`);
if (skipReason) process.stdout.write(`[e2e] RAW colour tests skipped: ${skipReason}\n`);

/** A root holding 'bracket': three DNG slices, slice k busy in third k of the width. */
function rawRoot(): string {
  const root = tempDir();
  const dir = path.join(root, 'bracket');
  const [width, height] = [96, 64];
  return Object.assign(root, {
    ready: (async () => {
      await fs.mkdir(dir);
      for (let k = 0; k < 3; k++) {
        const rnd = random(40 + k);
        const rgb = new Float64Array(width * height * 3);
        for (let i = 0; i < width * height; i++) rgb.fill(Math.floor(((i % width) * 3) / width) === k ? 0.1 + 0.8 * rnd() : 0.3, i * 3, i * 3 + 3);
        await fs.writeFile(path.join(dir, `IMG_${k + 1}.dng`), encodeDng({ width, height, rgb }));
      }
    })(),
  });
}

const root = rawRoot();

describe.skipIf(skipReason !== null)('camera RAW slices in the app, in Chromium', () => {
  const session = appInChromium(root);
  let page: Page;
  beforeAll(async () => {
    await (root as unknown as { ready: Promise<void> }).ready;
    page = session.page;
    await page.goto(session.app.url);
  });

  test('a RAW stack offers the RAW colour, the toolbar stays one row, and the choice reaches the job', { timeout: 120_000 }, async () => {
    await openStack(page, 'bracket');
    await waitForDone(page, 3);
    const toolbar = page.getByRole('toolbar', { name: 'Stack' });
    await page.getByRole('combobox', { name: 'RAW colour' }).selectOption('linear');
    // The run note beside Run as well: the widest the toolbar gets.
    await page.getByRole('textbox', { name: 'Last slice' }).fill('2');
    await page.getByText('Stacking 2 of 3 slices').waitFor();
    await screenshot(page, 'raw-01-colour-choice');
    expect((await toolbar.boundingBox())!.height).toBeLessThan(50);
    const posted = page.waitForRequest((r) => r.method() === 'POST' && /\/api\/jobs(\?|$)/.test(r.url()), { timeout: 10_000 });
    await page.getByRole('button', { name: 'Run' }).click();
    expect(JSON.parse((await posted).postData()!).options.rawColour).toBe('linear');
    await waitForDone(page, 2);
  });
});
