/**
 * Safe hands: what slotshift does with bad inputs, symlinks, read-only places,
 * concurrent edits and signals. Every refusal is one line naming the file and
 * the problem, and leaves the files as they were, with no temporary or lock
 * file behind. Real temp directories, real child processes.
 */
import { expect } from "chai";
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ConflictError, lockPathOf, withStackLock } from "../cli/lock";
import { configEdit, editText, FileWriter, writeAtomically } from "../cli/stackEdit";
import { MAX_STACK_FILE_BYTES, UsageError, readStackConfig, readStackText, stackFilePath } from "../cli/stackFile";

const ROOT = path.resolve(__dirname, "..");
const FIXTURE = path.join(__dirname, "fixtures", "fileSafety", "edit.ts");
const IS_ROOT = process.getuid?.() === 0;
const NOBODY = 65534;

const tempDirs: string[] = [];

/** A project directory with the real Pulumi.yaml and Pulumi.prod.yaml. */
function project(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "slotshift-safety-"));
    tempDirs.push(dir);
    for (const f of ["Pulumi.yaml", "Pulumi.prod.yaml"]) {
        fs.copyFileSync(path.join(ROOT, f), path.join(dir, f));
    }
    return dir;
}

/** What a failed edit may not leave behind: temporary files, lock files, takeover guards. */
function leftovers(dir: string): string[] {
    return fs.readdirSync(dir).filter((f) => /slotshift/.test(f));
}

/** The synchronous error `fn` throws. */
function thrown(fn: () => unknown): Error {
    try {
        fn();
    } catch (e) {
        return e as Error;
    }
    throw new Error("expected it to throw");
}

async function rejected(p: Promise<unknown>): Promise<Error> {
    try {
        await p;
    } catch (e) {
        return e as Error;
    }
    throw new Error("expected it to reject");
}

function errnoError(code: string, message: string): NodeJS.ErrnoException {
    return Object.assign(new Error(`${code}: ${message}`), { code });
}

const PROD = () => fs.readFileSync(path.join(ROOT, "Pulumi.prod.yaml"), "utf8");

/** The real prod file with a change to its text. */
function prodWith(change: (text: string) => string): (dir: string) => void {
    return (dir) => fs.writeFileSync(path.join(dir, "Pulumi.prod.yaml"), change(PROD()));
}

const billionLaughs = (): string => {
    const names = "abcdefghij";
    let y = 'a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n';
    for (let i = 1; i < names.length; i++) {
        y += `${names[i]}: &${names[i]} [${Array(9).fill(`*${names[i - 1]}`).join(", ")}]\n`;
    }
    return y;
};

/** A comment of the real prod file with a byte that is not UTF-8 in it, on line 5. */
function invalidUtf8(dir: string, name = "Pulumi.prod.yaml"): void {
    const lines = fs.readFileSync(path.join(ROOT, name), "utf8").split("\n");
    const before = Buffer.from(`${lines.slice(0, 4).join("\n")}\n# caf`);
    const after = Buffer.from(`\n${lines.slice(4).join("\n")}`);
    fs.writeFileSync(path.join(dir, name), Buffer.concat([before, Buffer.from([0xe9]), after]));
}

/** One bad input, what reads (or edits) it, and the one line expected. */
interface BadInput {
    readonly what: string;
    readonly setup: (dir: string) => void;
    readonly act: (dir: string) => unknown;
    readonly message: RegExp;
}

const readProd = (dir: string) => readStackConfig(dir, "prod");
const editWeight = (dir: string) => {
    const file = stackFilePath(dir, "prod");
    const text = readStackText(file);
    writeAtomically(file, editText(text, [configEdit("slotshift:rollout.weight", 5)], file), { expected: text });
};

const BAD_INPUTS: readonly BadInput[] = [
    {
        what: "a directory named like the stack file (EISDIR)",
        setup: (dir) => {
            fs.rmSync(path.join(dir, "Pulumi.prod.yaml"));
            fs.mkdirSync(path.join(dir, "Pulumi.prod.yaml"));
        },
        act: (dir) => stackFilePath(dir, "prod"),
        message: /^cannot read Pulumi\.prod\.yaml: .*Pulumi\.prod\.yaml is a directory, not a file \(EISDIR\)$/,
    },
    {
        what: "a directory named Pulumi.yaml",
        setup: (dir) => {
            fs.rmSync(path.join(dir, "Pulumi.yaml"));
            fs.mkdirSync(path.join(dir, "Pulumi.yaml"));
        },
        act: readProd,
        message: /^cannot read Pulumi\.yaml: .* is a directory, not a file \(EISDIR\)$/,
    },
    {
        what: "a byte that is not UTF-8 in a comment",
        setup: (dir) => invalidUtf8(dir),
        act: editWeight,
        message: /^Pulumi\.prod\.yaml:5: not valid UTF-8 \(byte 0xe9 at byte 6 of the line\); .*save the file as UTF-8$/,
    },
    {
        what: "a byte that is not UTF-8 in Pulumi.yaml",
        setup: (dir) => invalidUtf8(dir, "Pulumi.yaml"),
        act: readProd,
        message: /^Pulumi\.yaml:5: not valid UTF-8 \(byte 0xe9/,
    },
    {
        what: "an alias bomb (billion laughs)",
        setup: prodWith((t) => `${billionLaughs()}${t}`),
        act: readProd,
        message: /^Pulumi\.prod\.yaml: its YAML aliases expand to more than 100 copies \(an alias bomb\?\); write the values out instead$/,
    },
    {
        what: "an alias bomb, when editing",
        setup: prodWith((t) => `${billionLaughs()}${t}`),
        act: (dir) => editText(fs.readFileSync(path.join(dir, "Pulumi.prod.yaml"), "utf8"), [configEdit("slotshift:rollout.weight", 5)], "Pulumi.prod.yaml"),
        message: /^Pulumi\.prod\.yaml: its YAML aliases expand to more than 100 copies/,
    },
    {
        what: "10,000 nested flow lists",
        setup: prodWith((t) => `${t}\nx: ${"[".repeat(10_000)}${"]".repeat(10_000)}\n`),
        act: readProd,
        message: /^Pulumi\.prod\.yaml: nested too deeply to read \(more than 64 levels of mappings and lists\)$/,
    },
    {
        what: "100 nested block mappings (the parser copes, slotshift does not go on)",
        setup: prodWith((t) => `${t}\n${Array.from({ length: 100 }, (_, i) => `${" ".repeat(i)}k${i}:`).join("\n")} 1\n`),
        act: editWeight,
        message: /^Pulumi\.prod\.yaml: nested too deeply to read/,
    },
    {
        what: "a file larger than 1 MiB",
        setup: prodWith((t) => `${t}${`# ${"x".repeat(1000)}\n`.repeat(1100)}`),
        act: readProd,
        message: new RegExp(`^cannot read Pulumi\\.prod\\.yaml: it is \\d+ bytes, more than the ${MAX_STACK_FILE_BYTES} \\(1 MiB\\) a stack file may have$`),
    },
    {
        what: "a YAML syntax error (as before)",
        setup: prodWith((t) => t.replace("    weight: 0", "    weight: [0")),
        act: readProd,
        message: /^Pulumi\.prod\.yaml:\d+:\d+: YAML syntax error: /,
    },
    {
        what: "a dangling symlink",
        setup: (dir) => {
            fs.rmSync(path.join(dir, "Pulumi.prod.yaml"));
            fs.symlinkSync("elsewhere/prod.yaml", path.join(dir, "Pulumi.prod.yaml"));
        },
        act: (dir) => stackFilePath(dir, "prod"),
        message: /^Pulumi\.prod\.yaml in .* is a symlink to elsewhere\/prod\.yaml, which does not exist$/,
    },
    {
        what: "the edited value is an alias (weight: *w)",
        setup: prodWith((t) => `x-defaults: { zero: &w 0 }\n${t.replace("    weight: 0", "    weight: *w")}`),
        act: editWeight,
        message:
            /^cannot edit slotshift:rollout\.weight in Pulumi\.prod\.yaml: slotshift:rollout\.weight is a YAML alias \(\*w\) of a value elsewhere in the file, and editing it would change every use of &w; nothing written: /,
    },
    {
        what: "a whole map on the path is an alias (slotshift:rollout: *r)",
        setup: prodWith((t) => {
            const rollout = "x-rollout: &r { strategy: canary, steps: [5, 25, 50, 100], live: blue, weight: 0 }\n";
            return `${rollout}${t.replace(/  slotshift:rollout:\n(    .*\n|    #.*\n)+/, "  slotshift:rollout: *r\n")}`;
        }),
        act: editWeight,
        message: /^cannot edit slotshift:rollout\.weight in Pulumi\.prod\.yaml: slotshift:rollout is a YAML alias \(\*r\) of a value elsewhere/,
    },
    {
        what: "the edited value carries an anchor used elsewhere (weight: &w 0)",
        setup: prodWith((t) => `${t.replace("    weight: 0", "    weight: &w 0")}x-copy: *w\n`),
        act: editWeight,
        message: /^cannot edit slotshift:rollout\.weight in Pulumi\.prod\.yaml: slotshift:rollout\.weight carries the YAML anchor &w that an alias \(\*w\) elsewhere uses/,
    },
];

if (spawnSync("mkfifo", ["--help"]).status === 0) {
    (BAD_INPUTS as BadInput[]).push({
        what: "a named pipe in place of the stack file (reading it would block)",
        setup: (dir) => {
            fs.rmSync(path.join(dir, "Pulumi.prod.yaml"));
            spawnSync("mkfifo", [path.join(dir, "Pulumi.prod.yaml")]);
        },
        act: readProd,
        message: /^cannot read Pulumi\.prod\.yaml: .* is not a regular file \(a device, pipe or socket\)$/,
    });
}

/** A snapshot of a directory's files (bytes), to show nothing changed. */
function snapshot(dir: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const f of fs.readdirSync(dir)) {
        const st = fs.lstatSync(path.join(dir, f));
        out[f] = st.isFile() ? fs.readFileSync(path.join(dir, f)).toString("base64") : st.isSymbolicLink() ? `-> ${fs.readlinkSync(path.join(dir, f))}` : "(other)";
    }
    return out;
}

// --- child processes -----------------------------------------------------------------------------

let bundleDir = "";
let fixtureJs = "";

interface Exit {
    readonly code: number | null;
    readonly signal: NodeJS.Signals | null;
    readonly stdout: string;
    readonly stderr: string;
}

/** Waits for a child to end; a child still running after `limitMs` is killed (a safety net, never an assertion). */
function ended(child: ChildProcess, limitMs = 30_000): Promise<Exit> {
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
    return new Promise((resolve) => {
        const timer = setTimeout(() => child.kill("SIGKILL"), limitMs);
        child.on("exit", (code, signal) => {
            clearTimeout(timer);
            // Let the pipes drain.
            setImmediate(() => resolve({ code, signal, stdout, stderr }));
        });
    });
}

/** Starts the edit fixture (bundled once: a real process of the same sources, without ts-node's start-up). */
function fixture(mode: string, file: string, env: Record<string, string> = {}, markers?: string): ChildProcess {
    return spawn(process.execPath, [fixtureJs, mode, file, ...(markers ? [markers] : [])], {
        env: { ...process.env, ...env },
        stdio: ["ignore", "pipe", "pipe"],
    });
}

/** Waits (bounded) until a file exists. */
async function appears(file: string, child: ChildProcess): Promise<void> {
    for (let i = 0; i < 1500 && !fs.existsSync(file); i++) {
        if (child.exitCode !== null || child.signalCode !== null) {
            throw new Error(`the child ended before ${path.basename(file)} appeared`);
        }
        await new Promise((r) => setTimeout(r, 20));
    }
    expect(fs.existsSync(file), `${file} appeared`).to.equal(true);
}

/** The slotshift command as a user runs it (bin/slotshift.js, through ts-node), in a directory. */
function slotshift(dir: string, args: readonly string[], asUser?: number): Promise<Exit> {
    return ended(
        spawn(process.execPath, [path.join(ROOT, "bin", "slotshift.js"), ...args], {
            cwd: dir,
            env: { ...process.env, TS_NODE_PROJECT: path.join(ROOT, "tsconfig.json") },
            stdio: ["ignore", "pipe", "pipe"],
            ...(asUser === undefined ? {} : { uid: asUser, gid: asUser }),
        }),
        90_000,
    );
}

function counter(file: string): number | undefined {
    const m = /fileSafety:counter: (\d+)/.exec(fs.readFileSync(file, "utf8"));
    return m ? Number(m[1]) : undefined;
}

describe("file safety: bad inputs, symlinks, locks and signals", function () {
    before(async function () {
        this.timeout(60_000);
        bundleDir = fs.mkdtempSync(path.join(os.tmpdir(), "slotshift-safety-bundle-"));
        fixtureJs = path.join(bundleDir, "edit.js");
        const esbuild = (await import("esbuild")) as typeof import("esbuild");
        esbuild.buildSync({ entryPoints: [FIXTURE], bundle: true, platform: "node", target: "node20", outfile: fixtureJs, logLevel: "error" });
    });

    after(() => {
        for (const d of [...tempDirs, bundleDir]) {
            fs.rmSync(d, { recursive: true, force: true });
        }
    });

    describe("a bad input is one line naming the file, and nothing is written", () => {
        for (const c of BAD_INPUTS) {
            it(c.what, () => {
                const dir = project();
                c.setup(dir);
                const before = snapshot(dir);
                const e = thrown(() => c.act(dir));
                expect(e, String(e?.stack)).to.be.instanceOf(UsageError);
                expect(e.message).not.to.include("\n");
                expect(e.message).to.match(c.message);
                expect(snapshot(dir)).to.deep.equal(before);
                expect(leftovers(dir)).to.deep.equal([]);
            });
        }

        it("an anchor no alias uses, and an alias off the edited path, do not stop an edit", () => {
            const text = `x-defaults: { zero: &z 0 }\n${PROD().replace("    weight: 0", "    weight: &w 0").replace("    force: false", "    force: false\n    y: *z")}`;
            const out = editText(text, [configEdit("slotshift:rollout.weight", 5)], "Pulumi.prod.yaml");
            expect(out).to.equal(text.replace("weight: &w 0", "weight: &w 5"));
        });
    });

    describe("a write the file system refuses is one line, and leaves nothing behind", () => {
        const failing = (code: string, at: "write" | "rename"): FileWriter => ({
            writeFileSync: (f, data) => {
                if (at === "write") {
                    throw errnoError(code, `open '${f}'`);
                }
                fs.writeFileSync(f, data);
            },
            renameSync: (from, to) => {
                if (at === "rename") {
                    throw errnoError(code, `rename '${from}' -> '${to}'`);
                }
                fs.renameSync(from, to);
            },
            rmSync: fs.rmSync,
        });
        const cases: { code: string; at: "write" | "rename"; message: RegExp }[] = [
            { code: "EACCES", at: "write", message: /^cannot write Pulumi\.prod\.yaml: the directory .* is not writable \(EACCES\); nothing written: / },
            { code: "EROFS", at: "rename", message: /^cannot write Pulumi\.prod\.yaml: .* is on a read-only file system \(EROFS\); nothing written$/ },
            { code: "ENOSPC", at: "write", message: /^cannot write Pulumi\.prod\.yaml: no space left for it in .* \(ENOSPC\); nothing written$/ },
            { code: "EIO", at: "rename", message: /^cannot write Pulumi\.prod\.yaml: EIO: rename .*; nothing written$/ },
        ];
        for (const c of cases) {
            it(`${c.code} at the ${c.at}`, () => {
                const dir = project();
                const file = path.join(dir, "Pulumi.prod.yaml");
                const before = snapshot(dir);
                const e = thrown(() => writeAtomically(file, "config: {}\n", { io: failing(c.code, c.at), expected: PROD() }));
                expect(e).to.be.instanceOf(UsageError);
                expect(e.message).to.match(c.message);
                expect(snapshot(dir)).to.deep.equal(before);
                expect(leftovers(dir)).to.deep.equal([]);
            });
        }

        it("a directory that is not writable (for real: as nobody when the tests run as root)", async function () {
            const dir = project();
            const file = path.join(dir, "Pulumi.prod.yaml");
            const before = snapshot(dir);
            if (!IS_ROOT) {
                fs.chmodSync(dir, 0o555);
                try {
                    const e = thrown(() => writeAtomically(file, "config: {}\n", { expected: PROD() }));
                    expect(e).to.be.instanceOf(UsageError);
                    expect(e.message).to.match(/^cannot write Pulumi\.prod\.yaml: the directory .* is not writable \(EACCES\); nothing written/);
                } finally {
                    fs.chmodSync(dir, 0o755);
                }
            } else {
                const canRun = spawnSync(process.execPath, ["-e", `require("fs").accessSync(${JSON.stringify(path.join(ROOT, "node_modules", "ts-node", "package.json"))})`], {
                    uid: NOBODY,
                    gid: NOBODY,
                });
                if (canRun.status !== 0) {
                    this.skip();
                }
                for (const f of fs.readdirSync(dir)) {
                    fs.chownSync(path.join(dir, f), NOBODY, NOBODY);
                }
                fs.chownSync(dir, NOBODY, NOBODY);
                fs.chmodSync(dir, 0o555);
                const r = await slotshift(dir, ["next", "--stack", "prod"], NOBODY);
                fs.chmodSync(dir, 0o755);
                expect(r.code, r.stderr).to.equal(2);
                expect(r.stderr).to.match(new RegExp(`^slotshift: cannot write Pulumi\\.prod\\.yaml: the directory ${dir} is not writable \\(EACCES\\); nothing written[^\\n]*\\n$`));
            }
            expect(snapshot(dir)).to.deep.equal(before);
            expect(leftovers(dir)).to.deep.equal([]);
        });

        it("a stack file that is a directory, or a file read leniently with U+FFFD in place of its bytes, is not replaced", () => {
            const dir = project();
            const file = path.join(dir, "Pulumi.prod.yaml");
            invalidUtf8(dir);
            const lossy = fs.readFileSync(file, "utf8");
            const before = snapshot(dir);
            for (const options of [{ expected: lossy }, {}]) {
                const e = thrown(() => writeAtomically(file, editText(lossy, [configEdit("slotshift:rollout.weight", 5)]), options));
                expect(e).to.be.instanceOf(UsageError);
                expect(e.message).to.match(/^Pulumi\.prod\.yaml:5: not valid UTF-8/);
            }
            expect(snapshot(dir)).to.deep.equal(before);
            const sub = path.join(dir, "Pulumi.dev.yaml");
            fs.mkdirSync(sub);
            expect(thrown(() => writeAtomically(sub, "config: {}\n")).message).to.match(/^cannot write Pulumi\.dev\.yaml: .* is a directory, not a file \(EISDIR\); nothing written$/);
            expect(leftovers(dir)).to.deep.equal([]);
        });
    });

    describe("symlinks: the link stays, its target is written, with its mode and owner", () => {
        function linked(): { dir: string; shared: string; target: string; link: string } {
            const dir = project();
            const shared = path.join(dir, "shared");
            fs.mkdirSync(shared);
            const target = path.join(shared, "prod.yaml");
            fs.renameSync(path.join(dir, "Pulumi.prod.yaml"), target);
            fs.chmodSync(target, 0o640);
            const link = path.join(dir, "Pulumi.prod.yaml");
            fs.symlinkSync(path.join("shared", "prod.yaml"), link);
            return { dir, shared, target, link };
        }

        it("an edit through a relative symlink writes the target beside it, keeps the link and the mode", async () => {
            const { dir, shared, target, link } = linked();
            const file = stackFilePath(dir, "prod");
            const text = readStackText(file);
            await withStackLock(file, () => {
                expect(fs.existsSync(path.join(shared, ".prod.yaml.slotshift.lock")), "the lock beside the target").to.equal(true);
                writeAtomically(file, editText(text, [configEdit("slotshift:rollout.weight", 5)], file), { expected: text });
            });
            expect(fs.lstatSync(link).isSymbolicLink()).to.equal(true);
            expect(fs.readlinkSync(link)).to.equal(path.join("shared", "prod.yaml"));
            expect(fs.readFileSync(target, "utf8")).to.equal(PROD().replace("    weight: 0", "    weight: 5"));
            expect(fs.statSync(target).mode & 0o777).to.equal(0o640);
            expect(readStackConfig(dir, "prod").config["slotshift:rollout"]).to.include('"weight":5');
            expect(leftovers(dir)).to.deep.equal([]);
            expect(leftovers(shared)).to.deep.equal([]);
        });

        it("a chain of symlinks, and a mode the umask would change (0666)", () => {
            const { dir, target } = linked();
            fs.chmodSync(target, 0o666);
            fs.renameSync(path.join(dir, "Pulumi.prod.yaml"), path.join(dir, "middle.yaml"));
            fs.symlinkSync("middle.yaml", path.join(dir, "Pulumi.prod.yaml"));
            writeAtomically(path.join(dir, "Pulumi.prod.yaml"), "config: {}\n");
            expect(fs.lstatSync(path.join(dir, "middle.yaml")).isSymbolicLink()).to.equal(true);
            expect(fs.readFileSync(target, "utf8")).to.equal("config: {}\n");
            expect(fs.statSync(target).mode & 0o777).to.equal(0o666);
        });

        it("the owner of the file stays (when running as root)", function () {
            if (!IS_ROOT) {
                this.skip();
            }
            const { link, target } = linked();
            fs.chownSync(target, NOBODY, NOBODY);
            writeAtomically(link, "config: {}\n");
            const st = fs.statSync(target);
            expect([st.uid, st.gid]).to.deep.equal([NOBODY, NOBODY]);
        });
    });

    describe("the lock", () => {
        it("is a file beside the stack file holding the pid, removed when the edit ends or throws", async () => {
            const dir = project();
            const file = path.join(dir, "Pulumi.prod.yaml");
            const lock = path.join(dir, ".Pulumi.prod.yaml.slotshift.lock");
            expect(lockPathOf(file)).to.equal(path.join(fs.realpathSync(dir), ".Pulumi.prod.yaml.slotshift.lock"));
            const held = await withStackLock(file, () => JSON.parse(fs.readFileSync(lock, "utf8")) as { pid: number; since: string });
            expect(held.pid).to.equal(process.pid);
            expect(Date.parse(held.since)).not.to.be.NaN;
            expect(fs.existsSync(lock)).to.equal(false);
            const e = await rejected(withStackLock(file, () => Promise.reject(new Error("boom"))));
            expect(e.message).to.equal("boom");
            expect(leftovers(dir)).to.deep.equal([]);
        });

        it("nests, and a compare-and-swap write inside it does not wait for it", async () => {
            const dir = project();
            const file = path.join(dir, "Pulumi.prod.yaml");
            const text = PROD();
            const out = await withStackLock(file, () => withStackLock(file, () => {
                writeAtomically(file, editText(text, [configEdit("slotshift:rollout.weight", 5)]), { expected: text, lock: { waitMs: 0 } });
                return "done";
            }));
            expect(out).to.equal("done");
            expect(fs.readFileSync(file, "utf8")).to.include("weight: 5");
            expect(leftovers(dir)).to.deep.equal([]);
        });

        it("serialises two edits of one process", async () => {
            const dir = project();
            const file = path.join(dir, "Pulumi.prod.yaml");
            const inc = () =>
                withStackLock(file, async () => {
                    const text = readStackText(file);
                    const n = (counter(file) ?? 0) + 1;
                    await new Promise((r) => setTimeout(r, 30));
                    writeAtomically(file, editText(text, [configEdit("fileSafety:counter", n)]), { expected: text });
                });
            await Promise.all([inc(), inc(), inc()]);
            expect(counter(file)).to.equal(3);
        });

        it("held by another live process: waits a bounded time, then a ConflictError naming its pid and the lock file", async () => {
            const dir = project();
            const file = path.join(dir, "Pulumi.prod.yaml");
            const holder = fixture("hold", file, {}, dir);
            const done = ended(holder);
            await appears(path.join(dir, "ready"), holder);
            const e = await rejected(withStackLock(file, () => "never", { waitMs: 200, pollMs: 20 }));
            expect(e).to.be.instanceOf(ConflictError);
            expect((e as ConflictError).reason).to.equal("locked");
            expect((e as ConflictError).holder).to.equal(holder.pid);
            const lock = lockPathOf(file);
            expect(e.message).to.equal(
                `another slotshift edit (pid ${holder.pid}) holds ${lock}; nothing written to Pulumi.prod.yaml: run the command again when it is done (remove the lock file only if no slotshift runs)`,
            );
            // The compare-and-swap of a write outside the lock waits for it too.
            const w = thrown(() => writeAtomically(file, "config: {}\n", { expected: PROD(), lock: { waitMs: 100, pollMs: 20 } }));
            expect(w).to.be.instanceOf(ConflictError);
            expect(w.message).to.match(new RegExp(`^another slotshift edit \\(pid ${holder.pid}\\) holds `));
            fs.writeFileSync(path.join(dir, "go"), "");
            const r = await done;
            expect(r.stdout, r.stderr).to.equal("written 1\n");
            expect(counter(file)).to.equal(1);
            expect(leftovers(dir)).to.deep.equal([]);
        });

        it("left by a process that is gone (or by a dead process with this pid, or half written long ago) is taken over", async () => {
            const dir = project();
            const file = path.join(dir, "Pulumi.prod.yaml");
            const lock = lockPathOf(file);
            const gone = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
            const host = os.hostname();
            const stale = [
                JSON.stringify({ pid: Number(gone.stdout), host, since: new Date().toISOString(), nonce: "dead" }),
                JSON.stringify({ pid: process.pid, host, since: new Date().toISOString(), nonce: "not-ours" }),
                "",
            ];
            for (const content of stale) {
                fs.writeFileSync(lock, content);
                if (content === "") {
                    const old = new Date(Date.now() - 60_000);
                    fs.utimesSync(lock, old, old);
                }
                expect(await withStackLock(file, () => JSON.parse(fs.readFileSync(lock, "utf8")).pid as number, { waitMs: 500 })).to.equal(process.pid);
                expect(leftovers(dir)).to.deep.equal([]);
            }
        });

        it("an unreadable lock file written just now counts as held", async () => {
            const dir = project();
            const file = path.join(dir, "Pulumi.prod.yaml");
            fs.writeFileSync(lockPathOf(file), "");
            const e = await rejected(withStackLock(file, () => "never", { waitMs: 100, pollMs: 20 }));
            expect(e).to.be.instanceOf(ConflictError);
            expect(e.message).to.match(/^another slotshift edit holds .*\.Pulumi\.prod\.yaml\.slotshift\.lock; nothing written to Pulumi\.prod\.yaml/);
        });
    });

    describe("compare-and-swap: an edit never overwrites a change it did not read", () => {
        it("an editor changed the file after it was read: ConflictError, the editor's text stays", () => {
            const dir = project();
            const file = path.join(dir, "Pulumi.prod.yaml");
            const text = readStackText(file);
            const edited = editText(text, [configEdit("slotshift:rollout.weight", 5)], file);
            const editor = text.replace("# Pods per active slot.", "# Pods per active slot (edited).");
            fs.writeFileSync(file, editor);
            const e = thrown(() => writeAtomically(file, edited, { expected: text }));
            expect(e).to.be.instanceOf(ConflictError);
            expect((e as ConflictError).reason).to.equal("changed");
            expect(e.message).to.equal("Pulumi.prod.yaml changed since it was read (by another edit or an editor); nothing written: run the command again");
            expect(fs.readFileSync(file, "utf8")).to.equal(editor);
            fs.rmSync(file);
            expect(thrown(() => writeAtomically(file, edited, { expected: text })).message).to.match(/changed since it was read .*: it is gone; nothing written/);
            expect(fs.existsSync(file)).to.equal(false);
            expect(leftovers(dir)).to.deep.equal([]);
        });

        it("unchanged: written", () => {
            const dir = project();
            const file = path.join(dir, "Pulumi.prod.yaml");
            const text = readStackText(file);
            writeAtomically(file, editText(text, [configEdit("slotshift:rollout.weight", 5)], file), { expected: text });
            expect(readStackText(file)).to.equal(text.replace("weight: 0", "weight: 5"));
        });
    });

    describe("edits keep every other byte", () => {
        const base = "config:\n  slotshift:rollout:\n    # the share\n    weight: 5 # five\n    force: false\n";
        const cases: { what: string; text: string; edits: ReturnType<typeof configEdit>[]; out: string }[] = [
            { what: "an inline comment after the value", text: base, edits: [configEdit("slotshift:rollout.weight", 25)], out: base.replace("weight: 5 # five", "weight: 25 # five") },
            {
                what: "CRLF, an inline comment and the comment above",
                text: base.replace(/\n/g, "\r\n"),
                edits: [configEdit("slotshift:rollout.weight", 25), configEdit("slotshift:rollout.force", true)],
                out: base.replace("weight: 5 # five", "weight: 25 # five").replace("force: false", "force: true").replace(/\n/g, "\r\n"),
            },
            {
                what: "no newline at the end, a value set there",
                text: base.trimEnd(),
                edits: [configEdit("slotshift:rollout.force", true)],
                out: base.trimEnd().replace("force: false", "force: true"),
            },
            {
                what: "no newline at the end, a key added there",
                text: base.trimEnd(),
                edits: [configEdit("slotshift:rollout.live", "green")],
                out: `${base.trimEnd()}\n    live: green`,
            },
            {
                what: "CRLF and no final newline, a key added",
                text: base.replace(/\n/g, "\r\n").trimEnd(),
                edits: [configEdit("slotshift:rollout.live", "green")],
                out: `${base.replace(/\n/g, "\r\n").trimEnd()}\r\n    live: green`,
            },
            {
                what: "a comment between the keys and one after the value being set, in flow style",
                text: "config:\n  slotshift:rollout: { weight: 5, force: false } # the rollout\n  # the end\n",
                edits: [configEdit("slotshift:rollout.weight", 50)],
                out: "config:\n  slotshift:rollout: { weight: 50, force: false } # the rollout\n  # the end\n",
            },
            {
                what: "a byte order mark",
                text: `\uFEFF${base}`,
                edits: [configEdit("slotshift:rollout.weight", 25)],
                out: `\uFEFF${base.replace("weight: 5 # five", "weight: 25 # five")}`,
            },
        ];
        for (const c of cases) {
            it(c.what, () => {
                expect(editText(c.text, c.edits, "Pulumi.prod.yaml")).to.equal(c.out);
            });
        }

        it("and so does the write: what was edited is what is on disk, byte for byte", () => {
            const dir = project();
            const file = path.join(dir, "Pulumi.prod.yaml");
            const crlf = `${PROD().replace(/\n/g, "\r\n").trimEnd()}  # the end, no newline`;
            fs.writeFileSync(file, crlf);
            const text = readStackText(file);
            expect(text).to.equal(crlf);
            const out = editText(text, [configEdit("slotshift:rollout.weight", 5)], file);
            writeAtomically(file, out, { expected: text });
            expect(fs.readFileSync(file, "utf8")).to.equal(crlf.replace("weight: 0", "weight: 5"));
        });
    });

    describe("real processes", () => {
        it("8 concurrent edits holding the lock: none is lost", async () => {
            const dir = project();
            const file = path.join(dir, "Pulumi.prod.yaml");
            const runs = await Promise.all(Array.from({ length: 8 }, () => ended(fixture("lock", file, { FILESAFETY_DELAY_MS: "30" }))));
            for (const r of runs) {
                expect(r.code, r.stderr).to.equal(0);
            }
            expect(runs.map((r) => r.stdout).sort((a, b) => parseInt(a.slice(8)) - parseInt(b.slice(8)))).to.deep.equal(Array.from({ length: 8 }, (_, i) => `written ${i + 1}\n`));
            expect(counter(file)).to.equal(8);
            expect(fs.readFileSync(file, "utf8")).to.equal(editText(PROD(), [configEdit("fileSafety:counter", 8)]));
            expect(leftovers(dir)).to.deep.equal([]);
        });

        it("6 concurrent edits with only the compare-and-swap: each is written or gets a ConflictError, never lost", async () => {
            const dir = project();
            const file = path.join(dir, "Pulumi.prod.yaml");
            const runs = await Promise.all(Array.from({ length: 6 }, () => ended(fixture("cas", file, { FILESAFETY_DELAY_MS: "30" }))));
            const written = runs.filter((r) => r.code === 0);
            const conflicts = runs.filter((r) => r.code === 8);
            expect(written.length + conflicts.length, runs.map((r) => r.stderr).join("")).to.equal(6);
            expect(written.length).to.be.greaterThan(0);
            for (const r of conflicts) {
                expect(r.stderr).to.match(/^ConflictError: (Pulumi\.prod\.yaml changed since it was read \(by another edit or an editor\); nothing written: run the command again|another slotshift edit \(pid \d+\) holds .*; nothing written to Pulumi\.prod\.yaml: [^\n]*)\n$/);
            }
            expect(counter(file), "every edit written is in the file").to.equal(written.length);
            expect(new Set(written.map((r) => r.stdout)).size, "no two wrote the same value").to.equal(written.length);
            expect(leftovers(dir)).to.deep.equal([]);
        });

        for (const signal of ["SIGTERM", "SIGINT"] as const) {
            it(`${signal} while holding the lock (an edit waiting): the lock is removed, the file untouched`, async () => {
                const dir = project();
                const file = path.join(dir, "Pulumi.prod.yaml");
                const child = fixture("hold", file, {}, dir);
                const done = ended(child);
                await appears(path.join(dir, "ready"), child);
                expect(fs.existsSync(lockPathOf(file))).to.equal(true);
                child.kill(signal);
                const r = await done;
                expect(r.signal, r.stderr).to.equal(signal);
                expect(fs.readFileSync(file, "utf8")).to.equal(PROD());
                expect(leftovers(dir)).to.deep.equal([]);
            });
        }

        // A signal that arrives during the (synchronous) write is handled after it: the write completes, and the
        // process then ends of the signal, or exits as it would have when nothing was left to do.
        it("SIGTERM between the temporary file and the rename: the write finishes whole, then the process ends; nothing left", async () => {
            const dir = project();
            const file = path.join(dir, "Pulumi.prod.yaml");
            const child = fixture("pause", file, {}, dir);
            const done = ended(child);
            await appears(path.join(dir, "ready"), child);
            expect(leftovers(dir).some((f) => f.endsWith(".tmp")), "a temporary file while paused").to.equal(true);
            child.kill("SIGTERM");
            fs.writeFileSync(path.join(dir, "go"), "");
            const r = await done;
            expect(r.signal === "SIGTERM" || (r.code === 0 && r.stdout === "written 1\n"), `${r.code} ${r.signal} ${r.stdout} ${r.stderr}`).to.equal(true);
            expect([PROD(), editText(PROD(), [configEdit("fileSafety:counter", 1)])]).to.include(fs.readFileSync(file, "utf8"));
            expect(leftovers(dir)).to.deep.equal([]);
        });

        it("SIGKILL between the temporary file and the rename: the next edit removes the temporary file and takes the lock over", async () => {
            const dir = project();
            const file = path.join(dir, "Pulumi.prod.yaml");
            const child = fixture("pause", file, {}, dir);
            const done = ended(child);
            await appears(path.join(dir, "ready"), child);
            child.kill("SIGKILL");
            expect((await done).signal).to.equal("SIGKILL");
            expect(fs.readFileSync(file, "utf8")).to.equal(PROD());
            expect(leftovers(dir).length, "SIGKILL cannot be handled: a lock and a temporary file remain").to.equal(2);
            const next = await ended(fixture("lock", file));
            expect(next.stdout, next.stderr).to.equal("written 1\n");
            expect(leftovers(dir)).to.deep.equal([]);
        });
    });

    describe("the slotshift command (bin/slotshift.js): one line on stderr, exit 2, nothing written", function () {
        const cases: { what: string; setup: (dir: string) => void; stderr: RegExp }[] = [
            {
                what: "Pulumi.prod.yaml is a directory",
                setup: (dir) => {
                    fs.rmSync(path.join(dir, "Pulumi.prod.yaml"));
                    fs.mkdirSync(path.join(dir, "Pulumi.prod.yaml"));
                },
                stderr: /^slotshift: cannot read Pulumi\.prod\.yaml: .* is a directory, not a file \(EISDIR\)\n$/,
            },
            { what: "a byte that is not UTF-8", setup: (dir) => invalidUtf8(dir), stderr: /^slotshift: Pulumi\.prod\.yaml:5: not valid UTF-8 [^\n]*\n$/ },
            { what: "an alias bomb", setup: prodWith((t) => `${billionLaughs()}${t}`), stderr: /^slotshift: Pulumi\.prod\.yaml: its YAML aliases expand [^\n]*\n$/ },
            {
                what: "10,000 nested lists",
                setup: prodWith((t) => `${t}\nx: ${"[".repeat(10_000)}${"]".repeat(10_000)}\n`),
                stderr: /^slotshift: Pulumi\.prod\.yaml: nested too deeply to read [^\n]*\n$/,
            },
            {
                what: "the weight is an alias",
                setup: prodWith((t) => `x-defaults: { zero: &w 0 }\n${t.replace("    weight: 0", "    weight: *w")}`),
                stderr: /^slotshift: cannot edit slotshift:rollout\.weight in Pulumi\.prod\.yaml: slotshift:rollout\.weight is a YAML alias \(\*w\)[^\n]*\n$/,
            },
        ];
        const results = new Map<string, { dir: string; before: Record<string, string>; exit: Exit }>();
        let symlinked: { dir: string; exit: Exit } | undefined;

        before(async function () {
            this.timeout(180_000);
            const jobs = cases.map(async (c) => {
                const dir = project();
                c.setup(dir);
                const before = snapshot(dir);
                results.set(c.what, { dir, before, exit: await slotshift(dir, ["next", "--stack", "prod"]) });
            });
            jobs.push(
                (async () => {
                    const dir = project();
                    fs.mkdirSync(path.join(dir, "shared"));
                    fs.renameSync(path.join(dir, "Pulumi.prod.yaml"), path.join(dir, "shared", "prod.yaml"));
                    fs.symlinkSync(path.join("shared", "prod.yaml"), path.join(dir, "Pulumi.prod.yaml"));
                    symlinked = { dir, exit: await slotshift(dir, ["next", "--stack", "prod"]) };
                })(),
            );
            await Promise.all(jobs);
        });

        for (const c of cases) {
            it(c.what, () => {
                const r = results.get(c.what)!;
                expect(r.exit.code, r.exit.stderr).to.equal(2);
                expect(r.exit.stderr).to.match(c.stderr);
                expect(r.exit.stdout).to.equal("");
                expect(snapshot(r.dir)).to.deep.equal(r.before);
                expect(leftovers(r.dir)).to.deep.equal([]);
            });
        }

        it("a symlinked stack file: edited through the link, which stays a link", () => {
            const { dir, exit } = symlinked!;
            expect(exit.code, exit.stderr).to.equal(0);
            expect(exit.stdout).to.include("written: ");
            expect(fs.lstatSync(path.join(dir, "Pulumi.prod.yaml")).isSymbolicLink()).to.equal(true);
            expect(fs.readFileSync(path.join(dir, "shared", "prod.yaml"), "utf8")).to.equal(PROD().replace("    weight: 0", "    weight: 5"));
            expect(leftovers(dir)).to.deep.equal([]);
            expect(leftovers(path.join(dir, "shared"))).to.deep.equal([]);
        });
    });
});
