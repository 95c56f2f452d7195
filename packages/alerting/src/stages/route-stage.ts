/**
 * The route stage: which targets an alert goes to. The routing tree (Alertmanager semantics, see
 * route-tree.ts) names receivers; each receiver stands for one target, or one per Alertmanager of a pair.
 */
import type { Alert, Logger } from '@sensor-pipeline/shared';
import { type RouteNode, routeAlert } from '../routing/route-tree.js';
import type { ReceiverTarget } from './delivery.js';

export function routeStage(
  routes: RouteNode,
  targets: ReadonlyMap<string, readonly ReceiverTarget[]>,
  log: Logger,
): (alert: Alert) => ReceiverTarget[] {
  return (alert) =>
    routeAlert(routes, alert).flatMap((name) => {
      const found = targets.get(name);
      // compileRoutes only yields configured receivers; keep the invariant loud
      if (!found) log.error({ receiver: name }, 'route names an unknown receiver');
      return found ?? [];
    });
}
