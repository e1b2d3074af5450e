#!/usr/bin/env node
// `npm start`: the desktop app where Electron's binary is installed; elsewhere one line saying so,
// then the browser host (deepfield serve), built first if needed. Arguments after `--` go to
// `deepfield serve` (e.g. npm start -- --root ../shared/data --port 8080).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findElectron } from './find-electron.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => path.join(repo, 'node_modules', '.bin', process.platform === 'win32' ? `${name}.cmd` : name);

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
  process.stdout.write(`Electron is not available here (${electron.reason}): starting the browser host instead.\n`);
  const built = ['out/main/cli.js', 'out/main/slice-worker.js', 'out/renderer/index.html'].every((f) => existsSync(path.join(repo, f)));
  if (!built) {
    // The whole build (kernel, bundles, licences), as npm install's prepare step runs it.
    const npm = process.env.npm_execpath ? [process.execPath, [process.env.npm_execpath]] : [process.platform === 'win32' ? 'npm.cmd' : 'npm', []];
    const build = spawnSync(npm[0], [...npm[1], 'run', 'build'], { cwd: repo, stdio: ['ignore', 'ignore', 'inherit'] });
    if (build.status !== 0) {
      process.stderr.write('deepfield: the build failed (see above); fix it and run npm start again\n');
      process.exit(1);
    }
  }
  run(process.execPath, [path.join(repo, 'out/main/cli.js'), 'serve', ...extraArgs]);
}
