export {
  ClusterAdapter,
  createClusterAdapter,
  type ClusterAdapterOptions,
  type ClusterLogger,
  type ClusterMetrics,
} from "./cluster-adapter.js";
export { ChannelListeners, type BusListener, type BusOrdering, type ClusterBus } from "./bus.js";
export { broadcastChannels, channelNames, looksLikeSocketId, type ChannelNames, type RoutingOptions } from "./channels.js";
export { InProcessBus, InProcessHub, type InProcessHubOptions } from "./in-process-bus.js";
export { isClusterMessage, msgpackClusterCodec, type ClusterCodec } from "./message-codec.js";
export * from "./messages.js";
export { OrderedPublisher, type OrderedPublisherOptions, type OrderedSink, type OrderingCounters } from "./ordered-publisher.js";
export { PartialResponseError } from "./partial-response-error.js";
