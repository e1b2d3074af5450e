// The installed app doubles as the command line: `Deepfield stack ...` (AppImage, .exe, .app binary)
// and `deepfield stack ...` (the .deb links /usr/bin/deepfield to the app binary) run the CLI in this
// process and exit without opening a window.
import { app } from 'electron';
import { fileURLToPath } from 'node:url';

/** First arguments that mean "command line": the CLI's subcommands and its help flags. */
const CLI_FIRST_ARGS = new Set(['stack', 'batch', 'worker', 'serve', 'help', '--help', '-h']);

/** The user's arguments: `electron . stack` in development carries the app path first
 *  (process.defaultApp), a packaged `Deepfield stack` does not. */
export function userArgs(argv: readonly string[], defaultApp: boolean): string[] {
  return argv.slice(defaultApp ? 2 : 1);
}

export function isCommandLineLaunch(args: readonly string[]): boolean {
  return args.length > 0 && CLI_FIRST_ARGS.has(args[0]);
}

/**
 * Runs the built command line (out/main/cli.js, beside this bundle) with `args` and exits the app
 * with its exit code. The returned promise never settles: awaiting it at the top of the main
 * entry keeps the rest of the entry (window creation) from running, and Electron holds its `ready`
 * event until the entry module has finished evaluating, so no window or GPU process appears.
 */
export async function runCommandLineAndExit(args: readonly string[]): Promise<never> {
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
    // A terminal without a display (ssh, a server): Chromium would abort when it fails to
    // initialise X11/Wayland; the headless Ozone platform needs neither. Set before `ready`.
    app.commandLine.appendSwitch('ozone-platform', 'headless');
  }
  app.dock?.hide();
  const cli = new URL('./cli.js', import.meta.url);
  // cli.js reads its arguments as process.argv.slice(2), the layout `node cli.js ...` gives it.
  process.argv = [process.argv[0], fileURLToPath(cli), ...args];
  try {
    await import(/* @vite-ignore */ cli.href);
  } catch (error) {
    process.stderr.write(`deepfield: could not start the command line: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
  // app.exit does not wait for pending writes, and stdout to a pipe is asynchronous on macOS:
  // an empty write's callback runs once everything queued before it is out (e.g. --json output).
  await Promise.all([process.stdout, process.stderr].map((stream) => new Promise((done) => stream.write('', done))));
  app.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
  return new Promise<never>(() => {});
}
