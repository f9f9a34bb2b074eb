/**
 * How the broker's handler is bundled: one definition for the construct (NodejsFunction's
 * `bundling`) and for the benchmarks (esbuild called directly), so BENCHMARKS.md measures the
 * bundle `cdk synth` produces. Plain data: importing it pulls in neither aws-cdk-lib nor esbuild.
 */

/** ESM needs a `require` for the CommonJS dependencies that call it. */
export const ESM_REQUIRE_BANNER =
  "import { createRequire } from 'module'; const require = createRequire(import.meta.url);";

/** Bundling options of the deployed handler (NodejsFunction `bundling` field names). */
export const BROKER_BUNDLING = {
  format: 'esm',
  target: 'node24',
  mainFields: ['module', 'main'],
  banner: ESM_REQUIRE_BANNER,
  minify: true,
  sourceMap: true,
  sourcesContent: false,
  // Nothing external: the AWS SDK is bundled, not taken from the runtime. Bundled and minified,
  // the handler imports in about two thirds of the time it needs when the runtime's SDK loads file
  // by file from node_modules, which is what brings it under 0.6x the Box SDK (BENCHMARKS.md,
  // "Cold start"). package-lock.json pins the SDK version instead of the runtime's release
  // schedule (AWS's advice for production functions). Cost: ~94 KB more gzipped code.
  externalModules: [] as readonly string[],
} as const;

/**
 * Modules the nodejs24.x runtime provides (`/var/runtime/node_modules`). Not used by the deployed
 * bundle; the benchmarks mark them external to measure the "SDK from the runtime" alternative.
 */
export const RUNTIME_PROVIDED_MODULES: readonly string[] = ['@aws-sdk/*', '@smithy/*'];

/** The esbuild options NodejsFunction derives from {@link BROKER_BUNDLING}. */
export interface EsbuildBundleOptions {
  bundle: true;
  platform: 'node';
  format: 'esm';
  target: string;
  mainFields: string[];
  banner: { js: string };
  minify: boolean;
  sourcemap: boolean;
  sourcesContent: boolean;
  external: string[];
}

/** {@link BROKER_BUNDLING} as esbuild build options (what `cdk synth` runs). */
export function esbuildOptionsOf(
  bundling: typeof BROKER_BUNDLING = BROKER_BUNDLING,
): EsbuildBundleOptions {
  return {
    bundle: true,
    platform: 'node',
    format: bundling.format,
    target: bundling.target,
    mainFields: [...bundling.mainFields],
    banner: { js: bundling.banner },
    minify: bundling.minify,
    sourcemap: bundling.sourceMap,
    sourcesContent: bundling.sourcesContent,
    external: [...bundling.externalModules],
  };
}
