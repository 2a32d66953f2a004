import { InvalidArgumentError, Option, type Command } from "commander";
import { DEFAULT_MAX_FILE_BYTES } from "../../schema/spec-file.js";

/** `-f FILE`, repeatable (`-f base.yaml -f prod.yaml`): later files are merged over earlier ones. */
export function specFilesOption({ required }: { required: boolean }): Option {
  const option = new Option("-f, --file <path...>", "spec file; give several to merge overlays over a base, in order");
  return required ? option.makeOptionMandatory() : option;
}

/**
 * The spec files of a command, given with `-f` or without (`reconcile plan shop.yaml prod.yaml`), or both: all of
 * them, in the order written. The action finds them in `options.file`; none at all is a usage error (exit 64).
 * Operands rather than a declared argument, so that the action's parameters stay `(options)`.
 */
export function addSpecFiles(command: Command): Command {
  return command
    .addOption(new Option("-f, --file <path...>", "spec file, also given without -f; several are merged in order, overlays over a base"))
    .usage("[options] <file...>")
    .allowExcessArguments()
    .hook("preAction", (cmd) => {
      const flagged = (cmd.getOptionValue("file") as string[] | undefined) ?? [];
      // The program's command line, which commander keeps but does not declare.
      const rawArgs = (cmd.parent as { rawArgs?: string[] } | null)?.rawArgs ?? [];
      const files = inWrittenOrder(rawArgs, flagged, cmd.args);
      if (files.length === 0) {
        cmd.error(`error: no spec file given: reconcile ${cmd.name()} shop.yaml (or -f shop.yaml)`, {
          exitCode: 64,
          code: "reconcile.noSpecFile",
        });
      }
      cmd.setOptionValue("file", files);
    });
}

/** The files of `-f` and the operands merged into the order of the command line (`a.yaml -f b.yaml c.yaml`: a, b, c). */
export function inWrittenOrder(rawArgs: readonly string[], flagged: readonly string[], operands: readonly string[]): string[] {
  const wanted = new Map<string, number>();
  for (const file of [...flagged, ...operands]) wanted.set(file, (wanted.get(file) ?? 0) + 1);
  const ordered: string[] = [];
  for (const token of rawArgs) {
    const file = /^(?:--file=|-f)(.+)$/.exec(token)?.[1] ?? token;
    const left = wanted.get(file) ?? 0;
    if (left === 0) continue;
    wanted.set(file, left - 1);
    ordered.push(file);
  }
  // Not found on the command line (a command parsed on its own): -f files first, then the operands.
  return ordered.length === flagged.length + operands.length ? ordered : [...flagged, ...operands];
}

/** `--max-file-size`: spec files larger than this are refused unread (default 5 MB). */
export function maxFileSizeOption(): Option {
  return new Option("--max-file-size <size>", "refuse a spec file larger than this (such as 5MB, 512kB)")
    .argParser((value: string) => {
      const bytes = parseByteSize(value);
      if (!(bytes > 0)) throw new InvalidArgumentError("expected a size such as 5MB, 512kB or 1048576 (bytes)");
      return bytes;
    })
    .default(DEFAULT_MAX_FILE_BYTES, "5MB");
}

const UNIT_BYTES: Record<string, number> = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** `5MB`, `512kB`, `1048576`: a size in bytes (binary units), NaN when it is not one. */
export function parseByteSize(value: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(?:(k|m|g)i?b?|b)?$/i.exec(value.trim());
  return match ? Math.floor(Number(match[1]) * UNIT_BYTES[(match[2] ?? "b").toLowerCase()]!) : NaN;
}

const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000 };

/** A duration as people write it: `90s`, `10m`, `1h`, or a bare number of seconds. */
export function parseDuration(value: string): number {
  const ms = durationMs(value);
  if (!(ms > 0)) throw new InvalidArgumentError("expected a duration such as 90s, 10m or 1h");
  return ms;
}

/** As parseDuration, zero allowed (`--lock-timeout 0`: do not wait). */
function parseDurationOrZero(value: string): number {
  const ms = durationMs(value);
  if (!(ms >= 0)) throw new InvalidArgumentError("expected a duration such as 0, 30s or 5m");
  return ms;
}

function durationMs(value: string): number {
  const match = /^(\d+(?:\.\d+)?)(s|m|h)?$/.exec(value.trim());
  return match ? Number(match[1]) * UNIT_MS[match[2] ?? "s"]! : NaN;
}

/** `--lock-timeout` and `--lock-ttl`: the stack's lease, which apply, delete and run take before their first read. */
export function lockOptions(): Option[] {
  return [
    new Option("--lock-timeout <duration>", "how long to wait while another run holds the stack's lease (0: exit 3 at once)")
      .argParser(parseDurationOrZero)
      .default(0, "0"),
    new Option("--lock-ttl <duration>", "how long the lease lasts unless renewed; a killed run blocks others this long at most")
      .argParser(parseDuration)
      .default(120_000, "2m"),
  ];
}

/** `--wait-timeout`: how long one ECS service may take to become stable (apply) or inactive (delete). */
export function waitTimeoutOption(): Option {
  return new Option("--wait-timeout <duration>", "how long to wait for each changed ECS service (such as 90s, 10m)")
    .argParser(parseDuration)
    .default(600_000, "10m");
}
