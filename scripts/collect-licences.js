#!/usr/bin/env node
// Writes out/licences.json: name, version, licence and licence text of every library the packaged
// app carries (the production dependency tree as installed in node_modules, plus the Electron
// runtime). The About dialog shows it. Runs after `electron-vite build`; reads only local files.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const outFile = path.join(root, 'out', 'licences.json');
const LICENCE_FILE = /^(licen[cs]e|copying|notice)(\.(md|txt|markdown))?$/i;

function readJson(file) {
  return JSON.parse(readFileSync(file, 'utf8'));
}

/** Node's lookup: node_modules beside `fromDir`, then in each parent up to the project root. */
function findPackageDir(name, fromDir) {
  for (let dir = fromDir; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (existsSync(path.join(candidate, 'package.json'))) return candidate;
    if (dir === root || path.dirname(dir) === dir) return undefined;
  }
}

function licenceText(dir) {
  const files = readdirSync(dir).filter((f) => LICENCE_FILE.test(f)).sort();
  if (files.length > 0) return files.map((f) => readFileSync(path.join(dir, f), 'utf8').trim()).join('\n\n');
  // Prebuilt binary packages such as @img/sharp-libvips-* state the licences of the libraries they
  // bundle in a README section instead of a LICENSE file.
  const readme = readdirSync(dir).find((f) => /^readme(\.md)?$/i.test(f));
  if (!readme) return null;
  const section = readFileSync(path.join(dir, readme), 'utf8').match(/^##\s+Licen[cs]ing?\b[\s\S]*?(?=^##\s|(?![\s\S]))/im);
  return section ? section[0].trim() : null;
}

function describe(dir, extra = {}) {
  const pkg = readJson(path.join(dir, 'package.json'));
  const repository = typeof pkg.repository === 'string' ? pkg.repository : pkg.repository?.url;
  const licence = typeof pkg.license === 'string' ? pkg.license : pkg.license?.type ?? (pkg.licenses ?? []).map((l) => l.type).join(' OR ');
  return {
    name: pkg.name,
    version: pkg.version,
    licence: licence || 'UNKNOWN',
    homepage: pkg.homepage ?? (repository ? repository.replace(/^git\+/, '').replace(/\.git$/, '') : null),
    ...extra,
    text: licenceText(dir),
  };
}

const rootPkg = readJson(path.join(root, 'package.json'));
const seen = new Map(); // package dir -> entry
const queue = Object.keys({ ...rootPkg.dependencies, ...rootPkg.optionalDependencies }).map((name) => ({ name, from: root, optional: false }));
while (queue.length > 0) {
  const { name, from, optional } = queue.shift();
  const dir = findPackageDir(name, from);
  if (!dir) {
    // Optional dependencies for other platforms (e.g. @img/sharp-win32-x64 on Linux) are not installed.
    if (optional) continue;
    throw new Error(`Expected production dependency ${name} to be installed (required from ${path.relative(root, from) || '.'}) but it is missing: run npm ci`);
  }
  if (seen.has(dir)) continue;
  const pkg = readJson(path.join(dir, 'package.json'));
  seen.set(dir, describe(dir));
  for (const dep of Object.keys(pkg.dependencies ?? {})) queue.push({ name: dep, from: dir, optional: false });
  for (const dep of Object.keys(pkg.optionalDependencies ?? {})) queue.push({ name: dep, from: dir, optional: true });
}

const packages = [...seen.values()].sort((a, b) => a.name.localeCompare(b.name));
const electronDir = findPackageDir('electron', root);
const runtime = electronDir
  ? [describe(electronDir, { note: "Chromium's and its components' licences ship beside the executable as LICENSES.chromium.html." })]
  : [];
// The About dialog's documentation link: package.json "homepage", else its repository.
const rootRepository = typeof rootPkg.repository === 'string' ? rootPkg.repository : rootPkg.repository?.url;
const homepage = rootPkg.homepage ?? (rootRepository ? rootRepository.replace(/^git\+/, '').replace(/\.git$/, '') : null);
if (!homepage) process.stderr.write('collect-licences: package.json has no "homepage" (or "repository"): the About dialog will show no documentation link\n');
const missingText = packages.filter((p) => !p.text).map((p) => p.name);
if (missingText.length > 0) process.stderr.write(`collect-licences: no licence text found for ${missingText.join(', ')} (licence id only)\n`);

await mkdir(path.dirname(outFile), { recursive: true });
await writeFile(outFile, `${JSON.stringify({ app: { name: rootPkg.productName ?? rootPkg.name, version: rootPkg.version, licence: rootPkg.license, homepage }, runtime, packages }, null, 2)}\n`);
console.log(`collect-licences: ${packages.length} production packages + ${runtime.length} runtime -> ${path.relative(root, outFile)}`);
