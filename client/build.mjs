// Builds the package into dist/: ESM JavaScript and declarations with tsc (client/*.ts and the
// contract it imports, lambda/contract.ts, compiled from source, never copied by hand), then the
// CommonJS twin with esbuild (file by file, same layout) and the same declarations marked CJS.
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..');
const dist = join(here, 'dist');
const require = createRequire(import.meta.url);

rmSync(dist, { recursive: true, force: true });

const tsc = spawnSync(
  process.execPath,
  [require.resolve('typescript/bin/tsc'), '-p', join(here, 'tsconfig.build.json')],
  { stdio: 'inherit' },
);
if (tsc.status !== 0) process.exit(tsc.status ?? 1);

// CommonJS: every module but the command (an ESM entry with top-level await).
const esbuild = require('esbuild');
const sources = [
  ...readdirSync(here)
    .filter((name) => name.endsWith('.ts') && !name.endsWith('.d.ts'))
    .filter((name) => !['cli.ts'].includes(name))
    .map((name) => join(here, name)),
  join(repo, 'lambda', 'contract.ts'),
];
esbuild.buildSync({
  entryPoints: sources,
  outbase: repo,
  outdir: join(dist, 'cjs'),
  format: 'cjs',
  platform: 'node',
  target: 'node22',
  bundle: false,
  logLevel: 'warning',
});
mkdirSync(join(dist, 'cjs'), { recursive: true });
writeFileSync(join(dist, 'cjs', 'package.json'), '{ "type": "commonjs" }\n');
// The declarations describe both builds; under dist/cjs they are read as CommonJS.
cpSync(join(dist, 'esm'), join(dist, 'cjs'), {
  recursive: true,
  filter: (source) => !source.endsWith('.js'),
});
// The command is a bin, not a module to import: no declarations; executable where npm links it.
for (const format of ['esm', 'cjs'])
  rmSync(join(dist, format, 'client', 'cli.d.ts'), { force: true });
chmodSync(join(dist, 'esm', 'client', 'cli.js'), 0o755);
console.error(`built ${relative(repo, dist)} (esm + cjs)`);
