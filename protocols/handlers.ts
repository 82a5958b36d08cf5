// Every protocol adapter's handler module, one line each (indexer/index.ts imports this file;
// Ponder loads indexing code from src/ only). The vault's handlers live in indexer/.
import "./aaveV3/handlers.js";
