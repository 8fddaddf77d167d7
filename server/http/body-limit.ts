// Request bodies are read as streams with a cap: past it (or when Content-Length already says so)
// reading fails with the caller's error, so an oversized upload is refused without being buffered.

/** `body` passed through until `maxBytes` have gone by, then failed with `tooLarge()`. */
export function cappedStream(body: ReadableStream<Uint8Array>, maxBytes: number, tooLarge: () => Error, declaredBytes?: number): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let seen = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (declaredBytes !== undefined && declaredBytes > maxBytes) {
        controller.error(tooLarge());
        await reader.cancel();
        return;
      }
      const { done, value } = await reader.read();
      if (done) {
        controller.close();
        return;
      }
      seen += value.byteLength;
      if (seen > maxBytes) {
        controller.error(tooLarge());
        await reader.cancel();
        return;
      }
      controller.enqueue(value);
    },
    cancel: (reason) => reader.cancel(reason),
  });
}

/** The Content-Length a request declares, when it declares a sensible one. */
export function declaredLength(req: Request): number | undefined {
  const value = Number(req.headers.get("content-length"));
  return Number.isFinite(value) && value >= 0 ? value : undefined;
}

/** The same request, whose body fails with `tooLarge()` past `maxBytes`. */
export function withCappedBody(req: Request, maxBytes: number, tooLarge: () => Error): Request {
  if (!req.body) return req;
  return new Request(req.url, {
    method: req.method,
    headers: req.headers,
    body: cappedStream(req.body, maxBytes, tooLarge, declaredLength(req)),
    signal: req.signal,
    // Required by Node's fetch for a streamed body.
    duplex: "half",
  } as RequestInit);
}

/** A JSON body of at most `maxBytes`, or undefined when it is not JSON. Throws `tooLarge()` past the cap. */
export async function readJsonWithin(req: Request, maxBytes: number, tooLarge: () => Error): Promise<unknown> {
  const text = await new Response(withCappedBody(req, maxBytes, tooLarge).body).text();
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
