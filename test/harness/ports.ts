/** Free ports for the suites: devnet/ports.ts (random in 20000–32000, probed). */
export { freePort } from "../../devnet/ports.js";
