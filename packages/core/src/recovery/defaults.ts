/**
 * `connectionStateRecovery.maxDisconnectionDuration` left out, ms. Socket.IO's default: rides out
 * a phone switching networks or a server restart.
 */
export const DEFAULT_MAX_DISCONNECTION_DURATION = 120_000;
