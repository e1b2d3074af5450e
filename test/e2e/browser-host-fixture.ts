// Starts the built browser host (`deepfield serve`) as its own process and a Debian Chromium
// driven by playwright-core, as a user would: the address with its token comes from stdout.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { repoRoot, sharedData, tempDir } from '../helpers/fixtures';

export const CHROMIUM = '/usr/bin/chromium';
export const LAUNCH_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
export const screenshotDir = path.join(repoRoot, 'test-results', 'e2e');

/** Why the browser tests cannot run here, or null when they can. */
export function missingPrerequisite(): string | null {
  if (!existsSync(CHROMIUM)) return `${CHROMIUM} is missing (apt-get install chromium; .ci/run installs it)`;
  if (!existsSync(path.join(repoRoot, 'out/main/cli.js')) || !existsSync(path.join(repoRoot, 'out/renderer/index.html'))) {
    return 'the app is not built (npm test builds it first)';
  }
  return null;
}

export interface ServedApp {
  url: string;
  origin: string;
  token: string;
  port: number;
  exportDir: string;
  configDir: string;
  stop(): Promise<void>;
}

export async function serve(root: string): Promise<ServedApp> {
  const exportDir = path.join(tempDir('deepfield-e2e-exports-'), 'exports');
  const configDir = tempDir('deepfield-e2e-config-');
  const child: ChildProcess = spawn(
    process.execPath,
    [path.join(repoRoot, 'out/main/cli.js'), 'serve', '--port', '0', '--root', root, '--export-dir', exportDir, '--threads', '2'],
    // A private config folder (recent stacks) and demo folder per run.
    { cwd: repoRoot, env: { ...process.env, XDG_CONFIG_HOME: configDir, TMPDIR: tempDir('deepfield-e2e-tmp-') }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`deepfield serve printed no address in 20 s:\n${output}`)), 20_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const match = /http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]+/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[0]);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`deepfield serve exited with ${code}:\n${output}`)));
  });
  const parsed = new URL(url);
  return {
    url,
    origin: parsed.origin,
    token: parsed.searchParams.get('token')!,
    port: Number(parsed.port),
    exportDir,
    configDir,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: LAUNCH_ARGS });
}

export async function newPage(browser: Browser): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
  });
  return { page, problems };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(screenshotDir, { recursive: true });
  const file = path.join(screenshotDir, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}

/** Waits for the progress line's "Done: N slices in ..." of a finished job. */
export async function waitForDone(page: Page, slices: number, timeout = 180_000): Promise<void> {
  await page.getByText(new RegExp(`^Done: ${slices} slices in`)).waitFor({ timeout });
}

/** Opens a stack under the host's root through the folder browser, as a user does. */
export async function openStack(page: Page, name: string): Promise<void> {
  await page.getByRole('button', { name: 'Open folder' }).click();
  await page.getByRole('dialog', { name: 'Choose a stack folder' }).getByRole('button', { name: `Open stack ${name}` }).click();
}

export interface AppInChromium {
  app: ServedApp;
  browser: Browser;
  page: Page;
  /** Page errors and console errors seen so far. */
  problems: string[];
}

/**
 * For a describe block: serves `root` and opens one 1440x900 page in Chromium before its tests,
 * closes both after them. The fields are filled in by the time the first test runs.
 */
export function appInChromium(root = sharedData): AppInChromium {
  const session = {} as AppInChromium;
  beforeAll(async () => {
    session.app = await serve(root);
    session.browser = await launchBrowser();
    Object.assign(session, await newPage(session.browser));
  });
  afterAll(async () => {
    await session.browser?.close();
    await session.app?.stop();
  });
  return session;
}
