/**
 * Every name slotshift gives a resource, derived from the app and the stack,
 * checked against the rules of the service that will hold it, so a name the
 * cloud would reject is refused before the first resource is registered.
 */

/** The slot colours (config.ts has them too; repeated here so the two modules need not import each other). */
const SLOT_COLOURS = ["blue", "green"] as const;

/** A naming rule of a service. */
interface NameRule {
    /** What carries the name, for messages. */
    readonly what: string;
    readonly pattern: RegExp;
    readonly max: number;
    /** The rule in words. */
    readonly rule: string;
}

const DNS_1123_LABEL: Omit<NameRule, "what"> = { pattern: /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/, max: 63, rule: "lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63" };
const DNS_1035_LABEL: Omit<NameRule, "what"> = { pattern: /^[a-z]([a-z0-9-]*[a-z0-9])?$/, max: 63, rule: "lowercase letters, digits and '-', starting with a letter, ending with a letter or digit, at most 63" };
const AZURE_DNS_LABEL: Omit<NameRule, "what"> = { pattern: /^[a-z][a-z0-9-]{1,61}[a-z0-9]$/, max: 63, rule: "3 to 63 lowercase letters, digits and '-', starting with a letter" };
const LABEL_VALUE: Omit<NameRule, "what"> = { pattern: /^([A-Za-z0-9]([A-Za-z0-9_.-]*[A-Za-z0-9])?)?$/, max: 63, rule: "letters, digits, '-', '_' and '.', starting and ending with a letter or digit, at most 63" };
const WORKSPACE: Omit<NameRule, "what"> = { pattern: /^[A-Za-z0-9][A-Za-z0-9-]{2,61}[A-Za-z0-9]$/, max: 63, rule: "4 to 63 letters, digits and '-', starting and ending with a letter or digit" };

/** One derived name and the rule it must meet. */
export interface DerivedName extends NameRule {
    readonly name: string;
}

/** What the names are made of. */
export interface NameInput {
    readonly app: string;
    readonly stack: string;
    /** slotshift:app.namespace, when set. */
    readonly namespace?: string;
    /** slotshift:traffic.dnsName, when set. */
    readonly dnsName?: string;
    /** The release Jobs the config declares (components/releaseJobs.ts names them). */
    readonly jobs?: { readonly expand: boolean; readonly contract: boolean; readonly preTraffic: boolean; readonly perStep: boolean };
}

/** The 10 hex digits that name a release Job by what it is for (components/releaseJobs.ts), as a stand-in of the longest. */
const JOB_HASH = "0123456789";

/** The prefix of a stack's resource names. */
export function prefixOf(app: string, stack: string): string {
    return `${app}-${stack}`;
}

/** Every name slotshift derives for a stack, each with its service's rule. */
export function derivedNames(input: NameInput): DerivedName[] {
    const prefix = prefixOf(input.app, input.stack);
    const names: DerivedName[] = [
        { what: "the Kubernetes namespace", name: input.namespace ?? prefix, ...DNS_1123_LABEL },
        { what: "the Traffic Manager profile's DNS name (<name>.trafficmanager.net)", name: input.dnsName ?? prefix, ...AZURE_DNS_LABEL },
        { what: "the Log Analytics workspace", name: `${prefix}-logs`, ...WORKSPACE },
        { what: "the telemetry Secret", name: `${input.app}-telemetry`, ...DNS_1123_LABEL },
        { what: "the registry pull Secret", name: `${input.app}-registry`, ...DNS_1123_LABEL },
        { what: "the HTTPRoute", name: input.app, ...DNS_1123_LABEL },
        { what: "the app label", name: input.app, ...LABEL_VALUE },
    ];
    for (const colour of SLOT_COLOURS) {
        names.push(
            { what: `the ${colour} Deployment, PodDisruptionBudget and Service`, name: `${input.app}-${colour}`, ...DNS_1035_LABEL },
            { what: `the ${colour} slot's public DNS label (<label>.<region>.cloudapp.azure.com)`, name: `${prefix}-${colour}`, ...AZURE_DNS_LABEL },
        );
    }
    // A Job's pods carry its name as a label value (batch.kubernetes.io/job-name): at most 63.
    const job = (what: string, id: string): DerivedName => ({ what: `the ${what} Job`, name: `${input.app}-${id}-${JOB_HASH}`, ...DNS_1123_LABEL });
    if (input.jobs?.expand) {
        names.push(job("expand migration", "migrate"));
    }
    if (input.jobs?.contract) {
        names.push(job("contract migration", "contract"));
    }
    if (input.jobs?.preTraffic) {
        names.push(job("pre-traffic hook", "hook-pre"));
    }
    if (input.jobs?.perStep) {
        names.push(job("per-step hook (at 100 %)", "hook-step-100"));
    }
    return names;
}

/** The names that break their rule, each as a sentence. */
export function nameProblems(input: NameInput): string[] {
    return derivedNames(input)
        .filter((n) => n.name.length > n.max || !n.pattern.test(n.name))
        .map((n) => `${n.what} would be ${JSON.stringify(n.name)} (${n.name.length} characters); it must be ${n.rule}`);
}
