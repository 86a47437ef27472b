/**
 * What is deployed, read from the Pulumi CLI: the outputs of the stack's last update, as
 * `pulumi stack output --json --stack S` prints them. The CLI's commands take them from a file
 * (`--previous FILE`); when none is given, `status` and `history` can ask the Pulumi CLI itself.
 *
 * The contract relied on (https://www.pulumi.com/docs/iac/cli/commands/pulumi_stack_output/):
 * `pulumi stack output [property-name] [flags]` "lists all output properties exported from a
 * stack"; `-j, --json` emits them as JSON: one object, output name to value. Outputs marked secret
 * are printed as "[secret]" unless `--show-secrets` is given, which this module never passes: the
 * `rollout` output slotshift reads is not a secret, and no secret is to reach a terminal or a log.
 * A stack never updated has no outputs: `{}`.
 *
 * Nothing here writes: it is a read of the stack's state, like `pulumi stack output` itself.
 */
import { spawnSync } from "child_process";
import { StackOutputs } from "./engine";

/** How readDeployed runs the Pulumi CLI. */
export interface ReadDeployedOptions {
    /** The environment of the child process (PATH finds `pulumi`); default: this process's. */
    readonly env?: NodeJS.ProcessEnv;
    /** How long `pulumi stack output` may take, in ms (it may reach a backend over the network); default 30 000. */
    readonly timeoutMs?: number;
}

/** The outputs of a stack's last update, and where they came from. */
export interface DeployedOutputs {
    readonly outputs: StackOutputs;
    /** The command that printed them, for people: `pulumi stack output --json --stack prod`. */
    readonly source: string;
}

/** Why no outputs could be read: one line, for people. */
export interface NoDeployedOutputs {
    readonly outputs: undefined;
    /**
     * `the Pulumi CLI is not on the PATH`, `pulumi stack output failed: <first line of its stderr>`,
     * `pulumi stack output timed out after 30 s`, `pulumi stack output printed no JSON object: ...`,
     * or `the stack has no outputs yet`.
     */
    readonly reason: string;
}

/** What readDeployed found. */
export type Deployed = DeployedOutputs | NoDeployedOutputs;

/** The default time `pulumi stack output` may take, in ms. */
export const DEFAULT_TIMEOUT_MS = 30_000;

/** The most the command may print (a stack's outputs are a few kB; a larger answer is not one). */
const MAX_BUFFER = 8 * 1024 * 1024;

/** The longest line of the CLI's stderr a reason quotes. */
const MAX_REASON = 200;

/** The first non-empty line of a text, without terminal escapes and control characters, truncated. */
export function firstLine(text: string, max = MAX_REASON): string {
    const line =
        text
            // eslint-disable-next-line no-control-regex
            .replace(/\u001b\[[0-9;?]*[A-Za-z]/g, "")
            .split(/\r?\n/)
            .map((l) => l.replace(/[\u0000-\u001f\u007f]/g, " ").trim())
            .find((l) => l !== "") ?? "";
    return line.length > max ? `${line.slice(0, max - 3)}...` : line;
}

/**
 * The outputs of a stack's last update, from `pulumi stack output --json --stack S` run in the
 * project root (`cwd`), without `--show-secrets`, bounded in time and size. Never throws: a
 * missing CLI, a failure (not logged in, no such stack, no backend), a timeout, an answer that is
 * not a JSON object, and a stack without outputs each give a reason.
 */
export function readDeployed(root: string, stack: string, options: ReadDeployedOptions = {}): Deployed {
    const args = ["stack", "output", "--json", "--stack", stack, "--non-interactive"];
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const env = { ...(options.env ?? process.env), PULUMI_SKIP_UPDATE_CHECK: "true" };
    const run = spawnSync("pulumi", args, { cwd: root, env, encoding: "utf8", timeout: timeoutMs, maxBuffer: MAX_BUFFER, stdio: ["ignore", "pipe", "pipe"] });
    const command = `pulumi stack output --json --stack ${stack}`;
    if (run.error !== undefined) {
        const code = (run.error as NodeJS.ErrnoException).code;
        if (code === "ENOENT") {
            return { outputs: undefined, reason: "the Pulumi CLI is not on the PATH" };
        }
        if (code === "ETIMEDOUT") {
            return { outputs: undefined, reason: `pulumi stack output timed out after ${Number((timeoutMs / 1000).toFixed(1))} s` };
        }
        if (code === "ENOBUFS") {
            return { outputs: undefined, reason: `pulumi stack output printed more than ${MAX_BUFFER} bytes` };
        }
        return { outputs: undefined, reason: `pulumi stack output could not run: ${firstLine(run.error.message)}` };
    }
    if (run.status !== 0) {
        const said = firstLine(run.stderr ?? "");
        return { outputs: undefined, reason: `pulumi stack output failed: ${said === "" ? (run.signal !== null ? `killed by ${run.signal}` : `exit code ${run.status}`) : said}` };
    }
    let value: unknown;
    try {
        value = JSON.parse(run.stdout);
    } catch {
        return { outputs: undefined, reason: `pulumi stack output printed no JSON object: ${JSON.stringify(firstLine(run.stdout, 60))}` };
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
        return { outputs: undefined, reason: `pulumi stack output printed no JSON object: ${JSON.stringify(firstLine(run.stdout, 60))}` };
    }
    if (Object.keys(value).length === 0) {
        return { outputs: undefined, reason: "the stack has no outputs yet" };
    }
    return { outputs: value as StackOutputs, source: command };
}
