/**
 * Runs the app as a real process, the way the image does (`main.ts`, telemetry first),
 * from TypeScript through ts-node, with the net guard preloaded. Its environment is
 * only what the test gives plus PATH and HOME: nothing from the test's own environment
 * (an OTEL_* or APPLICATIONINSIGHTS_* there must not leak in).
 */
import { ChildProcess, spawn } from "node:child_process";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "../../..");
const MAIN = path.join(ROOT, "app", "main.ts");
const NET_GUARD = path.join(__dirname, "netGuard.ts");

/** How long the app may take to print its `listening` line. */
const START_TIMEOUT_MS = 30_000;
/** How long the app may take to exit after SIGTERM (its own grace is 10 s plus a 5 s flush). */
const STOP_TIMEOUT_MS = 20_000;

export interface AppProcess {
    /** `http://127.0.0.1:<port>` */
    readonly base: string;
    /** The `listening` line, parsed. */
    readonly listening: Record<string, unknown>;
    /** What it printed so far. */
    output(): { stdout: string; stderr: string };
    /** Sends SIGTERM and waits for the exit (SIGKILL after STOP_TIMEOUT_MS, then rejects). */
    stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>;
}

export function startApp(env: Record<string, string>): Promise<AppProcess> {
    const child: ChildProcess = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", "-r", NET_GUARD, MAIN], {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/tmp", ...env },
        stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));

    const stop = async (): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }> => {
        const start = Date.now();
        if (child.exitCode !== null || child.signalCode !== null) {
            return { ...(await exited), ms: 0 };
        }
        child.kill("SIGTERM");
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<"late">((resolve) => (timer = setTimeout(() => resolve("late"), STOP_TIMEOUT_MS)));
        const result = await Promise.race([exited, late]);
        clearTimeout(timer);
        if (result === "late") {
            child.kill("SIGKILL");
            await exited;
            throw new Error(`the app did not exit within ${STOP_TIMEOUT_MS} ms of SIGTERM; stdout: ${stdout}; stderr: ${stderr}`);
        }
        return { ...result, ms: Date.now() - start };
    };

    return new Promise<AppProcess>((resolve, reject) => {
        const timer = setTimeout(() => {
            child.kill("SIGKILL");
            reject(new Error(`the app printed no listening line within ${START_TIMEOUT_MS} ms; stdout: ${stdout}; stderr: ${stderr}`));
        }, START_TIMEOUT_MS);
        void exited.then(({ code, signal }) => {
            clearTimeout(timer);
            reject(new Error(`the app exited (${code ?? signal}) before listening; stdout: ${stdout}; stderr: ${stderr}`));
        });
        const onData = (): void => {
            for (const line of stdout.split("\n")) {
                if (!line.includes('"listening"')) {
                    continue;
                }
                const listening = JSON.parse(line) as Record<string, unknown>;
                clearTimeout(timer);
                child.stdout?.off("data", onData);
                resolve({ base: `http://127.0.0.1:${String(listening.port)}`, listening, output: () => ({ stdout, stderr }), stop });
                return;
            }
        };
        child.stdout?.on("data", onData);
    });
}
