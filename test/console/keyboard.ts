import fs from 'node:fs';
import type { Page } from 'playwright-core';

/**
 * Moves focus with the Tab key only (as a keyboard user would) until the focused element
 * matches `selector`; fails naming what was reached instead. No click, no programmatic focus.
 */
export async function focusByTab(page: Page, selector: string, opts: { max?: number; backwards?: boolean } = {}): Promise<void> {
  const seen: string[] = [];
  for (let i = 0; i < (opts.max ?? 80); i++) {
    await page.keyboard.press(opts.backwards ? 'Shift+Tab' : 'Tab');
    // A string, evaluated in the page (the test's own TypeScript has no DOM types).
    const here = (await page.evaluate(`(() => {
      const el = document.activeElement;
      if (!el || el === document.body) return { match: false, what: 'body' };
      const text = (el.getAttribute('aria-label') || el.textContent || '').trim().slice(0, 30);
      return { match: el.matches(${JSON.stringify(selector)}), what: el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + '[' + text + ']' };
    })()`)) as { match: boolean; what: string };
    if (here.match) return;
    seen.push(here.what);
  }
  throw new Error(`Tab never reached ${selector}; focus went through: ${seen.join(' → ')}`);
}

const AXE_SOURCE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeFinding {
  id: string;
  impact: string | null;
  help: string;
  targets: string[];
}

/**
 * Runs axe-core in the page (WCAG 2.1 A and AA rules plus best practices) and returns the
 * violations of at least `minImpact`. axe is evaluated through the DevTools protocol, so the
 * console's CSP (no inline script) stays as served.
 */
export async function axeViolations(page: Page, minImpact: 'serious' | 'critical' = 'serious'): Promise<AxeFinding[]> {
  if (!(await page.evaluate('typeof window.axe === "object"'))) await page.evaluate(AXE_SOURCE);
  const results = (await page.evaluate(`axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] }, resultTypes: ['violations'] })`)) as {
    violations: { id: string; impact: string | null; help: string; nodes: { target: string[] }[] }[];
  };
  const rank = { minor: 0, moderate: 1, serious: 2, critical: 3 } as Record<string, number>;
  return results.violations
    .filter((v) => (rank[v.impact ?? 'minor'] ?? 0) >= rank[minImpact])
    .map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => n.target.join(' ')) }));
}
