// Reads a spec file safely. The `spec` stack setting names a file that a pull request can change,
// so it may only name a regular YAML file inside the project; a path given explicitly on the
// command line (`validate <file>`, `drift --spec <file>`) may be outside the repository when it is
// written so, but a path inside the repository that leads out of it (a symbolic link a pull
// request planted under a folder CI validates by glob, pointing at /etc/shadow) is refused. It is
// a regular file either way. Sizes are checked before and while reading (devices and /proc files
// report size 0), and no message quotes the file's content: only its path, escaped and cut.
// `readBoundedFile` gives other inputs a file names (the reviewed plan) the same treatment.
import { closeSync, constants, existsSync, fstatSync, lstatSync, openSync, readSync, realpathSync } from "node:fs";
import path from "node:path";
import { MAX_FILE_BYTES } from "../core/desired/yaml-source";
import { quote } from "../core/text";
import { MailboxAddressesError } from "../core/errors";
import { toolCommands } from "./commands-here";

/** Why a spec file was refused: the file, the cause and what to do. */
export class SpecFileError extends MailboxAddressesError {
  declare readonly file: string;
  declare readonly remedy: string;

  constructor(file: string, cause: string, remedy: string) {
    super(`${quote(file, 200)}: ${cause}; ${remedy}`, { file, remedy });
    this.name = "SpecFileError";
  }

  static isInstance(value: unknown): value is SpecFileError {
    return value instanceof Error && value.name === "SpecFileError";
  }
}

export interface ReadSpecOptions {
  /** The project directory: relative paths resolve against it, and the setting must stay inside it. */
  readonly root: string;
  /** True for a path the user typed on the command line: it may be outside the project. */
  readonly explicit: boolean;
  /** Largest file accepted, in bytes. */
  readonly maxBytes?: number;
}

const SETTING_REMEDY =
  "the `spec` setting names a .yaml or .yml file inside the project (pulumi config set spec infra/mailboxes.yaml)";

const mib = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;

function isInside(child: string, parent: string): boolean {
  const relative = path.relative(parent, child);
  return relative !== "" && !relative.startsWith("..") && !path.isAbsolute(relative);
}

/** The repository around `dir`: the nearest folder holding `.git`, else `dir` itself (the project). */
export function repositoryRoot(dir: string): string {
  for (let at = path.resolve(dir); ; at = path.dirname(at)) {
    if (existsSync(path.join(at, ".git"))) return at;
    if (path.dirname(at) === at) return path.resolve(dir);
  }
}

function realOrResolved(dir: string): string {
  try {
    return realpathSync(dir);
  } catch {
    return path.resolve(dir);
  }
}

function describeKind(stat: import("node:fs").Stats): string {
  if (stat.isDirectory()) return "a directory";
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return "a device";
  if (stat.isFIFO()) return "a named pipe";
  if (stat.isSocket()) return "a socket";
  return "not a regular file";
}

/** The spec file's bytes, or a {@link SpecFileError} saying why it was refused. */
export function readSpecFile(file: string, options: ReadSpecOptions): Buffer {
  const remedy = options.explicit ? "give the path of a spec file (.yaml)" : SETTING_REMEDY;
  return readBoundedFile(file, {
    ...options,
    maxBytes: options.maxBytes ?? MAX_FILE_BYTES,
    remedy,
    tooLarge: "split the tenant into several specs (one stack each)",
    extension: options.explicit ? undefined : { pattern: /\.ya?ml$/i, name: "a .yaml or .yml file" },
    outsideRemedy: options.explicit
      ? "name the file itself, not a link to it, or copy it into the repository"
      : `${SETTING_REMEDY}; to check a file elsewhere, name it on the command line: ${toolCommands().tool} validate <file>`,
  });
}

/** What {@link readBoundedFile} reads, refuses and says. */
export interface BoundedFileOptions extends ReadSpecOptions {
  readonly maxBytes: number;
  /** What to do about a path that is not a readable regular file. */
  readonly remedy: string;
  /** What to do about a file over the size limit. */
  readonly tooLarge: string;
  /** What to do about a path that leads outside the project or repository. */
  readonly outsideRemedy: string;
  /** The name a file that is not explicit must have. */
  readonly extension?: { readonly pattern: RegExp; readonly name: string };
}

/**
 * A file's bytes, at most `maxBytes`: a regular file (no device, pipe, directory or /proc file),
 * inside the project unless `explicit`, and, when explicit and written inside the repository,
 * not leading out of it through a symbolic link. The size is checked before reading and while
 * reading. Errors are {@link SpecFileError}s that name the path, never the content.
 */
export function readBoundedFile(file: string, options: BoundedFileOptions): Buffer {
  const { maxBytes, remedy } = options;
  if (file.includes("\0")) throw new SpecFileError(file, "the path contains a NUL character", remedy);
  const absolute = path.resolve(options.root, file);
  let real: string;
  try {
    lstatSync(absolute);
    real = realpathSync(absolute);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT")
      throw new SpecFileError(file, `the file does not exist (looked for ${quote(absolute, 200)})`, remedy);
    if (code === "ELOOP") throw new SpecFileError(file, "the path is a loop of symbolic links", remedy);
    if (code === "EACCES") throw new SpecFileError(file, "permission denied", "make the file readable by this user");
    throw new SpecFileError(file, `cannot be read (${code ?? "unknown error"})`, remedy);
  }
  if (!options.explicit) {
    const root = realOrResolved(options.root);
    if (!isInside(real, root))
      throw new SpecFileError(file, `the file is outside the project (${quote(root, 200)})`, options.outsideRemedy);
    if (options.extension && !options.extension.pattern.test(real))
      throw new SpecFileError(file, `the file is not ${options.extension.name}`, remedy);
  } else {
    // Written inside the repository, it must stay there: a link out of it is what a pull request
    // can plant (issue 25). A path written outside it was the user's own choice.
    const repository = repositoryRoot(options.root);
    const realRepository = realOrResolved(repository);
    const written = isInside(absolute, repository) || isInside(absolute, realRepository);
    if (written && !isInside(real, realRepository)) {
      throw new SpecFileError(
        file,
        `the path leads outside the repository (${quote(realRepository, 200)}) through a symbolic link`,
        options.outsideRemedy,
      );
    }
  }
  let fd: number;
  try {
    // Non-blocking: opening a named pipe must not wait for a writer.
    fd = openSync(real, constants.O_RDONLY | constants.O_NONBLOCK | (constants.O_NOFOLLOW ?? 0));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EISDIR") throw new SpecFileError(file, "is a directory, not a file", remedy);
    if (code === "EACCES") throw new SpecFileError(file, "permission denied", "make the file readable by this user");
    throw new SpecFileError(file, `cannot be opened (${code ?? "unknown error"})`, remedy);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new SpecFileError(file, `is ${describeKind(stat)}, not a regular file`, remedy);
    if (stat.size > maxBytes) {
      throw new SpecFileError(file, `the file is ${mib(stat.size)}; the limit is ${mib(maxBytes)}`, options.tooLarge);
    }
    // Read at most one byte more than allowed: a file that grows, or reports size 0, is still capped.
    const buffer = Buffer.alloc(Math.min(maxBytes + 1, Math.max(stat.size + 1, 64 * 1024)));
    let length = 0;
    let chunk = buffer;
    for (;;) {
      if (length === chunk.length) {
        if (chunk.length > maxBytes) break;
        const bigger = Buffer.alloc(Math.min(maxBytes + 1, chunk.length * 2));
        chunk.copy(bigger, 0, 0, length);
        chunk = bigger;
      }
      const n = readSync(fd, chunk, length, chunk.length - length, null);
      if (n === 0) break;
      length += n;
    }
    if (length > maxBytes) {
      throw new SpecFileError(file, `the file is larger than the limit of ${mib(maxBytes)}`, options.tooLarge);
    }
    return chunk.subarray(0, length);
  } catch (err) {
    if (SpecFileError.isInstance(err)) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EAGAIN") throw new SpecFileError(file, "is not a regular file (reading would block)", remedy);
    throw new SpecFileError(file, `cannot be read (${code ?? "unknown error"})`, remedy);
  } finally {
    closeSync(fd);
  }
}
