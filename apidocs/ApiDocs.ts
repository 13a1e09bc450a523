/**
 * The API reference (issue #20): TypeDoc with typedoc-plugin-markdown renders the public entry points of
 * every publishable package (`packages/*`: each `exports` key of its package.json, through the
 * `@hookline/source` condition) as Markdown into `docs/api`, and refuses a reference with
 *
 * - a public export (an entry point's export, or a namespace member re-exported through one) without
 *   `@since`;
 * - a broken link: a `{@link X}` TypeDoc cannot resolve, a relative Markdown link `[text](path)` to no
 *   file;
 * - a ` ```ts ` block in a public export's doc comment (`@example` or prose) that does not compile: the
 *   rules of the docs' blocks (test-support/DocBlocks.ts: strict, `noUnusedLocals`, `nodenext`, each
 *   block a module of its own; ` ```ts fragment ` is skipped);
 * - (with `--check`) a committed `docs/api` that differs from what would be generated.
 *
 * `npm run docs` writes the reference; `npm run docs:check` (`npm run docs -- --check`) generates into
 * a temporary folder and compares. Why TypeDoc and not `@effect/docgen`: docs/testing.md.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import {
  Application,
  type Comment,
  type CommentDisplayPart,
  ConsoleLogger,
  type Context,
  Converter,
  DeclarationReflection,
  LogLevel,
  type ProjectReflection,
  type Reflection,
  ReflectionKind,
  type SignatureReflection,
  type TypeDocOptions,
  TypeScript as ts
} from "typedoc"
import type { PluginOptions } from "typedoc-plugin-markdown"
import { blocksOf, compilerOptions, modulesOf } from "../test-support/DocBlocks.ts"

/** The repository's root folder. */
export const repoRoot = fileURLToPath(new URL("..", import.meta.url))

/** Where `npm run docs` writes the reference, relative to the root. */
export const outDir = "docs/api"

/** One public entry point: the specifier a user imports and the source file behind it. */
export interface EntryPoint {
  /** `@hookline/core`, `@hookline/core/node`, … */
  readonly name: string
  /** The source file, relative to the root (`packages/core/src/node.ts`). */
  readonly file: string
}

/** A reason the reference is refused: where (`file:line` or a generated file) and what. */
export interface Problem {
  readonly where: string
  readonly message: string
}

interface PackageJson {
  readonly name: string
  readonly private?: boolean
  readonly exports?: Record<string, string | null | Record<string, string | null>>
}

/**
 * The public entry points of every publishable package under `root/packages`: each `exports` key
 * except `./package.json` and blocked or wildcard paths (`./internal/*`), resolved to its source
 * through the `@hookline/source` condition.
 */
export const entryPoints = (root = repoRoot): ReadonlyArray<EntryPoint> =>
  readdirSync(path.join(root, "packages"), { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(path.join(root, "packages", entry.name, "package.json")))
    .map((entry) => entry.name)
    .sort()
    .flatMap((dir) => {
      const json = JSON.parse(readFileSync(path.join(root, "packages", dir, "package.json"), "utf8")) as PackageJson
      if (json.private === true) return []
      return Object.entries(json.exports ?? {}).flatMap(([key, target]): Array<EntryPoint> => {
        if (key === "./package.json" || key.includes("*") || target === null || typeof target === "string") return []
        const source = target["@hookline/source"]
        if (typeof source !== "string" || target["default"] === null) return []
        return [{
          name: key === "." ? json.name : `${json.name}/${key.slice(2)}`,
          file: path.posix.join("packages", dir, source)
        }]
      })
    })

// TypeDoc's warnings and errors, with their `file:line` context, collected instead of printed.
class CollectingLogger extends ConsoleLogger {
  readonly messages: Array<string> = []
  override log(message: string, level: Exclude<LogLevel, LogLevel.None>): void {
    // eslint-disable-next-line no-control-regex
    if (level >= LogLevel.Warn) this.messages.push(message.replace(/\u001b\[[0-9;]*m/g, ""))
  }
}

// Kinds a user imports by name: what needs `@since`. Members of interfaces and classes, parameters and
// the like are documented by their owner.
const exportKinds = ReflectionKind.Namespace | ReflectionKind.Enum | ReflectionKind.Variable |
  ReflectionKind.Function | ReflectionKind.Class | ReflectionKind.Interface | ReflectionKind.TypeAlias

// The reflection's comment, or its first signature's (TypeDoc keeps a function's comment there).
const commentsOf = (reflection: Reflection): ReadonlyArray<Comment> => {
  const comments: Array<Comment> = []
  if (reflection.comment !== undefined) comments.push(reflection.comment)
  if (reflection instanceof DeclarationReflection) {
    const signatures: ReadonlyArray<SignatureReflection> = [
      ...(reflection.signatures ?? []),
      ...(reflection.getSignature === undefined ? [] : [reflection.getSignature]),
      ...(reflection.setSignature === undefined ? [] : [reflection.setSignature])
    ]
    for (const signature of signatures) if (signature.comment !== undefined) comments.push(signature.comment)
  }
  return comments
}

const locationOf = (
  root: string,
  reflection: Reflection
): { readonly file: string; readonly line: number } | undefined => {
  const source = reflection instanceof DeclarationReflection
    ? reflection.sources?.[0] ?? reflection.signatures?.[0]?.sources?.[0]
    : reflection.isDeclaration() || !("sources" in reflection)
    ? undefined
    : (reflection as SignatureReflection).sources?.[0]
  return source === undefined ? undefined : { file: path.relative(root, source.fullFileName), line: source.line }
}

const displayName = (reflection: Reflection): string => {
  const parts: Array<string> = []
  for (let at: Reflection | undefined = reflection; at !== undefined && !at.isProject(); at = at.parent) {
    parts.unshift(at.name)
  }
  return parts.join(".")
}

// The public exports: the entry modules' children and, recursively, the members of re-exported namespaces.
const publicExports = (project: ProjectReflection): ReadonlyArray<DeclarationReflection> => {
  const out: Array<DeclarationReflection> = []
  const visit = (owner: DeclarationReflection | ProjectReflection) => {
    for (const child of owner.children ?? []) {
      if (child.kindOf(ReflectionKind.Module)) visit(child)
      else if (child.kindOf(exportKinds)) {
        out.push(child)
        if (child.kindOf(ReflectionKind.Namespace)) visit(child)
      }
    }
  }
  visit(project)
  return out
}

// What an export's page also shows: its members (properties, methods, signatures, parameters), whose
// comments may hold links and blocks too. A namespace's members are exports of their own.
const membersOf = (reflection: Reflection): ReadonlyArray<Reflection> => {
  const out: Array<Reflection> = []
  reflection.traverse((child) => {
    if (child.kindOf(ReflectionKind.Namespace | ReflectionKind.Module)) return true
    out.push(child, ...membersOf(child))
    return true
  })
  return out
}

const hasSince = (reflection: Reflection): boolean =>
  commentsOf(reflection).some((comment) => comment.blockTags.some((tag) => tag.tag === "@since"))

// A fenced code part: its info string and its code.
const fenced = /^```([^\n]*)\n([\s\S]*?)\n?```$/

interface Example {
  readonly file: string
  readonly line: number
  readonly code: string
}

// The line of a block's first code line in its source file: the doc comment's fence whose following
// lines are the code, nearest above the declaration (module comments: anywhere in the file).
const lineOfBlock = (text: string, code: string, before: number | undefined): number | undefined => {
  const lines = text.split("\n").map((line) => line.replace(/^\s*\*( |$)/, ""))
  const codeLines = code.split("\n")
  const candidates: Array<number> = []
  for (let i = 0; i < lines.length; i++) {
    if (!/^\s*```/.test(lines[i]!)) continue
    if (codeLines.every((codeLine, j) => (lines[i + 1 + j] ?? "").trimEnd() === codeLine.trimEnd())) {
      candidates.push(i + 2)
    }
  }
  if (before === undefined) return candidates[0]
  return candidates.filter((line) => line <= before).at(-1) ?? candidates[0]
}

const examplesOf = (
  root: string,
  reflection: Reflection,
  location: { readonly file: string; readonly line: number }
) => {
  const out: Array<Example> = []
  const text = readFileSync(path.join(root, location.file), "utf8")
  for (const comment of commentsOf(reflection)) {
    const parts: ReadonlyArray<CommentDisplayPart> = [
      ...comment.summary,
      ...comment.blockTags.flatMap((tag) => tag.content)
    ]
    for (const part of parts) {
      if (part.kind !== "code") continue
      const match = fenced.exec(part.text)
      if (match === null) continue
      const info = match[1]!.trim().split(/\s+/)
      if (!["ts", "typescript"].includes(info[0]!) || info.includes("fragment")) continue
      const before = reflection.kindOf(ReflectionKind.Module | ReflectionKind.Namespace) ? undefined : location.line
      const line = lineOfBlock(text, match[2]!, before)
      out.push({ file: location.file, line: line ?? location.line, code: match[2]! })
    }
  }
  return out
}

// Effect's convention, which the sources follow: a file's first doc comment is its module's documentation
// (TypeDoc only takes it with an @module tag). It is the module's when a second doc comment follows
// before the first statement, or when that statement is an import.
const moduleDocblock = (
  file: ts.SourceFile
): { readonly range: ts.CommentRange; readonly last: boolean } | undefined => {
  const first = file.statements[0]
  if (first === undefined) return undefined
  const docs = (ts.getLeadingCommentRanges(file.text, first.pos) ?? []).filter((range) =>
    range.kind === ts.SyntaxKind.MultiLineCommentTrivia && file.text.startsWith("/**", range.pos) &&
    !file.text.startsWith("/**/", range.pos)
  )
  if (docs.length === 0) return undefined
  if (docs.length === 1 && !ts.isImportDeclaration(first)) return undefined
  return { range: docs[0]!, last: docs.length === 1 }
}

// The module docblock as a comment TypeDoc parsed (links, code blocks, tags). When it is the last doc
// comment before the first statement, TypeDoc reads it off that statement, so `{@link X}` resolves
// through the file's imports; otherwise it is read as the only comment of a stand-in file that keeps
// the original lines (warnings point at the right place; links resolve by declaration name).
const moduleComment = (context: Context, file: ts.SourceFile): Comment | undefined => {
  const docblock = moduleDocblock(file)
  if (docblock === undefined) return undefined
  const { last, range } = docblock
  if (last) return context.getNodeComment(file.statements[0]!, false)
  const text = file.text.slice(0, range.pos).replace(/[^\n]/g, " ") + file.text.slice(range.pos, range.end) +
    "\nexport {}\n"
  const standIn = ts.createSourceFile(file.fileName, text, ts.ScriptTarget.Latest, true)
  return context.getNodeComment(standIn.statements[0]!, false)
}

// A module's or namespace's page gets its file's docblock: the summary, and the tags the comment on
// `export * as X` (usually just `@since`) does not already have.
const withModuleComment = (context: Context, reflection: DeclarationReflection): void => {
  if (!reflection.kindOf(ReflectionKind.Module | ReflectionKind.Namespace)) return
  const file = context.getSymbolFromReflection(reflection)?.declarations?.find(ts.isSourceFile)
  const fromFile = file === undefined ? undefined : moduleComment(context, file)
  if (fromFile === undefined) return
  const own = reflection.comment
  if (own === undefined) {
    reflection.comment = fromFile
    return
  }
  if (own.summary.length === 0 || own.summary.every((part) => part.text.trim() === "")) own.summary = fromFile.summary
  for (const tag of fromFile.blockTags) if (!own.blockTags.some((mine) => mine.tag === tag.tag)) own.blockTags.push(tag)
  for (const modifier of fromFile.modifierTags) own.modifierTags.add(modifier)
}

// `const { Claimed, InFlight } = Data.taggedEnum<…>()` then `export { /** … */ Claimed, … }`: the binding has
// no comment of its own and TypeDoc does not read the specifier's, so the export's is taken here.
const withSpecifierComment = (context: Context, reflection: DeclarationReflection): void => {
  if (reflection.comment !== undefined || reflection.parent === undefined) return
  const file = context.getSymbolFromReflection(reflection.parent)?.declarations?.find(ts.isSourceFile)
  if (file === undefined) return
  for (const statement of file.statements) {
    if (!ts.isExportDeclaration(statement) || statement.exportClause === undefined) continue
    if (!ts.isNamedExports(statement.exportClause)) continue
    const specifier = statement.exportClause.elements.find((element) => element.name.text === reflection.name)
    if (specifier === undefined) continue
    const comment = context.getNodeComment(specifier, false)
    if (comment !== undefined) reflection.comment = comment
    return
  }
}

// Relative Markdown links in a comment (`[the guide](../../docs/guide.md)`): TypeDoc resolves each to a
// file it copies beside the reference, and leaves the target empty when there is no such file.
const brokenMarkdownLinks = (
  root: string,
  reflection: Reflection,
  location: { readonly file: string; readonly line: number }
): ReadonlyArray<Problem> =>
  commentsOf(reflection).flatMap((comment) =>
    [...comment.summary, ...comment.blockTags.flatMap((tag) => tag.content)].flatMap((part): Array<Problem> =>
      part.kind === "relative-link" && part.target === undefined
        ? [{
          where: `${location.file}:${location.line}`,
          message: `${displayName(reflection)}: the Markdown link to ${part.text} names no file (relative to ${
            path.relative(root, path.dirname(path.join(root, location.file))) || "."
          })`
        }]
        : []
    )
  )

// Where the blocks' modules live (in memory only): inside the repository, so that `@hookline/*`,
// `effect` and the rest resolve from its node_modules and the root package.json makes them ESM.
const blocksDir = path.join(repoRoot, "apidocs", ".blocks")

/**
 * Type-checks doc comments' TypeScript blocks with the rules of the docs' blocks (each block a module;
 * strict, `noUnusedLocals`, `nodenext`, `@hookline/*` from the sources). In process, and only the
 * blocks' own files: a `tsc` run would check every workspace source the blocks import as well.
 */
export const compileBlocks = (
  examples: ReadonlyArray<{ readonly file: string; readonly line: number; readonly code: string }>,
  parsed?: ts.Program
): ReadonlyArray<Problem> => {
  // Each block a page of its own, its fence on the block's line in the source file.
  const modules = examples.flatMap((example, index) =>
    modulesOf(
      blocksOf(example.file, `${"\n".repeat(Math.max(0, example.line - 2))}\`\`\`ts\n${example.code}\n\`\`\`\n`),
      (block) => path.join(blocksDir, `example${index}-${block}.ts`)
    )
  )
  const { options, errors } = ts.convertCompilerOptionsFromJson(compilerOptions, repoRoot)
  if (errors.length > 0) throw new Error(ts.formatDiagnostics(errors, ts.createCompilerHost({})))
  const texts = new Map(modules.map((module) => [path.resolve(module.file), module.text]))
  const host = ts.createCompilerHost(options)
  const { fileExists, readFile, getSourceFile } = host
  host.fileExists = (file) => texts.has(path.resolve(file)) || fileExists.call(host, file)
  host.readFile = (file) => texts.get(path.resolve(file)) ?? readFile.call(host, file)
  host.getSourceFile = (file, language, ...rest) => {
    const text = texts.get(path.resolve(file))
    if (text !== undefined) return ts.createSourceFile(file, text, language, true)
    // TypeDoc's program already parsed the sources and Effect's declarations, with the same target.
    return parsed?.getSourceFile(file) ?? getSourceFile.call(host, file, language, ...rest)
  }
  const program = ts.createProgram([...texts.keys()], options, host)
  const problems: Array<Problem> = []
  for (const module of modules) {
    const source = program.getSourceFile(module.file)!
    const diagnostics = [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)]
    for (const diagnostic of diagnostics) {
      const line = source.getLineAndCharacterOfPosition(diagnostic.start ?? 0).line + 1 - module.contextLines
      problems.push({
        where: `${module.block.page}:${module.block.line + Math.max(line, 1) - 1}`,
        message: `error TS${diagnostic.code}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, " ")}`
      })
    }
  }
  return problems
}

/** What one generation found and wrote. */
export interface Result {
  readonly problems: ReadonlyArray<Problem>
  readonly entryPoints: ReadonlyArray<EntryPoint>
  /** Public exports seen (counted once per entry point that exports them). */
  readonly exports: number
  /** ` ```ts ` blocks compiled. */
  readonly examples: number
  /** Seconds spent per phase: TypeDoc's conversion, compiling the blocks, rendering. */
  readonly timings: { readonly convert: number; readonly examples: number; readonly render: number }
}

/**
 * Generates the reference of `root`'s packages into `out` (an absolute folder, emptied first) and
 * returns the problems found. Nothing is written when TypeDoc cannot convert the sources.
 */
export const generate = async (options: { readonly root?: string; readonly out: string }): Promise<Result> => {
  const root = options.root ?? repoRoot
  const entries = entryPoints(root)
  const cache = path.join(repoRoot, "node_modules", ".cache")
  mkdirSync(cache, { recursive: true })
  const scratch = mkdtempSync(path.join(cache, "hookline-apidocs-"))
  try {
    // One program over the packages' entry points, resolved as the tests resolve them.
    const tsconfig = path.join(scratch, "tsconfig.json")
    writeFileSync(
      tsconfig,
      JSON.stringify({
        extends: path.join(repoRoot, "tsconfig.base.json"),
        compilerOptions: {
          noEmit: true,
          composite: false,
          incremental: false,
          declaration: false,
          declarationMap: false,
          customConditions: ["@hookline/source"]
        },
        // The entry points and what they import: the public API, nothing else.
        files: entries.map((entry) => path.join(root, entry.file))
      })
    )
    const logger = new CollectingLogger()
    const settings: TypeDocOptions & Partial<PluginOptions> = {
      tsconfig,
      entryPoints: entries.map((entry) => path.join(root, entry.file)),
      entryPointStrategy: "resolve",
      plugin: ["typedoc-plugin-markdown"],
      outputs: [{ name: "markdown", path: options.out }],
      name: "hookline API reference",
      readme: "none",
      // Sources are kept (the checks locate code blocks by them) but never looked up in git: a
      // clone without a usable remote (CI, a fresh clone from a path) would warn about the links.
      disableGit: true,
      sourceLinkTemplate: "{path}#L{line}",
      entryFileName: "README.md",
      outputFileStrategy: "modules",
      categorizeByGroup: true,
      hidePageHeader: true,
      hideBreadcrumbs: true,
      useCodeBlocks: true,
      excludeExternals: true,
      excludePrivate: true,
      excludeProtected: true,
      excludeInternal: true,
      skipErrorChecking: true,
      // Sources, never a package's built `dist/` (which may be missing, or being rebuilt by the
      // packaging tests): TypeDoc does not take `customConditions` over from the tsconfig.
      compilerOptions: { customConditions: ["@hookline/source"] },
      logLevel: "Warn",
      validation: { invalidLink: true, rewrittenLink: true, notExported: false, notDocumented: false }
    }
    const app = await Application.bootstrapWithPlugins(settings, [])
    app.logger = logger
    // Each entry module is named by its import specifier, not by its file.
    const byFile = new Map(entries.map((entry) => [path.resolve(root, entry.file), entry.name]))
    let program: ts.Program | undefined
    app.converter.on(Converter.EVENT_BEGIN, (context) => {
      program = context.programs[0]
    })
    app.converter.on(Converter.EVENT_CREATE_DECLARATION, (context, reflection) => {
      if (reflection.kindOf(ReflectionKind.Module)) {
        const file = context.getSymbolFromReflection(reflection)?.declarations?.find(ts.isSourceFile)
        const name = file === undefined ? undefined : byFile.get(path.resolve(file.fileName))
        if (name !== undefined) reflection.name = name
      }
      withModuleComment(context, reflection)
      withSpecifierComment(context, reflection)
    })
    const started = performance.now()
    const project = await app.convert()
    if (project === undefined) {
      return {
        problems: logger.messages.map((message) => ({ where: "typedoc", message })),
        entryPoints: entries,
        exports: 0,
        examples: 0,
        timings: { convert: seconds(started), examples: 0, render: 0 }
      }
    }
    const problems: Array<Problem> = []
    const exports = publicExports(project)
    const examples = new Map<string, Example>()
    const seen = new Set<string>()
    for (const reflection of exports) {
      const location = locationOf(root, reflection)
      const where = location === undefined ? displayName(reflection) : `${location.file}:${location.line}`
      if (!hasSince(reflection)) {
        problems.push({ where, message: `${displayName(reflection)}: a public export without @since` })
      }
      for (const documented of [reflection, ...membersOf(reflection)]) {
        const at = locationOf(root, documented)
        if (at === undefined || documented.comment === undefined && documented !== reflection) continue
        // An export re-exported by two entry points (core's root and `/provider`) is checked once.
        const key = `${at.file}:${at.line}:${documented.name}`
        if (seen.has(key)) continue
        seen.add(key)
        problems.push(...brokenMarkdownLinks(root, documented, at))
        for (const example of examplesOf(root, documented, at)) examples.set(`${example.file}:${example.line}`, example)
      }
    }
    for (const module of project.children ?? []) {
      const location = module.sources?.[0]
      // A single entry point is the project itself: its children are exports, checked above.
      if (location === undefined || !module.kindOf(ReflectionKind.Module)) continue
      const at = { file: path.relative(root, location.fullFileName), line: 1 }
      problems.push(...brokenMarkdownLinks(root, module, at))
      for (const example of examplesOf(root, module, at)) examples.set(`${example.file}:${example.line}`, example)
    }

    app.validate(project)
    // TypeDoc names the export whose comment has a link it cannot resolve; the location is added here.
    const locations = new Map<string, string>()
    for (const reflection of Object.values(project.reflections)) {
      const location = locationOf(root, reflection)
      if (location !== undefined) locations.set(displayName(reflection), `${location.file}:${location.line}`)
    }
    problems.push(
      ...logger.messages.filter((message) => !/The relative path .* is not a file/.test(message)).map((message) => ({
        where: locations.get(/in comment for (\S+)$/.exec(message)?.[1] ?? "") ?? "typedoc",
        message: message.replace(/^\[warning\] /, "")
      }))
    )
    const logged = logger.messages.length

    const converted = performance.now()
    problems.push(...compileBlocks([...examples.values()], program))
    const compiledAt = performance.now()
    // Source locations are gathered for the checks above, not rendered: "Defined in file:line" would
    // go stale with every edit that moves a line.
    for (const reflection of Object.values(project.reflections)) {
      if (reflection instanceof DeclarationReflection) {
        delete reflection.sources
        for (const signature of reflection.signatures ?? []) delete signature.sources
      }
    }
    rmSync(options.out, { recursive: true, force: true })
    await app.generateOutputs(project)
    problems.push(...logger.messages.slice(logged).map((message) => ({ where: "typedoc", message })))
    return {
      problems,
      entryPoints: entries,
      exports: exports.length,
      examples: examples.size,
      timings: {
        convert: (converted - started) / 1000,
        examples: (compiledAt - converted) / 1000,
        render: seconds(compiledAt)
      }
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true })
  }
}

const seconds = (since: number): number => (performance.now() - since) / 1000

const filesIn = (dir: string): ReadonlyArray<string> =>
  existsSync(dir)
    ? readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)))
      .sort()
    : []

/** The files that differ between two folders (added, removed or changed), relative to them. */
export const differences = (expected: string, actual: string, label = actual): ReadonlyArray<string> => {
  const a = filesIn(expected)
  const b = filesIn(actual)
  const out: Array<string> = []
  for (const file of new Set([...a, ...b])) {
    if (!b.includes(file)) out.push(`${file}: missing from ${label} (run \`npm run docs\`)`)
    else if (!a.includes(file)) out.push(`${file}: not generated any more (run \`npm run docs\`)`)
    else if (readFileSync(path.join(expected, file), "utf8") !== readFileSync(path.join(actual, file), "utf8")) {
      out.push(`${file}: differs from the generated reference (run \`npm run docs\`)`)
    }
  }
  return out.sort()
}

/**
 * The check CI runs: generates into a temporary folder, then compares it with the committed
 * `root/docs/api`. Staleness is a problem like the others.
 */
export const check = async (root = repoRoot): Promise<Result> => {
  const cache = path.join(repoRoot, "node_modules", ".cache")
  mkdirSync(cache, { recursive: true })
  const out = mkdtempSync(path.join(cache, "hookline-apidocs-out-"))
  try {
    const result = await generate({ root, out })
    const stale = differences(out, path.join(root, outDir), outDir).map((message) => ({ where: outDir, message }))
    return { ...result, problems: [...result.problems, ...stale] }
  } finally {
    rmSync(out, { recursive: true, force: true })
  }
}
