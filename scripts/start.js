#!/usr/bin/env node
// `npm start`: the desktop app where Electron's binary is installed; elsewhere one line saying so,
// then the browser host (deepfield serve), built first if needed. Arguments after `--` go to
// `deepfield serve` (e.g. npm start -- --root ../shared/data --port 8080).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const bin = (name) => path.join(repo, 'node_modules', '.bin', process.platform === 'win32' ? `${name}.cmd` : name);

/**
 * Where Electron's binary is, or why there is none. Found the way electron's index.js finds it,
 * but without requiring that file: from v42 it downloads the binary on first require, which
 * hangs or fails on a machine without internet.
 */
function findElectron() {
  let packageDir;
  try {
    packageDir = path.dirname(require.resolve('electron/package.json'));
  } catch {
    return { reason: 'the electron package is not installed' };
  }
  const pathFile = path.join(packageDir, 'path.txt');
  const executable = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : undefined;
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH;
  const binary = override ? path.join(override, executable || 'electron') : executable && path.join(packageDir, 'dist', executable);
  if (!binary) return { reason: 'its binary was never downloaded (node_modules/electron/path.txt is missing)' };
  if (!existsSync(binary)) return { reason: `${binary} is missing` };
  return { binary };
}

function run(command, args) {
  const child = spawn(command, args, { cwd: repo, stdio: 'inherit' });
  // Ctrl-C reaches the child through the terminal; wait for it to finish cleaning up.
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 130 : 1)));
}

const electron = findElectron();
const extraArgs = process.argv.slice(2);
if (electron.binary) {
  run(bin('electron-vite'), ['preview']);
} else {
  process.stdout.write(`Electron is not available (${electron.reason}): starting the browser host instead.\n`);
  const built = ['out/main/cli.js', 'out/main/slice-worker.js', 'out/renderer/index.html'].every((f) => existsSync(path.join(repo, f)));
  if (!built) {
    const build = spawnSync(bin('electron-vite'), ['build'], { cwd: repo, stdio: ['ignore', 'ignore', 'inherit'] });
    if (build.status !== 0) {
      process.stderr.write('deepfield: the build failed (see above); fix it and run npm start again\n');
      process.exit(1);
    }
  }
  run(process.execPath, [path.join(repo, 'out/main/cli.js'), 'serve', ...extraArgs]);
}
