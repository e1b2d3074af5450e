// End to end in Debian's Chromium against the built browser host (`deepfield serve`), through the
// UI a user sees: open the pcb stack, watch progress, heatmaps, composite at 100%, a pixel's
// focus profile, export, cancel, the demo stack; and the host's refusals. Screenshots of each
// main view go to test-results/e2e/.
import { existsSync, promises as fs } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import sharp from 'sharp';
import type { Browser, Page } from 'playwright-core';
import { beforeAll, describe, expect, test } from 'vitest';
import { sharedData, tempDir } from '../helpers/fixtures';
import { appInChromium, missingPrerequisite, screenshot, serve, waitForDone, type ServedApp } from './browser-host-fixture';

const skipReason = missingPrerequisite();
// CI installs Chromium (.ci/run): there a missing prerequisite is a failure, not a skip.
if (skipReason && process.env.CI) throw new Error(`browser-host e2e tests cannot run in CI: ${skipReason}`);
if (skipReason) process.stdout.write(`[e2e] browser-host tests skipped: ${skipReason}\n`);

/** A request with a Host header of our choosing (fetch does not allow setting it). */
function rawGet(port: number, pathAndQuery: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: pathAndQuery, headers: { host } }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      })
      .on('error', reject);
  });
}

/** The composite's size as the viewer states it under the image ("2048×1536, 8-bit"). */
async function compositeSize(page: Page): Promise<[number, number]> {
  const text = (await page.locator('.image-info').textContent()) ?? '';
  const match = /(\d+)×(\d+), (8|16)-bit$/.exec(text);
  if (!match) throw new Error(`No image size in the viewer's caption: ${JSON.stringify(text)}`);
  return [Number(match[1]), Number(match[2])];
}

describe.skipIf(skipReason !== null)('the browser host in Chromium', () => {
  const session = appInChromium();
  let app: ServedApp;
  let browser: Browser;
  let page: Page;
  let problems: string[];
  beforeAll(() => ({ app, browser, page, problems } = session));

  test('opening ../shared/data/pcb shows progress, then seven heatmaps and the composite at its natural size', { timeout: 240_000 }, async () => {
    await page.goto(app.url);
    await screenshot(page, '01-start');
    await page.getByRole('button', { name: 'Open folder' }).click();
    const dialog = page.getByRole('dialog', { name: 'Choose a stack folder' });
    await expect.poll(() => dialog.isVisible()).toBe(true);
    await screenshot(page, '02-folder-browser');
    await dialog.getByRole('button', { name: 'Open stack pcb' }).click();

    const progress = page.getByRole('progressbar', { name: 'Stacking progress' });
    await expect.poll(() => progress.getAttribute('aria-valuetext'), { timeout: 60_000 }).toMatch(/^slice [1-7] of 7/);
    await screenshot(page, '03-progress');
    await waitForDone(page, 7);

    const slices = page.getByRole('complementary', { name: 'Slices' });
    await expect.poll(() => slices.getByRole('button', { name: /^Slice \d: pcb_00\d\.jpg$/ }).count()).toBe(7);
    const heatmaps = slices.getByRole('img', { name: /^Heatmap of slice \d$/ });
    await expect.poll(() => heatmaps.count()).toBe(7);
    for (let k = 0; k < 7; k++) {
      const size = await heatmaps.nth(k).evaluate((canvas) => [(canvas as HTMLCanvasElement).width, (canvas as HTMLCanvasElement).height]);
      expect(size[0]).toBeGreaterThan(100);
    }

    await page.getByRole('tab', { name: 'Heatmap' }).click();
    await expect.poll(() => page.getByRole('img', { name: 'Heatmap view, slice 1' }).count()).toBe(1);
    await screenshot(page, '04-heatmap');

    await page.getByRole('tab', { name: 'Composite' }).click();
    await page.getByRole('button', { name: '100%' }).click();
    await expect.poll(() => page.locator('output[aria-label="Zoom level"]').textContent()).toBe('100%');
    // The composite's natural size is the stack's frame as the host reports it: the slices'
    // 2048x1536, or the common area of the slices when alignment crops it.
    const [width, height] = await compositeSize(page);
    expect(width).toBeGreaterThan(2048 * 0.9);
    expect(width).toBeLessThanOrEqual(2048);
    expect(height).toBeGreaterThan(1536 * 0.9);
    expect(height).toBeLessThanOrEqual(1536);
    const composite = page.getByRole('img', { name: 'Composite' });
    await expect
      .poll(() => composite.evaluate((img) => [(img as HTMLImageElement).naturalWidth, (img as HTMLImageElement).naturalHeight, img.getAttribute('data-loading')]), { timeout: 60_000 })
      .toEqual([width, height, null]);
    await screenshot(page, '05-composite-100');

    await page.getByRole('button', { name: 'Fit' }).click();
    await page.getByRole('tab', { name: 'Depth' }).click();
    await expect.poll(() => page.getByRole('img', { name: 'Depth map' }).evaluate((img) => (img as HTMLImageElement).naturalWidth)).toBeGreaterThan(0);
    await screenshot(page, '06-depth');
    await page.getByRole('tab', { name: 'Slice' }).click();
    // An aligned slice is decoded and warped on request: wait for it before looking.
    await expect
      .poll(() => page.locator('#view-panel').getByRole('img', { name: 'Slice 1' }).evaluateAll((imgs) => imgs.length > 0 && imgs.every((img) => (img as HTMLImageElement).naturalWidth > 0)), { timeout: 30_000 })
      .toBe(true);
    await screenshot(page, '07-slice');
    expect(problems).toEqual([]);
  });

  test('clicking a pixel shows its focus profile with the winning slice', { timeout: 60_000 }, async () => {
    await page.getByRole('tab', { name: 'Composite' }).click();
    const panel = page.locator('#view-panel');
    const box = (await panel.boundingBox())!;
    await page.mouse.click(box.x + box.width * 0.55, box.y + box.height * 0.5);
    const profile = page.getByRole('region', { name: 'Pixel profile' });
    const caption = profile.getByText(/^Pixel \(\d+, \d+\): sharpest in slice/);
    await caption.waitFor({ timeout: 30_000 });
    const [, x, y] = /Pixel \((\d+), (\d+)\)/.exec((await caption.textContent())!)!;
    // The plotted profile is the host's exact one for that pixel, winner included.
    const response = await page.evaluate(async (url) => (await fetch(url)).json(), `${app.origin}/api/host?token=${app.token}`);
    expect(response.kind).toBe('browser');
    const chart = profile.getByRole('img', { name: new RegExp(`^Variance of pixel ${x}, ${y} by slice; winner is slice [1-7]$`) });
    expect(await chart.count()).toBe(1);
    await screenshot(page, '08-pixel-profile');
  });

  test('exporting the composite writes a new PNG where the toast says', { timeout: 60_000 }, async () => {
    await page.getByRole('button', { name: 'Export ▾' }).click();
    await page.getByRole('group', { name: 'Export options' }).getByRole('button', { name: 'Composite as PNG' }).click();
    const toast = page.getByRole('status', { name: 'Notifications' }).getByText(/^Saved .* to /);
    await toast.waitFor({ timeout: 30_000 });
    await screenshot(page, '09-export-toast');
    const saved = /to (.+\.png)$/.exec((await toast.textContent())!)![1];
    expect(saved).toBe(path.join(app.exportDir, 'pcb-argmax.png'));
    const [width, height] = await compositeSize(page);
    expect(await sharp(saved).metadata()).toMatchObject({ width, height, format: 'png' });
    expect((await fs.readdir(app.exportDir)).filter((f) => f.startsWith('.'))).toEqual([]);
  });

  test('the alignment panel lists the seven pcb slices with their shift, rotation, scale and gain', async () => {
    const panel = page.getByRole('region', { name: 'Alignment' });
    const rows = panel.getByRole('row', { name: /^Slice \d: / });
    await expect.poll(() => rows.count()).toBe(7);
    // pcb is a hand-held bracket: the reference is one slice, and the others report a scale.
    expect(await panel.getByRole('row', { name: /: reference$/ }).count()).toBe(1);
    const texts = await rows.allTextContents();
    process.stdout.write(`[e2e] alignment panel rows: ${JSON.stringify(texts)}\n`);
    await panel.scrollIntoViewIfNeeded();
    await screenshot(page, '15-alignment-panel');
  });

  test('switching method re-merges the finished job without a new run, and the split view compares two methods', { timeout: 180_000 }, async () => {
    const jobRequests: string[] = [];
    const onRequest = (r: { method(): string; url(): string }) => {
      if (r.method() === 'POST' && /\/api\/jobs(\?|$)/.test(r.url())) jobRequests.push(r.url());
    };
    page.on('request', onRequest);
    const doneText = await page.getByText(/^Done: 7 slices in/).textContent();
    await page.getByRole('tab', { name: 'Composite' }).click();
    await page.getByRole('combobox', { name: 'Merge method' }).selectOption('smooth');
    await page.getByRole('status', { name: 'Notifications' }).getByText(/^Merged with smooth in .* from the same focus maps/).waitFor({ timeout: 120_000 });
    const smooth = page.getByRole('img', { name: 'Composite (smooth)' });
    await expect.poll(() => smooth.evaluate((img) => [(img as HTMLImageElement).src.includes('method=smooth'), (img as HTMLImageElement).naturalWidth > 0]), { timeout: 60_000 }).toEqual([true, true]);
    // The same job, finished once: no new job was posted and the progress line did not change.
    expect(jobRequests).toEqual([]);
    expect(await page.getByText(/^Done: 7 slices in/).textContent()).toBe(doneText);

    await page.getByRole('checkbox', { name: 'Split view' }).check();
    await page.getByRole('combobox', { name: 'Right-hand view' }).selectOption('composite');
    await page.getByRole('combobox', { name: 'Right-hand method' }).selectOption('argmax');
    const argmax = page.getByRole('img', { name: 'Composite (argmax)' });
    await expect.poll(() => argmax.evaluate((img) => (img as HTMLImageElement).naturalWidth), { timeout: 60_000 }).toBeGreaterThan(0);
    await page.getByRole('button', { name: '200%' }).click();
    // At 200% each stage swaps its fitted preview for the full-resolution image once that has
    // loaded: wait for both, so the screenshot compares detail with detail.
    const fullSize = (img: Element) => !(img as HTMLImageElement).src.includes('maxSize=') && (img as HTMLImageElement).complete;
    await expect.poll(() => smooth.evaluate(fullSize), { timeout: 60_000 }).toBe(true);
    await expect.poll(() => argmax.evaluate(fullSize), { timeout: 60_000 }).toBe(true);
    await screenshot(page, '16-split-smooth-vs-argmax');
    expect(jobRequests).toEqual([]);
    page.off('request', onRequest);
    await page.getByRole('button', { name: 'Fit' }).click();
    await page.getByRole('checkbox', { name: 'Split view' }).uncheck();
  });

  test('the confidence map is shown as a map', { timeout: 60_000 }, async () => {
    await page.getByRole('tab', { name: 'Confidence' }).click();
    const map = page.getByRole('img', { name: 'Confidence map' });
    await expect.poll(() => map.evaluate((img) => (img as HTMLImageElement).naturalWidth), { timeout: 30_000 }).toBeGreaterThan(0);
    await screenshot(page, '17-confidence');
  });

  test('the export dialog writes an index map and a depth map into a new folder', { timeout: 120_000 }, async () => {
    await page.getByRole('button', { name: 'Export ▾' }).click();
    await page.getByRole('button', { name: 'More outputs…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Export outputs' });
    await dialog.getByRole('checkbox', { name: 'Index map (16-bit PNG)' }).check();
    await dialog.getByRole('checkbox', { name: 'Depth map in colour, with legend' }).check();
    await dialog.getByRole('combobox', { name: 'Composite format' }).selectOption('tiff');
    await screenshot(page, '18-export-dialog');
    await dialog.getByRole('button', { name: 'Export files' }).click();
    const toast = page.getByRole('status', { name: 'Notifications' }).getByText(/^Saved \d+ files to /);
    await toast.waitFor({ timeout: 60_000 });
    const folder = /to (.+)$/.exec((await toast.textContent())!)![1];
    expect(path.dirname(folder)).toBe(app.exportDir);
    // The composite is the one on screen, named for its method (the test before left 'smooth' shown).
    const method = await page.getByRole('combobox', { name: 'Merge method' }).inputValue();
    expect((await fs.readdir(folder)).sort()).toEqual(['depth.png', 'index.png', `pcb-${method}.tif`, `pcb-${method}.tif.deepfield.json`]);
    const [width, height] = await compositeSize(page);
    expect(await sharp(path.join(folder, 'index.png')).metadata()).toMatchObject({ width, height, depth: 'ushort' });
    expect(await sharp(path.join(folder, 'depth.png')).metadata()).toMatchObject({ format: 'png' });
  });

  test('a run can be cancelled', { timeout: 120_000 }, async () => {
    await page.getByRole('button', { name: 'Run' }).click();
    const cancel = page.getByRole('button', { name: 'Cancel' });
    await expect.poll(() => cancel.isEnabled(), { timeout: 30_000 }).toBe(true);
    await cancel.click();
    // Alignment is on by default, so the cancel may land in its pre-pass (6 estimates for 7 slices),
    // or, on a busy machine, before the slices have even been read.
    await page.getByText(/^Cancelled (after [0-6] of 7 slices|while aligning the slices \([0-5] of 6 estimated\)|before the slices were read)/).waitFor({ timeout: 60_000 });
    await screenshot(page, '10-cancelled');
  });

  test('a slice range stacks only those slices: 2 to 5 of pcb shows four', { timeout: 240_000 }, async () => {
    await page.getByRole('textbox', { name: 'First slice' }).fill('2');
    await page.getByRole('textbox', { name: 'Last slice' }).fill('5');
    await page.getByRole('button', { name: 'Open folder' }).click();
    await page.getByRole('dialog', { name: 'Choose a stack folder' }).getByRole('button', { name: 'Open stack pcb' }).click();
    await waitForDone(page, 4);
    const slices = page.getByRole('complementary', { name: 'Slices' });
    const names = await slices.getByRole('button', { name: /^Slice \d: / }).evaluateAll((buttons) => buttons.map((b) => b.getAttribute('aria-label')));
    expect(names).toEqual(['Slice 1: pcb_002.jpg', 'Slice 2: pcb_003.jpg', 'Slice 3: pcb_004.jpg', 'Slice 4: pcb_005.jpg']);
    expect(await page.getByRole('region', { name: 'Alignment' }).getByRole('row', { name: /^Slice \d: / }).count()).toBe(4);
    await page.getByRole('tab', { name: 'Composite' }).click();
    await expect.poll(() => page.getByRole('img', { name: /^Composite/ }).evaluate((img) => (img as HTMLImageElement).naturalWidth), { timeout: 30_000 }).toBeGreaterThan(0);
    await screenshot(page, '19-range-2-to-5');
    // Remembered options must not leak into the tests after this one.
    await page.getByRole('textbox', { name: 'First slice' }).fill('');
    await page.getByRole('textbox', { name: 'Last slice' }).fill('');
  });

  test('the demo stack runs from start to composite', { timeout: 240_000 }, async () => {
    await page.getByRole('button', { name: 'Try a demo stack' }).click();
    await waitForDone(page, 12);
    await page.getByRole('tab', { name: 'Composite' }).click();
    await page.getByRole('button', { name: 'Fit' }).click();
    await expect.poll(() => page.getByRole('img', { name: 'Composite' }).evaluate((img) => (img as HTMLImageElement).naturalWidth), { timeout: 30_000 }).toBeGreaterThan(0);
    await screenshot(page, '11-demo-composite');
    await page.getByRole('tab', { name: 'Depth' }).click();
    await expect.poll(() => page.getByRole('img', { name: 'Depth map' }).evaluate((img) => (img as HTMLImageElement).naturalWidth), { timeout: 30_000 }).toBeGreaterThan(0);
    await screenshot(page, '12-demo-depth');
    await page.getByRole('tab', { name: 'Heatmap' }).click();
    await screenshot(page, '13-demo-heatmap');
  });

  test('a request without the token is refused, and so is a foreign Host header', async () => {
    const page2 = await browser.newPage();
    const response = await page2.goto(`${app.origin}/`);
    expect(response!.status()).toBe(401);
    expect(await page2.getByRole('button', { name: 'Open folder' }).count()).toBe(0);
    expect(await page2.textContent('body')).toMatch(/needs the token in the address it printed/);
    await screenshot(page2, '14-no-token');
    await page2.close();
    expect((await fetch(`${app.origin}/api/host`)).status).toBe(401);
    expect((await fetch(`${app.origin}/api/host?token=${'0'.repeat(64)}`)).status).toBe(401);
    expect(await rawGet(app.port, `/api/host?token=${app.token}`, `attacker.example:${app.port}`)).toBe(403);
    expect(await rawGet(app.port, `/api/host?token=${app.token}`, `127.0.0.1:${app.port}`)).toBe(200);
  });

  test('a path outside the root is refused', async () => {
    const outside = path.resolve(sharedData, '..');
    const listing = await fetch(`${app.origin}/api/folders?path=${encodeURIComponent(outside)}&token=${app.token}`);
    expect(listing.status).toBe(403);
    expect((await listing.json()).error).toMatch(/outside the root/);
    const job = await fetch(`${app.origin}/api/jobs?token=${app.token}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ source: { kind: 'folder', path: '../../etc' } }),
    });
    expect(job.status).toBe(403);
    // In the UI the folder browser cannot go above the root.
    await page.getByRole('button', { name: 'Open folder' }).click();
    const dialog = page.getByRole('dialog', { name: 'Choose a stack folder' });
    await expect.poll(() => dialog.getByRole('button', { name: 'Parent folder' }).isDisabled()).toBe(true);
    await dialog.getByRole('button', { name: 'Close' }).click();
  });

  test('a symbolic link from inside the root to a stack outside it is refused', { timeout: 60_000 }, async () => {
    const root = tempDir('deepfield-e2e-root-');
    await fs.symlink(path.join(sharedData, 'pcb'), path.join(root, 'pcb-link'));
    const confined = await serve(root);
    try {
      const listing = await fetch(`${confined.origin}/api/folders?path=${encodeURIComponent(path.join(root, 'pcb-link'))}&token=${confined.token}`);
      expect(listing.status).toBe(403);
      const job = await fetch(`${confined.origin}/api/jobs?token=${confined.token}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ source: { kind: 'folder', path: 'pcb-link' } }),
      });
      expect(job.status).toBe(403);
      expect(existsSync(confined.exportDir)).toBe(false);
    } finally {
      await confined.stop();
    }
  });
});
