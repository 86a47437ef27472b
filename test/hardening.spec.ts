import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PlanResult } from "../cli/engine";
import { main as slotshift } from "../cli/main";
import { derivedNames, nameProblems } from "../rollout/names";
import { BAD_CONFIGS } from "./fixtures/badConfigs";
import { edited, planStack, ROOT, stackConfig, STACKS, withKey } from "./helpers";

describe("hardening", function () {
    this.timeout(300000);

    describe(`a corpus of ${BAD_CONFIGS.length} malformed stack configs`, () => {
        it("has at least 60 entries", () => {
            expect(BAD_CONFIGS.length).to.be.at.least(60);
        });

        for (const bad of BAD_CONFIGS) {
            const stack = bad.stack ?? "prod";
            it(`refuses ${bad.what} (${stack}) naming ${bad.key}, registering nothing`, async () => {
                const result = await planStack(stack, {
                    config: edited(stack, bad.edits),
                    secretKeys: bad.secretKeys ?? stackConfig(stack).secretKeys,
                });
                expect(result.ok, "refused").to.equal(false);
                expect(result.error?.key).to.equal(bad.key);
                expect(result.error?.message).to.contain(bad.key.split("[")[0]);
                expect(result.error?.message).to.match(bad.message);
                expect(result.resources).to.deep.equal([]);
                expect(result.outputs).to.deep.equal({});
            });
        }
    });

    describe("stack files that are not stack files", () => {
        const project = (text: string) => {
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "slotshift-bad-file-"));
            fs.copyFileSync(path.join(ROOT, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
            fs.writeFileSync(path.join(dir, "Pulumi.prod.yaml"), text);
            return dir;
        };
        const run = async (dir: string) => {
            let stderr = "";
            const cwd = process.cwd();
            process.chdir(dir);
            try {
                const code = await slotshift(["status", "--stack", "prod"], { write: () => true }, { write: (s: string) => (stderr += s) });
                return { code, stderr };
            } finally {
                process.chdir(cwd);
            }
        };
        const cases: [string, string, RegExp][] = [
            ["a list", "- config\n- slotshift:app\n", /Pulumi\.prod\.yaml is not a mapping/],
            ["a scalar", "just text\n", /Pulumi\.prod\.yaml is not a mapping/],
            ["config as a list", "config:\n  - slotshift:app\n", /'config' is not a mapping/],
            ["broken YAML", "config:\n  slotshift:app: { name: [\n", /Pulumi\.prod\.yaml:\d+:\d+: YAML syntax error/],
            ["a tab for indentation", "config:\n\tslotshift:app: {}\n", /Pulumi\.prod\.yaml:\d+:\d+: YAML syntax error/],
        ];
        for (const [what, text, message] of cases) {
            it(`refuses ${what}: exit 2 with the file named`, async () => {
                const r = await run(project(text));
                expect(r.code).to.equal(2);
                expect(r.stderr).to.match(message);
            });
        }
    });

    describe("names checked before the cloud sees them", () => {
        it("refuses an app and stack whose slots' public names pass 63 characters, naming the key and the name", async () => {
            const config = withKey(stackConfig("prod").config, "slotshift:app.name", `m${"a".repeat(39)}`);
            const result = await planStack("production-westeurope", { config });
            expect(result.ok).to.equal(false);
            expect(result.error?.key).to.equal("slotshift:app.name");
            expect(result.error?.message).to.contain(`"m${"a".repeat(39)}-production-westeurope-blue" (67 characters)`);
            expect(result.error?.message).to.contain("shorten slotshift:app.name (with the stack name \"production-westeurope\")");
            expect(result.resources).to.deep.equal([]);
        });

        it("refuses a stack name Kubernetes cannot hold in a name", async () => {
            const result = await planStack("Prod_EU", { config: stackConfig("prod").config });
            expect(result.ok).to.equal(false);
            expect(result.error?.message).to.match(/the Kubernetes namespace valid: it would be "nextgen-market-Prod_EU"/);
        });

        it("accepts the longest app name at the longest stack name that fits", () => {
            const app = `m${"a".repeat(39)}`;
            // <app>-<stack>-green is the longest: 40 + 1 + 16 + 6 = 63.
            expect(nameProblems({ app, stack: "prod-westeurope1" })).to.deep.equal([]);
            expect(nameProblems({ app, stack: "prod-westeurope12" })).to.have.length.greaterThan(0);
        });

        for (const stack of STACKS) {
            it(`gives every Kubernetes object and Azure resource of ${stack} a name its service accepts`, async () => {
                const result = await planStack(stack);
                const rules = derivedNames({ app: "nextgen-market", stack });
                const label = /^([A-Za-z0-9]([A-Za-z0-9_.-]*[A-Za-z0-9])?)?$/;
                let checked = 0;
                for (const r of result.resources) {
                    const meta = r.inputs.metadata as { name?: string; labels?: Record<string, string> } | undefined;
                    if (r.type.startsWith("kubernetes:") && meta) {
                        expect(meta.name, `${r.type} ${r.name}`).to.match(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/);
                        expect(meta.name!.length).to.be.at.most(63);
                        for (const [k, v] of Object.entries(meta.labels ?? {})) {
                            expect(v, `${r.name} label ${k}`).to.match(label);
                            expect(v.length).to.be.at.most(63);
                        }
                        checked++;
                    }
                    const spec = r.inputs.spec as { template?: { metadata?: { labels?: Record<string, string> } } } | undefined;
                    for (const v of Object.values(spec?.template?.metadata?.labels ?? {})) {
                        expect(v).to.match(label);
                    }
                    for (const k of ["profileName", "workspaceName", "endpointName", "resourceGroupName"] as const) {
                        const v = r.inputs[k];
                        if (typeof v === "string" && r.custom) {
                            expect(v, `${r.name} ${k}`).to.match(/^[A-Za-z0-9][A-Za-z0-9-]{0,61}[A-Za-z0-9]$/);
                        }
                    }
                    if (r.type === "azure-native:monitor:ActionGroup") {
                        expect((r.inputs.groupShortName as string).length).to.be.at.most(12);
                    }
                    const dns = (r.inputs.dnsConfig as { relativeName?: string } | undefined)?.relativeName;
                    if (dns) {
                        expect(dns).to.match(/^[a-z][a-z0-9-]{1,61}[a-z0-9]$/);
                    }
                }
                expect(checked).to.be.greaterThan(3);
                expect(rules.every((n) => n.pattern.test(n.name) && n.name.length <= n.max)).to.equal(true);
            });
        }
    });

    describe("secrets end to end", () => {
        const WEBHOOK = "https://hooks.example.com/T0/B0/zq8Lm3WebhookToken";
        const PASSWORD = "ghp_Registry0Token0Value9x";

        /** A stack's config with both secrets, held as Pulumi secrets. */
        const withSecrets = (stack: string) => {
            let config = withKey(stackConfig(stack).config, "slotshift:alerts.webhookUrl", WEBHOOK);
            config = withKey(config, "slotshift:app.registry", { username: "release-bot", password: PASSWORD });
            return { config, secretKeys: ["slotshift:alerts", "slotshift:app"] };
        };
        const leaks = (text: string) => [WEBHOOK, PASSWORD, "zq8Lm3WebhookToken", "Registry0Token0Value9x", Buffer.from(`release-bot:${PASSWORD}`).toString("base64")].filter((s) => text.includes(s));

        for (const stack of STACKS) {
            it(`never shows the webhook URL or the registry password in ${stack}'s plan JSON or outputs`, async () => {
                const result: PlanResult = await planStack(stack, withSecrets(stack));
                expect(result.ok, result.error?.message).to.equal(true);
                expect(leaks(JSON.stringify(result))).to.deep.equal([]);
                // The Application Insights connection string (the engine's stand-in) is a secret too.
                expect(JSON.stringify(result)).not.to.contain("InstrumentationKey=");
                // And they are really there, as secrets: the provider and the pull Secret exist, hidden.
                const provider = result.resources.find((r) => r.type === "pulumi:providers:docker");
                expect(JSON.stringify(provider?.inputs)).to.contain("[secret]");
                const pull = result.resources.find((r) => r.name.endsWith("-registry-secret"));
                expect((pull?.inputs.stringData as Record<string, string>)[".dockerconfigjson"]).to.equal("[secret]");
            });
        }

        it("gives the pods the pull Secret", async () => {
            const result = await planStack("prod", withSecrets("prod"));
            const d = result.resources.find((r) => r.type === "kubernetes:apps/v1:Deployment")!;
            expect((d.inputs.spec as { template: { spec: { imagePullSecrets: unknown } } }).template.spec.imagePullSecrets).to.deep.equal([{ name: "nextgen-market-registry" }]);
        });

        it("never shows them in slotshift status or plan output", async () => {
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "slotshift-secrets-"));
            fs.copyFileSync(path.join(ROOT, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
            fs.symlinkSync(path.join(ROOT, "index.ts"), path.join(dir, "index.ts"));
            for (const s of STACKS) {
                fs.copyFileSync(path.join(ROOT, `Pulumi.${s}.yaml`), path.join(dir, `Pulumi.${s}.yaml`));
            }
            // As a stack file holds them: ciphertext. The offline plan cannot decrypt it and uses a stand-in.
            const prod = fs.readFileSync(path.join(dir, "Pulumi.prod.yaml"), "utf8").replace(
                "    emails: [oncall@nextgen-market.example]",
                "    emails: [oncall@nextgen-market.example]\n    webhookUrl:\n      secure: v1:AAAABBBBCCCC",
            );
            fs.writeFileSync(path.join(dir, "Pulumi.prod.yaml"), prod);
            let out = "";
            const cwd = process.cwd();
            process.chdir(dir);
            try {
                for (const args of [["status", "--stack", "prod", "--json"], ["plan", "--stack", "prod", "--json"], ["plan", "--stack", "prod"]]) {
                    const code = await slotshift(args, { write: (s: string) => (out += s) }, { write: () => true });
                    expect(code, args.join(" ")).to.equal(0);
                }
            } finally {
                process.chdir(cwd);
            }
            expect(out).not.to.contain("AAAABBBBCCCC");
            expect(out).not.to.contain("offline-secret.invalid");
            expect(out).to.contain("[secret]");
        });
    });
});
