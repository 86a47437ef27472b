/**
 * The README's rules table, written from the rules themselves (rollout/rules/): `npm run docs:rules`
 * rewrites the part of README.md between `<!-- rules:start -->` and `<!-- rules:end -->`, and
 * test/rules.spec.ts fails when the two differ.
 */
import { readFileSync, writeFileSync } from "fs";
import { join } from "path";
import { RULES } from "../rollout/rules";

const cell = (text: string) => text.replace(/\|/g, "\\|");

/** The table, one row per rule in the order they are asked. */
export function rulesTable(): string {
    const rows = RULES.map((r) => `| ${cell(r.sentence)} | \`${r.id}\` | \`${cell(r.example)}\` |`);
    return ["| rule | id | refused, for example |", "|------|----|----------------------|", ...rows, ""].join("\n");
}

if (require.main === module) {
    const path = join(__dirname, "..", "README.md");
    const readme = readFileSync(path, "utf8");
    const start = readme.indexOf("<!-- rules:start");
    const end = readme.indexOf("<!-- rules:end -->");
    if (start < 0 || end < start) {
        console.error("README.md has no <!-- rules:start --> ... <!-- rules:end --> block");
        process.exit(1);
    }
    const head = readme.slice(0, readme.indexOf("\n", start) + 1);
    writeFileSync(path, `${head}${rulesTable()}${readme.slice(end)}`);
    console.log(`README.md: ${RULES.length} rules`);
}
