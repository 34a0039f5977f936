// Exports of src/ that no other file imports (src/, test/, bench/): each is dead code or should not be
// exported. Uses the TypeScript compiler already in devDependencies (tsc's own noUnusedLocals and
// noUnusedParameters cover what is not exported). Names listed in scripts/unused-exports.allow
// ("path name", one per line, with the reason in a comment above) are tolerated; an allowed name that
// is used again, or no longer exists, is reported too, so the list only shrinks.
// Exit 0 clean, 1 findings (one "path: name" per line).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const config = ts.getParsedCommandLineOfConfigFile(
  join(root, 'tsconfig.json'),
  {},
  {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => {
      throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    },
  },
);
const program = ts.createProgram(config.fileNames, { ...config.options, noEmit: true });
const checker = program.getTypeChecker();
const rel = (f) => relative(root, f.fileName ?? f);
const ours = program.getSourceFiles().filter((f) => !f.isDeclarationFile && !rel(f).startsWith('..'));

/** The original declaration of an imported or re-exported name. */
const target = (sym) => (sym.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(sym) : sym);
const used = new Set();
const note = (node) => {
  const sym = checker.getSymbolAtLocation(node);
  if (sym) used.add(target(sym));
};
for (const f of ours) {
  const visit = (n) => {
    if (ts.isImportSpecifier(n) || ts.isExportSpecifier(n)) note(n.name);
    else if (ts.isImportClause(n) && n.name) note(n.name);
    else if (ts.isNamespaceImport(n)) {
      // `import * as x`: every name of the module counts as used.
      const mod = checker.getSymbolAtLocation(n.parent.parent.moduleSpecifier);
      if (mod) for (const s of checker.getExportsOfModule(mod)) used.add(target(s));
    } else if (ts.isImportTypeNode(n) || ts.isCallExpression(n)) {
      // import('./x.js') and typeof import('./x.js'): a later property access names what is used.
    } else if (ts.isPropertyAccessExpression(n) || ts.isQualifiedName(n)) {
      const sym = checker.getSymbolAtLocation(ts.isQualifiedName(n) ? n.right : n.name);
      if (sym) used.add(target(sym));
    }
    ts.forEachChild(n, visit);
  };
  visit(f);
}

const allowFile = join(root, 'scripts', 'unused-exports.allow');
const allowed = new Set(
  existsSync(allowFile)
    ? readFileSync(allowFile, 'utf8')
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l !== '' && !l.startsWith('#'))
    : [],
);
const findings = [];
const seen = new Set();
for (const f of ours) {
  if (!rel(f).startsWith('src/')) continue;
  const mod = checker.getSymbolAtLocation(f);
  if (!mod) continue;
  for (const s of checker.getExportsOfModule(mod)) {
    const key = `${rel(f)} ${s.name}`;
    seen.add(key);
    const isUsed = used.has(target(s));
    if (!isUsed && !allowed.has(key)) findings.push(`${rel(f)}: ${s.name} is exported but never imported`);
    if (isUsed && allowed.has(key))
      findings.push(`${rel(f)}: ${s.name} is used now: drop it from ${rel(allowFile)}`);
  }
}
for (const key of allowed)
  if (!seen.has(key))
    findings.push(`${key.replace(' ', ': ')} no longer exists: drop it from ${rel(allowFile)}`);
for (const line of findings) console.log(line);
process.exit(findings.length === 0 ? 0 : 1);
