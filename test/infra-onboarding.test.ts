/**
 * Contract v1.3 onboarding in the template: off by default; with the context key on, exactly
 * `GET`/`POST /onboard` are public (authorisation NONE, admitted by the resource policy, throttled
 * per method), every other method stays AWS_IAM behind the admitted callers, and the function may
 * create and tag only tagged secrets under the tenants' prefix.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readContext } from '../infra/context.js';
import { ONBOARD_ROUTE, ROUTES } from '../lambda/contract.js';
import {
  asArray,
  propertiesOf,
  resourcePolicyStatements,
  resourcesOf,
  roleStatements,
  routes,
  type Synthesized,
  synth,
} from './infra-synth.js';

const PREFIX = 'box-token-broker/tenants/';
const PUBLIC = [`GET ${ONBOARD_ROUTE}`, `POST ${ONBOARD_ROUTE}`];

describe('Onboarding: off by default', () => {
  let s: Synthesized;
  beforeAll(() => {
    s = synth({ tenantSecretPrefix: PREFIX });
  });
  afterAll(() => s.dispose());

  it('has no /onboard route, no public method and no CreateSecret', () => {
    const methods = routes(s.template);
    expect(methods.map((m) => m.route)).not.toContain(`GET ${ONBOARD_ROUTE}`);
    for (const method of methods) expect(method.authorizationType).toBe('AWS_IAM');
    const actions = roleStatements(s.template).flatMap((st) => asArray(st.Action));
    expect(actions).not.toContain('secretsmanager:CreateSecret');
    expect(
      resourcePolicyStatements(s.template).find((st) => st.Sid === 'DenyEveryoneElse')?.Resource,
    ).toBe('execute-api:/*');
  });
});

describe('Onboarding: on (context key onboarding=true)', () => {
  let s: Synthesized;
  beforeAll(() => {
    s = synth({ tenantSecretPrefix: PREFIX, onboarding: 'true' });
  });
  afterAll(() => s.dispose());

  it('makes exactly GET and POST /onboard public; every other method stays AWS_IAM', () => {
    const methods = routes(s.template);
    const open = methods.filter((m) => m.authorizationType !== 'AWS_IAM').map((m) => m.route);
    expect(open.sort()).toEqual(PUBLIC);
    for (const method of methods) {
      expect(method.authorizationType).toBe(PUBLIC.includes(method.route) ? 'NONE' : 'AWS_IAM');
    }
    // Every guarded route is still there, behind IAM.
    const guarded = methods.filter((m) => m.authorizationType === 'AWS_IAM').map((m) => m.route);
    for (const path of Object.values(ROUTES)) {
      expect(
        guarded.some((route) => route.endsWith(` ${path}`)),
        path,
      ).toBe(true);
    }
  });

  it('admits anyone to exactly those two methods and keeps the Deny on every IAM route', () => {
    const statements = resourcePolicyStatements(s.template);
    const publicAllow = statements.filter(
      (st) =>
        st.Effect === 'Allow' &&
        JSON.stringify(st.Principal) === '{"AWS":"*"}' &&
        st.Condition === undefined,
    );
    expect(publicAllow).toHaveLength(1);
    expect(asArray(publicAllow[0]?.Resource).sort()).toEqual([
      'execute-api:/*/GET/onboard',
      'execute-api:/*/POST/onboard',
    ]);
    const deny = statements.find((st) => st.Sid === 'DenyEveryoneElse');
    expect(deny?.Effect).toBe('Deny');
    const denied = asArray(deny?.Resource);
    // Every path of an IAM method is denied to callers outside the admitted set.
    const iamPaths = routes(s.template)
      .filter((m) => m.authorizationType === 'AWS_IAM')
      .map((m) => m.route.split(' ')[1]);
    for (const path of new Set(iamPaths)) expect(denied).toContain(`execute-api:/*/*${path}`);
    expect(denied.some((resource) => String(resource).includes('onboard'))).toBe(false);
  });

  it('throttles the public methods per method, below the stage', () => {
    const [stage] = resourcesOf(s.template, 'AWS::ApiGateway::Stage');
    const settings = propertiesOf(stage ?? {}).MethodSettings as Record<string, unknown>[];
    expect(settings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          HttpMethod: 'GET',
          ResourcePath: '/~1onboard',
          ThrottlingRateLimit: 5,
        }),
        expect.objectContaining({
          HttpMethod: 'POST',
          ResourcePath: '/~1onboard',
          ThrottlingRateLimit: 2,
        }),
      ]),
    );
  });

  it('lets the function use the invitations in the fleet state table', () => {
    const table = roleStatements(s.template).find((st) => st.Sid === 'FleetStateTable');
    expect(JSON.stringify(table?.Condition)).toContain('invite#*');
  });

  it('lets the function create and tag only tenant-tagged secrets under the prefix', () => {
    const store = roleStatements(s.template).find((st) => st.Sid === 'StoreOnboardedTenants');
    expect(asArray(store?.Action).sort()).toEqual([
      'secretsmanager:CreateSecret',
      'secretsmanager:TagResource',
    ]);
    expect(JSON.stringify(store?.Resource)).toContain(`:secret:${PREFIX}*`);
    expect(store?.Condition).toEqual({
      Null: { 'aws:RequestTag/box-token-broker:tenant': 'false' },
    });
    const writes = roleStatements(s.template).filter((st) =>
      asArray(st.Action).some((action) =>
        /^secretsmanager:(CreateSecret|TagResource|PutSecretValue|UpdateSecret|DeleteSecret|UntagResource)$/.test(
          String(action),
        ),
      ),
    );
    expect(writes).toHaveLength(1);
  });
});

describe('Onboarding: context', () => {
  it('needs tenantSecretPrefix', () => {
    const context: Record<string, unknown> = { onboarding: 'true' };
    expect(() => readContext((key) => context[key])).toThrow(/onboarding.*tenantSecretPrefix/s);
  });

  it('needs the fleet state table', () => {
    const context: Record<string, unknown> = {
      onboarding: 'true',
      tenantSecretPrefix: PREFIX,
      fleetState: 'false',
    };
    expect(() => readContext((key) => context[key])).toThrow(/onboarding.*fleet state/s);
  });

  it('reads onboarding as cdk.json JSON or a -c string', () => {
    for (const value of [true, 'true']) {
      const context: Record<string, unknown> = { onboarding: value, tenantSecretPrefix: PREFIX };
      expect(readContext((key) => context[key]).broker.onboarding).toBe(true);
    }
  });
});
