export { observeContainers, observeHost } from "./observe-host.js";
export { resolveHostInputs, parseEnvFile } from "./resolve-host-inputs.js";
export { withInPlaceChanges } from "./with-in-place-changes.js";
