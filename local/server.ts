/**
 * `npm start`: the broker on http://127.0.0.1:8787 (or PORT), the same handler Lambda runs.
 * See README "Run it locally" for the three credential modes.
 */
import { startLocalBroker } from './local-broker.js';

const broker = await startLocalBroker();

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
lines.push(
  'Local mode trusts every caller on this machine (no SigV4): anyone here is the anonymous caller.',
  `Try: curl -s ${broker.url}/token   and   curl -s ${broker.url}/health`,
  '',
);
process.stderr.write(`${lines.join('\n')}\n`);

const shutdown = () => {
  void broker.close().then(() => process.exit(0));
};
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
