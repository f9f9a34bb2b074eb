/**
 * `npm run state:local`: fleet state on this machine (dynalite and the KMS stand-in on
 * 127.0.0.1) until Ctrl-C. Prints the lines to export in the terminals of `npm start` and of
 * `npx box-token-broker tenant …`, so they share one table as a deployed fleet does.
 * Ports: BOX_STATE_DYNAMODB_PORT and BOX_STATE_KMS_PORT (default 8000 and 8001; 0 = any free).
 */
import { startLocalFleetState } from './state/index.js';

function port(name: string, fallback: number): number {
  const raw = process.env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > 65_535) {
    throw new Error(`${name} must be a port number (0–65535).`);
  }
  return value;
}

const state = await startLocalFleetState({
  dynamodbPort: port('BOX_STATE_DYNAMODB_PORT', 8000),
  kmsPort: port('BOX_STATE_KMS_PORT', 8001),
});
const lines = Object.entries(state.env).map(([name, value]) => `export ${name}=${value}`);
// Placeholders only where the shell has none: real credentials stay for Secrets Manager.
for (const [name, value] of Object.entries(state.awsEnv)) {
  if (process.env[name] === undefined) lines.push(`export ${name}=${value}`);
}
process.stdout.write(
  `Fleet state is running: DynamoDB (dynalite) at ${state.table.url}, KMS stand-in at ${state.kms.url}.\n` +
    'Export these in the terminals of `npm start` and `npx box-token-broker tenant …`:\n\n' +
    `${lines.join('\n')}\n\nCtrl-C stops it (the table lives in memory and is gone).\n`,
);
const stop = () => {
  state.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
