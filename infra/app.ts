/**
 * The CDK app (`cdk.json` runs `npx tsx infra/app.ts`). Configuration comes from context:
 * `cdk.json` or `-c key=value`; docs/deploy.md lists every key.
 */
import { ConfigError } from './config-checks.js';
import { createApp } from './create-app.js';

try {
  createApp().synth();
} catch (error) {
  // A configuration mistake is the operator's to fix: say what, not where in our code.
  if (!(error instanceof ConfigError)) throw error;
  console.error(`box-token-broker: ${error.message}`);
  process.exitCode = 1;
}
