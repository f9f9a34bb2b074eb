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
  // nodejs24.x ships the AWS SDK v3 (and its Smithy core): smaller bundle, faster cold start.
  externalModules: ['@aws-sdk/*', '@smithy/*'],
} as const;

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
