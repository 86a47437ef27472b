/**
 * Releases slotshift itself: moves CHANGELOG.md's Unreleased section under the
 * new version with today's date, sets package.json's version, commits and tags
 * `slotshift-vX.Y.Z`. (Tags `vX.Y.Z` are the app's release tags: they deploy prod.)
 *
 *   npm run release -- 0.2.0 [--date 2026-11-26] [--no-git]
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { Command, CommanderError } from "commander";
import * as semver from "semver";

/** The changelog with Unreleased moved under `version`; throws when there is nothing to release. */
export function releaseChangelog(text: string, version: string, date: string): string {
    const heading = /^## \[Unreleased\][^\n]*\n/m;
    const m = heading.exec(text);
    if (!m) {
        throw new Error("CHANGELOG.md has no '## [Unreleased]' section (Keep a Changelog form)");
    }
    const start = m.index + m[0].length;
    const next = text.slice(start).search(/^## \[/m);
    const body = next === -1 ? text.slice(start) : text.slice(start, start + next);
    if (body.trim() === "") {
        throw new Error("CHANGELOG.md: nothing under '## [Unreleased]' to release");
    }
    if (new RegExp(`^## \\[${version.replace(/\./g, "\\.")}\\]`, "m").test(text)) {
        throw new Error(`CHANGELOG.md already has a section for ${version}`);
    }
    return `${text.slice(0, start)}\n## [${version}] - ${date}\n${body.replace(/^\n+/, "\n")}${next === -1 ? "" : text.slice(start + next)}`;
}

/** package.json's text with its version set; every other byte kept. */
export function bumpPackage(text: string, version: string): string {
    const out = text.replace(/^(\s*"version":\s*")[^"]*(")/m, `$1${version}$2`);
    if (out === text && !text.includes(`"version": "${version}"`)) {
        throw new Error("package.json has no version field");
    }
    return out;
}

export function main(argv: readonly string[], root = path.resolve(__dirname, "..")): number {
    const program = new Command("release")
        .argument("<version>", "the new version of slotshift, X.Y.Z")
        .option("--date <date>", "the release date (YYYY-MM-DD)", new Date().toISOString().slice(0, 10))
        .option("--no-git", "edit the files only: no commit, no tag")
        .exitOverride();
    try {
        program.parse(argv, { from: "user" });
    } catch (e) {
        return e instanceof CommanderError ? (e.exitCode === 0 ? 0 : 2) : 2;
    }
    const [version] = program.args;
    const opts = program.opts<{ date: string; git: boolean }>();
    const pkgFile = path.join(root, "package.json");
    const logFile = path.join(root, "CHANGELOG.md");
    const pkgText = fs.readFileSync(pkgFile, "utf8");
    const current = (JSON.parse(pkgText) as { version: string }).version;
    if (!semver.valid(version) || semver.prerelease(version)) {
        process.stderr.write(`release: ${JSON.stringify(version)} is not a release version X.Y.Z\n`);
        return 2;
    }
    if (!semver.gt(version, current)) {
        process.stderr.write(`release: ${version} is not newer than the current ${current}\n`);
        return 1;
    }
    let log: string;
    try {
        log = releaseChangelog(fs.readFileSync(logFile, "utf8"), version, opts.date);
    } catch (e) {
        process.stderr.write(`release: ${(e as Error).message}\n`);
        return 1;
    }
    fs.writeFileSync(logFile, log);
    fs.writeFileSync(pkgFile, bumpPackage(pkgText, version));
    if (opts.git) {
        execFileSync("git", ["commit", "-m", `Release slotshift ${version}`, "--", "CHANGELOG.md", "package.json"], { cwd: root, stdio: "inherit" });
        execFileSync("git", ["tag", "-a", `slotshift-v${version}`, "-m", `slotshift ${version}`], { cwd: root, stdio: "inherit" });
        process.stdout.write(`released ${version}: push with  git push && git push origin slotshift-v${version}\n`);
    } else {
        process.stdout.write(`CHANGELOG.md and package.json now say ${version} (no commit, no tag)\n`);
    }
    return 0;
}

if (require.main === module) {
    process.exitCode = main(process.argv.slice(2));
}
