/**
 * infra/docker-compose.yml must run exactly what the launcher runs: the same commands, environment, config
 * paths and topic names as `pipelineServices(composeDeployment())`, healthchecks on each service's readiness
 * endpoint, the broker image of the local broker's Kafka version. (That docker compose itself accepts the
 * file is checked by compose-config.int.test.ts, which runs it.)
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { KAFKA_VERSION } from '../src/local-kafka.js';
import {
  COMPOSE_APP_DIR,
  COMPOSE_BOOTSTRAP_SERVERS,
  COMPOSE_ONLY_SERVICES,
  composeDeployment,
  pipelineServices,
  SECRET_ENV,
  START_ORDER,
  TOPICS_COMMAND,
  topicsInitializerEnv,
} from '../src/pipeline-services.js';
import { parseYaml } from './yaml-parser.js';

interface ComposeService {
  image?: string;
  build?: { context?: string; dockerfile?: string };
  command?: unknown;
  environment?: Record<string, string | number | boolean> | string[];
  healthcheck?: { test?: string | string[] };
  depends_on?: Record<string, { condition?: string }> | string[];
  volumes?: string[];
  ports?: string[];
  container_name?: string;
  restart?: string;
}

const composeFile = fileURLToPath(new URL('../docker-compose.yml', import.meta.url));
const dockerfile = readFileSync(new URL('../Dockerfile', import.meta.url), 'utf8');
const compose = parseYaml(readFileSync(composeFile, 'utf8')) as {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
};
const deployment = composeDeployment();
const specs = pipelineServices(deployment);

function envOf(service: ComposeService): Record<string, string> {
  const env = service.environment ?? {};
  if (Array.isArray(env))
    return Object.fromEntries(env.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)]));
}

/** `${NAME:?message}` / `${NAME:-default}` → `${NAME}`: a reference to the environment, as the spec writes secrets. */
function normalizeReference(value: string): string {
  const m = /^\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?[-?][^}]*)?\}$/.exec(value);
  return m ? `\${${m[1]}}` : value;
}

describe('docker compose matches the launcher', () => {
  it('has the broker, the topic initializer, every service and Prometheus and Grafana, nothing else', () => {
    expect(Object.keys(compose.services).sort()).toEqual(
      ['kafka', 'topics', ...START_ORDER, ...COMPOSE_ONLY_SERVICES].sort(),
    );
  });

  for (const spec of specs) {
    describe(spec.name, () => {
      const service = compose.services[spec.name]!;

      it('runs the same command', () => {
        expect(service.command).toEqual(spec.command);
      });

      it('gets the same environment, with secrets taken from the environment', () => {
        const env = envOf(service);
        expect(Object.keys(env).sort()).toEqual(Object.keys(spec.env).sort());
        for (const [key, value] of Object.entries(spec.env)) {
          if (SECRET_ENV.has(key)) {
            expect(env[key], `${key} must be a reference like \${${key}}, never a literal`).toMatch(
              new RegExp(`^\\$\\{${key}(:?[-?].*)?\\}$`),
            );
            expect(normalizeReference(env[key]!)).toBe(value);
          } else {
            expect(env[key], key).toBe(value);
          }
        }
      });

      it('runs the image built from infra/Dockerfile with config/ mounted read-only', () => {
        expect(service.image).toBe('sensor-pipeline:latest');
        expect(service.build).toEqual({ context: '..', dockerfile: 'infra/Dockerfile' });
        expect(service.volumes ?? []).toContain(`../config:${COMPOSE_APP_DIR}/config:ro`);
        for (const file of spec.configFiles)
          expect(file.startsWith('config/'), `${file} is under the mounted config/`).toBe(true);
      });

      it('is healthy when its readiness endpoint answers', () => {
        const test = ([] as string[]).concat(service.healthcheck?.test ?? []).join(' ');
        expect(test).toContain(`http://127.0.0.1:${spec.opsPort}${spec.readyPath}`);
      });

      it('starts after the service before it is healthy, and after the topics exist', () => {
        const index = START_ORDER.indexOf(spec.name);
        const deps = service.depends_on ?? {};
        expect(Array.isArray(deps)).toBe(false);
        const d = deps as Record<string, { condition?: string }>;
        if (index > 0) expect(d[START_ORDER[index - 1]!]?.condition).toBe('service_healthy');
        if (spec.topics.length > 0) expect(d['topics']?.condition).toBe('service_completed_successfully');
      });
    });
  }

  it('lets the processor scale: no fixed container name or host port', () => {
    const processor = compose.services['processor']!;
    expect(processor.container_name).toBeUndefined();
    expect(processor.ports).toBeUndefined();
  });

  it("creates the topics with the launcher's command and names, once, after the broker is healthy", () => {
    const topics = compose.services['topics']!;
    expect(topics.command).toEqual(TOPICS_COMMAND);
    expect(envOf(topics)).toMatchObject(topicsInitializerEnv(deployment));
    expect(topics.restart).toBe('no');
    expect((topics.depends_on as Record<string, { condition?: string }>)['kafka']?.condition).toBe('service_healthy');
  });

  it("runs the broker of the local broker's Kafka version, in KRaft mode, healthchecked, where the services look for it", () => {
    const kafka = compose.services['kafka']!;
    expect(kafka.image).toBe(`apache/kafka:${KAFKA_VERSION}`);
    const env = envOf(kafka);
    expect(env['KAFKA_PROCESS_ROLES']).toBe('broker,controller');
    expect(env['KAFKA_ADVERTISED_LISTENERS']).toContain(COMPOSE_BOOTSTRAP_SERVERS);
    expect(env['KAFKA_AUTO_CREATE_TOPICS_ENABLE']).toBe('false');
    expect(([] as string[]).concat(kafka.healthcheck?.test ?? []).join(' ')).toContain('kafka-broker-api-versions.sh');
  });

  it("builds a small non-root runtime image with the repository at the services' working directory", () => {
    const stages = dockerfile.split(/^FROM /m).slice(1);
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const runtime = stages.at(-1)!;
    expect(runtime).toMatch(/^node:20-bookworm-slim/);
    expect(runtime).toMatch(new RegExp(`^WORKDIR ${COMPOSE_APP_DIR}$`, 'm'));
    expect(runtime).toMatch(/^USER (?!root)\S+$/m);
    for (const lib of ['libssl3', 'libsasl2-2', 'libzstd1', 'liblz4-1', 'libcurl4', 'zlib1g'])
      expect(runtime).toContain(lib);
    expect(stages[0]).toContain('pnpm install --frozen-lockfile');
    expect(stages[0]).toContain('CKJS_LINKING=dynamic');
  });
});
