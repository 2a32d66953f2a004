import { Option } from "commander";

/** `-f FILE`, repeatable: later files are merged over earlier ones. */
export function specFilesOption(): Option {
  return new Option("-f, --file <path...>", "spec file; repeat to merge overlays over a base, in order")
    .makeOptionMandatory()
    .argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value]);
}
