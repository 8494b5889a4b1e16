import type { PublisherDirectory, PublisherKey } from '@passerelle/messaging';
import type { RegistryHolder } from '@passerelle/registry';

/** The registry in force, seen as the directory of publishers and their keys the verifier needs. */
export function publisherDirectory(holder: RegistryHolder): PublisherDirectory {
  return {
    isPublisher: (agency) => holder.current().hasRole(agency, 'PUBLISHER'),
    key: (agency, kid): PublisherKey | undefined => {
      const key = holder.current().key(agency, kid);
      if (!key) return undefined;
      const { status, ...jwk } = key;
      return { jwk: jwk as PublisherKey['jwk'], alg: key.alg, status };
    },
  };
}
