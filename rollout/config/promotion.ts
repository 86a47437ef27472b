/** `slotshift:promotion`: the stack whose live version this one takes (prod from staging). */
import { z } from "zod";
import { intIn, pattern } from "./fields";
import { EnvironmentDefaults } from "./kinds";
import { windowsSchema } from "../windows";

export function promotionSchema(d: EnvironmentDefaults) {
    return z
        .strictObject({
            from: pattern(/^([A-Za-z0-9_.-]+\/){0,2}[A-Za-z0-9_.-]+$/, "a stack name, or organization/project/stack", 200).optional(),
            /**
             * The release windows (rollout/windows.ts): a move that raises the candidate's traffic is
             * taken only inside one of them (rule raise-inside-a-window). Absent: any time.
             */
            windows: windowsSchema().optional(),
            /**
             * Hours after which a step still carrying traffic is stale: the next step is refused (rule
             * stale-step), so a release left half-way for days is looked at again. Absent: never.
             */
            staleAfterHours: intIn(1, 720, "whole hours from 1 to 720 (30 days)").optional(),
            /**
             * Hours an approval may wait: a step job whose run was queued longer ago does not deploy
             * (`slotshift approval-age` in .github/workflows/step.yml). The release process: "Auto-reject after 24 hours".
             */
            approvalTimeoutHours: intIn(1, 720, "whole hours from 1 to 720 (30 days)").default(24),
        })
        .prefault({})
        .transform((p) => ({ from: p.from ?? d.promotionFrom, windows: p.windows, staleAfterHours: p.staleAfterHours, approvalTimeoutHours: p.approvalTimeoutHours }));
}
