export { undoRollout, type UndoContext } from "./undo-rollout.js";
export { findInterruptedRollout } from "./find-interrupted-rollout.js";
export { cleanUpLeftovers } from "./clean-up-leftovers.js";
