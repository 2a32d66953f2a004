import { InvalidArgumentError, type Command } from "commander";
import { specFilesOption } from "./options.js";

export interface StackOptions {
  file: string[];
  profile?: string;
  endpoint?: string;
  json?: boolean;
  stats?: boolean;
  parallelism: number;
}

/** The options of the commands that change AWS. */
export interface ChangeOptions extends StackOptions {
  yes?: boolean;
  /** Milliseconds. */
  waitTimeout: number;
  /** `--no-wait` makes it false (apply only). */
  wait?: boolean;
}

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("expected a whole number of at least 1");
  return n;
}

/** The options plan, apply and delete share: the spec, where AWS is, and how to report. */
export function addStackOptions(command: Command): Command {
  return command
    .addOption(specFilesOption({ required: true }))
    .option("--profile <name>", "profile of the shared AWS config files")
    .option("--endpoint <url>", "send every AWS call to this endpoint, such as a local moto server (default: AWS_ENDPOINT_URL, else AWS)")
    .option("--json", "print the result as JSON on stdout (format in the README)")
    .option("--stats", "show the AWS calls made, by service and action")
    .option("--parallelism <n>", "at most this many resources change at once", positiveInteger, 10);
}
