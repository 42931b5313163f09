/**
 * Server configuration and tuning advice: a recommended, commented my.cnf for a machine's size,
 * workload, flavor and version (`recommendServerConfig`, pure), and a MySQLTuner-style comparison
 * of a running server with it (`checkServerConfig`). This file is the folder's public face.
 */
export {
  type CheckSeverity,
  type ConfigCheckReport,
  checkServerConfig,
  compareSetting,
  type SettingFinding,
  type StatusObservation,
  TOLERANCE,
} from './check.js';
export {
  bufferPoolFraction,
  type RecommendedSetting,
  recommendServerConfig,
  type ServerConfigInput,
  type ServerConfigRecommendation,
  type SettingKind,
  type TuningFlavor,
  type Workload,
} from './recommend.js';
export { formatSize, parseSize } from './units.js';
