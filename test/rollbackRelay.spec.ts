/**
 * The RollbackRelay component under the offline engine (cli/engine.ts), the
 * same mocks and recording as every plan: a one-line program in a temporary
 * project root builds the component; the plan lists what it registers, secrets
 * shown as `[secret]`.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { plan, PlanResult, PlannedResource } from "../cli/engine";
import { isStorageAccountName, relaySiteConfig, relayStorageAccountName, RollbackRelay, RollbackRelayArgs } from "../components/rollbackRelay";
import { ROOT } from "./helpers";

const TOKEN = "github_pat_11AAAAAAA0relaytoken0never0in0a0plan";
const SAS = "sv=2024-11-04&sr=b&sp=r&spr=https&sig=offline-signature";
const STORAGE_KEY = "offline-storage-key==";
const FUNCTION_KEY = "offline-function-key==";

const INVOKES = {
    "azure-native:storage:listStorageAccountServiceSAS": () => ({ serviceSasToken: SAS }),
    "azure-native:storage:listStorageAccountKeys": () => ({ keys: [{ keyName: "key1", value: STORAGE_KEY, permissions: "FULL" }] }),
    "azure-native:web:listWebAppHostKeys": () => ({ functionKeys: { default: FUNCTION_KEY }, masterKey: "offline-master-key" }),
};

/** The arguments the next plan's program builds the component with, and what its secret output resolved to. */
let current: RollbackRelayArgs | undefined;
let resolvedWebhookUrl: string | undefined;

/** The program the temporary project root's index.ts exports. */
export async function relayProgram(): Promise<Record<string, unknown>> {
    const relay = new RollbackRelay("nextgen-market-prod-relay", current!);
    relay.webhookUrl.apply((u) => {
        resolvedWebhookUrl = u;
    });
    return { webhookUrl: relay.webhookUrl, functionAppId: relay.functionAppId };
}

const baseArgs = (): RollbackRelayArgs => ({
    stack: "prod",
    resourceGroupName: "nextgen-market-prod",
    location: "westeurope",
    repository: "nextgen-market/nextgen-market",
    token: pulumi.secret(TOKEN),
    root: ROOT,
});

describe("RollbackRelay (components/rollbackRelay.ts)", function () {
    this.timeout(60000);
    let projectRoot: string;

    before(() => {
        projectRoot = fs.mkdtempSync(path.join(os.tmpdir(), "slotshift-relay-program-"));
        fs.writeFileSync(path.join(projectRoot, "index.ts"), `module.exports = require(${JSON.stringify(__filename)}).relayProgram;\n`);
    });
    after(() => {
        fs.rmSync(projectRoot, { recursive: true, force: true });
    });

    async function planRelay(args: RollbackRelayArgs): Promise<PlanResult> {
        current = args;
        resolvedWebhookUrl = undefined;
        return plan({ stack: "prod", root: projectRoot, config: {}, invokes: INVOKES });
    }
    const one = (result: PlanResult, type: string): PlannedResource => {
        const found = result.resources.filter((r) => r.type === type);
        expect(found, type).to.have.length(1);
        return found[0];
    };
    /** The WebApp's `siteConfig` as the plan records it. */
    const siteConfigOf = (result: PlanResult) => (one(result, "azure-native:web:WebApp").inputs as { siteConfig: { appSettings: unknown[] } & Record<string, unknown> }).siteConfig;

    describe("the resources", () => {
        let result: PlanResult;
        before(async () => {
            result = await planRelay(baseArgs());
        });

        it("registers a storage account, a container, the package blob, a Y1 plan and a Linux function app under the component", () => {
            expect(result.ok, result.error?.message).to.equal(true);
            const component = one(result, "slotshift:azure:RollbackRelay");
            expect(component.name).to.equal("nextgen-market-prod-relay");
            const types = result.resources.filter((r) => r.parent === component.name).map((r) => r.type);
            expect(types).to.have.members([
                "azure-native:storage:StorageAccount",
                "azure-native:storage:BlobContainer",
                "azure-native:storage:Blob",
                "azure-native:web:AppServicePlan",
                "azure-native:web:WebApp",
            ]);
        });

        it("names the storage account deterministically within Azure's rules (3-24 lowercase letters and digits)", () => {
            const account = one(result, "azure-native:storage:StorageAccount").inputs;
            const expected = relayStorageAccountName("nextgen-market/nextgen-market", "prod", "nextgen-market-prod-relay");
            expect(account).to.include({ accountName: expected, kind: "StorageV2", allowBlobPublicAccess: false, minimumTlsVersion: "TLS1_2" });
            expect(isStorageAccountName(expected), expected).to.equal(true);
            expect(relayStorageAccountName("nextgen-market/nextgen-market", "prod", "nextgen-market-prod-relay")).to.equal(expected);
            expect(relayStorageAccountName("nextgen-market/nextgen-market", "staging", "nextgen-market-prod-relay")).not.to.equal(expected);
            expect(isStorageAccountName(relayStorageAccountName("Some-Org/Repo", "a-very-long-stack-name-indeed", "x"))).to.equal(true);
        });

        it("uploads relay/dist as the package, the blob named after its content", () => {
            const blob = one(result, "azure-native:storage:Blob").inputs as { blobName: string; type: string; contentType: string };
            expect(blob.blobName).to.match(/^rollback-relay-[0-9a-f]{16}\.zip$/);
            expect(blob).to.include({ type: "Block", contentType: "application/zip" });
            const container = one(result, "azure-native:storage:BlobContainer").inputs;
            expect(container).to.include({ publicAccess: "None" });
        });

        it("runs on a Linux Consumption plan (Y1, Dynamic, reserved)", () => {
            const p = one(result, "azure-native:web:AppServicePlan").inputs;
            expect(p).to.deep.include({ kind: "functionapp", reserved: true, sku: { name: "Y1", tier: "Dynamic" }, location: "westeurope" });
        });

        it("configures a Linux function app, HTTPS only, with the site config relaySiteConfig builds", () => {
            const app = one(result, "azure-native:web:WebApp").inputs;
            expect(app).to.include({ kind: "functionapp,linux", reserved: true, httpsOnly: true, location: "westeurope" });
            expect(app.serverFarmId).to.be.a("string");
            // azure-native lifts siteConfig into one output to fill its defaults, so the secrets inside
            // make all of it a secret: the plan keeps its shape (7 app settings) and hides every value.
            const site = siteConfigOf(result);
            expect(site).to.include({ linuxFxVersion: "[secret]", minTlsVersion: "[secret]", ftpsState: "[secret]" });
            expect(site.appSettings).to.have.length(7);
            expect(site.appSettings.every((s) => JSON.stringify(s) === '{"name":"[secret]","value":"[secret]"}')).to.equal(true);
        });

        it("never shows the token, the storage key, the SAS or the function key in the plan", () => {
            const text = JSON.stringify(result);
            for (const secret of [TOKEN, STORAGE_KEY, SAS, FUNCTION_KEY]) {
                expect(text).not.to.contain(secret);
            }
        });

        it("outputs the webhook URL as a secret: https://<host>/api/rollback?code=<function key>", () => {
            expect(result.outputs.webhookUrl).to.equal("[secret]");
            expect(resolvedWebhookUrl).to.match(/^https:\/\/nextgen-market-prod-relay-app\.azurewebsites\.net\/api\/rollback\?code=/);
            expect(resolvedWebhookUrl).to.equal(`https://nextgen-market-prod-relay-app.azurewebsites.net/api/rollback?code=${FUNCTION_KEY}`);
            expect(result.outputs.functionAppId).to.equal("nextgen-market-prod-relay-app-id");
        });
    });

    it("keeps a token given in clear a secret", async () => {
        const result = await planRelay({ ...baseArgs(), token: TOKEN });
        expect(result.ok, result.error?.message).to.equal(true);
        expect(siteConfigOf(result).appSettings).to.have.length(7);
        expect(JSON.stringify(result)).not.to.contain(TOKEN);
    });

    describe("the site config (relaySiteConfig)", () => {
        const site = () => relaySiteConfig({ storageConnection: "AccountKey=k", packageUrl: "https://x/y?sig=s", token: TOKEN, repository: "owner/name", stack: "prod" });

        it("runs Node 20 on the v4 runtime, TLS 1.2 for the app and its SCM site, FTP off", () => {
            expect(site()).to.include({ linuxFxVersion: "Node|20", minTlsVersion: "1.2", scmMinTlsVersion: "1.2", ftpsState: "Disabled" });
        });

        it("sets exactly the app settings the Functions host and relay/index.ts read", () => {
            expect(site().appSettings.map((s) => s.name)).to.deep.equal([
                "AzureWebJobsStorage",
                "FUNCTIONS_EXTENSION_VERSION",
                "FUNCTIONS_WORKER_RUNTIME",
                "WEBSITE_RUN_FROM_PACKAGE",
                "GITHUB_TOKEN",
                "GITHUB_REPOSITORY",
                "SLOTSHIFT_STACK",
            ]);
            const plainValues = Object.fromEntries(site().appSettings.filter((s) => typeof s.value === "string").map((s) => [s.name, s.value]));
            expect(plainValues).to.deep.equal({ FUNCTIONS_EXTENSION_VERSION: "~4", FUNCTIONS_WORKER_RUNTIME: "node", GITHUB_REPOSITORY: "owner/name", SLOTSHIFT_STACK: "prod" });
        });

        it("wraps the token, the storage connection string and the package URL as secrets, even when given in clear", async () => {
            const secret = site().appSettings.filter((s) => typeof s.value !== "string");
            expect(secret.map((s) => s.name)).to.deep.equal(["AzureWebJobsStorage", "WEBSITE_RUN_FROM_PACKAGE", "GITHUB_TOKEN"]);
            for (const s of secret) {
                expect(await pulumi.isSecret(s.value as pulumi.Output<string>), s.name).to.equal(true);
            }
        });
    });

    it("gives a new package a new blob name (so a new URL, an app restart, no trigger sync)", async () => {
        const copy = fs.mkdtempSync(path.join(os.tmpdir(), "slotshift-relay-root-"));
        try {
            fs.mkdirSync(path.join(copy, "relay", "dist"), { recursive: true });
            for (const f of ["host.json", "index.js", "package.json"]) {
                fs.copyFileSync(path.join(ROOT, "relay", "dist", f), path.join(copy, "relay", "dist", f));
            }
            const before = await planRelay({ ...baseArgs(), root: copy });
            fs.appendFileSync(path.join(copy, "relay", "dist", "index.js"), "\n// changed\n");
            const after = await planRelay({ ...baseArgs(), root: copy });
            const name = (r: PlanResult) => (one(r, "azure-native:storage:Blob").inputs as { blobName: string }).blobName;
            expect(name(before)).not.to.equal(name(after));
        } finally {
            fs.rmSync(copy, { recursive: true, force: true });
        }
    });

    describe("arguments, checked before anything registers", () => {
        for (const repository of ["nextgen-market", "owner/", "/name", "own er/name", "owner/name/extra", "-owner/name", "owner/..", ""]) {
            it(`refuses repository ${JSON.stringify(repository)}, naming the argument, the value and what is allowed`, () => {
                expect(() => new RollbackRelay("relay", { ...baseArgs(), repository })).to.throw(
                    `RollbackRelay relay: repository is ${JSON.stringify(repository)}; allowed: owner/name`,
                );
            });
        }

        it("refuses a bad repository in a plan too: the plan fails with the message and registers no relay resource", async () => {
            const result = await planRelay({ ...baseArgs(), repository: "not a repository" });
            expect(result.ok).to.equal(false);
            expect(result.error?.message).to.contain('repository is "not a repository"; allowed: owner/name');
            expect(result.resources.filter((r) => r.type.startsWith("azure-native:") || r.type === "slotshift:azure:RollbackRelay")).to.deep.equal([]);
        });

        it("refuses a storage account name Azure would refuse", () => {
            expect(() => new RollbackRelay("relay", { ...baseArgs(), storageAccountName: "Relay-Storage" })).to.throw(
                'storageAccountName is "Relay-Storage"; allowed: 3 to 24 lowercase letters and digits',
            );
        });

        it("refuses a project root without the built relay, naming the build command", () => {
            expect(() => new RollbackRelay("relay", { ...baseArgs(), root: os.tmpdir() })).to.throw(/relay\/dist\/host\.json is missing; build the relay with `npx ts-node --transpile-only relay\/build\.ts`/);
        });
    });
});
