// Finds Electron's binary the way node_modules/electron/index.js does, without requiring that
// file: from v42 it downloads the binary on first require, which hangs or fails without internet.
// Used by scripts/start.js and the Electron end-to-end test.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

/** @returns {{ binary: string } | { reason: string }} */
export function findElectron() {
  const require = createRequire(import.meta.url);
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
  if (!binary) return { reason: "Electron's binary was never downloaded (node_modules/electron/path.txt is missing)" };
  if (!existsSync(binary)) return { reason: `Electron's binary ${binary} is missing` };
  return { binary };
}
