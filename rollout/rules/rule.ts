/**
 * A rule of the decision: one unit with its id, the sentence the README's rules table shows, the
 * moves it judges, the check, and its cases. Adding a rule is one new module in this folder, its
 * place in `RULES` (rollout/rules/index.ts), and its cases (README, "How to add a rule").
 */
import { Environment } from "../versions";
import { Transition } from "../state";
import { Move, MoveKind } from "../move";

/** Why a move is refused: the full key it is about and the message (the key, the value, why, what is legal). */
export interface Refusal {
    readonly key: string;
    readonly message: string;
}

/** One update of a rule case's walk. */
export interface CaseUpdate {
    /** Config edits on top of the stack file, as `pulumi config set --path` would make them; cumulative over the walk. */
    readonly edits: Readonly<Record<string, unknown>>;
    /** Minutes after the walk's start this update runs. */
    readonly at: number;
    /** The version the promotion source has live at this update, when it differs from the case's. */
    readonly source?: string | null;
}

/**
 * An example of a rule at work: a walk of updates from a committed stack file, each decided
 * against the state the one before left. Every update but the last must be taken; the last is
 * refused by this rule (`refused`) or taken (`transition`).
 */
export interface RuleCase {
    readonly what: string;
    /** @default "prod" */
    readonly stack?: Environment;
    readonly updates: readonly CaseUpdate[];
    /** The version the promotion source (staging) has live; null for a source never updated. @default the candidate's version */
    readonly source?: string | null;
    /**
     * The fields an older slotshift did not write yet: each previous state is read back without
     * them, as `readRolloutState` reads such an output.
     */
    readonly olderOutput?: readonly ("builds" | "gitShas" | "nextMoveAt" | "warmUntil" | "finalizedAt" | "image")[];
    /** The promotion source reports no digest for its live slot. */
    readonly sourceWithoutDigest?: boolean;
    /** The key this rule refuses the last update with. */
    readonly refused?: string;
    /** A fragment the refusal's message must hold. */
    readonly says?: string;
    /** The transition the last update makes when it is taken. */
    readonly transition?: Transition;
}

/** A rule of the decision. */
export interface Rule {
    /** Stable, kebab-case: the rule's module name. */
    readonly id: string;
    /** The rule in one sentence, for the README's rules table (Markdown). */
    readonly sentence: string;
    /**
     * A refusal as the README shows it: a real message of one of the rule's refused cases, with
     * parts left out as `...` (a test holds the two together).
     */
    readonly example: string;
    /** The moves the rule judges; the check is not asked about any other. */
    readonly moves: readonly MoveKind[];
    /** A refusal, or undefined when the move passes this rule. */
    readonly check: (move: Move) => Refusal | undefined;
    /** Legal and refused examples; at least one of each. */
    readonly cases: readonly RuleCase[];
}

/** A refusal of `path` under `slotshift:`. */
export const refusal = (path: string, message: string): Refusal => ({ key: `slotshift:${path}`, message });
