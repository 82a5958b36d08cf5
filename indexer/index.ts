// Every handler file; src/index.ts imports this one (Ponder loads indexing code from src/ only).
import "./marginVault.js";
import "./priceFeed.js";
import "../protocols/handlers.js";
