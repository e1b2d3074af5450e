#!/usr/bin/env node
// Launcher for the built command line (npm install builds it through the "prepare" script).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = new URL('../out/main/cli.js', import.meta.url);
if (!existsSync(fileURLToPath(cli))) {
  process.stderr.write('deepfield: the command line is not built yet: run `npm run build` in the Deepfield folder\n');
  process.exit(1);
}
await import(cli.href);
