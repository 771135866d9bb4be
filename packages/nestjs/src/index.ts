export { RoomcastAdapter, type RoomcastAdapterOptions, type RoomcastGatewayServer } from "./roomcast-adapter.js";
export type { RoomcastGatewayOptions } from "./gateway-options.js";
export type { AdapterMetrics } from "./pending-replies.js";
export { TOO_MANY_PENDING_REPLIES } from "./message-binding.js";
