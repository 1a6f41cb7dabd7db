// Roles as the server defines them (include/tyto/auth/roles.hpp): viewer < user < admin < superadmin
// form a ladder; product roles, which the build's products declare (the OpenAPI document lists them as
// x-tyto-roles), sit beside it, and admin and superadmin include them all. A member may also hold
// product roles by grant, beside its role.

import { api } from './api.js';

const LADDER = ['viewer', 'user', 'admin', 'superadmin'];

// Whether a holder of `have` (and of the product roles `grants`) may do what requires `need`.
export function roleAllows(have, need, grants = []) {
  if (need === 'viewer' || have === need || grants.includes(need)) return true;
  const h = LADDER.indexOf(have);
  if (LADDER.includes(need)) return h >= 0 && h > LADDER.indexOf(need);
  return h >= LADDER.indexOf('admin');
}

// The tenant roles a holder of `have` may hand out (to an API key or an invited member): its own,
// those below it and the build's product roles it holds. Superadmin is a platform role, never handed
// out here.
export function grantableRoles(have, productRoles = [], grants = []) {
  return [...LADDER.slice(0, 3), ...productRoles].filter((r) => roleAllows(have, r, grants));
}

let declared = null;

// The build's product roles ([{name, product, description}]), read once from the OpenAPI document.
export function productRoles() {
  declared ??= api('/api/v1/openapi.json')
    .then((doc) => doc['x-tyto-roles'] ?? [])
    .catch(() => { declared = null; return []; });
  return declared;
}
