/**
 * Alerting: routes alerts from the alerts topic to signed, retried webhooks (Standard Webhooks), with
 * per-receiver isolation, dedup, an SSRF guard and a deliveries DLQ. The pure core (routing, formats,
 * signing, retry schedule, dedup, offset tracking) is exported for reuse and tests; the service and the
 * webhook sink are the I/O shell.
 */
export * from './config/alerting-config.js';
export * from './config/load-alerting-config.js';
export * from './config/receiver-kind.js';
export * from './delivery/classify-response.js';
export * from './delivery/dedup-window.js';
export * from './delivery/delivery-error.js';
export * from './delivery/keyed-work-queue.js';
export * from './delivery/parse-retry-after.js';
export * from './delivery/retry-schedule.js';
export * from './delivery/webhook-sender.js';
export * from './format/format-alertmanager.js';
export * from './format/format-native.js';
export * from './format/format-payload.js';
export * from './format/format-slack.js';
export * from './format/go-time.js';
export * from './format/payload-format.js';
export * from './format/postable-alerts.js';
export * from './routing/alert-matcher.js';
export * from './routing/route-tree.js';
export * from './service/alerting-metrics.js';
export * from './service/alerting-service.js';
export * from './service/delivery-pipeline.js';
export * from './signing/parse-webhook-secrets.js';
export * from './signing/sign-webhook.js';
export * from './signing/signing-keys.js';
export * from './signing/verify-webhook.js';
export * from './sink/describe-payload.js';
export * from './sink/webhook-sink.js';
export * from './ssrf/check-destination.js';
export * from './ssrf/classify-address.js';
export * from './ssrf/destination-blocked-error.js';
export * from './ssrf/guarded-lookup.js';
export * from './state/state-record.js';
export * from './state/state-store.js';
