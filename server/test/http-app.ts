// The app's tRPC route over plain node:http, in a process of its own, for tests that kill or starve
// the web server (`next start` needs a build, which the integration suite does not make). The route
// module is the one Next.js serves; only the HTTP plumbing around it is this file's.
//
//   PORT=… DATABASE_URL=… node --import tsx server/test/http-app.ts   (prints "listening" when ready)
import { createServer } from "node:http";
import { Readable } from "node:stream";
import { GET, POST } from "../../app/api/trpc/[trpc]/route";

const port = Number(process.env.PORT);
const server = createServer((req, res) => {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) if (typeof value === "string") headers.set(name, value);
  const method = req.method ?? "GET";
  const request = new Request(`http://127.0.0.1:${port}${req.url}`, {
    method,
    headers,
    body: method === "GET" || method === "HEAD" ? undefined : (Readable.toWeb(req) as ReadableStream<Uint8Array>),
    duplex: "half",
  } as RequestInit);
  const handle = method === "POST" ? POST : GET;
  handle(request)
    .then(async (response) => {
      res.writeHead(response.status, Object.fromEntries(response.headers));
      res.end(Buffer.from(await response.arrayBuffer()));
    })
    .catch((err: unknown) => {
      res.writeHead(500, { "content-type": "text/plain" });
      res.end(`unhandled: ${err instanceof Error ? err.message : String(err)}`);
    });
});
server.listen(port, "127.0.0.1", () => console.log("listening"));
