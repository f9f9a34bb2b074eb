/**
 * A default secret under the tenants' prefix is refused at synth (contract v1.2, "Work a caller can
 * force is bounded"): a tenant ID must never name the default credentials. Names that are tokens
 * are judged by what synth knows of them; what it cannot know is left to the cold start, with a
 * warning.
 */
import { App, CfnParameter, Fn, Lazy, Stack } from 'aws-cdk-lib';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { brokerSecrets } from '../infra/broker-secrets.js';
import { ConfigError } from '../infra/config-checks.js';
import { knownHead, placement } from '../infra/default-secret-placement.js';

const PREFIX = 'box-token-broker/tenants/';
const WARNING = 'box-token-broker:default-secret-placement';

/** The placement warnings any construct of `stack` carries. */
function warningsOf(stack: Stack): unknown[] {
  return stack.node
    .findAll()
    .flatMap((construct) => construct.node.metadata)
    .filter((entry) => entry.type === 'aws:cdk:warning' && String(entry.data).includes(WARNING));
}

function scene() {
  const stack = new Stack(new App(), 'Scene', {
    env: { account: '111122223333', region: 'eu-west-1' },
  });
  const parameter = (id: string) => new CfnParameter(stack, id, { type: 'String' }).valueAsString;
  return { stack, broker: new Construct(stack, 'Broker'), parameter };
}

/** brokerSecrets for an imported default secret named `name` and a tenant prefix. */
function check(
  name: (s: ReturnType<typeof scene>) => string,
  prefix = (_s: ReturnType<typeof scene>) => PREFIX,
) {
  const s = scene();
  const secret = Secret.fromSecretNameV2(s.stack, 'Default', name(s));
  let error: unknown;
  try {
    brokerSecrets(s.broker, { secret, tenantSecretPrefix: prefix(s) });
  } catch (caught) {
    error = caught;
  }
  const warned = warningsOf(s.stack).length > 0;
  return { refused: error instanceof ConfigError, warned, error };
}

describe('Function: brokerSecrets (default secret placement)', () => {
  it.each([
    ['a plain name under the prefix', () => `${PREFIX}acme`],
    [
      'a lazy name that resolves under the prefix',
      () => Lazy.string({ produce: () => `${PREFIX}x` }),
    ],
    [
      'a joined name whose literal head is under the prefix',
      (s: ReturnType<typeof scene>) => Fn.join('', [PREFIX, s.parameter('Tail')]),
    ],
  ])('refuses %s at synth', (_case, name) => {
    const result = check(name);
    expect(result.refused, String(result.error)).toBe(true);
  });

  it.each([
    ['a plain name elsewhere', () => 'box-token-broker/credentials'],
    [
      'a joined name whose literal head leaves the prefix',
      (s: ReturnType<typeof scene>) => Fn.join('', ['other/', s.parameter('Tail')]),
    ],
  ])('accepts %s without a warning', (_case, name) => {
    expect(check(name)).toMatchObject({ refused: false, warned: false });
  });

  it('warns when a parameter decides the name (the function refuses it at cold start)', () => {
    expect(check((s) => s.parameter('Name'))).toMatchObject({ refused: false, warned: true });
  });

  it('warns when the prefix is a parameter and the name could lie under it', () => {
    const result = check(
      () => 'box-token-broker/credentials',
      (s) => s.parameter('Prefix'),
    );
    expect(result).toMatchObject({ refused: false, warned: true });
  });

  it('never questions a default secret the stack creates (its generated name has no "/")', () => {
    const s = scene();
    brokerSecrets(s.broker, { tenantSecretPrefix: PREFIX });
    expect(warningsOf(s.stack)).toHaveLength(0);
  });
});

describe('Function: placement', () => {
  const head = (text: string, complete = true) => ({ text, complete });
  it.each([
    [head('a/b/c'), head('a/b/'), 'under'],
    [head('a/x'), head('a/b/'), 'outside'],
    [head('a/b/', false), head('a/b/'), 'under'],
    [head('a/', false), head('a/b/'), 'unknown'],
    [head('z', false), head('a/b/'), 'outside'],
    [head('a/b/c'), head('a/', false), 'unknown'],
    [head('q/b/c'), head('a/', false), 'outside'],
    [head('', false), head('', false), 'unknown'],
  ] as const)('%j under %j is %s', (name, prefix, expected) => {
    expect(placement(name, prefix)).toBe(expected);
  });

  it('reads the literal head of an Fn::Join and stops at the first token', () => {
    const s = scene();
    const tail = s.parameter('Tail');
    expect(knownHead(s.stack, Fn.join('', ['a/', 'b/', tail, 'c']))).toEqual({
      text: 'a/b/',
      complete: false,
    });
    expect(knownHead(s.stack, 'plain')).toEqual({ text: 'plain', complete: true });
  });
});
