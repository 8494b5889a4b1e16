import './styles.css';
import { aggregatesSeries, AGGREGATE_WINDOWS, isDeadLetter, matchesFilter, reasonBars, type AggregatesAnswer, type AggregateWindow, type EntryFilter, type PipelineAnswer } from './core/analysis';
import { GatewayApi, type ResponseSignature, type SignedAnswer } from './core/api';
import { canonicalJson } from './core/jcs';
import { importAgencyKey, KeyImportError, PURPOSES } from './core/jws';
import { checkConsistency, checkInclusion, checkTreeHead, entriesOf, type CheckedHead, type LedgerEntry } from './core/ledger';
import { checkPolicy, checkpointOf, parsePolicy, splitNote, witnessStatuses, type WitnessKey } from './core/witnesses';
import { entryLeafHash } from './core/merkle';
import { b64url } from './core/bytes';
import { provinceBars, recentQuarters, statusBars } from './core/relocation';
import { spotRows, uptakeBars, uptakeRows, type SpotCell, type UptakeCell } from './core/programs';
import { formatTime, lang, setLang, t, type MessageKey } from './i18n';
import { horizontalBars, stackedBars } from './ui/charts';
import { field, h, replace, s, select } from './ui/dom';
import { reasonMeaning, reasonText } from './reasons';
import { loadHeads, loadLang, saveHeads, saveLang, type HeadRecord, type Session } from './state';

/** The operator console: hash-routed pages over the signed /audit REST API and GraphQL. */

const root = document.getElementById('app')!;
let session: Session | undefined;
let heads: HeadRecord[] = [];
let settings: { gatewayId: string; operators: string[]; witnesses?: WitnessKey[] } = { gatewayId: 'passerelle', operators: [] };
/** `before` cursors of the ledger pages already left behind (for "Newer"). */
let pageStack: (number | undefined)[] = [];

class Refused extends Error {
  constructor(readonly answer: SignedAnswer<unknown>) {
    super(`${answer.errorCode ?? `HTTP ${answer.status}`}: ${answer.errorMessage ?? ''}`);
  }
}

function api(): GatewayApi {
  if (!session) throw new Error('not signed in');
  return session.api;
}

async function getOk<T>(path: string): Promise<SignedAnswer<T>> {
  const res = await api().get<T>(path);
  if (res.status !== 200) throw new Refused(res as SignedAnswer<unknown>);
  return res;
}

// ------------------------------------------------------------------ tree heads

/** Fetches and checks the current head, adds it to the session's history, checks consistency with the last verified one. */
/** The log's maximum merge delay, as /audit/sth last stated it (contract 1.3). */
let mergeDelayMs = 1000;

/**
 * A verified head that includes entry `seq`: audit_seq is a promise (sequenced now, in a signed
 * tree head within the maximum merge delay), so a fresh entry may be newer than the head for a
 * moment. Waits at most twice the merge delay; past that the caller reports the broken promise.
 */
async function headCovering(seq: number): Promise<CheckedHead> {
  const deadline = Date.now() + 2 * mergeDelayMs;
  let head = await refreshHead();
  while (head.treeSize <= seq && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, Math.min(250, mergeDelayMs / 4)));
    head = await refreshHead();
  }
  return head;
}

async function refreshHead(): Promise<CheckedHead> {
  const res = await getOk<unknown>('/audit/sth');
  const stated = Number((res.json as { mmd_ms?: unknown } | undefined)?.mmd_ms);
  if (Number.isFinite(stated) && stated > 0) mergeDelayMs = Math.min(stated, 60_000);
  const head = await checkTreeHead(res.json, await api().gatewayJwks());
  if (res.signature.state !== 'verified') {
    head.verified = false;
    head.problems.push(res.signature.state === 'invalid' ? `answer: ${res.signature.detail}` : 'answer: no gateway signature');
  }
  const last = heads[heads.length - 1]?.head;
  if (last && last.treeSize === head.treeSize && last.rootHash === head.rootHash && last.verified === head.verified) return last;
  const previous = [...heads].reverse().find((r) => r.head.verified)?.head;
  const record: HeadRecord = { head };
  if (previous && head.verified) record.link = await checkConsistency(api(), previous, head);
  else if (previous) record.link = { from: previous.treeSize, to: head.treeSize, state: 'failed', detail: head.problems.join('; ') };
  heads.push(record);
  saveHeads(session!.gatewayId, heads);
  return head;
}

function latestVerifiedHead(): CheckedHead | undefined {
  return [...heads].reverse().find((r) => r.head.verified)?.head;
}

// ------------------------------------------------------------------ ledger

interface LedgerPage {
  entries: LedgerEntry[];
  scannedHigh: number;
  scannedLow: number;
  nextBefore?: number;
}

const CHUNK = 500;
const MAX_CHUNKS_PER_PAGE = 6;

const AUDIT_ENTRIES_QUERY =
  'query ConsoleAuditEntries($filter: AuditEntryFilter, $first: Int, $after: String) { auditEntries(filter: $filter, first: $first, after: $after) { nodes { seq canonicalJson } hasMore endCursor } }';

/** Newest first, older than `before`: the gateway filters (GraphQL auditEntries); entries come as their exact canonical JSON. */
async function searchLedger(filter: EntryFilter, before: number | undefined, want = 25): Promise<LedgerPage> {
  await refreshHead();
  const gqlFilter: Record<string, string> = {};
  for (const k of ['agency', 'purpose', 'decision', 'operation', 'subject'] as const) if (filter[k]) gqlFilter[k] = filter[k] as string;
  if (filter.from) gqlFilter.since = filter.from;
  if (filter.to) gqlFilter.until = filter.to;
  const res = await api().graphql<{ auditEntries?: { nodes: { seq: number; canonicalJson: string }[]; hasMore: boolean; endCursor: string | null } }>(
    AUDIT_ENTRIES_QUERY,
    { filter: gqlFilter, first: want, after: before === undefined ? null : String(before) },
    'AUDIT_REVIEW',
  );
  const page = res.json?.data?.auditEntries;
  if (res.status !== 200 || !page) {
    // A gateway without the GraphQL search: scan the REST ledger and filter here.
    if (res.status === 200 && /GRAPHQL_VALIDATION|GRAPHQL_PARSE/.test(res.errorCode ?? '')) return scanLedger(filter, before, want);
    throw new Refused(res as SignedAnswer<unknown>);
  }
  const entries = page.nodes.map((n) => JSON.parse(n.canonicalJson) as LedgerEntry);
  return {
    entries,
    scannedHigh: entries[0]?.seq ?? 0,
    scannedLow: entries[entries.length - 1]?.seq ?? 0,
    nextBefore: page.hasMore && page.endCursor !== null ? Number(page.endCursor) : undefined,
  };
}

/** Fallback: newest first from `before` (exclusive) over GET /audit/entries, filtering in the page. */
async function scanLedger(filter: EntryFilter, before: number | undefined, want: number): Promise<LedgerPage> {
  const head = latestVerifiedHead() ?? (await refreshHead());
  let hi = Math.min(before ?? head.treeSize, head.treeSize) - 1;
  const out: LedgerEntry[] = [];
  const scannedHigh = hi;
  let scannedLow = hi + 1;
  for (let chunk = 0; hi >= 0 && chunk < MAX_CHUNKS_PER_PAGE; chunk++) {
    const lo = Math.max(0, hi - CHUNK + 1);
    const res = await getOk<unknown>(`/audit/entries?start=${lo}&end=${hi}`);
    const entries = entriesOf(res.json).sort((a, b) => b.seq - a.seq);
    for (const e of entries) {
      scannedLow = e.seq;
      if (matchesFilter(e, filter)) out.push(e);
      if (out.length >= want) break;
    }
    if (out.length >= want) break;
    hi = lo - 1;
    scannedLow = lo;
  }
  return { entries: out, scannedHigh, scannedLow, nextBefore: scannedLow > 0 ? scannedLow : undefined };
}

async function recentEntries(count = 1000): Promise<LedgerEntry[]> {
  const head = await refreshHead();
  if (head.treeSize === 0) return [];
  const end = head.treeSize - 1;
  const start = Math.max(0, end - count + 1);
  return entriesOf((await getOk<unknown>(`/audit/entries?start=${start}&end=${end}`)).json);
}

// ------------------------------------------------------------------ layout

function route(): { page: string; arg?: string; params: URLSearchParams } {
  const [path, query] = location.hash.replace(/^#\/?/, '').split('?');
  const [page, arg] = path.split('/');
  return { page: page || 'entries', arg, params: new URLSearchParams(query ?? '') };
}

function statusText(sig: ResponseSignature): string {
  if (sig.state === 'verified') return t('sigVerified', { seq: sig.auditSeq });
  if (sig.state === 'invalid') return t('sigInvalid', { detail: sig.detail });
  return t('sigAbsent');
}

const statusLine = h('p', { className: 'status', role: 'status', 'aria-live': 'polite', 'data-testid': 'response-signature' });

function updateStatus(sig: ResponseSignature) {
  statusLine.className = `status ${sig.state}`;
  replace(statusLine, h('span', {}, t('lastAnswer')), ' ', h('strong', {}, statusText(sig)));
}

function layout(main: HTMLElement, current: string) {
  document.documentElement.lang = lang() === 'fr' ? 'fr-CA' : 'en-CA';
  document.title = t('appName');
  const nav: [string, MessageKey][] = [
    ['entries', 'navEntries'],
    ['heads', 'navHeads'],
    ['claimant', 'navClaimant'],
    ['pipeline', 'navPipeline'],
    ['charts', 'navCharts'],
    ['relocation', 'navRelocation'],
    ['programs', 'navPrograms'],
  ];
  const langButton = h('button', { type: 'button', className: 'link-button', lang: lang() === 'en' ? 'fr-CA' : 'en-CA', 'aria-label': t('languageLabel'), onclick: () => switchLang() }, t('language'));
  const header = h(
    'header',
    { className: 'top' },
    h('a', { className: 'skip', href: '#main', onclick: (e: Event) => (e.preventDefault(), main.focus()) }, t('skip')),
    h('div', { className: 'brand' }, logo(), t('appName')),
    session
      ? h(
          'nav',
          { 'aria-label': t('appName') },
          h('ul', {}, ...nav.map(([id, key]) => h('li', {}, h('a', { href: `#/${id}`, 'aria-current': current === id ? 'page' : null }, t(key))))),
        )
      : null,
    h(
      'div',
      { className: 'who' },
      session ? h('span', { 'data-testid': 'signed-in' }, t('signedInAs', { agency: session.agency, kid: session.kid, alg: session.alg })) : null,
      session ? h('button', { type: 'button', className: 'link-button', onclick: () => signOut() }, t('signOut')) : null,
      langButton,
    ),
  );
  main.id = 'main';
  main.tabIndex = -1;
  replace(root, header, session ? statusLine : null, main);
}

/** A small Merkle-tree mark, inline (no image request, no font glyph). */
function logo(): SVGElement {
  return s(
    'svg',
    { width: 22, height: 22, viewBox: '0 0 22 22', 'aria-hidden': 'true', className: 'logo' },
    s('path', { d: 'M11 4 L5 12 M11 4 L17 12 M5 12 L3 19 M5 12 L8 19 M17 12 L14 19 M17 12 L20 19', stroke: '#ffd28a', 'stroke-width': 1.6, fill: 'none' }),
    ...[[11, 4], [5, 12], [17, 12], [3, 19], [8, 19], [14, 19], [20, 19]].map(([cx, cy]) => s('circle', { cx, cy, r: 2.2, fill: '#fff' })),
  );
}

function switchLang() {
  setLang(lang() === 'en' ? 'fr' : 'en');
  saveLang(lang());
  void render();
}

function signOut() {
  session = undefined;
  pageStack = [];
  navigate('#/signin');
}

function navigate(hash: string) {
  if (location.hash === hash) void render();
  else location.hash = hash;
}

function errorBox(e: unknown): HTMLElement {
  let text: string;
  if (e instanceof Refused) text = t('errRefused', { code: e.answer.errorCode ?? `HTTP ${e.answer.status}`, message: e.answer.errorMessage ?? '' });
  else text = t('errNetwork', { detail: (e as Error).message });
  return h('p', { className: 'error', role: 'alert' }, text);
}

/** The code as the contract names it, then its meaning in the console's language. */
function reasonCell(code: string): HTMLElement {
  const meaning = code ? reasonMeaning(code) : undefined;
  return h('span', { className: 'reason' }, h('code', {}, code || '—'), meaning ? h('span', { className: 'muted' }, ` — ${meaning}`) : null);
}

function verdict(ok: boolean, text: string, testid: string): HTMLElement {
  return h('p', { className: `verdict ${ok ? 'ok' : 'bad'}`, 'data-testid': testid, 'data-verified': ok ? 'true' : 'false' }, h('span', { 'aria-hidden': 'true' }, ok ? '✔ ' : '✖ '), text);
}

// ------------------------------------------------------------------ pages

function signInPage(main: HTMLElement) {
  const agency = h('input', { name: 'agency', required: true, autocomplete: 'username', list: 'operators', value: settings.operators[0] ?? 'ops.audit', spellcheck: 'false' });
  const gateway = h('input', { name: 'gatewayId', required: true, value: settings.gatewayId, spellcheck: 'false' });
  const keyFile = h('input', { name: 'key', type: 'file', accept: '.json,.jwk,application/json', required: true });
  const message = h('div', { 'aria-live': 'polite', role: 'status' });
  const button = h('button', { type: 'submit', className: 'primary' }, t('signInButton'));
  const form = h(
    'form',
    { className: 'card narrow', 'aria-labelledby': 'signin-title' },
    h('h1', { id: 'signin-title' }, t('signInTitle')),
    h('p', {}, t('signInIntro')),
    field(t('agencyId'), agency, t('agencyHint')),
    h('datalist', { id: 'operators' }, ...settings.operators.map((id) => h('option', { value: id }))),
    field(t('gatewayId'), gateway, t('gatewayHint')),
    field(t('keyFile'), keyFile, t('keyHint')),
    button,
    message,
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const file = keyFile.files?.[0];
    if (!file) return replace(message, h('p', { className: 'error', role: 'alert' }, t('errNoKey')));
    button.disabled = true;
    replace(message, h('p', {}, t('signingIn')));
    try {
      const key = await importAgencyKey(await file.text());
      keyFile.value = '';
      const candidate: Session = {
        api: new GatewayApi({ baseUrl: '', agency: agency.value.trim(), gatewayId: gateway.value.trim(), key }),
        agency: agency.value.trim(),
        gatewayId: gateway.value.trim(),
        kid: key.kid,
        alg: key.alg,
      };
      candidate.api.onAnswer = (answer) => updateStatus(answer.signature);
      session = candidate;
      heads = loadHeads(candidate.gatewayId);
      try {
        await refreshHead();
      } catch (err) {
        session = undefined;
        throw err;
      }
      navigate('#/entries');
    } catch (err) {
      button.disabled = false;
      const text = err instanceof KeyImportError ? t('errKey', { detail: err.message }) : null;
      replace(message, text ? h('p', { className: 'error', role: 'alert' }, text) : errorBox(err));
    }
  });
  replace(main, form);
  agency.focus();
}

function filterFromParams(p: URLSearchParams): EntryFilter {
  return {
    agency: p.get('agency') ?? '',
    purpose: p.get('purpose') ?? '',
    decision: (p.get('decision') ?? '') as EntryFilter['decision'],
    operation: p.get('operation') ?? '',
    subject: p.get('subject') ?? '',
    from: p.get('from') ?? '',
    to: p.get('to') ?? '',
  };
}

async function entriesPage(main: HTMLElement, params: URLSearchParams) {
  const filter = filterFromParams(params);
  const before = params.get('before') ? Number(params.get('before')) : undefined;
  const inputs = {
    agency: h('input', { name: 'agency', value: filter.agency, spellcheck: 'false' }),
    purpose: select('purpose', [['', t('any')], ...PURPOSES.map((p): [string, string] => [p, p])], filter.purpose),
    decision: select('decision', [['', t('any')], ['PERMIT', t('PERMIT')], ['DENY', t('DENY')]], filter.decision),
    operation: h('input', { name: 'operation', value: filter.operation, spellcheck: 'false' }),
    subject: h('input', { name: 'subject', value: filter.subject, spellcheck: 'false' }),
    from: h('input', { name: 'from', type: 'datetime-local', value: filter.from?.slice(0, 16) }),
    to: h('input', { name: 'to', type: 'datetime-local', value: filter.to?.slice(0, 16) }),
  };
  const form = h(
    'form',
    { className: 'filters', 'aria-labelledby': 'filters-title' },
    h('h2', { id: 'filters-title' }, t('filters')),
    h(
      'div',
      { className: 'grid' },
      field(t('fAgency'), inputs.agency),
      field(t('fPurpose'), inputs.purpose),
      field(t('fDecision'), inputs.decision),
      field(t('fOperation'), inputs.operation, t('fOperationHint')),
      field(t('fSubject'), inputs.subject),
      field(t('fFrom'), inputs.from),
      field(t('fTo'), inputs.to),
    ),
    h('div', { className: 'actions' }, h('button', { type: 'submit', className: 'primary' }, t('apply')), h('a', { href: '#/entries', className: 'button' }, t('reset'))),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const q = new URLSearchParams();
    for (const [k, el] of Object.entries(inputs)) {
      const v = el.value.trim();
      if (v) q.set(k, k === 'from' || k === 'to' ? new Date(v).toISOString() : v);
    }
    pageStack = [];
    location.hash = `#/entries?${q}`;
  });
  // data-state and data-query tell a test which filters the shown page answers, once it is shown.
  const results = h('section', { 'aria-labelledby': 'results-title', 'aria-busy': 'true', 'data-testid': 'results', 'data-state': 'loading' }, h('p', {}, t('loading')));
  replace(main, h('h1', { id: 'results-title' }, t('entriesTitle')), form, results);
  try {
    const page = await searchLedger(filter, before);
    const rows = page.entries.map((e) =>
      h(
        'tr',
        { className: e.decision === 'DENY' ? 'deny' : '' },
        h('td', {}, h('a', { href: `#/entry/${e.seq}`, 'aria-label': t('entryTitle', { seq: e.seq }) }, String(e.seq))),
        h('td', {}, h('time', { datetime: e.time }, formatTime(e.time))),
        h('td', {}, e.agency || '—'),
        h('td', {}, e.purpose || '—'),
        h('td', { className: 'mono' }, e.operation),
        h('td', {}, h('span', { className: `badge ${e.decision}` }, t(e.decision))),
        h('td', {}, reasonCell(e.reason)),
        h('td', {}, String(e.subjects?.length ?? 0)),
      ),
    );
    const nav = h(
      'div',
      { className: 'actions' },
      h('button', { type: 'button', disabled: before === undefined, onclick: () => gotoPage(params, pageStack.pop()) }, `← ${t('newer')}`),
      h('button', { type: 'button', disabled: page.nextBefore === undefined, onclick: () => (pageStack.push(before), gotoPage(params, page.nextBefore)) }, `${t('older')} →`),
    );
    results.setAttribute('aria-busy', 'false');
    results.dataset.state = 'loaded';
    results.dataset.query = params.toString();
    replace(
      results,
      h('p', { className: 'muted', 'data-testid': 'scanned' }, page.entries.length ? t('shown', { from: page.scannedHigh, to: page.scannedLow, count: page.entries.length }) : ''),
      page.entries.length
        ? h(
            'div',
            { className: 'table-wrap' },
            h(
              'table',
              { 'data-testid': 'entries' },
              h('thead', {}, h('tr', {}, ...(['cSeq', 'cTime', 'cAgency', 'cPurpose', 'cOperation', 'cDecision', 'cReason', 'cSubjects'] as MessageKey[]).map((k) => h('th', { scope: 'col' }, t(k))))),
              h('tbody', {}, ...rows),
            ),
          )
        : h('p', {}, t('noEntries')),
      nav,
    );
  } catch (e) {
    results.setAttribute('aria-busy', 'false');
    results.dataset.state = 'loaded';
    results.dataset.query = params.toString();
    replace(results, errorBox(e));
  }
}

function gotoPage(params: URLSearchParams, before: number | undefined) {
  const q = new URLSearchParams(params);
  if (before === undefined) q.delete('before');
  else q.set('before', String(before));
  location.hash = `#/entries?${q}`;
}

async function entryPage(main: HTMLElement, seqText: string) {
  const seq = Number(seqText);
  const proofBox = h('section', { 'aria-labelledby': 'proof-title', className: 'card' }, h('h2', { id: 'proof-title' }, t('inclusionTitle')));
  const live = h('div', { role: 'status', 'aria-live': 'polite', 'data-testid': 'inclusion' }, h('p', {}, t('loading')));
  proofBox.append(live);
  const body = h('div', {}, h('p', {}, t('loading')));
  replace(main, h('p', {}, h('a', { href: '#/entries' }, `← ${t('back')}`)), h('h1', {}, t('entryTitle', { seq })), body, proofBox);
  try {
    const entry = Number.isSafeInteger(seq) && seq >= 0 ? entriesOf((await getOk<unknown>(`/audit/entries?start=${seq}&end=${seq}`)).json).find((e) => e.seq === seq) : undefined;
    if (!entry) {
      replace(body, h('p', { className: 'error' }, t('entryMissing', { seq: seqText })));
      proofBox.remove();
      return;
    }
    const leaf = b64url(await entryLeafHash(entry));
    const labels: [MessageKey, string][] = [
      ['cTime', formatTime(entry.time)],
      ['cAgency', entry.agency || '—'],
      ['cPurpose', entry.purpose || '—'],
      ['cOperation', entry.operation],
      ['cDecision', t(entry.decision)],
      ['cReason', reasonText(entry.reason)],
      ['cSubjects', (entry.subjects ?? []).join(', ') || '—'],
      ['cFields', (entry.fields ?? []).join(', ') || '—'],
      ...legalBasisRows(entry),
      ['leafHash', leaf],
    ];
    replace(
      body,
      h('dl', { className: 'card details' }, ...labels.flatMap(([k, v]) => [h('dt', {}, t(k)), h('dd', { className: k === 'leafHash' ? 'mono' : '' }, v)])),
      h('details', { className: 'card' }, h('summary', {}, t('canonical')), h('pre', { className: 'mono', tabindex: '0' }, canonicalJson(entry))),
    );
    replace(live, h('p', {}, t('inclusionChecking')));
    const head = await headCovering(entry.seq);
    const result = await checkInclusion(api(), entry, head);
    if (entry.seq >= head.treeSize) result.detail = t('promiseBroken', { seq: entry.seq, mmd: mergeDelayMs });
    const ok = result.state === 'verified';
    replace(
      live,
      verdict(ok, ok ? t('inclusionVerified', { seq: entry.seq, index: result.leafIndex, size: result.treeSize }) : t('inclusionFailed', { detail: result.detail ?? '' }), 'inclusion-verdict'),
      h('p', { className: 'muted' }, t('againstHead', { size: head.treeSize, root: head.rootHash })),
      result.auditPath.length ? h('details', {}, h('summary', {}, `${t('auditPath')} (${result.auditPath.length})`), h('ol', { className: 'mono' }, ...result.auditPath.map((p) => h('li', {}, p)))) : null,
    );
  } catch (e) {
    replace(live, errorBox(e));
  }
}

function headCard(head: CheckedHead): HTMLElement {
  return h(
    'section',
    { className: 'card', 'aria-labelledby': 'current-head' },
    h('h2', { id: 'current-head' }, t('currentHead')),
    h('div', { role: 'status', 'aria-live': 'polite', 'data-testid': 'head-status' }, verdict(head.verified, head.verified ? t('headVerified') : t('headNotVerified', { detail: head.problems.join('; ') }), 'head-verdict')),
    h(
      'dl',
      { className: 'details' },
      h('dt', {}, t('treeSize')),
      h('dd', { 'data-testid': 'tree-size' }, String(head.treeSize)),
      h('dt', {}, t('rootHash')),
      h('dd', { className: 'mono', 'data-testid': 'root-hash' }, head.rootHash),
      h('dt', {}, t('timestamp')),
      h('dd', {}, head.timestamp ? formatTime(head.timestamp) : '—'),
    ),
  );
}

async function headsPage(main: HTMLElement) {
  const current = h('div', {}, h('p', {}, t('loading')));
  const history = h('section', { 'aria-labelledby': 'history-title' });
  const witnesses = h('section', { className: 'card', 'aria-labelledby': 'witnesses-title', 'data-testid': 'witnesses' });
  const refresh = h('button', { type: 'button', className: 'primary', onclick: () => void load() }, t('refresh'));
  replace(main, h('h1', {}, t('headsTitle')), h('div', { className: 'actions' }, refresh), current, witnesses, history);
  const drawHistory = () => {
    const rows = [...heads].reverse().map((r) =>
      h(
        'tr',
        { className: r.head.verified ? '' : 'deny' },
        h('td', {}, formatTime(r.head.seenAt)),
        h('td', {}, String(r.head.treeSize)),
        h('td', { className: 'mono' }, r.head.rootHash.slice(0, 16) + '…'),
        h('td', {}, h('span', { className: `badge ${r.head.verified ? 'PERMIT' : 'DENY'}` }, r.head.verified ? t('verified') : t('notVerified'))),
        h(
          'td',
          { 'data-testid': 'consistency' },
          !r.link ? t('consistencyNone') : r.link.state === 'verified' ? `${r.link.from} → ${r.link.to}: ${t('consistencyVerified')}` : `${r.link.from} → ${r.link.to}: ${t('consistencyFailed', { detail: r.link.detail ?? '' })}`,
        ),
      ),
    );
    replace(
      history,
      h('h2', { id: 'history-title' }, t('historyTitle')),
      h('p', { className: 'muted' }, t('historyIntro')),
      heads.length
        ? h(
            'div',
            { className: 'table-wrap' },
            h(
              'table',
              { 'data-testid': 'head-history' },
              h('thead', {}, h('tr', {}, ...(['seenAt', 'treeSize', 'rootHash', 'signature', 'consistency'] as MessageKey[]).map((k) => h('th', { scope: 'col' }, t(k))))),
              h('tbody', {}, ...rows),
            ),
          )
        : h('p', {}, t('noHeads')),
    );
  };
  const load = async () => {
    refresh.disabled = true;
    // The witnesses first, the tree head last: the page's "last answer" is then the head's own.
    await witnessSection(witnesses);
    try {
      const head = await refreshHead();
      replace(current, headCard(head));
    } catch (e) {
      replace(current, errorBox(e));
    }
    refresh.disabled = false;
    drawHistory();
  };
  await load();
}

let witnessPolicyText: string | undefined;

/** The latest checkpoint and each registry witness's cosignature of it, checked here, against an editable policy. */
async function witnessSection(section: HTMLElement) {
  const keys = settings.witnesses ?? [];
  const title = h('h2', { id: 'witnesses-title' }, t('witnessesTitle'));
  if (keys.length === 0) return replace(section, title, h('p', {}, t('noWitnesses')));
  witnessPolicyText ??= `all of {${keys.map((k) => k.name).join(', ')}}`;
  let note: string;
  try {
    note = (await getOk<{ checkpoint: string }>('/audit/checkpoint')).json!.checkpoint;
  } catch (e) {
    return replace(section, title, errorBox(e));
  }
  const cp = checkpointOf(splitNote(note).text);
  const statuses = await witnessStatuses(note, keys);
  const stateText = (s: (typeof statuses)[number]) => (s.state === 'ok' ? t('wOk') : s.state === 'missing' ? t('wMissing') : t('wInvalid', { detail: s.detail ?? '' }));
  const rows = statuses.map((s) =>
    h(
      'tr',
      { className: s.state === 'ok' ? '' : 'deny', 'data-witness': s.name, 'data-state': s.state },
      h('th', { scope: 'row' }, s.name),
      h('td', {}, s.size === undefined ? '—' : String(s.size)),
      h('td', {}, s.time === undefined ? '—' : formatTime(s.time * 1000)),
      h('td', {}, h('span', { className: `badge ${s.state === 'ok' ? 'PERMIT' : 'DENY'}` }, stateText(s))),
    ),
  );
  const policyInput = h('input', { name: 'witnessPolicy', value: witnessPolicyText, spellcheck: 'false' });
  const verdictBox = h('div', { role: 'status', 'aria-live': 'polite', 'data-testid': 'witness-policy' });
  const judge = () => {
    witnessPolicyText = policyInput.value;
    try {
      const r = checkPolicy(parsePolicy(policyInput.value), statuses);
      replace(
        verdictBox,
        verdict(r.satisfied, r.satisfied ? t('policyMet', { policy: policyInput.value.trim(), cosigned: r.cosigned.join(', ') }) : t('policyNotMet', { policy: policyInput.value.trim(), missing: r.missing.join(', ') }), 'witness-verdict'),
      );
    } catch (e) {
      replace(verdictBox, h('p', { className: 'error', role: 'alert' }, t('policyInvalid', { detail: (e as Error).message })));
    }
  };
  const form = h('form', { className: 'inline' }, field(t('witnessPolicy'), policyInput, t('witnessPolicyHint')), h('button', { type: 'submit' }, t('checkPolicy')));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    judge();
  });
  replace(
    section,
    title,
    h('p', { className: 'muted' }, t('witnessesIntro')),
    h('p', { 'data-testid': 'latest-checkpoint' }, t('latestCheckpoint', { size: cp.size, root: cp.root })),
    h(
      'div',
      { className: 'table-wrap' },
      h(
        'table',
        { 'data-testid': 'witness-table' },
        h('thead', {}, h('tr', {}, ...(['witnessName', 'cosignedSize', 'cosignedAt', 'cosignatureState'] as MessageKey[]).map((k) => h('th', { scope: 'col' }, t(k))))),
        h('tbody', {}, ...rows),
      ),
    ),
    form,
    verdictBox,
  );
  judge();
}

interface ConsentRow {
  purpose?: string;
  recipient?: string;
  grantedAt?: string;
  expiresAt?: string;
  revokedAt?: string | null;
}

interface DisclosureRow {
  seq?: number;
  time?: string;
  agency?: string;
  purpose?: string;
  operation?: string;
  fields?: string[];
}

const CONSENTS_QUERY = 'query ConsoleConsents($pseudonym: String!) { consents(pseudonym: $pseudonym) { purpose recipient collectedBy grantedAt expiresAt revokedAt } }';
const DISCLOSURES_QUERY = 'query ConsoleDisclosures($pseudonym: String!) { disclosures(pseudonym: $pseudonym, first: 100) { disclosures { seq time agency purpose operation fields } hasMore } }';

const FORBIDDEN_CODES = new Set(['FORBIDDEN', 'forbidden', 'unknown_purpose']);

function claimantPage(main: HTMLElement) {
  const input = h('input', { name: 'pseudonym', required: true, spellcheck: 'false', autocomplete: 'off' });
  const out = h('div', { role: 'status', 'aria-live': 'polite', 'data-testid': 'claimant-result' });
  const form = h('form', { className: 'card' }, field(t('pseudonym'), input), h('button', { type: 'submit', className: 'primary' }, t('show')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    replace(out, h('p', {}, t('loading')));
    try {
      const variables = { pseudonym: input.value.trim() };
      const [consents, disclosures] = [
        await api().graphql<{ consents?: ConsentRow[] }>(CONSENTS_QUERY, variables, 'CONSENT_MANAGEMENT'),
        await api().graphql<{ disclosures?: { disclosures: DisclosureRow[]; hasMore: boolean } }>(DISCLOSURES_QUERY, variables, 'CONSENT_MANAGEMENT'),
      ];
      const refused = [consents, disclosures].find((a) => a.status === 401 || a.status === 403 || FORBIDDEN_CODES.has(a.errorCode ?? ''));
      if (refused) {
        return replace(out, h('p', { className: 'error', role: 'alert', 'data-testid': 'not-allowed' }, t('notAllowed', { agency: session!.agency, code: refused.errorCode ?? `HTTP ${refused.status}` })));
      }
      const section = (title: MessageKey, answer: SignedAnswer<{ data?: unknown; errors?: unknown }>, table: () => HTMLElement) =>
        h('section', { className: 'card' }, h('h2', {}, t(title)), answer.errorCode ? h('p', { className: 'error' }, t('queryFailed', { code: answer.errorCode, message: answer.errorMessage ?? '' })) : table());
      const cs = consents.json?.data?.consents ?? [];
      const ds = disclosures.json?.data?.disclosures?.disclosures ?? [];
      replace(
        out,
        section('consentsTitle', consents, () =>
          cs.length
            ? simpleTable(
                ['cPurpose', 'cRecipient', 'cGranted', 'cExpires', 'cStatus'],
                cs.map((c) => [c.purpose ?? '', c.recipient ?? '', c.grantedAt ? formatTime(c.grantedAt) : '', c.expiresAt ? formatTime(c.expiresAt) : '', c.revokedAt ? `${t('cRevoked')} ${formatTime(c.revokedAt)}` : t('inForce')]),
              )
            : h('p', {}, t('noneFound')),
        ),
        section('disclosuresTitle', disclosures, () =>
          ds.length
            ? simpleTable(
                ['cSeq', 'cTime', 'cAgency', 'cPurpose', 'cOperation', 'cFields'],
                ds.map((d) => [String(d.seq ?? ''), d.time ? formatTime(d.time) : '', d.agency ?? '', d.purpose ?? '', d.operation ?? '', (d.fields ?? []).join(', ')]),
              )
            : h('p', {}, t('noneFound')),
        ),
      );
    } catch (err) {
      replace(out, errorBox(err));
    }
  });
  replace(main, h('h1', {}, t('claimantTitle')), h('p', {}, t('claimantIntro')), form, out);
}

function simpleTable(heads: MessageKey[], rows: string[][]): HTMLElement {
  return h(
    'div',
    { className: 'table-wrap' },
    h('table', {}, h('thead', {}, h('tr', {}, ...heads.map((k) => h('th', { scope: 'col' }, t(k))))), h('tbody', {}, ...rows.map((r) => h('tr', {}, ...r.map((c) => h('td', {}, c)))))),
  );
}

const RECENT = 1000;

async function pipelinePage(main: HTMLElement) {
  const figures = h('section', { className: 'card', 'aria-labelledby': 'figures-title', 'data-testid': 'pipeline-figures', 'data-state': 'loading' }, h('h2', { id: 'figures-title' }, t('figuresTitle')), h('p', {}, t('loading')));
  const dlq = h('section', { className: 'card', 'aria-labelledby': 'dlq-title', 'data-testid': 'dlq', 'data-state': 'loading' }, h('h2', { id: 'dlq-title' }, t('dlqTitle')), h('p', {}, t('loading')));
  replace(main, h('h1', {}, t('pipelineTitle')), figures, dlq);
  const title = () => h('h2', { id: 'figures-title' }, t('figuresTitle'));
  try {
    const res = await api().get<PipelineAnswer>('/audit/pipeline');
    if (res.status !== 200 || !res.json) {
      const code = res.errorCode ?? `HTTP ${res.status}`;
      replace(figures, title(), h('p', { className: 'muted', 'data-testid': 'pipeline-unavailable' }, t('notAvailable', { code: reasonText(code) })));
    } else {
      const f = res.json;
      const numbers: [MessageKey, number, string][] = [
        ['consumed', f.consumed, 'consumed'],
        ['stored', f.stored, 'stored'],
        ['duplicates', f.duplicates, 'duplicates'],
        ['deadLettered', f.dead_lettered.total, 'dead-lettered'],
        ['lag', f.lag.total, 'lag'],
      ];
      const byCode = Object.entries(f.dead_lettered.by_code).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
      replace(
        figures,
        title(),
        h('dl', { className: 'figures' }, ...numbers.flatMap(([label, n, id]) => [h('dt', {}, t(label)), h('dd', { 'data-figure': id }, String(n))])),
        h('p', { className: 'muted' }, t('readAt', { time: formatTime(f.read_at) })),
        byCode.length ? h('h3', {}, t('deadByCode')) : null,
        byCode.length
          ? h(
              'div',
              { className: 'table-wrap' },
              h(
                'table',
                { 'data-testid': 'dead-by-code' },
                h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('errorCode')), h('th', { scope: 'col' }, t('count')))),
                h('tbody', {}, ...byCode.map(([code, n]) => h('tr', {}, h('th', { scope: 'row' }, reasonCell(code)), h('td', {}, String(n))))),
              ),
            )
          : null,
        f.lag.partitions.length ? h('h3', {}, t('lagPartitions')) : null,
        f.lag.partitions.length
          ? h(
              'div',
              { className: 'table-wrap' },
              h(
                'table',
                {},
                h('thead', {}, h('tr', {}, ...(['cTopic', 'cPartition', 'lag'] as MessageKey[]).map((k) => h('th', { scope: 'col' }, t(k))))),
                h('tbody', {}, ...f.lag.partitions.map((p) => h('tr', {}, h('td', { className: 'mono' }, p.topic), h('td', {}, p.partition), h('td', {}, String(p.lag))))),
              ),
            )
          : null,
      );
    }
  } catch (e) {
    replace(figures, title(), errorBox(e));
  }
  figures.dataset.state = 'loaded';
  try {
    const dead = (await recentEntries(RECENT)).filter(isDeadLetter).sort((a, b) => b.seq - a.seq);
    replace(
      dlq,
      h('h2', { id: 'dlq-title' }, t('dlqTitle')),
      h('p', { className: 'muted' }, t('dlqIntro', { count: RECENT })),
      dead.length
        ? h(
            'div',
            { className: 'table-wrap' },
            h(
              'table',
              {},
              h('thead', {}, h('tr', {}, ...(['cSeq', 'cTime', 'cAgency', 'cOperation', 'errorCode'] as MessageKey[]).map((k) => h('th', { scope: 'col' }, t(k))))),
              h(
                'tbody',
                {},
                ...dead.slice(0, 50).map((e) =>
                  h('tr', {}, h('td', {}, h('a', { href: `#/entry/${e.seq}`, 'aria-label': t('entryTitle', { seq: e.seq }) }, String(e.seq))), h('td', {}, formatTime(e.time)), h('td', {}, e.agency || '—'), h('td', { className: 'mono' }, e.operation), h('td', {}, reasonCell(e.reason))),
                ),
              ),
            ),
          )
        : h('p', {}, t('noDlq')),
    );
  } catch (e) {
    replace(dlq, h('h2', { id: 'dlq-title' }, t('dlqTitle')), errorBox(e));
  }
  dlq.dataset.state = 'loaded';
}

const WINDOW_LABEL: Record<AggregateWindow, MessageKey> = { '1h': 'window1h', '1d': 'window1d', '30d': 'window30d' };
const BUCKET_LABEL: Record<AggregateWindow, MessageKey> = { '1h': 'bucket1h', '1d': 'bucket1d', '30d': 'bucket30d' };

function windowOf(params: URLSearchParams): AggregateWindow {
  const w = params.get('window');
  return w && w in AGGREGATE_WINDOWS ? (w as AggregateWindow) : '1d';
}

async function aggregates(window: AggregateWindow, by: string): Promise<AggregatesAnswer> {
  return (await getOk<AggregatesAnswer>(`/audit/aggregates?window=${window}&by=${by}`)).json as AggregatesAnswer;
}

/** Charts of the ledger's own counts (GET /audit/aggregates) over the chosen window. */
async function chartsPage(main: HTMLElement, params: URLSearchParams) {
  let window = windowOf(params);
  const body = h('div', { 'data-testid': 'charts', 'data-state': 'loading', 'aria-live': 'polite', 'aria-busy': 'true' }, h('p', {}, t('loading')));
  const radios = (Object.keys(AGGREGATE_WINDOWS) as AggregateWindow[]).map((w) => {
    const input = h('input', { type: 'radio', name: 'window', value: w, id: `window-${w}`, checked: w === window });
    input.addEventListener('change', () => {
      if (!input.checked) return;
      window = w;
      // The address follows the choice without re-rendering the page: focus stays on the choice.
      history.replaceState(null, '', `#/charts?window=${w}`);
      void load();
    });
    return h('span', { className: 'choice' }, input, h('label', { for: `window-${w}` }, t(WINDOW_LABEL[w])));
  });
  const chooser = h('fieldset', { className: 'card window' }, h('legend', {}, t('windowLegend')), ...radios);
  replace(main, h('h1', {}, t('chartsTitle')), chooser, body);
  const load = async () => {
    const asked = window;
    body.dataset.state = 'loading';
    body.setAttribute('aria-busy', 'true');
    try {
      const [byAgency, byPurpose, byDecision, byReason] = await Promise.all(['agency', 'purpose', 'decision', 'reason'].map((by) => aggregates(asked, by)));
      if (asked !== window) return;
      const none = t('noneKey');
      const decisions = aggregatesSeries(byDecision, none);
      for (const row of decisions.rows) row.key = row.key === 'PERMIT' || row.key === 'DENY' ? t(row.key) : row.key;
      replace(
        body,
        h('p', { className: 'muted', 'data-testid': 'charts-intro' }, t('chartsIntro', { count: byAgency.total, since: formatTime(byAgency.since), until: formatTime(byAgency.until), bucket: t(BUCKET_LABEL[asked]) })),
        stackedBars(t('byAgency'), aggregatesSeries(byAgency, none)),
        stackedBars(t('byPurpose'), aggregatesSeries(byPurpose, none)),
        stackedBars(t('byDecision'), decisions),
        horizontalBars(t('byReason'), reasonBars(byReason).map((r) => ({ label: r.reason || none, description: r.reason ? reasonText(r.reason) : none, count: r.count }))),
      );
      body.dataset.window = asked;
    } catch (e) {
      if (asked !== window) return;
      replace(body, errorBox(e));
    }
    body.dataset.state = 'loaded';
    body.setAttribute('aria-busy', 'false');
  };
  await load();
}

// ------------------------------------------------------------------ relocation (issue 16)

const OFFERS_QUERY = 'query ConsoleOffers { relocationOffers { province regions nocCodes places periodStart periodEnd languageSupport minFrenchLevel minEnglishLevel status } }';
const OUTCOMES_QUERY = 'query ConsoleOutcomes($period: String!, $groupBy: [RelocationOutcomeDimension!]) { relocationOutcomes(period: $period, groupBy: $groupBy) { scope cells { toProvince status referrals acceptances moves jobs suppressed } } }';

interface OfferRow {
  province: string;
  regions: string[];
  nocCodes: string[];
  places: number;
  periodStart: string;
  periodEnd: string;
  languageSupport: string;
  minFrenchLevel: number | null;
  minEnglishLevel: number | null;
  status: string;
}
type OutcomesAnswer = { relocationOutcomes?: { scope: string; cells: Parameters<typeof statusBars>[0] } };

/** Offers, referrals by status and outcomes by province, as charts with their data tables; protected counts only. */
async function relocationPage(main: HTMLElement, params: URLSearchParams) {
  const quarters = recentQuarters(new Date());
  let quarter = quarters.includes(params.get('quarter') ?? '') ? params.get('quarter')! : quarters[0];
  const body = h('div', { 'data-testid': 'relocation', 'data-state': 'loading', 'aria-live': 'polite', 'aria-busy': 'true' }, h('p', {}, t('loading')));
  const chooser = select('quarter', quarters.map((q) => [q, q]), quarter);
  chooser.addEventListener('change', () => {
    quarter = chooser.value;
    // The address follows the choice without re-rendering the page: focus stays on the choice.
    history.replaceState(null, '', `#/relocation?quarter=${quarter}`);
    void load();
  });
  replace(main, h('h1', {}, t('relocationTitle')), h('p', {}, t('relocationIntro')), h('div', { className: 'card' }, field(t('quarter'), chooser)), body);
  const suppressedNote = (list: string[]) => (list.length ? h('p', { className: 'muted' }, t('suppressedList', { list: list.join(', ') })) : null);
  const load = async () => {
    const asked = quarter;
    body.dataset.state = 'loading';
    body.setAttribute('aria-busy', 'true');
    try {
      const [offers, byStatus, byProvince] = [
        await api().graphql<{ relocationOffers?: OfferRow[] }>(OFFERS_QUERY, {}, 'RELOCATION'),
        await api().graphql<OutcomesAnswer>(OUTCOMES_QUERY, { period: asked, groupBy: ['status'] }, 'RELOCATION'),
        await api().graphql<OutcomesAnswer>(OUTCOMES_QUERY, { period: asked, groupBy: ['toProvince'] }, 'RELOCATION'),
      ];
      if (asked !== quarter) return;
      const refused = [offers, byStatus, byProvince].find((a) => a.status === 401 || a.status === 403 || a.errorCode);
      if (refused) {
        replace(body, h('p', { className: 'error', role: 'alert', 'data-testid': 'not-allowed' }, t('relocationNotAllowed', { agency: session!.agency, code: refused.errorCode ?? `HTTP ${refused.status}` })));
      } else {
        const list = offers.json?.data?.relocationOffers ?? [];
        const statuses = statusBars(byStatus.json?.data?.relocationOutcomes?.cells ?? []);
        const provinceCells = byProvince.json?.data?.relocationOutcomes?.cells ?? [];
        const referrals = provinceBars(provinceCells, 'referrals');
        const jobs = provinceBars(provinceCells, 'jobs');
        replace(
          body,
          h('p', { className: 'muted' }, t('relocationScope', { scope: byProvince.json?.data?.relocationOutcomes?.scope ?? '' })),
          h(
            'section',
            { className: 'card' },
            h('h2', {}, t('offersTitle')),
            list.length
              ? simpleTable(
                  ['cProvince', 'cRegions', 'cOccupations', 'cPlaces', 'cPeriod', 'cLanguage'],
                  list.map((o) => [
                    o.province,
                    o.regions.join(', '),
                    o.nocCodes.join(', '),
                    String(o.places),
                    `${o.periodStart} – ${o.periodEnd}`,
                    [o.languageSupport, o.minEnglishLevel ? `CLB ${o.minEnglishLevel}` : '', o.minFrenchLevel ? `NCLC ${o.minFrenchLevel}` : ''].filter(Boolean).join(' · '),
                  ]),
                )
              : h('p', {}, t('noneFound')),
          ),
          horizontalBars(t('referralsByStatus'), statuses.bars),
          suppressedNote(statuses.suppressed),
          horizontalBars(t('referralsByProvince'), referrals.bars),
          suppressedNote(referrals.suppressed),
          horizontalBars(t('jobsByProvince'), jobs.bars),
        );
      }
    } catch (e) {
      if (asked !== quarter) return;
      replace(body, errorBox(e));
    }
    body.dataset.quarter = asked;
    body.dataset.state = 'loaded';
    body.setAttribute('aria-busy', 'false');
  };
  await load();
}

// ------------------------------------------------------------------ programs (issue 17)

const UPTAKE_QUERY = 'query ConsoleUptake($program: String!, $stream: String) { programUptake(program: $program, stream: $stream, period: "all", groupBy: [month]) { cells { month applications admissions suppressed } } }';
const SPOTS_QUERY = 'query ConsoleSpots($program: String!, $stream: String) { eligibleNotApplied(program: $program, stream: $stream, groupBy: [province]) { counts { notApplied { province measure field count suppressed } } uncoveredFields } }';
const MEASURE_KEY: Record<string, MessageKey> = { ELIGIBLE_NOT_APPLIED: 'measureEligibleNotApplied', UNDETERMINED_NOT_APPLIED: 'measureUndeterminedNotApplied', ELIGIBLE: 'measureEligible' };

/** Uptake of a stream by month and its empty spots by province: protected counts, a suppressed cell is a word, never a number. */
async function programsPage(main: HTMLElement, params: URLSearchParams) {
  const program = h('input', { name: 'program', required: true, spellcheck: 'false', value: params.get('program') ?? 'tr-to-pr-2021' });
  const stream = h('input', { name: 'stream', spellcheck: 'false', value: params.get('stream') ?? 'health-care' });
  const body = h('div', { 'data-testid': 'programs', 'data-state': 'loading', 'aria-live': 'polite', 'aria-busy': 'true' }, h('p', {}, t('loading')));
  const form = h('form', { className: 'card' }, field(t('cProgram'), program), field(t('cStream'), stream), h('button', { type: 'submit', className: 'primary' }, t('show')));
  const number = (n: number | null) => (n === null ? t('suppressedCell') : String(n));
  const load = async () => {
    const variables = { program: program.value.trim(), stream: stream.value.trim() || null };
    body.dataset.state = 'loading';
    body.setAttribute('aria-busy', 'true');
    try {
      const [uptake, spots] = [
        await api().graphql<{ programUptake?: { cells: UptakeCell[] } }>(UPTAKE_QUERY, variables, 'STATISTICS'),
        await api().graphql<{ eligibleNotApplied?: { counts: { notApplied: SpotCell[] }; uncoveredFields: string[] } }>(SPOTS_QUERY, variables, 'STATISTICS'),
      ];
      const refused = [uptake, spots].find((a) => a.status === 401 || a.status === 403 || a.errorCode);
      if (refused) {
        replace(body, h('p', { className: 'error', role: 'alert', 'data-testid': 'not-allowed' }, t('programsNotAllowed', { agency: session!.agency, code: refused.errorCode ?? `HTTP ${refused.status}` })));
      } else {
        const months = uptakeRows(uptake.json?.data?.programUptake?.cells ?? []);
        const answer = spots.json?.data?.eligibleNotApplied;
        const rows = spotRows(answer?.counts.notApplied ?? []);
        replace(
          body,
          h(
            'section',
            { className: 'card' },
            h('h2', {}, t('uptakeTitle')),
            months.length ? simpleTable(['cMonth', 'cApplications', 'cAdmissions'], months.map((m) => [m.month, number(m.applications), number(m.admissions)])) : h('p', {}, t('noData')),
          ),
          horizontalBars(t('applicationsByMonth'), uptakeBars(months)),
          h(
            'section',
            { className: 'card', 'data-testid': 'empty-spots' },
            h('h2', {}, t('emptySpotsTitle')),
            rows.length ? simpleTable(['cProvince', 'cMeasure', 'cMissingField', 'count'], rows.map((r) => [r.province, MEASURE_KEY[r.measure] ? t(MEASURE_KEY[r.measure]) : r.measure, r.field, number(r.count)])) : h('p', {}, t('noData')),
            answer?.uncoveredFields.length ? h('p', { className: 'muted' }, t('programsUncovered', { list: answer.uncoveredFields.join(', ') })) : null,
            h('p', { className: 'muted' }, t('suppressedCellNote')),
          ),
        );
      }
    } catch (e) {
      replace(body, errorBox(e));
    }
    body.dataset.state = 'loaded';
    body.setAttribute('aria-busy', 'false');
  };
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    // The address follows the choice without re-rendering: focus stays where it was.
    history.replaceState(null, '', `#/programs?${new URLSearchParams({ program: program.value.trim(), stream: stream.value.trim() })}`);
    void load();
  });
  replace(main, h('h1', {}, t('programsTitle')), h('p', {}, t('programsIntro')), form, body);
  await load();
}

// ------------------------------------------------------------------ boot

async function render() {
  const { page, arg, params } = route();
  const main = h('main', {});
  if (!session) {
    layout(main, 'signin');
    return signInPage(main);
  }
  const current = page === 'entry' ? 'entries' : page;
  layout(main, current);
  updateStatus(api().lastSignature);
  switch (page) {
    case 'entry':
      return entryPage(main, arg ?? '');
    case 'heads':
      return headsPage(main);
    case 'claimant':
      return claimantPage(main);
    case 'pipeline':
      return pipelinePage(main);
    case 'charts':
      return chartsPage(main, params);
    case 'relocation':
      return relocationPage(main, params);
    case 'programs':
      return programsPage(main, params);
    default:
      return entriesPage(main, params);
  }
}

async function boot() {
  setLang(loadLang());
  try {
    const res = await fetch('/console/settings.json', { cache: 'no-store', credentials: 'omit' });
    if (res.ok) settings = await res.json();
  } catch {
    /* the operator types the gateway id */
  }
  window.addEventListener('hashchange', () => {
    void render();
    // Keyboard and screen-reader users land on the new page's content, not back at the top.
    document.getElementById('main')?.focus({ preventScroll: true });
  });
  await render();
}

void boot();

/** The legal-basis members of an entry (contract §5.2), shown only when the entry carries them. */
function legalBasisRows(entry: Record<string, unknown>): [MessageKey, string][] {
  const rows: [MessageKey, string][] = [];
  const list = (v: unknown) => (Array.isArray(v) ? v.join(' · ') : '');
  if (Array.isArray(entry.agreements)) rows.push(['cAgreements', list(entry.agreements)]);
  if (Array.isArray(entry.legal_basis)) rows.push(['cLegalBasis', list(entry.legal_basis)]);
  if (Array.isArray(entry.consents)) rows.push(['cConsents', list(entry.consents)]);
  if (typeof entry.program_version === 'string') rows.push(['cProgramVersion', entry.program_version]);
  if (typeof entry.registry_version === 'string') rows.push(['cRegistryVersion', entry.registry_version]);
  if (typeof entry.rule === 'string') rows.push(['cRule', entry.rule]);
  return rows;
}
