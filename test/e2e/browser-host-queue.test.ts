// Issue 17's batch queue and issue 18's visible host queue, in Debian's Chromium against the built
// browser host: two shared stacks added from the folder browser run one after another with the
// toolbar's options, each row going ready -> queued -> running -> done in turn, and a finished
// row opens its result in the viewer.
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, test } from 'vitest';
import { appInChromium, missingPrerequisite, screenshot, waitForDone } from './browser-host-fixture';

const skipReason = missingPrerequisite();
if (skipReason && process.env.CI) throw new Error(`browser-host e2e tests cannot run in CI: ${skipReason}`);
if (skipReason) process.stdout.write(`[e2e] batch queue tests skipped: ${skipReason}\n`);

/** Records every status the queue's rows show from now on, in order, as "<name>: <status>". */
async function watchRows(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { rowStatuses: string[] };
    w.rowStatuses = [];
    const record = () => {
      for (const button of document.querySelectorAll('.queue-open')) {
        const label = button.getAttribute('aria-label')!.replace(/ \d+%$/, '');
        if (!w.rowStatuses.includes(label)) w.rowStatuses.push(label);
      }
    };
    record();
    new MutationObserver(record).observe(document.querySelector('[aria-label="Batch queue"]')!, { subtree: true, childList: true, attributes: true, attributeFilter: ['aria-label'] });
  });
}

const rowStatuses = (page: Page) => page.evaluate(() => (window as unknown as { rowStatuses: string[] }).rowStatuses);

describe.skipIf(skipReason !== null)('the batch queue, in Chromium', () => {
  const session = appInChromium();
  let page: Page;
  beforeAll(async () => {
    page = session.page;
    await page.goto(session.app.url);
  });

  test('stacks added from the folder browser run one after another, each row showing where it stands, and a finished one opens', { timeout: 300_000 }, async () => {
    const queue = page.getByRole('region', { name: 'Batch queue' });
    // The toolbar's options go with the batch: no alignment, so the test is quick.
    await page.getByRole('combobox', { name: 'Alignment' }).selectOption('off');

    await queue.getByRole('button', { name: 'Add folders…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add stacks to the batch queue' });
    await dialog.getByRole('button', { name: 'Add stack microtubules' }).click();
    await dialog.getByRole('button', { name: 'Add stack pcb' }).click();
    await expect.poll(() => dialog.getByRole('status').textContent()).toBe('Added 2: microtubules, pcb');
    await dialog.getByRole('button', { name: 'Close' }).click();

    const rows = queue.getByRole('list', { name: 'Queued stacks' }).getByRole('listitem');
    await expect.poll(() => rows.count()).toBe(2);
    await watchRows(page);
    await queue.getByRole('button', { name: 'Start queue' }).click();

    // The second waits while the first runs: both said at once in the panel.
    await queue.getByRole('button', { name: 'pcb: queued, 1 ahead' }).waitFor({ timeout: 60_000 });
    await queue.getByRole('button', { name: /^pcb: stacking/ }).waitFor({ timeout: 120_000 });
    // Nothing is shown in the viewer yet, and the progress line says what the queue is doing.
    await expect.poll(() => page.locator('.progress-text').textContent()).toBe('Batch queue: stacking pcb');
    await screenshot(page, 'queue-01-second-running');
    await queue.getByRole('button', { name: 'pcb: done' }).waitFor({ timeout: 180_000 });

    const seen = await rowStatuses(page);
    const at = (label: string) => seen.indexOf(label);
    for (const name of ['microtubules', 'pcb']) {
      // Each row in turn: added, sent, stacking, done (a first job may skip the waiting state between renders).
      const own = seen.filter((label) => label.startsWith(`${name}: `)).map((label) => label.slice(name.length + 2).replace(/,.*$/, ''));
      expect(own.filter((s, i) => s !== own[i - 1]), name).toEqual(name === 'pcb' ? ['ready', 'queued', 'stacking', 'done'] : expect.arrayContaining(['ready', 'stacking', 'done']));
    }
    // One at a time, in the order of the list.
    expect(at('microtubules: done')).toBeGreaterThanOrEqual(0);
    expect(at('microtubules: done')).toBeLessThan(at('pcb: stacking'));
    expect(at('pcb: queued, 1 ahead')).toBeLessThan(at('microtubules: done'));

    // A finished row opens its result in the viewer, the composite first.
    await queue.getByRole('button', { name: 'microtubules: done' }).click();
    await waitForDone(page, 15);
    expect(await page.locator('.stack-title').textContent()).toBe('microtubules');
    await page.getByRole('img', { name: 'Composite' }).waitFor();
    expect(await queue.getByRole('button', { name: 'microtubules: done' }).getAttribute('aria-current')).toBe('true');
    await screenshot(page, 'queue-02-finished-opened');
    expect(session.problems).toEqual([]);
  });
});
