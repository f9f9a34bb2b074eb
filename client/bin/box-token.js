#!/usr/bin/env node
// The `box-token` command. This file is in the source (not built) so that npm links the bin on
// install, even in this repository where `prepare` builds dist/ only after bins are linked.
import { existsSync } from 'node:fs';

const cli = new URL('../dist/esm/client/cli.js', import.meta.url);
if (existsSync(cli)) {
  await import(cli.href);
} else {
  process.stderr.write(
    'box-token: the client is not built (no dist/); in the box-token-broker repository run: npm run build:client\n',
  );
  process.exitCode = 1;
}
