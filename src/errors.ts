/**
 * The domain errors hexpub throws. `main.ts` maps them to text and exit codes in
 * one place (`src/ui/format_error.ts`); nothing below `main.ts` exits.
 *
 * @module
 */

/** A place in a file that an error points at. */
export interface Where {
  /**
   * The file's absolute path (or a name, for text that is not a file); the ui
   * shows it relative to the working directory when it is inside it.
   */
  file: string;
  /** 1-based line. */
  line?: number;
  /** 1-based column. */
  column?: number;
}

/** Options common to hexpub's errors. */
export interface HexpubErrorOptions {
  /** A line telling the user exactly how to fix it ("Pass --app NAME"). */
  hint?: string;
  /** Where in a file the problem is. */
  where?: Where;
  /** The error this one wraps. */
  cause?: unknown;
}

/** Base class: a failure hexpub explains to the user (exit code 1 unless a subclass says otherwise). */
export class HexpubError extends Error {
  /** How to fix it. */
  readonly hint?: string;
  /** Where the problem is. */
  readonly where?: Where;
  /** The process exit code main.ts uses. */
  readonly exitCode: number = 1;

  constructor(message: string, options: HexpubErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "HexpubError";
    this.hint = options.hint;
    this.where = options.where;
  }
}

/** Bad flags or arguments, or a prompt that cannot be answered without a terminal (exit 2). */
export class UsageError extends HexpubError {
  override readonly exitCode: number = 2;
  constructor(message: string, options: HexpubErrorOptions = {}) {
    super(message, options);
    this.name = "UsageError";
  }
}

/** Credentials are missing, expired or refused (exit 4). */
export class AuthError extends HexpubError {
  override readonly exitCode: number = 4;
  constructor(message: string, options: HexpubErrorOptions = {}) {
    super(message, options);
    this.name = "AuthError";
  }
}

/** The user answered no at a confirmation prompt (exit 3). */
export class DeclinedError extends HexpubError {
  override readonly exitCode: number = 3;
  constructor(message = "declined at the prompt", options: HexpubErrorOptions = {}) {
    super(message, options);
    this.name = "DeclinedError";
  }
}

/** The user cancelled (Ctrl-C at a prompt), exit 130. */
export class CancelledError extends HexpubError {
  override readonly exitCode: number = 130;
  constructor(message = "cancelled", options: HexpubErrorOptions = {}) {
    super(message, options);
    this.name = "CancelledError";
  }
}

/** A rebar3 project that cannot be read or packaged as it is (exit 1). */
export class ProjectError extends HexpubError {
  constructor(message: string, options: HexpubErrorOptions = {}) {
    super(message, options);
    this.name = "ProjectError";
  }
}

/** Erlang term text that does not parse (exit 1). */
export class TermSyntaxError extends HexpubError {
  constructor(message: string, options: HexpubErrorOptions & { where: Where }) {
    super(message, options);
    this.name = "TermSyntaxError";
  }
}

/** One finding of package validation. */
export interface Problem {
  /** `error` stops the build; `warning` is printed (and stops it under `--strict`). */
  level: "error" | "warning";
  /** The metadata field or input the finding is about (`version`, `licenses`, `requirements.cowboy`). */
  field: string;
  /** What is wrong, in a sentence. */
  message: string;
  /** How to fix it. */
  hint?: string;
  /** Where the offending value is written. */
  where?: Where;
  /**
   * Set on a warning that breaks a rule of the target repository rather than
   * of the tarball format (hex.pm's SPDX licences, say): that repository's
   * name. `build` writes the tarball anyway; `publish` and `cut` to that
   * repository stop on it as on an error.
   */
  refusedBy?: string;
}

/** Validation found errors (or warnings under `--strict`), exit 1. */
export class ValidationError extends HexpubError {
  /** Every finding, errors and warnings. */
  readonly problems: Problem[];
  constructor(message: string, problems: Problem[], options: HexpubErrorOptions = {}) {
    super(message, options);
    this.name = "ValidationError";
    this.problems = problems;
  }
}

/** Why a tarball could not be made or read. */
export type TarballReason =
  | "too_big"
  | "too_big_uncompressed"
  | "metadata_too_big"
  | "unsafe_path"
  | "unsafe_symlink"
  | "unsupported_file_type"
  | "conflicting_entries"
  | "reserved_file"
  | "missing_index_html"
  | "empty"
  | "invalid_docs"
  | "invalid_metadata"
  | "invalid_tarball";

/**
 * A package or docs tarball that cannot be made as asked, or whose content is
 * wrong (unsafe or colliding entries, bad metadata, over a size limit): bad
 * input data, exit 1 as README's exit codes say, never "bad usage".
 */
export class TarballError extends HexpubError {
  /** A stable code tests assert on. */
  readonly reason: TarballReason;
  constructor(reason: TarballReason, message: string, options: HexpubErrorOptions = {}) {
    super(message, options);
    this.name = "TarballError";
    this.reason = reason;
  }
}
