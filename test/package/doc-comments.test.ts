import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * Every function and class a service imports from a public entry point carries a doc comment,
 * so an editor shows what it does where it is used. The built-in guards are destructured from
 * one table (`src/checks/built-in-guards.ts`): their comments are the table's entries.
 */
const root = fileURLToPath(new URL('../..', import.meta.url));
const ENTRIES: Record<string, string> = {
  'ayz-auth': 'src/index.ts',
  'ayz-auth/express': 'adapters/express/index.ts',
  'ayz-auth/fastify': 'adapters/fastify/index.ts',
  'ayz-auth/testing': 'src/testing/index.ts',
};

function documentation(checker: ts.TypeChecker, symbol: ts.Symbol): string {
  const own = ts.displayPartsToString(symbol.getDocumentationComment(checker));
  if (own !== '') return own;
  // `export const { requireEntitlement, … } = bindGuards(…)`: the comment of the table's property.
  const declaration = symbol.valueDeclaration;
  if (declaration !== undefined && ts.isBindingElement(declaration) && ts.isObjectBindingPattern(declaration.parent)) {
    const source = declaration.parent.parent;
    if (ts.isVariableDeclaration(source) && source.initializer !== undefined) {
      const property = checker.getTypeAtLocation(source.initializer).getProperty(symbol.name);
      if (property !== undefined) return ts.displayPartsToString(property.getDocumentationComment(checker));
    }
  }
  return '';
}

describe('doc comments of the public API', () => {
  it('every exported function and class of the four entry points has one', () => {
    const config = ts.getParsedCommandLineOfConfigFile(`${root}tsconfig.json`, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} });
    const program = ts.createProgram(
      Object.values(ENTRIES).map((file) => `${root}${file}`),
      config!.options,
    );
    const checker = program.getTypeChecker();
    const undocumented: string[] = [];
    let callables = 0;
    for (const [entry, file] of Object.entries(ENTRIES)) {
      const module = checker.getSymbolAtLocation(program.getSourceFile(`${root}${file}`)!)!;
      for (const exported of checker.getExportsOfModule(module)) {
        const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
        const declaration = symbol.valueDeclaration;
        const callable =
          (symbol.flags & (ts.SymbolFlags.Function | ts.SymbolFlags.Class)) !== 0 ||
          (declaration !== undefined &&
            (symbol.flags & ts.SymbolFlags.Variable) !== 0 &&
            checker.getTypeOfSymbolAtLocation(symbol, declaration).getCallSignatures().length > 0);
        if (!callable) continue;
        callables += 1;
        if (documentation(checker, symbol).trim() === '') undocumented.push(`${entry}: ${exported.name}`);
      }
    }
    expect(callables).toBeGreaterThan(50);
    expect(undocumented).toEqual([]);
  }, 60_000);
});
