/**
 * Free ports below Linux's ephemeral range (32768–60999), chosen at random in 20000–32000 and
 * probed, so that parallel runs don't collide and nothing picks a fixed port.
 */
import net from "node:net";

const handedOut = new Set<number>();

function probe(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once("error", () => resolve(false));
    server.listen({ port, host: "127.0.0.1", exclusive: true }, () => {
      server.close(() => resolve(true));
    });
  });
}

/** A random free TCP port in [20000, 32000] on 127.0.0.1 (also free on `span - 1` following ports). */
export async function freePort(span = 1): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20000 + Math.floor(Math.random() * (12000 - span));
    let ok = true;
    for (let p = port; p < port + span && ok; p++) ok = !handedOut.has(p) && (await probe(p));
    if (ok) {
      for (let p = port; p < port + span; p++) handedOut.add(p);
      return port;
    }
  }
  throw new Error("No free port found in 20000–32000 after 200 attempts.");
}
