/** Reads a text/event-stream response into events, for tests (in process and over HTTP). */
export interface SseEvent {
  event: string;
  data: string;
}

export interface SseReader {
  /** The next event other than keep-alive comments; rejects after `timeoutMs`. */
  next(timeoutMs: number): Promise<SseEvent>;
  close(): Promise<void>;
}

export function readSse(response: Response): SseReader {
  if (!response.body) throw new Error(`The response has no body (status ${response.status}).`);
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  const queue: SseEvent[] = [];
  // A read that lost a race against the timeout stays pending and is awaited next time (never dropped).
  let pending: Promise<ReadableStreamReadResult<Uint8Array>> | null = null;

  const parse = () => {
    for (;;) {
      const end = buffer.indexOf("\n\n");
      if (end < 0) return;
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = "message";
      const data: string[] = [];
      for (const line of block.split("\n")) {
        if (line.startsWith(":")) continue;
        if (line.startsWith("event:")) event = line.slice(6).trim();
        else if (line.startsWith("data:")) data.push(line.slice(5).trimStart());
      }
      if (data.length > 0 || event !== "message") queue.push({ event, data: data.join("\n") });
    }
  };

  return {
    async next(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (queue.length === 0) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`No server-sent event within ${timeoutMs} ms.`);
        let timer: NodeJS.Timeout | undefined;
        pending ??= reader.read();
        const chunk = await Promise.race([
          pending,
          new Promise<null>((resolve) => {
            timer = setTimeout(() => resolve(null), left);
          }),
        ]).finally(() => clearTimeout(timer));
        if (chunk === null) continue;
        pending = null;
        if (chunk.done) throw new Error("The event stream ended.");
        buffer += decoder.decode(chunk.value, { stream: true }).replace(/\r\n/g, "\n");
        parse();
      }
      return queue.shift()!;
    },
    async close() {
      await reader.cancel().catch(() => undefined);
    },
  };
}
