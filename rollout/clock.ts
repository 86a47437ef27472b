/**
 * The program's clock. `pulumi up` uses the real time; the offline engine may
 * set a fixed one so that a plan is reproducible (and tests can make time pass).
 */
let source: () => Date = () => new Date();

/** The current time as the rollout decision sees it. */
export function now(): Date {
    return source();
}

/** Replaces the clock; returns a function that restores the previous one. */
export function setClock(clock: () => Date): () => void {
    const before = source;
    source = clock;
    return () => {
        source = before;
    };
}
