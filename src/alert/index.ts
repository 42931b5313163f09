/**
 * Alerts: rules evaluated on health-check samples with `for` durations and repeats, a state machine
 * per alert (inactive -> pending -> firing -> resolved), and notifications to Slack and e-mail with
 * retries. This file is the folder's public face; see docs/alerts.md.
 */
export {
  type AlertRuleConfig,
  type AlertsConfig,
  alertDefaults,
  alertRuleSchema,
  alertsSchema,
  DEFAULT_ALERT_RULES,
  OPERATORS,
  type Operator,
  SEVERITIES,
  type Severity,
} from './config-schema.js';
export { type DeliveryOptions, type DeliveryReport, deliverNotifications } from './deliver.js';
export {
  AlertEngine,
  type AlertEngineOptions,
  type AlertRunResult,
  alertSource,
  alertStateFile,
  type CheckAlertsOptions,
  checkAlerts,
  deliveryOptions,
  type EvaluateCallOptions,
  notifiersFromConfig,
  sendTestNotification,
} from './engine.js';
export { type EvaluateOptions, type Evaluation, evaluateAlerts, recordDeliveries } from './evaluate.js';
export { emailContent, slackPayload, titleOf } from './message.js';
export { EmailNotifier, type EmailNotifierOptions, type Notifier, SlackNotifier } from './notifiers.js';
export { DeliveryError, type RetryPolicy } from './retry.js';
export { sampleFromHealth } from './sample.js';
export { type AlertStore, FileAlertStore, MemoryAlertStore } from './store.js';
export type {
  AlertCheck,
  AlertNotification,
  AlertSample,
  AlertState,
  AlertStateName,
  AlertStates,
  DeliveryResult,
} from './types.js';
