export { InMemoryRecoveryStore } from "./in-memory-store.js";
export { NamespaceRecovery, type RecoveryStats } from "./namespace-recovery.js";
export type { LiveSession, LiveSessionStore } from "./recovery-store.js";
export { comparePositions, formatPosition, offsetParts, splitPosition } from "./position.js";
export {
  isTargeted,
  type ConnectionStateRecoveryOptions,
  type RecoverySession,
  type RecoveryStore,
  type RecoveryStoreContext,
  type RecoveryStoreFactory,
} from "./recovery-store.js";
