/** The launcher's pipeline snapshot, read over HTTP from real metrics servers. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEFAULT_TOPICS } from '@sensor-pipeline/shared';
import { describe, expect, it, onTestFinished } from 'vitest';
import { snapshotPipeline } from '../src/launcher/pipeline-stats.js';
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
        'processor_dlq_total{code="READING_LATE_BEYOND_GRACE"} 7',
        'processor_dlq_total{code="DECODE_EMPTY"} 2',
        'processor_dlq_total{code="DECODE_TRUNCATED"} 0',
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
      processorDlq: 9,
      processorDlqByReason: { READING_LATE_BEYOND_GRACE: 7, DECODE_EMPTY: 2 },
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
});
