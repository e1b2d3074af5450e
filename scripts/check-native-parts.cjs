// electron-builder `beforePack` hook: stop a package that would ship without sharp's binary for its
// own platform and CPU. npm installs only the @img/* packages of the machine it runs on, so e.g. an
// x64 .dmg laid out on an Apple Silicon Mac would start and then fail to load sharp.
// CommonJS because electron-builder require()s hooks.
const { existsSync } = require('node:fs');
const path = require('node:path');

// electron-builder's Arch enum (builder-util): ia32 = 0, x64 = 1, armv7l = 2, arm64 = 3, universal = 4.
const ARCH_NAMES = { 0: 'ia32', 1: 'x64', 2: 'arm', 3: 'arm64' };

exports.default = async function checkNativeParts(context) {
  const platform = context.electronPlatformName;
  const arch = ARCH_NAMES[context.arch];
  if (!arch) throw new Error(`Expected an x64, arm64, ia32 or armv7l build but received arch ${context.arch}; build macOS per architecture, not universal`);
  const root = context.packager.projectDir;
  // Windows packages carry libvips inside @img/sharp-win32-*; elsewhere it has its own package.
  const needed = [`@img/sharp-${platform}-${arch}`, ...(platform === 'win32' ? [] : [`@img/sharp-libvips-${platform}-${arch}`])];
  const missing = needed.filter((name) => !existsSync(path.join(root, 'node_modules', name, 'package.json')));
  if (missing.length > 0) {
    throw new Error(`Cannot package Deepfield for ${platform}-${arch}: ${missing.join(' and ')} not installed. ` +
      `Build on a ${platform}-${arch} machine after \`npm ci\` (docs/packaging.md).`);
  }
};
