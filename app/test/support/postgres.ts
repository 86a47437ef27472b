/**
 * A real PostgreSQL for the tests: DATABASE_URL_TEST when set (a server someone else
 * runs), else a throwaway cluster from scripts/pg-test-server.sh, stopped and removed
 * by stop(). Missing server binaries fail the test with the install command; never a skip.
 */
import { execFile } from "node:child_process";
import * as path from "node:path";

const SCRIPT = path.resolve(__dirname, "../../../scripts/pg-test-server.sh");

/** How long the script may take to start or stop a cluster. */
const SCRIPT_TIMEOUT_MS = 60_000;

export interface TestPostgres {
    readonly url: string;
    stop(): Promise<void>;
}

function run(args: string[]): Promise<string> {
    return new Promise((resolve, reject) => {
        execFile(SCRIPT, args, { timeout: SCRIPT_TIMEOUT_MS, encoding: "utf8" }, (error, stdout, stderr) => {
            if (error) {
                const code: unknown = (error as { code?: unknown }).code;
                // Exit 3: the binaries are missing; say so in one line.
                reject(new Error(code === 3 ? "PostgreSQL server binaries not found: apt-get install postgresql (or set DATABASE_URL_TEST)" : `${path.basename(SCRIPT)} ${args.join(" ")} failed: ${stderr.trim() || error.message}`));
                return;
            }
            resolve(stdout);
        });
    });
}

export async function startPostgres(): Promise<TestPostgres> {
    const given = process.env.DATABASE_URL_TEST?.trim();
    if (given) {
        return { url: given, stop: () => Promise.resolve() };
    }
    const out = await run(["start"]);
    const value = (key: string): string => {
        const line = out.split("\n").find((l) => l.startsWith(`${key}=`));
        if (!line) {
            throw new Error(`pg-test-server.sh start printed no ${key}: ${out}`);
        }
        return line.slice(key.length + 1);
    };
    const url = value("DATABASE_URL");
    const dir = value("PGTEST_DIR");
    return { url, stop: () => run(["stop", dir]).then(() => undefined) };
}
