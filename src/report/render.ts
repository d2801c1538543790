// Rendering the report view with Handlebars. The template is data: ours in templates/, or the
// user's (report.template). Escaping happened in the view, so the template is compiled raw.
import { readFileSync } from 'node:fs';
import Handlebars from 'handlebars';
import { assetPath } from '../util/assets.js';
import type { ReportView } from './view.js';

export const DEFAULT_TEMPLATE = 'report.md.hbs';

export type ReportTemplate = (view: ReportView) => string;

/** Compiles a template file; throws with the path when it is missing or malformed. */
export function loadTemplate(file: string = assetPath('templates', DEFAULT_TEMPLATE)): ReportTemplate {
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read report template ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { cause: err });
  }
  return compileTemplate(source, file);
}

export function compileTemplate(source: string, name = 'template'): ReportTemplate {
  const hb = Handlebars.create();
  let compiled: HandlebarsTemplateDelegate<ReportView>;
  try {
    compiled = hb.compile<ReportView>(source, {
      noEscape: true,
      strict: false,
    });
    // Compile eagerly so that syntax errors surface now, not after the load ran.
    hb.precompile(source);
  } catch (err) {
    throw new Error(`report template ${name} does not compile: ${(err as Error).message}`, { cause: err });
  }
  return (view) => tidy(compiled(view));
}

function tidy(text: string): string {
  return `${text.trim()}\n`;
}
