/**
 * Type-checks the TypeScript code blocks of the docs (issue #17: every block compiles under `strict`
 * and `noUnusedLocals`). The rules, also in docs/testing.md:
 *
 * - Every ` ```ts ` block of a page is a module of its own, checked with the repository's TypeScript
 *   (`strict`, `noUnusedLocals`, `moduleResolution: nodenext`; `@hookline/*` resolve to the workspace
 *   sources through the `@hookline/source` condition).
 * - A page reads top to bottom: a block may use what the blocks above it on the same page import or
 *   declare, unless it declares that name itself (the nearest declaration wins).
 * - Names a page uses without showing them (your own `shipOrder`, the `app` you already have) are
 *   declared in a hidden block: an HTML comment `<!-- ts-context` … `-->` (invisible when rendered),
 *   checked and read like a block.
 * - A block that cannot compile by design (elided code) is marked ` ```ts fragment ` and skipped.
 */
import { execFile } from "node:child_process"
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { promisify } from "node:util"
import ts from "typescript"

const run = promisify(execFile)

/** The repository's root folder. */
export const repoRoot = fileURLToPath(new URL("..", import.meta.url))

/** One code block of a page. */
export interface Block {
  /** The page, relative to the repository root. */
  readonly page: string
  /** Line of the block's first code line in the page (1-based). */
  readonly line: number
  readonly code: string
  /** A hidden `<!-- ts-context … -->` block. */
  readonly hidden: boolean
  /** Marked ` ```ts fragment `: not checked, not read by the blocks below it. */
  readonly fragment: boolean
}

/** The pages whose blocks are checked: README.md, docs/, docs/providers/, the packages' and examples' READMEs. */
export const pages = (root = repoRoot): ReadonlyArray<string> => {
  const markdownIn = (dir: string) =>
    existsSync(path.join(root, dir))
      ? readdirSync(path.join(root, dir)).filter((name) => name.endsWith(".md")).sort().map((name) =>
        path.posix.join(dir, name)
      )
      : []
  const readmes = (dir: string) =>
    existsSync(path.join(root, dir))
      ? readdirSync(path.join(root, dir)).sort().map((name) => path.posix.join(dir, name, "README.md"))
        .filter((page) => existsSync(path.join(root, page)))
      : []
  return [
    "README.md",
    ...markdownIn("docs"),
    ...markdownIn("docs/providers"),
    ...readmes("packages"),
    ...readmes("examples")
  ]
}

const fence = /^(\s*)```(?:ts|typescript)(?:\s+(\S.*))?\s*$/

/** The TypeScript blocks of a page's text, visible and hidden, in order. */
export const blocksOf = (page: string, text: string): ReadonlyArray<Block> => {
  const lines = text.split("\n")
  const blocks: Array<Block> = []
  for (let i = 0; i < lines.length; i++) {
    const open = fence.exec(lines[i]!)
    const hidden = lines[i]!.trim() === "<!-- ts-context"
    if (open === null && lines[i]!.trim().startsWith("```")) {
      // Another language's block (sh, json, an example of this syntax): nothing inside is read.
      const close = lines.findIndex((line, j) => j > i && line.trim().startsWith("```"))
      i = close === -1 ? lines.length : close
      continue
    }
    if (open === null && !hidden) continue
    const indent = open?.[1] ?? ""
    const end = lines.findIndex((line, j) => j > i && (hidden ? line.trim() === "-->" : line.trim().startsWith("```")))
    if (end === -1) throw new Error(`${page}:${i + 1}: the block is never closed`)
    blocks.push({
      page,
      line: i + 2,
      code: lines.slice(i + 1, end).map((line) => line.startsWith(indent) ? line.slice(indent.length) : line).join(
        "\n"
      ),
      hidden,
      fragment: open?.[2]?.split(/\s+/).includes("fragment") ?? false
    })
    i = end
  }
  return blocks
}

// A top-level statement a later block may use: its text and the names it declares.
interface Declaration {
  readonly text: string
  readonly names: ReadonlyArray<string>
}

const bindingNames = (name: ts.BindingName): Array<string> =>
  ts.isIdentifier(name)
    ? [name.text]
    : name.elements.flatMap((element) => ts.isOmittedExpression(element) ? [] : bindingNames(element.name))

const declarationsOf = (code: string): ReadonlyArray<Declaration> => {
  const source = ts.createSourceFile("block.ts", code, ts.ScriptTarget.Latest, true)
  return source.statements.flatMap((statement): Array<Declaration> => {
    if (ts.isImportDeclaration(statement)) {
      // One declaration per imported name, so a block can shadow one name of an import.
      const clause = statement.importClause
      const from = statement.moduleSpecifier.getText(source)
      if (clause === undefined) return []
      const typeOnly = clause.isTypeOnly ? "type " : ""
      const out: Array<Declaration> = []
      if (clause.name !== undefined) {
        out.push({ text: `import ${typeOnly}${clause.name.text} from ${from}`, names: [clause.name.text] })
      }
      const bindings = clause.namedBindings
      if (bindings !== undefined && ts.isNamespaceImport(bindings)) {
        out.push({ text: `import ${typeOnly}* as ${bindings.name.text} from ${from}`, names: [bindings.name.text] })
      } else if (bindings !== undefined) {
        for (const element of bindings.elements) {
          out.push({
            text: `import ${typeOnly}{ ${element.getText(source)} } from ${from}`,
            names: [element.name.text]
          })
        }
      }
      return out
    }
    if (ts.isVariableStatement(statement)) {
      return [{
        text: statement.getText(source),
        names: statement.declarationList.declarations.flatMap((declaration) => bindingNames(declaration.name))
      }]
    }
    if (
      (ts.isFunctionDeclaration(statement) || ts.isClassDeclaration(statement) ||
        ts.isInterfaceDeclaration(statement) || ts.isTypeAliasDeclaration(statement) ||
        ts.isEnumDeclaration(statement) || ts.isModuleDeclaration(statement)) &&
      statement.name !== undefined && ts.isIdentifier(statement.name)
    ) {
      return [{ text: statement.getText(source), names: [statement.name.text] }]
    }
    return []
  })
}

/** A block as the module that is checked: the context it reads from the blocks above, then its code. */
export interface Module {
  readonly block: Block
  readonly file: string
  readonly text: string
  /** Lines of context before the block's first line. */
  readonly contextLines: number
}

/** The modules of one page's blocks (fragments left out). */
export const modulesOf = (blocks: ReadonlyArray<Block>, fileName: (index: number) => string): ReadonlyArray<Module> => {
  const checked = blocks.filter((block) => !block.fragment)
  const declarations = checked.map((block) => declarationsOf(block.code))
  return checked.map((block, index) => {
    const taken = new Set(declarations[index]!.flatMap((declaration) => declaration.names))
    const context: Array<string> = []
    // Nearest block first: a name declared again lower on the page shadows the earlier one.
    for (let above = index - 1; above >= 0; above--) {
      const kept = declarations[above]!.filter((declaration) => declaration.names.every((name) => !taken.has(name)))
      for (const declaration of kept) declaration.names.forEach((name) => taken.add(name))
      context.unshift(...kept.map((declaration) => declaration.text))
    }
    const prefix = context.join("\n")
    const contextLines = prefix === "" ? 0 : prefix.split("\n").length
    return {
      block,
      file: fileName(index),
      // `export {}` makes every block a module, whether or not it imports anything.
      text: `${prefix === "" ? "" : `${prefix}\n`}${block.code}\nexport {}\n`,
      contextLines
    }
  })
}

/** A compiler error in a block: `page:line: message`. */
export interface Problem {
  readonly page: string
  readonly line: number
  readonly message: string
}

/** The options every block is checked with (also by apidocs/ApiDocs.ts, for doc comments' blocks). */
export const compilerOptions = {
  strict: true,
  noUnusedLocals: true,
  module: "nodenext",
  moduleResolution: "nodenext",
  target: "es2023",
  lib: ["es2024", "dom", "dom.iterable"],
  types: ["node"],
  customConditions: ["@hookline/source"],
  // The workspace sources import each other with `.ts` extensions.
  allowImportingTsExtensions: true,
  noEmit: true,
  skipLibCheck: true
}

const tsc = path.join(path.dirname(createRequire(import.meta.url).resolve("typescript/package.json")), "bin", "tsc")

/**
 * Writes every page's blocks as modules into a temporary folder inside the repository (so that
 * `@hookline/*`, `effect` and the frameworks resolve from its node_modules), runs `tsc` on them, and
 * returns the errors located in the blocks' own lines (errors in the context are reported by the
 * block they come from) and the number of blocks checked.
 */
export const check = async (
  pageTexts: ReadonlyArray<{ readonly page: string; readonly text: string }>
): Promise<{ readonly problems: ReadonlyArray<Problem>; readonly checked: number }> => {
  const cache = path.join(repoRoot, "node_modules", ".cache")
  mkdirSync(cache, { recursive: true })
  const dir = mkdtempSync(path.join(cache, "hookline-doc-blocks-"))
  try {
    const modules = pageTexts.flatMap(({ page, text }, pageIndex) =>
      modulesOf(blocksOf(page, text), (index) => `page${pageIndex}-block${index}.ts`)
    )
    for (const module of modules) writeFileSync(path.join(dir, module.file), module.text)
    writeFileSync(path.join(dir, "package.json"), JSON.stringify({ type: "module" }))
    writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions, include: ["*.ts"] }))
    const output = await run(process.execPath, [tsc, "-p", dir, "--pretty", "false"], {
      cwd: dir,
      maxBuffer: 64 * 1024 * 1024
    })
      .then(() => "", (error: { stdout?: string }) => error.stdout ?? String(error))
    const byFile = new Map(modules.map((module) => [module.file, module]))
    const problems: Array<Problem> = []
    for (const match of output.matchAll(/^(page\d+-block\d+\.ts)\((\d+),\d+\): (error .*)$/gm)) {
      const module = byFile.get(match[1]!)!
      const line = Number(match[2]) - module.contextLines
      if (line < 1) continue
      // The appended `export {}` is never wrong; a line past the block would be.
      problems.push({ page: module.block.page, line: module.block.line + line - 1, message: match[3]! })
    }
    const located = new Set(modules.map((module) => module.file))
    const other = output.split("\n").filter((line) =>
      line.trim() !== "" && !/^\s/.test(line) && !located.has(line.split("(")[0]!)
    )
    if (other.length > 0) throw new Error(`tsc reported problems outside the blocks:\n${other.join("\n")}`)
    return { problems, checked: modules.length }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Every page's blocks, read from the repository. */
export const checkRepository = () =>
  check(pages().map((page) => ({ page, text: readFileSync(path.join(repoRoot, page), "utf8") })))
