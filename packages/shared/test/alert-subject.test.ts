import { describe, expect, it } from 'vitest';
import { alertSubject } from '../src/alerts/alert-subject.js';

describe('alertSubject', () => {
  it('names a sensor by device and metric, a device by its id', () => {
    expect(alertSubject({ deviceId: 'site-a/dev-1', metric: 'cpu', labels: { site: 'site-a' } })).toEqual({
      scope: 'sensor',
      group: {},
      text: 'site-a/dev-1 cpu',
    });
    expect(alertSubject({ deviceId: 'site-a/dev-1', metric: '', labels: {} }).text).toBe('site-a/dev-1');
  });

  it('names a group alert (empty deviceId and metric) by its labels, sorted, and a fleet alert as the fleet', () => {
    expect(alertSubject({ deviceId: '', metric: '', labels: { site: 'site-b' } })).toEqual({
      scope: 'group',
      group: { site: 'site-b' },
      text: 'site=site-b',
    });
    expect(alertSubject({ deviceId: '', metric: '', labels: { site: 'b', region: 'eu', severity: 'x' } }).text).toBe(
      'region=eu,site=b',
    );
    expect(alertSubject({ deviceId: '', metric: '', labels: {} })).toEqual({
      scope: 'fleet',
      group: {},
      text: 'fleet',
    });
  });
});
