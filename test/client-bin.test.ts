/**
 * The `box-token` bin is a checked-in launcher (client/bin/box-token.js), so npm links it on
 * install even in this repository, where `prepare` builds dist/ only after bins are linked.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const CLIENT = resolve(import.meta.dirname, '..', 'client');
const LAUNCHER = join(CLIENT, 'bin', 'box-token.js');

function runNode(
  file: string,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [file, ...args], { timeout: 30_000 }, (error, stdout, stderr) => {
      done({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
    });
  });
}

describe('client/bin/box-token.js', () => {
  it('is the bin npm links, shipped in the package', () => {
    const manifest = JSON.parse(readFileSync(join(CLIENT, 'package.json'), 'utf8')) as {
      bin: Record<string, string>;
      files: string[];
    };
    expect(manifest.bin).toEqual({ 'box-token': 'bin/box-token.js' });
    expect(manifest.files).toContain('bin/box-token.js');
  });

  it('runs the built command', async () => {
    const result = await runNode(LAUNCHER, ['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Usage: box-token');
  });

  it('says how to build the client when dist/ is missing (exit 1)', async () => {
    const bare = mkdtempSync(join(tmpdir(), 'box-token-launcher-'));
    mkdirSync(join(bare, 'bin'));
    copyFileSync(LAUNCHER, join(bare, 'bin', 'box-token.js'));
    copyFileSync(join(CLIENT, 'package.json'), join(bare, 'package.json'));
    const result = await runNode(join(bare, 'bin', 'box-token.js'), ['--help']);
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'box-token: the client is not built (no dist/); in the box-token-broker repository run: npm run build:client\n',
    });
  });
});
