import { type SensorReading, sensorReadingCodec } from '@sensor-pipeline/shared';
import { describe, expect, it } from 'vitest';
import { Sfc32 } from '../src/core/prng.js';
import { longLength, ReadingEncoder, writeLong } from '../src/core/reading-encoder.js';
import { METRICS } from '../src/scenario/scenario-schema.js';

function viaEncoder(encoder: ReadingEncoder, r: SensorReading): Buffer {
  return encoder.encode(
    Buffer.from(r.deviceId, 'utf8'),
    METRICS.indexOf(r.metric),
    r.value,
    r.timestamp,
    r.seq,
    encoder.labels(r.labels),
  );
}

describe('ReadingEncoder', () => {
  const codec = sensorReadingCodec();
  const encoder = new ReadingEncoder(codec);

  it('writes exactly the bytes of the shared Avro codec, for many random readings', () => {
    const rng = new Sfc32(1);
    const ids = ['site-a/dev-0001', 'x', 'sité-ü/dév-0042', 'a'.repeat(200)];
    const labelSets: Record<string, string>[] = [
      {},
      { site: 'site-a' },
      { site: 'site-b', region: 'eu-north', room: 'cold-store' },
      { ключ: 'значение' },
    ];
    for (let i = 0; i < 5_000; i++) {
      const reading: SensorReading = {
        deviceId: ids[rng.nextInt(ids.length)]!,
        metric: METRICS[rng.nextInt(3)]!,
        value: [rng.next() * 200 - 50, 0, -0, 100, 1e300, -1e-300][rng.nextInt(6)]!,
        timestamp: [
          0,
          1_704_067_200_000 + rng.nextInt(1e9),
          2 ** 52 + 12_345,
          -1,
          -(2 ** 40),
          2 ** 31,
          2 ** 30,
          2 ** 30 - 1,
        ][rng.nextInt(8)]!,
        seq: [0, rng.nextInt(1e6), 2 ** 45 + rng.nextInt(1000), 63, 64, 8191, 8192][rng.nextInt(7)]!,
        labels: labelSets[rng.nextInt(labelSets.length)]!,
      };
      const expected = codec.encode(reading);
      const actual = viaEncoder(encoder, reading);
      if (!actual.equals(expected))
        throw new Error(
          `differs for ${JSON.stringify(reading)}: ${actual.toString('hex')} vs ${expected.toString('hex')}`,
        );
      expect(codec.decode(actual)).toEqual(reading);
    }
  });

  it('encodes NaN exactly as the codec does (a valid Avro double)', () => {
    const reading: SensorReading = {
      deviceId: 'd',
      metric: 'cpu',
      value: Number.NaN,
      timestamp: 5,
      seq: 1,
      labels: {},
    };
    expect(viaEncoder(encoder, reading).equals(codec.encode(reading))).toBe(true);
    expect(Number.isNaN(codec.decode(viaEncoder(encoder, reading)).value)).toBe(true);
  });

  it('supports Confluent framing too', () => {
    const confluent = sensorReadingCodec({ kind: 'confluent', schemaId: 7 });
    const reading: SensorReading = {
      deviceId: 'site-a/dev-0001',
      metric: 'memory',
      value: 55.5,
      timestamp: 1_704_067_200_123,
      seq: 77,
      labels: { site: 'site-a' },
    };
    expect(viaEncoder(new ReadingEncoder(confluent), reading).equals(confluent.encode(reading))).toBe(true);
  });

  it('writes zigzag varints of the right length across the whole safe-integer range', () => {
    const buf = Buffer.alloc(16);
    for (const n of [
      0,
      -1,
      1,
      63,
      -64,
      64,
      2 ** 30 - 1,
      -(2 ** 30),
      2 ** 30,
      2 ** 31,
      2 ** 52,
      2 ** 53 - 1,
      -(2 ** 53 - 1),
    ]) {
      expect(writeLong(buf, 0, n)).toBe(longLength(n));
    }
  });
});
