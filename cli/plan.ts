/**
 * `plan`: the offline plan of one stack. Runs the real program with the
 * stack's config under Pulumi's mocks and prints every resource it would
 * create or update, and the outputs.
 *
 *   npm run --silent plan -- --stack prod [--json] [--previous FILE] [--reference STACK=FILE ...]
 *
 * Exit 0: config accepted. Exit 1: config refused (nothing registered). Exit 2: usage error.
 */
import { Command, CommanderError } from "commander";
import { plan, PlanResult, StackOutputs } from "./engine";
import { ReadOutputsOptions, checkReferences, parseNow, readStackOutputs, showName } from "./inputs";
import { parseStackConfig } from "../rollout/config";
import { findProjectRoot, readStackConfig, UsageError } from "./stackFile";

/**
 * Reads a file written by `pulumi stack output --json` (or a plan's `outputs`): bounded, never
 * echoed, its `rollout` output checked (cli/inputs.ts: readStackOutputs).
 *
 * @param options the option that named the file (`--previous` or `--reference`), the stack whose
 *                outputs it holds, and the time its `rollout.stepTakenAt` may not be after
 * @throws UsageError of one line naming the option, the file and what is allowed
 */
export function readOutputsFile(file: string, options: ReadOutputsOptions = {}): StackOutputs {
    return readStackOutputs(file, options);
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
        throw new UsageError(`--reference ${showName(text)}: expected STACK=FILE, e.g. staging=staging-outputs.json`);
    }
    return { ...previous, [m[1].split("/").pop()!]: m[2] };
}

/**
 * The stack a stack's config promotes from (`slotshift:promotion.from`, as given), undefined when
 * none; null when the config does not parse (the plan then says why).
 */
function promotionFromOf(root: string, stack: string): string | undefined | null {
    const { config } = readStackConfig(root, stack);
    try {
        return parseStackConfig(config, stack).promotion.from;
    } catch {
        return null;
    }
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
    let result: PlanResult;
    try {
        const at = opts.now === undefined ? undefined : parseNow(opts.now);
        const now = at ?? new Date();
        const root = findProjectRoot();
        // A reference to a stack the config does not promote from would be silently ignored: refused
        // before any file is read. A config that does not parse is the plan's to refuse.
        const from = Object.keys(opts.reference).length === 0 ? null : promotionFromOf(root, opts.stack);
        if (from !== null) {
            checkReferences(from, opts.reference);
        }
        const previous = opts.previous === undefined ? undefined : readOutputsFile(opts.previous, { option: "--previous", stack: opts.stack, now });
        const references: Record<string, StackOutputs> = {};
        for (const [stack, file] of Object.entries(opts.reference)) {
            references[stack] = readOutputsFile(file, { option: "--reference", stack, now });
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
