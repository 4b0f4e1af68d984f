/**
 * A real HTTP receiver for deployment markers (report.notify), as a team's endpoint would be: it
 * keeps every body with its `X-Gitdock-Signature` header and answers 204.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface MarkerReceiver {
  /** The URL to give as `report.notify.url`. */
  url: string;
  /** Every marker received so far, in order. */
  markers: { body: string; signature: string | undefined }[];
  close(): Promise<void>;
}

export async function startMarkerReceiver(): Promise<MarkerReceiver> {
  const markers: MarkerReceiver["markers"] = [];
  const server = http.createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8").on("data", (d: string) => (body += d));
    req.on("end", () => {
      markers.push({ body, signature: req.headers["x-gitdock-signature"] as string | undefined });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/markers`,
    markers,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
