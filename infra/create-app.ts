import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { BoxTokenBrokerStack } from './box-token-broker-stack.js';
import { checkForMisspelledKeys, readContext } from './context.js';

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Options of {@link createApp}; the CDK CLI passes neither. */
export interface CreateAppOptions {
  /** Where to write the cloud assembly. @default - the CLI's `cdk.out` */
  outdir?: string;
  /**
   * Context for a run outside the CDK CLI (tests, scripts). It is applied on top of `cdk.json`'s
   * context, so feature flags are the same as in `cdk synth`.
   * @default - the CLI's context only
   */
  context?: Record<string, unknown>;
  /** Apply the AwsSolutions cdk-nag pack. @default true */
  nag?: boolean;
}

/** The `context` block of `cdk.json`: feature flags and any defaults committed there. */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(join(REPO_ROOT, 'cdk.json'), 'utf8')) as {
    context?: Record<string, unknown>;
  };
  return cdkJson.context ?? {};
}

/**
 * Builds the app: reads and validates context, adds the broker stack and registers cdk-nag's
 * AwsSolutions pack as a validation plugin, so any unacknowledged finding fails synth.
 * Call `.synth()` on the result to write the assembly (tests pass an `outdir`).
 */
export function createApp(options: CreateAppOptions = {}): App {
  const app = new App({
    ...(options.outdir === undefined ? {} : { outdir: options.outdir }),
    ...(options.context === undefined
      ? {}
      : { context: { ...cdkJsonContext(), ...options.context } }),
  });
  checkForMisspelledKeys(Object.keys(app.node.getAllContext() as Record<string, unknown>));
  const settings = readContext((key) => app.node.tryGetContext(key));
  new BoxTokenBrokerStack(app, settings.stackName, {
    description: 'Box token broker: Box tokens for IAM-authenticated AWS callers.',
    broker: settings.broker,
    secretImport: settings.secretImport,
    alarmTopicArn: settings.alarmTopicArn,
    healthEventBusArn: settings.healthEventBusArn,
    healthEventTopicArn: settings.healthEventTopicArn,
  });
  if (options.nag ?? true) {
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  }
  return app;
}
