/** Starting the app in-process and calling it, shared by the in-process specs. */
import { expect } from "chai";
import * as http from "node:http";
import { AddressInfo } from "node:net";
import { ServerOptions, createServer } from "../../server";

/** Starts the app on 127.0.0.1, port 0; returns it and its base URL. */
export async function start(env: Record<string, string | undefined>, options?: ServerOptions): Promise<{ server: http.Server; base: string }> {
    const server = createServer(env, options);
    await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    return { server, base: `http://127.0.0.1:${port}` };
}

export async function stop(server: http.Server): Promise<void> {
    server.closeAllConnections();
    await new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
}

/** GETs (or sends `method` to) a path; returns the status, the headers and the parsed JSON body. */
export async function call(base: string, path: string, method = "GET"): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
    const res = await fetch(`${base}${path}`, { method });
    expect(res.headers.get("content-type")).to.match(/^application\/json/);
    return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}

/** A port on 127.0.0.1 that nothing listens on (it was free a moment ago). */
export async function closedPort(): Promise<number> {
    const probe = http.createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", () => resolve()));
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    return port;
}
