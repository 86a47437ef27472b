/**
 * `plan`: the offline plan of one stack. Runs the real program with the
 * stack's config under Pulumi's mocks and prints every resource it would
 * create or update, and the outputs.
 *
 *   npm run --silent plan -- --stack prod [--json] [--previous FILE] [--reference STACK=FILE ...]
 *
 * Exit 0: config accepted. Exit 1: config refused (nothing registered). Exit 2: usage error.
 */
import * as fs from "fs";
import { Command, CommanderError } from "commander";
import { plan, PlanResult, StackOutputs } from "./engine";
import { findProjectRoot, UsageError } from "./stackFile";

/** Reads a file written by `pulumi stack output --json` (or a plan's `outputs`). */
export function readOutputsFile(file: string): StackOutputs {
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (e) {
        throw new UsageError(`cannot read ${file}: ${(e as Error).message}`);
    }
    let value: unknown;
    try {
        value = JSON.parse(text);
    } catch (e) {
        throw new UsageError(`${file} is not JSON (expected what 'pulumi stack output --json' writes): ${(e as Error).message}`);
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
        throw new UsageError(`${file} is not a JSON object of stack outputs (expected what 'pulumi stack output --json' writes)`);
    }
    // A whole plan document is accepted too: its outputs are what the next update reads.
    const doc = value as Record<string, unknown>;
    if ("resources" in doc && "outputs" in doc && typeof doc.outputs === "object" && doc.outputs !== null) {
        return doc.outputs as StackOutputs;
    }
    return doc;
}

function short(value: unknown, max = 100): string {
    const text = JSON.stringify(value) ?? "";
    return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}

/** The readable form of a plan: a table of resources, then the outputs. */
export function renderTable(result: PlanResult): string {
    const lines: string[] = [];
    lines.push(`slotshift plan: stack ${result.stack} (environment ${result.environment ?? "?"})`);
    if (!result.ok) {
        lines.push("");
        lines.push(`REFUSED${result.error?.key ? ` (${result.error.key})` : ""}: ${result.error?.message}`);
        lines.push(`resources registered: ${result.resources.length}`);
        return lines.join("\n");
    }
    const rows = result.resources.map((r) => [r.type, r.name, r.parent ?? "-"]);
    const header = ["TYPE", "NAME", "PARENT"];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const fmt = (r: string[]) => r.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd();
    lines.push("");
    lines.push(fmt(header));
    for (const r of rows) {
        lines.push(fmt(r));
    }
    lines.push("");
    lines.push(`${result.resources.length} resources (${result.resources.filter((r) => r.custom).length} custom)`);
    lines.push("");
    lines.push("Outputs:");
    for (const [k, v] of Object.entries(result.outputs)) {
        lines.push(`  ${k}: ${short(v, 400)}`);
    }
    return lines.join("\n");
}

/** Parses `STACK=FILE` (repeatable: collects into one map). */
export function parseReference(text: string, previous: Record<string, string>): Record<string, string> {
    const m = /^([A-Za-z0-9_./-]+)=(.+)$/.exec(text);
    if (!m) {
        throw new UsageError(`--reference ${JSON.stringify(text)}: expected STACK=FILE, e.g. staging=staging-outputs.json`);
    }
    return { ...previous, [m[1].split("/").pop()!]: m[2] };
}

/** Where a command writes. */
export interface Writer {
    write(text: string): unknown;
}

/** Runs the plan command; returns the exit code. */
export async function main(argv: readonly string[], out: Writer = process.stdout, err: Writer = process.stderr): Promise<number> {
    const program = new Command("plan")
        .description("Offline plan of one stack: every resource the program would register, and its outputs")
        .requiredOption("-s, --stack <stack>", "the stack to plan (Pulumi.<stack>.yaml)")
        .option("--json", "print one JSON document on stdout")
        .option("--previous <file>", "outputs of the stack's last update (pulumi stack output --json)")
        .option("--reference <stack=file>", "outputs of another stack (repeatable)", parseReference, {} as Record<string, string>)
        .option("--now <time>", "plan as at this ISO 8601 time (reproducible plans); default: the current time")
        .exitOverride()
        .configureOutput({ writeOut: (s) => out.write(s), writeErr: (s) => err.write(s) })
        .addHelpText("after", "\nExit codes: 0 accepted, 1 config refused (nothing registered), 2 usage error.");
    try {
        program.parse(argv, { from: "user" });
    } catch (e) {
        if (e instanceof CommanderError) {
            return e.exitCode === 0 ? 0 : 2;
        }
        if (e instanceof UsageError) {
            err.write(`slotshift plan: ${e.message}\n`);
            return 2;
        }
        throw e;
    }
    const opts = program.opts<{ stack: string; json?: boolean; previous?: string; reference: Record<string, string>; now?: string }>();
    const at = opts.now === undefined ? undefined : new Date(opts.now);
    if (at !== undefined && Number.isNaN(at.getTime())) {
        err.write(`slotshift plan: --now ${JSON.stringify(opts.now)} is not an ISO 8601 time, e.g. 2026-11-26T14:00:00Z\n`);
        return 2;
    }
    let result: PlanResult;
    try {
        const root = findProjectRoot();
        const previous = opts.previous ? readOutputsFile(opts.previous) : undefined;
        const references: Record<string, StackOutputs> = {};
        for (const [stack, file] of Object.entries(opts.reference)) {
            references[stack] = readOutputsFile(file);
        }
        result = await plan({
            stack: opts.stack,
            root,
            previous,
            references,
            resolveReferences: true,
            now: at,
            onNote: (note) => err.write(`slotshift plan: ${note}\n`),
        });
    } catch (e) {
        if (e instanceof UsageError) {
            err.write(`slotshift plan: ${e.message}\n`);
            return 2;
        }
        throw e;
    }
    if (opts.json) {
        const { stack, environment, ok, error, resources, outputs, warnings } = result;
        out.write(`${JSON.stringify({ stack, environment, ok, error, warnings, resources, outputs }, null, 2)}\n`);
    } else {
        out.write(`${renderTable(result)}\n`);
    }
    for (const w of result.warnings) {
        err.write(`warning: ${w}\n`);
    }
    return result.ok ? 0 : 1;
}

if (require.main === module) {
    main(process.argv.slice(2)).then(
        (code) => {
            process.exitCode = code;
        },
        (e: unknown) => {
            process.stderr.write(`slotshift plan: internal error: ${(e as Error)?.stack ?? String(e)}\n`);
            process.exitCode = 2;
        },
    );
}
