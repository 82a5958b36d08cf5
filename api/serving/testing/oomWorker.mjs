// A stand-in serving worker for the supervisor's tests: on its first start (no marker file yet) it
// exhausts its heap for real; on later starts it reports that it listens, like the real worker.
import { existsSync, writeFileSync } from "node:fs";
import { parentPort, workerData } from "node:worker_threads";

const marker = process.env.XMARGIN_TEST_OOM_MARKER;
if (marker && !existsSync(marker)) {
  writeFileSync(marker, "started");
  const hold = [];
  for (;;) hold.push(new Array(1_000_000).fill(hold.length));
}
parentPort.postMessage({ type: "listening", host: workerData.host, port: workerData.port, requestedPort: workerData.port });
parentPort.on("message", (m) => {
  if (m?.type === "stop") process.exit(0);
  if (m?.type === "sql") parentPort.postMessage({ type: "sqlReply", id: m.id, rows: [{ echoed: m.text, n: m.params[0] }] });
});
