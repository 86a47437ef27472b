/**
 * Bundles the rollback relay into relay/dist: the function app's whole package,
 * committed so that `pulumi up` needs no build step (components/rollbackRelay.ts
 * zips relay/dist as it is).
 *
 *     npx ts-node --transpile-only relay/build.ts
 *
 * - dist/index.js: relay/index.ts and its dependencies (@azure/functions,
 *   @octokit/rest) in one CommonJS file for Node 22, the function app's runtime
 *   (components/rollbackRelay.ts, `RELAY_NODE_VERSION`). `@azure/functions-core` stays
 *   external: the Functions worker provides it at run time, and @azure/functions
 *   only tries to require it ("Failed to detect the Azure Functions runtime.
 *   Switching "@azure/functions" package to test mode" when it is absent).
 * - dist/package.json: `main` names the file that registers the functions. In the
 *   v4 model "The only files you need at the root of your app are `host.json` and
 *   `package.json`. Otherwise, you define the file structure by setting the `main`
 *   field in your `package.json` file." (functions-node-upgrade-v4.md)
 * - dist/host.json: version 2.0 and no extension bundle: "The Azure Functions
 *   runtime natively runs HTTP and timer triggers." (functions-bindings-register.md)
 *
 * The output is deterministic (no timestamps, paths relative to the project
 * root): test/relay.spec.ts rebuilds it and fails when the committed copy differs.
 */
import { promises as fs } from "fs";
import * as path from "path";
import { build } from "esbuild";

/** The project root. */
const ROOT = path.resolve(__dirname, "..");

/** Where the committed bundle lives. */
export const DIST = path.join(ROOT, "relay", "dist");

/** The command that rebuilds it. */
export const BUILD_COMMAND = "npx ts-node --transpile-only relay/build.ts";

/** The Node.js major version the bundle targets: the function app's (`linuxFxVersion` `Node|22`). */
export const RELAY_NODE_MAJOR = "22";

/** The function app's package.json. */
const PACKAGE_JSON = { name: "slotshift-rollback-relay", private: true, main: "index.js" };

/** The function app's host.json. */
const HOST_JSON = { version: "2.0" };

/** Builds the relay's package into `outDir` (created if missing); returns the files written, relative to it. */
export async function buildRelay(outDir: string = DIST): Promise<string[]> {
    await fs.mkdir(outDir, { recursive: true });
    const result = await build({
        absWorkingDir: ROOT,
        entryPoints: [path.join("relay", "index.ts")],
        bundle: true,
        platform: "node",
        // Keep equal to RELAY_NODE_VERSION in components/rollbackRelay.ts (test/rollbackRelay.spec.ts checks).
        target: `node${RELAY_NODE_MAJOR}`,
        format: "cjs",
        external: ["@azure/functions-core"],
        minify: true,
        legalComments: "eof",
        charset: "utf8",
        write: false,
        outfile: path.join(outDir, "index.js"),
        logLevel: "silent",
    });
    if (result.errors.length > 0 || result.warnings.length > 0) {
        const all = [...result.errors, ...result.warnings].map((m) => `${m.location?.file ?? ""}:${m.location?.line ?? ""} ${m.text}`);
        throw new Error(`relay bundle: ${all.join("; ")}`);
    }
    const files: Record<string, string | Uint8Array> = {
        "host.json": `${JSON.stringify(HOST_JSON, null, 2)}\n`,
        "package.json": `${JSON.stringify(PACKAGE_JSON, null, 2)}\n`,
    };
    for (const out of result.outputFiles) {
        files[path.relative(outDir, out.path)] = out.contents;
    }
    for (const [name, contents] of Object.entries(files)) {
        await fs.writeFile(path.join(outDir, name), contents);
    }
    return Object.keys(files).sort();
}

if (require.main === module) {
    buildRelay().then(
        async (files) => {
            const sizes = await Promise.all(files.map(async (f) => `${f} ${(await fs.stat(path.join(DIST, f))).size} bytes`));
            console.log(`relay/dist: ${sizes.join(", ")}`);
        },
        (e: unknown) => {
            console.error((e as Error).message);
            process.exitCode = 1;
        },
    );
}
