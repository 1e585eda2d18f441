// Safe YAML parsing that keeps source positions. Hostile input (anchor bombs, deep nesting,
// custom tags, huge files) gets a clear problem, fast, with bounded memory. Pure: takes text.
import {
  Document,
  LineCounter,
  isAlias,
  isMap,
  isNode,
  isScalar,
  isSeq,
  parseDocument,
  visit,
  type Node,
  type YAMLError,
} from "yaml";
import type { DocumentPath, SourcePosition, SpecProblem } from "../problems";
import { quote } from "../text";

/** Largest spec file accepted: 100,000 mailboxes with a few aliases each fit in well under this. */
export const MAX_FILE_BYTES = 32 * 1024 * 1024;
/** Deepest nesting accepted. A spec needs four levels; anything deeper is a mistake or an attack. */
export const MAX_DEPTH = 16;

/**
 * The entries of the top-level block mapping `key` (`mailboxes:` followed by one indented
 * `identity:` line per mailbox), counted from the text, before any document is built: the lines
 * at the entries' indentation that are not comments. A 16 MB spec of 300,000 entries was refused
 * at the schema's limit only after 13 s and 1.4 GB of parsing (issue 25); this pass takes
 * milliseconds and no memory beyond the text. Undefined when `key` is not written that way (a
 * flow mapping, a quoted key): the schema's limit still applies after parsing.
 */
export function countBlockEntries(text: string, key: string): { count: number; line: number } | undefined {
  const header = new RegExp(`^${key}[ \\t]*:[ \\t]*(?:#.*)?$`, "m").exec(text);
  if (header === null) return undefined;
  const line = countLines(text, header.index);
  let at = text.indexOf("\n", header.index);
  let indent = -1;
  let count = 0;
  while (at !== -1 && at < text.length) {
    const start = at + 1;
    const end = text.indexOf("\n", start);
    const stop = end === -1 ? text.length : end;
    let spaces = 0;
    while (start + spaces < stop && text.charCodeAt(start + spaces) === 32) spaces++;
    const first = text[start + spaces];
    const blank = start + spaces >= stop || first === "\r" || first === "#";
    if (!blank) {
      if (indent === -1) {
        if (spaces === 0 || first === "-") return undefined;
        indent = spaces;
      }
      if (spaces < indent) break;
      if (spaces === indent) count++;
    }
    at = end;
  }
  return { count, line };
}

function countLines(text: string, offset: number): number {
  let lines = 1;
  for (let i = text.indexOf("\n"); i !== -1 && i < offset; i = text.indexOf("\n", i + 1)) lines++;
  return lines;
}

/** A parsed YAML document with its positions. */
export class YamlSource {
  readonly file: string;
  readonly document: Document.Parsed;
  readonly text: string;
  readonly #lines: LineCounter;
  /** Keys of each mapping, indexed on first lookup: positions of 100,000 mailboxes stay O(1) each. */
  readonly #keyIndex = new WeakMap<object, Map<string, { key: unknown; value: unknown }>>();

  constructor(file: string, text: string, document: Document.Parsed, lines: LineCounter) {
    this.file = file;
    this.text = text;
    this.document = document;
    this.#lines = lines;
  }

  /** The position of a character offset. */
  positionAt(offset: number): SourcePosition {
    const { line, col } = this.#lines.linePos(offset);
    return { line, col };
  }

  /**
   * The position of the node at `path`, or of its key when `key` is set (for problems about the
   * key itself: unknown keys, bad identities). Falls back to the nearest existing parent.
   */
  positionOf(path: DocumentPath, key = false): SourcePosition {
    let node: unknown = this.document.contents;
    let keyNode: unknown;
    let position = this.positionAt(rangeStart(node) ?? 0);
    for (const segment of path) {
      const next = this.#childOf(node, segment);
      if (next === undefined) return position;
      keyNode = next.key;
      node = next.value;
      // An empty value ("key:" and nothing after) has no place of its own: point at its key.
      const empty = node === null || (isScalar(node) && node.value === null && node.range?.[0] === node.range?.[1]);
      const start = rangeStart(key || empty ? (keyNode ?? node) : (node ?? keyNode)) ?? rangeStart(keyNode);
      if (start !== undefined) position = this.positionAt(start);
    }
    return position;
  }

  /**
   * The position of the character at `index` of the string value at `path` (a token inside a
   * policy template). Exact for plain and quoted scalars without escapes; otherwise the value's
   * start, which still names the right line.
   */
  positionInScalar(path: DocumentPath, index: number): SourcePosition {
    let node: unknown = this.document.contents;
    for (const segment of path) {
      const next = this.#childOf(node, segment);
      if (next === undefined) return this.positionOf(path);
      node = next.value;
    }
    if (!isScalar(node) || !node.range || typeof node.value !== "string") return this.positionOf(path);
    const [start, end] = node.range;
    const quoted = node.type === "QUOTE_DOUBLE" || node.type === "QUOTE_SINGLE";
    const raw = this.text.slice(quoted ? start + 1 : start, quoted ? end - 1 : end);
    if (raw !== node.value) return this.positionAt(start);
    return this.positionAt((quoted ? start + 1 : start) + Math.max(0, Math.min(index, node.value.length)));
  }

  #childOf(node: unknown, segment: string | number): { key: unknown; value: unknown } | undefined {
    if (isMap(node)) {
      let index = this.#keyIndex.get(node);
      if (index === undefined) {
        index = new Map();
        for (const pair of node.items) {
          const name = isScalar(pair.key) ? String(pair.key.value) : undefined;
          if (name !== undefined && !index.has(name)) index.set(name, { key: pair.key, value: pair.value });
        }
        this.#keyIndex.set(node, index);
      }
      return index.get(String(segment));
    }
    if (isSeq(node) && typeof segment === "number") {
      const item = node.items[segment];
      return item === undefined ? undefined : { key: undefined, value: item };
    }
    return undefined;
  }

  /** The JavaScript value of the document (call only after {@link parseYamlSafely} found no problem). */
  toJS(): unknown {
    return this.document.toJS({ maxAliasCount: 0 });
  }
}

function rangeStart(node: unknown): number | undefined {
  return isNode(node) && node.range ? node.range[0] : undefined;
}

const DUPLICATE_KEY_MESSAGE =
  "this key appears twice in the same mapping; keep one (for a mailbox, merge the two entries)";

/** Messages for the YAML parser's error codes, in an admin's words. */
function describeYamlError(error: YAMLError): string {
  const first = error.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "");
  switch (error.code) {
    case "TAB_AS_INDENT":
      return "a tab is used for indentation; YAML allows only spaces there";
    case "DUPLICATE_KEY":
      return DUPLICATE_KEY_MESSAGE;
    case "MULTIPLE_DOCS":
      return 'the file holds more than one YAML document ("---"); a spec is one document';
    case "RESOURCE_EXHAUSTION":
      return `the file nests too deeply (a spec needs at most ${MAX_DEPTH} levels)`;
    case "BAD_INDENT":
    case "MISSING_CHAR":
    case "UNEXPECTED_TOKEN":
    case "BLOCK_AS_IMPLICIT_KEY":
    case "MULTILINE_IMPLICIT_KEY":
    case "BAD_SCALAR_START":
      return `YAML syntax: ${quote(first, 160).slice(1, -1)}`;
    default:
      return `YAML: ${quote(first, 160).slice(1, -1)}`;
  }
}

/** Flow collections nested deeper than this are refused before parsing (well below any runtime's stack). */
const MAX_FLOW_SCAN_DEPTH = 64;

/**
 * Where the first flow collection deeper than {@link MAX_FLOW_SCAN_DEPTH} opens, if one does:
 * `[` and `{` outside quotes and comments. A bracket inside a block scalar counts too, which is
 * harmless at that depth.
 */
function flowTooDeep(body: string): number | undefined {
  let depth = 0;
  for (let i = 0; i < body.length; i++) {
    const ch = body[i];
    if (ch === "[" || ch === "{") {
      depth++;
      if (depth > MAX_FLOW_SCAN_DEPTH) return i;
    } else if ((ch === "]" || ch === "}") && depth > 0) depth--;
    else if (ch === "#" && (i === 0 || /\s/.test(body[i - 1]!))) {
      const end = body.indexOf("\n", i);
      i = end < 0 ? body.length : end;
    } else if (ch === '"' || (ch === "'" && (i === 0 || /[\s[{,:]/.test(body[i - 1]!)))) {
      for (i++; i < body.length && body[i] !== ch; i++) if (ch === '"' && body[i] === "\\") i++;
    }
  }
  return undefined;
}

/** The tags of YAML's core schema: the only ones a spec may spell out. */
const CORE_TAGS = new Set(["str", "int", "float", "bool", "null", "map", "seq"].map((t) => `tag:yaml.org,2002:${t}`));

/**
 * Parses `text` as one YAML document. Returns the source, or the problems that make it unusable
 * (syntax, size, anchors and aliases, custom tags, nesting). Problems carry positions.
 */
export function parseYamlSafely(file: string, text: string): { source?: YamlSource; problems: SpecProblem[] } {
  const at = (position: SourcePosition, message: string, path: DocumentPath = []): SpecProblem => ({
    file,
    position,
    path,
    message,
  });
  const bytes = Buffer.byteLength(text, "utf8");
  if (bytes > MAX_FILE_BYTES) {
    const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;
    return {
      problems: [
        at(
          { line: 1, col: 1 },
          `the file is ${mb(bytes)}; the limit is ${mb(MAX_FILE_BYTES)}. Split the tenant into several specs`,
        ),
      ],
    };
  }
  // A byte-order mark is harmless; drop it so columns on line 1 match what an editor shows.
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const lines = new LineCounter();
  // Deep flow nesting ([[[[…) is refused before the parser recurses into it: the parser stops
  // where the runtime's stack runs out, a place that differs between Node versions.
  const tooDeep = flowTooDeep(body);
  if (tooDeep !== undefined) {
    lines.addNewLine(0);
    for (let i = body.indexOf("\n"); i >= 0; i = body.indexOf("\n", i + 1)) lines.addNewLine(i + 1);
    const { line, col } = lines.linePos(tooDeep);
    return { problems: [at({ line, col }, `the file nests too deeply (a spec needs at most ${MAX_DEPTH} levels)`)] };
  }
  const document = parseDocument(body, {
    lineCounter: lines,
    // The parser's own duplicate-key check is quadratic (100,000 mailboxes would take minutes):
    // duplicates are found below, in one pass per mapping.
    uniqueKeys: false,
    prettyErrors: false,
    strict: true,
    merge: false,
    version: "1.2",
    customTags: [],
  });
  const source = new YamlSource(file, body, document, lines);
  const problems: SpecProblem[] = document.errors.map((error) =>
    at(source.positionAt(error.pos[0]), describeYamlError(error)),
  );
  if (problems.length > 0) return { problems };

  visit(document, {
    Node(_key, node, path) {
      const start = node.range?.[0] ?? 0;
      // Looked up only for a problem: most nodes have none (a binary search each, 30,000 nodes at 10,000 mailboxes).
      const where = () => source.positionAt(start);
      // Anchors and tags stand before the value they mark; point at them, not at the value.
      const before = (marker: string) => {
        let at = Math.max(0, body.lastIndexOf(marker, start));
        while (at > 0 && body[at - 1] === marker) at--; // "!!tag" starts at the first "!"
        return source.positionAt(at);
      };
      if (isAlias(node)) {
        problems.push(
          at(
            where(),
            `an alias (*${quote(node.source).slice(1, -1)}) is used; anchors and aliases are not allowed in a spec, write the value out`,
          ),
        );
        return visit.SKIP;
      }
      if (node.anchor) {
        problems.push(
          at(
            before(`&${node.anchor}`),
            `an anchor (&${quote(node.anchor).slice(1, -1)}) is defined; anchors and aliases are not allowed in a spec, write the value out`,
          ),
        );
      }
      if (node.tag && !CORE_TAGS.has(node.tag)) {
        problems.push(
          at(
            before("!"),
            `the custom tag ${quote(node.tag).slice(1, -1)} is not allowed; a spec holds plain strings, lists and mappings`,
          ),
        );
        return visit.SKIP;
      }
      if (isMap(node)) {
        const seen = new Set<string>();
        for (const pair of node.items) {
          if (!isScalar(pair.key)) continue;
          const name = String(pair.key.value);
          if (seen.has(name)) problems.push(at(source.positionAt(pair.key.range?.[0] ?? 0), DUPLICATE_KEY_MESSAGE));
          seen.add(name);
        }
      }
      const depth = path.filter((ancestor) => isMap(ancestor) || isSeq(ancestor)).length;
      if ((isMap(node) || isSeq(node)) && depth >= MAX_DEPTH) {
        problems.push(at(where(), `the file nests too deeply (a spec needs at most ${MAX_DEPTH} levels)`));
        return visit.BREAK;
      }
      return undefined;
    },
    Pair(_key, pair) {
      if (isNode(pair.key) && !isScalar(pair.key)) {
        const where = source.positionAt((pair.key as Node).range?.[0] ?? 0);
        problems.push(at(where, "a key is a list or mapping; keys in a spec are plain strings"));
        return visit.SKIP;
      }
      return undefined;
    },
  });
  return problems.length > 0 ? { problems } : { source, problems };
}
