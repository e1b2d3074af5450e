// Retouch mode end to end in Debian's Chromium against the built browser host: open the pcb
// stack, paint one stroke from slice 1 on the composite, and check the exported composite
// changed only under the stroke (the pixels the engine's brush covers), then undo it; then the
// same zoomed in to 100%.
// Screenshots go to test-results/e2e/.
import { promises as fs } from 'node:fs';
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import { describe, expect, test } from 'vitest';
import { strokeCoverage, strokeWindow, type RetouchStroke } from '../../src/shared/retouch';
import { sharedData } from '../helpers/fixtures';
import { appInChromium, missingPrerequisite, openStack, screenshot, waitForDone } from './browser-host-fixture';

const skipReason = missingPrerequisite();
if (skipReason && process.env.CI) throw new Error(`retouch e2e tests cannot run in CI: ${skipReason}`);
if (skipReason) process.stdout.write(`[e2e] retouch tests skipped: ${skipReason}\n`);

const exported = new Set<string>();

/** Exports the composite as PNG through the menu; the path is the one the new toast names (toasts expire, so older ones may be gone). */
async function exportComposite(page: Page): Promise<string> {
  const notifications = page.getByRole('status', { name: 'Notifications' });
  const fresh = async () => [...(await notifications.innerText()).matchAll(/^Saved .* to (.+\.png)$/gm)].map((m) => m[1]).find((f) => !exported.has(f));
  await page.getByRole('button', { name: 'Export ▾' }).click();
  await page.getByRole('group', { name: 'Export options' }).getByRole('button', { name: 'Composite as PNG' }).click();
  await expect.poll(fresh, { timeout: 60_000 }).toBeDefined();
  const file = (await fresh())!;
  exported.add(file);
  return file;
}

async function pixels(file: string): Promise<{ data: Uint8Array; width: number; height: number }> {
  const { data, info } = await sharp(file).raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

type Pixels = Awaited<ReturnType<typeof pixels>>;

/** How many pixels differ between two exports of the same size, and how many of them lie outside the stroke's brush. */
function changesUnder(stroke: RetouchStroke, a: Pixels, b: Pixels): { changed: number; changedOutside: number } {
  const window = strokeWindow(stroke, a.width, a.height)!;
  const coverage = strokeCoverage(stroke, window);
  const under = (x: number, y: number) =>
    x >= window.left && y >= window.top && x < window.left + window.width && y < window.top + window.height && coverage[(y - window.top) * window.width + (x - window.left)] > 0;
  let changed = 0;
  let changedOutside = 0;
  for (let p = 0; p < a.width * a.height; p++) {
    if (a.data[p * 3] === b.data[p * 3] && a.data[p * 3 + 1] === b.data[p * 3 + 1] && a.data[p * 3 + 2] === b.data[p * 3 + 2]) continue;
    changed++;
    if (!under(p % a.width, Math.floor(p / a.width))) changedOutside++;
  }
  return { changed, changedOutside };
}

describe.skipIf(skipReason !== null)('retouching in the browser host', () => {
  const session = appInChromium(sharedData);

  test('a stroke painted on the pcb composite changes the exported composite only under the stroke, and undo takes it back', { timeout: 420_000 }, async () => {
    const { app, page, problems } = session;
    const sent: RetouchStroke[][] = [];
    page.on('request', (request) => {
      if (request.method() === 'POST' && /\/retouch(\?|$)/.test(new URL(request.url()).pathname)) sent.push(JSON.parse(request.postData()!).strokes);
    });
    await page.goto(app.url);
    await openStack(page, 'pcb');
    await waitForDone(page, 7, 300_000);
    await page.getByRole('tab', { name: 'Composite' }).click();
    const merged = await exportComposite(page);

    const retouch = page.getByRole('group', { name: 'Retouch' });
    await retouch.getByRole('button', { name: 'Retouch' }).click();
    await retouch.getByRole('combobox', { name: 'Source slice' }).selectOption({ label: '1: pcb_001.jpg' });
    await retouch.getByRole('spinbutton', { name: 'Brush size' }).fill('60');
    await retouch.getByRole('slider', { name: 'Brush hardness' }).fill('1');
    // ] and [ step the size by a tenth of itself: 60 -> 66 -> 59.
    await page.locator('#view-panel').hover();
    await page.keyboard.press(']');
    await expect.poll(() => retouch.getByRole('spinbutton', { name: 'Brush size' }).inputValue()).toBe('66');
    await page.keyboard.press('[');
    await expect.poll(() => retouch.getByRole('spinbutton', { name: 'Brush size' }).inputValue()).toBe('59');
    await retouch.getByRole('spinbutton', { name: 'Brush size' }).fill('60');

    // Paint across the middle of the fitted composite, over the header pins.
    const box = (await page.locator('#view-panel').boundingBox())!;
    const from = { x: box.x + box.width * 0.62, y: box.y + box.height * 0.45 };
    const to = { x: box.x + box.width * 0.8, y: box.y + box.height * 0.6 };
    await page.mouse.move(from.x, from.y);
    await page.mouse.down();
    await page.mouse.move(to.x, to.y, { steps: 12 });
    await screenshot(page, 'retouch-01-painting');
    await page.mouse.up();
    await expect.poll(() => retouch.getByRole('status', { name: 'Strokes' }).textContent(), { timeout: 60_000 }).toBe('1 stroke');
    const composite = page.getByRole('img', { name: 'Composite' });
    await expect.poll(() => composite.evaluate((img) => img.getAttribute('src')!.includes('retouch=1') && img.getAttribute('data-loading') === null), { timeout: 60_000 }).toBe(true);
    await screenshot(page, 'retouch-02-after');

    expect(sent).toHaveLength(1);
    const [stroke] = sent[0];
    expect(stroke).toMatchObject({ tool: 'brush', slice: 0, size: 60, hardness: 1, opacity: 1 });
    expect(stroke.points.length).toBeGreaterThan(3);

    const painted = await exportComposite(page);
    // Exported through the command line's writer: its sidecar records the strokes for --replay.
    expect(JSON.parse(await fs.readFile(`${painted}.deepfield.json`, 'utf8')).retouch).toEqual({ version: 1, strokes: [stroke] });
    const a = await pixels(merged);
    const b = await pixels(painted);
    expect([b.width, b.height]).toEqual([a.width, a.height]);
    const { changed, changedOutside } = changesUnder(stroke, a, b);
    expect(changedOutside).toBe(0);
    // The stroke covers about 60 x (its length) pixels; most of them were won by other slices.
    expect(changed).toBeGreaterThan(2000);

    // Before/after, then undo (Ctrl+Z): the merged composite again.
    await retouch.getByRole('checkbox', { name: 'Show before retouching' }).check();
    await expect.poll(() => composite.evaluate((img) => !img.getAttribute('src')!.includes('retouch=') && img.getAttribute('data-loading') === null), { timeout: 60_000 }).toBe(true);
    await screenshot(page, 'retouch-03-before');
    await retouch.getByRole('checkbox', { name: 'Show before retouching' }).uncheck();
    await page.locator('#view-panel').hover();
    await page.keyboard.press('Control+z');
    await expect.poll(() => retouch.getByRole('status', { name: 'Strokes' }).textContent(), { timeout: 60_000 }).toBe('0 strokes');
    expect(sent.at(-1)).toEqual([]);
    const undone = await pixels(await exportComposite(page));
    expect(Buffer.from(undone.data).equals(Buffer.from(a.data))).toBe(true);

    // Zoomed in to 100%: a 120-pixel drag on screen is a 120-pixel stroke in the composite (at the
    // fitted 40% it would span 300), and the export changes only under it.
    await page.getByRole('button', { name: '100%' }).click();
    const centre = { x: box.x + box.width / 2, y: box.y + box.height / 2 };
    await page.mouse.move(centre.x - 60, centre.y);
    await page.mouse.down();
    await page.mouse.move(centre.x + 60, centre.y, { steps: 12 });
    await page.mouse.up();
    await expect.poll(() => retouch.getByRole('status', { name: 'Strokes' }).textContent(), { timeout: 60_000 }).toBe('1 stroke');
    await expect.poll(() => composite.evaluate((img) => img.getAttribute('src')!.includes('retouch=') && img.getAttribute('data-loading') === null), { timeout: 60_000 }).toBe(true);
    await screenshot(page, 'retouch-04-zoomed');
    const [zoomed] = sent.at(-1)!;
    const xs = zoomed.points.map(([x]) => x);
    const ys = zoomed.points.map(([, y]) => y);
    expect(Math.max(...xs) - Math.min(...xs)).toBeGreaterThanOrEqual(110);
    expect(Math.max(...xs) - Math.min(...xs)).toBeLessThanOrEqual(121);
    expect(Math.max(...ys) - Math.min(...ys)).toBeLessThanOrEqual(1);
    const zoomedChanges = changesUnder(zoomed, a, await pixels(await exportComposite(page)));
    expect(zoomedChanges.changedOutside).toBe(0);
    expect(zoomedChanges.changed).toBeGreaterThan(500);
    expect(problems).toEqual([]);
  });
});
