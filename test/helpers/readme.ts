// The README's runnable recipes, so tests run them exactly as written: a section's files (a paragraph
// naming one or more absolute paths in backticks, followed by one fenced block per path) and its
// commands (every line of its ```sh blocks).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './paths.js';

export interface Recipe {
  files: { path: string; body: string }[];
  commands: string[];
}

export function readmeRecipe(heading: string): Recipe {
  const text = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const start = text.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`README.md has no section "${heading}"`);
  const level = heading.split(' ')[0]!;
  const rest = text.slice(start + heading.length + 2);
  const end = rest.search(new RegExp(`\\n#{1,${level.length}} `));
  const lines = (end < 0 ? rest : rest.slice(0, end)).split('\n');
  const recipe: Recipe = { files: [], commands: [] };
  let pending: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const fence = /^```(\w*)$/.exec(line);
    if (fence === null) {
      if (line.startsWith('`/')) pending = [...line.matchAll(/`(\/[^`\s]+)`/g)].map((m) => m[1]!);
      continue;
    }
    const body: string[] = [];
    for (i++; i < lines.length && lines[i] !== '```'; i++) body.push(lines[i]!);
    if (fence[1] === 'sh') recipe.commands.push(...body.filter((l) => l.trim() !== ''));
    else if (pending.length > 0) recipe.files.push({ path: pending.shift()!, body: `${body.join('\n')}\n` });
  }
  return recipe;
}
