#!/usr/bin/env node
// `npm run dist:check`: lays out the Linux package with electron-builder (`--linux --dir`) against a
// stand-in Electron distribution (the real binary cannot be downloaded everywhere this runs) and
// checks what a user would install: the built app inside app.asar, sharp's native parts unpacked,
// only production dependencies, and the sizes. Expects `npm run build` to have run (the npm script
// does that first). Exits 1 with a "dist:check: FAIL ..." line per failed check.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, writeFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const asar = require('@electron/asar');

const root = fileURLToPath(new URL('..', import.meta.url));
const rootPkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const BUILDER_TIMEOUT_MS = 300_000;
// Named in the issue; every other devDependency is checked too (see "no devDependencies" below).
const MUST_BE_ABSENT = ['react', 'react-dom', 'vite', 'vitest', 'electron', 'electron-builder', 'electron-vite', 'typescript', 'playwright-core'];
const REQUIRED_IN_ASAR = ['package.json', 'out/main/index.js', 'out/main/cli.js', 'out/main/slice-worker.js', 'out/preload/index.cjs', 'out/renderer/index.html', 'out/licences.json'];

const failures = [];
const check = (ok, what) => {
  console.log(`dist:check: ${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures.push(what);
  return ok;
};

function fail(message) {
  console.error(`dist:check: FAIL ${message}`);
  process.exit(1);
}

function walk(dir, base = dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? walk(full, base) : [path.relative(base, full).split(path.sep).join('/')];
  });
}

function sizeOf(target) {
  const stat = statSync(target);
  if (!stat.isDirectory()) return stat.size;
  return readdirSync(target).reduce((sum, name) => sum + sizeOf(path.join(target, name)), 0);
}

const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

/** Every file in the archive header as [path, entry], with `unpacked` set for app.asar.unpacked files. */
function asarFiles(header, prefix = '') {
  return Object.entries(header.files ?? {}).flatMap(([name, entry]) => {
    const at = prefix ? `${prefix}/${name}` : name;
    return entry.files ? asarFiles(entry, at) : [[at, entry]];
  });
}

function runElectronBuilder(args) {
  const cli = path.join(path.dirname(require.resolve('electron-builder/package.json')), 'cli.js');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      // No signing identity lookups or update-info publishing: this is a layout check.
      env: { ...process.env, CSC_IDENTITY_AUTO_DISCOVERY: 'false', ELECTRON_BUILDER_DISABLE_BUILD_CACHE: 'true' },
    });
    let log = '';
    child.stdout.on('data', (d) => (log += d));
    child.stderr.on('data', (d) => (log += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`electron-builder took longer than ${BUILDER_TIMEOUT_MS / 1000} s (is it trying to download something?)\n${log}`));
    }, BUILDER_TIMEOUT_MS);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(log);
      else reject(new Error(`electron-builder exited with code ${code}\n${log}`));
    });
  });
}

// --- 0. the build this packages must exist ---------------------------------------------------------
const outDir = path.join(root, 'out');
for (const file of REQUIRED_IN_ASAR.filter((f) => f.startsWith('out/'))) {
  if (!existsSync(path.join(root, file))) fail(`${file} is missing: run \`npm run build\` first (npm run dist:check does)`);
}
const builtFiles = walk(outDir).map((f) => `out/${f}`).filter((f) => !f.endsWith('.map'));

// --- 1. a stand-in Electron distribution and the layout --------------------------------------------
const work = await mkdtemp(path.join(os.tmpdir(), 'deepfield-dist-check-'));
const electronDist = path.join(work, 'electron-dist');
const output = path.join(work, 'dist');
const electronVersion = JSON.parse(readFileSync(require.resolve('electron/package.json'), 'utf8')).version;
await mkdir(electronDist);
await writeFile(path.join(electronDist, 'electron'), '#!/bin/sh\necho "stand-in for the Electron binary (dist:check)" >&2\nexit 1\n');
await chmod(path.join(electronDist, 'electron'), 0o755);
await writeFile(path.join(electronDist, 'version'), `${electronVersion}\n`);
await writeFile(path.join(electronDist, 'LICENSE'), 'Stand-in for the Electron LICENSE file (dist:check).\n');

const started = performance.now();
try {
  await runElectronBuilder(['--linux', '--dir', '--publish', 'never', `-c.electronDist=${electronDist}`, `-c.directories.output=${output}`]);
} catch (error) {
  fail(`electron-builder --linux --dir: ${error.message}`);
}
const seconds = ((performance.now() - started) / 1000).toFixed(1);

const unpackedDir = readdirSync(output).map((d) => path.join(output, d)).find((d) => existsSync(path.join(d, 'resources', 'app.asar')));
if (!unpackedDir) fail(`no */resources/app.asar under ${output} after electron-builder ran`);
console.log(`dist:check: electron-builder laid out ${path.relative(work, unpackedDir)} in ${seconds} s (stand-in Electron ${electronVersion})`);
const resources = path.join(unpackedDir, 'resources');
const archive = path.join(resources, 'app.asar');
const unpackedRoot = path.join(resources, 'app.asar.unpacked');

// --- 2. what the archive holds -------------------------------------------------------------------
const files = asarFiles(asar.getRawHeader(archive).header);
const inArchive = new Map(files);
check(existsSync(path.join(unpackedDir, 'deepfield')), 'the app binary is named deepfield (linux.executableName; the .deb links it as /usr/bin/deepfield)');
for (const file of REQUIRED_IN_ASAR) check(inArchive.has(file) && !inArchive.get(file).unpacked, `app.asar holds ${file}`);
const missingBuilt = builtFiles.filter((f) => !inArchive.has(f));
check(missingBuilt.length === 0, `every built file under out/ (${builtFiles.length}) is in app.asar${missingBuilt.length ? `; missing: ${missingBuilt.join(', ')}` : ''}`);
const stray = files.map(([f]) => f).filter((f) => !f.startsWith('node_modules/') && !f.startsWith('out/') && !f.startsWith('bin/') && f !== 'package.json');
check(stray.length === 0, `app.asar holds nothing besides out/, bin/, package.json and node_modules/${stray.length ? `; also: ${stray.slice(0, 10).join(', ')}` : ''}`);

const packagedPkg = JSON.parse(asar.extractFile(archive, 'package.json').toString('utf8'));
check(inArchive.has(packagedPkg.main), `package.json "main" (${packagedPkg.main}) is in app.asar`);
check(packagedPkg.version === rootPkg.version, `packaged version is ${rootPkg.version}`);
check(existsSync(path.join(resources, 'docs', 'README.md')), 'the README ships as resources/docs/README.md (the About dialog\'s documentation)');

// The renderer must come from the package over file://: relative asset URLs, and no dev-server URL
// baked into the main process.
const rendererHtml = asar.extractFile(archive, 'out/renderer/index.html').toString('utf8');
const absoluteAssets = [...rendererHtml.matchAll(/\b(?:src|href)="(\/[^"]*)"/g)].map((m) => m[1]);
check(absoluteAssets.length === 0, `out/renderer/index.html uses relative asset paths (file:// safe)${absoluteAssets.length ? `; absolute: ${absoluteAssets.join(', ')}` : ''}`);
const mainCode = files.filter(([f]) => f.startsWith('out/main/') && f.endsWith('.js')).map(([f]) => asar.extractFile(archive, f).toString('utf8')).join('\n');
// The window loads deepfield://app/index.html, which the main process serves from out/renderer
// beside itself inside the package (src/main/desktop/protocol.ts), never from a server.
check(
  mainCode.includes('index.html') && mainCode.includes('../renderer') && /deepfield/.test(mainCode),
  'the main process serves the packaged out/renderer (deepfield://app/index.html)',
);
check(!/https?:\/\/(localhost|127\.0\.0\.1):5173/.test(mainCode), 'the main process has no hard-coded Vite dev-server URL');

// --- 3. sharp's native parts are real files in app.asar.unpacked -----------------------------------
const platform = `linux-${process.arch}`;
const unpackedOnDisk = (rel) => existsSync(path.join(unpackedRoot, rel));
// File names inside the @img packages change between sharp releases (sharp-linux-x64-0.35.5.node),
// so look them up in the archive's header rather than hard-coding them.
const unpackedMatching = (dir, pattern) => files.filter(([f, e]) => f.startsWith(`${dir}/`) && pattern.test(path.posix.basename(f)) && e.unpacked && unpackedOnDisk(f)).map(([f]) => f);
const sharpBinding = unpackedMatching(`node_modules/@img/sharp-${platform}`, /\.node$/);
check(sharpBinding.length > 0, `sharp's binding is unpacked: ${sharpBinding.join(', ') || `no .node file under node_modules/@img/sharp-${platform}`}`);
const libvips = unpackedMatching(`node_modules/@img/sharp-libvips-${platform}`, /^libvips-cpp\.so\b/);
check(libvips.length > 0, `libvips is unpacked: ${libvips.join(', ') || `no libvips-cpp.so* under node_modules/@img/sharp-libvips-${platform}`}`);
if (check(unpackedOnDisk('node_modules/sharp/package.json'), 'node_modules/sharp is unpacked')) {
  const sharpMain = path.posix.join('node_modules/sharp', JSON.parse(readFileSync(path.join(unpackedRoot, 'node_modules/sharp/package.json'), 'utf8')).main);
  check(unpackedOnDisk(sharpMain), `sharp's own code is unpacked beside its binary (${sharpMain})`);
}
if (rootPkg.dependencies?.['exiftool-vendored']) {
  const exiftool = 'node_modules/exiftool-vendored.pl/bin/exiftool';
  // exiftool-vendored runs the script by its #!/usr/bin/perl line, so the mode bits matter too.
  const executable = unpackedOnDisk(exiftool) && (statSync(path.join(unpackedRoot, exiftool)).mode & 0o111) !== 0;
  check(executable, `${exiftool} is unpacked and executable (Perl cannot read it from inside app.asar)`);
}

// --- 4. only production dependencies -------------------------------------------------------------
const packagedModules = new Set(
  files.map(([f]) => f.match(/(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\/package\.json$/)?.[1]).filter(Boolean),
);
const absent = MUST_BE_ABSENT.filter((name) => packagedModules.has(name));
check(absent.length === 0, `no build or renderer-only packages inside (${MUST_BE_ABSENT.join(', ')})${absent.length ? `; found: ${absent.join(', ')}` : ''}`);
const licences = JSON.parse(asar.extractFile(archive, 'out/licences.json').toString('utf8'));
const licensed = new Set(licences.packages.map((p) => p.name));
const unlisted = [...packagedModules].filter((name) => !licensed.has(name));
const notPackaged = [...licensed].filter((name) => !packagedModules.has(name));
// licences.json is the production dependency closure, so this also catches any devDependency.
check(unlisted.length === 0, `every packaged module is a production dependency listed in the About licences${unlisted.length ? `; not listed: ${unlisted.join(', ')}` : ''}`);
check(notPackaged.length === 0, `every production dependency is packaged${notPackaged.length ? `; missing: ${notPackaged.join(', ')}` : ''}`);
const devOnly = Object.keys(rootPkg.devDependencies ?? {}).filter((name) => packagedModules.has(name) && !licensed.has(name));
check(devOnly.length === 0, `no devDependencies inside${devOnly.length ? `; found: ${devOnly.join(', ')}` : ''}`);

// --- 5. the packaged command line runs with only what the package holds ---------------------------
// Electron itself cannot run here, but its main process and `ELECTRON_RUN_AS_NODE` load the same
// files, so running the extracted cli.js under Node proves the production node_modules are complete
// (commander, zod, piscina workers, sharp's binding and libvips) without the project's node_modules
// (the extraction sits in the temp folder, outside this repository, so Node cannot fall back to it).
const extracted = path.join(work, 'extracted');
asar.extractAll(archive, extracted);
const slicesDir = path.join(work, 'slices');
await mkdir(slicesDir);
const sharp = (await import('sharp')).default;
for (let i = 0; i < 3; i++) {
  // Three 48x32 greyscale slices, each with detail (a checkerboard) in a different third.
  const pixels = Buffer.alloc(48 * 32, 128);
  for (let y = 0; y < 32; y++) for (let x = i * 16; x < i * 16 + 16; x++) pixels[y * 48 + x] = (x + y) % 2 ? 255 : 0;
  await sharp(pixels, { raw: { width: 48, height: 32, channels: 1 } }).png().toFile(path.join(slicesDir, `slice-${i}.png`));
}
const composite = path.join(work, 'composite.png');
const smoke = await new Promise((resolve) => {
  const child = spawn(process.execPath, [path.join(extracted, 'out/main/cli.js'), 'stack', slicesDir, '-o', composite, '--threads', '1', '--json'], {
    cwd: work,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  child.on('close', (code) => resolve({ code, stdout, stderr }));
});
const made = smoke.code === 0 && existsSync(composite) ? await sharp(composite).metadata() : undefined;
check(made?.width === 48 && made?.height === 32, `the packaged cli.js stacks 3 slices into a 48x32 PNG using only the packaged node_modules` +
  (made ? '' : ` (exit ${smoke.code}: ${smoke.stderr.trim().split('\n').slice(-3).join(' | ')})`));

// --- 6. sizes --------------------------------------------------------------------------------------
const asarSize = statSync(archive).size;
const unpackedSize = existsSync(unpackedRoot) ? sizeOf(unpackedRoot) : 0;
const totalSize = sizeOf(unpackedDir);
console.log(`dist:check: sizes: app.asar ${mb(asarSize)} (${files.filter(([, e]) => !e.unpacked).length} files), app.asar.unpacked ${mb(unpackedSize)}, ` +
  `whole layout ${mb(totalSize)} (the stand-in Electron adds ~0 MB; the real Electron ${electronVersion} runtime comes on top), ` +
  `${packagedModules.size} packages`);

if (failures.length > 0) {
  console.error(`dist:check: ${failures.length} check(s) failed; layout kept at ${unpackedDir}`);
  process.exit(1);
}
await rm(work, { recursive: true, force: true });
console.log('dist:check: all checks passed');
