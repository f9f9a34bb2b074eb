/**
 * The house's arrows, checked: which folder may import which. A wrong-way import fails here, so
 * the layering README.md's "Development" layout describes stays true as the code grows.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Relative imports of a TypeScript source (static, dynamic, `export … from`). */
function relativeImports(source: string): string[] {
  const found: string[] = [];
  const pattern = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])(\.{1,2}\/[^'"]+)\1/g;
  for (const match of source.matchAll(pattern)) {
    if (match[2] !== undefined) found.push(match[2]);
  }
  return found;
}

/** Repository-relative path a specifier of `from` points at (`.js` written for `.ts`). */
function resolve(from: string, specifier: string): string {
  const target = normalize(join(dirname(from), specifier));
  return target.endsWith('.js') ? `${target.slice(0, -3)}.ts` : target;
}

/** The room of a lambda/ file: its folder, or the file itself at the top. */
function lambdaRoom(path: string): string {
  const inside = path.slice('lambda/'.length);
  const slash = inside.indexOf('/');
  const room = slash === -1 ? inside.replace(/\.ts$/, '') : inside.slice(0, slash);
  // The configuration table is the config room's data, split out for size.
  return room === 'config-variables' ? 'config' : room;
}

/**
 * Which lambda rooms each room may import. Leaf modules (the contract, errors, the deadline, the caller identity, the secret's format) are
 * open to every room; `runtime` is the composition root, `handler` only wires.
 */
const LAMBDA_ARROWS: Record<string, readonly string[]> = {
  handler: ['app', 'runtime', 'config', 'trace'],
  app: ['http', 'broker', 'box', 'trace', 'setup', 'config', 'state', 'health', 'onboard'],
  runtime: ['broker', 'box', 'policy', 'config', 'setup', 'trace', 'state', 'health', 'onboard'],
  http: ['broker', 'policy', 'trace'],
  broker: ['box', 'policy', 'trace', 'state'],
  box: ['trace'],
  policy: [],
  setup: ['box', 'trace'],
  // v1.2 fleet state: the broker asks the store; the store never calls back into the broker.
  state: ['trace'],
  // v1.2 tenant health events: judged from setup-check results and live rejections.
  health: ['state', 'setup', 'trace'],
  // v1.3 onboarding page: runs the setup check and stores a tenant's secret.
  onboard: ['setup', 'state', 'box', 'http', 'trace'],
  trace: [],
  config: [],
};
const LEAVES = new Set([
  'contract',
  'errors',
  'deadline',
  'identity',
  'secret-format',
  'safe-text',
]);

/** One arrow that breaks the layering, as `from -> to (why)`. */
function violation(from: string, to: string): string | undefined {
  const wrong = (why: string) => `${from} -> ${to} (${why})`;
  if (to.endsWith('lambda/handler.ts') && !from.startsWith('test/')) {
    return wrong('nothing imports the Lambda entry point');
  }
  if (from.startsWith('lambda/')) {
    if (!to.startsWith('lambda/')) return wrong('lambda/ imports only itself');
    const source = lambdaRoom(from);
    const target = lambdaRoom(to);
    if (source === target || LEAVES.has(target)) return undefined;
    if (LEAVES.has(source)) return wrong(`${source} is a leaf module`);
    const allowed = LAMBDA_ARROWS[source];
    if (allowed === undefined) return wrong(`room ${source} has no declared arrows`);
    return allowed.includes(target) ? undefined : wrong(`${source} may not use ${target}`);
  }
  if (from.startsWith('client/')) {
    if (to.startsWith('client/') || to === 'lambda/contract.ts') return undefined;
    return wrong('client/ imports only itself and lambda/contract.ts');
  }
  if (from.startsWith('infra/') && (to.startsWith('local/') || to.startsWith('client/'))) {
    return wrong('infra/ deploys lambda/, never local/ or client/');
  }
  if (from.startsWith('lambda/') === false && to.startsWith('test/') && !from.startsWith('test/')) {
    return wrong('product code never imports tests');
  }
  return undefined;
}

function sourceFiles(folder: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(join(ROOT, dir))) {
      if (name === 'node_modules' || name === 'dist') continue;
      const path = join(dir, name);
      if (statSync(join(ROOT, path)).isDirectory()) walk(path);
      else if (/\.(ts|mts|cts)$/.test(name) && !name.endsWith('.d.ts')) out.push(path);
    }
  };
  walk(folder);
  return out;
}

const FOLDERS = ['lambda', 'client', 'local', 'infra', 'bench'];

describe('Layering', () => {
  it('has no import that runs the wrong way', () => {
    const found: string[] = [];
    for (const folder of FOLDERS) {
      for (const file of sourceFiles(folder)) {
        const from = relative(ROOT, join(ROOT, file));
        for (const specifier of relativeImports(readFileSync(join(ROOT, file), 'utf8'))) {
          const problem = violation(from, resolve(from, specifier));
          if (problem !== undefined) found.push(problem);
        }
      }
    }
    expect(found).toEqual([]);
  });

  it.each([
    ['lambda/broker/broker.ts', 'lambda/http/invocation.ts'],
    ['lambda/box/oauth-client.ts', 'lambda/broker/token-minter.ts'],
    ['lambda/policy/access-policy.ts', 'lambda/broker/types.ts'],
    ['lambda/trace/request-logger.ts', 'lambda/policy/access-policy.ts'],
    ['lambda/http/invocation.ts', 'local/box-simulator.ts'],
    ['client/broker-client.ts', 'lambda/errors.ts'],
    ['local/server.ts', 'lambda/handler.ts'],
    ['infra/stack.ts', 'local/box-simulator.ts'],
  ])('refuses an arrow the wrong way: %s -> %s', (from, to) => {
    expect(violation(from, to)).toBeDefined();
  });

  it.each([
    ['lambda/handler.ts', 'lambda/app.ts'],
    ['lambda/broker/broker.ts', 'lambda/box/oauth-client.ts'],
    ['lambda/box/oauth-client.ts', 'lambda/errors.ts'],
    ['client/broker-client.ts', 'lambda/contract.ts'],
    ['local/local-broker.ts', 'lambda/runtime.ts'],
  ])('allows an arrow the right way: %s -> %s', (from, to) => {
    expect(violation(from, to)).toBeUndefined();
  });

  it('reads static, dynamic and re-export imports', () => {
    const source = [
      "import { a } from './a.js';",
      "import type { B } from '../b.js';",
      "export { c } from './c.js';",
      "const d = await import('./d.js');",
      "import './e.js';",
      "import fs from 'node:fs';",
    ].join('\n');
    expect(relativeImports(source)).toEqual(['./a.js', '../b.js', './c.js', './d.js', './e.js']);
  });
});
