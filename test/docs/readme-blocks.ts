/**
 * The README's TypeScript examples as test input: extraction of the ```ts blocks, the files they are
 * type-checked as (a block alone, or a fragment behind a typed prelude), and one ts.Program for all.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/** A ```ts block of the README. */
export interface CodeBlock {
  /** README line of the opening fence (1-based). */
  line: number;
  /** The code between the fences. */
  code: string;
  /** Its first line, trimmed: the key of the exclusion list. */
  firstLine: string;
  /** `<!-- prelude: NAME -->` on the line just before the fence, if any. */
  prelude: string | undefined;
}

const OPEN = /^```(?:ts|typescript)\s*$/;
const CLOSE = /^```\s*$/;
const MARKER = /^<!--\s*prelude:\s*([\w-]+)\s*-->\s*$/;

/** Every ```ts (or ```typescript) block of a Markdown text, in order. */
export function extractTsBlocks(markdown: string): CodeBlock[] {
  const lines = markdown.split(/\r?\n/);
  const blocks: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!OPEN.test(lines[i]!)) continue;
    const start = i;
    let end = i + 1;
    while (end < lines.length && !CLOSE.test(lines[end]!)) end++;
    if (end === lines.length) throw new Error(`README.md:${start + 1}: unclosed code block`);
    const code = lines.slice(start + 1, end).join('\n');
    const marker = start > 0 ? MARKER.exec(lines[start - 1]!) : null;
    blocks.push({
      line: start + 1,
      code,
      firstLine: (lines[start + 1] ?? '').trim(),
      prelude: marker?.[1],
    });
    i = end;
  }
  return blocks;
}

/** What a prelude adds around a fragment. */
export interface Prelude {
  /** Code placed before the block (after the ambient imports and helpers). */
  before?: string;
  /**
   * Code placed after the block's statements and before its router entries (for preludes whose
   * declarations depend on what the block declares, e.g. `t` built from the block's own `jwt`).
   */
  after?: string;
}

/**
 * Names a fragment may use without importing or declaring them: imports (`module` → specifiers,
 * `type X` for types, `default as X` for a default import) and one-line helper declarations, each
 * left out when the block imports or declares the same name itself.
 */
export interface Ambient {
  imports: Record<string, string[]>;
  helpers: Record<string, string>;
}

/** A block as the file that is type-checked. */
export interface VirtualFile {
  block: CodeBlock;
  fileName: string;
  text: string;
  /** README line (1-based) of each line of `text`, or undefined for a generated line. */
  readmeLines: (number | undefined)[];
}

/**
 * Router entries: a line at column 0 such as `login: t.procedure…` starts the part of a fragment
 * that is a list of `t.router({ … })` entries; it runs to the end of the block.
 */
const ENTRY = /^[A-Za-z_$][\w$]*:\s/;

/** Top-level names a block imports or declares. */
function declaredNames(code: string): Set<string> {
  const source = ts.createSourceFile('block.ts', code, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const names = new Set<string>();
  const addBinding = (name: ts.BindingName): void => {
    if (ts.isIdentifier(name)) names.add(name.text);
    else for (const element of name.elements) if (!ts.isOmittedExpression(element)) addBinding(element.name);
  };
  for (const statement of source.statements) {
    if (ts.isImportDeclaration(statement)) {
      const clause = statement.importClause;
      if (clause?.name) names.add(clause.name.text);
      const bindings = clause?.namedBindings;
      if (bindings && ts.isNamedImports(bindings))
        for (const el of bindings.elements) names.add(el.name.text);
      if (bindings && ts.isNamespaceImport(bindings)) names.add(bindings.name.text);
    } else if (ts.isVariableStatement(statement)) {
      for (const decl of statement.declarationList.declarations) addBinding(decl.name);
    } else if (
      (ts.isFunctionDeclaration(statement) ||
        ts.isClassDeclaration(statement) ||
        ts.isInterfaceDeclaration(statement) ||
        ts.isTypeAliasDeclaration(statement) ||
        ts.isEnumDeclaration(statement)) &&
      statement.name
    ) {
      names.add(statement.name.text);
    }
  }
  return names;
}

function ambientCode(ambient: Ambient, taken: Set<string>): string[] {
  const out: string[] = [];
  for (const [module, specifiers] of Object.entries(ambient.imports)) {
    const named: string[] = [];
    let defaultName: string | undefined;
    for (const specifier of specifiers) {
      const name = specifier.replace(/^(type |default as )/, '');
      if (taken.has(name)) continue;
      if (specifier.startsWith('default as ')) defaultName = name;
      else named.push(specifier);
    }
    const parts = [defaultName, named.length > 0 ? `{ ${named.join(', ')} }` : undefined].filter(Boolean);
    if (parts.length > 0) out.push(`import ${parts.join(', ')} from '${module}';`);
  }
  for (const [name, code] of Object.entries(ambient.helpers)) if (!taken.has(name)) out.push(code);
  return out;
}

/** Builds the file a block is checked as: the block alone, or the block inside its prelude. */
export function toVirtualFile(
  block: CodeBlock,
  dir: string,
  preludes: Record<string, Prelude>,
  ambient: Ambient,
): VirtualFile {
  // `// server.ts` names the file (client.ts imports './server.js'); other blocks are named by line.
  const named = /^\/\/\s*([\w-]+)\.ts\s*$/.exec(block.firstLine);
  const fileName = path.join(dir, named ? `${named[1]}.ts` : `readme-L${block.line}.ts`);
  const text: string[] = [];
  const readmeLines: (number | undefined)[] = [];
  const generated = (code: string | undefined): void => {
    if (code === undefined || code === '') return;
    for (const line of code.split('\n')) {
      text.push(line);
      readmeLines.push(undefined);
    }
  };
  const fromReadme = (lines: string[], firstIndex: number): void => {
    lines.forEach((line, i) => {
      text.push(line);
      readmeLines.push(block.line + 1 + firstIndex + i);
    });
  };

  const lines = block.code.split('\n');
  if (block.prelude === undefined) {
    fromReadme(lines, 0);
  } else {
    const prelude = Object.hasOwn(preludes, block.prelude) ? preludes[block.prelude] : undefined;
    if (!prelude) throw new Error(`README.md:${block.line}: unknown prelude "${block.prelude}"`);
    const entriesAt = lines.findIndex((line) => ENTRY.test(line));
    const statements = entriesAt === -1 ? lines : lines.slice(0, entriesAt);
    generated(ambientCode(ambient, declaredNames(statements.join('\n'))).join('\n'));
    generated(prelude.before);
    fromReadme(statements, 0);
    generated(prelude.after);
    if (entriesAt !== -1) {
      generated('export const readmeRouterEntries = t.router({');
      fromReadme(lines.slice(entriesAt), entriesAt);
      generated('});');
    }
  }
  // Every block is a module: top-level names of one block never clash with another's.
  generated('export {};');
  return { block, fileName, text: text.join('\n'), readmeLines };
}

/** The project's compiler options (tsconfig.json), for checking only. */
export function projectCompilerOptions(root: string): ts.CompilerOptions {
  const configPath = path.join(root, 'tsconfig.json');
  const read = ts.readConfigFile(configPath, (file) => ts.sys.readFile(file));
  if (read.error) throw new Error(ts.flattenDiagnosticMessageText(read.error.messageText, '\n'));
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, root, undefined, configPath);
  const errors = parsed.errors.filter((d) => d.code !== 18003); // "no inputs found" is irrelevant here
  if (errors.length > 0) {
    throw new Error(errors.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')).join('\n'));
  }
  return { ...parsed.options, noEmit: true };
}

/**
 * Type-checks every file in one ts.Program (files that do not exist on disk, in `dir`, so that module
 * resolution sees the project's package.json and node_modules). Returns the diagnostics of each file,
 * formatted with README line numbers.
 */
export function checkVirtualFiles(
  files: VirtualFile[],
  options: ts.CompilerOptions,
  dir: string,
): Map<VirtualFile, string[]> {
  const byName = new Map(files.map((file) => [path.resolve(file.fileName), file]));
  const host = ts.createCompilerHost(options, true);
  const { getSourceFile, fileExists, readFile, directoryExists } = host;
  host.fileExists = (name) => byName.has(path.resolve(name)) || fileExists.call(host, name);
  host.readFile = (name) => byName.get(path.resolve(name))?.text ?? readFile.call(host, name);
  host.directoryExists = (name) =>
    path.resolve(name) === path.resolve(dir) ||
    (directoryExists?.call(host, name) ?? ts.sys.directoryExists(name));
  host.getSourceFile = (name, languageVersion, onError, shouldCreate) => {
    const file = byName.get(path.resolve(name));
    if (file) return ts.createSourceFile(name, file.text, languageVersion, true, ts.ScriptKind.TS);
    return getSourceFile.call(host, name, languageVersion, onError, shouldCreate);
  };

  const program = ts.createProgram({ rootNames: [...byName.keys()], options, host });
  const global = [...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics()].map((d) =>
    format(d, undefined),
  );
  const result = new Map<VirtualFile, string[]>();
  for (const file of files) {
    const source = program.getSourceFile(file.fileName);
    if (!source) throw new Error(`${file.fileName} is not in the program`);
    const diagnostics = [
      ...program.getSyntacticDiagnostics(source),
      ...program.getSemanticDiagnostics(source),
    ];
    result.set(file, [...global, ...diagnostics.map((d) => format(d, file))]);
  }
  return result;
}

/** `README.md:LINE:COL TS1234: message` and the line, or where in the prelude / which other file. */
function format(diagnostic: ts.Diagnostic, file: VirtualFile | undefined): string {
  const message = `TS${diagnostic.code}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n    ')}`;
  if (!diagnostic.file || diagnostic.start === undefined) return message;
  const { line, character } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
  const text = diagnostic.file.text.split('\n')[line] ?? '';
  if (file && path.resolve(diagnostic.file.fileName) === path.resolve(file.fileName)) {
    const readmeLine = file.readmeLines[line];
    const where =
      readmeLine === undefined
        ? `prelude "${file.block.prelude ?? '(none)'}" (generated line ${line + 1})`
        : `README.md:${readmeLine}:${character + 1}`;
    return `${where} ${message}\n    | ${text}`;
  }
  return `${diagnostic.file.fileName}:${line + 1}:${character + 1} ${message}\n    | ${text}`;
}

/** The README's text. */
export function readReadme(root: string): string {
  return readFileSync(path.join(root, 'README.md'), 'utf8');
}
