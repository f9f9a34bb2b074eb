/**
 * Shared helpers of the infra tests: synthesize the real app (cdk.json feature flags, cdk-nag
 * on) into a temporary directory and read the template back.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { createApp } from '../infra/create-app.js';

export const STACK_NAME = 'BoxTokenBroker';

/** One synthesized scenario. */
export interface Synthesized {
  template: Template;
  assembly: CloudAssembly;
  outdir: string;
  /** Removes the cloud assembly. */
  dispose(): void;
}

/**
 * Synthesizes the app exactly as `cdk synth` would (nag included), with `context` on top of
 * cdk.json's. Bundling runs once per call: share the result across a scenario's assertions.
 * `parentDir` is where the temporary cloud assembly goes (default: the OS temp directory).
 */
export function synth(
  context: Record<string, unknown> = {},
  options: { parentDir?: string } = {},
): Synthesized {
  const outdir = mkdtempSync(join(options.parentDir ?? tmpdir(), 'box-token-broker-cdk-'));
  const app = createApp({ outdir, context });
  const assembly = app.synth();
  const stack = assembly.getStackByName(STACK_NAME);
  return {
    template: Template.fromJSON(stack.template as Record<string, unknown>),
    assembly,
    outdir,
    dispose: () => rmSync(outdir, { recursive: true, force: true }),
  };
}

type Json = Record<string, unknown>;

/** Every resource of a type, as plain JSON. */
export function resourcesOf(template: Template, type: string): Json[] {
  return Object.values(template.findResources(type)) as Json[];
}

export function propertiesOf(resource: Json): Json {
  return (resource.Properties ?? {}) as Json;
}

/** `[ "GET /token", … ]` for every method of the API, with its authorization type. */
export function routes(template: Template): { route: string; authorizationType: unknown }[] {
  const pathParts = new Map<string, string>();
  for (const [id, resource] of Object.entries(
    template.findResources('AWS::ApiGateway::Resource'),
  )) {
    pathParts.set(id, String(propertiesOf(resource as Json).PathPart));
  }
  return resourcesOf(template, 'AWS::ApiGateway::Method').map((method) => {
    const props = propertiesOf(method);
    const ref = (props.ResourceId as { Ref?: string } | undefined)?.Ref;
    const path = ref === undefined ? '/' : `/${pathParts.get(ref) ?? '?'}`;
    return {
      route: `${String(props.HttpMethod)} ${path}`,
      authorizationType: props.AuthorizationType,
    };
  });
}

export interface PolicyStatementJson {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource?: unknown;
  Principal?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

/** The statements of the API's resource policy. */
export function resourcePolicyStatements(template: Template): PolicyStatementJson[] {
  const [api] = resourcesOf(template, 'AWS::ApiGateway::RestApi');
  const policy = propertiesOf(api ?? {}).Policy as { Statement: PolicyStatementJson[] } | undefined;
  return policy?.Statement ?? [];
}

/** The function role's statements (inline and attached customer policies). */
export function roleStatements(template: Template): PolicyStatementJson[] {
  return resourcesOf(template, 'AWS::IAM::Policy').flatMap(
    (policy) =>
      (propertiesOf(policy).PolicyDocument as { Statement: PolicyStatementJson[] }).Statement,
  );
}

/** The broker function's environment variables (the function that holds BOX_API_ENTRY_SECRET). */
export function functionVariables(template: Template): Json {
  const [fn] = resourcesOf(template, 'AWS::Lambda::Function').filter(
    (resource) =>
      ((propertiesOf(resource).Environment as Json | undefined)?.Variables as Json | undefined)
        ?.BOX_API_ENTRY_SECRET !== undefined,
  );
  return ((propertiesOf(fn ?? {}).Environment as Json | undefined)?.Variables as Json) ?? {};
}

/** Account IDs in `arn:${Partition}:iam::ACCOUNT:root` principals; the stack's own as `<self>`. */
export function accountPrincipals(statement: PolicyStatementJson | undefined): string[] {
  const aws = (statement?.Principal as { AWS?: unknown } | undefined)?.AWS;
  const list = Array.isArray(aws) ? aws : [aws];
  return list.map((principal) => {
    const text = JSON.stringify(principal);
    if (text.includes('"Ref":"AWS::AccountId"')) return '<self>';
    return /:iam::(\d{12}):root/.exec(text)?.[1] ?? text;
  });
}

export function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [value];
}

/** The directory of the function's bundled asset inside the cloud assembly. */
export function functionAssetDir(s: Synthesized): string {
  const [fn] = resourcesOf(s.template, 'AWS::Lambda::Function');
  const key = String((propertiesOf(fn ?? {}).Code as { S3Key?: unknown } | undefined)?.S3Key);
  return join(s.outdir, `asset.${key.replace(/\.zip$/, '')}`);
}
