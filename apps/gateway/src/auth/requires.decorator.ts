import { SetMetadata, applyDecorators } from '@nestjs/common';
import type { Purpose, Role } from '@passerelle/registry';

export const REQUIRES_KEY = 'passerelle:requires';
export const PUBLIC_KEY = 'passerelle:public';

export interface Requirement {
  /** the registry role the caller must hold (any of, when an array) */
  role: Role | Role[];
  /** the purposes (from the request signature) this operation may be used for */
  purposes: Purpose[];
}

/**
 * Declares who may call an operation (resolver or controller method, or a whole class).
 * Read by the one global `RequiresGuard`; an operation without it is refused unless @Public().
 */
export const Requires = (requirement: Requirement) => applyDecorators(SetMetadata(REQUIRES_KEY, requirement));

/**
 * Marks an operation open to any agency whose request signature verified (e.g. gatewayInfo).
 * It does not lift the signature check on signed routes.
 */
export const Public = () => SetMetadata(PUBLIC_KEY, true);
