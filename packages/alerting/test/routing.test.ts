import { describe, expect, it } from 'vitest';
import { compileMatch, compileRoutes, type RouteSpec, routeAlert, routeReceivers } from '../src/index.js';
import { sampleAlert } from './alert-fixture.js';

const tree: RouteSpec = {
  receiver: 'default',
  routes: [
    { match: { severity: ['critical'] }, receiver: 'pager', continue: true },
    {
      match: { device: ['site-a/*'] },
      receiver: 'site-a',
      routes: [{ match: { metric: ['temperature'] }, receiver: 'facilities' }],
    },
    { match: { labels: { team: ['db-*'] } }, receiver: 'dba' },
  ],
};

describe('routeAlert', () => {
  const root = compileRoutes(tree);

  it('sends an alert no route matches to the default receiver', () => {
    expect(routeAlert(root, sampleAlert({ severity: 'info', deviceId: 'site-b/dev-1' }))).toEqual(['default']);
  });

  it('fans out with continue: the first match continues, the next match stops the walk', () => {
    expect(routeAlert(root, sampleAlert({ severity: 'critical', deviceId: 'site-a/dev-7', metric: 'cpu' }))).toEqual([
      'pager',
      'site-a',
    ]);
  });

  it('a matching route with continue and no other match still does not add the default', () => {
    expect(routeAlert(root, sampleAlert({ severity: 'critical', deviceId: 'site-z/dev-7' }))).toEqual(['pager']);
  });

  it('descends into nested routes; without a nested match the parent receiver is used', () => {
    expect(
      routeAlert(root, sampleAlert({ severity: 'warning', deviceId: 'site-a/dev-1', metric: 'temperature' })),
    ).toEqual(['facilities']);
    expect(routeAlert(root, sampleAlert({ severity: 'warning', deviceId: 'site-a/dev-1', metric: 'memory' }))).toEqual([
      'site-a',
    ]);
  });

  it('stops at the first match without continue', () => {
    // site-a matches first (no continue), so the dba route is never tried
    expect(
      routeAlert(
        root,
        sampleAlert({ severity: 'warning', deviceId: 'site-a/dev-1', metric: 'cpu', labels: { team: 'db-core' } }),
      ),
    ).toEqual(['site-a']);
    expect(
      routeAlert(root, sampleAlert({ severity: 'warning', deviceId: 'site-b/dev-1', labels: { team: 'db-core' } })),
    ).toEqual(['dba']);
  });

  it('lists each receiver once even when reached twice', () => {
    const twice = compileRoutes({
      receiver: 'a',
      routes: [
        { match: { rule: ['cpu-*'] }, receiver: 'b', continue: true },
        { match: { severity: ['critical'] }, receiver: 'b', continue: true },
        { match: {}, receiver: 'c' },
      ],
    });
    expect(routeAlert(twice, sampleAlert())).toEqual(['b', 'c']);
  });

  it('children inherit the receiver of their parent', () => {
    const inherit = compileRoutes({
      receiver: 'root',
      routes: [{ match: { severity: ['critical'] }, receiver: 'crit', routes: [{ match: { metric: ['cpu'] } }] }],
    });
    expect(routeAlert(inherit, sampleAlert())).toEqual(['crit']);
    expect(routeReceivers({ receiver: 'root', routes: [{ receiver: 'x', routes: [{}] }, {}] })).toEqual(['root', 'x']);
  });
});

describe('compileMatch', () => {
  it('matches every alert when empty', () => {
    expect(compileMatch({})(sampleAlert())).toBe(true);
  });

  it('needs every given field to match, any pattern of a field', () => {
    const m = compileMatch({ severity: ['warning', 'critical'], rule: ['cpu-*'], status: ['firing'] });
    expect(m(sampleAlert())).toBe(true);
    expect(m(sampleAlert({ status: 'RESOLVED' }))).toBe(false);
    expect(m(sampleAlert({ rule: 'temp-high' }))).toBe(false);
  });

  it('device globs: * stays within a path segment, ** crosses', () => {
    expect(compileMatch({ device: ['site-a/*'] })(sampleAlert({ deviceId: 'site-a/rack-1/dev-2' }))).toBe(false);
    expect(compileMatch({ device: ['site-a/**'] })(sampleAlert({ deviceId: 'site-a/rack-1/dev-2' }))).toBe(true);
    expect(compileMatch({ device: ['dev-00[0-4]?'] })(sampleAlert({ deviceId: 'dev-0042' }))).toBe(true);
  });

  it('a label pattern needs the label', () => {
    const m = compileMatch({ labels: { site: ['a'], model: ['x*'] } });
    expect(m(sampleAlert())).toBe(true);
    expect(m(sampleAlert({ labels: { site: 'a' } }))).toBe(false);
    expect(m(sampleAlert({ labels: { site: 'b', model: 'x1' } }))).toBe(false);
  });
});
