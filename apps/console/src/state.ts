import type { GatewayApi } from './core/api';
import type { CheckedHead, HeadLink } from './core/ledger';
import type { Lang } from './i18n';

/** The signed-in operator: the key lives only here, in memory, as a non-extractable CryptoKey. */
export interface Session {
  api: GatewayApi;
  agency: string;
  gatewayId: string;
  kid: string;
  alg: string;
}

export interface HeadRecord {
  head: CheckedHead;
  /** consistency with the previous verified head, when there was one */
  link?: HeadLink;
}

const HEADS_KEY = 'passerelle.console.heads.v1';
const LANG_KEY = 'passerelle.console.lang';

/** Tree heads are public, signed artefacts: they may outlive a reload in sessionStorage (never the key). */
export function loadHeads(gatewayId: string): HeadRecord[] {
  try {
    const all = JSON.parse(sessionStorage.getItem(HEADS_KEY) ?? '{}') as Record<string, HeadRecord[]>;
    return Array.isArray(all[gatewayId]) ? all[gatewayId] : [];
  } catch {
    return [];
  }
}

export function saveHeads(gatewayId: string, heads: HeadRecord[]) {
  try {
    const all = JSON.parse(sessionStorage.getItem(HEADS_KEY) ?? '{}') as Record<string, HeadRecord[]>;
    all[gatewayId] = heads.slice(-200);
    sessionStorage.setItem(HEADS_KEY, JSON.stringify(all));
  } catch {
    /* storage full or disabled: the history stays in memory */
  }
}

export function loadLang(): Lang {
  const saved = sessionStorage.getItem(LANG_KEY);
  if (saved === 'en' || saved === 'fr') return saved;
  return navigator.language?.toLowerCase().startsWith('fr') ? 'fr' : 'en';
}

export function saveLang(lang: Lang) {
  sessionStorage.setItem(LANG_KEY, lang);
}
