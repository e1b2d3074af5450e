// The desktop app through Playwright's Electron driver: one sandboxed window served from
// deepfield://, the preload's API present and Node absent in the page, and the demo stack
// running to its composite. Runs only where Electron's binary is installed.
import path from 'node:path';
import { _electron as electron, type ElectronApplication } from 'playwright-core';
import { afterAll, describe, expect, test } from 'vitest';
import { repoRoot, tempDir } from '../helpers/fixtures';
import { screenshotDir } from './browser-host-fixture';
// @ts-expect-error: a plain JavaScript module shared with scripts/start.js
import { findElectron } from '../../scripts/find-electron.js';

const found = findElectron() as { binary: string } | { reason: string };
const skipReason = 'reason' in found ? found.reason : null;
if (skipReason) process.stdout.write(`[e2e] Electron app test skipped: ${skipReason}\n`);

describe.skipIf(skipReason !== null)('the desktop app (Electron)', () => {
  let app: ElectronApplication | undefined;
  afterAll(async () => {
    await app?.close();
  });

  test('opens one locked-down window and stacks the demo', { timeout: 240_000 }, async () => {
    app = await electron.launch({
      executablePath: (found as { binary: string }).binary,
      args: [repoRoot, ...(process.platform === 'linux' ? ['--no-sandbox'] : [])],
      env: { ...process.env, XDG_CONFIG_HOME: tempDir('deepfield-electron-config-'), TMPDIR: tempDir('deepfield-electron-tmp-') },
    });
    const page = await app.firstWindow();
    await page.waitForLoadState('domcontentloaded');
    expect(page.url()).toBe('deepfield://app/index.html');
    expect(app.windows()).toHaveLength(1);
    // The page sees the preload's API and nothing of Node.
    expect(await page.evaluate(() => [typeof (globalThis as { deepfield?: object }).deepfield, typeof (globalThis as { require?: unknown }).require])).toEqual(['object', 'undefined']);
    await page.getByRole('button', { name: 'Try a demo stack' }).click();
    await page.getByText(/^Done: 12 slices in/).waitFor({ timeout: 180_000 });
    await page.getByRole('tab', { name: 'Composite' }).click();
    await expect.poll(() => page.getByRole('img', { name: 'Composite' }).evaluate((img) => (img as HTMLImageElement).naturalWidth), { timeout: 30_000 }).toBeGreaterThan(0);
    await page.screenshot({ path: path.join(screenshotDir, 'electron-demo-composite.png') });
    // Navigation away from the app is blocked.
    await page.evaluate(() => {
      globalThis.location.href = 'https://example.com/';
    });
    await page.waitForTimeout(500);
    expect(page.url()).toBe('deepfield://app/index.html');
  });
});
