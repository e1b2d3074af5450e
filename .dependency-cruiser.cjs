// The layering rules `npm test` holds the code to (npm run check:imports; docs/architecture.md).
// Type-only imports count too: a layer that names another layer's types depends on it.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'engine-no-electron',
      comment: 'The engine runs in the command line, the browser host and the tests: it never imports Electron.',
      severity: 'error',
      from: { path: '^src/main/engine/' },
      to: { path: '^electron$|node_modules/electron/' },
    },
    {
      name: 'engine-self-contained',
      comment: 'The engine imports only itself and src/shared (and packages), never the hosts, the CLI or the renderer.',
      severity: 'error',
      from: { path: '^src/main/engine/' },
      to: { path: '^src/', pathNot: '^src/(main/engine|shared)/' },
    },
    {
      name: 'shared-no-node',
      comment: 'src/shared runs in the renderer and in Node: no Node built-ins.',
      severity: 'error',
      from: { path: '^src/shared/' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'shared-pure-packages',
      comment: 'src/shared may use pure packages only (zod, d3-scale-chromatic), nothing tied to Node, the DOM or Electron.',
      severity: 'error',
      from: { path: '^src/shared/' },
      to: { dependencyTypes: ['npm', 'npm-dev', 'npm-optional', 'npm-peer', 'npm-no-pkg', 'npm-unknown'], pathNot: 'node_modules/(zod|d3-scale-chromatic|d3-color|d3-interpolate)/' },
    },
    {
      name: 'shared-imports-only-shared',
      comment: 'src/shared is the bottom layer: it imports nothing of main, preload or the renderer.',
      severity: 'error',
      from: { path: '^src/shared/' },
      to: { path: '^src/', pathNot: '^src/shared/' },
    },
    {
      name: 'renderer-only-shared',
      comment: 'The renderer talks to the host through its API (src/renderer/src/api) and src/shared only: nothing of main or the preload, no Node, no Electron.',
      severity: 'error',
      from: { path: '^src/renderer/' },
      to: { path: '^src/(main|preload)/|^electron$|node_modules/electron/' },
    },
    {
      name: 'renderer-no-node',
      comment: 'The renderer runs sandboxed in a page: no Node built-ins.',
      severity: 'error',
      from: { path: '^src/renderer/' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'engine-through-its-door',
      comment: 'The command line, the hosts and the desktop glue use the engine through src/main/engine/index.ts only.',
      severity: 'error',
      from: { path: '^src/main/', pathNot: '^src/main/engine/' },
      to: { path: '^src/main/engine/', pathNot: '^src/main/engine/index\\.ts$' },
    },
    {
      name: 'no-circular',
      comment: 'Import circles make the order of stages unreadable.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '\\.generated\\.ts$' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'], extensions: ['.ts', '.tsx', '.js', '.d.ts'] },
  },
};
