// `deepfield serve`: the app in a browser, for machines without the Electron binary. Serves the
// built renderer and the session's API on 127.0.0.1 with a random token in the printed address.
import path from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { version } from '../../../package.json';
import { describeExpected } from '../../shared/options';
import { closeMetadataTool, Engine } from '../engine';
import { startBrowserHost } from '../host/http-server';
import { RootFolder } from '../host/paths';
import { defaultConfigDir } from '../host/recent';
import { Session } from '../host/session';

export interface ServeOptions {
  port: number;
  root: string;
  exportDir?: string;
  threads?: number;
}

function parsePort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError(describeExpected('a port number from 0 to 65535', 'port', value));
  return n;
}

/** Runs the browser host until `signal` aborts (Ctrl-C). */
export async function runServe(workerFile: string, opts: ServeOptions, signal: AbortSignal): Promise<void> {
  const root = await RootFolder.open(opts.root);
  const engine = new Engine({ workerFile, threads: opts.threads });
  const session = new Session({
    engine,
    configDir: defaultConfigDir(),
    root,
    exportDir: path.resolve(opts.exportDir ?? path.join(root.path, 'deepfield-exports')),
    previewSize: 1024,
  });
  try {
    const host = await startBrowserHost({
      session,
      // The built renderer sits beside the built main process: out/main and out/renderer.
      staticDir: path.resolve(path.dirname(workerFile), '../renderer'),
      version,
      port: opts.port,
    });
    process.stdout.write(
      `Deepfield is serving ${root.path} (exports go to ${session.exportDir}).\n` +
        `Open this address in a browser (Ctrl-C to stop):\n\n    ${host.url}\n\n`,
    );
    await new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      signal.addEventListener('abort', () => resolve(), { once: true });
    });
    session.close();
    await host.close();
  } finally {
    await engine.close();
    // Exports copy metadata through one ExifTool process: end it, or it outlives the host.
    await closeMetadataTool();
  }
}

export function registerServeCommand(program: Command, workerFile: string, signal: AbortSignal): void {
  program
    .command('serve')
    .description('serve the app to a web browser on this machine (127.0.0.1 only, with a token in the address)')
    .option('--port <n>', 'port to listen on (0: any free port)', parsePort, 0)
    .option('--root <dir>', 'the folder whose stacks may be opened; nothing outside it is readable', process.cwd())
    .option('--export-dir <dir>', 'where exports are written (default: deepfield-exports inside the root)')
    .option('--threads <n>', 'worker threads (default: one per core)', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1 || n > 256) throw new InvalidArgumentError(describeExpected('a whole number from 1 to 256', 'threads', v));
      return n;
    })
    .action((opts: ServeOptions) => runServe(workerFile, opts, signal));
}
