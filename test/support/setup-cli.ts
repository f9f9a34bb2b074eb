/**
 * Runs `box-token-broker check|tenant …` in-process against a Box simulator, capturing output.
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type {
  FleetControlStore,
  InvitationStore,
  TenantHealthStore,
} from '../../lambda/state/ports.js';
import type { BoxSimulator } from '../../local/box-simulator/index.js';
import { runSetupCli } from '../../local/setup/cli.js';
import type { Prompt } from '../../local/setup/secret-prompt.js';

export interface SetupRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface SetupRunOptions {
  env?: Record<string, string | undefined>;
  prompt?: Prompt;
  /** The (mocked) Secrets Manager client. */
  secretsManager?: SecretsManagerClient;
  /** The fleet state controls `tenant suspend|resume|list` use (a test table). */
  fleetControls?: FleetControlStore;
  /** The tenant health store `tenant list` reads (a test table). */
  tenantHealth?: TenantHealthStore;
  /** The invitation store `tenant invite|list` use (set BOX_STATE_TABLE in `env` too). */
  invitations?: InvitationStore;
}

/** Credentials env for an app the simulator serves. */
export function appEnv(
  sim: BoxSimulator,
  app: { clientId: string; clientSecret: string; enterpriseId: string },
): Record<string, string> {
  return {
    BOX_API_URL: sim.url,
    BOX_CLIENT_ID: app.clientId,
    BOX_CLIENT_SECRET: app.clientSecret,
    BOX_ENTERPRISE_ID: app.enterpriseId,
  };
}

export async function runSetup(args: string[], options: SetupRunOptions = {}): Promise<SetupRun> {
  let stdout = '';
  let stderr = '';
  const code = await runSetupCli(
    args,
    {
      stdout: (text) => {
        stdout += text;
      },
      stderr: (text) => {
        stderr += text;
      },
      env: options.env ?? {},
      prompt: options.prompt,
    },
    {
      secretsManager: () =>
        options.secretsManager ?? new SecretsManagerClient({ region: 'eu-west-1' }),
      now: () => Date.UTC(2026, 10, 30, 9, 0, 0),
      ...(options.fleetControls === undefined
        ? {}
        : { fleetControls: () => options.fleetControls as FleetControlStore }),
      ...(options.tenantHealth === undefined
        ? {}
        : { tenantHealth: () => options.tenantHealth as TenantHealthStore }),
      ...(options.invitations === undefined
        ? {}
        : { invitations: () => options.invitations as InvitationStore }),
    },
  );
  return { code, stdout, stderr };
}
