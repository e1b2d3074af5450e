// Issue 17 in Debian's Chromium against the built browser host: what a new user met when trying
// the app as a daily tool on ../shared/data (a range remembered from another folder, a progress
// bar running backwards, the Export popover off the window, a developer's sigma message that
// broke the toolbar, a narrow Recent stacks list, two outlines in the slice strip).
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, test } from 'vitest';
import { sharedData } from '../helpers/fixtures';
import { appInChromium, missingPrerequisite, openStack, screenshot, waitForDone } from './browser-host-fixture';

const skipReason = missingPrerequisite();
if (skipReason && process.env.CI) throw new Error(`browser-host e2e tests cannot run in CI: ${skipReason}`);
if (skipReason) process.stdout.write(`[e2e] daily-tool tests skipped: ${skipReason}\n`);



/** Records every value the progress bar shows from now on (read back with progressValues). */
async function watchProgress(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { progressValues: number[] };
    w.progressValues = [];
    const bar = document.querySelector('[role="progressbar"]')!;
    new MutationObserver(() => w.progressValues.push(Number(bar.getAttribute('aria-valuenow')))).observe(bar, { attributes: true, attributeFilter: ['aria-valuenow'] });
  });
}

const progressValues = (page: Page) => page.evaluate(() => (window as unknown as { progressValues: number[] }).progressValues);

describe.skipIf(skipReason !== null)('the app as a daily tool, in Chromium', () => {
  const session = appInChromium();
  let page: Page;
  beforeAll(async () => {
    page = session.page;
    await page.goto(session.app.url);
  });

  test('a folder dropped on the window is found under the root by name and stacked', { timeout: 240_000 }, async () => {
    // What Chromium hands a page for a dropped folder: a File with its name and no type.
    await page.evaluate(() => {
      const data = new DataTransfer();
      data.items.add(new File([], 'pcb'));
      const target = document.querySelector('.app')!;
      target.dispatchEvent(new DragEvent('dragover', { dataTransfer: data, bubbles: true, cancelable: true }));
      target.dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));
    });
    await waitForDone(page, 7);
    expect(await page.locator('.stack-title').textContent()).toBe('pcb');
  });

  test('a range typed for pcb is shown at Run, and dropped when the reopened app opens microtubules', { timeout: 300_000 }, async () => {
    await page.getByRole('textbox', { name: 'First slice' }).fill('3');
    await page.getByRole('textbox', { name: 'Last slice' }).fill('5');
    await openStack(page, 'pcb');
    await expect.poll(() => page.getByText(/^Stacking \d+ of \d+ slices$/).textContent()).toBe('Stacking 3 of 7 slices');
    await waitForDone(page, 3);
    await screenshot(page, 'daily-01-range-at-run');

    // The browser is closed and opened again: the range is remembered, for pcb only.
    await page.reload();
    expect(await page.getByRole('textbox', { name: 'First slice' }).inputValue()).toBe('3');
    await watchProgress(page);
    await openStack(page, 'microtubules');
    await waitForDone(page, 15);
    expect(await page.getByRole('textbox', { name: 'First slice' }).inputValue()).toBe('');
    expect(await page.getByRole('textbox', { name: 'Last slice' }).inputValue()).toBe('');
    expect(await page.getByText(/^Stacking \d+ of/).count()).toBe(0);

    // One bar for the whole job: it never went back between the alignment and the focus pass.
    const values = await progressValues(page);
    process.stdout.write(`[e2e] progress values: ${JSON.stringify(values)}\n`);
    // React batches renders, so a quick machine shows only a few of the job's steps; three are enough to see the order.
    expect(values.length).toBeGreaterThanOrEqual(3);
    for (let i = 1; i < values.length; i++) expect(values[i], `progress ${values.slice(0, i + 1).join(', ')}`).toBeGreaterThanOrEqual(values[i - 1]);
    expect(values.at(-1)).toBe(100);
  });

  test('the Export popover stays inside the 1440 px window and Esc closes it with focus on its button', async () => {
    const button = page.getByRole('button', { name: 'Export ▾' });
    await button.click();
    const popover = page.getByRole('group', { name: 'Export options' });
    const box = (await popover.boundingBox())!;
    expect(box.x).toBeGreaterThanOrEqual(0);
    expect(box.x + box.width).toBeLessThanOrEqual(1440);
    const quality = (await popover.getByRole('spinbutton', { name: 'JPEG quality' }).boundingBox())!;
    expect(quality.x + quality.width).toBeLessThanOrEqual(box.x + box.width);
    await screenshot(page, 'daily-02-export-popover');
    await button.focus();
    await page.keyboard.press('Escape');
    await expect.poll(() => popover.count()).toBe(0);
  });

  test('an invalid sigma is explained under the field, the toolbar stays one row, and Run works once it is fixed', { timeout: 120_000 }, async () => {
    const toolbar = page.getByRole('toolbar', { name: 'Stack' });
    const oneRow = (await toolbar.boundingBox())!.height;
    expect(oneRow).toBeLessThan(50);
    await page.getByRole('textbox', { name: 'Sigma' }).fill('abc');
    await page.getByRole('button', { name: 'Run' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/^Sigma is the size of the focus measure in pixels: .*"abc" is not a number/);
    expect((await toolbar.boundingBox())!.height).toBe(oneRow);
    await screenshot(page, 'daily-03-sigma-error');
    await page.getByRole('textbox', { name: 'Sigma' }).fill('2');
    const run = page.getByRole('button', { name: 'Run' });
    expect(await run.isEnabled()).toBe(true);
    const posted = page.waitForRequest((r) => r.method() === 'POST' && /\/api\/jobs(\?|$)/.test(r.url()), { timeout: 10_000 });
    await run.click();
    expect(JSON.parse((await posted).postData()!).options.sigma).toBe(2);
    await waitForDone(page, 15);
    expect(await alert.count()).toBe(0);
  });

  test('Recent stacks is wide enough to read, and the slice strip outlines one slice', async () => {
    const recent = page.getByRole('combobox', { name: 'Recent stacks' });
    expect((await recent.boundingBox())!.width).toBeGreaterThanOrEqual(120);
    expect(await recent.locator('option').allTextContents()).toContain(`microtubules — ${sharedData}/microtubules`);
    const strip = page.getByRole('complementary', { name: 'Slices' });
    await strip.getByRole('button', { name: /^Slice 2:/ }).click();
    await page.keyboard.press('ArrowRight');
    const current = strip.getByRole('button', { name: /^Slice 3:/ });
    expect(await current.getAttribute('aria-current')).toBe('true');
    expect(await current.evaluate((button) => document.activeElement === button)).toBe(true);
    await screenshot(page, 'daily-04-strip');
    expect(session.problems).toEqual([]);
  });
});
