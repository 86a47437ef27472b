import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { QUIET_STAMPS, quietPromiseStamps } from "../runtime/stackTraces";
import { planStack, ROOT } from "./helpers";

type Stamped = Promise<unknown> & { _debugStackTrace?: string };
// The SDK's own stamp: what it puts on every promise it makes.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { debuggablePromise } = require("@pulumi/pulumi/runtime/debuggable") as { debuggablePromise: (p: Stamped, ctx: string) => Promise<unknown> };
/** Has the SDK stamp a promise; returns the stamp. */
function stamp(): string | undefined {
    const p: Stamped = Promise.resolve(1);
    void debuggablePromise(p, "stackTraces.spec");
    return p._debugStackTrace;
}
/** The formatter the program wrapped, when it has run in this process. */
const wrapped = (f: typeof Error.prepareStackTrace) => (f as unknown as Record<symbol, typeof Error.prepareStackTrace> | undefined)?.[QUIET_STAMPS];

describe("stack traces while the program runs", () => {
    let formatter: typeof Error.prepareStackTrace;
    let leaks: string | undefined;
    beforeEach(() => {
        formatter = Error.prepareStackTrace;
        leaks = process.env.PULUMI_DEBUG_PROMISE_LEAKS;
        // The source-map formatter ts-node installs, as Pulumi's host has it (the program may have wrapped it already).
        Error.prepareStackTrace = wrapped(formatter) ?? formatter;
    });
    afterEach(() => {
        Error.prepareStackTrace = formatter;
        if (leaks === undefined) {
            delete process.env.PULUMI_DEBUG_PROMISE_LEAKS;
        } else {
            process.env.PULUMI_DEBUG_PROMISE_LEAKS = leaks;
        }
    });

    it("renders the SDK's promise stamps without frames, and every other stack mapped to the TypeScript source as before", () => {
        expect(Error.prepareStackTrace, "ts-node's source-map formatter").to.be.a("function");
        expect(stamp(), "before").to.match(/^Error\n\s+at debuggablePromise /);
        quietPromiseStamps();
        expect(stamp()).to.equal("Error");
        const source = fs.readFileSync(__filename, "utf8").split("\n");
        const line = source.findIndex((l) => l.trim() === `return new Error("made here");`) + 1;
        const made = (function makeError() {
            return new Error("made here");
        })();
        expect(made.stack).to.match(new RegExp(`^Error: made here\\n\\s+at makeError \\(.*stackTraces\\.spec\\.ts:${line}:\\d+\\)`));
        expect(made.stack!.split("\n").length, "frames kept").to.be.greaterThan(3);
    });

    it("is installed once however often the program runs in a process", () => {
        quietPromiseStamps();
        const installed = Error.prepareStackTrace;
        quietPromiseStamps();
        expect(Error.prepareStackTrace).to.equal(installed);
        expect(wrapped(installed)).to.be.a("function");
    });

    it("keeps the stamps' frames when PULUMI_DEBUG_PROMISE_LEAKS asks for them", () => {
        process.env.PULUMI_DEBUG_PROMISE_LEAKS = "true";
        const before = Error.prepareStackTrace;
        quietPromiseStamps();
        expect(Error.prepareStackTrace).to.equal(before);
        expect(stamp()).to.match(/\n\s+at debuggablePromise /);
    });

    it("leaves V8's own rendering alone when no formatter is installed", () => {
        (Error as { prepareStackTrace?: unknown }).prepareStackTrace = undefined;
        quietPromiseStamps();
        expect(Error.prepareStackTrace).to.equal(undefined);
    });

    it("is what the program installs when it runs", async () => {
        const result = await planStack("prod", { stackTraces: true });
        expect(result.ok, result.error?.message).to.equal(true);
        expect(wrapped(Error.prepareStackTrace)).to.be.a("function");
        expect(stamp()).to.equal("Error");
    });

    it("under Pulumi's start (tsconfig.pulumi.json: transpile-only, SWC), an error names its TypeScript line", () => {
        const script = [
            `require(${JSON.stringify(path.join(ROOT, "node_modules/ts-node"))}).register({ project: ${JSON.stringify(path.join(ROOT, "tsconfig.pulumi.json"))}, transpileOnly: true });`,
            `try { require(${JSON.stringify(path.join(__dirname, "fixtures/throws.ts"))}).fail({}); } catch (e) { process.stdout.write(e.stack); }`,
        ].join("\n");
        const r = spawnSync(process.execPath, ["-e", script], { cwd: ROOT, encoding: "utf8" });
        expect(r.status, r.stderr).to.equal(0);
        expect(r.stdout).to.match(/^Error: thrown on line 9 with no config\n\s+at (Object\.)?fail \(.*fixtures\/throws\.ts:9:\d+\)/);
    });
});
