/**
 * The route stage of the delivery pipeline: which receivers get an alert, pure, with Alertmanager's
 * routing-tree semantics. The root route matches every alert and names the default receiver. Child routes
 * are tried in order; the first that matches takes the alert (and recurses into its own children), unless
 * it sets `continue: true`, in which case the following siblings are tried too (fan-out). A route none of
 * whose children matched delivers to its own receiver; a child without a receiver inherits its parent's.
 * Each receiver appears once in the result, in the order first reached.
 */
import type { Alert } from '@sensor-pipeline/shared';
import { type AlertMatch, type AlertPredicate, compileMatch } from './alert-matcher.js';

export interface RouteSpec {
  readonly receiver?: string | undefined;
  readonly match?: AlertMatch | undefined;
  readonly continue?: boolean | undefined;
  readonly routes?: readonly RouteSpec[] | undefined;
}

export interface RouteNode {
  readonly receiver: string;
  readonly matches: AlertPredicate;
  readonly continue: boolean;
  readonly routes: readonly RouteNode[];
}

/** Compiles a route tree; the root needs a receiver (the default), children inherit theirs. */
export function compileRoutes(root: RouteSpec): RouteNode {
  if (!root.receiver) throw new RangeError('the root route needs a receiver (the default receiver)');
  return compileNode(root, root.receiver, true);
}

function compileNode(spec: RouteSpec, inherited: string, isRoot: boolean): RouteNode {
  const receiver = spec.receiver ?? inherited;
  return {
    receiver,
    matches: isRoot ? () => true : compileMatch(spec.match ?? {}),
    continue: spec.continue ?? false,
    routes: (spec.routes ?? []).map((child) => compileNode(child, receiver, false)),
  };
}

/** The receivers for `alert`, each once, in the order the tree reaches them. */
export function routeAlert(root: RouteNode, alert: Alert): string[] {
  const out: string[] = [];
  visit(root, alert, out);
  return out;
}

function visit(node: RouteNode, alert: Alert, out: string[]): void {
  let childMatched = false;
  for (const child of node.routes) {
    if (!child.matches(alert)) continue;
    childMatched = true;
    visit(child, alert, out);
    if (!child.continue) break;
  }
  if (!childMatched && !out.includes(node.receiver)) out.push(node.receiver);
}

/** Every receiver name a tree can deliver to, for config checks. */
export function routeReceivers(spec: RouteSpec, inherited?: string): string[] {
  const receiver = spec.receiver ?? inherited;
  const names = receiver ? [receiver] : [];
  for (const child of spec.routes ?? []) names.push(...routeReceivers(child, receiver));
  return [...new Set(names)];
}
