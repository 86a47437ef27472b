import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { QUIET_STAMPS, quietPromiseStamps } from "../runtime/stackTraces";
import { planStack, ROOT } from "./helpers";

type Stamped = Promise<unknown> & { _debugStackTrace?: string };
// The SDK's own stamp: what it puts on every promise it makes.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { debuggablePromise } = require("@pulumi/pulumi/runtime/debuggable") as { debuggablePromise: (p: unknown, ctx: string) => Promise<unknown> };
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
        // The source-map formatter ts-node installs, as Pulumi's host has it.
        formatter = Error.prepareStackTrace;
        leaks = process.env.PULUMI_DEBUG_PROMISE_LEAKS;
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

    it("keeps every frame of an error thrown inside the SDK's stamping function", () => {
        quietPromiseStamps();
        const notAPromise = {};
        let thrown: Error | undefined;
        try {
            void debuggablePromise(notAPromise, "not a promise");
        } catch (e) {
            thrown = e as Error;
        } finally {
            // The SDK counts it as a pending promise; left there, it would fail the process at exit.
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            (require("@pulumi/pulumi/runtime/state") as { getStore: () => { leakCandidates: Set<unknown> } }).getStore().leakCandidates.delete(notAPromise);
        }
        expect(thrown).to.be.instanceOf(TypeError);
        expect(thrown!.stack).to.match(/^TypeError: .*\n\s+at debuggablePromise \(.*debuggable\.[jt]s:\d+:\d+\)\n\s+at /);
    });

    it("wraps nothing in a runtime that has no formatter", () => {
        (Error as { prepareStackTrace?: unknown }).prepareStackTrace = undefined;
        quietPromiseStamps();
        expect(Error.prepareStackTrace).to.equal(undefined);
    });

    it("is installed by the program for its run, and gone when the offline run ends", async () => {
        // Counts the stamps that reach ts-node's formatter: the SDK makes dozens per resource.
        const stampsSeen = async (): Promise<number> => {
            let seen = 0;
            const render = Error.prepareStackTrace!;
            const spy = function (this: unknown, error: Error, frames: NodeJS.CallSite[]): unknown {
                seen += frames[0]?.getFunctionName() === "debuggablePromise" ? 1 : 0;
                return render.call(this, error, frames);
            };
            Error.prepareStackTrace = spy;
            try {
                const result = await planStack("prod", { stackTraces: true });
                expect(result.ok, result.error?.message).to.equal(true);
                expect(Error.prepareStackTrace, "the formatter the run found").to.equal(spy);
            } finally {
                Error.prepareStackTrace = render;
            }
            return seen;
        };
        const quiet = await stampsSeen();
        // With PULUMI_DEBUG_PROMISE_LEAKS the program leaves every stamp to the formatter.
        process.env.PULUMI_DEBUG_PROMISE_LEAKS = "true";
        const all = await stampsSeen();
        expect(all, "stamps of a whole prod plan").to.be.greaterThan(500);
        expect(quiet, "stamps made before the program installs its formatter").to.be.lessThan(all / 20);
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
