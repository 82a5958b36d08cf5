// Every protocol adapter's handler module, one line each (indexer/index.ts imports this file;
// Ponder loads indexing code from src/ only).
import "./marginVault/handlers.js";
import "./marginVault/priceFeedHandlers.js";
import "./aaveV3/handlers.js";
