import { lang } from './i18n';

/**
 * What each refusal code in the ledger means, for an operator reading it in English or French.
 * The code stays visible beside its meaning: it is what the contract, the logs and the
 * filters name. Codes are matched case-insensitively (REST codes are lower case, GraphQL's upper).
 */
export const REASONS: Record<string, { en: string; fr: string }> = {
  ok: { en: 'permitted', fr: 'autorisé' },
  // signed requests (CONTRACT §3)
  missing_signature: { en: 'the request was not signed', fr: 'la requête n’était pas signée' },
  malformed_signature: { en: 'the signature could not be read', fr: 'la signature est illisible' },
  unknown_key: { en: 'the signing key is not in the registry', fr: 'la clé de signature est absente du registre' },
  revoked_key: { en: 'the signing key is revoked', fr: 'la clé de signature est révoquée' },
  algorithm_not_allowed: { en: 'the signature algorithm is not allowed', fr: 'l’algorithme de signature n’est pas permis' },
  bad_signature: { en: 'the signature does not verify', fr: 'la signature n’est pas valide' },
  issuer_mismatch: { en: 'the signer does not own the key', fr: 'le signataire n’est pas le titulaire de la clé' },
  audience_mismatch: { en: 'signed for another gateway', fr: 'signée pour une autre passerelle' },
  expired: { en: 'the signature had expired', fr: 'la signature était expirée' },
  not_yet_valid: { en: 'the signature is not valid yet (clock ahead)', fr: 'la signature n’est pas encore valide (horloge en avance)' },
  replayed_request: { en: 'replayed request (jti already used)', fr: 'requête rejouée (jti déjà utilisé)' },
  method_or_path_mismatch: { en: 'signed for another method or path', fr: 'signée pour une autre méthode ou un autre chemin' },
  body_digest_mismatch: { en: 'the body is not the one signed', fr: 'le corps n’est pas celui qui a été signé' },
  unknown_purpose: { en: 'unknown purpose', fr: 'finalité inconnue' },
  unverified: { en: 'unsigned requests (counted per source)', fr: 'requêtes non signées (comptées par source)' },
  // authorisation, agreements, consent
  forbidden: { en: 'the agency lacks the role or purpose', fr: 'l’organisme n’a pas le rôle ou la finalité requis' },
  no_agreement: { en: 'no data-sharing agreement covers it', fr: 'aucune entente d’échange ne le couvre' },
  agreement_not_in_force: { en: 'the agreement is not in force', fr: 'l’entente n’est pas en vigueur' },
  field_not_covered: { en: 'the agreement does not cover this field', fr: 'l’entente ne couvre pas ce champ' },
  purpose_not_covered: { en: 'the agreement does not cover this purpose', fr: 'l’entente ne couvre pas cette finalité' },
  consent_required: { en: 'the claimant’s consent is required', fr: 'le consentement du prestataire est requis' },
  consent_expired: { en: 'the consent has expired', fr: 'le consentement est expiré' },
  consent_revoked: { en: 'the consent was revoked', fr: 'le consentement a été révoqué' },
  consent_missing: { en: 'no consent in force', fr: 'aucun consentement en vigueur' },
  no_consent: { en: 'no consent in force', fr: 'aucun consentement en vigueur' },
  // job-match events consent-audit refused, or that held their partition too long
  refused_invalid_argument: { en: 'consent-audit refused the event as malformed', fr: 'consent-audit a refusé l’événement comme mal formé' },
  refused_failed_precondition: { en: 'consent-audit refused the event in its current state', fr: 'consent-audit a refusé l’événement dans son état actuel' },
  refused_permission_denied: { en: 'consent-audit refused the consumer this call', fr: 'consent-audit a refusé cet appel au consommateur' },
  refused_not_found: { en: 'consent-audit found nothing the event refers to', fr: 'consent-audit n’a rien trouvé de ce à quoi l’événement renvoie' },
  refused_already_exists: { en: 'consent-audit refused the event as a duplicate', fr: 'consent-audit a refusé l’événement comme doublon' },
  refused_out_of_range: { en: 'a value of the event is out of range', fr: 'une valeur de l’événement est hors limites' },
  refused_unimplemented: { en: 'consent-audit does not offer the call the event needs', fr: 'consent-audit n’offre pas l’appel dont l’événement a besoin' },
  refused_unauthenticated: { en: 'consent-audit did not accept the consumer’s credentials', fr: 'consent-audit n’a pas accepté les justificatifs du consommateur' },
  held_too_long: { en: 'the event failed for too long while its dependencies answered', fr: 'l’événement a échoué trop longtemps alors que ses dépendances répondaient' },
  // input and limits
  bad_request: { en: 'invalid request', fr: 'requête invalide' },
  bad_user_input: { en: 'invalid input', fr: 'entrée invalide' },
  bad_window: { en: 'unknown chart window', fr: 'période de graphique inconnue' },
  bad_by: { en: 'unknown chart grouping', fr: 'regroupement de graphique inconnu' },
  malformed_json: { en: 'the body is not valid JSON', fr: 'le corps n’est pas du JSON valide' },
  unsupported_media_type: { en: 'unsupported content type', fr: 'type de contenu non pris en charge' },
  query_too_complex: { en: 'the query is too complex', fr: 'la requête est trop complexe' },
  invalid_cursor: { en: 'invalid page cursor', fr: 'curseur de page invalide' },
  not_found: { en: 'not found', fr: 'introuvable' },
  conflict: { en: 'conflicts with the current state', fr: 'en conflit avec l’état actuel' },
  rate_limited: { en: 'too many requests', fr: 'trop de requêtes' },
  // availability
  unavailable: { en: 'a service was unavailable', fr: 'un service était indisponible' },
  audit_unavailable: { en: 'the audit ledger was unavailable', fr: 'le registre d’audit était indisponible' },
  ledger_unavailable: { en: 'the audit ledger was unavailable', fr: 'le registre d’audit était indisponible' },
  ledger_error: { en: 'the audit ledger failed', fr: 'le registre d’audit a échoué' },
  consumer_metrics_unavailable: { en: 'the consumer’s figures could not be read', fr: 'les chiffres du consommateur sont illisibles' },
  // job-match events (dead-letter codes)
  undecodable: { en: 'the event could not be decoded', fr: 'l’événement est indécodable' },
  unknown_publisher: { en: 'the publisher is not in the registry', fr: 'l’éditeur est absent du registre' },
  unknown_pseudonym: { en: 'unknown pseudonym', fr: 'pseudonyme inconnu' },
  invalid_field: { en: 'a field is invalid', fr: 'un champ est invalide' },
};

/** The meaning of a code in the console's language, or undefined for a code it does not know. */
export function reasonMeaning(code: string): string | undefined {
  const r = Object.prototype.hasOwnProperty.call(REASONS, code.toLowerCase()) ? REASONS[code.toLowerCase()] : undefined;
  return r?.[lang()];
}

/** `code — meaning`, or the bare code when unknown ('—' for none). */
export function reasonText(code: string): string {
  if (!code) return '—';
  const meaning = reasonMeaning(code);
  return meaning ? `${code} — ${meaning}` : code;
}
