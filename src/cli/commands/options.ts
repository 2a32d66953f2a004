import { InvalidArgumentError, Option } from "commander";

/** `-f FILE`, repeatable (`-f base.yaml -f prod.yaml`): later files are merged over earlier ones. */
export function specFilesOption({ required }: { required: boolean }): Option {
  const option = new Option("-f, --file <path...>", "spec file; give several to merge overlays over a base, in order");
  return required ? option.makeOptionMandatory() : option;
}

const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000 };

/** A duration as people write it: `90s`, `10m`, `1h`, or a bare number of seconds. */
export function parseDuration(value: string): number {
  const match = /^(\d+(?:\.\d+)?)(s|m|h)?$/.exec(value.trim());
  const ms = match ? Number(match[1]) * UNIT_MS[match[2] ?? "s"]! : NaN;
  if (!(ms > 0)) throw new InvalidArgumentError("expected a duration such as 90s, 10m or 1h");
  return ms;
}

/** `--wait-timeout`: how long one ECS service may take to become stable (apply) or inactive (delete). */
export function waitTimeoutOption(): Option {
  return new Option("--wait-timeout <duration>", "how long to wait for each changed ECS service (such as 90s, 10m)")
    .argParser(parseDuration)
    .default(600_000, "10m");
}
