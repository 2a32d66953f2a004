/**
 * The rules Application Auto Scaling's PutScalingPolicy puts on StepScalingPolicyConfiguration.StepAdjustments
 * (API reference, StepAdjustment): the ranges neither overlap nor leave a gap; at most one step has no lower bound
 * and at most one no upper bound; a negative lower bound needs a step without one, a positive upper bound likewise;
 * no step lacks both. Bounds are relative to the alarm threshold; absent means minus or plus infinity.
 */

export interface StepBounds {
  lowerBound?: number | undefined;
  upperBound?: number | undefined;
}

export interface StepProblem {
  /** The index of the step the problem is reported on; undefined for the list as a whole. */
  step?: number;
  message: string;
}

const show = (bound: number | undefined, open: string) => (bound === undefined ? open : String(bound));
const range = (s: StepBounds) => `[${show(s.lowerBound, "-infinity")}, ${show(s.upperBound, "+infinity")})`;

export function stepIntervalProblems(steps: readonly StepBounds[]): StepProblem[] {
  const problems: StepProblem[] = [];
  steps.forEach((s, i) => {
    if (s.lowerBound === undefined && s.upperBound === undefined) {
      problems.push({ step: i, message: "a step needs a lowerBound or an upperBound (AWS refuses a step open at both ends)" });
    }
  });
  if (problems.length > 0) return problems;

  const openBelow = steps.flatMap((s, i) => (s.lowerBound === undefined ? [i] : []));
  if (openBelow.length > 1) {
    problems.push({ step: openBelow[1]!, message: `only one step may leave lowerBound open (steps ${openBelow.join(", ")} do)` });
    return problems;
  }
  const negativeLower = steps.findIndex((s) => s.lowerBound !== undefined && s.lowerBound < 0);
  if (negativeLower >= 0 && openBelow.length === 0) {
    problems.push({
      step: negativeLower,
      message: `a negative lowerBound (${steps[negativeLower]!.lowerBound}) needs a step that leaves lowerBound open`,
    });
  }
  const openAbove = steps.filter((s) => s.upperBound === undefined).length;
  const positiveUpper = steps.findIndex((s) => s.upperBound !== undefined && s.upperBound > 0);
  if (positiveUpper >= 0 && openAbove === 0) {
    problems.push({
      step: positiveUpper,
      message: `a positive upperBound (${steps[positiveUpper]!.upperBound}) needs a step that leaves upperBound open`,
    });
  }

  const ordered = steps.map((s, index) => ({ ...s, index })).sort((a, b) => (a.lowerBound ?? -Infinity) - (b.lowerBound ?? -Infinity));
  for (let k = 1; k < ordered.length; k++) {
    const [before, after] = [ordered[k - 1]!, ordered[k]!];
    const end = before.upperBound ?? Infinity;
    const start = after.lowerBound ?? -Infinity;
    if (end === start) continue;
    const relation = end > start ? "overlaps" : "leaves a gap after";
    problems.push({
      step: after.index,
      message: `step ${after.index} ${range(after)} ${relation} step ${before.index} ${range(before)}: step ranges must meet end to end, with no overlap or gap`,
    });
  }
  return problems;
}
