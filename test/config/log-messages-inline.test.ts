/**
 * Every operator-facing line (INFO, WARN, ERROR) comes from the log-message table: a logger call
 * in `src/` whose message is written inline (a string, a template, a concatenation) would be a
 * line the README's "Logs to monitor" table does not hold to its wording. And every entry of the
 * table is used somewhere, so the README never documents a line nothing writes.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { expect, it } from 'vitest';
import { LOG_MESSAGES } from '../../src/log-messages.js';

const srcDir = new URL('../../src/', import.meta.url).pathname;
const files = (readdirSync(srcDir, { recursive: true, encoding: 'utf8' }) as string[])
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
  .map((f) => join(srcDir, f));

const INLINE = new Set([
  ts.SyntaxKind.StringLiteral,
  ts.SyntaxKind.NoSubstitutionTemplateLiteral,
  ts.SyntaxKind.TemplateExpression,
  ts.SyntaxKind.BinaryExpression,
]);

/** `something.logger.warn(…, 'text')`-shaped calls whose message (last argument) is written inline. */
function inlineOperatorLines(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression)) {
      const method = node.expression.name.text;
      const receiver = node.expression.expression.getText(source);
      const message = node.arguments[node.arguments.length - 1];
      if (['info', 'warn', 'error'].includes(method) && /log/i.test(receiver) && message !== undefined && INLINE.has(message.kind)) {
        const { line } = source.getLineAndCharacterOfPosition(node.getStart(source));
        found.push(`${relative(srcDir, file)}:${line + 1}: ${message.getText(source).slice(0, 80)}`);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

it('src/ has logger files to scan', () => {
  expect(files.length).toBeGreaterThan(20);
});

it('no INFO, WARN or ERROR line in src/ is written inline (each goes through logText)', () => {
  expect(files.flatMap(inlineOperatorLines)).toEqual([]);
});

it.each(Object.keys(LOG_MESSAGES))('the log line %s is written somewhere in src/', (key) => {
  const used = files.some((f) => relative(srcDir, f) !== 'log-messages.ts' && readFileSync(f, 'utf8').includes(`'${key}'`));
  expect(used).toBe(true);
});
