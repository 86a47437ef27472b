// One cold start of a Pulumi TypeScript program, the way Pulumi's Node.js host starts it
// (@pulumi/pulumi/cmd/run/run.js): ts-node registered with the project's tsconfig and Pulumi's
// compiler options, type-checking on or off, then the program required and run in a stack.
// The engine is Pulumi's mocks: no CLI, no cloud. Prints one JSON line: timings (ms since the
// process started) and the number of registrations (resources and stack references).
//
//   node bench/child.js <program dir> <check|transpile>
// env: PULUMI_CONFIG, PULUMI_CONFIG_SECRET_KEYS (as the host sets them), BENCH_STACK,
//      BENCH_REFERENCES (JSON: stack name -> outputs, for stack references), BENCH_REPLAY (the
//      floor's registrations, see bench/replay)
"use strict";
const { performance } = require("perf_hooks");
const path = require("path");

const [programDir, mode] = process.argv.slice(2);
const root = path.resolve(__dirname, "..");
const marks = { boot: performance.now() };

// What run.js does for a TypeScript project: slotshift's setting is tsconfig.pulumi.json (noCheck,
// so transpile-only); Pulumi's default is tsconfig.json with the type check.
const tsconfig = path.join(root, mode === "transpile" ? "tsconfig.pulumi.json" : "tsconfig.json");
const raw = require(path.join(root, "node_modules/typescript")).parseConfigFileTextToJson(tsconfig, require("fs").readFileSync(tsconfig, "utf8")).config;
require(path.join(root, "node_modules/ts-node")).register({
    compiler: path.join(root, "node_modules/typescript"),
    // run.js: PULUMI_NODEJS_TRANSPILE_ONLY when set, else the tsconfig's noCheck.
    transpileOnly: raw.compilerOptions && raw.compilerOptions.noCheck,
    project: tsconfig,
    skipProject: false,
    compilerOptions: { target: "ES2020", module: "nodenext", moduleResolution: "nodenext", sourceMap: "true", ...raw.compilerOptions },
});
const pulumi = require(path.join(root, "node_modules/@pulumi/pulumi"));
marks.registered = performance.now();

const references = JSON.parse(process.env.BENCH_REFERENCES || "{}");
const digest = (s) => "sha256:" + require("crypto").createHash("sha256").update(s).digest("hex");
let registrations = 0;
pulumi.runtime.setMocks(
    {
        newResource(args) {
            registrations++;
            if (args.type === "pulumi:pulumi:StackReference") {
                const name = String(args.inputs.name).split("/").pop();
                return { id: args.name, state: { name: args.inputs.name, outputs: references[name] || {}, secretOutputNames: [] } };
            }
            return { id: `${args.name}-id`, state: { ...args.inputs, name: args.inputs.name || args.name, connectionString: "InstrumentationKey=0" } };
        },
        call(args) {
            if (args.token === "docker:index/getRegistryImage:getRegistryImage") {
                return { sha256Digest: digest(String(args.inputs.name)) };
            }
            if (args.token === "azure-native:containerservice:listManagedClusterUserCredentials") {
                return { kubeconfigs: [{ name: "clusterUser", value: Buffer.from("apiVersion: v1\nkind: Config\n").toString("base64") }] };
            }
            if (args.token === "azure-native:containerservice:getManagedCluster") {
                return { id: `/subscriptions/0/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/${args.inputs.resourceName}`, name: args.inputs.resourceName, location: "westeurope" };
            }
            if (args.token === "azure-native:operationalinsights:getWorkspace") {
                return { customerId: "00000000-0000-0000-0000-000000000001", name: args.inputs.workspaceName };
            }
            if (args.token === "azure-native:authorization:getClientConfig") {
                return { subscriptionId: "00000000-0000-0000-0000-000000000000" };
            }
            throw new Error(`no answer for ${args.token}`);
        },
    },
    "slotshift",
    process.env.BENCH_STACK,
    false,
    "organization",
);

(async () => {
    const program = require(path.join(programDir, "index.ts"));
    marks.loaded = performance.now();
    let error = null;
    try {
        await pulumi.runtime.runInPulumiStack(program);
        await pulumi.runtime.disconnect();
    } catch (e) {
        error = e.message;
    }
    marks.done = performance.now();
    process.stdout.write(JSON.stringify({ ...marks, registrations, error }) + "\n");
})();
