import { open } from "node:fs/promises";
import type { Diagnostic } from "./diagnostics.js";

/** A spec file larger than this is refused before it is read whole (`--max-file-size` raises it). */
export const DEFAULT_MAX_FILE_BYTES = 5 * 1024 * 1024;

/** Reads at most `maxBytes + 1` bytes, so that a huge file (or a device that never ends) is not read whole. */
export async function readSpecBytes(file: string, maxBytes: number): Promise<Uint8Array> {
  const handle = await open(file, "r");
  try {
    const buffer = Buffer.alloc(Math.min(maxBytes + 1, 1 << 20));
    const chunks: Buffer[] = [];
    let total = 0;
    while (total <= maxBytes) {
      const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, maxBytes + 1 - total), null);
      if (bytesRead === 0) break;
      chunks.push(Buffer.from(buffer.subarray(0, bytesRead)));
      total += bytesRead;
    }
    return Buffer.concat(chunks, total);
  } finally {
    await handle.close();
  }
}

const BYTE_ORDER_MARKS: readonly { encoding: string; bytes: readonly number[] }[] = [
  // UTF-32 first: its little-endian mark starts with UTF-16's.
  { encoding: "UTF-32 LE", bytes: [0xff, 0xfe, 0x00, 0x00] },
  { encoding: "UTF-32 BE", bytes: [0x00, 0x00, 0xfe, 0xff] },
  { encoding: "UTF-16 LE", bytes: [0xff, 0xfe] },
  { encoding: "UTF-16 BE", bytes: [0xfe, 0xff] },
];

/**
 * A spec file's content as text, or why it is not a spec: larger than `maxBytes`, in another encoding than
 * UTF-8 (a UTF-16 or UTF-32 byte-order mark, an invalid UTF-8 sequence), or holding a control character
 * YAML does not allow (a NUL byte: a binary file, or UTF-16 without its mark). Text passed in by a caller
 * (an editor, a test) is checked for size and control characters only.
 */
export function decodeSpecFile(content: string | Uint8Array, file: string, maxBytes: number): { text: string } | { problem: Diagnostic } {
  const bytes = typeof content === "string" ? Buffer.byteLength(content, "utf8") : content.length;
  if (bytes > maxBytes) {
    const size = typeof content === "string" ? formatBytes(bytes) : `more than ${formatBytes(maxBytes)}`;
    return problem(
      "file-too-large",
      file,
      1,
      1,
      `the file is ${size}, over the limit of ${formatBytes(maxBytes)} for a spec file (raise it with --max-file-size)`,
    );
  }
  let text: string;
  if (typeof content === "string") text = content;
  else {
    const marked = BYTE_ORDER_MARKS.find((mark) => mark.bytes.every((byte, i) => content[i] === byte));
    if (marked)
      return problem("not-utf8", file, 1, 1, `the file is encoded as ${marked.encoding} (by its byte-order mark): save it as UTF-8`);
    text = Buffer.from(content.buffer, content.byteOffset, content.length).toString("utf8");
    const invalid = firstInvalidUtf8(content, text);
    if (invalid !== undefined) {
      const { line, column } = lineAndColumn(text, invalid);
      return problem("not-utf8", file, line, column, "the file is not valid UTF-8 here: save it as UTF-8");
    }
  }
  const control = firstForbiddenControl(text);
  if (control !== undefined) {
    const { line, column } = lineAndColumn(text, control);
    const code = text.charCodeAt(control);
    const what =
      code === 0
        ? "a NUL byte (a binary file, or UTF-16 without a byte-order mark?)"
        : `the control character U+${code.toString(16).toUpperCase().padStart(4, "0")}`;
    return problem("control-character", file, line, column, `the file contains ${what} here: a spec is UTF-8 text`);
  }
  return { text };
}

/** `5 MB`, `1.5 kB` (binary units, as `--max-file-size` reads them). */
export function formatBytes(bytes: number): string {
  for (const [unit, size] of [
    ["MB", 1024 * 1024],
    ["kB", 1024],
  ] as const) {
    if (bytes >= size) return `${Number((bytes / size).toFixed(1))} ${unit}`;
  }
  return `${bytes} bytes`;
}

/** The offset in `text` of the first character decoded from an invalid UTF-8 sequence of `bytes`. */
function firstInvalidUtf8(bytes: Uint8Array, text: string): number | undefined {
  let from = 0;
  let at = 0;
  for (;;) {
    const index = text.indexOf("\uFFFD", from);
    if (index < 0) return undefined;
    at += Buffer.byteLength(text.slice(from, index), "utf8");
    // A U+FFFD written in the file (EF BF BD) is a character like any other; one the decoder put in is not.
    if (bytes[at] !== 0xef || bytes[at + 1] !== 0xbf || bytes[at + 2] !== 0xbd) return index;
    from = index + 1;
    at += 3;
  }
}

/** YAML's printable set excludes C0 controls but tab, line feed and carriage return, and DEL. */
function firstForbiddenControl(text: string): number | undefined {
  const match = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/.exec(text);
  return match?.index;
}

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf("\n"); i >= 0 && i < offset; i = text.indexOf("\n", i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}

function problem(code: string, file: string, line: number, column: number, message: string): { problem: Diagnostic } {
  return { problem: { severity: "error", code, message, path: [], location: { file, line, column } } };
}
