/** The most values (map entries, list items, aliases expanded) one spec file may hold: 250 times the reference system. */
export const MAX_VALUES = 50_000;
/** The deepest nesting of maps and lists a spec file may have: 8 times the reference system. */
export const MAX_DEPTH = 64;

export const TOO_MANY_VALUES = `more than ${MAX_VALUES.toLocaleString("en")} values, the most a spec file may hold`;
export const TOO_DEEP = `nested more than ${MAX_DEPTH} levels deep, the most a spec file may be`;

export type CensusLimit = { limit: "values" | "depth"; offset: number };

/**
 * A linear pass over YAML text that counts its values and measures its flow nesting (`[[[…]]]`), to refuse a
 * file over the limits before the `yaml` parser reads it: that parser takes about 10 µs a value and far more
 * on deep flow nesting, so 300,000 keys or 100,000 brackets would keep it busy for seconds. The count
 * errs high by little (a `: ` in a block scalar's lines); the exact count and depth are the walk's, after parsing.
 */
export function censusLimitExceeded(text: string): CensusLimit | undefined {
  let values = 0;
  let flowDepth = 0;
  let atNodeStart = true;
  let lineIndent = 0;
  let atLineStart = true;
  let entryCounted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === LF) {
      atNodeStart = true;
      atLineStart = true;
      lineIndent = 0;
      continue;
    }
    if (c === SPACE || c === TAB) {
      if (atLineStart) lineIndent++;
      continue;
    }
    atLineStart = false;
    const next = text.charCodeAt(i + 1);
    if (c === HASH && (i === 0 || isBlank(text.charCodeAt(i - 1)))) {
      i = lineEnd(text, i) - 1;
    } else if (atNodeStart && (c === DOUBLE_QUOTE || c === SINGLE_QUOTE)) {
      i = quoteEnd(text, i);
      atNodeStart = false;
    } else if ((c === OPEN_BRACKET || c === OPEN_BRACE) && (atNodeStart || flowDepth > 0)) {
      values++;
      if (++flowDepth > MAX_DEPTH) return { limit: "depth", offset: i };
      atNodeStart = true;
      entryCounted = false;
    } else if ((c === CLOSE_BRACKET || c === CLOSE_BRACE || c === COMMA) && flowDepth > 0) {
      // A flow item is counted at its end, unless its `key: value` was counted at the colon.
      if (!entryCounted && !atNodeStart) values++;
      atNodeStart = c === COMMA;
      // A collection was counted at its opening bracket.
      entryCounted = c !== COMMA;
      if (c !== COMMA) flowDepth--;
    } else if (c === COLON && (isBlankOrEnd(next) || (flowDepth > 0 && isFlowEnd(next)))) {
      values++;
      atNodeStart = true;
      entryCounted = true;
    } else if (atNodeStart && flowDepth === 0 && (c === DASH || c === QUESTION) && isBlankOrEnd(next)) {
      values++;
    } else if (atNodeStart && flowDepth === 0 && (c === PIPE || c === GREATER) && isBlockScalarHeader(text, i + 1)) {
      i = blockScalarEnd(text, i, lineIndent);
      atNodeStart = true;
      atLineStart = true;
      lineIndent = 0;
    } else {
      atNodeStart = false;
    }
    if (values > MAX_VALUES) return { limit: "values", offset: i };
  }
  return undefined;
}

const LF = 10;
const SPACE = 32;
const TAB = 9;
const CR = 13;
const HASH = 35;
const DOUBLE_QUOTE = 34;
const SINGLE_QUOTE = 39;
const BACKSLASH = 92;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;
const COMMA = 44;
const COLON = 58;
const DASH = 45;
const QUESTION = 63;
const PIPE = 124;
const GREATER = 62;

const isBlank = (c: number) => c === SPACE || c === TAB || c === LF || c === CR;
const isBlankOrEnd = (c: number) => Number.isNaN(c) || isBlank(c);
const isFlowEnd = (c: number) => c === COMMA || c === CLOSE_BRACKET || c === CLOSE_BRACE;

function lineEnd(text: string, from: number): number {
  const end = text.indexOf("\n", from);
  return end < 0 ? text.length : end;
}

/** The offset of the closing quote of the scalar opened at `from` (or the end of the text). */
function quoteEnd(text: string, from: number): number {
  const quote = text.charCodeAt(from);
  for (let i = from + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (quote === DOUBLE_QUOTE && c === BACKSLASH) i++;
    else if (c === quote) {
      if (quote === SINGLE_QUOTE && text.charCodeAt(i + 1) === SINGLE_QUOTE) i++;
      else return i;
    }
  }
  return text.length;
}

/** `|`, `>-`, `|2+`: indicators, then a blank, a comment or the end of the line. */
function isBlockScalarHeader(text: string, from: number): boolean {
  let i = from;
  while (i < text.length && /[-+0-9]/.test(text[i]!)) i++;
  return isBlankOrEnd(text.charCodeAt(i));
}

/** A block scalar's lines are those after its header that are blank or indented more than the header's line. */
function blockScalarEnd(text: string, header: number, parentIndent: number): number {
  let lineStart = lineEnd(text, header) + 1;
  while (lineStart < text.length) {
    let indent = 0;
    while (text.charCodeAt(lineStart + indent) === SPACE) indent++;
    const end = lineEnd(text, lineStart);
    const blank = text.slice(lineStart + indent, end).trim() === "";
    if (!blank && indent <= parentIndent) return lineStart - 1;
    lineStart = end + 1;
  }
  return text.length;
}
