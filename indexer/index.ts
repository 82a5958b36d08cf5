// Every handler file; src/index.ts imports this one (Ponder loads indexing code from src/ only).
import "../protocols/handlers.js";
