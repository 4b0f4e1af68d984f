/** Containers changed in place: exec sessions and writable-layer changes no commit made (the running agent's watch). */
export { InPlaceWatch, type ChangedContainer, type InPlaceStatus, type InPlaceWatchOptions } from "./in-place-watch.js";
export { createInPlaceMetrics, type InPlaceMetrics } from "./in-place-metrics.js";
export { IN_PLACE_ACTIONS, inPlaceEventOf, recordedCommand, type InPlaceEvent } from "./exec-event.js";
export { changesInPlace, type LayerChange, type LayerVerdict } from "./layer-changes.js";
export { healthcheckCommand, profileOf, type ContainerProfile } from "./container-profile.js";
export type { InPlaceKind, InPlaceRecord, InPlaceSource } from "./in-place-source.js";
