/**
 * `npm start`: the broker on http://127.0.0.1:8787 (or PORT), the same handler Lambda runs.
 * See README "Run it locally" for the three credential modes.
 */
import { hostGuard } from './host-guard.js';
// --- local IAM emulation (issue 6): SigV4 checked when BOX_LOCAL_IAM_KEYS(_FILE) is set ---
import { loadLocalIamKeys } from './iam/local-iam-keys.js';
import { sigV4Authenticator } from './iam/sigv4-authenticator.js';
import { SigV4Verifier } from './iam/sigv4-verifier.js';
import { LOCAL_CUSTOMER_APP, startLocalBroker } from './local-broker.js';

let iamKeys: ReturnType<typeof loadLocalIamKeys>;
try {
  iamKeys = loadLocalIamKeys(process.env);
} catch (error) {
  process.stderr.write(`box-token-broker: ${error instanceof Error ? error.message : error}\n`);
  process.exit(1);
}
const verifier = iamKeys === undefined ? undefined : new SigV4Verifier({ keys: iamKeys });
// Always on, whatever the IAM emulation: a page rebinding its name to 127.0.0.1 gets 403.
let broker: Awaited<ReturnType<typeof startLocalBroker>>;
try {
  broker = await startLocalBroker({
    authenticate: hostGuard(
      verifier === undefined ? () => ({ identity: undefined }) : sigV4Authenticator(verifier),
    ),
    hint: (line) => process.stderr.write(`${line}\n`),
  });
} catch (error) {
  process.stderr.write(`box-token-broker: ${error instanceof Error ? error.message : error}\n`);
  process.exit(1);
}
// --- end local IAM emulation ---

const lines = [`box-token-broker listening on ${broker.url} (mode: ${broker.mode})`];
if (broker.mode === 'simulator') {
  lines.unshift(
    '',
    '==================================================================================',
    '  SIMULATED BOX: no Box credentials were configured, so tokens come from a built-in',
    `  Box simulator at ${broker.simulator?.url ?? '?'}. They do not work against Box.`,
    '  For real tokens set BOX_CREDENTIALS_SECRET, or BOX_CLIENT_ID + BOX_CLIENT_SECRET +',
    '  BOX_ENTERPRISE_ID.',
    '==================================================================================',
  );
}
if (broker.tenants.length > 0) {
  lines.push(
    `Simulated tenants (BOX_LOCAL_TENANTS), each its own Box app and enterprise: ${broker.tenants
      .map((tenant) => `${tenant.id} (enterprise ${tenant.enterpriseId})`)
      .join(', ')}.`,
    `Try: curl -s '${broker.url}/token?tenant=${broker.tenants[0]?.id ?? ''}'`,
  );
}
if (broker.onboarding) {
  lines.push(
    `Onboarding ON: invite with: npx box-token-broker tenant invite ID --url ${broker.url}   (docs/onboarding.md)`,
  );
  if (broker.mode === 'simulator') {
    lines.push(
      `  The simulated customer's Box app to connect on the page: Client ID ${LOCAL_CUSTOMER_APP.clientId}, Client Secret ${LOCAL_CUSTOMER_APP.clientSecret}, Enterprise ID ${LOCAL_CUSTOMER_APP.enterpriseId}.`,
      '  Tenants the page stores live in this process (a stand-in for Secrets Manager).',
    );
  }
}
lines.push(
  // --- local IAM emulation (issue 6) ---
  verifier === undefined
    ? 'Local mode trusts every caller on this machine (no SigV4): anyone here is the anonymous caller. Set BOX_LOCAL_IAM_KEYS to verify SigV4.'
    : `Local IAM emulation ON: SigV4 (execute-api) verified against ${verifier.keyCount} key(s); unsigned or badly signed requests get 403 like API Gateway.`,
  verifier === undefined
    ? `Try: curl -s ${broker.url}/token   and   curl -s ${broker.url}/health`
    : `Try (with a configured key in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY): npx box-token --url ${broker.url} --json`,
  // --- end local IAM emulation ---
  'Only requests addressed to localhost, 127.0.0.1 or [::1] are answered (DNS rebinding protection).',
  '',
);
process.stderr.write(`${lines.join('\n')}\n`);

const shutdown = () => {
  void broker.close().then(() => process.exit(0));
};
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
