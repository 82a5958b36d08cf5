// Worker threads start from a plain ES module: this one loads the TypeScript worker with tsx's
// loader (the same way api/app.ts loads the risk API natively inside Ponder).
import { tsImport } from "tsx/esm/api";

await tsImport("./worker.ts", import.meta.url);
