/**
 * Runs the Box simulator on its own: `npx tsx local/box-simulator.ts` (env: `BOX_SIM_PORT`,
 * `BOX_SIM_ENTERPRISE_ID`, `BOX_SIM_CLIENT_ID`, `BOX_SIM_CLIENT_SECRET`,
 * `BOX_SIM_MISCONFIGURATIONS`: a comma-separated list of {@link AppMisconfiguration}s for the
 * app; `BOX_SIM_WRONG_SECRET_ANSWER`: `invalid_client` (default) or `invalid_grant`, how a wrong
 * or reset secret is refused); it prints its URL. The simulator itself lives in `local/box-simulator/`.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  APP_MISCONFIGURATIONS,
  type AppMisconfiguration,
  SIMULATOR_DEFAULTS,
  startBoxSimulator,
  WRONG_SECRET_ANSWERS,
} from './box-simulator/index.js';

async function main(): Promise<void> {
  const env = process.env;
  const clientId = env.BOX_SIM_CLIENT_ID ?? SIMULATOR_DEFAULTS.clientId;
  const wrongSecretAnswer = WRONG_SECRET_ANSWERS.find(
    (answer) => answer === (env.BOX_SIM_WRONG_SECRET_ANSWER ?? 'invalid_client'),
  );
  if (wrongSecretAnswer === undefined) {
    console.error('BOX_SIM_WRONG_SECRET_ANSWER: use invalid_client or invalid_grant');
    process.exit(2);
  }
  const sim = await startBoxSimulator({
    port: Number(env.BOX_SIM_PORT ?? 0),
    enterpriseId: env.BOX_SIM_ENTERPRISE_ID ?? SIMULATOR_DEFAULTS.enterpriseId,
    credentials: [
      { clientId, clientSecret: env.BOX_SIM_CLIENT_SECRET ?? SIMULATOR_DEFAULTS.clientSecret },
    ],
    allowUserSubjects: true,
    wrongSecretAnswer,
  });
  const requested = (env.BOX_SIM_MISCONFIGURATIONS ?? '').split(',').filter((m) => m !== '');
  const known = (m: string): m is AppMisconfiguration =>
    (APP_MISCONFIGURATIONS as readonly string[]).includes(m);
  const unknown = requested.filter((m) => !known(m));
  if (unknown.length > 0) {
    console.error(`BOX_SIM_MISCONFIGURATIONS: unknown ${unknown.join(', ')}`);
    await sim.close();
    process.exit(2);
  }
  sim.defaultApp.setMisconfigurations(requested.filter(known));
  // The client secret is deliberately not printed, even a fake one.
  console.log(
    `Box simulator listening on ${sim.url} (enterprise ${sim.enterpriseId}, client ID ${clientId})`,
  );
  const stop = () => {
    void sim.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

const invokedPath = process.argv[1];
if (invokedPath !== undefined && resolve(invokedPath) === fileURLToPath(import.meta.url)) {
  void main();
}
