import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  createTestDatabase,
  createTestRegistry,
  REPO_ROOT,
  startTrustStack,
  type TestConsentAudit,
  type TestDatabase,
  type TestGateway,
  type TestRegistry,
  type TrustStack,
} from '@passerelle/testing';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { auditEntry, connectLedger } from '../ledger/ledger-grpc';

/**
 * The operator console (issue 11) in a real browser against the real gateway and ledger:
 * the operator signs in with a key the test generates, and every proof is checked in the page.
 * Screenshots of each page go to docs/console/ with UPDATE_SCREENSHOTS=1 (the README shows them),
 * and to a temp folder otherwise, so a test run never changes tracked files.
 */

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'];
const SHOTS = process.env.UPDATE_SCREENSHOTS === '1' ? path.join(REPO_ROOT, 'docs', 'console') : path.join(require('node:os').tmpdir(), 'passerelle-console-shots');

let db: TestDatabase;
let registry: TestRegistry;
let secretsDir: string;
let stack: TrustStack;
let consentAudit: TestConsentAudit;
let gateway: TestGateway;
let context: BrowserContext;
let page: Page;
let profileDir: string;
let keyFile: string;
const requestedUrls: string[] = [];
const cspViolations: string[] = [];
const pageErrors: string[] = [];
let esdcAuditStatus: number;
let unsignedAuditStatus: number;

function ensureConsoleBuilt() {
  if (fs.existsSync(path.join(REPO_ROOT, 'dist', 'console', 'index.html'))) return;
  execFileSync('npm', ['run', '--silent', 'console:build'], { cwd: REPO_ROOT, stdio: 'inherit' });
}

async function shot(name: string) {
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

beforeAll(async () => {
  ensureConsoleBuilt();
  db = await createTestDatabase('console');
  registry = await createTestRegistry();
  secretsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'console-e2e-'));
  stack = await startTrustStack({ registryFile: registry.file, databaseUrl: db.url });
  ({ consentAudit, gateway } = stack);

  // Some ledger history by other agencies: permitted and refused exchanges.
  const esdc = registry.client('ca.esdc', gateway.url);
  const mifi = registry.client('qc.mifi', gateway.url);
  for (let i = 0; i < 3; i++) expect((await esdc.graphql('{ gatewayInfo { contractVersion } }', undefined, 'JOB_MATCHING')).status).toBe(200);
  expect((await mifi.graphql('{ gatewayInfo { contractVersion } }', undefined, 'STATISTICS')).status).toBe(200);
  // Not an operator: refused, and recorded as a DENY by ca.esdc (asserted through the console below).
  esdcAuditStatus = (await esdc.get('/audit/sth', 'AUDIT_REVIEW')).status;
  // Unsigned: refused with missing_signature.
  unsignedAuditStatus = (await fetch(`${gateway.url}/audit/sth`)).status;

  // Two refused job-match events, as the consumer records them (its DLQ in the ledger).
  const ledger = connectLedger(consentAudit.url);
  try {
    for (const reason of ['bad_signature', 'no_consent']) {
      await ledger.append(auditEntry({ agency: 'ca.esdc', kid: '', jti: '', purpose: 'JOB_MATCHING', operation: 'kafka:jobbank.matches.v1', decision: 'DENY', reason }));
    }
  } finally {
    ledger.close();
  }

  // The operator's key file, as `passerelle keys generate` writes it: private JWK with kid and alg.
  const key = registry.activeKey('ops.audit');
  keyFile = path.join(secretsDir, 'ops.audit.private.jwk.json');
  fs.writeFileSync(keyFile, JSON.stringify(key.privateJwk), { mode: 0o600 });

  profileDir = fs.mkdtempSync(path.join(os.tmpdir(), 'console-chromium-'));
  context = await chromium.launchPersistentContext(profileDir, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport: { width: 1280, height: 900 }, locale: 'en-CA' });
  page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(20_000);
  page.on('request', (r) => requestedUrls.push(r.url()));
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
  });
});

afterAll(async () => {
  await context?.close();
  await stack?.stop();
  await db?.drop();
  await registry?.cleanup();
  if (secretsDir) fs.rmSync(secretsDir, { recursive: true, force: true });
  if (profileDir) fs.rmSync(profileDir, { recursive: true, force: true });
});

describe('the operator console', () => {
  it('is served at /console with its content types and a strict Content-Security-Policy', async () => {
    const res = await fetch(`${gateway.url}/console/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https?:/);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const html = await res.text();
    const script = /src="(\/console\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    const style = /href="(\/console\/assets\/[^"]+\.css)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    expect(style).toBeDefined();
    const js = await fetch(`${gateway.url}${script}`);
    expect(js.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(js.headers.get('cache-control')).toContain('immutable');
    expect((await fetch(`${gateway.url}${style}`)).headers.get('content-type')).toMatch(/^text\/css/);
    expect((await fetch(`${gateway.url}/console/assets/../../../package.json`)).status).toBe(404);
    expect((await fetch(`${gateway.url}/console/nothing-here.js`)).status).toBe(404);
    const settings = await (await fetch(`${gateway.url}/console/settings.json`)).json();
    expect(settings).toEqual({ gatewayId: registry.document.gatewayId, operators: ['ops.audit'] });
  });

  it('signs the operator in with a key imported into the page, and lists the ledger', async () => {
    await page.goto(`${gateway.url}/console/`);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await expect(page.getByLabel('Gateway id (audience)').inputValue()).resolves.toBe(registry.document.gatewayId);
    await page.getByLabel('Agency id').fill('ops.audit');
    await shot('signin');
    await page.getByLabel('Private key (JWK file)').setInputFiles(keyFile);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('entries').waitFor();
    await expect(page.getByTestId('signed-in').textContent()).resolves.toContain('ops.audit');
    await expect(page.getByTestId('response-signature').textContent()).resolves.toMatch(/signature verified \(ledger entry \d+\)/);
    const agencies = await page.locator('[data-testid=entries] tbody tr td:nth-child(3)').allTextContents();
    expect(agencies).toEqual(expect.arrayContaining(['ca.esdc', 'qc.mifi', 'ops.audit']));
    await shot('entries');
    // The private key never reaches storage.
    const stored = await page.evaluate<string>('JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage })');
    expect(stored).not.toContain(String(registry.activeKey('ops.audit').privateJwk.d));
  });

  it('filters the ledger by agency and decision', async () => {
    expect(esdcAuditStatus).toBe(403);
    expect(unsignedAuditStatus).toBe(401);
    await page.getByLabel('Agency', { exact: true }).fill('ca.esdc');
    await page.getByLabel('Decision').selectOption('DENY');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(/agency=ca\.esdc/);
    await page.getByTestId('entries').waitFor();
    const rows = page.locator('[data-testid=entries] tbody tr');
    // Its refused audit request and the two refused job-match events.
    await expect(rows.count()).resolves.toBe(3);
    await expect(page.locator('[data-testid=entries] tbody tr td:nth-child(3)').allTextContents()).resolves.toEqual(['ca.esdc', 'ca.esdc', 'ca.esdc']);
    await page.getByLabel('Operation').fill('rest:GET /audit/sth');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(/operation=/);
    await page.getByTestId('entries').waitFor();
    await expect(rows.count()).resolves.toBe(1);
    await expect(rows.first().locator('td').nth(2).textContent()).resolves.toBe('ca.esdc');
    await expect(rows.first().locator('td').nth(5).textContent()).resolves.toBe('Deny');
    await expect(rows.first().locator('td').nth(4).textContent()).resolves.toBe('rest:GET /audit/sth');
    await shot('entries-filtered');
  });

  it("opens an entry and verifies its inclusion proof in the browser", async () => {
    await page.locator('[data-testid=entries] tbody tr a').first().click();
    const verdict = page.getByTestId('inclusion-verdict');
    await verdict.waitFor({ timeout: 30_000 });
    await expect(verdict.getAttribute('data-verified')).resolves.toBe('true');
    await expect(verdict.textContent()).resolves.toMatch(/VERIFIED: entry \d+ is leaf \d+ of the signed tree of size \d+/);
    await shot('entry');
  });

  it('shows the signed tree head and its history, consistent from head to head', async () => {
    await page.getByRole('link', { name: 'Tree heads' }).click();
    await page.getByTestId('head-verdict').waitFor();
    await expect(page.getByTestId('head-verdict').getAttribute('data-verified')).resolves.toBe('true');
    await page.getByRole('button', { name: 'Fetch the current head' }).click();
    await page.locator('[data-testid=head-history] tbody tr').nth(2).waitFor();
    const links = await page.locator('[data-testid=consistency]').allTextContents();
    expect(links.filter((l) => /verified$/.test(l)).length).toBeGreaterThanOrEqual(2);
    expect(links.some((l) => /NOT verified/.test(l))).toBe(false);
    await shot('heads');
  });

  it('flags a tampered tree head as not verified', async () => {
    await page.route('**/audit/sth', async (route) => {
      const response = await route.fetch();
      const json = (await response.json()) as Record<string, unknown>;
      const flip = (h: string) => (h[0] === 'A' ? 'B' : 'A') + h.slice(1);
      if (typeof json.root_hash === 'string') json.root_hash = flip(json.root_hash);
      // Alter the signed claims too: the signature must then fail.
      for (const [k, v] of Object.entries(json)) {
        if (typeof v === 'string' && /^[\w-]+\.[\w-]+\.[\w-]+$/.test(v)) {
          const [h, p, s] = v.split('.');
          const claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
          claims.root_hash = flip(claims.root_hash);
          json[k] = `${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${s}`;
        }
      }
      await route.fulfill({ response, body: JSON.stringify(json) });
    });
    await page.getByRole('button', { name: 'Fetch the current head' }).click();
    await page.locator('[data-testid=head-verdict][data-verified=false]').waitFor();
    await expect(page.getByTestId('head-verdict').textContent()).resolves.toContain('NOT VERIFIED');
    await expect(page.locator('[data-testid=head-history] tbody tr').first().textContent()).resolves.toContain('not verified');
    await expect(page.getByTestId('response-signature').textContent()).resolves.toContain('signature NOT verified');
    await shot('heads-tampered');
    await page.unroute('**/audit/sth');
  });

  it("tells the operator clearly that consents need the CONSENT_MANAGEMENT purpose", async () => {
    await page.getByRole('link', { name: 'Claimant' }).click();
    await page.getByLabel('Pseudonym').fill('p_unknown-claimant-0000');
    await page.getByRole('button', { name: 'Show' }).click();
    const refusal = page.getByTestId('not-allowed');
    await refusal.waitFor();
    await expect(refusal.textContent()).resolves.toContain('CONSENT_MANAGEMENT');
    await shot('claimant');
  });

  it('shows the job-match pipeline section and the dead-letter entries', async () => {
    await page.getByRole('link', { name: 'Job-match pipeline' }).click();
    await page.getByRole('heading', { name: 'Dead-letter queue: recent refusals' }).waitFor();
    await page.locator('[data-testid=pipeline-figures][data-state=loaded]').waitFor();
    await page.locator('[data-testid=dlq][data-state=loaded]').waitFor();
    // Nothing exposes the consumer's figures to the gateway yet: the section says so.
    await expect(page.getByTestId('pipeline-unavailable').count()).resolves.toBe(1);
    const codes = await page.locator('[data-testid=dlq] tbody tr td:nth-child(5)').allTextContents();
    expect(codes).toEqual(['no_consent', 'bad_signature']);
    await shot('pipeline');
  });

  it('draws the charts as inline SVG', async () => {
    await page.getByRole('link', { name: 'Charts' }).click();
    await page.locator('svg.chart-svg').first().waitFor();
    await expect(page.locator('svg.chart-svg').count()).resolves.toBe(3);
    await expect(page.locator('.legend').first().textContent()).resolves.toContain('ca.esdc');
    await shot('charts');
  });

  it('switches to French and back', async () => {
    await page.getByRole('button', { name: 'Afficher en français' }).click();
    await page.getByRole('link', { name: 'Registre' }).click();
    await page.getByTestId('entries').waitFor();
    await expect(page.locator('html').getAttribute('lang')).resolves.toBe('fr-CA');
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Registre d’audit');
    await shot('entries-fr');
    await page.getByRole('button', { name: 'Display in English' }).click();
    await expect(page.getByRole('link', { name: 'Ledger' }).count()).resolves.toBe(1);
  });

  it('stays on its own origin, within its CSP, without errors', () => {
    const foreign = requestedUrls.filter((u) => !u.startsWith(gateway.url) && !u.startsWith('data:'));
    expect(foreign).toEqual([]);
    expect(cspViolations).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
