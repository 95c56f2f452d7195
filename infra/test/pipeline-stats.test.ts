import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEFAULT_TOPICS } from '@sensor-pipeline/shared';
import { describe, expect, it, onTestFinished } from 'vitest';
import { carryForward, type PipelineSnapshot, ratesBetween, snapshotPipeline } from '../src/launcher/pipeline-stats.js';
import { pipelineServices, portsFrom, type ServicePorts } from '../src/pipeline-services.js';

async function metricsServer(text: string): Promise<number> {
  const server: Server = createServer((_, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end(text));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return (server.address() as AddressInfo).port;
}

function specsWith(ports: Partial<ServicePorts>) {
  return pipelineServices({
    bootstrapServers: 'x:1',
    topics: DEFAULT_TOPICS,
    ports: { ...portsFrom(1), ...ports },
    hostOf: () => '127.0.0.1',
    listenHost: '127.0.0.1',
    sinkSecret: 'whsec_x',
  });
}

describe('pipeline snapshot', () => {
  it("reads the services' metrics into one snapshot", async () => {
    const simulatorOps = await metricsServer(
      'simulator_readings_acked_total 1500\nsimulator_readings_produced_total 1510\n',
    );
    const processorOps = await metricsServer(
      [
        'processor_readings_total{outcome="processed"} 1400',
        'processor_readings_total{outcome="dead_lettered"} 4',
        'processor_readings_total{outcome="replayed"} 99',
        'processor_alerts_total{status="FIRING",rule="cpu-high"} 3',
        'processor_alerts_total{status="RESOLVED",rule="cpu-high"} 2',
        'processor_alerts_firing 1',
      ].join('\n'),
    );
    const alertingOps = await metricsServer(
      'alerting_deliveries_total{receiver="demo-sink",outcome="delivered"} 5\nalerting_queue_depth{receiver="demo-sink"} 2\n',
    );
    const snap = await snapshotPipeline(
      specsWith({ simulatorOps, processorOps, alertingOps }),
      undefined,
      () => undefined,
    );
    expect(snap).toMatchObject({
      produced: 1500,
      processed: 1404,
      processorDlq: 0,
      alertsFiring: 3,
      alertsResolved: 2,
      firingNow: 1,
      delivered: 5,
      deadLettered: 0,
      duplicates: 0,
      retrying: 2,
      lag: {},
    });
  });

  it('leaves out what it cannot reach', async () => {
    const snap = await snapshotPipeline(
      specsWith({ simulatorOps: 1, processorOps: 2, alertingOps: 3 }),
      undefined,
      () => undefined,
    );
    expect(Object.keys(snap).sort()).toEqual(['atMs', 'lag']);
  });

  it('keeps the last known figures of a service that went away, and computes rates', () => {
    const a: PipelineSnapshot = { atMs: 0, produced: 100, processed: 50, lag: { processor: 7 } };
    const b: PipelineSnapshot = { atMs: 2_000, processed: 250, lag: {} };
    const merged = carryForward(a, b);
    expect(merged).toEqual({ atMs: 2_000, produced: 100, processed: 250, lag: { processor: 7 } });
    expect(ratesBetween(a, merged)).toEqual({ producedPerSec: 0, processedPerSec: 100 });
    expect(ratesBetween(undefined, merged)).toEqual({});
  });
});
