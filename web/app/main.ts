/// <reference lib="dom" />
/** The dashboard's entry: routes by path (/ or /account/0x…) and exposes its state for tests. */
import { renderAccount } from "./account.js";
import { renderDashboard } from "./dashboard.js";
import { state } from "./state.js";

(window as unknown as { __xmargin: typeof state }).__xmargin = state;
const root = document.getElementById("app")!;
const match = /^\/account\/(0x[0-9a-fA-F]{40})\/?$/.exec(location.pathname);
if (match) renderAccount(root, match[1].toLowerCase());
else renderDashboard(root);
