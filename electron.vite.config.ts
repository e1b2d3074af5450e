import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import react from '@vitejs/plugin-react';

export default defineConfig({
  main: {
    build: {
      // Entries land in out/main/ by name, so an entry finds the worker module beside itself
      // (new URL('./slice-worker.js', import.meta.url)); shared code goes to out/main/chunks/.
      rollupOptions: {
        input: {
          index: resolve(__dirname, 'src/main/index.ts'),
          cli: resolve(__dirname, 'src/main/cli.ts'),
          'slice-worker': resolve(__dirname, 'src/main/engine/job/slice-worker.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      // A CommonJS preload lets the renderer stay sandboxed (an ESM preload needs sandbox: false).
      rollupOptions: {
        input: { index: resolve(__dirname, 'src/preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(__dirname, 'src/renderer'),
    build: {
      rollupOptions: { input: { index: resolve(__dirname, 'src/renderer/index.html') } },
    },
    plugins: [react()],
  },
});
