// Preloaded into a measured child (`node --import`): on exit, writes the process's peak resident set size in
// kilobytes (process.resourceUsage().maxRSS) to the file named by BENCH_MAX_RSS_FILE.
import { writeFileSync } from "node:fs";

const file = process.env.BENCH_MAX_RSS_FILE;
if (file) process.on("exit", () => writeFileSync(file, String(process.resourceUsage().maxRSS)));
