import { Validations } from 'aws-cdk-lib';
import {
  AccessLogFormat,
  AuthorizationType,
  EndpointType,
  JsonSchemaType,
  LambdaIntegration,
  LogGroupLogDestination,
  type Method,
  MethodLoggingLevel,
  type Model,
  ResponseType,
  RestApi,
} from 'aws-cdk-lib/aws-apigateway';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { LogGroup } from 'aws-cdk-lib/aws-logs';
import type { ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { ONBOARD_ROUTE, ROUTES } from '../lambda/contract.js';
import { API_ENTRY_STAGE_VARIABLE } from '../lambda/http/api-entry-key.js';
import { type AdmittedCallers, apiResourcePolicy } from './resource-policy.js';

const DEFAULT_THROTTLE_RATE = 50;
const DEFAULT_THROTTLE_BURST = 100;

/**
 * Per-method throttling of the public onboarding methods (requests per second, burst): a flood
 * of anonymous requests takes at most this much of the stage's budget from the token routes and
 * bounds the Box calls the setup check makes. Each code is further limited to 10 attempts an
 * hour by the function. A WAF web ACL with a per-IP rate rule can be associated on top
 * (docs/onboarding.md "Deploy").
 */
export const ONBOARD_THROTTLE = {
  GET: { rate: 5, burst: 10 },
  POST: { rate: 2, burst: 5 },
} as const;

export interface BrokerApiProps {
  readonly restApiName: string;
  /** The `api` alias: the only entry API Gateway invokes. */
  readonly handler: IFunction;
  readonly admitted: AdmittedCallers;
  readonly accessLogGroup: LogGroup;
  readonly tracing: boolean;
  readonly stageName?: string | undefined;
  readonly throttleRateLimit?: number | undefined;
  readonly throttleBurstLimit?: number | undefined;
  readonly apiGatewayCloudWatchRole?: boolean | undefined;
  /**
   * The secret holding the `api` entry's key: the stage passes it to every invocation as the
   * stage variable `brokerEntryKey`, resolved by CloudFormation at deploy (never in the template).
   */
  readonly entryKey?: ISecret | Secret | undefined;
  /**
   * Contract v1.3: `GET`/`POST /onboard` as public methods (authorisation `NONE`), admitted by
   * the resource policy and throttled per method. Every other method stays `AWS_IAM`.
   */
  readonly onboarding?: boolean | undefined;
}

/**
 * The IAM-authorised REST API: four routes, every method `AWS_IAM`, a resource policy that admits
 * only the configured callers, a JSON access log and gateway errors in the contract's format.
 */
export class BrokerApi extends Construct {
  /** The REST API. */
  public readonly api: RestApi;
  /** Every IAM method of the API (what {@link grantCallApi} grants). */
  public readonly methods: readonly Method[];
  /** The public onboarding methods (empty unless `onboarding`). */
  public readonly publicMethods: readonly Method[];

  constructor(scope: Construct, id: string, props: BrokerApiProps) {
    super(scope, id);
    const cloudWatchRole = props.apiGatewayCloudWatchRole ?? false;
    // `Default` keeps the logical IDs of the API the broker had before this construct existed
    // (Broker/Api/...): an upgrade keeps the API, its ID and its URL.
    this.api = new RestApi(this, 'Default', {
      restApiName: props.restApiName,
      description: 'Box token broker (IAM-authorised).',
      // Callers are AWS workloads in regions, not browsers: no CloudFront edge in between.
      endpointConfiguration: { types: [EndpointType.REGIONAL] },
      policy: apiResourcePolicy(
        props.admitted,
        props.onboarding === true
          ? {
              open: [
                ['GET', ONBOARD_ROUTE],
                ['POST', ONBOARD_ROUTE],
              ],
              guardedPaths: Object.values(ROUTES),
            }
          : undefined,
      ),
      cloudWatchRole,
      defaultMethodOptions: { authorizationType: AuthorizationType.IAM },
      deployOptions: {
        stageName: props.stageName ?? 'prod',
        throttlingRateLimit: props.throttleRateLimit ?? DEFAULT_THROTTLE_RATE,
        throttlingBurstLimit: props.throttleBurstLimit ?? DEFAULT_THROTTLE_BURST,
        tracingEnabled: props.tracing,
        ...(props.onboarding === true
          ? {
              methodOptions: Object.fromEntries(
                Object.entries(ONBOARD_THROTTLE).map(([method, limit]) => [
                  `${ONBOARD_ROUTE}/${method}`,
                  { throttlingRateLimit: limit.rate, throttlingBurstLimit: limit.burst },
                ]),
              ),
            }
          : {}),
        ...(props.entryKey === undefined
          ? {}
          : {
              variables: {
                [API_ENTRY_STAGE_VARIABLE]: props.entryKey.secretValue.unsafeUnwrap(),
              },
            }),
        accessLogDestination: new LogGroupLogDestination(props.accessLogGroup),
        accessLogFormat: accessLogFormat(),
        // Execution logging needs the account-wide CloudWatch role; without it the stage would
        // fail to deploy in an account that has none.
        ...(cloudWatchRole
          ? { loggingLevel: MethodLoggingLevel.ERROR, dataTraceEnabled: false }
          : {}),
      },
    });
    // The stack outputs the URL under a stable name; RestApi's own `Endpoint` output would repeat it.
    this.api.node.tryRemoveChild('Endpoint');
    this.shapeGatewayErrors();

    const validator = this.api.addRequestValidator('Validator', {
      validateRequestBody: true,
      validateRequestParameters: true,
    });
    // The integration invokes the `api` alias; CDK scopes each method's invoke permission to
    // apigateway.amazonaws.com with that method's execute-api ARN as SourceArn.
    const integration = new LambdaIntegration(props.handler, { allowTestInvoke: false });
    const token = this.api.root.addResource(ROUTES.token.slice(1));
    this.methods = [
      token.addMethod('GET', integration, { requestValidator: validator }),
      // No body model on POST /token: an empty body is a valid request there, and the function's
      // own validation names the offending field in the contract's error format.
      token.addMethod('POST', integration, { requestValidator: validator }),
      this.api.root.addResource(ROUTES.revoke.slice(1)).addMethod('POST', integration, {
        requestValidator: validator,
        requestModels: { 'application/json': this.revokeModel() },
      }),
      this.api.root
        .addResource(ROUTES.health.slice(1))
        .addMethod('GET', integration, { requestValidator: validator }),
    ];
    this.publicMethods = props.onboarding === true ? this.addOnboarding(integration) : [];
    this.acknowledgeFindings(cloudWatchRole);
  }

  /**
   * `GET /onboard` (the page) and `POST /onboard` (its submit): the only methods without SigV4.
   * The customer's admin has no AWS identity; the one-time code in the body is the credential,
   * checked by the function (hash lookup, expiry, single use, 10 attempts an hour).
   */
  private addOnboarding(integration: LambdaIntegration): Method[] {
    const resource = this.api.root.addResource(ONBOARD_ROUTE.slice(1));
    const methods = (['GET', 'POST'] as const).map((method) =>
      resource.addMethod(method, integration, { authorizationType: AuthorizationType.NONE }),
    );
    for (const method of methods) {
      Validations.of(method).acknowledge(
        {
          id: 'AwsSolutions::AwsSolutions-APIG4',
          reason:
            'The onboarding page and its submit are for a customer’s Box admin, who has no AWS ' +
            'identity: the one-time code (256 random bits, stored only as a hash, single use, ' +
            'expiring, 10 attempts an hour) is the credential, checked by the function. Every ' +
            'other method stays AWS_IAM (a template test checks).',
        },
        {
          id: 'AwsSolutions::AwsSolutions-COG4',
          reason:
            'No user pool: the customer’s admin proves the invitation with its one-time code; ' +
            'there are no accounts to sign in to.',
        },
      );
    }
    return methods;
  }

  /** Lets `grantee` call every route (`execute-api:Invoke` on each method of this stage). */
  public grantCallApi(grantee: IGrantable): Grant {
    return Grant.addToPrincipal({
      grantee,
      actions: ['execute-api:Invoke'],
      resourceArns: this.methods.map((method) => method.methodArn),
    });
  }

  private acknowledgeFindings(cloudWatchRole: boolean): void {
    for (const method of this.methods) {
      Validations.of(method).acknowledge({
        id: 'AwsSolutions::AwsSolutions-COG4',
        reason:
          'Callers are AWS workloads that sign with their IAM identity (AWS_IAM on every method); ' +
          'there are no end users and hence no Cognito user pool.',
      });
    }
    Validations.of(this.api.deploymentStage).acknowledge({
      id: 'AwsSolutions::AwsSolutions-APIG3',
      reason:
        this.publicMethods.length === 0
          ? 'Every method requires a SigV4 signature and the resource policy admits only configured ' +
            'principals, so anonymous traffic never reaches the integration; stage throttling bounds ' +
            'the rest. A WAF web ACL can still be associated by the operator.'
          : 'Every method but GET/POST /onboard requires a SigV4 signature from an admitted ' +
            'principal. The two onboarding methods are throttled per method (at most 5 and 2 ' +
            'requests per second) so they cannot exhaust the token routes, and the function allows ' +
            '10 attempts per code an hour; a WAF web ACL with a per-IP rate rule can be associated ' +
            'by the operator on top (docs/onboarding.md).',
    });
    if (cloudWatchRole) {
      Validations.of(this.api).acknowledge({
        id: 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        reason:
          'The account-wide API Gateway logging role, created only on request, uses the ' +
          'service-role policy AWS documents for it; API Gateway needs it to write execution logs ' +
          'of any API in the account and region.',
      });
    } else {
      Validations.of(this.api.deploymentStage).acknowledge({
        id: 'AwsSolutions::AwsSolutions-APIG6',
        reason:
          'Execution logging needs the account-wide API Gateway CloudWatch role, which this stack ' +
          'creates only when apiGatewayCloudWatchRole is set; the JSON access log records every ' +
          'request with the caller ARN, account, status and latency.',
      });
    }
  }

  /** Gateway-generated errors in the contract's error body, so callers parse one format. */
  private shapeGatewayErrors(): void {
    const headers = {
      'Content-Type': "'application/json'",
      'Cache-Control': "'no-store'",
    };
    // $context.error.messageString is already a quoted JSON string.
    const body = (code: string) =>
      `{"error":"${code}","error_description":$context.error.messageString,"retryable":false,"request_id":"$context.requestId"}`;
    this.api.addGatewayResponse('BadRequestBody', {
      type: ResponseType.BAD_REQUEST_BODY,
      statusCode: '400',
      responseHeaders: headers,
      templates: { 'application/json': body('invalid_request') },
    });
    this.api.addGatewayResponse('AccessDenied', {
      type: ResponseType.ACCESS_DENIED,
      statusCode: '403',
      responseHeaders: headers,
      templates: { 'application/json': body('access_denied') },
    });
  }

  /** JSON Schema of the `POST /revoke` body. */
  private revokeModel(): Model {
    return this.api.addModel('RevokeRequest', {
      contentType: 'application/json',
      modelName: 'RevokeRequest',
      schema: {
        type: JsonSchemaType.OBJECT,
        required: ['token'],
        additionalProperties: false,
        properties: {
          token: { type: JsonSchemaType.STRING, minLength: 1 },
          // Contract v1.1: the tenant whose token it is; the function validates the ID.
          tenant: { type: JsonSchemaType.STRING },
        },
      },
    });
  }
}

/** Every field a caller can be told apart by, plus what to debug a 403 or 5XX with. */
function accessLogFormat(): AccessLogFormat {
  const fields = {
    requestId: '$context.requestId',
    extendedRequestId: '$context.extendedRequestId',
    requestTime: '$context.requestTimeEpoch',
    httpMethod: '$context.httpMethod',
    resourcePath: '$context.resourcePath',
    status: '$context.status',
    responseLength: '$context.responseLength',
    responseLatency: '$context.responseLatency',
    integrationLatency: '$context.integrationLatency',
    integrationStatus: '$context.integrationStatus',
    userArn: '$context.identity.userArn',
    accountId: '$context.identity.accountId',
    caller: '$context.identity.caller',
    principalOrgId: '$context.identity.principalOrgId',
    sourceIp: '$context.identity.sourceIp',
    userAgent: '$context.identity.userAgent',
    xrayTraceId: '$context.xrayTraceId',
  };
  const json = JSON.stringify(fields);
  // The error message may hold quotes; messageString is its JSON-quoted form.
  return AccessLogFormat.custom(
    `${json.slice(0, -1)},"errorMessage":$context.error.messageString}`,
  );
}
