/**
 * docker compose itself accepts infra/docker-compose.yml (`compose config`, no engine needed) and refuses to
 * start without the sink's secret. Runs the compose client, so it lives in the integration tier.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const composeFile = fileURLToPath(new URL('../docker-compose.yml', import.meta.url));

/** `docker compose` (v2 plugin) if the client has it, else Debian's `docker-compose`; undefined if neither. */
function composeCommand(): string[] | undefined {
  if (spawnSync('docker', ['compose', 'version'], { encoding: 'utf8' }).status === 0) return ['docker', 'compose'];
  if (spawnSync('docker-compose', ['version'], { encoding: 'utf8' }).status === 0) return ['docker-compose'];
  return undefined;
}

describe('docker compose accepts the file', () => {
  const command = composeCommand();

  it('validates with `compose config` (no engine needed)', () => {
    if (!command) {
      throw new Error(
        "neither `docker compose` nor `docker-compose` is installed; scripts/install.sh installs Debian's docker-compose (apt-get install docker-compose)",
      );
    }
    const [bin, ...pre] = command;
    const result = spawnSync(bin!, [...pre, '-f', composeFile, 'config', '-q'], {
      encoding: 'utf8',
      env: { ...process.env, SINK_SECRET: 'whsec_dGVzdHRlc3R0ZXN0dGVzdA==' },
    });
    expect(result.status, `${command.join(' ')} config failed:\n${result.stderr}${result.stdout}`).toBe(0);
  });

  it('refuses to start without SINK_SECRET', () => {
    if (!command) return;
    const [bin, ...pre] = command;
    const env = { ...process.env };
    delete env['SINK_SECRET'];
    const result = spawnSync(bin!, [...pre, '-f', composeFile, 'config', '-q'], { encoding: 'utf8', env });
    expect(result.status).not.toBe(0);
    expect(`${result.stderr}${result.stdout}`).toContain('SINK_SECRET');
  });
});
