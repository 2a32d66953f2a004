/**
 * What Application Auto Scaling's PutScheduledAction accepts as `Schedule` and `Timezone`, checked offline.
 * Schedule: `at(yyyy-mm-ddThh:mm:ss)`, `rate(value unit)` or `cron(minutes hours day-of-month month day-of-week year)`,
 * the fields as the Application Auto Scaling User Guide ("Schedule recurring scaling actions using cron expressions") gives them.
 */

interface CronField {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
  /** Special characters allowed beyond `, - * /`. */
  extra?: "dayOfMonth" | "dayOfWeek";
}

const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"] as const;
const WEEKDAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"] as const;

const CRON_FIELDS: readonly CronField[] = [
  { name: "minutes", min: 0, max: 59 },
  { name: "hours", min: 0, max: 23 },
  { name: "day-of-month", min: 1, max: 31, extra: "dayOfMonth" },
  { name: "month", min: 1, max: 12, names: MONTHS },
  { name: "day-of-week", min: 1, max: 7, names: WEEKDAYS, extra: "dayOfWeek" },
  { name: "year", min: 1970, max: 2199 },
];

/** Why AWS would refuse this schedule expression, or undefined when it reads it. */
export function scheduleProblem(expression: string): string | undefined {
  const form = /^(at|rate|cron)\((.*)\)$/.exec(expression);
  if (!form) return "expected cron(m h dom mon dow yr), rate(N unit) or at(yyyy-mm-ddThh:mm:ss)";
  const body = form[2]!;
  if (form[1] === "at") return atProblem(body);
  if (form[1] === "rate") return rateProblem(body);
  return cronProblem(body);
}

function atProblem(body: string): string | undefined {
  const parts = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})$/.exec(body);
  if (!parts) return `at(${body}): expected at(yyyy-mm-ddThh:mm:ss)`;
  const [year, month, day, hour, minute, second] = parts.slice(1).map(Number) as [number, number, number, number, number, number];
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  const exists =
    date.getUTCFullYear() === year &&
    date.getUTCMonth() === month - 1 &&
    date.getUTCDate() === day &&
    date.getUTCHours() === hour &&
    date.getUTCMinutes() === minute &&
    date.getUTCSeconds() === second;
  return exists ? undefined : `at(${body}): no such date and time`;
}

function rateProblem(body: string): string | undefined {
  const parts = /^(\d+) (minute|minutes|hour|hours|day|days)$/.exec(body);
  if (!parts) return `rate(${body}): expected rate(value unit), the unit one of minute, minutes, hour, hours, day, days`;
  return Number(parts[1]) >= 1 ? undefined : `rate(${body}): the value is a positive integer`;
}

function cronProblem(body: string): string | undefined {
  const fields = body.split(" ");
  if (fields.length !== CRON_FIELDS.length || fields.some((f) => f === "")) {
    return `cron(${body}): expected six fields separated by single spaces: minutes hours day-of-month month day-of-week year`;
  }
  for (const [i, spec] of CRON_FIELDS.entries()) {
    const problem = cronFieldProblem(fields[i]!, spec);
    if (problem) return `cron(${body}): ${spec.name} \`${fields[i]}\` ${problem}`;
  }
  const [dayOfMonth, dayOfWeek] = [fields[2]!, fields[4]!];
  if ((dayOfMonth === "?") === (dayOfWeek === "?")) {
    return `cron(${body}): day-of-month and day-of-week cannot both be set; one of them is \`?\``;
  }
  return undefined;
}

function cronFieldProblem(field: string, spec: CronField): string | undefined {
  if (field === "?") return spec.extra ? undefined : "cannot be `?` (only day-of-month and day-of-week can)";
  if (spec.extra === "dayOfMonth" && /^(L|LW|\d{1,2}W)$/.test(field)) {
    return field.endsWith("W") && field !== "LW" ? rangeProblem(Number(field.slice(0, -1)), spec) : undefined;
  }
  if (spec.extra === "dayOfWeek") {
    const nth = /^([^#]+)#(\d)$/.exec(field);
    if (nth)
      return valueProblem(nth[1]!, spec) ?? (Number(nth[2]) >= 1 && Number(nth[2]) <= 5 ? undefined : "has an occurrence outside 1-5");
    if (/^[^L]+L$/.test(field)) return valueProblem(field.slice(0, -1), spec);
    if (field === "L") return undefined;
  }
  for (const item of field.split(",")) {
    const [range, step, ...rest] = item.split("/");
    if (rest.length > 0) return "has more than one `/`";
    if (step !== undefined && !/^\d+$/.test(step)) return "has a step that is not a number";
    if (range === "*") continue;
    const ends = range!.split("-");
    if (ends.length > 2) return "has a range with more than one `-`";
    for (const end of ends) {
      const problem = valueProblem(end, spec);
      if (problem) return problem;
    }
  }
  return undefined;
}

function valueProblem(value: string, spec: CronField): string | undefined {
  const named = spec.names?.indexOf(value.toUpperCase() as never) ?? -1;
  if (named >= 0) return undefined;
  if (!/^\d+$/.test(value)) return `is not ${spec.names ? `a number or one of ${spec.names.join(", ")}` : "a number"}`;
  return rangeProblem(Number(value), spec);
}

function rangeProblem(value: number, spec: CronField): string | undefined {
  return value >= spec.min && value <= spec.max ? undefined : `is outside ${spec.min}-${spec.max}`;
}

/** ICU's own names (Node 20 lists the older CLDR spellings, such as Asia/Calcutta for Asia/Kolkata). */
let knownZones: ReadonlyMap<string, string> | undefined;
function zonesByLowerCase(): ReadonlyMap<string, string> {
  knownZones ??= new Map(Intl.supportedValuesOf("timeZone").map((zone) => [zone.toLowerCase(), zone]));
  return knownZones;
}

/**
 * Why AWS would refuse this time zone, or undefined. PutScheduledAction takes the canonical names of the IANA
 * Time Zone Database (such as Etc/GMT+9 or Pacific/Tahiti). `Intl` knows them all, but lists some under older
 * aliases and matches case-insensitively, while AWS matches the name as written.
 */
export function timeZoneProblem(zone: string): string | undefined {
  const notAZone = `\`${zone}\` is not an IANA time zone (such as America/Sao_Paulo, Europe/Berlin or UTC)`;
  if (!/^[A-Za-z][\w+/-]*$/.test(zone)) return notAZone;
  let resolved: string;
  try {
    resolved = new Intl.DateTimeFormat("en-US", { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    return notAZone;
  }
  const listed = zonesByLowerCase().get(zone.toLowerCase());
  if (listed !== undefined && listed !== zone) return `\`${zone}\` is spelt \`${listed}\` in the IANA time zone database`;
  if (listed === undefined && zone.toLowerCase() === resolved.toLowerCase() && zone !== resolved) {
    return `\`${zone}\` is spelt \`${resolved}\` in the IANA time zone database`;
  }
  return undefined;
}
