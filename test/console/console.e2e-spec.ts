import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import type http from 'node:http';
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
import { startProbeServer } from '@passerelle/observability';
import { chromium, type BrowserContext, type FileChooser, type Page } from 'playwright-core';
import { Client } from 'pg';
import { Registry } from 'prom-client';
import { AGGREGATE_DIMENSIONS, aggregatesSql } from '../../apps/consent-audit/src/ledger/ledger-aggregates';
import { MatchesMetrics } from '../../apps/job-match-consumer/src/matches/matches.metrics';
import { auditEntry, connectLedger } from '../ledger/ledger-grpc';
import { followLog, startWitness, stopWitness, type TestWitness } from '../witness/http-witness';
import { axeViolations, focusByTab } from './keyboard';

/**
 * The operator console (issues 11 and 19) in a real browser against the real gateway and ledger:
 * the operator signs in with a key the test generates, and every proof is checked in the page.
 * The job-match pipeline's figures come from the consumer's own probe server and metrics
 * (libs/observability, MatchesMetrics), counted here instead of by a consumer run.
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
let consumerProbe: http.Server;
let consumerProbeUrl: string;
/** Quebec's access-to-information commission and the federal privacy commissioner, witnessing the ledger */
let witnesses: TestWitness[] = [];

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
  witnesses = await Promise.all([startWitness('qc.cai'), startWitness('ca.opc')]);
  await registry.write({ ...registry.document, witnesses: witnesses.map((w) => ({ name: w.name, vkey: w.vkey, url: w.url })) });
  secretsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'console-e2e-'));
  // The consumer's probe, with its metrics as a running consumer would have counted them.
  const metricsRegistry = new Registry();
  const metrics = new MatchesMetrics(metricsRegistry);
  metrics.consumed.inc(5);
  metrics.stored.inc(3);
  metrics.deadLettered.inc({ code: 'bad_signature' });
  metrics.deadLettered.inc({ code: 'consent_missing' });
  metrics.lag.set({ topic: 'jobbank.matches.v1', partition: '0' }, 2);
  consumerProbe = await startProbeServer({ port: 0, registry: metricsRegistry, checks: {} });
  consumerProbeUrl = `http://127.0.0.1:${(consumerProbe.address() as { port: number }).port}`;
  stack = await startTrustStack({ registryFile: registry.file, databaseUrl: db.url, gatewayEnv: { CONSUMER_METRICS_URL: consumerProbeUrl } });
  ({ consentAudit, gateway } = stack);
  followLog(witnesses, fs.readFileSync(path.join(stack.secretsDir, 'public', 'log-note.vkey'), 'utf8'));

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
  for (const w of witnesses) await stopWitness(w);
  if (consumerProbe?.listening) await new Promise((resolve) => consumerProbe.close(resolve));
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
    expect(settings).toEqual({ gatewayId: registry.document.gatewayId, operators: ['ops.audit'], witnesses: witnesses.map((w) => ({ name: w.name, vkey: w.vkey })) });
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
    await page.locator('[data-testid=results][data-state=loaded][data-query="agency=ca.esdc&decision=DENY"] [data-testid=entries]').waitFor();
    const rows = page.locator('[data-testid=entries] tbody tr');
    // Its refused audit request and the two refused job-match events.
    await expect(rows.count()).resolves.toBe(3);
    await expect(page.locator('[data-testid=entries] tbody tr td:nth-child(3)').allTextContents()).resolves.toEqual(['ca.esdc', 'ca.esdc', 'ca.esdc']);
    await page.getByLabel('Operation').fill('rest:GET /audit/sth');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.locator('[data-testid=results][data-state=loaded][data-query*="operation="] [data-testid=entries]').waitFor();
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

  it("shows the latest checkpoint and each witness's cosignature, checked in the page against the policy", async () => {
    // Witnessing runs after the fact: fetch again until both witnesses' cosignatures are on the checkpoint served.
    const table = page.getByTestId('witness-table');
    for (;;) {
      await page.getByRole('button', { name: 'Fetch the current head' }).click();
      await page.locator('[data-testid=witness-verdict]').waitFor();
      if ((await table.locator('tr[data-state=ok]').count()) === 2) break;
    }
    await expect(page.getByTestId('latest-checkpoint').textContent()).resolves.toMatch(/^Latest checkpoint: size \d+, root \S+$/);
    const rows = await table.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [tr.getAttribute('data-witness'), tr.getAttribute('data-state'), tr.querySelectorAll('td')[0].textContent]));
    expect(rows).toEqual([
      ['qc.cai', 'ok', expect.stringMatching(/^\d+$/)],
      ['ca.opc', 'ok', expect.stringMatching(/^\d+$/)],
    ]);
    await expect(page.getByTestId('witness-verdict').getAttribute('data-verified')).resolves.toBe('true');
    await expect(page.getByTestId('witness-verdict').textContent()).resolves.toContain('Policy “all of {qc.cai, ca.opc}” met: cosigned by ca.opc, qc.cai');
    await shot('witnesses');
    // A policy naming a witness that did not cosign is not met, and says which one is missing.
    await page.getByLabel('Witness policy').fill('3 of {qc.cai, ca.opc, on.ipc}');
    await page.getByRole('button', { name: 'Check', exact: true }).click();
    await expect(page.getByTestId('witness-verdict').getAttribute('data-verified')).resolves.toBe('false');
    await expect(page.getByTestId('witness-verdict').textContent()).resolves.toContain('NOT met: missing on.ipc');
  });

  it('marks a cosignature that does not verify as invalid, never as cosigned', async () => {
    await page.route('**/audit/checkpoint', async (route) => {
      const response = await route.fetch();
      const json = (await response.json()) as { checkpoint: string };
      // Move the cosignatures onto another root: each must then fail to verify.
      const lines = json.checkpoint.split('\n');
      lines[2] = Buffer.alloc(32, 9).toString('base64');
      json.checkpoint = lines.join('\n');
      await route.fulfill({ response, json });
    });
    try {
      await page.getByRole('button', { name: 'Fetch the current head' }).click();
      await page.locator('[data-testid=witness-table] tr[data-state=invalid]').nth(1).waitFor();
      await expect(page.getByTestId('witness-verdict').getAttribute('data-verified')).resolves.toBe('false');
    } finally {
      await page.unroute('**/audit/checkpoint');
    }
    await page.getByLabel('Witness policy').fill('all of {qc.cai, ca.opc}');
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

  it("shows the job-match pipeline's figures from the consumer's metrics, and the dead-letter entries with their meaning", async () => {
    await page.getByRole('link', { name: 'Job-match pipeline' }).click();
    await page.getByRole('heading', { name: 'Dead-letter queue: recent refusals' }).waitFor();
    await page.locator('[data-testid=pipeline-figures][data-state=loaded]').waitFor();
    await page.locator('[data-testid=dlq][data-state=loaded]').waitFor();
    await expect(page.getByTestId('pipeline-unavailable').count()).resolves.toBe(0);
    const figure = (id: string) => page.locator(`[data-testid=pipeline-figures] [data-figure=${id}]`).textContent();
    await expect(figure('consumed')).resolves.toBe('5');
    await expect(figure('stored')).resolves.toBe('3');
    await expect(figure('dead-lettered')).resolves.toBe('2');
    await expect(figure('lag')).resolves.toBe('2');
    await expect(page.locator('[data-testid=dead-by-code] tbody').textContent()).resolves.toContain('consent_missing — no consent in force');
    const codes = await page.locator('[data-testid=dlq] tbody tr td:nth-child(5) code').allTextContents();
    expect(codes).toEqual(['no_consent', 'bad_signature']);
    await expect(page.locator('[data-testid=dlq] tbody tr td:nth-child(5)').first().textContent()).resolves.toBe('no_consent — no consent in force');
    await shot('pipeline');
  });

  it("draws the ledger's own counts over the chosen window as inline SVG", async () => {
    await page.getByRole('link', { name: 'Charts' }).click();
    await page.locator('[data-testid=charts][data-state=loaded][data-window="1d"]').waitFor();
    await expect(page.locator('svg.chart-svg').count()).resolves.toBe(4);
    await expect(page.locator('.legend').first().textContent()).resolves.toContain('ca.esdc');
    await expect(page.getByTestId('charts-intro').textContent()).resolves.toMatch(/^Counted by the ledger: \d+ entries from .+ in periods of one hour\.$/);
    await expect(page.locator('figure', { hasText: 'Refusals by reason' }).locator('table').textContent()).resolves.toContain('no_consent — no consent in force');
    await shot('charts');
    await page.getByLabel('Last hour').check();
    await page.locator('[data-testid=charts][data-state=loaded][data-window="1h"]').waitFor();
    await page.waitForURL(/#\/charts\?window=1h$/);
    await expect(page.getByTestId('charts-intro').textContent()).resolves.toContain('in periods of 5 minutes');
    await page.getByLabel('Last 30 days').check();
    await page.locator('[data-testid=charts][data-state=loaded][data-window="30d"]').waitFor();
    await shot('charts-30d');
  });

  it('switches to French and back', async () => {
    await page.getByRole('button', { name: 'Afficher en français' }).click();
    await page.getByRole('link', { name: 'Registre' }).click();
    await page.getByTestId('entries').waitFor();
    await expect(page.locator('html').getAttribute('lang')).resolves.toBe('fr-CA');
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Registre d’audit');
    await shot('entries-fr');
    await page.getByRole('link', { name: 'Chaîne d’appariement' }).click();
    await page.locator('[data-testid=dlq][data-state=loaded]').waitFor();
    await expect(page.locator('[data-testid=dlq] tbody tr td:nth-child(5)').allTextContents()).resolves.toEqual([
      'no_consent — aucun consentement en vigueur',
      'bad_signature — la signature n’est pas valide',
    ]);
    await page.locator('[data-testid=pipeline-figures][data-state=loaded]').waitFor();
    await shot('pipeline-fr');
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

/**
 * Opens the focused file input's chooser with the keyboard (Space). Chromium can drop the very
 * first activation while Playwright is still turning on file-chooser interception, so the key is
 * pressed again (still by keyboard only) until the chooser is seen, at most 5 times.
 */
async function openFileChooserByKeyboard(p: Page): Promise<FileChooser> {
  for (let attempt = 1; ; attempt++) {
    const seen = p.waitForEvent('filechooser', { timeout: 4000 });
    await p.keyboard.press('Space');
    try {
      return await seen;
    } catch (e) {
      if (attempt >= 5) throw e;
    }
  }
}

describe('the operator console, by keyboard only and for assistive technologies', () => {
  const audit: Record<string, unknown[]> = {};

  async function checkPage(name: string) {
    audit[name] = await axeViolations(page);
  }

  it('signs in, filters the ledger, opens an entry with its verified inclusion proof and changes the chart window with the keyboard alone', async () => {
    await page.goto(`${gateway.url}/console/`);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await checkPage('signin');
    // The agency field has focus on arrival.
    await expect(page.evaluate('document.activeElement?.getAttribute("name")')).resolves.toBe('agency');
    await page.keyboard.press('ControlOrMeta+a');
    await page.keyboard.type('ops.audit');
    await focusByTab(page, 'input[name=key]');
    await (await openFileChooserByKeyboard(page)).setFiles(keyFile);
    await focusByTab(page, 'button[type=submit]');
    await page.keyboard.press('Enter');
    await page.getByTestId('entries').waitFor();
    await checkPage('entries');

    // Filter: agency qc.mifi, submitted with Enter from the field.
    await focusByTab(page, 'input[name=agency]');
    await page.keyboard.type('qc.mifi');
    await page.keyboard.press('Enter');
    await page.locator('[data-testid=results][data-state=loaded][data-query="agency=qc.mifi"] [data-testid=entries]').waitFor();
    await expect(page.locator('[data-testid=entries] tbody tr td:nth-child(3)').allTextContents()).resolves.toEqual(['qc.mifi']);

    // Open the entry and let the page verify its inclusion proof.
    await focusByTab(page, '[data-testid=entries] tbody a');
    await page.keyboard.press('Enter');
    const verdict = page.getByTestId('inclusion-verdict');
    await verdict.waitFor({ timeout: 30_000 });
    await expect(verdict.getAttribute('data-verified')).resolves.toBe('true');
    await checkPage('entry');

    // The charts, then another window with the arrow keys; focus stays on the choice.
    await focusByTab(page, 'nav a[href="#/charts"]', { backwards: true });
    await page.keyboard.press('Enter');
    await page.locator('[data-testid=charts][data-state=loaded][data-window="1d"]').waitFor();
    await checkPage('charts');
    await focusByTab(page, 'input[name=window]:checked');
    await page.keyboard.press('ArrowLeft');
    await page.locator('[data-testid=charts][data-state=loaded][data-window="1h"]').waitFor();
    await expect(page.evaluate('document.activeElement?.id')).resolves.toBe('window-1h');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    await page.locator('[data-testid=charts][data-state=loaded][data-window="30d"]').waitFor();
    await expect(page.evaluate('document.activeElement?.id')).resolves.toBe('window-30d');

    // The remaining pages, reached from the navigation by keyboard.
    for (const [href, ready, name] of [
      ['#/pipeline', '[data-testid=dlq][data-state=loaded]', 'pipeline'],
      ['#/heads', '[data-testid=witness-verdict]', 'heads'],
      ['#/claimant', 'input[name=pseudonym]', 'claimant'],
      // The operator is no party to relocation: the page says so (its charts are for the parties).
      ['#/relocation', '[data-testid=relocation][data-state=loaded] [data-testid=not-allowed]', 'relocation'],
      // Nor to program statistics (a STATISTICS agreement is needed): the bilingual page says so, by keyboard too.
      ['#/programs', '[data-testid=programs][data-state=loaded] [data-testid=not-allowed]', 'programs'],
    ] as const) {
      await focusByTab(page, `nav a[href="${href}"]`, { backwards: true });
      await page.keyboard.press('Enter');
      await page.locator(ready).waitFor();
      await checkPage(name);
    }
    // The witness policy, typed and checked from the keyboard on the heads page.
    await focusByTab(page, 'nav a[href="#/heads"]', { backwards: true });
    await page.keyboard.press('Enter');
    await page.locator('[data-testid=witness-verdict]').waitFor();
    await focusByTab(page, 'input[name=witnessPolicy]');
    await page.keyboard.press('ControlOrMeta+a');
    await page.keyboard.type('1 of {on.ipc, qc.cai}');
    await page.keyboard.press('Enter');
    await page.locator('[data-testid=witness-verdict][data-verified=true]', { hasText: 'cosigned by qc.cai' }).waitFor();
    await expect(page.evaluate('document.activeElement?.getAttribute("name")')).resolves.toBe('witnessPolicy');
    await checkPage('heads');

    // The check itself sees a real violation: an image without a text alternative.
    await page.evaluate(`document.querySelector('main').append(Object.assign(document.createElement('img'), { id: 'axe-probe', src: 'data:image/gif;base64,R0lGODlhAQABAAAAACw=' }))`);
    await expect(axeViolations(page, 'critical')).resolves.toEqual([expect.objectContaining({ id: 'image-alt', targets: ['#axe-probe'] })]);
    await page.evaluate(`document.getElementById('axe-probe').remove()`);
  });

  it('has no serious or critical axe-core violation on any page', () => {
    expect(Object.keys(audit).sort()).toEqual(['charts', 'claimant', 'entries', 'entry', 'heads', 'pipeline', 'programs', 'relocation', 'signin']);
    expect(audit).toEqual({ signin: [], entries: [], entry: [], charts: [], pipeline: [], heads: [], claimant: [], relocation: [], programs: [] });
  });
});

describe('GET /audit/aggregates and GET /audit/pipeline (signed, OPERATOR, AUDIT_REVIEW)', () => {
  const SUBJECTS = ['i_AggregateSubject00000A', 'i_AggregateSubject00000B'];

  async function ledgerEntries(): Promise<{ seq: number; agency: string; purpose: string; decision: string; reason: string; operation: string }[]> {
    const ops = registry.client('ops.audit', gateway.url);
    // Every answered exchange is sequenced (contract 1.3): read up to sequenced_size, not only the
    // part already in a signed head, or the last refusal may be missed for up to the merge delay.
    const sth = await ops.get<{ tree_size: number; sequenced_size?: number }>('/audit/sth', 'AUDIT_REVIEW');
    const size = sth.json.sequenced_size ?? sth.json.tree_size;
    const res = await ops.get<{ entries: { seq: number; agency: string; purpose: string; decision: string; reason: string; operation: string }[] }>(`/audit/entries?start=${Math.max(0, size - 1000)}&end=${size - 1}`, 'AUDIT_REVIEW');
    return res.json.entries;
  }

  it('counts by agency, purpose, decision and reason exactly as the ledger holds them, and never answers with subjects', async () => {
    const ledger = connectLedger(consentAudit.url);
    try {
      for (const reason of ['ok', 'consent_required']) {
        await ledger.append(auditEntry({ agency: 'qc.mifi', purpose: 'STATISTICS', operation: 'graphql:claimants', decision: reason === 'ok' ? 'PERMIT' : 'DENY', reason, subjects: SUBJECTS, fields: ['region'] }));
      }
    } finally {
      ledger.close();
    }
    const ops = registry.client('ops.audit', gateway.url);
    const entries = await ledgerEntries();
    const count = (pred: (e: (typeof entries)[number]) => boolean) => entries.filter(pred).length;
    type Answer = { window: string; by: string; buckets: string[]; bucket_seconds: number; series: { key: string; counts: number[]; total: number }[]; total: number };
    for (const window of ['1h', '1d', '30d']) {
      const answers: Record<string, Answer> = {};
      for (const by of ['agency', 'purpose', 'decision', 'reason']) {
        const res = await ops.get<Answer>(`/audit/aggregates?window=${window}&by=${by}`, 'AUDIT_REVIEW');
        expect([window, by, res.status]).toEqual([window, by, 200]);
        for (const s of SUBJECTS) expect(res.body).not.toContain(s);
        expect(res.body).not.toMatch(/"subjects"|"fields"|i_[A-Za-z0-9_-]{22}/);
        answers[by] = res.json;
      }
      const total = (by: string, key: string) => answers[by].series.find((s) => s.key === key)?.total ?? 0;
      expect(answers.agency.buckets).toHaveLength({ '1h': 12, '1d': 24, '30d': 30 }[window]!);
      // Only ops.audit's own requests are added meanwhile: every other count is exact.
      expect(total('agency', 'qc.mifi')).toBe(count((e) => e.agency === 'qc.mifi'));
      expect(total('agency', 'ca.esdc')).toBe(count((e) => e.agency === 'ca.esdc'));
      expect(total('purpose', 'JOB_MATCHING')).toBe(count((e) => e.purpose === 'JOB_MATCHING'));
      expect(total('purpose', 'STATISTICS')).toBe(count((e) => e.purpose === 'STATISTICS'));
      expect(total('reason', 'consent_required')).toBe(1);
      expect(total('reason', 'no_consent')).toBe(1);
      expect(total('decision', 'DENY')).toBeGreaterThanOrEqual(count((e) => e.decision === 'DENY'));
      for (const a of Object.values(answers)) for (const s of a.series) expect(s.counts.reduce((n, c) => n + c, 0)).toBe(s.total);
    }
  });

  it("groups over a time range the ledger's time index serves, whatever the grouping", async () => {
    const client = new Client({ connectionString: db.url });
    await client.connect();
    try {
      // Told not to scan the table, the planner must still find a plan: the range is index-usable.
      await client.query('SET enable_seqscan = off');
      for (const by of AGGREGATE_DIMENSIONS) {
        const sql = aggregatesSql(by).replace('$1', '300').replace('$2', "'2026-01-01T00:00:00Z'").replace('$3', "'2026-01-02T00:00:00Z'");
        const plan = (await client.query(`EXPLAIN ${sql}`)).rows.map((r: Record<string, string>) => r['QUERY PLAN']).join('\n');
        expect([by, plan]).toEqual([by, expect.stringMatching(/Index (Only )?Scan using ledger_entries_time_idx|Bitmap Index Scan on ledger_entries_time_idx/)]);
      }
    } finally {
      await client.end();
    }
  });

  it('refuses an unknown window or grouping with 400 bad_window / bad_by, and records the refusal', async () => {
    const ops = registry.client('ops.audit', gateway.url);
    const cases: [string, string][] = [
      ['/audit/aggregates?window=7d&by=agency', 'bad_window'],
      ['/audit/aggregates?by=agency', 'bad_window'],
      ['/audit/aggregates?window=1h&by=subjects', 'bad_by'],
      ['/audit/aggregates?window=1h&by=fields', 'bad_by'],
      ['/audit/aggregates?window=1h', 'bad_by'],
    ];
    for (const [path, code] of cases) {
      const res = await ops.get<{ error: { code: string; message: string } }>(path, 'AUDIT_REVIEW');
      expect([path, res.status, res.json.error.code]).toEqual([path, 400, code]);
      expect(res.json.error.message).toMatch(/query parameter (window|by) /);
    }
    const refusals = (await ledgerEntries()).filter((e) => e.agency === 'ops.audit' && e.operation === 'rest:GET /audit/aggregates' && e.decision === 'DENY');
    expect(refusals.map((e) => e.reason).sort()).toEqual(['bad_by', 'bad_by', 'bad_by', 'bad_window', 'bad_window']);
  });

  it('refuses agencies that are not operators (403, recorded), and unsigned requests (401)', async () => {
    const mifi = registry.client('qc.mifi', gateway.url);
    expect((await mifi.get('/audit/aggregates?window=1h&by=agency', 'AUDIT_REVIEW')).status).toBe(403);
    expect((await mifi.get('/audit/pipeline', 'AUDIT_REVIEW')).status).toBe(403);
    expect((await fetch(`${gateway.url}/audit/aggregates?window=1h&by=agency`)).status).toBe(401);
    expect((await fetch(`${gateway.url}/audit/pipeline`)).status).toBe(401);
    // An operator with another purpose is refused too.
    expect((await registry.client('ops.audit', gateway.url).get('/audit/aggregates?window=1h&by=agency', 'STATISTICS')).status).toBe(403);
    const denied = (await ledgerEntries()).filter((e) => e.agency === 'qc.mifi' && e.decision === 'DENY').map((e) => e.operation);
    expect(denied).toEqual(expect.arrayContaining(['rest:GET /audit/aggregates', 'rest:GET /audit/pipeline']));
  });

  it("answers the pipeline's figures only from the consumer's metrics, and 503 consumer_metrics_unavailable without its address when they cannot be read", async () => {
    const ops = registry.client('ops.audit', gateway.url);
    const ok = await ops.get<{ consumed: number; dead_lettered: { by_code: Record<string, number> } }>('/audit/pipeline', 'AUDIT_REVIEW');
    expect(ok.status).toBe(200);
    expect(ok.json.consumed).toBe(5);
    expect(ok.json.dead_lettered.by_code).toEqual({ bad_signature: 1, consent_missing: 1 });
    expect(ok.body).not.toMatch(/nodejs_|process_|127\.0\.0\.1/);
    await new Promise((resolve) => consumerProbe.close(resolve));
    const down = await ops.get<{ error: { code: string; message: string } }>('/audit/pipeline', 'AUDIT_REVIEW');
    expect(down.status).toBe(503);
    expect(down.json.error.code).toBe('consumer_metrics_unavailable');
    expect(down.body).not.toContain(consumerProbeUrl);
  });
});
